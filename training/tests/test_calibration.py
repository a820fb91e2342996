"""Calibration and the decision frontier (calibration.py) on small synthetic inputs whose answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pricing_training import calibration, decision


def test_draws_from_the_true_distribution_cover_at_the_nominal_rate():
    rng = np.random.default_rng(0)
    n, s = 4000, 400
    mean, sd = rng.normal(-2.0, 1.0, n), rng.uniform(0.2, 1.5, n)
    truth = mean + sd * rng.standard_normal(n)
    draws = mean[:, None] + sd[:, None] * rng.standard_normal((n, s))
    hits = calibration.interval_hits(draws, truth)
    for level, hit in hits.items():
        # Binomial sd of a share at n = 4000 is below 0.008; the draws' percentiles add a little.
        assert abs(hit.mean() - level) < 0.03, level
    # An overconfident posterior (a third of the true spread) covers far less than it says.
    narrow = calibration.interval_hits(mean[:, None] + sd[:, None] / 3 * rng.standard_normal((n, s)), truth)
    assert narrow[0.8].mean() < 0.45 and narrow[0.95].mean() < 0.65
    # A posterior centred on the wrong value covers less too.
    shifted = calibration.interval_hits(draws + 1.5 * sd[:, None], truth)
    assert shifted[0.8].mean() < 0.55


def test_interval_bounds_count_as_inside():
    draws = np.array([[1.0, 1.0, 1.0, 1.0]])  # a degenerate posterior on the truth
    assert all(h[0] for h in calibration.interval_hits(draws, np.array([1.0])).values())
    assert not any(h[0] for h in calibration.interval_hits(draws, np.array([1.001])).values())
    frame = pd.DataFrame({"x_50": [True, False], "x_80": [True, True], "x_95": [True, True]})
    assert calibration.coverage(frame, prefix="x_") == {"50": 0.5, "80": 1.0, "95": 1.0}


def test_a_calibrated_probability_lies_on_the_diagonal_and_an_overconfident_one_below():
    rng = np.random.default_rng(1)
    promised = rng.uniform(0.5, 1.0, 20_000)
    bins = calibration.reliability(promised, rng.uniform(size=promised.size) < promised)
    assert [b["lo"] for b in bins] == list(calibration.RELIABILITY_EDGES[:-1])
    assert bins[0]["count"] == 0 and bins[0]["promised"] is None and bins[0]["realized"] is None
    assert sum(b["count"] for b in bins) == promised.size
    for b in bins[1:]:
        assert b["lo"] <= b["promised"] <= b["hi"]
        assert abs(b["realized"] - b["promised"]) < 4 * np.sqrt(0.25 / b["count"]) + 0.005, b
    # Promising 0.95 for moves that gain half the time: every bin realizes about 0.5.
    over = calibration.reliability(promised, rng.uniform(size=promised.size) < 0.5)
    assert all(abs(b["realized"] - 0.5) < 0.05 for b in over[1:])


def test_reliability_bins_are_half_open_and_the_last_holds_one():
    bins = calibration.reliability([0.5, 0.6, 0.95, 1.0, 0.2], [True, False, True, False, False])
    counts = {(b["lo"], b["hi"]): b["count"] for b in bins}
    assert counts[(0.0, 0.5)] == 1 and counts[(0.5, 0.6)] == 1 and counts[(0.6, 0.7)] == 1
    assert counts[(0.95, 1.0)] == 2
    last = bins[-1]
    assert last["promised"] == pytest.approx(0.975) and last["realized"] == pytest.approx(0.5)


def test_the_honesty_check_on_changed_prices():
    # Promised 0.96 on average: 1.5 × 0.04 + 0.02 = 8% may lose over 1%.
    ok = calibration.changed_losses([0.96] * 25, [True] * 2 + [False] * 23)
    assert ok["changed"] == 25 and ok["allowed"] == pytest.approx(0.08) and ok["losing_share"] == pytest.approx(0.08)
    assert ok["honest"]
    bad = calibration.changed_losses([0.96] * 25, [True] * 3 + [False] * 22)
    assert not bad["honest"]
    assert calibration.changed_losses([], [])["honest"]


def test_frontier_of_keep_best_and_a_harmful_rule():
    now = np.array([100.0, 100.0, 100.0, 100.0])
    best = np.array([130.0, 110.0, 101.0, 100.0])  # the last two are not mispriced (best < 2% above now)
    mispriced = best / now - 1 >= 0.02
    revenues = pd.DataFrame({"keep": now, "best": best,
                             "half": now + (best - now) / 2,
                             "harm": [130.0, 80.0, 98.0, 100.0]})
    f = calibration.frontier(revenues, now, best, mispriced)
    assert f["keep"] == {"harm_rate": 0.0, "aggregate_capture": 0.0, "median_capture": 0.0, "changed": 0.0}
    assert f["best"]["harm_rate"] == 0.0 and f["best"]["aggregate_capture"] == pytest.approx(1.0)
    assert f["half"]["aggregate_capture"] == pytest.approx(0.5)
    # Aggregate capture weights products by what is at stake: (30 − 20) / (30 + 10) = 0.25; harm 2 of 4.
    assert f["harm"]["aggregate_capture"] == pytest.approx(0.25) and f["harm"]["harm_rate"] == 0.5
    assert f["harm"]["median_capture"] == pytest.approx(-0.5)
    assert calibration.best_within(f, 0.05)[0] == "best"
    assert np.isnan(calibration.aggregate_capture(now, now, best, np.zeros(4, bool)))  # nothing mispriced


def _random_response(rng, p0=3.0, spread=0.4) -> decision.ProductResponse:
    b = rng.normal(rng.uniform(-2.5, 0.0), spread, 64)
    c = -np.abs(rng.normal(0.6, 0.3, 64))
    return decision.ProductResponse(float(np.log(p0 * rng.uniform(0.8, 1.2))), np.column_stack([b, c]).astype(np.float32),
                                    p0, (p0 / rng.uniform(1.1, 1.25), p0 * rng.uniform(1.1, 1.25)), float(rng.uniform(0.8, 1.0)))


@pytest.mark.parametrize("q", [0.0, 0.6, 0.8, 0.95, 0.99])
def test_the_frontier_rule_at_a_threshold_is_the_services_decision(q):
    """The frontier decides from the same grid, draws and conditions as decision.decide: at the service's threshold
    every product gets the service's price."""
    rng = np.random.default_rng(int(q * 100))
    settings = dict(decision.DEFAULT_DECISION, min_probability_of_gain=q, max_loss_probability=None)
    decisions = set()
    for i in range(150):
        resp = _random_response(rng, spread=rng.uniform(0.05, 1.0))
        lo, hi = (resp.current_price * 0.5, resp.current_price * 2.0) if i % 10 else (resp.current_price * 2.5, resp.current_price * 3.0)
        chosen = decision.decide(resp, 1.0, lo, hi, None, settings)
        ev = calibration.evidence(resp, lo, hi, None, settings)
        expected = chosen["optimal_unit_price"] if chosen["decision"] == "change" else resp.current_price
        assert calibration.choose(ev, settings, min_probability=q) == expected
        assert ev.grid[ev.best] == chosen["best_price"]
        assert np.quantile(ev.per_draw_best, 0.1) == chosen["best_price_p10"]
        decisions.add(chosen["reason"])
    assert {"model", "insufficient_evidence"} <= decisions or q == 0.0


@pytest.mark.parametrize("alpha", [0.0, 0.02, 0.1])
def test_the_frontier_rule_at_a_loss_bound_is_the_services_decision(alpha):
    """The α rule of the frontier is decision.decide with max_loss_probability = α (and no P(gain) threshold)."""
    rng = np.random.default_rng(int(alpha * 1000) + 1)
    settings = dict(decision.DEFAULT_DECISION, min_probability_of_gain=0.0, max_loss_probability=alpha)
    changed = 0
    for i in range(150):
        resp = _random_response(rng, spread=rng.uniform(0.05, 1.0))
        lo, hi = resp.current_price * 0.5, resp.current_price * 2.0
        chosen = decision.decide(resp, 1.0, lo, hi, None, settings)
        ev = calibration.evidence(resp, lo, hi, None, settings)
        expected = chosen["optimal_unit_price"] if chosen["decision"] == "change" else resp.current_price
        assert calibration.choose(ev, settings, max_loss_probability=alpha) == expected
        changed += chosen["decision"] == "change"
    assert changed > 0
    assert calibration.default_rule(settings) == f"alpha{alpha:g}"


def test_loss_rule_spans_from_keep_to_the_unconstrained_rule():
    rng = np.random.default_rng(7)
    moved_strict = moved_free = 0
    for _ in range(200):
        resp = _random_response(rng, spread=rng.uniform(0.05, 1.0))
        ev = calibration.evidence(resp, resp.current_price / 2, resp.current_price * 2)
        # α = 1 drops the evidence condition: the same as q = 0.
        assert calibration.choose(ev, max_loss_probability=1.0) == calibration.choose(ev, min_probability=0.0)
        strict = calibration.choose(ev, max_loss_probability=0.0)
        if strict != resp.current_price:
            # No draw loses over 1% at a price α = 0 allows.
            i = int(np.flatnonzero(ev.grid == strict)[0])
            assert ev.loss_probability[i] == 0.0
        moved_strict += strict != resp.current_price
        moved_free += calibration.choose(ev, max_loss_probability=1.0) != resp.current_price
    assert moved_strict < moved_free
    prices = calibration.rule_prices(ev)
    assert calibration.DEFAULT_RULE in prices and "alpha0.05" in prices and "q0" in prices


class _Truth:
    """A known revenue curve: units exp(b Δ + c Δ²) around a reference price, revenue ρ·p·units."""

    def __init__(self, ref, b, c, rho):
        self.ref, self.b, self.c, self.rho = ref, b, c, rho

    def revenue(self, code, prices):
        d = np.log(np.asarray(prices, np.float64)) - self.ref
        return self.rho * prices * np.exp(self.b * d + self.c * d * d)


def test_a_posterior_on_the_truth_covers_it_and_its_move_gains():
    p0, ref, b, c = 2.6, np.log(2.5), -0.4, -1.5  # the revenue optimum, 3.05, lies 17% above the current price
    resp = decision.ProductResponse(float(ref), np.tile([b, c], (64, 1)).astype(np.float32), p0, (p0 / 1.25, p0 * 1.25), 0.9)
    truth = _Truth(ref, float(np.float32(b)), float(np.float32(c)), 0.9)
    chosen = decision.decide(resp, 1.0, p0 / 2, p0 * 2)
    assert chosen["decision"] == "change" and chosen["probability_of_gain"] == 1.0
    ev = calibration.evidence(resp, p0 / 2, p0 * 2)
    e_true = float(np.float32(b)) + 2 * float(np.float32(c)) * (np.log(p0) - ref)
    row, revenues = calibration.product_record(truth, "A", resp, chosen, ev, e_true, chosen["best_price"])
    assert all(row[f"elasticity_in_{k}"] and row[f"best_price_in_{k}"] for k in (50, 80, 95))
    assert row["move_gains"] is True and row["move_price"] == chosen["optimal_unit_price"]
    assert row["default_rule_matches"]
    r_now = truth.revenue("A", np.array([p0]))[0]
    assert revenues[calibration.DEFAULT_RULE] > r_now
    # The elasticity one unit off is outside every interval of a posterior this sure.
    wrong, _ = calibration.product_record(truth, "A", resp, chosen, ev, e_true + 1.0, chosen["best_price"])
    assert not any(wrong[f"elasticity_in_{k}"] for k in (50, 80, 95))


def test_the_oracle_frontier_weights_products_by_what_is_at_stake():
    oracle = pd.DataFrame({"stockcode": ["a", "b", "c"],
                           "harm_1x_q0": [0.0, 0.5, 0.0], "capture_1x_q0": [[1.0, 0.0], [0.5, 0.5], None],
                           "revenue_best": [130.0, 110.0, 100.5], "revenue_now": [100.0, 100.0, 100.0]})
    f = calibration.oracle_frontier(oracle, (0.0,))["q0"]
    assert f["harm_rate"] == pytest.approx(1 / 6)
    assert f["aggregate_capture"] == pytest.approx((30 * 0.5 + 10 * 0.5) / 40)
    assert f["median_capture"] == pytest.approx(0.5)
