"""The production weekly update (`weekly-update`, docs/weekly-update.md) on a ledger in the service's schema.

A short closed loop runs on the toy world (test_loop_world.py) from the starting posterior the command fits on the
training log; its weeks go into a SQLite ledger laid out as the service's `sales` (and, in a test, a real PostgreSQL
server). The command, given only the log, the ledger and a base version, must reproduce the loop's own plan byte for
byte, write it as a signed version, give the same plan on a rerun and from PostgreSQL, and refuse bad inputs naming
them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pricing_training import publish, signing
from pricing_training.checksum import sha256_file
from pricing_training.cli import main
from pricing_training.loop import experiments, plan_assignments, run, update, weekly_update
from pricing_training.loop.ledger import write_week_csv
from pricing_training.loop.ledger_source import LedgerSourceError, open_ledger
from pricing_training.loop.plan import PlanConfig
from pricing_training.loop.policies import Loop

from sales_ledgers import PostgresServer, postgres_binaries, sales_rows, write_postgres, write_sqlite
from test_loop_world import SWIFT_SERVER, ToyWorld

SEED, WEEKS = 2, 4  # seed 2: the default plan runs tests on this toy world (seed 4: none)
TRAINING = {"response_trees": 20, "response_draws": 32, "seed": 1}
# The service's `assignments` table (schema version 1, Sources/Ledger/LedgerSchema.swift and PostgresSchema.swift).
ASSIGNMENTS_TABLE = """CREATE TABLE assignments (plan_id TEXT NOT NULL, stock_code TEXT NOT NULL, week TEXT NOT NULL,
    price {real} NOT NULL CHECK (price > 0), arm TEXT NOT NULL,
    probability {real} NOT NULL CHECK (probability > 0 AND probability <= 1), recorded_at TEXT NOT NULL,
    PRIMARY KEY (plan_id, stock_code, week))"""


def _base_version(root: Path, log: Path) -> Path:
    """A version folder trained (so its manifest says) on `log`, with the price-response settings the fit uses."""
    base = root / "v2-toy-quick-00000000"
    (base / "features").mkdir(parents=True)
    (base / "features" / "a.json").write_text('{"a": 1}\n')
    manifest = {"format_version": 2, "model_version": base.name, "training_config": TRAINING,
                "data_source": {"path": log.name, "sha256": sha256_file(log)},
                "files": {"features/a.json": {"sha256": sha256_file(base / "features" / "a.json"), "bytes": 9}}}
    (base / "manifest.json").write_text(json.dumps(manifest))
    (root / "LATEST").write_text(base.name + "\n")
    return base


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """The training log, the base version, the loop's own plan after WEEKS weeks, and those weeks in a SQLite ledger
    of the service's schema."""
    folder = tmp_path_factory.mktemp("weekly")
    world = ToyWorld(SEED)
    log = write_week_csv(world.training_lines(), folder / "log.csv")
    base = _base_version(folder / "models", log)
    cfg = weekly_update.response_config(json.loads((base / "manifest.json").read_text()))
    ls = weekly_update.log_start(log, sha256_file(log), cfg, folder / "cache")
    # The loop on the world, from the very starting posterior the command fits (rows mapped to the world's).
    result = _loop_on(world, folder / "loop", ls)
    weeks = sorted((folder / "loop" / "weeks").glob("week-*.csv"))
    lines = sales_rows(weeks)
    ledger = write_sqlite(folder / "ledger.sqlite", lines, len(weeks))
    key = folder / "key.pem"
    public = signing.generate_key(key)
    return {"folder": folder, "log": log, "base": base, "ledger": ledger, "lines": lines, "weeks": weeks,
            "key": key, "public": public, "loop": result,
            "plan": (folder / "loop" / experiments.PLAN_FILE).read_bytes()}


def _loop_on(world, folder: Path, ls: weekly_update.LogStart) -> run.PolicyRun:
    """The loop for WEEKS weeks on `world` (after its training year) from the command's starting posterior `ls`."""
    rows = {code: i for i, code in enumerate(world.products["stockcode"])}
    start = dataclasses.replace(ls.start, index=np.array([rows[c] for c in ls.start.stockcodes]))
    p0_all = world.current_prices.copy()
    p0_all[start.index] = ls.list_prices
    policy = Loop(start, p0_all, ls.catalogue_size, PlanConfig(), SEED)
    return run.run_learning(policy, world, start, update.starting(start, SEED), p0_all, WEEKS, folder, SEED, None)


def _log_start(toy) -> weekly_update.LogStart:
    cfg = weekly_update.response_config(json.loads((toy["base"] / "manifest.json").read_text()))
    return weekly_update.log_start(toy["log"], sha256_file(toy["log"]), cfg, toy["folder"] / "cache")


def _update(toy, ledger, out: Path, *extra: str) -> int:
    return main(["weekly-update", "--log", str(toy["log"]), "--ledger", str(ledger), "--base", str(toy["base"]),
                 "--out", str(out), "--seed", str(SEED), "--cache", str(toy["folder"] / "cache"), *extra])


def _only_version(root: Path) -> Path:
    found = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert len(found) == 1, found
    return found[0]


def test_the_weekly_update_reproduces_the_loops_plan_as_a_signed_version(toy, tmp_path, capsys):
    assert _update(toy, toy["ledger"], tmp_path / "models", "--signing-key", str(toy["key"]),
                   "--publish", str(tmp_path / "published")) == 0
    printed = capsys.readouterr().out
    folder = _only_version(tmp_path / "models")
    assert (folder / experiments.PLAN_FILE).read_bytes() == toy["plan"]  # the loop's plan, byte for byte
    doc = json.loads(toy["plan"])
    assert folder.name.startswith(f"{toy['base'].name}-plan-") and doc["weeks_run"] == WEEKS
    manifest = (folder / "manifest.json").read_bytes()
    assert signing.verify(manifest, (folder / signing.SIGNATURE_FILE).read_bytes(), [toy["public"]])
    assert json.loads(manifest)["experiments"] == {"file": experiments.PLAN_FILE}
    assert (tmp_path / "published" / "LATEST").read_text().strip() == folder.name
    publish.verify_local(tmp_path / "published")
    assert f"replayed {WEEKS} week(s)" in printed and doc["plan_id"] in printed and "charged" not in printed
    # A rerun: the same plan, the same version, nothing rewritten.
    mtime = (folder / "manifest.json").stat().st_mtime_ns
    assert _update(toy, toy["ledger"], tmp_path / "models", "--signing-key", str(toy["key"])) == 0
    assert "unchanged, already written" in capsys.readouterr().out
    assert _only_version(tmp_path / "models") == folder and (folder / "manifest.json").stat().st_mtime_ns == mtime
    # Next week's base is this week's version (the published root's LATEST): the same plan keeps the same name.
    assert main(["weekly-update", "--log", str(toy["log"]), "--ledger", str(toy["ledger"]), "--base",
                 str(tmp_path / "published"), "--out", str(tmp_path / "models"), "--seed", str(SEED), "--cache",
                 str(toy["folder"] / "cache")]) == 0
    assert "unchanged, already written" in capsys.readouterr().out


def test_a_past_week_replans_to_what_was_posted_then(toy, tmp_path):
    """--week-start a past Monday: the plan is the one the loop posted that week (the replay reads nothing after it),
    so next week's run recomputes exactly the plans published before."""
    from pricing_training.loop.ledger import Ledger

    monday = "2011-01-24"  # the loop's week 3 (the toy world's weeks start on 2011-01-03)
    assert _update(toy, toy["ledger"], tmp_path / "models", "--week-start", monday) == 0
    doc = json.loads((_only_version(tmp_path / "models") / experiments.PLAN_FILE).read_text())
    assert doc["week_start"] == monday and doc["weeks_run"] == 3
    ledger = Ledger(toy["folder"] / "loop" / "ledger.sqlite")
    posted = ledger.assignments("loop").query("week == 3").set_index("stockcode")["price"]
    ledger.close()
    testing = [t for t in doc["tests"] if t["status"] == "testing"]
    assert testing and all(posted[t["stockcode"]] == t["price_this_week"] for t in testing)


def test_the_plan_follows_what_the_ledger_says_was_charged(toy, tmp_path, capsys):
    """A tested product sold at another price than the plan's in week 1: the ledger's price is used, said so, and
    the plan still keeps the contract."""
    doc = json.loads(toy["plan"])
    code = next(t["stockcode"] for t in doc["tests"] if t["status"] == "testing" and len(t["history"]) == WEEKS)
    ledger = tmp_path / "ledger.sqlite"
    shutil.copy(toy["ledger"], ledger)
    first = next(t for t in doc["tests"] if t["stockcode"] == code)["history"][1]
    with sqlite3.connect(ledger) as db:
        changed = db.execute("UPDATE sales SET unit_price = round(unit_price * 0.8, 2) WHERE stock_code = ? AND "
                             "invoice_date >= ? AND invoice_date < date(?, '+7 days')",
                             (code, first["week_start"], first["week_start"])).rowcount
    assert changed > 0
    assert _update(toy, ledger, tmp_path / "models") == 0
    printed = capsys.readouterr().out
    assert f"week {first['week_start']}: 1 product(s) charged another price" in printed and code in printed
    new = json.loads((_only_version(tmp_path / "models") / experiments.PLAN_FILE).read_text())
    experiments.check(new)
    row = next(t for t in new["tests"] if t["stockcode"] == code)["history"][1]
    assert row["price"] == pytest.approx(first["price"] * 0.8, abs=0.011)  # the price charged, not the plan's


@pytest.mark.skipif(postgres_binaries() is None, reason="no PostgreSQL server binaries (apt-get install postgresql)")
def test_a_postgresql_ledger_gives_the_same_plan(toy, tmp_path, capsys):
    server = PostgresServer()
    try:
        write_postgres(server.url(), toy["lines"], len(toy["weeks"]))
        with open_ledger(toy["ledger"]) as lite, open_ledger(server.url()) as pg:
            window = (lite.last_sale() - np.timedelta64(30, "D"), lite.last_sale() + np.timedelta64(1, "D"))
            assert lite.last_sale() == pg.last_sale()
            pd.testing.assert_frame_equal(lite.lines_between(*window), pg.lines_between(*window))
            pd.testing.assert_frame_equal(lite.sales_between(*window).sort_index(),
                                          pg.sales_between(*window).sort_index())
        assert _update(toy, server.url(), tmp_path / "models") == 0
        assert (_only_version(tmp_path / "models") / experiments.PLAN_FILE).read_bytes() == toy["plan"]
        # The plans the service served read alike from both databases (texts in byte order, as SQLite orders them).
        import psycopg

        served = [plan_assignments.WeekPlan(dt.date(2010, 12, 27), plan_id, pd.DataFrame(
            [("9", 1.0 / 3 + 2, "low", 0.3333), ("10001", 2.75, "high", 0.5)], columns=plan_assignments.COLUMNS))
            for plan_id in ("2010-W52-aa", "2010-W52-Zz")]
        lite = tmp_path / "served.sqlite"
        shutil.copy(toy["ledger"], lite)
        with sqlite3.connect(lite) as db:
            db.execute(ASSIGNMENTS_TABLE.format(real="REAL"))
            _record(db, served)
        db.close()
        with psycopg.connect(server.url(), autocommit=True) as db:
            db.execute(ASSIGNMENTS_TABLE.format(real="double precision"))
            _record(db, served)
        with open_ledger(lite) as a, open_ledger(server.url()) as b:
            week = dt.date(2010, 12, 27)
            pd.testing.assert_frame_equal(a.assignments(week, week), b.assignments(week, week))
            assert a.assignments(week, week)["plan_id"].tolist() == ["2010-W52-Zz"] * 2 + ["2010-W52-aa"] * 2
        # Not a ledger: the database has no `sales`.
        import psycopg

        with psycopg.connect(server.url(), autocommit=True) as db:
            db.execute("CREATE DATABASE empty")
        capsys.readouterr()
        assert _update(toy, server.url("empty", password="s3cret"), tmp_path / "other") == 2
        err = capsys.readouterr().err
        assert "postgres://postgres:***@127.0.0.1" in err and "/empty: has no table `sales`" in err
        assert "s3cret" not in err
    finally:
        server.stop()


def test_bad_inputs_are_refused_naming_them(toy, tmp_path, capsys):
    out = tmp_path / "models"
    assert _update(toy, tmp_path / "no-such.sqlite", out) == 2
    assert f"{tmp_path / 'no-such.sqlite'}: no such ledger file" in capsys.readouterr().err
    from sales_ledgers import free_port

    url = f"postgres://pricing:hunter2@127.0.0.1:{free_port()}/pricing"
    assert _update(toy, url, out) == 2
    err = capsys.readouterr().err
    assert "postgres://pricing:***@127.0.0.1" in err and "cannot connect to PostgreSQL" in err and "hunter2" not in err
    # No sale after the log's last week: nothing to learn from.
    early = write_sqlite(tmp_path / "early.sqlite", [], 0)
    assert _update(toy, early, out) == 2
    assert f"{early}: holds no sale from 2011-01-03 on" in capsys.readouterr().err
    # A log the base was not trained on.
    other = tmp_path / "other-log.csv"
    other.write_bytes(toy["log"].read_bytes().replace(b"United Kingdom", b"United Kingdon", 1))
    assert main(["weekly-update", "--log", str(other), "--ledger", str(toy["ledger"]), "--base", str(toy["base"]),
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{other}: sha256" in err and f"is not the log {toy['base']} was trained on" in err
    with pytest.raises(SystemExit):
        _update(toy, toy["ledger"], out, "--week-start", "2011-02-01")  # a Tuesday
    assert "is not a Monday" in capsys.readouterr().err
    assert not out.exists() or not [p for p in out.iterdir() if not p.name.startswith(".")]


def test_the_reader_refuses_a_file_that_is_not_a_ledger(tmp_path):
    path = tmp_path / "notes.sqlite"
    sqlite3.connect(path).execute("CREATE TABLE notes (x)").connection.close()
    with pytest.raises(LedgerSourceError, match="has no table `sales`"):
        open_ledger(path)
    (tmp_path / "text.sqlite").write_text("not a database at all, just text that is long enough" * 20)
    with pytest.raises(LedgerSourceError, match="not a readable SQLite ledger"):
        open_ledger(tmp_path / "text.sqlite")


@pytest.mark.skipif(SWIFT_SERVER is None, reason="pricing-server is not built (make test builds it first)")
def test_the_services_own_ingest_gives_the_same_plan(toy, tmp_path):
    ledger = tmp_path / "swift.sqlite"
    for week in toy["weeks"]:
        subprocess.run([str(SWIFT_SERVER), "ingest", "--database", str(ledger), str(week)], check=True,
                       capture_output=True, timeout=60)
    assert _update(toy, ledger, tmp_path / "models") == 0
    assert (_only_version(tmp_path / "models") / experiments.PLAN_FILE).read_bytes() == toy["plan"]


def test_what_was_charged_is_read_by_the_kind_of_shop():
    """One-price shops: any gap beyond the tolerance. Invoice-priced shops: a buyer paying more proves a higher price;
    a lower one needs 10+ lines with both readings below (a few discounted buyers are not a price cut)."""
    import pandas as pd

    from pricing_training.loop import charged

    def lines(prices_by_week):
        rows = [{"invoice": f"{w}{k}", "stockcode": "A", "quantity": 1, "unit_price": p, "customer_id": 12000.0 + k,
                 "invoice_date": pd.Timestamp("2011-01-03") + pd.Timedelta(days=7 * w + k % 6)}
                for w, prices in enumerate(prices_by_week) for k, p in enumerate(prices)]
        return pd.DataFrame(rows)

    one = lines([[2.00, 2.00], [1.80], [2.02]])
    assert charged.one_price_shop(one)
    price, count, top = charged.weekly_prices(one, pd.Timestamp("2011-01-03"), 3, np.array(["A"]), one_price=True)
    gone = [charged.departed(price[t], count[t], top[t], np.array([2.0]), True, 0.03)[0] for t in range(3)]
    assert gone == [False, True, False]  # 1.80 is a cut; 2.02 is within 3% and a cent and a half
    few = lines([[1.70, 1.80, 1.85], [1.80] * 10, [2.00, 2.40], [2.00, 1.60] * 5])
    assert not charged.one_price_shop(few)
    price, count, top = charged.weekly_prices(few, pd.Timestamp("2011-01-03"), 4, np.array(["A"]), one_price=False)
    gone = [charged.departed(price[t], count[t], top[t], np.array([2.0]), False, 0.03)[0] for t in range(4)]
    # three discounted buyers: no proof; ten lines all at 1.80: a cut; a buyer at 2.40: a rise; full price seen: kept
    assert gone == [False, True, True, False]
    assert top[2, 0] == 2.40 and price[2, 0] >= 2.40


def test_a_catalogue_sets_the_list_prices_tested_around(toy, tmp_path, capsys):
    """--catalogue (the service's file): its current_price is the posted list price of a product (scale = list /
    panel price); the panel's own prices there give the very plan; a bad line refuses the file naming it."""
    from pricing_training.loop.list_catalogue import CatalogueError, read_prices

    ls = weekly_update.log_start(toy["log"], sha256_file(toy["log"]), weekly_update.response_config(
        json.loads((toy["base"] / "manifest.json").read_text())), toy["folder"] / "cache")
    same = tmp_path / "same.csv"
    same.write_text("stockcode,current_price\n" + "".join(
        f"{c},{p!r}\n" for c, p in zip(ls.start.stockcodes, ls.list_prices.tolist())))
    assert _update(toy, toy["ledger"], tmp_path / "same", "--catalogue", str(same)) == 0
    assert (_only_version(tmp_path / "same") / experiments.PLAN_FILE).read_bytes() == toy["plan"]
    code = next(t["stockcode"] for t in json.loads(toy["plan"])["tests"] if t["status"] == "testing")
    price = round(float(ls.list_prices[list(ls.start.stockcodes).index(code)]) * 1.05, 2)
    moved = tmp_path / "moved.csv"
    moved.write_text(f"StockCode,unit_cost,current_price\n{code},1.0,{price}\n")
    assert _update(toy, toy["ledger"], tmp_path / "moved", "--catalogue", str(moved)) == 0
    doc = json.loads((_only_version(tmp_path / "moved") / experiments.PLAN_FILE).read_text())
    test = next(t for t in doc["tests"] if t["stockcode"] == code)
    assert test["current_price"] == price and test["arms"][0] < price * 1.2 and test["arms"][2] > price * 0.8
    bad = tmp_path / "bad.csv"
    bad.write_text("stockcode,current_price\n10001,2.5\n10002,abc\n")
    with pytest.raises(CatalogueError, match=r"bad.csv: line 3, column 2: current_price 'abc'"):
        read_prices(bad)
    capsys.readouterr()
    assert _update(toy, toy["ledger"], tmp_path / "bad", "--catalogue", str(bad)) == 2
    assert "line 3, column 2" in capsys.readouterr().err and not (tmp_path / "bad").exists()


class ClosedWeekWorld(ToyWorld):
    """The toy world with loop week CLOSED sold nothing (a shop closed over Christmas)."""

    CLOSED = 1

    def step(self, prices):
        outcome = super().step(prices)
        if outcome.week == self.CLOSED:
            outcome.lines = outcome.lines.iloc[:0]
        return outcome


def test_a_week_without_a_sale_is_dated_the_same_by_the_loop_and_the_command(toy, tmp_path):
    """A closed week keeps its own Monday in the loop's plan history, as the command dates it: the plans agree."""
    world = ClosedWeekWorld(SEED)
    world.training_lines()  # the toy log's lines: the world's random stream now where the fixture's was
    ls = _log_start(toy)
    _loop_on(world, tmp_path / "loop", ls)
    weeks = sorted((tmp_path / "loop" / "weeks").glob("week-*.csv"))
    assert [w.name for w in weeks] == ["week-00.csv", "week-02.csv", "week-03.csv"]
    loop_plan = json.loads((tmp_path / "loop" / experiments.PLAN_FILE).read_text())
    dated = {row["week_start"] for t in loop_plan["tests"] for row in t["history"]}
    assert "2011-01-10" in dated and loop_plan["week_start"] == "2011-01-31"
    ledger = write_sqlite(tmp_path / "ledger.sqlite", sales_rows(weeks), len(weeks))
    with open_ledger(ledger) as source:
        replayed = weekly_update.replay(ls, source, pd.Timestamp("2011-01-31").date(), PlanConfig(), SEED)
    assert weekly_update.plan_bytes(replayed.doc) == (tmp_path / "loop" / experiments.PLAN_FILE).read_bytes()


def _served_ledger(toy, path: Path) -> Path:
    """The toy weeks in a ledger with the service's `assignments` table: made by `pricing-server ingest` when it is
    built (its own schema), else laid out as it."""
    if SWIFT_SERVER is not None:
        for week in toy["weeks"]:
            subprocess.run([str(SWIFT_SERVER), "ingest", "--database", str(path), str(week)], check=True,
                           capture_output=True, timeout=60)
        return path
    shutil.copy(toy["ledger"], path)
    with sqlite3.connect(path) as db:
        db.execute(ASSIGNMENTS_TABLE.format(real="REAL"))
    db.close()
    return path


def _record(db, plans: list[plan_assignments.WeekPlan], recorded_at: str = "2026-01-01T00:00:00Z") -> None:
    """What the service writes for each plan it loads (Sources/PricingAPI/PlanAssignmentRecorder.swift)."""
    placeholder = "?" if isinstance(db, sqlite3.Connection) else "%s"
    rows = [(p.plan_id, r.stockcode, p.week_start.isoformat(), r.price, r.arm, r.probability, recorded_at)
            for p in plans for r in p.tests.itertuples()]
    db.cursor().executemany(f"INSERT INTO assignments VALUES ({', '.join([placeholder] * 7)})", rows)


def test_the_replay_is_checked_against_the_plans_the_service_recorded(toy, tmp_path, capsys):
    ls = _log_start(toy)
    with open_ledger(toy["ledger"]) as source:
        result = weekly_update.replay(ls, source, weekly_update.plan_week(source, ls, None), PlanConfig(), SEED)
        weekly_update.check_served(result, source, accept_other_plans=False)
    assert not result.check.read  # the fixture's ledger has `sales` only: nothing to check against
    assert weekly_update.plan_bytes(result.doc) == toy["plan"]
    tested = [(p.week_start, p.tests["stockcode"].iat[0]) for p in result.replayed if len(p.tests)]
    assert len(tested) >= 2, "the toy plan runs tests in several weeks"

    ledger = _served_ledger(toy, tmp_path / "served.sqlite")
    with sqlite3.connect(ledger) as db:
        _record(db, result.replayed + [plan_assignments.from_document(result.doc)])
    db.close()
    with open_ledger(ledger) as source:
        weekly_update.check_served(result, source, accept_other_plans=False)
    check = result.check
    assert check.read and check.recorded == result.weeks and check.unrecorded == []
    assert check.other_plans.empty and check.differences.empty and check.planned_recorded == result.doc["plan_id"]

    # The retailer's copy of one week shows another price for a test (the same plan): reported by week and product.
    (week, code) = tested[-1]
    with sqlite3.connect(ledger) as db:
        db.execute("UPDATE assignments SET price = price + 0.1 WHERE week = ? AND stock_code = ?", (week.isoformat(), code))
    db.close()
    with open_ledger(ledger) as source:
        weekly_update.check_served(result, source, accept_other_plans=False)
    assert result.check.differences[["week_start", "stockcode", "field"]].values.tolist() == [[week, code, "price"]]

    # Another plan recorded (later) for an earlier week: refused, naming the week; accepted on request, and the plan
    # is the same, byte for byte.
    first = next(p for p in result.replayed if len(p.tests))
    other = plan_assignments.WeekPlan(first.week_start, "2011-W01-0ther0", first.tests)
    with sqlite3.connect(ledger) as db:
        _record(db, [other], recorded_at="2026-01-02T00:00:00Z")
    db.close()
    assert _update(toy, ledger, tmp_path / "models") == 2
    err = capsys.readouterr().err
    assert f"week {first.week_start} served 2011-W01-0ther0, replayed {first.plan_id}" in err
    assert not (tmp_path / "models").exists() or not [p for p in (tmp_path / "models").iterdir() if p.name[0] != "."]
    assert _update(toy, ledger, tmp_path / "models", "--accept-other-plans") == 0
    printed = capsys.readouterr().out
    assert (_only_version(tmp_path / "models") / experiments.PLAN_FILE).read_bytes() == toy["plan"]
    assert f"assignments: the service recorded the plan of {WEEKS} of {WEEKS} replayed week(s); {WEEKS - 1}" in printed
    assert f"week {week}: 1 assignment(s) recorded otherwise than replayed: {code} price recorded" in printed
    assert "the ledger already records this very plan" in printed


def test_the_settings_a_version_was_trained_with_are_read_in_full_from_its_manifest():
    """A version's manifest gives its price-response settings in full: a switch on (a study's version) is refitted
    with it, and in the starting posterior's cache key; one this code does not know, or a value ResponseConfig
    refuses, is an error naming the manifest's field; a manifest with only training_config reads as before."""
    from pricing_training import price_response

    switched = price_response.ResponseConfig(trees=40, draws=16, seed=3, within_week_orders=False,
                                              truncated_curvature=False, error_scales=(1.0, 4.0))
    as_json = json.loads(json.dumps(dataclasses.asdict(switched)))  # tuples come back as lists
    cfg = weekly_update.response_config({"response_config": as_json, "training_config": {"response_trees": 99}})
    assert cfg == switched
    old = weekly_update.response_config({"training_config": {"response_trees": 40, "response_draws": 16, "seed": 3}})
    # trained before its manifest named its settings: the defaults of that time, not today's
    assert old == price_response.ResponseConfig(trees=40, draws=16, seed=3, within_week_orders=False,
                                                truncated_curvature=False, truncated_curvature_spread="mle")
    with pytest.raises(weekly_update.WeeklyUpdateError, match="response_config: .*curvature_from_the_future"):
        weekly_update.response_config({"response_config": as_json | {"curvature_from_the_future": True}})
    with pytest.raises(weekly_update.WeeklyUpdateError, match="response_config: .*orders_nuisance"):
        weekly_update.response_config({"response_config": as_json | {"orders_nuisance": "lagged"}})


def test_the_starting_posteriors_cache_key_names_a_switched_setting_only():
    from pricing_training import price_response

    plain = price_response.ResponseConfig(trees=40, draws=16, seed=3)
    assert weekly_update.start_cache_key("abc", plain) == {"log_sha256": "abc", "trees": 40, "draws": 16,
                                                           "folds": plain.folds, "seed": 3}
    switched = dataclasses.replace(plain, within_week_orders=False)
    assert weekly_update.start_cache_key("abc", switched)["settings"] == {"within_week_orders": False}
