"""The loop's plan as experiments.json (docs/experiments.md): a short loop on the toy world writes a plan that keeps
the documented contract, a plan that breaks it is refused naming the field, and the weekly update becomes a new
signed version that the existing publish path verifies and publishes (LATEST moves, the base is untouched)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from pricing_training import publish, signing
from pricing_training.checksum import sha256_file
from pricing_training.loop import experiments, plan_assignments, run, served_plans, update
from pricing_training.loop.ledger_source import open_ledger
from pricing_training.loop.plan import HOLDOUT, PlanConfig
from pricing_training.loop.plan_version import write_plan_version
from pricing_training.loop.policies import Loop

from test_loop_world import SWIFT_SERVER, toy_world_and_start


@pytest.fixture(scope="module")
def short_loop(tmp_path_factory):
    folder = tmp_path_factory.mktemp("loop")
    world, start = toy_world_and_start(2)
    plan = PlanConfig(delta=0.08, warmup_weeks=99, min_test_weeks=99)
    policy = Loop(start, world.current_prices, world.n, plan, seed=0)
    result = run.run_learning(policy, world, start, update.starting(start, 0), world.current_prices, 4, folder, 0, None)
    return folder, result


def test_the_loop_writes_a_plan_that_keeps_the_contract(short_loop):
    folder, result = short_loop
    doc = json.loads((folder / experiments.PLAN_FILE).read_text())
    experiments.check(doc)
    assert dt.date.fromisoformat(doc["week_start"]).weekday() == 0
    assert doc["weeks_run"] == 4
    testing = [t for t in doc["tests"] if t["status"] == "testing"]
    assert testing, "the toy world's tests run all weeks"
    program = result.program
    for t in testing:
        low, mid, high = t["arms"]
        assert low < mid < high and high / mid == pytest.approx(1.08, abs=0.01) and mid / low == pytest.approx(
            1 / 0.92, abs=0.01)
        assert t["price_this_week"] == {"low": low, "current": mid, "high": high}[t["arm_this_week"]]
        assert abs(mid / t["current_price"] - 1) <= program.cfg.max_change + 1e-9
        assert 1 <= len(t["history"]) == t["weeks_run"] <= 4 and t["started_week"] == t["history"][0]["week_start"]
    # every test says the π it had of going to the holdout instead (the lift's weight 1 / (1 − π)), for any status
    for t in doc["tests"]:
        i = int(np.flatnonzero(program.start.stockcodes == t["stockcode"])[0])
        assert t["holdout_probability"] == program.holdout_pi[i] == program.cfg.holdout_probability
    # the history's units are the ledger's
    i = int(np.flatnonzero(program.start.stockcodes == testing[0]["stockcode"])[0])
    weeks = testing[0]["weeks_run"]
    assert [h["units"] for h in testing[0]["history"]] == pytest.approx(result.units[-weeks:, i].tolist())


def test_the_plan_lists_its_holdout_as_the_loop_posts_and_records_it(short_loop):
    folder, result = short_loop
    doc = json.loads((folder / experiments.PLAN_FILE).read_text())
    program = result.program
    members = doc["holdout"]["members"]
    held = np.flatnonzero(program.status == HOLDOUT)
    assert len(members) == doc["holdout"]["products"] == len(held) >= 1, "the toy world holds products out"
    assert [m["stockcode"] for m in members] == sorted(str(program.start.stockcodes[i]) for i in held)
    # The loop's own ledger recorded each member's weeks in the holdout (arm holdout): the price it posted and the
    # probability it was held out with are the plan's, and the member's assigned week is its first such week.
    recorded = result.assignments[result.assignments["arm"] == "holdout"]
    for m in members:
        rows = recorded[recorded["stockcode"] == m["stockcode"]]
        assert len(rows) >= 1 and (rows["price"] == m["price_this_week"]).all()
        assert (rows["probability"] == m["assignment_probability"]).all() and 0 < m["assignment_probability"] <= 1
        first = dt.date.fromisoformat(doc["week_start"]) - dt.timedelta(weeks=doc["weeks_run"] - int(rows["week"].min()))
        assert m["assigned_week"] == first.isoformat()
    # The rows the service records for the plan are the ones the replay makes for that week, holdout included.
    week_start = dt.date.fromisoformat(doc["week_start"])
    served = plan_assignments.from_document(doc)
    assert (served.tests["arm"] == "holdout").sum() == len(members)
    assert plan_assignments.week_plan(program, week_start).matches(served)
    # A plan written before the members were listed (the key absent) still keeps the contract, and so does one
    # written before its tests carried their holdout_probability.
    experiments.check(_broken(doc, lambda d: d["holdout"].pop("members")))
    experiments.check(_broken(doc, lambda d: [t.pop("holdout_probability") for t in d["tests"]]))


def _without_descriptions(served: dict) -> dict:
    """The service's document of a plan without the product descriptions it adds (null: the plan names none)."""
    for item in served["tests"] + served["holdout"]["members"]:
        assert item.pop("description") is None
    return served


def _broken(doc, change):
    bad = copy.deepcopy(doc)
    change(bad)
    return bad


def test_a_plan_that_breaks_the_contract_is_refused_naming_the_field(short_loop):
    doc = json.loads((short_loop[0] / experiments.PLAN_FILE).read_text())
    k = next(i for i, t in enumerate(doc["tests"]) if t["status"] == "testing")
    cases = [
        (lambda d: d.update(week_start="2011-02-01"), "week_start"),  # a Tuesday
        (lambda d: d["tests"][k].update(arms=[2.0, 1.9, 2.2]), f"tests[{k}].arms"),
        (lambda d: d["tests"][k].pop("status"), f"tests[{k}].status is missing"),
        (lambda d: d["tests"][k].update(arm_this_week="committed"), f"tests[{k}].arm_this_week"),
        (lambda d: d["tests"][k].update(price_this_week=d["tests"][k]["price_this_week"] * 1.01),
         f"tests[{k}].price_this_week"),
        (lambda d: d["holdout"].update(lift_p5=0.2, lift_p95=0.1), "holdout.lift_p5"),
        # a tested product was not held out: its π is below 1; present, it is a number (null is refused)
        (lambda d: d["tests"][k].update(holdout_probability=1.0), f"tests[{k}].holdout_probability 1.0 is out of range"),
        (lambda d: d["tests"][k].update(holdout_probability=-0.1), f"tests[{k}].holdout_probability -0.1 is out of range"),
        (lambda d: d["tests"][k].update(holdout_probability=None), f"tests[{k}].holdout_probability None is not a number"),
        (lambda d: d["tests"][k].update(holdout_probability="0.2"), f"tests[{k}].holdout_probability '0.2' is not a num"),
        (lambda d: d["tests"].append(dict(d["tests"][k])), "appears twice"),
        (lambda d: d["holdout"].update(members={}), "holdout.members is not an array"),
        (lambda d: d["holdout"]["members"].pop(), "holdout.members lists 1 product"),
        (lambda d: d["holdout"]["members"].__setitem__(1, dict(d["holdout"]["members"][0])),
         "holdout.members[1].stockcode .* appears twice"),
        (lambda d: d["holdout"]["members"][0].update(stockcode=d["tests"][k]["stockcode"]),
         "holdout.members[0].stockcode .* is also in tests"),
        (lambda d: d["holdout"]["members"][1].update(assignment_probability=0), "holdout.members[1].assignment_probability"),
        (lambda d: d["holdout"]["members"][1].update(assignment_probability=1.5),
         "holdout.members[1].assignment_probability"),
        (lambda d: d["holdout"]["members"][0].update(price_this_week=0.0), "holdout.members[0].price_this_week"),
        (lambda d: d["holdout"]["members"][0].pop("assigned_week"), "holdout.members[0].assigned_week is missing"),
        (lambda d: d["holdout"]["members"][0].update(assigned_week="2011-01-04"), "holdout.members[0].assigned_week"),
        (lambda d: d["holdout"]["members"][0].update(assigned_week="2099-01-05"),
         "holdout.members[0].assigned_week .* is after week_start"),
    ]
    assert len(doc["holdout"]["members"]) >= 2, "the cases below break the second member too"
    for change, field in cases:
        with pytest.raises(experiments.PlanFormatError, match=field.replace("[", r"\[").replace("]", r"\]")):
            experiments.check(_broken(doc, change))


def _base_version(root):
    """A minimal version folder: one listed file and a manifest, like models/README.md's layout."""
    base = root / "v1"
    (base / "features").mkdir(parents=True)
    (base / "features" / "a.json").write_text('{"a": 1}\n')
    manifest = {"format_version": 2, "model_version": "v1",
                "files": {"features/a.json": {"sha256": sha256_file(base / "features" / "a.json"), "bytes": 9}}}
    (base / "manifest.json").write_text(json.dumps(manifest))
    return base


def test_the_weekly_plan_publishes_as_a_signed_version(short_loop, tmp_path):
    doc = json.loads((short_loop[0] / experiments.PLAN_FILE).read_text())
    base = _base_version(tmp_path / "build")
    key_file = tmp_path / "key.pem"
    public = signing.generate_key(key_file)
    folder = write_plan_version(doc, base, tmp_path / "build", "v1-plan-w05", signing.load_key(key_file))
    manifest_bytes = (folder / "manifest.json").read_bytes()
    manifest = json.loads(manifest_bytes)
    assert manifest["experiments"] == {"file": "experiments.json"} and manifest["model_version"] == "v1-plan-w05"
    assert signing.verify(manifest_bytes, (folder / signing.SIGNATURE_FILE).read_bytes(), [public])
    assert json.loads((folder / "experiments.json").read_text()) == doc
    result = publish.publish(folder, str(tmp_path / "models"))
    assert (tmp_path / "models" / "LATEST").read_text().strip() == "v1-plan-w05" and result.latest_updated
    publish.verify_local(tmp_path / "models")  # what was published verifies, plan included
    assert "experiments" not in json.loads((base / "manifest.json").read_text())  # the base is untouched
    with pytest.raises(publish.PublishError, match="already exists"):
        write_plan_version(doc, base, tmp_path / "build", "v1-plan-w05")
    bad = _broken(doc, lambda d: d.update(week_start="2011-02-01"))
    with pytest.raises(experiments.PlanFormatError, match="week_start"):
        write_plan_version(bad, base, tmp_path / "build", "v1-plan-w06")
    assert not (tmp_path / "build" / "v1-plan-w06").exists()


MODELS = Path(__file__).resolve().parents[2] / "models"


@pytest.mark.skipif(SWIFT_SERVER is None or not (MODELS / "LATEST").is_file(),
                    reason="pricing-server is not built (make test builds it first) or models/ has no version")
def test_the_service_loads_the_published_plan_and_posts_the_arm(short_loop, tmp_path):
    """The Swift binary loads the version the weekly update wrote (signed, plan listed) and its repricing run
    posts this week's arm with binding_rule experiment."""
    import gzip

    base = MODELS / (MODELS / "LATEST").read_text().strip()
    doc = json.loads((short_loop[0] / experiments.PLAN_FILE).read_text())
    # a committed product the loop's holdout does not hold (a product is tested or held out, not both)
    held = {m["stockcode"] for m in doc["holdout"].get("members", [])}
    product = next(p for p in json.loads(gzip.open(base / "features" / "products.json.gz").read())["products"]
                   if p["stockcode"] not in held)
    test = next(t for t in doc["tests"] if t["status"] == "testing")
    p = round(product["current_price"], 2)
    test.update(stockcode=product["stockcode"], current_price=p, arms=[round(p * 0.95, 2), p, round(p * 1.05, 2)],
                arm_this_week="high", price_this_week=round(p * 1.05, 2))
    doc["tests"] = [test]
    key_file = tmp_path / "key.pem"
    public = signing.generate_key(key_file)
    folder = write_plan_version(doc, base, tmp_path / "models", "loop-plan-test", signing.load_key(key_file))
    (tmp_path / "catalogue.csv").write_text(f"stockcode\n{product['stockcode']}\n")
    out = subprocess.run([str(SWIFT_SERVER), "recommend", "--models", str(folder), "--catalogue",
                          str(tmp_path / "catalogue.csv"), "--out", str(tmp_path / "rows.json")],
                         env={"ARTIFACT_PUBLIC_KEYS": public, "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    row = json.loads((tmp_path / "rows.json").read_text())["rows"][0]
    assert row["binding_rule"] == "experiment" and row["recommended_price"] == pytest.approx(round(p * 1.05, 2))


@pytest.mark.skipif(SWIFT_SERVER is None or not (MODELS / "LATEST").is_file(),
                    reason="pricing-server is not built (make test builds it first) or models/ has no version")
def test_the_service_records_the_plans_assignments_as_the_replay_makes_them(short_loop, tmp_path):
    """`pricing-server serve` loads the version the loop's plan is published in and records the plan's assignments
    in its SQLite ledger (LEDGER_PATH): the rows, tests and holdout, are the ones plan_assignments.week_plan makes for
    the week from the test programme, to the last bits; the weekly update's check finds nothing to report. With them
    it records the plan's document (table `plans`), which the weekly update follows (served_plans.py): every field of
    the published plan, the same values to the last bits."""
    folder, result = short_loop
    doc = json.loads((folder / experiments.PLAN_FILE).read_text())
    assert doc["holdout"]["members"] and any(t["status"] == "testing" for t in doc["tests"])
    base = MODELS / (MODELS / "LATEST").read_text().strip()
    key_file = tmp_path / "key.pem"
    public = signing.generate_key(key_file)
    write_plan_version(doc, base, tmp_path / "models", "loop-plan-ledger", signing.load_key(key_file))
    (tmp_path / "models" / "LATEST").write_text("loop-plan-ledger\n")
    ledger, log_path = tmp_path / "served.sqlite", tmp_path / "serve.log"
    env = {"ARTIFACT_PUBLIC_KEYS": public, "LEDGER_PATH": str(ledger), "PATH": "/usr/bin:/bin",
           "HOME": os.environ.get("HOME", str(tmp_path))}
    with open(log_path, "w") as log:
        server = subprocess.Popen([str(SWIFT_SERVER), "serve", "--host", "127.0.0.1", "--port", "0", "--models",
                                   str(tmp_path / "models")], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 120
            while "plan assignments recorded" not in log_path.read_text() and time.monotonic() < deadline:
                assert server.poll() is None, log_path.read_text()
                time.sleep(0.2)
        finally:
            server.terminate()
            server.wait(timeout=30)
    assert "plan assignments recorded" in log_path.read_text(), log_path.read_text()
    week = dt.date.fromisoformat(doc["week_start"])
    with open_ledger(ledger) as source:
        recorded = source.assignments(week, week)
        documents = source.plans(week, week)
    assert (recorded["arm"] == "holdout").sum() == len(doc["holdout"]["members"])
    assert documents["plan_id"].tolist() == [doc["plan_id"]] and documents["week_start"].tolist() == [doc["week_start"]]
    assert _without_descriptions(served_plans.in_force(documents)[week]) == doc
    replayed = plan_assignments.week_plan(result.program, week)
    check = plan_assignments.cross_check([replayed], replayed, recorded)
    assert check.recorded == [week] and check.other_plans.empty and check.without_holdout == []
    assert check.differences.empty, check.differences
    assert check.planned_recorded == doc["plan_id"]
