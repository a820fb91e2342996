"""The weekly update follows the plans the service served (docs/weekly-update.md, "What the service served"): a ledger
that records each week's plan document (table `plans`, docs/ledger.md) makes the replay continue the served
programme, whatever the replay's own settings would have planned.

The served plans are the ones the closed loop published on the toy world (test_weekly_update.py's fixture): each
week's experiments.json is what the command, run that Monday with the loop's seed, writes (it reproduces the loop's
plan byte for byte); they go into a copy of the toy ledger as the service records them, the document and its
assignments (Sources/PricingAPI/PlanAssignmentRecorder.swift; test_loop_plan_file.py checks that the real service
writes them so).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time

import numpy as np
import pandas as pd
import pytest

from pricing_training import signing
from pricing_training.loop import experiments, learning, plan_assignments, served_plans, update, weekly_update
from pricing_training.loop.ledger_source import open_ledger
from pricing_training.loop.plan import PlanConfig
from pricing_training.loop.plan_version import write_plan_version
from pricing_training.loop.policies import Loop

from sales_ledgers import PostgresServer, postgres_binaries, write_postgres
from test_loop_plan_file import MODELS
from test_loop_world import SWIFT_SERVER
from test_weekly_update import ASSIGNMENTS_TABLE, SEED, WEEKS, _log_start, _only_version, _update, toy  # noqa: F401

OTHER_SEED = SEED + 5  # a replay run with another seed than the served plans were made with
# The service's `plans` table (schema version 2, Sources/Ledger/LedgerSchema.swift).
PLANS_TABLE = """CREATE TABLE plans (plan_id TEXT NOT NULL PRIMARY KEY, week TEXT NOT NULL, document TEXT NOT NULL,
    recorded_at TEXT NOT NULL)"""


@pytest.fixture(scope="module")
def served(toy, tmp_path_factory):
    """The plan the loop published each toy week, recorded (document and assignments) in a copy of the toy ledger."""
    ls = _log_start(toy)
    with open_ledger(toy["ledger"]) as source:
        last = weekly_update.plan_week(source, ls, None)
        mondays = [last - dt.timedelta(weeks=WEEKS - t) for t in range(WEEKS)]
        docs = [_first_plan(ls, mondays[0])] + [weekly_update.replay(ls, source, m, PlanConfig(), SEED).doc
                                                for m in mondays[1:]]
    path = tmp_path_factory.mktemp("served") / "ledger.sqlite"
    shutil.copy(toy["ledger"], path)
    with sqlite3.connect(path) as db:
        db.execute(ASSIGNMENTS_TABLE.format(real="REAL"))
        db.execute(PLANS_TABLE)
        for doc in docs:
            record(db, doc)
    db.close()
    return {"ledger": path, "docs": docs, "mondays": mondays, "ls": ls}


def _first_plan(ls: weekly_update.LogStart, monday: dt.date, cfg: PlanConfig = PlanConfig()) -> dict:
    """The plan of the first week after the log, as the replay makes it with no week to replay (replay's setup)."""
    start = ls.start
    p0_all = np.zeros(int(start.index.max()) + 1)
    p0_all[start.index] = ls.list_prices
    policy = Loop(start, p0_all, ls.catalogue_size, cfg, SEED)
    return learning.next_plan(policy, update.starting(start, SEED), experiments.PlanHistory(),
                              np.zeros((0, len(start.stockcodes))), 0, monday, SEED)


def record(db, doc: dict, recorded_at: str = "2026-01-01T00:00:00Z") -> None:
    """What the service writes for a plan it loads: its document and its assignments (SQLite or psycopg `db`)."""
    p = "?" if isinstance(db, sqlite3.Connection) else "%s"
    cursor = db.cursor()
    cursor.execute(f"INSERT INTO plans VALUES ({p}, {p}, {p}, {p})",
                   (doc["plan_id"], doc["week_start"], json.dumps(doc), recorded_at))
    rows = plan_assignments.from_document(doc).tests
    cursor.executemany(f"INSERT INTO assignments VALUES ({', '.join([p] * 7)})",
                   [(doc["plan_id"], r.stockcode, doc["week_start"], r.price, r.arm, r.probability, recorded_at)
                    for r in rows.itertuples()])


def test_the_served_plans_are_the_loops_and_following_them_changes_nothing(toy, served):
    """With the settings the plans were made with, following the record gives the plan the loop published, byte for
    byte: a document that is the replay's own plan changes nothing of the programme."""
    assert json.dumps(served["docs"][-1]["tests"]) != json.dumps(served["docs"][0]["tests"]), "the plans move"
    with open_ledger(served["ledger"]) as source:
        result = weekly_update.replay(served["ls"], source, weekly_update.plan_week(source, served["ls"], None),
                                      PlanConfig(), SEED)
    assert [f.week_start for f in result.followed] == result.weeks == served["mondays"]
    assert [f.plan_id for f in result.followed] == [d["plan_id"] for d in served["docs"]]
    assert weekly_update.plan_bytes(result.doc) == toy["plan"]


def test_a_replay_with_other_settings_follows_the_served_plans_and_learns_from_their_arms(toy, served, tmp_path,
                                                                                          capsys):
    """Another seed plans other tests. Without the record (recomputing every week, as before) the replay's weeks are
    not the served ones: the tests' weeks were charged at the served arms, so they are departures that teach nothing,
    and the check refuses. Following the record, every week is the served plan, every served test week counts, and
    the new plan continues the served tests."""
    ls = served["ls"]
    with open_ledger(served["ledger"]) as source:
        week = weekly_update.plan_week(source, ls, None)
        recomputed = weekly_update.replay(ls, source, week, PlanConfig(), OTHER_SEED, follow_served=False)
        with pytest.raises(weekly_update.WeeklyUpdateError, match="served other plans than the replay makes"):
            weekly_update.check_served(recomputed, source, accept_other_plans=False)
        result = weekly_update.replay(ls, source, week, PlanConfig(), OTHER_SEED)
        weekly_update.check_served(result, source, accept_other_plans=False)
    assert len(recomputed.deviations) > 0, "the recomputed plans post other prices than were charged"
    assert len(result.followed) == WEEKS and result.deviations.empty
    assert result.check.other_plans.empty and result.check.differences.empty
    for replayed, doc in zip(result.replayed, served["docs"]):
        assert replayed.matches(plan_assignments.from_document(doc))
    # The served tests still running go on in the new plan: same start, same arms, one more week run, and their
    # history is the served arms' prices, week by week (each a test week: no departure).
    last = {t["stockcode"]: t for t in served["docs"][-1]["tests"]}
    new = {t["stockcode"]: t for t in result.doc["tests"]}
    going_on = [c for c, t in last.items() if t["status"] == "testing" and new.get(c, {}).get("status") == "testing"]
    assert going_on, "some served tests run on"
    for code in going_on:
        assert new[code]["started_week"] == last[code]["started_week"] and new[code]["arms"] == last[code]["arms"]
        assert new[code]["weeks_run"] == last[code]["weeks_run"] + 1
        served_prices = [next(t for t in d["tests"] if t["stockcode"] == code)["price_this_week"]
                         for d in served["docs"] if any(t["stockcode"] == code for t in d["tests"])]
        assert [h["price"] for h in new[code]["history"]] == served_prices
    assert {m["stockcode"] for m in served["docs"][-1]["holdout"]["members"]} <= (
        {m["stockcode"] for m in result.doc["holdout"]["members"]})

    # The command: no refusal without --accept-other-plans, and it says which weeks followed the record.
    assert _update(toy, served["ledger"], tmp_path / "models", "--seed", str(OTHER_SEED)) == 0
    printed = capsys.readouterr().out
    assert f"plans: {WEEKS} of {WEEKS} replayed week(s) followed the plan the service served" in printed
    assert f"{served['mondays'][0]} {served['docs'][0]['plan_id']}" in printed
    experiments.check(json.loads((_only_version(tmp_path / "models") / experiments.PLAN_FILE).read_text()))


def test_only_weeks_with_nothing_recorded_are_recomputed(toy, served, tmp_path, capsys):
    """The record of the last week lost (recorded into another ledger): that week is recomputed, the others follow;
    with another seed its recomputed plan is another one, refused unless --accept-other-plans."""
    ledger = tmp_path / "ledger.sqlite"
    shutil.copy(served["ledger"], ledger)
    gone = served["docs"][-1]
    with sqlite3.connect(ledger) as db:
        db.execute("DELETE FROM plans WHERE plan_id = ?", (gone["plan_id"],))
    db.close()
    with open_ledger(ledger) as source:
        result = weekly_update.replay(served["ls"], source, weekly_update.plan_week(source, served["ls"], None),
                                      PlanConfig(), SEED)
    assert [f.week_start for f in result.followed] == served["mondays"][:-1]
    assert weekly_update.plan_bytes(result.doc) == toy["plan"], "recomputing the served settings' week gives its plan"
    assert _update(toy, ledger, tmp_path / "models") == 0
    printed = capsys.readouterr().out
    assert f"plans: {WEEKS - 1} of {WEEKS} replayed week(s) followed" in printed
    assert f"weeks recomputed (no plan recorded): {gone['week_start']}" in printed


def test_the_plan_in_force_is_the_one_recorded_last():
    plans = pd.DataFrame([("2011-W02-aaaaaa", "2011-01-10", '{"plan_id": "a"}', "2026-01-02T00:00:00Z"),
                          ("2011-W02-bbbbbb", "2011-01-10", '{"plan_id": "b"}', "2026-01-01T00:00:00Z"),
                          ("2011-W03-cccccc", "2011-01-17", '{"plan_id": "c"}', "2026-01-01T00:00:00Z")],
                         columns=["plan_id", "week_start", "document", "recorded_at"])
    assert served_plans.in_force(plans) == {dt.date(2011, 1, 10): {"plan_id": "a"},
                                            dt.date(2011, 1, 17): {"plan_id": "c"}}
    assert served_plans.in_force(None) == {}


@pytest.mark.skipif(postgres_binaries() is None, reason="no PostgreSQL server binaries (apt-get install postgresql)")
def test_a_postgresql_ledger_is_followed_as_the_sqlite_one(toy, served, tmp_path):
    """The same served plans in a throwaway PostgreSQL server: the replay with another seed follows them and makes,
    byte for byte, the plan it makes from the SQLite file."""
    import psycopg

    server = PostgresServer()
    try:
        write_postgres(server.url(), toy["lines"], len(toy["weeks"]))
        with psycopg.connect(server.url(), autocommit=True) as db:
            db.execute(ASSIGNMENTS_TABLE.format(real="double precision"))
            db.execute(PLANS_TABLE)
            for doc in served["docs"]:
                with db.transaction():
                    record(db, doc)
        plans = []
        for location in (served["ledger"], server.url()):
            with open_ledger(location) as source:
                week = weekly_update.plan_week(source, served["ls"], None)
                plans.append(weekly_update.replay(served["ls"], source, week, PlanConfig(), OTHER_SEED))
                recorded = source.plans(served["mondays"][0], week)
                assert recorded["plan_id"].tolist() == [d["plan_id"] for d in served["docs"]]
        assert [len(p.followed) for p in plans] == [WEEKS, WEEKS]
        assert weekly_update.plan_bytes(plans[0].doc) == weekly_update.plan_bytes(plans[1].doc)
    finally:
        server.stop()


@pytest.mark.skipif(SWIFT_SERVER is None or not (MODELS / "LATEST").is_file(),
                    reason="pricing-server is not built (make test builds it first) or models/ has no version")
def test_the_plans_the_real_service_recorded_are_followed(toy, served, tmp_path):
    """The real `pricing-server serve` serves each week's plan in turn (a version per week, hot-reloaded on SIGHUP)
    and records them in its SQLite ledger, into which `pricing-server ingest` puts the weeks' sales: the replay with
    another seed follows every week it recorded and makes the same plan, byte for byte, as from the plans written
    as the service writes them (the service's canonical JSON is the published plan, to the last bits)."""
    base = MODELS / (MODELS / "LATEST").read_text().strip()
    key_file = tmp_path / "key.pem"
    public = signing.generate_key(key_file)
    models, ledger, log_path = tmp_path / "models", tmp_path / "served.sqlite", tmp_path / "serve.log"
    for week in toy["weeks"]:
        subprocess.run([str(SWIFT_SERVER), "ingest", "--database", str(ledger), str(week)], check=True,
                       capture_output=True, timeout=120)

    def publish(k: int) -> None:
        name = f"served-week-{k}"
        write_plan_version(served["docs"][k], base, models, name, signing.load_key(key_file))
        (models / "LATEST").write_text(name + "\n")

    publish(0)
    env = {"ARTIFACT_PUBLIC_KEYS": public, "LEDGER_PATH": str(ledger), "PATH": "/usr/bin:/bin",
           "HOME": os.environ.get("HOME", str(tmp_path))}
    with open(log_path, "w") as log:
        server = subprocess.Popen([str(SWIFT_SERVER), "serve", "--host", "127.0.0.1", "--port", "0", "--models",
                                   str(models)], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            for k in range(WEEKS):
                if k > 0:
                    publish(k)
                    server.send_signal(signal.SIGHUP)
                deadline = time.monotonic() + 120
                while log_path.read_text().count("plan assignments recorded") <= k and time.monotonic() < deadline:
                    assert server.poll() is None, log_path.read_text()
                    time.sleep(0.2)
        finally:
            server.terminate()
            server.wait(timeout=30)
    text = log_path.read_text()
    assert text.count("plan assignments recorded") == WEEKS and "document=added" in text, text
    with open_ledger(ledger) as source:
        week = weekly_update.plan_week(source, served["ls"], None)
        recorded = source.plans(served["mondays"][0], week)
        assert recorded["plan_id"].tolist() == [d["plan_id"] for d in served["docs"]]
        from_service = weekly_update.replay(served["ls"], source, week, PlanConfig(), OTHER_SEED)
        weekly_update.check_served(from_service, source, accept_other_plans=False)
    with open_ledger(served["ledger"]) as source:
        as_written = weekly_update.replay(served["ls"], source, week, PlanConfig(), OTHER_SEED)
    assert [f.week_start for f in from_service.followed] == served["mondays"]
    assert from_service.check.other_plans.empty and from_service.check.differences.empty
    assert weekly_update.plan_bytes(from_service.doc) == weekly_update.plan_bytes(as_written.doc)


def _program_at_week_zero(ls: weekly_update.LogStart, cfg: PlanConfig = PlanConfig()):
    start = ls.start
    p0_all = np.zeros(int(start.index.max()) + 1)
    p0_all[start.index] = ls.list_prices
    policy = Loop(start, p0_all, ls.catalogue_size, cfg, OTHER_SEED)
    post = update.starting(start, OTHER_SEED)
    policy.plan(0, post)
    return policy.program, post


def test_what_the_document_does_not_say_is_inferred_and_unlisted_products_are_untested(served):
    """A test left on two arms (probability 1/2): the arm shown and the centre are kept, and when the centre is shown,
    the moved arm its history posted; a product the replay randomized that the served plan does not list is untested
    again and posts what untested products post."""
    from pricing_training.loop.plan import NONE

    doc = json.loads(json.dumps(served["docs"][0]))
    testing = [t for t in doc["tests"] if t["status"] == "testing"]
    assert len(testing) >= 2, "the first served plan runs tests"
    testing[0].update(assignment_probability=0.5, arm_this_week="low", price_this_week=testing[0]["arms"][0])
    testing[1].update(assignment_probability=0.5, arm_this_week="current", price_this_week=testing[1]["arms"][1],
                      history=[{"week_start": "2010-12-27", "price": testing[1]["arms"][0], "units": 1.0,
                                "elasticity_mean": -1.0, "elasticity_sd": 0.5}])
    # A product the served plan never randomized (here: the plan without its last held-out product).
    assert doc["holdout"]["members"], "the first served plan holds products out"
    dropped = doc["holdout"]["members"].pop()
    program, post = _program_at_week_zero(served["ls"])
    column = {str(c): i for i, c in enumerate(program.start.stockcodes)}
    j = column[dropped["stockcode"]]
    assert program.status[j] != NONE, "the replay (another seed, the same candidates) randomized it too"
    posted, rows, _ = served_plans.follow(program, doc, 0, post)
    for test, arms in ((testing[0], [True, False, True]), (testing[1], [True, False, True])):
        i = column[test["stockcode"]]
        assert program.allowed[i].tolist() == arms, (test["stockcode"], test["arm_this_week"], test["arms"])
        assert posted[i] == test["price_this_week"]
        kept = np.flatnonzero(program.allowed[i])
        assert experiments.ARM_NAMES[kept[(program.phase[i] + 0) % 2]] == test["arm_this_week"]
        assert rows["probability"].iat[i] == 0.5
    assert program.status[j] == NONE and program.assigned[j] == -1 and not program.ever_tested[j]
    assert program.holdout_pi[j] == 0 and posted[j] == program.static[j] and rows["arm"].iat[j] == "rule"


def test_a_tested_products_holdout_probability_is_the_served_one(served):
    """Under holdout_design="cost" each product's π is its own, and the holdout lift weights a tested product by
    1 / (1 − π): following a served plan, each tested product's π is the document's `holdout_probability`, not the one
    the replay (another seed) drew or would fall back to, so the lift weighs the tests as served. A document written
    before tests carried it keeps the replay's π (served_plans.py), which here is not the served one."""
    cost = PlanConfig(holdout_design="cost")
    doc = _first_plan(served["ls"], served["mondays"][0], cost)
    served_pi = {t["stockcode"]: t["holdout_probability"] for t in doc["tests"]}
    assert len(served_pi) >= 2 and len(set(served_pi.values())) > 1, "the cost design gives the tests their own π"

    def followed(document: dict) -> tuple[dict, dict, np.ndarray]:
        program, post = _program_at_week_zero(served["ls"], cost)
        column = {str(c): i for i, c in enumerate(program.start.stockcodes)}
        before = {code: float(program.holdout_pi[column[code]]) for code in served_pi}
        served_plans.follow(program, document, 0, post)
        weeks = np.ones((1, len(column)))  # a week of revenue: the lift's weights, whatever the sales
        lift = experiments.holdout_lift(weeks, program.start, program, SEED)
        weight = dict(zip((str(program.start.stockcodes[i]) for i in lift["tested_index"]), lift["tested_weight"]))
        return before, {code: float(program.holdout_pi[column[code]]) for code in served_pi}, weight

    replay_pi, after, weight = followed(doc)
    assert any(replay_pi[c] != served_pi[c] for c in served_pi), "the replay's π differs (else this proves nothing)"
    assert after == served_pi
    assert weight and all(w == pytest.approx(1 / (1 - served_pi[c]), rel=1e-12) for c, w in weight.items())

    old = json.loads(json.dumps(doc))
    for t in old["tests"]:
        t.pop("holdout_probability")
    experiments.check(old)
    replay_pi, after, _ = followed(old)
    assert after == {c: replay_pi[c] if replay_pi[c] > 0 else cost.holdout_probability for c in served_pi}
    assert after != served_pi
