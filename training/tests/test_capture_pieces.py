"""The capture diagnosis's pieces (capture_pieces.py) on a real generated shop world: the truth's local quadratic,
the curve family's fit, the draws moved to another centre, and a decision from the truth's own curve."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from pricing_training import capture_pieces as cp
from pricing_training import scenarios as sc

SMALL_SHOP = dataclasses.replace(sc.SCENARIOS["shop-invoice"], lines=8_000, products=30)


@pytest.fixture(scope="module")
def world() -> sc.ScenarioData:
    return sc.generate(SMALL_SHOP, 11)


def test_local_quadratic_matches_the_truth_near_p0(world):
    """The quadratic has the truth's elasticity at p0 and predicts ln units within 2% of the truth 5% away."""
    truth = world.truth
    for code, p0 in zip(truth.products["stockcode"][:10], truth.products["current_price"][:10]):
        lref = np.log(p0) - 0.1
        b, c = cp.local_quadratic(truth, code, p0, lref)
        d0 = np.log(p0) - lref
        assert b + 2.0 * c * d0 == pytest.approx(truth.elasticity(code, p0), abs=1e-3)
        p1 = p0 * 1.05
        d1 = np.log(p1) - lref
        predicted = b * (d1 - d0) + c * (d1 ** 2 - d0 ** 2)
        actual = np.log(truth.units(code, np.array([p1]))[0] / truth.units(code, np.array([p0]))[0])
        assert predicted == pytest.approx(actual, abs=0.02)


def test_family_fit_is_exact_for_a_narrow_range_and_needs_three_prices(world):
    truth = world.truth
    code, p0 = truth.products["stockcode"].iloc[0], float(truth.products["current_price"].iloc[0])
    prices = p0 * np.exp(np.linspace(-0.01, 0.01, 7))
    b, c = cp.family_coefficients(truth, code, np.log(p0), prices, np.ones(7))
    assert b == pytest.approx(truth.elasticity(code, p0), abs=0.02)
    assert cp.family_coefficients(truth, code, np.log(p0), np.array([p0, p0, 1.1 * p0]), np.ones(3)) is None


def test_recentre_keeps_the_spread_and_exact_removes_it():
    rng = np.random.default_rng(3)
    draws = rng.normal([-1.0, -0.5], [0.4, 0.2], size=(64, 2))
    moved = cp.recentre(draws, np.array([-2.0, -1.0]))
    np.testing.assert_allclose(moved.mean(axis=0), [-2.0, -1.0])
    np.testing.assert_allclose(moved.std(axis=0), draws.std(axis=0))
    fixed = cp.exact(draws, np.array([-2.0, -1.0]))
    assert fixed.shape == draws.shape and np.all(fixed.std(axis=0) == 0.0)


def test_normal_draws_keep_c_non_positive_and_centre_on_the_mean():
    mean = np.array([[-1.5, -0.8], [-0.5, -2.0]])
    cov = np.array([np.diag([0.04, 0.01])] * 2)
    draws = cp.normal_draws(mean, cov, 256, 1)
    assert np.all(draws[:, :, 1] <= 0.0)
    np.testing.assert_allclose(draws.mean(axis=1), mean, atol=0.05)


def test_deciding_from_the_truths_local_curve_captures_and_a_flat_curve_keeps(world):
    """Every product decided from draws at the truth's local quadratic, over [p0/2, 2 p0]: the decisions gain on
    the true curve overall (capture > 0) and rarely lose; draws with no price effect at all (b = −1, c = 0: revenue
    flat in the price) change nothing."""
    truth = world.truth
    products = truth.products[["stockcode", "current_price"]].copy()
    products["log_reference_price"] = np.log(products["current_price"]) - 0.05
    products["support_min"] = products["current_price"] / 2.0
    products["support_max"] = products["current_price"] * 2.0
    products["realized_price_ratio"] = 1.0
    codes = products["stockcode"].tolist()
    history = pd.DataFrame({"min": products["support_min"].to_numpy(), "max": products["support_max"].to_numpy()},
                           index=codes)
    local = np.array([cp.local_quadratic(truth, c, p, lr) for c, p, lr in
                      zip(codes, products["current_price"], products["log_reference_price"])])
    draws = np.repeat(local[:, None, :], 16, axis=1)
    pp = cp.decide_all(truth, products, codes, draws, history, wide=True)
    head = cp.headline(pp)
    assert head["capture"] > 0.3 and head["harm"] <= 0.1
    assert np.max(np.abs(pp["elasticity_signed_error"])) < 1e-3  # the draws' elasticity at p0 is the truth's
    flat = np.broadcast_to(np.array([-1.0, 0.0]), draws.shape).copy()
    assert cp.headline(cp.decide_all(truth, products, codes, flat, history))["changed"] == 0.0
    ranges = cp.search_range_capture(pp)
    assert ranges["capture_in_range"] == pytest.approx(1.0) and ranges["best_outside_range"] == 0.0


def test_slide_keeps_the_elasticity_spread_at_p0_with_the_centres_curvature():
    rng = np.random.default_rng(8)
    draws = np.column_stack([rng.normal(-1.0, 0.5, 64), -np.abs(rng.normal(0.5, 0.4, 64))])
    delta0 = 0.2
    moved = cp.slide(draws, np.array([-2.0, -0.7]), delta0)
    e_before = draws[:, 0] + 2.0 * draws[:, 1] * delta0
    e_after = moved[:, 0] + 2.0 * moved[:, 1] * delta0
    assert np.all(moved[:, 1] == -0.7)
    np.testing.assert_allclose(e_after - e_after.mean(), e_before - e_before.mean(), atol=1e-12)
    assert e_after.mean() == pytest.approx(-2.0 + 2.0 * -0.7 * delta0)
