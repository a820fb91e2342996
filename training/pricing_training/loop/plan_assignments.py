"""The assignments a week's plan makes, as the service records them in its ledger, and the weekly update's check of
its replay against them (docs/weekly-update.md, "What the service served").

The service records every plan it loads (Sources/PricingAPI/PlanAssignmentRecorder.swift, table `assignments` of
docs/ledger.md): one row per test running that week (status `testing`) with the plan's id, the product, the week (the
plan's Monday), the price posted, the arm (low, current, high) and the probability it was drawn with, and one per
product in the holdout (`holdout.members`: arm `holdout`, its current price, the probability π it was held out with).
`week_plan`
makes the same rows from the test program right after `plan(week)`, as experiments.plan_document writes them into
experiments.json (tests/test_plan_assignments.py checks that they agree on a published plan), so the stateless
replay can tell, week by week, whether the service served the plan it recomputes.

The plan in force in a week is the one the ledger recorded last for it (a plan re-published within its week replaces
the first). A week whose recorded plan has another id than the replay's means the replay no longer follows what was
served (settings changed, another base, sales added to a past week after its plan was made): `cross_check` lists
those weeks and the weekly update refuses to plan on them unless told to. A week whose plan document the ledger
records (table `plans`) is not recomputed but followed (served_plans.py), so it only differs here when its assignments
and its document disagree. Prices, arms and probabilities that differ
under the same plan id, and weeks the service recorded nothing for, are reported, not refused. A week recorded without
a single holdout row (by a service, or from a plan, older than holdout recording) is compared on its tests only and
listed as such, rather than reported product by product.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json

import numpy as np
import pandas as pd

from . import experiments
from .plan import HOLDOUT, TEST

COLUMNS = ["stockcode", "price", "arm", "probability"]
DIFF_COLUMNS = ["week_start", "stockcode", "field", "recorded", "replayed"]
HOLDOUT_ARM = "holdout"
RELATIVE = 1e-9  # prices and probabilities travel as JSON numbers and database doubles: equal to the last bits


@dataclasses.dataclass(eq=False)
class WeekPlan:
    """One week's plan as the service records it: its id and its assignments (COLUMNS, by stockcode): the running
    tests and the holdout (arm `holdout`)."""

    week_start: dt.date
    plan_id: str
    tests: pd.DataFrame

    def matches(self, other: "WeekPlan") -> bool:
        """The same week, plan id and rows (prices and probabilities to the last bits)."""
        return (self.week_start == other.week_start and self.plan_id == other.plan_id
                and not compare(self.week_start, self, other.tests))


def week_plan(program, week_start: dt.date) -> WeekPlan:
    """The plan `program` made for the week starting on the Monday `week_start`, right after `program.plan(week)`:
    the plan_id, running tests and holdout members experiments.plan_document would write for it."""
    in_plan = np.flatnonzero(np.isin(program.status, list(experiments.STATUS)))
    codes = [str(program.start.stockcodes[i]) for i in in_plan]
    iso = week_start.isocalendar()
    plan_id = f"{iso[0]}-W{iso[1]:02d}-{hashlib.sha256(json.dumps(codes).encode()).hexdigest()[:6]}"
    testing = [i for i in in_plan if program.status[i] == TEST]
    arm = [int(program.arm_now[i]) for i in testing]
    tests = pd.DataFrame({"stockcode": [str(program.start.stockcodes[i]) for i in testing],
                          "price": [float(program.arm_prices[i][a]) for i, a in zip(testing, arm)],
                          "arm": [experiments.ARM_NAMES[a] for a in arm],
                          "probability": [round(float(program.probability_now[i]), 4) for i in testing]},
                         columns=COLUMNS)
    held = np.flatnonzero(program.status == HOLDOUT)
    holdout = pd.DataFrame({"stockcode": [str(program.start.stockcodes[i]) for i in held],
                            "price": [float(program.p0[i]) for i in held], "arm": HOLDOUT_ARM,
                            "probability": [float(program.holdout_pi[i]) for i in held]}, columns=COLUMNS)
    frames = [f for f in (tests, holdout) if len(f)]
    rows = pd.concat(frames, ignore_index=True) if frames else tests
    return WeekPlan(week_start, plan_id, rows.sort_values("stockcode", ignore_index=True))


def from_document(doc: dict) -> WeekPlan:
    """The rows the service records for experiments.json `doc`: its running tests and its holdout members (none in a
    plan written before they were listed)."""
    rows = [(t["stockcode"], float(t["price_this_week"]), t["arm_this_week"], float(t["assignment_probability"]))
            for t in doc["tests"] if t["status"] == "testing"]
    rows += [(m["stockcode"], float(m["price_this_week"]), HOLDOUT_ARM, float(m["assignment_probability"]))
             for m in doc["holdout"].get("members", [])]
    tests = pd.DataFrame(rows, columns=COLUMNS).sort_values("stockcode", ignore_index=True)
    return WeekPlan(dt.date.fromisoformat(doc["week_start"]), doc["plan_id"], tests)


@dataclasses.dataclass
class CrossCheck:
    """The replay against the ledger's `assignments` (module docstring)."""

    read: bool  # the ledger has an `assignments` table
    weeks: list[dt.date]  # the replayed weeks
    recorded: list[dt.date]  # replayed weeks the service recorded a plan for
    other_plans: pd.DataFrame  # week_start, recorded, replayed: weeks whose plan in force has another id
    replaced: pd.DataFrame  # week_start, plan_id: plans recorded for a week and replaced within it
    differences: pd.DataFrame  # DIFF_COLUMNS: tests recorded otherwise than replayed, per week and product
    planned: WeekPlan  # the plan this run makes
    planned_recorded: str | None  # the plan id the ledger already records for the planned week, if any
    # replayed weeks whose plan in force was recorded without a holdout row while the replay holds products out: a
    # service or a plan from before holdouts were recorded; their tests are compared, their holdout is not
    without_holdout: list[dt.date] = dataclasses.field(default_factory=list)

    @property
    def unrecorded(self) -> list[dt.date]:
        return [w for w in self.weeks if w not in set(self.recorded)]


def in_force(recorded: pd.DataFrame) -> tuple[str, list[str]]:
    """The plan in force among one week's recorded rows (plan_id, recorded_at, ...): the one recorded last (on a tie,
    the highest id), and the ids it replaced, oldest first."""
    first = recorded.groupby("plan_id", sort=True)["recorded_at"].min().reset_index()
    order = first.sort_values(["recorded_at", "plan_id"], kind="stable")["plan_id"].tolist()
    return order[-1], order[:-1]


def compare(week: dt.date, plan: WeekPlan, rows: pd.DataFrame) -> list[dict]:
    """The differences between the replayed `plan` and the recorded `rows` of one plan in one week, by product."""
    mine = plan.tests.set_index("stockcode")
    theirs = rows.drop_duplicates("stockcode").set_index("stockcode")
    out = []
    for code in sorted(set(mine.index) | set(theirs.index)):
        if code not in theirs.index:
            out.append(dict(week_start=week, stockcode=code, field="not recorded", recorded=None,
                            replayed=f"{mine.at[code, 'arm']} {mine.at[code, 'price']:.2f}"))
            continue
        if code not in mine.index:
            out.append(dict(week_start=week, stockcode=code, field="not in the replay",
                            recorded=f"{theirs.at[code, 'arm']} {theirs.at[code, 'price']:.2f}", replayed=None))
            continue
        for field in ("arm", "price", "probability"):
            a, b = theirs.at[code, field], mine.at[code, field]
            same = a == b if field == "arm" else abs(float(a) - float(b)) <= RELATIVE * max(abs(float(a)), abs(float(b)))
            if not same:
                out.append(dict(week_start=week, stockcode=code, field=field, recorded=a, replayed=b))
    return out


def cross_check(replayed: list[WeekPlan], planned: WeekPlan, recorded: pd.DataFrame | None) -> CrossCheck:
    """Each replayed week's plan against the plan in force the ledger records for it (`recorded`: the `assignments`
    rows of those weeks, ledger_source.SalesLedger.assignments; None when the ledger has no such table)."""
    weeks = [p.week_start for p in replayed]
    empty = CrossCheck(recorded is not None, weeks, [], pd.DataFrame(columns=["week_start", "recorded", "replayed"]),
                       pd.DataFrame(columns=["week_start", "plan_id"]), pd.DataFrame(columns=DIFF_COLUMNS), planned, None)
    if recorded is None or recorded.empty:
        return empty
    by_week = {dt.date.fromisoformat(w): rows for w, rows in recorded.groupby("week_start", sort=True)}
    found, other, replaced, differences, without_holdout = [], [], [], [], []
    for plan in replayed:
        rows = by_week.get(plan.week_start)
        if rows is None:
            continue
        found.append(plan.week_start)
        current, earlier = in_force(rows)
        replaced += [{"week_start": plan.week_start, "plan_id": p} for p in earlier]
        if current != plan.plan_id:
            other.append({"week_start": plan.week_start, "recorded": current, "replayed": plan.plan_id})
        served = rows[rows["plan_id"] == current]
        held = plan.tests["arm"] == HOLDOUT_ARM
        if held.any() and not (served["arm"] == HOLDOUT_ARM).any():
            without_holdout.append(plan.week_start)
            plan = dataclasses.replace(plan, tests=plan.tests[~held].reset_index(drop=True))
        differences += compare(plan.week_start, plan, served)
    planned_rows = by_week.get(planned.week_start)
    return dataclasses.replace(
        empty, recorded=found, other_plans=pd.DataFrame(other, columns=["week_start", "recorded", "replayed"]),
        replaced=pd.DataFrame(replaced, columns=["week_start", "plan_id"]),
        differences=pd.DataFrame(differences, columns=DIFF_COLUMNS),
        planned_recorded=None if planned_rows is None else in_force(planned_rows)[0], without_holdout=without_holdout)


def _shown(items: list[str], shown: int) -> str:
    more = f" and {len(items) - shown} more" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more


def _difference(r) -> str:
    if r.field == "not recorded":
        return f"{r.stockcode} not recorded (replayed {r.replayed})"
    if r.field == "not in the replay":
        return f"{r.stockcode} recorded {r.recorded}, not in the replay"
    value = (lambda v: v) if r.field == "arm" else (lambda v: f"{float(v):g}")
    return f"{r.stockcode} {r.field} recorded {value(r.recorded)} replayed {value(r.replayed)}"


def describe(check: CrossCheck, shown: int = 5) -> list[str]:
    """What the weekly update prints about the check (deterministic: weeks and products in order)."""
    if not check.read:
        return ["assignments: the ledger has no `assignments` table (not a pricing-server ledger): the replay was not "
                "checked against the plans the service served"]
    agree = len(check.recorded) - len(check.other_plans)
    out = [f"assignments: the service recorded the plan of {len(check.recorded)} of {len(check.weeks)} replayed "
           f"week(s); {agree} of them the replay's own"]
    if check.unrecorded:
        out.append("weeks with no plan recorded (the service served none, or recorded into another ledger): "
                   + _shown([w.isoformat() for w in check.unrecorded], shown))
    for r in check.other_plans.itertuples():
        out.append(f"week {r.week_start}: the service served plan {r.recorded}, the replay makes plan {r.replayed}")
    for week, group in check.replaced.groupby("week_start", sort=True):
        out.append(f"week {week}: plan(s) {', '.join(group['plan_id'])} recorded first, then replaced within the week")
    if check.without_holdout:
        out.append("weeks recorded without their holdout (by a service or from a plan older than holdout recording; "
                   "their tests were compared): " + _shown([w.isoformat() for w in check.without_holdout], shown))
    for week, group in check.differences.groupby("week_start", sort=True):
        cases = [_difference(r) for r in group.itertuples()]
        out.append(f"week {week}: {len(group)} assignment(s) recorded otherwise than replayed: {_shown(cases, shown)}")
    if check.planned_recorded is not None:
        same = check.planned_recorded == check.planned.plan_id
        out.append(f"week {check.planned.week_start} (planned): the ledger already records "
                   + ("this very plan" if same else f"plan {check.planned_recorded}; this plan replaces it once served"))
    return out


def refusal(check: CrossCheck, ledger_name: str, shown: int = 5) -> str:
    """The weekly update's error when the replay's plans are not the ones the service served."""
    weeks = [f"week {r.week_start} served {r.recorded}, replayed {r.replayed}" for r in check.other_plans.itertuples()]
    return (f"{ledger_name}: the service served other plans than the replay makes in {len(weeks)} week(s): "
            f"{_shown(weeks, shown)}. These weeks have no plan document in the ledger (table `plans`; a week with one "
            "follows it and is not recomputed), and the replay recomputes them otherwise than they were served: the "
            "settings (--seed, --delta, --share, --catalogue) or the base are not the ones they were planned with, or "
            "sales were added to a past week after its plan was made. Run with the settings used before, or pass "
            "--accept-other-plans to plan on the replay anyway (docs/weekly-update.md)")
