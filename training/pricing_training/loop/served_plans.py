"""The plans the service served, as the ledger keeps them, and the test programme continued from them
(docs/weekly-update.md, "What the service served").

The service records each plan it loads in the ledger's `plans` table (docs/ledger.md): the plan id, its week and the
document itself (experiments.json in the service's canonical JSON: the same fields, `description` added as null,
whole numbers without a fraction). `in_force` picks each week's plan in force (the one recorded last, as
plan_assignments.in_force does for the assignments), and `follow` sets a `TestProgram`, right after its own
`plan(week)`, to the served plan of that week, so that the week posts what was served and the weeks after continue
the served programme rather than the one the replay recomputed:

- **From the document:** each listed product's status (testing, committed, stopped; the holdout's members), its arm
  prices, this week's arm, the committed price, the week its test started (and was randomized), its weeks run, the
  elasticity SD at its start, the revenue given up so far, its probability of having gone to the holdout instead
  (`holdout_probability`, π); each held-out product's π and the week it was randomized.
  Products the document does not list were never randomized by the served programme: they go back to untested.
- **Not in the document, so kept from the replay when it agrees, else inferred:** which arm the loss guardrail dropped
  from a test on two arms (the document's probability 1/2 says one was; the arm shown this week and the centre, which
  is never dropped, are kept; when this week's arm is the centre, the replay's other arm if it has exactly one, else
  the other arm the test's history posted, else the upper one); the cycle's phase (the one that gives this week's arm);
  in a document written before tests carried `holdout_probability`, a tested product's probability of having gone to
  the holdout (the replay's, else the flat design's `PlanConfig.holdout_probability`: such a document lists π for
  held-out products only, so under `holdout_design="cost"` the lift may weigh a tested product otherwise than was
  served); the random generator's state (the replay's: new tests after a followed week are drawn from the replay's
  seed).

A document that is the replay's own plan changes nothing (tests/test_served_plans.py), so a replay whose settings are
the served ones gives the same plan byte for byte whether or not the plans were recorded.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import numpy as np
import pandas as pd

from . import experiments
from .plan import COMMITTED, HOLDOUT, NONE, STOPPED, TEST, TestProgram
from .update import Posterior

STATUS = {"testing": TEST, "committed": COMMITTED, "stopped": STOPPED}
ARM_INDEX = {name: k for k, name in enumerate(experiments.ARM_NAMES)}  # current, high, low -> arm_prices' columns


@dataclasses.dataclass
class Followed:
    """One week the replay took from the ledger: the served plan's id and what of it the replay could not place."""

    week_start: dt.date
    plan_id: str
    unknown: list[str]  # stockcodes the document lists that the replay's catalogue does not have (left out)
    weeks_run: int  # the document's own week count (the replay's week index when both start from the same log)


def in_force(plans: pd.DataFrame | None) -> dict[dt.date, dict]:
    """Each week's plan in force among the recorded `plans` (ledger_source.SalesLedger.plans: plan_id, week_start,
    document, recorded_at): the one recorded last (on a tie, the highest id), its document parsed."""
    if plans is None or plans.empty:
        return {}
    last = plans.sort_values(["week_start", "recorded_at", "plan_id"], kind="stable").groupby("week_start").tail(1)
    return {dt.date.fromisoformat(r.week_start): json.loads(r.document) for r in last.itertuples()}


def _week(week_start: dt.date, week: int, day: str) -> int:
    """The replay's week index of the Monday `day`, given that `week_start` is week `week`."""
    return week - (week_start - dt.date.fromisoformat(day)).days // 7


def follow(program: TestProgram, doc: dict, week: int, post: Posterior) -> tuple[np.ndarray, pd.DataFrame, Followed]:
    """Sets `program`, just after `program.plan(week, post)`, to the served plan `doc` of that week (module
    docstring); returns what the week posts and its assignment rows (TestProgram.posted) and what was followed."""
    week_start = dt.date.fromisoformat(doc["week_start"])
    column = {str(code): i for i, code in enumerate(program.start.stockcodes)}
    unknown = []
    listed = np.zeros(len(column), bool)
    before = _snapshot(program)
    for test in doc["tests"]:
        i = column.get(str(test["stockcode"]))
        if i is None:
            unknown.append(str(test["stockcode"]))
            continue
        listed[i] = True
        _follow_test(program, before, i, test, week_start, week)
    for member in (doc.get("holdout") or {}).get("members", []):
        i = column.get(str(member["stockcode"]))
        if i is None:
            unknown.append(str(member["stockcode"]))
            continue
        listed[i] = True
        program.status[i] = HOLDOUT
        program.holdout_pi[i] = float(member["assignment_probability"])
        program.assigned[i] = _week(week_start, week, member["assigned_week"])
        program.started[i], program.weeks_tested[i], program.given_up[i] = -1, 0, 0.0
        program.ever_tested[i] = program.random_pick[i] = False
    for i in np.flatnonzero(~listed & (program.status != NONE)):  # randomized by the replay, not by the served plan
        program.status[i], program.assigned[i], program.started[i], program.holdout_pi[i] = NONE, -1, -1, 0.0
        program.weeks_tested[i], program.given_up[i], program.sd_start[i] = 0, 0.0, 0.0
        program.ever_tested[i] = program.random_pick[i] = False
        program.allowed[i] = True
        program.committed[i] = program.p0[i]
    posted, rows = program.posted(week, post)
    return posted, rows, Followed(week_start, str(doc["plan_id"]), unknown, int(doc.get("weeks_run", week)))


def _snapshot(program: TestProgram) -> dict:
    return {"allowed": program.allowed.copy(), "phase": program.phase.copy(), "holdout_pi": program.holdout_pi.copy(),
            "random_pick": program.random_pick.copy(), "status": program.status.copy()}


def _follow_test(program: TestProgram, before: dict, i: int, test: dict, week_start: dt.date, week: int) -> None:
    status = STATUS[test["status"]]
    low, centre, high = (float(x) for x in test["arms"])
    program.arm_prices[i] = [centre, high, low]
    program.centre[i] = centre
    program.status[i] = status
    program.started[i] = program.assigned[i] = _week(week_start, week, test["started_week"])
    # plan(week) has counted the week it prices; the document's weeks_run are the ones before it
    program.weeks_tested[i] = int(test["weeks_run"]) + (status == TEST)
    program.sd_start[i] = float(test["elasticity_sd_start"])
    program.given_up[i] = float(test["revenue_given_up"])
    program.ever_tested[i] = True
    program.random_pick[i] = bool(before["random_pick"][i]) and before["status"][i] != NONE
    if "holdout_probability" in test:  # the π it was served with (the lift weights it by 1 / (1 − π))
        program.holdout_pi[i] = float(test["holdout_probability"])
    elif before["holdout_pi"][i] <= 0:  # an older document, not randomized by the replay: the flat design's π
        program.holdout_pi[i] = program.cfg.holdout_probability
    if status == COMMITTED:
        program.committed[i] = float(test["price_this_week"])
    if status != TEST:
        return
    arm = ARM_INDEX[test["arm_this_week"]]
    program.arm_now[i] = arm
    n_arms = int(round(1.0 / float(test["assignment_probability"])))
    allowed = before["allowed"][i] if before["status"][i] == TEST else np.ones(3, bool)
    if not (allowed[arm] and allowed[0] and allowed.sum() == n_arms):
        allowed = np.ones(3, bool)
        if n_arms == 2:
            other = _other_arm(program, i, test, arm, before["allowed"][i])
            allowed[:] = False
            allowed[[0, arm if arm != 0 else other]] = True
    program.allowed[i] = allowed
    arms = np.flatnonzero(allowed)
    if arms[(program.phase[i] + week) % len(arms)] != arm:
        program.phase[i] = (int(np.flatnonzero(arms == arm)[0]) - week) % len(arms)


def _other_arm(program: TestProgram, i: int, test: dict, arm: int, replay_allowed: np.ndarray) -> int:
    """The moved arm (1 up, 2 down) a test on two arms kept, when this week's arm is the centre (module docstring)."""
    moved = [k for k in (1, 2) if replay_allowed[k]]
    if len(moved) == 1:
        return moved[0]
    for row in reversed(test.get("history") or []):
        for k in (1, 2):
            if abs(float(row["price"]) - program.arm_prices[i][k]) < 0.005:
                return k
    return 1
