"""The test plan's revenue-at-risk budget when the posterior is wrong by an error all products share (plan.py,
PlanConfig.risk_shift and budget_arms): synthetic products, no fit, no world."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from pricing_training.loop import batch_decision, update
from pricing_training.loop.plan import TEST, PlanConfig
from pricing_training.loop.plan import TestProgram as Program
from pricing_training.loop.start import Start

SLOPE_SD = 0.4


def wrong_start(p: int, rng) -> tuple[Start, np.ndarray]:
    """A catalogue whose starting posterior says b = −1.2 to −2.2 (± SLOPE_SD: a price cut pays) at today's price."""
    p0 = np.full(p, 10.0)
    mean = np.column_stack([rng.uniform(-2.2, -1.2, p), np.full(p, -0.3)])
    start = Start(index=np.arange(p), stockcodes=np.array([f"{30000 + i}" for i in range(p)]), mean=mean, cov=np.tile(np.diag([SLOPE_SD ** 2, 0.2 ** 2]), (p, 1, 1)),
                  ref=np.log(p0), delta0=np.zeros(p), scale=np.ones(p), units=rng.uniform(50, 150, p),
                  revenue=rng.uniform(500, 1500, p), season_revenue=rng.uniform(2e4, 8e4, p),
                  season_listed=np.ones(p, bool), groups=np.arange(p) % 3, week_monday=4 + 7 * np.arange(53),
                  weekly_units=rng.uniform(50, 150, (p, 53)), weekly_revenue=rng.uniform(500, 1500, (p, 53)))
    return start, p0


def true_cost_share(program: Program, posted: np.ndarray, truth: np.ndarray) -> float:
    """The week's revenue given up by the moved test arms (up, down) against today's price, under a truth of slope
    `truth` [P] (curvature as the posterior's mean), as a share of the tested products' revenue: the report's
    testing cost for one week."""
    start, p0 = program.start, program.p0
    testing = program.status == TEST
    moved = testing & (program.arm_now > 0)
    d = np.log(posted / p0)
    ratio = np.exp(d + truth * d + start.mean[:, 1] * d ** 2)  # revenue at the posted price over today's
    revenue = start.revenue
    return float(((1.0 - ratio) * revenue)[moved].sum() / revenue[testing].sum())


def scenario_costs(program: Program, posted: np.ndarray, post: update.Posterior, shift: float) -> list[float]:
    """The moved arms' expected cost under the posterior and with every slope draw shifted by ∓ shift × SLOPE_SD,
    as a share of the tested products' revenue."""
    start, p0 = program.start, program.p0
    testing = program.status == TEST
    moved = testing & (program.arm_now > 0)
    out = []
    for s in (-shift * SLOPE_SD, 0.0, shift * SLOPE_SD):
        draws = post.draws.copy()
        draws[:, :, 0] += s
        change, _ = batch_decision.arm_risk(draws, start.ref, p0, posted[:, None], program.cfg.stop_loss)
        out.append(float((-change[moved, 0] * start.revenue[moved]).sum() / start.revenue[testing].sum()))
    return out


@pytest.mark.parametrize("shift", [2.0, 3.0])
def test_every_scenario_of_the_robust_budget_fits(shift):
    rng = np.random.default_rng(31)
    p = 150
    start, p0 = wrong_start(p, rng)
    post = update.starting(start, seed=5)
    base = PlanConfig(share=0.3, decision="rule", holdout_probability=0.0)
    robust = dataclasses.replace(base, risk_shift=shift, budget_arms="moved")
    plain, careful = Program(start, p0, p, base, seed=7), Program(start, p0, p, robust, seed=7)
    worst_plain = []
    for week in range(3):
        worst_plain.append(max(scenario_costs(plain, plain.plan(week, post)[0], post, shift)))
        posted, _ = careful.plan(week, post)
        assert (careful.status == TEST).any() and (careful.arm_now > 0).any()
        # Under the posterior and with every slope shifted by ± shift × the shared error's SD (before re-learning:
        # correction_prior × the starting SD), the moved arms' expected cost fits the budget.
        assert max(scenario_costs(careful, posted, post, shift)) <= robust.risk_budget + 1e-9
    # The posterior's mean alone would have let some scenario's cost pass the budget (the bound is not idle).
    assert max(worst_plain) > base.risk_budget


def test_a_truth_two_shared_sds_off_keeps_the_realized_cost_within_the_budget():
    """The truth is the posterior's mean shifted by two shared SDs toward less elastic demand (the scenario worlds'
    case: a posterior that says a cut pays where it pays less or loses): the arms the posterior's mean prices as
    cheap cost over the budget; the budget robust to that shift keeps the realized cost within it."""
    rng = np.random.default_rng(32)
    p = 150
    start, p0 = wrong_start(p, rng)
    post = update.starting(start, seed=6)
    truth = start.mean[:, 0] + 2.0 * SLOPE_SD
    base = PlanConfig(share=0.3, decision="rule", holdout_probability=0.0)
    robust = dataclasses.replace(base, risk_shift=2.0, budget_arms="moved")
    costs = {}
    for name, cfg in (("plain", base), ("robust", robust)):
        program = Program(start, p0, p, cfg, seed=8)
        costs[name] = [true_cost_share(program, program.plan(week, post)[0], truth) for week in range(3)]
    assert max(costs["plain"]) > base.risk_budget
    assert max(costs["robust"]) <= robust.risk_budget + 1e-9


def test_budget_arms_is_checked():
    rng = np.random.default_rng(33)
    start, p0 = wrong_start(20, rng)
    program = Program(start, p0, 20, PlanConfig(budget_arms="centre"), seed=1)
    with pytest.raises(ValueError, match="budget_arms"):
        program.plan(0, update.starting(start, seed=1))
