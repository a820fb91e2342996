"""The holdout's per-product probabilities (holdout_design.py, PlanConfig.holdout_design): set before the draw from
what holding a product at today's price would cost, within the bounds, about as many held out as the flat design, and
recorded in the week's assignments; synthetic products, no fit, no world."""

from __future__ import annotations

import numpy as np
import pytest

from pricing_training.loop import batch_decision, holdout_design, update
from pricing_training.loop.plan import HOLDOUT, PlanConfig
from pricing_training.loop.plan import TestProgram as Program
from pricing_training.loop.start import Start

BOUNDS = (0.05, 0.30)


def cut_pays_start(p: int, rng) -> tuple[Start, np.ndarray]:
    """Products of very different sizes whose posterior says a price cut pays (b = −1.3 to −2.5 at today's price),
    so the decision moves them and holding one at today's price costs its expected gain."""
    p0 = np.full(p, 10.0)
    mean = np.column_stack([rng.uniform(-2.5, -1.3, p), np.full(p, -0.3)])
    revenue = np.exp(rng.normal(6.0, 1.2, p))
    start = Start(index=np.arange(p), stockcodes=np.array([f"{40000 + i}" for i in range(p)]), mean=mean,
                  cov=np.tile(np.diag([0.3 ** 2, 0.1 ** 2]), (p, 1, 1)), ref=np.log(p0), delta0=np.zeros(p),
                  scale=np.ones(p), units=revenue / 10.0, revenue=revenue, season_revenue=26 * revenue,
                  season_listed=np.ones(p, bool), groups=np.arange(p) % 3, week_monday=4 + 7 * np.arange(53),
                  weekly_units=np.tile(revenue[:, None] / 10.0, (1, 53)), weekly_revenue=np.tile(revenue[:, None], (1, 53)))
    return start, p0


def test_a_batchs_probabilities_are_bounded_fall_with_the_cost_and_average_the_flat_one():
    rng = np.random.default_rng(5)
    cost = np.exp(rng.normal(0, 1.5, 200))
    design = holdout_design.HoldoutDesign("cost", 0.2, BOUNDS, 1.0)
    pi = design.batch(cost)
    assert np.all((pi >= BOUNDS[0]) & (pi <= BOUNDS[1]))
    assert pi.mean() == pytest.approx(0.2, abs=1e-6)
    order = np.argsort(cost)
    assert np.all(np.diff(pi[order]) <= 1e-12) and pi[order[0]] > pi[order[-1]]
    # later batches keep the first batch's scale: a product's probability depends on its own cost only
    assert design.batch(cost[:3]) == pytest.approx(pi[:3])
    assert np.all(holdout_design.HoldoutDesign("flat", 0.2, BOUNDS, 1.0).batch(cost) == 0.2)
    with pytest.raises(ValueError, match="holdout_design"):
        holdout_design.HoldoutDesign("unequal", 0.2, BOUNDS, 1.0)
    with pytest.raises(ValueError, match="holdout_bounds"):
        holdout_design.probabilities(cost, 1.0, 0.2, (0.3, 0.1), 1.0)


def test_the_plan_sets_each_products_probability_from_its_cost_and_records_it():
    rng = np.random.default_rng(11)
    p = 300
    start, p0 = cut_pays_start(p, rng)
    post = update.starting(start, seed=3)
    cfg = PlanConfig(share=0.3, decision="rule", holdout_design="cost", holdout_bounds=BOUNDS)
    program = Program(start, p0, p, cfg, seed=9)
    for week in range(3):
        posted, rows = program.plan(week, post)
    randomized = program.assigned >= 0
    assert randomized.sum() > 30 and (program.status == HOLDOUT).sum() >= 3
    pi = program.holdout_pi[randomized]
    assert np.all((pi >= BOUNDS[0]) & (pi <= BOUNDS[1])) and pi.std() > 0.01
    assert np.all(program.holdout_pi[~randomized] == 0.0)
    # the first batch averages the flat probability
    first = program.assigned == 0
    assert program.holdout_pi[first].mean() == pytest.approx(cfg.holdout_probability, abs=0.01)
    # the costliest products to hold out (the centre's expected weekly gain over today's price) get the lowest π
    centre, _ = batch_decision.arm_risk(post.draws, start.ref, p0, program.arm_prices[:, :1], cfg.stop_loss)
    cost = np.maximum(centre[:, 0], 0.0) * start.revenue
    r = np.flatnonzero(first)
    by_cost = program.holdout_pi[r][np.argsort(cost[r])]
    assert np.all(np.diff(by_cost) <= 1e-12) and by_cost[0] > by_cost[-1]
    # each held-out product's assignment row records the probability it was drawn with, and posts today's price
    held = program.status == HOLDOUT
    assert np.all(rows["arm"].to_numpy()[held] == "holdout")
    assert rows["probability"].to_numpy()[held] == pytest.approx(program.holdout_pi[held])
    assert posted[held] == pytest.approx(p0[held])


def test_the_flat_design_is_the_plan_as_before():
    rng = np.random.default_rng(12)
    start, p0 = cut_pays_start(120, rng)
    post = update.starting(start, seed=3)
    program = Program(start, p0, 120, PlanConfig(share=0.3, decision="rule"), seed=9)
    _, rows = program.plan(0, post)
    held = program.status == HOLDOUT
    assert held.any() and np.all(rows["probability"].to_numpy()[held] == 0.2)
    assert np.all(program.holdout_pi[program.assigned >= 0] == 0.2)
