"""The holdout lift (experiments.holdout_lift): on synthetic sales with a known revenue-weighted lift it is unbiased
and its 90% interval holds the truth about 90% of the time, although products differ in size, season, lumpiness and
their own lift and join the tests in different weeks; and the season a year earlier that the loop's forecast of weekly
units uses (loop/season.py)."""

from __future__ import annotations

import types

import numpy as np
import pytest

from pricing_training.loop import experiments, season
from pricing_training.loop.plan import HOLDOUT, NONE, STOPPED, TEST
from pricing_training.loop.start import Start

WEEKS, YEAR = 26, 53
MONDAY0 = 4 + 7 * 2000  # a Monday (1970-01-05 + 2000 weeks)


def _start(p: int, rng) -> Start:
    """Products of very different sizes whose training year has a season per category."""
    size = np.exp(rng.normal(0, 1.2, p))
    groups = np.arange(p) % 3
    shape = 1 + 0.6 * np.sin(np.arange(YEAR) / 8.0 + groups[:, None])  # [P, W]
    weekly = size[:, None] * shape
    return Start(index=np.arange(p), stockcodes=np.array([f"{30000 + i}" for i in range(p)]),
                 mean=np.tile([-1.0, -0.3], (p, 1)), cov=np.tile(np.diag([0.5, 0.1]), (p, 1, 1)), ref=np.zeros(p),
                 delta0=np.zeros(p), scale=np.ones(p), units=weekly[:, -13:].mean(axis=1),
                 revenue=weekly[:, -13:].mean(axis=1), season_revenue=weekly[:, :26].sum(axis=1),
                 season_listed=np.ones(p, bool), groups=groups, week_monday=MONDAY0 + 7 * np.arange(YEAR),
                 weekly_units=weekly, weekly_revenue=weekly)


def _one_loop(start: Start, rng, growth: float = 1.2, pi: np.ndarray | None = None):
    """A loop of WEEKS weeks: chosen products randomized in weeks 0-9, 20% to the holdout (or each with its own
    probability `pi` [P], recorded as the plan does); a tested product's own lift
    is +20% for small products and −5% for big ones (so the per-product mean differs from the revenue-weighted lift);
    sales are the same weeks a year earlier times the shop's growth and lumpy noise. Returns the program, the realized
    [T, P] and the truth (tested products' revenue over keep, each from its week of randomization; with `pi`, every
    randomized product's revenue had it been tested over keep: what the weighted estimate aims at)."""
    p = len(start.stockcodes)
    # expected revenue at the current price: the product's mean week, a season of its own and the shop's growth
    mean_week = start.weekly_revenue.mean(axis=1)
    keep = growth * mean_week[None, :] * (1 + 0.4 * np.sin(np.arange(WEEKS)[:, None] / 5.0 + np.arange(p)[None, :]))
    chosen = rng.random(p) < 0.7
    assigned = np.where(chosen, rng.integers(0, 10, p), -1)
    held = chosen & (rng.random(p) < (0.2 if pi is None else pi))
    tested = chosen & ~held
    size = start.weekly_revenue.mean(axis=1)
    own_lift = np.where(size > np.median(size), -0.05, 0.20)
    since = np.arange(WEEKS)[:, None] >= assigned[None, :]
    expected = keep * np.where(tested[None, :] & since, 1 + own_lift[None, :], 1.0)
    realized = expected * rng.gamma(4.0, 1 / 4.0, expected.shape)
    status = np.where(held, HOLDOUT, np.where(tested, np.where(rng.random(p) < 0.5, TEST, STOPPED), NONE))
    program = types.SimpleNamespace(assigned=assigned, ever_tested=tested, status=status)
    t = tested & chosen
    truth = np.where(since, expected, 0)[:, t].sum() / np.where(since, keep, 0)[:, t].sum() - 1
    if pi is not None:
        program.holdout_pi = np.where(chosen, pi, 0.0)
        if_tested = keep * np.where(since, 1 + own_lift[None, :], 1.0)
        truth = np.where(since, if_tested, 0)[:, chosen].sum() / np.where(since, keep, 0)[:, chosen].sum() - 1
    return program, realized, truth


def test_the_season_is_the_categorys_week_a_year_earlier():
    start = _start(6, np.random.default_rng(0))
    # loop week 0 is the week after the training year's last; 52 weeks earlier is the training year's week 1
    assert season.loop_mondays(start, 2).tolist() == [MONDAY0 + 7 * YEAR, MONDAY0 + 7 * (YEAR + 1)]
    s = season.category_season(start, WEEKS)
    g = start.groups == 1
    by_week = start.weekly_units[g].sum(axis=0)
    # loop week 3 is the training year's week 4, smoothed with its neighbours, over the category's recent weekly units
    assert s[3, g] == pytest.approx(by_week[3:6].mean() / start.units[g].sum())
    # a week in which the category sold nothing a year earlier stays at zero (a closure is not smoothed away)
    start.weekly_units[g, 4] = 0.0
    assert np.all(season.category_season(start, WEEKS)[3, g] == 0.0)
    # products launched during the year do not count; beyond the training year there is no season (1)
    start.season_listed[np.flatnonzero(g)[0]] = False
    kept = g & start.season_listed
    assert season.category_season(start, WEEKS)[5, g] == pytest.approx(
        start.weekly_units[kept, 5:8].sum() / 3 / start.units[kept].sum())
    assert np.all(season.category_season(start, 60)[YEAR - 1:] == 1.0)


def test_holdout_lift_is_unbiased_and_its_interval_holds_the_truth():
    rng = np.random.default_rng(1)
    start = _start(400, rng)
    errors, holds = [], []
    for k in range(60):
        program, realized, truth = _one_loop(start, rng)
        out = experiments.holdout_lift(realized, start, program, seed=k)
        assert out["estimate"] is not None and out["tested"] > 150 and out["holdout"] > 30
        lo, hi = out["interval_90"]
        errors.append(out["estimate"] - truth)
        holds.append(lo <= truth <= hi)
    # the mean error is within its own standard error's reach; the interval holds the truth about 90% of the time
    assert abs(np.mean(errors)) < 3 * np.std(errors) / np.sqrt(len(errors))
    assert 0.8 <= np.mean(holds) <= 0.98


def test_the_weighted_lift_is_unbiased_and_holds_the_truth_under_unequal_holdout_probabilities():
    """Big sellers (lift −5%) held out with probability 0.08, small ones (+20%) with 0.3, as the cost design does: the
    Hájek estimate (each product weighted by 1 / P(its group)) aims at every randomized product's lift and its
    randomization interval (re-drawn with the same probabilities) holds it about 90% of the time; the unweighted
    estimate over the same sales misses it (the tested group over-represents the big sellers)."""
    rng = np.random.default_rng(4)
    start = _start(400, rng)
    size = start.weekly_revenue.mean(axis=1)
    pi = np.where(size > np.median(size), 0.08, 0.30)
    errors, plain_errors, holds = [], [], []
    for k in range(80):
        program, realized, truth = _one_loop(start, rng, pi=pi)
        out = experiments.holdout_lift(realized, start, program, seed=k)
        assert out["weighted"] and out["estimate"] is not None
        lo, hi = out["interval_90"]
        errors.append(out["estimate"] - truth)
        holds.append(lo <= truth <= hi)
        del program.holdout_pi  # the same sales, read as if every product had had the same probability
        plain_errors.append(experiments.holdout_lift(realized, start, program, seed=k)["estimate"] - truth)
    assert abs(np.mean(errors)) < 3 * np.std(errors) / np.sqrt(len(errors))
    assert 0.8 <= np.mean(holds) <= 0.98
    # on the same sales the unweighted estimate sits below the weighted one (toward the big sellers' −5%)
    gap = np.array(plain_errors) - np.array(errors)
    assert np.mean(gap) < -3 * np.std(gap) / np.sqrt(len(gap))


def test_equal_recorded_probabilities_give_the_unweighted_lift():
    rng = np.random.default_rng(6)
    start = _start(200, rng)
    program, realized, _ = _one_loop(start, rng)
    plain = experiments.holdout_lift(realized, start, program, seed=3)
    program.holdout_pi = np.where(program.assigned >= 0, 0.2, 0.0)
    same = experiments.holdout_lift(realized, start, program, seed=3)
    assert not same["weighted"] and same["estimate"] == plain["estimate"]
    assert same["interval_90"] == plain["interval_90"]


def test_holdout_lift_needs_five_products_a_side_and_sales_a_year_earlier():
    rng = np.random.default_rng(2)
    start = _start(40, rng)
    program, realized, _ = _one_loop(start, rng)
    program.status = np.where(program.status == HOLDOUT, NONE, program.status)  # no holdout
    out = experiments.holdout_lift(realized, start, program, seed=0)
    assert out["estimate"] is None and out["holdout"] == 0
    program, realized, _ = _one_loop(start, rng)
    start.weekly_revenue[program.status == HOLDOUT] = 0.0  # held-out products that did not sell a year earlier
    out = experiments.holdout_lift(realized, start, program, seed=0)
    assert out["holdout"] == 0 and out["estimate"] is None


def test_the_forecast_carries_the_season_and_learns_the_level_from_the_weeks_before():
    from pricing_training.loop.run import forecast

    rng = np.random.default_rng(3)
    plain = np.tile(rng.uniform(1, 20, 50), (WEEKS, 1))  # recent level x price effect, flat
    season_index = np.tile(1 + 0.5 * np.sin(np.arange(WEEKS) / 4.0)[:, None], (1, 50))
    units = 1.25 * plain * season_index  # the season as a year earlier, and the shop 25% bigger than then
    predicted = forecast(plain, season_index, units)
    assert predicted[0] == pytest.approx(plain[0] * season_index[0])  # no level before any loop week
    assert (units[1:] / predicted[1:]) == pytest.approx(np.ones((WEEKS - 1, 50)))
    # week t uses only the weeks before it: a jump in week 10's sales moves the forecast of week 11 on, not week 10's
    jumped = units.copy()
    jumped[10] *= 3
    again = forecast(plain, season_index, jumped)
    assert again[:11] == pytest.approx(predicted[:11]) and np.all(again[11:] > predicted[11:])
