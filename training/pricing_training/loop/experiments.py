"""The loop's plan as `experiments.json` (docs/experiments.md, the contract the Swift service reads), and a check
of a plan against that contract.

`PlanHistory` keeps, week by week, what the plan document needs beyond the test program's state (the posted
price, the units the ledger recorded, the posterior's elasticity after the week); `plan_document` writes the
document for the week about to be priced. `check` applies every rule of docs/experiments.md and raises
`PlanFormatError` naming the field, as the service's load does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math

import numpy as np

from . import batch_decision
from .plan import COMMITTED, HOLDOUT, STOPPED, TEST, TestProgram
from .update import Posterior

PLAN_FILE = "experiments.json"
PERMUTATIONS = 1000  # re-draws of the holdout for the lift's interval
STATUS = {TEST: "testing", COMMITTED: "committed", STOPPED: "stopped"}
ARM_NAMES = ("current", "high", "low")  # arm_prices' columns: centre, up, down
PLAN_ARMS = ("low", "current", "high", "committed")


class PlanFormatError(ValueError):
    """A plan that breaks docs/experiments.md; the message names the field."""


class PlanHistory:
    """Per week: the Monday it started, posted prices [P], units sold [P], elasticity mean and SD after it [P]."""

    def __init__(self) -> None:
        self.weeks: list[dict] = []

    def add(self, week_start: dt.date, posted: np.ndarray, units: np.ndarray, post: Posterior, program: TestProgram
            ) -> None:
        e = batch_decision.elasticity_draws(post.draws, program.start.ref, program.p0 / program.start.scale)
        self.weeks.append({"week_start": week_start, "posted": np.asarray(posted, float).copy(),
                           "units": np.asarray(units, float).copy(), "mean": e.mean(axis=1), "sd": e.std(axis=1)})


def holdout_lift(realized: np.ndarray, start, program: TestProgram, seed: int) -> dict:
    """The tested products' revenue over what the randomized holdout says they would have earned at their current
    price, with a 90% interval from the randomization itself (docs/learning-loop.md, "The holdout lift").

    `realized` [T, P]: the revenue the ledger recorded per loop week so far. Each product chosen for a test goes to
    the holdout at random (plan.py), so tested and held-out products differ only by chance and by the test. Each is
    counted from the week it was randomized (`program.assigned`; before it, a holdout posted what the loop posts):
    its revenue since then Y_i against its own pre-period X_i, its mean weekly revenue over the training year's
    weeks since its first sale times its weeks since randomization:

        lift = (Σ_tested Y / Σ_tested X) / (Σ_holdout Y / Σ_holdout X) − 1,

    a ratio of sums, so it estimates the revenue-weighted lift the truth is (the tested products' revenue at the
    loop's prices over their revenue at the current price), and unbiased by design: X is fixed before the
    randomization and only scales the comparison (each product's size, the season and the shop's growth since the
    training year divide out). Only products with a pre-period (X > 0) count, a rule fixed before the draw.

    The interval inverts the randomization test: the tested products' revenue divided by (1 + lift) is what they
    would have sold untested if the lift were the same for all; re-drawing which products were held out (the same
    counts, PERMUTATIONS times) gives the spread of the estimate under no effect, from the products' own lumpy,
    heavy-tailed sales rather than from a normal approximation. `estimate` is None with fewer than 5 products in
    either group; `tested_index` are the tested products counted (the report's truth sums over them).

    Unequal holdout probabilities (`program.holdout_pi`, PlanConfig.holdout_design="cost"): each product counts in its
    group with the weight 1 / P(its group), 1 / (1 − π_i) tested and 1 / π_i held out, in both sums (Hájek), so each
    group's ratio estimates that of every randomized product; the re-draws hold each product out with its own π_i
    (independent draws, those with fewer than 5 a side dropped). `tested_weight` are the tested products' weights (the
    report's truth weights them alike). With equal probabilities this is the unweighted estimate above."""
    realized = np.asarray(realized, np.float64)
    weeks = realized.shape[0]
    assigned = np.asarray(program.assigned)
    since = np.arange(weeks)[:, None] >= assigned[None, :]
    y = np.where(since, realized, 0.0).sum(axis=0)
    listed = start.weekly_revenue.shape[1] - np.argmax(start.weekly_revenue > 0, axis=1)
    x = start.weekly_revenue.sum(axis=1) / listed * np.maximum(weeks - assigned, 0)
    randomized = (assigned >= 0) & (assigned < weeks) & (x > 0)
    tested = np.flatnonzero(program.ever_tested & randomized)
    held = np.flatnonzero((program.status == HOLDOUT) & randomized)
    pi = getattr(program, "holdout_pi", None)
    both = np.concatenate([tested, held])
    weighted = pi is not None and len(both) > 0 and np.ptp(np.asarray(pi)[both]) > 1e-12
    out = {"tested": int(len(tested)), "holdout": int(len(held)), "estimate": None, "tested_index": tested,
           "tested_weight": 1.0 / (1.0 - np.asarray(pi)[tested]) if weighted else np.ones(len(tested)),
           "weighted": bool(weighted)}
    if len(tested) < 5 or len(held) < 5 or y[held].sum() <= 0 or y[tested].sum() <= 0:
        return out
    rng = np.random.default_rng([seed, 23])
    if weighted:
        return out | _weighted_lift(y[both], x[both], np.asarray(pi, np.float64)[both], len(tested), rng)

    def ratio(yy, t_idx, h_idx):
        return yy[t_idx].sum(axis=-1) / x[t_idx].sum(axis=-1) / (yy[h_idx].sum(axis=-1) / x[h_idx].sum(axis=-1)) - 1

    estimate = float(ratio(y, tested, held))
    untested = y.copy()
    untested[tested] /= 1.0 + estimate
    draws = both[np.argsort(rng.random((PERMUTATIONS, len(both))), axis=1)]
    null = ratio(untested, draws[:, :len(tested)], draws[:, len(tested):])
    q5, q95 = np.quantile(null, [0.05, 0.95])
    out.update(estimate=estimate, interval_90=[float((1 + estimate) / (1 + q95) - 1),
                                               float((1 + estimate) / (1 + q5) - 1)])
    return out


def _weighted_lift(y: np.ndarray, x: np.ndarray, pi: np.ndarray, n_tested: int, rng) -> dict:
    """The Hájek lift and its randomization interval (holdout_lift) over the randomized products `y`, `x`, `pi` [n],
    the first `n_tested` of them tested."""
    def ratio(yy, held):  # held [..., n] bool
        wt, wh = np.where(held, 0.0, 1.0 / (1.0 - pi)), np.where(held, 1.0 / pi, 0.0)
        return ((wt * yy).sum(axis=-1) / (wt * x).sum(axis=-1)) / ((wh * yy).sum(axis=-1) / (wh * x).sum(axis=-1)) - 1

    held = np.arange(len(y)) >= n_tested
    estimate = float(ratio(y, held))
    untested = y.copy()
    untested[~held] /= 1.0 + estimate
    redrawn = rng.random((PERMUTATIONS, len(y))) < pi[None, :]
    sides = redrawn.sum(axis=1)
    redrawn = redrawn[(sides >= 5) & (len(y) - sides >= 5)]
    with np.errstate(divide="ignore", invalid="ignore"):
        null = ratio(untested[None, :], redrawn)
    null = null[np.isfinite(null)]
    q5, q95 = np.quantile(null, [0.05, 0.95])
    return {"estimate": estimate, "interval_90": [float((1 + estimate) / (1 + q95) - 1),
                                                  float((1 + estimate) / (1 + q5) - 1)]}


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def plan_document(program: TestProgram, post: Posterior, history: PlanHistory, week: int, week_start: dt.date,
                  lift: dict | None = None) -> dict:
    """experiments.json for `week` (the week about to be priced, starting on the Monday `week_start`), after
    `program.plan(week, post)` has run. `lift`: the holdout lift so far ({"estimate", "interval_90"}) or None."""
    week_start = monday(week_start)
    start, cfg = program.start, program.cfg
    in_plan = np.flatnonzero(np.isin(program.status, list(STATUS)))
    panel = program.p0 / start.scale
    e = batch_decision.elasticity_draws(post.draws, start.ref, panel)
    arms_panel = program.arm_prices / start.scale[:, None]
    value = arms_panel[:, None, :] * batch_decision.multipliers(post.draws, start.ref, arms_panel)  # [P, S, 3]
    now = panel[:, None] * batch_decision.multipliers(post.draws, start.ref, panel[:, None])[:, :, 0]
    best = np.argmax(value.mean(axis=1), axis=1)
    p_gain = (value[np.arange(len(best)), :, best] > now).mean(axis=1)
    tests = []
    for i in in_plan:
        status = STATUS[int(program.status[i])]
        arms = program.arm_prices[i]
        if status == "committed":
            price, arm = float(program.committed[i]), "committed"
        elif status == "testing":
            price, arm = float(arms[program.arm_now[i]]), ARM_NAMES[int(program.arm_now[i])]
        else:
            price, arm = float(history.weeks[-1]["posted"][i]) if history.weeks else float(program.p0[i]), "current"
        begun = int(program.started[i])
        rows = [{"week_start": h["week_start"].isoformat(), "price": float(h["posted"][i]),
                 "units": max(float(h["units"][i]), 0.0), "elasticity_mean": float(h["mean"][i]),
                 "elasticity_sd": float(h["sd"][i])} for h in history.weeks[max(begun, 0):]]
        tests.append({
            "stockcode": str(start.stockcodes[i]), "status": status,
            "arms": [float(arms[2]), float(arms[0]), float(arms[1])], "current_price": float(program.p0[i]),
            "price_this_week": price, "arm_this_week": arm,
            "assignment_probability": round(float(program.probability_now[i]), 4) if status == "testing" else 1.0,
            # π_i, the chance it had of going to the holdout instead, set before its draw: the lift weights it by
            # 1 / (1 − π_i), so a replay following this plan needs the π that was served (served_plans.follow)
            "holdout_probability": float(program.holdout_pi[i]),
            "started_week": (week_start - dt.timedelta(weeks=week - max(begun, 0))).isoformat(),
            # plan(week) has counted the week it prices: weeks run are the ones before it
            "weeks_run": int(program.weeks_tested[i]) - (status == "testing"), "elasticity_sd_start": float(program.sd_start[i]),
            "elasticity_sd_now": float(e[i].std()), "probability_best_arm_gains": float(p_gain[i]),
            "revenue_given_up": float(program.given_up[i]), "history": rows})
    # The plan id names the tests only (as before holdouts were listed), so a replay keeps the ids already recorded.
    tag = hashlib.sha256(json.dumps([t["stockcode"] for t in tests]).encode()).hexdigest()[:6]
    iso = week_start.isocalendar()
    has_lift = lift is not None and lift.get("estimate") is not None
    return {
        "plan_id": f"{iso[0]}-W{iso[1]:02d}-{tag}", "week_start": week_start.isoformat(), "weeks_run": int(week),
        "guardrails": {"max_share_under_test": cfg.share, "max_step_pct": round(100 * program.delta, 6),
                       "max_revenue_at_risk_pct": 100 * cfg.risk_budget,
                       "stop_loss_probability": cfg.stop_probability if cfg.stop_probability <= 1 else 1.0},
        "holdout": {"products": int((program.status == HOLDOUT).sum()),
                    "lift": float(lift["estimate"]) if has_lift else None,
                    "lift_p5": float(lift["interval_90"][0]) if has_lift else None,
                    "lift_p95": float(lift["interval_90"][1]) if has_lift else None,
                    "members": holdout_members(program, week, week_start)},
        "revenue_given_up": float(program.given_up.sum()), "tests": tests}


def holdout_members(program: TestProgram, week: int, week_start: dt.date) -> list[dict]:
    """The products held out this week, by stockcode: each is kept at its current list price (plan.py posts `p0`),
    drawn into the holdout with probability π (`holdout_pi`, set before its draw) in the week `assigned`. Each is an
    assignment of the week, recorded in the ledger with arm `holdout` (docs/ledger.md)."""
    held = np.flatnonzero(program.status == HOLDOUT)
    members = [{"stockcode": str(program.start.stockcodes[i]), "price_this_week": float(program.p0[i]),
                "assignment_probability": float(program.holdout_pi[i]),
                "assigned_week": (week_start - dt.timedelta(weeks=week - int(program.assigned[i]))).isoformat()}
               for i in held]
    return sorted(members, key=lambda m: m["stockcode"])


# ---- the contract (docs/experiments.md) ------------------------------------------------------------------------------
def _fail(field: str, why: str):
    raise PlanFormatError(f"experiments.json: malformed: field {field} {why}")


def _unique_stockcode(item: dict, f: str, seen: set) -> str:
    """`item`'s stockcode (field `f`.stockcode): a non-empty string not in `seen`, then added to it."""
    code = _get(item, "stockcode", f"{f}.stockcode")
    if not isinstance(code, str) or not code:
        _fail(f"{f}.stockcode", "is not a non-empty string")
    if code in seen:
        _fail(f"{f}.stockcode", f"{code} appears twice")
    seen.add(code)
    return code


def _get(obj: dict, key: str, field: str):
    if not isinstance(obj, dict) or key not in obj:
        _fail(field, "is missing")
    return obj[key]


def _number(v, field: str, lo: float | None = None, hi: float | None = None, open_lo: bool = False,
            open_hi: bool = False, null: bool = False):
    if v is None and null:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        _fail(field, f"{v!r} is not a number")
    if lo is not None and (v < lo or (open_lo and v == lo)):
        _fail(field, f"{v!r} is out of range")
    if hi is not None and (v > hi or (open_hi and v == hi)):
        _fail(field, f"{v!r} is out of range")
    return v


def _count(v, field: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        _fail(field, f"{v!r} is not an integer >= 0")
    return v


def _date(v, field: str, must_be_monday: bool = False) -> dt.date:
    try:
        day = dt.date.fromisoformat(v) if isinstance(v, str) and len(v) == 10 else None
    except ValueError:
        day = None
    if day is None:
        _fail(field, f"{v!r} is not a date YYYY-MM-DD")
    if must_be_monday and day.weekday() != 0:
        _fail(field, f"{v} is not a Monday")
    return day


def check(doc: dict) -> None:
    """Raises PlanFormatError unless `doc` keeps every rule of docs/experiments.md."""
    if not isinstance(doc, dict):
        raise PlanFormatError("experiments.json: malformed: not a JSON object")
    pid = _get(doc, "plan_id", "plan_id")
    if not isinstance(pid, str) or not pid:
        _fail("plan_id", "is not a non-empty string")
    _date(_get(doc, "week_start", "week_start"), "week_start", must_be_monday=True)
    _count(_get(doc, "weeks_run", "weeks_run"), "weeks_run")
    g = _get(doc, "guardrails", "guardrails")
    _number(_get(g, "max_share_under_test", "guardrails.max_share_under_test"), "guardrails.max_share_under_test", 0, 1)
    _number(_get(g, "max_step_pct", "guardrails.max_step_pct"), "guardrails.max_step_pct", 0, 100, True, True)
    _number(_get(g, "max_revenue_at_risk_pct", "guardrails.max_revenue_at_risk_pct"),
            "guardrails.max_revenue_at_risk_pct", 0)
    _number(_get(g, "stop_loss_probability", "guardrails.stop_loss_probability"), "guardrails.stop_loss_probability",
            0, 1)
    h = _get(doc, "holdout", "holdout")
    _count(_get(h, "products", "holdout.products"), "holdout.products")
    lift = [_number(_get(h, k, f"holdout.{k}"), f"holdout.{k}", -1, null=True) for k in ("lift", "lift_p5", "lift_p95")]
    if lift[1] is not None and lift[2] is not None and lift[1] > lift[2]:
        _fail("holdout.lift_p5", "is above holdout.lift_p95")
    _number(_get(doc, "revenue_given_up", "revenue_given_up"), "revenue_given_up")
    tests = _get(doc, "tests", "tests")
    if not isinstance(tests, list):
        _fail("tests", "is not an array")
    seen = set()
    for k, t in enumerate(tests):
        f = f"tests[{k}]"
        code = _unique_stockcode(t, f, seen)
        status = _get(t, "status", f"{f}.status")
        if status not in STATUS.values():
            _fail(f"{f}.status", f"{status!r} is not testing, committed or stopped")
        arms = _get(t, "arms", f"{f}.arms")
        if (not isinstance(arms, list) or len(arms) != 3
                or any(isinstance(a, bool) or not isinstance(a, (int, float)) or not a > 0 for a in arms)
                or not arms[0] < arms[1] < arms[2]):
            _fail(f"{f}.arms", f"{arms!r} is not three ascending positive prices [low, current, high]")
        _number(_get(t, "current_price", f"{f}.current_price"), f"{f}.current_price", 0, open_lo=True)
        price = _number(_get(t, "price_this_week", f"{f}.price_this_week"), f"{f}.price_this_week", 0, open_lo=True)
        arm = _get(t, "arm_this_week", f"{f}.arm_this_week")
        if arm not in PLAN_ARMS:
            _fail(f"{f}.arm_this_week", f"{arm!r} is not low, current, high or committed")
        if (arm == "committed") != (status == "committed"):
            _fail(f"{f}.arm_this_week", "is committed exactly when status is committed")
        if status == "testing":
            named = arms[("low", "current", "high").index(arm)] if arm != "committed" else None
            if named is None or abs(price - named) > 1e-9 * abs(named):
                _fail(f"{f}.price_this_week", f"{price} is not the arm {arm} names")
        _number(_get(t, "assignment_probability", f"{f}.assignment_probability"), f"{f}.assignment_probability", 0, 1)
        if "holdout_probability" in t:  # optional: plans written before it have none; present, never null
            _number(t["holdout_probability"], f"{f}.holdout_probability", 0, 1, open_hi=True)
        _date(_get(t, "started_week", f"{f}.started_week"), f"{f}.started_week")
        _count(_get(t, "weeks_run", f"{f}.weeks_run"), f"{f}.weeks_run")
        _number(_get(t, "elasticity_sd_start", f"{f}.elasticity_sd_start"), f"{f}.elasticity_sd_start", 0)
        _number(_get(t, "elasticity_sd_now", f"{f}.elasticity_sd_now"), f"{f}.elasticity_sd_now", 0)
        _number(_get(t, "probability_best_arm_gains", f"{f}.probability_best_arm_gains"),
                f"{f}.probability_best_arm_gains", 0, 1)
        _number(_get(t, "revenue_given_up", f"{f}.revenue_given_up"), f"{f}.revenue_given_up")
        hist = _get(t, "history", f"{f}.history")
        if not isinstance(hist, list):
            _fail(f"{f}.history", "is not an array")
        for j, row in enumerate(hist):
            r = f"{f}.history[{j}]"
            _date(_get(row, "week_start", f"{r}.week_start"), f"{r}.week_start")
            _number(_get(row, "price", f"{r}.price"), f"{r}.price", 0, open_lo=True)
            _number(_get(row, "units", f"{r}.units"), f"{r}.units", 0)
            _number(_get(row, "elasticity_mean", f"{r}.elasticity_mean"), f"{r}.elasticity_mean")
            _number(_get(row, "elasticity_sd", f"{r}.elasticity_sd"), f"{r}.elasticity_sd", 0)
    if "members" in h:  # optional: plans written before it have none
        _check_members(h["members"], h["products"], doc["week_start"], {t["stockcode"] for t in tests})


def _check_members(members, products: int, week_start: str, tested: set[str]) -> None:
    """holdout.members (optional): one entry per held-out product, as many as holdout.products, none twice and none
    in tests, each kept at a positive price, drawn with a probability in (0, 1] on a Monday no later than the plan's."""
    if not isinstance(members, list):
        _fail("holdout.members", "is not an array")
    if len(members) != products:
        _fail("holdout.members", f"lists {len(members)} product(s), holdout.products says {products}")
    week = dt.date.fromisoformat(week_start)
    seen = set()
    for k, m in enumerate(members):
        f = f"holdout.members[{k}]"
        code = _unique_stockcode(m, f, seen)
        if code in tested:
            _fail(f"{f}.stockcode", f"{code} is also in tests (a product is tested or held out, not both)")
        _number(_get(m, "price_this_week", f"{f}.price_this_week"), f"{f}.price_this_week", 0, open_lo=True)
        _number(_get(m, "assignment_probability", f"{f}.assignment_probability"), f"{f}.assignment_probability", 0, 1,
                open_lo=True)
        day = _date(_get(m, "assigned_week", f"{f}.assigned_week"), f"{f}.assigned_week", must_be_monday=True)
        if day > week:
            _fail(f"{f}.assigned_week", f"{day} is after week_start {week}")
