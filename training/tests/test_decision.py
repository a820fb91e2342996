"""The decision rule (decision.py, docs/price-response.md) on hand-built price responses whose right
answers are known in closed form or recomputed here from the documented formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pricing_training import decision
from pricing_training.decision import DEFAULT_DECISION, ProductResponse

G = DEFAULT_DECISION["grid_points"]
# The P(gain) rule a retailer may set (min_probability_of_gain, no bound on P(loss)): the threshold tests' rule.
Q_RULE = DEFAULT_DECISION | {"min_probability_of_gain": 0.95, "max_loss_probability": None}
P_MIN, GAIN_MIN = Q_RULE["min_probability_of_gain"], Q_RULE["min_expected_gain"]


def response(b, c, p_ref: float, p0: float, support: tuple[float, float], rho: float = 1.0) -> ProductResponse:
    """A response whose draws are the given (b, c) values (scalars: 64 equal draws), float32 as in the file."""
    b, c = np.broadcast_arrays(np.atleast_1d(np.asarray(b, np.float64)), np.atleast_1d(np.asarray(c, np.float64)))
    if b.size == 1:
        b, c = np.full(64, b[0]), np.full(64, c[0])
    draws = np.stack([b, c], axis=1).astype(np.float32)
    return ProductResponse(math.log(p_ref), draws, p0, support, rho)


def log_step(lo: float, hi: float) -> float:
    return (math.log(hi) - math.log(lo)) / (G - 1)


@pytest.mark.parametrize("b, c, p_ref, p0, support", [
    (-2.0, -1.5, 10.0, 9.0, (5.0, 15.0)),  # optimum below the reference price: Δ* = -1/3
    (-0.5, -0.8, 2.0, 2.2, (1.0, 4.0)),  # above it: Δ* = 0.3125
])
def test_revenue_optimum_of_a_quadratic_response(b, c, p_ref, p0, support):
    """Revenue ∝ p exp(bΔ + cΔ²) = p_ref exp((1 + b)Δ + cΔ²): maximal at Δ* = -(1 + b) / (2c)."""
    resp = response(b, c, p_ref, p0, support, rho=0.9)
    volume = 3.7
    d = decision.decide(resp, volume, *support)
    p_star = p_ref * math.exp(-(1 + b) / (2 * c))
    assert abs(math.log(d["best_price"]) - math.log(p_star)) <= log_step(*support)
    assert d["decision"] == "change" and d["reason"] == "model" and d["optimal_unit_price"] == d["best_price"]
    assert d["probability_of_gain"] == 1.0 and not d["outside_support"] and d["at_search_edge"] is None
    assert (d["search_min"], d["search_max"]) == support and d["current_price"] == p0

    def revenue(p):
        delta = math.log(p) - math.log(p_ref)
        return 0.9 * p * volume * math.exp(b * delta + c * delta ** 2)

    gain = revenue(d["best_price"]) - revenue(p0)
    assert d["expected_gain"] == pytest.approx(gain, rel=1e-6)  # float32 draws: b, c are exact here
    assert d["gain_p10"] == pytest.approx(gain, rel=1e-6) and d["gain_p90"] == pytest.approx(gain, rel=1e-6)
    assert d["expected_gain_pct"] == pytest.approx(gain / revenue(p0), rel=1e-6)
    assert d["best_price_p10"] == d["best_price_p90"] == d["best_price"]
    assert d["max_predicted_sales"] == pytest.approx(revenue(d["best_price"]), rel=1e-6)
    e = b + 2 * c * (math.log(p0) - math.log(p_ref))
    assert d["elasticity"] == pytest.approx(e, rel=1e-6)
    assert d["elasticity_p10"] == pytest.approx(e, rel=1e-6) and d["elasticity_p90"] == pytest.approx(e, rel=1e-6)


def test_keeps_the_current_price_when_the_draws_disagree_on_the_direction():
    """At p0 = p_ref, 40 of 64 draws say revenue grows with the price (b = -0.7), 24 say it falls
    (b = -1.3): the mean curve peaks above p0, but only 62.5% of draws gain there, or at any other price
    (below min_probability_of_gain)."""
    b = np.array([-0.7] * 40 + [-1.3] * 24)
    resp = response(b, -0.5, 4.0, 4.0, (2.0, 8.0))
    d = decision.decide(resp, 10.0, 2.0, 8.0, settings=Q_RULE)
    assert d["best_price"] > 4.0 * 1.005 and d["expected_gain"] > 0  # a better price on average...
    assert d["probability_of_gain"] == pytest.approx(40 / 64) and 40 / 64 < P_MIN  # ...too few draws agree on
    assert d["decision"] == "keep_current" and d["reason"] == "insufficient_evidence"
    assert d["optimal_unit_price"] == 4.0
    assert d["max_predicted_sales"] == pytest.approx(4.0 * 10.0)  # revenue at the kept price: m(p_ref) = 1
    assert d["gain_p10"] < 0 < d["gain_p90"]
    # The same response with every draw agreeing changes the price.
    agreed = decision.decide(response(-0.7, -0.5, 4.0, 4.0, (2.0, 8.0)), 10.0, 2.0, 8.0, settings=Q_RULE)
    assert agreed["decision"] == "change" and agreed["probability_of_gain"] == 1.0
    assert agreed["optimal_unit_price"] == agreed["best_price"] > 4.0


def test_keeps_the_current_price_when_the_expected_gain_is_too_small():
    """b = -0.95, c = -1: Δ* = 0.025 (2.5% above p0) for a gain of e^(0.000625) - 1 < 0.5%."""
    d = decision.decide(response(-0.95, -1.0, 5.0, 5.0, (4.0, 6.25)), 1.0, 4.0, 6.25, settings=Q_RULE)
    assert d["best_price"] == pytest.approx(5.0 * math.exp(0.025), rel=log_step(4.0, 6.25))
    assert d["probability_of_gain"] == 1.0 and 0 < d["expected_gain_pct"] < GAIN_MIN
    assert d["decision"] == "keep_current" and d["reason"] == "insufficient_evidence" and d["optimal_unit_price"] == 5.0


def test_keeps_the_current_price_when_it_is_already_the_best():
    d = decision.decide(response(-1.0, -1.0, 5.0, 5.0, (4.0, 6.25)), 1.0, 4.0, 6.25)  # Δ* = 0
    assert abs(d["best_price"] / 5.0 - 1) <= decision.AT_CURRENT_TOLERANCE
    assert d["decision"] == "keep_current" and d["reason"] == "at_current_price" and d["optimal_unit_price"] == 5.0


def test_profit_objective_moves_the_price_up():
    resp = response(-2.0, -1.5, 10.0, 7.0, (5.0, 15.0), rho=0.9)
    revenue = decision.decide(resp, 3.7, 5.0, 15.0)
    profit = decision.decide(resp, 3.7, 5.0, 15.0, unit_cost=3.0)
    assert profit["best_price"] > revenue["best_price"] * 1.05
    fine = np.exp(np.linspace(math.log(5.0), math.log(15.0), 200_001))
    delta = np.log(fine) - math.log(10.0)
    p_star = fine[np.argmax((0.9 * fine - 3.0) * np.exp(-2.0 * delta - 1.5 * delta ** 2))]
    assert abs(math.log(profit["best_price"] / p_star)) <= log_step(5.0, 15.0)
    assert profit["decision"] == "change"
    # max_predicted_sales stays revenue (k = 0) at the decided price; the gain is in profit.
    dp = math.log(profit["optimal_unit_price"] / 10.0)
    m = math.exp(-2.0 * dp - 1.5 * dp ** 2)
    assert profit["max_predicted_sales"] == pytest.approx(0.9 * profit["optimal_unit_price"] * 3.7 * m, rel=1e-6)
    d0 = math.log(7.0 / 10.0)
    m0 = math.exp(-2.0 * d0 - 1.5 * d0 ** 2)
    gain = (0.9 * profit["best_price"] - 3.0) * 3.7 * m - (0.9 * 7.0 - 3.0) * 3.7 * m0
    assert profit["expected_gain"] == pytest.approx(gain, rel=1e-6)


def test_search_range_is_the_request_within_the_support():
    resp = response(-2.0, -1.5, 10.0, 9.0, (5.0, 15.0))  # revenue optimum 7.17
    inside = decision.decide(resp, 1.0, 2.0, 8.0)
    assert (inside["search_min"], inside["search_max"]) == (5.0, 8.0) and not inside["outside_support"]
    assert inside["at_search_edge"] is None
    edge = decision.decide(resp, 1.0, 12.0, 30.0)
    assert (edge["search_min"], edge["search_max"]) == (12.0, 15.0)
    assert edge["best_price"] == pytest.approx(12.0, rel=1e-15)  # the grid's first point, exp(ln 12)
    assert edge["at_search_edge"] == "lower" and not edge["outside_support"]
    # A request that excludes the supported range is searched as asked, and says so.
    outside = decision.decide(resp, 1.0, 20.0, 30.0)
    assert outside["outside_support"] and (outside["search_min"], outside["search_max"]) == (20.0, 30.0)
    assert outside["best_price"] == pytest.approx(20.0, rel=1e-15) and outside["at_search_edge"] == "lower"
    # A request touching the support in one price searches that one price.
    point = decision.decide(resp, 1.0, 15.0, 30.0)
    assert point["search_min"] == point["search_max"] == point["best_price"] == 15.0
    assert point["at_search_edge"] is None and not point["outside_support"]


@pytest.mark.parametrize("seed, b_sd, cost, outcome", [
    (5, 0.05, None, "change"), (5, 0.05, 1.0, "change"),  # tight draws: a clear move (revenue, profit)
    (6, 0.6, None, "keep_current"), (7, 0.6, 1.0, "keep_current"),  # wide: the draws disagree
    (0, 0.35, None, None),  # in between: the best price is not supported but a smaller step may be
])
def test_evidence_fields_are_the_documented_percentiles(seed, b_sd, cost, outcome):
    """Random draws, revenue and profit objectives. Every field is recomputed here from
    docs/price-response.md's formulas."""
    rng = np.random.default_rng(seed)
    s = 64
    b, c = rng.normal(-1.6, b_sd, s), rng.normal(-1.5, b_sd / 2, s)
    p_ref, p0, lo, hi, rho, volume = 3.0, 3.2, 2.0, 4.8, 0.85, 12.0
    resp = response(b, c, p_ref, p0, (lo, hi), rho)
    bb, cc = resp.draws[:, 0].astype(np.float64), resp.draws[:, 1].astype(np.float64)
    d = decision.decide(resp, volume, 1.0, 10.0, unit_cost=cost, settings=Q_RULE)
    k = cost or 0.0
    grid = np.exp(np.log(lo) + np.arange(G) * (np.log(hi) - np.log(lo)) / (G - 1))
    grid[-1] = hi
    delta = np.log(grid) - np.log(p_ref)
    value = (rho * grid - k) * volume * np.exp(bb[:, None] * delta + cc[:, None] * delta ** 2)  # [S, G]
    d0 = np.log(p0) - np.log(p_ref)
    now = (rho * p0 - k) * volume * np.exp(bb * d0 + cc * d0 ** 2)
    best = int(np.argmax(value.mean(axis=0)))
    assert d["best_price"] == pytest.approx(grid[best], rel=1e-12)
    per_draw = grid[np.argmax(value, axis=1)]
    assert d["best_price_p10"] == pytest.approx(np.quantile(per_draw, 0.1), rel=1e-12)
    assert d["best_price_p90"] == pytest.approx(np.quantile(per_draw, 0.9), rel=1e-12)
    e = bb + 2 * cc * d0
    assert d["elasticity"] == pytest.approx(e.mean(), rel=1e-12)
    assert d["elasticity_p10"] == pytest.approx(np.quantile(e, 0.1), rel=1e-12)
    assert d["elasticity_p90"] == pytest.approx(np.quantile(e, 0.9), rel=1e-12)
    # Which grid prices the evidence supports: P(gain) and the expected relative gain above the thresholds.
    gains = value - now[:, None]
    supported = ((gains > 0).mean(axis=0) >= P_MIN) & (gains.mean(axis=0) >= GAIN_MIN * now.mean())
    supported &= np.abs(grid / p0 - 1) > decision.AT_CURRENT_TOLERANCE
    if d["decision"] == "change":
        j = int(np.flatnonzero(grid == d["optimal_unit_price"])[0])  # a grid price...
        assert supported[j]  # ...that the evidence supports, with the largest expected gain of those
        assert gains.mean(axis=0)[j] == pytest.approx(gains.mean(axis=0)[supported].max(), rel=1e-12)
        assert j == best if d["reason"] == "model" else d["reason"] != "at_current_price"
    else:
        assert d["optimal_unit_price"] == p0
        assert d["reason"] == ("at_current_price" if abs(grid[best] / p0 - 1) <= decision.AT_CURRENT_TOLERANCE
                               else "insufficient_evidence")
        assert not supported[best]
        j = best
    gain = gains[:, j]  # the gain fields describe the decided move (the best price's when keeping)
    assert d["expected_gain"] == pytest.approx(gain.mean(), rel=1e-9)
    assert d["expected_gain_pct"] == pytest.approx(gain.mean() / now.mean(), rel=1e-9)
    assert d["gain_p10"] == pytest.approx(np.quantile(gain, 0.1), rel=1e-9)
    assert d["gain_p90"] == pytest.approx(np.quantile(gain, 0.9), rel=1e-9)
    assert d["probability_of_gain"] == np.mean(gain > 0)
    p = d["optimal_unit_price"]
    dp = np.log(p) - np.log(p_ref)
    assert d["max_predicted_sales"] == pytest.approx(np.mean(rho * p * volume * np.exp(bb * dp + cc * dp ** 2)),
                                                     rel=1e-9)
    assert outcome is None or d["decision"] == outcome, d


def test_the_decision_does_not_depend_on_the_baseline_volume():
    """All models of the chain recommend the same price: volume scales every draw's revenue alike."""
    rng = np.random.default_rng(8)
    resp = response(rng.normal(-1.4, 0.3, 64), rng.normal(-0.4, 0.2, 64), 2.0, 2.1, (1.5, 3.0), 0.95)
    small, large = decision.decide(resp, 0.8, 1.0, 4.0), decision.decide(resp, 250.0, 1.0, 4.0)
    for key in ("best_price", "optimal_unit_price", "decision", "reason", "probability_of_gain", "best_price_p10",
                "best_price_p90", "elasticity", "search_min", "search_max"):
        assert small[key] == large[key], key
    assert large["expected_gain"] == pytest.approx(small["expected_gain"] * 250.0 / 0.8, rel=1e-9)
    assert large["expected_gain_pct"] == pytest.approx(small["expected_gain_pct"], rel=1e-9)


def test_curve_is_the_documented_mean_over_weeks_and_draws():
    rng = np.random.default_rng(2)
    resp = response(rng.normal(-1.5, 0.3, 64), rng.normal(-0.5, 0.2, 64), 2.0, 2.1, (1.5, 3.0), 0.9)
    f = np.array([0.1, 0.5, 1.2, -0.3, 0.7])  # the answering model's baselines of 5 context weeks
    prices = decision.linspace(1.0, 4.0, 25)
    np.testing.assert_array_equal(prices, np.linspace(1.0, 4.0, 25))
    out = decision.curve(resp, f, prices, unit_cost=0.6)
    bb, cc = resp.draws[:, :1].astype(np.float64), resp.draws[:, 1:].astype(np.float64)
    delta = np.log(prices) - math.log(2.0)
    m = np.exp(bb * delta + cc * delta ** 2)  # [draws, prices]
    volume = np.exp(f).mean()
    per_week = np.exp(f)[:, None] * m.mean(axis=0)[None, :]
    assert out["baseline"] == pytest.approx(volume, rel=1e-15)
    np.testing.assert_allclose(out["quantity"], volume * m.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(out["quantity_min"], per_week.min(axis=0), rtol=1e-12)
    np.testing.assert_allclose(out["quantity_max"], per_week.max(axis=0), rtol=1e-12)
    np.testing.assert_allclose(out["quantity_p10"], np.quantile(per_week, 0.1, axis=0), rtol=1e-12)
    np.testing.assert_allclose(out["quantity_p90"], np.quantile(per_week, 0.9, axis=0), rtol=1e-12)
    np.testing.assert_allclose(out["sales"], 0.9 * prices * volume * m.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(out["sales_p10"], np.quantile(0.9 * prices * volume * m, 0.1, axis=0), rtol=1e-12)
    np.testing.assert_allclose(out["sales_p90"], np.quantile(0.9 * prices * volume * m, 0.9, axis=0), rtol=1e-12)
    np.testing.assert_allclose(out["profit"], (0.9 * prices - 0.6) * volume * m.mean(axis=0), rtol=1e-12)
    assert "profit" not in decision.curve(resp, f, prices)


def test_log_grid():
    g = decision.log_grid(2.0, 8.0, 5)
    np.testing.assert_allclose(g, [2.0, 2.0 * 2 ** 0.5, 4.0, 4.0 * 2 ** 0.5, 8.0], rtol=1e-15)
    assert g[0] == pytest.approx(2.0, rel=1e-15) and g[-1] == 8.0  # the last point is exactly the upper end
    g = decision.log_grid(1.3, 7.1, G)
    assert len(g) == G and g[0] == pytest.approx(1.3, rel=1e-15) and g[-1] == 7.1
    np.testing.assert_allclose(np.diff(np.log(g)), log_step(1.3, 7.1), rtol=1e-9)
    np.testing.assert_array_equal(decision.log_grid(3.0, 3.0, G), [3.0])


def test_a_bound_on_the_probability_of_losing_stops_a_move_the_draws_doubt():
    """At p0 = p_ref = 4, 56 of 64 draws say revenue grows with the price (b = -0.6), 8 say it falls hard
    (b = -1.6). Moves up gain in 87.5% of draws, so P(gain) >= 0.8 alone takes the full step; with
    P(loss > 1%) <= 0.05 (8/64 = 12.5% > 5%) only the moves the doubting draws lose less than 1% on remain,
    and those are too small to earn the minimum expected gain: the price is kept."""
    b = np.array([-0.6] * 56 + [-1.6] * 8)
    resp = response(b, -0.5, 4.0, 4.0, (3.0, 5.5))
    gains_at = lambda d: d["optimal_unit_price"]  # noqa: E731
    free = decision.decide(resp, 1.0, 3.0, 5.5, settings=Q_RULE | {"min_probability_of_gain": 0.8})
    bounded = decision.decide(resp, 1.0, 3.0, 5.5, settings=Q_RULE | {"min_probability_of_gain": 0.8,
                                                                                   "max_loss_probability": 0.05})
    assert free["decision"] == "change" and gains_at(free) > 4.4
    # The bounded rule's price: the highest-E(p) grid price where at most 5% of draws lose over 1%, from the
    # documented formulas directly.
    grid = decision.log_grid(3.0, 5.5, G)
    delta = np.log(grid) - np.log(4.0)
    value = grid[None, :] * np.exp(b[:, None] * delta[None, :] - 0.5 * delta[None, :] ** 2)
    now = 4.0
    gains = value - now
    loss = (gains < -0.01 * now).mean(axis=0)
    ok = (loss <= 0.05) & ((gains > 0).mean(axis=0) >= 0.8) & (gains.mean(axis=0) >= 0.005 * now) \
        & (np.abs(grid / 4.0 - 1) > decision.AT_CURRENT_TOLERANCE)
    want = grid[np.flatnonzero(ok)[np.argmax(gains.mean(axis=0)[ok])]] if ok.any() else 4.0
    assert bounded["optimal_unit_price"] == pytest.approx(want, rel=1e-6)
    assert bounded["decision"] == "keep_current" and bounded["reason"] == "insufficient_evidence" and want == 4.0
    np.testing.assert_allclose(decision.loss_probability(gains, np.full(64, now)), loss)
