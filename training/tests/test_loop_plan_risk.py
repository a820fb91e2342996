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
# The budget as it was: under the posterior's mean only, netting the centre arm's expected gain, the loss guardrail
# under the posterior itself.
MEAN_ONLY = {"risk_shift": 0.0, "budget_arms": "all", "guard_spread": 1.0}


def wrong_start(p: int, rng) -> tuple[Start, np.ndarray]:
    """A catalogue whose starting posterior says b = −1.2 to −2.2 (± SLOPE_SD: a price cut pays) at today's price."""
    p0 = np.full(p, 10.0)
    mean = np.column_stack([rng.uniform(-2.2, -1.2, p), np.full(p, -0.3)])
    start = Start(index=np.arange(p), stockcodes=np.array([f"{30000 + i}" for i in range(p)]), mean=mean,
                  cov=np.tile(np.diag([SLOPE_SD ** 2, 0.2 ** 2]), (p, 1, 1)),
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
    base = PlanConfig(share=0.3, decision="rule", holdout_probability=0.0, **MEAN_ONLY)
    robust = dataclasses.replace(base, risk_shift=shift, budget_arms="moved", guard_spread=1.0)
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
    base = PlanConfig(share=0.3, decision="rule", holdout_probability=0.0, **MEAN_ONLY)
    robust = dataclasses.replace(base, risk_shift=2.0, budget_arms="moved", guard_spread=1.0)
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



def test_the_loss_guardrail_under_the_widened_posterior_drops_the_arms_it_cannot_price():
    """guard_spread: an arm whose P(loss > 5%) passes 0.2 only once the posterior's covariance is widened is dropped
    (or its test never starts); under the posterior itself it is kept."""
    rng = np.random.default_rng(35)
    p = 90
    start, p0 = wrong_start(p, rng)
    start.cov[:, 0, 0] = np.linspace(0.05, 0.9, p) ** 2
    post = update.starting(start, seed=8)
    kept = {}
    for spread in (1.0, 3.0):
        cfg = PlanConfig(share=1.0, decision="rule", holdout_probability=0.0, risk_budget=1.0, guard_spread=spread)
        program = Program(start, p0, p, cfg, seed=10)
        program.plan(0, post)
        wide = post.draws if spread == 1.0 else update.normal_draws(post.mean, post.cov * spread,
                                                                    post.draws.shape[1], program.seed)
        _, p_loss = batch_decision.arm_risk(wide, start.ref, p0, program.arm_prices, cfg.stop_loss)
        testing = program.status == TEST
        assert np.array_equal(program.allowed[testing, 1:], p_loss[testing, 1:] <= cfg.stop_probability)
        kept[spread] = int(program.allowed[testing, 1:].sum())
    assert kept[3.0] < kept[1.0]


def test_harm_cap_counts_a_large_product_as_several_in_the_harm_budget():
    """harm_cap: with one product holding half the catalogue's revenue, the budget that counts products lets it take
    a risky move; counted as revenue / (harm_cap × mean) products it moves less far."""
    rng = np.random.default_rng(36)
    p = 60
    start, p0 = wrong_start(p, rng)
    start.cov[:, 0, 0] = 0.8 ** 2
    start.revenue[0] = start.revenue[1:].sum()
    start.mean[0, 0], start.cov[0, 0, 0] = -2.0, 0.5 ** 2
    post = update.starting(start, seed=9)
    moves = {}
    for cap in (0.0, 2.0):
        program = Program(start, p0, p, PlanConfig(harm_cap=cap), seed=11)
        dec = program.decisions(post)
        moves[cap] = abs(np.log(program.rule_prices(post, dec)[0] / p0[0]))
    assert moves[0.0] > 0.0 and moves[2.0] < moves[0.0]
