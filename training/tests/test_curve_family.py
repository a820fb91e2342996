"""The third shape term (curve_family.py, ResponseConfig.third_term): what the family can say at the current price,
its prior's spread learned from the products' estimates, its draws, and the decision computed with it."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from pricing_training import curve_family, decision, demand_truth, price_response, scenarios, shrinkage, weekly
from pricing_training.cleaning import clean
from pricing_training.config import QUICK

LOGIT = demand_truth.FORMS.index("logit")


def _logit_products(count: int, seed: int):
    """Logit demand curves (the generator's form_response, shape g in [2.5, 6]) with a year of weekly list prices
    around a reference (log-price sd 0.15) and a current price among them: (ln H at each week's price, Δ, Δ0,
    the true elasticity at p0) per product."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        g = rng.uniform(2.5, 6.0)
        x_ref = rng.uniform(0.6, 1.5)  # the reference price in units of the revenue optimum: near and far from it
        delta = rng.normal(0.0, 0.15, 52)
        delta0 = float(delta[-1])
        level = np.log(demand_truth.form_response(LOGIT, g, x_ref * np.exp(delta)))
        step = 1e-4
        ends = np.log(demand_truth.form_response(LOGIT, g, x_ref * np.exp(delta0 + np.array([-step, step]))))
        out.append((level, delta, delta0, float(np.diff(ends)[0] / (2 * step))))
    return out


def test_the_third_term_recovers_a_logit_curves_slope_at_the_current_price_better_than_the_log_quadratic():
    products = _logit_products(200, 1)
    errors = {k: np.array([curve_family.noiseless_elasticity(level, delta, d0, k) - truth
                           for level, delta, d0, truth in products]) for k in (2, 3)}
    rms = {k: float(np.sqrt(np.mean(e ** 2))) for k, e in errors.items()}
    truth_sd = float(np.std([p[3] for p in products]))
    # The log-quadratic misses logit's fast-changing slope by a visible share of the products' spread; the third
    # term takes most of that away (measured here: rms 0.25 -> 0.05 against a true sd of 1.3).
    assert rms[2] > 0.1 * truth_sd
    assert rms[3] < 0.4 * rms[2]


def test_the_exp_term_holds_demand_exponential_in_the_price_exactly():
    rng = np.random.default_rng(2)
    delta = rng.normal(0.0, 0.2, 52)
    beta_pref = 1.7  # ln q = a − β p = a − β p_ref e^Δ
    level = 3.0 - beta_pref * np.exp(delta)
    d0 = 0.12
    truth = -beta_pref * np.exp(d0)
    assert curve_family.noiseless_elasticity(level, delta, d0, 3, term="exp") == pytest.approx(truth, abs=1e-8)
    assert abs(curve_family.noiseless_elasticity(level, delta, d0, 2) - truth) > 1e-3


def _estimates(true: np.ndarray, seed: int, noise: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
    """Each product's own estimate of (b, c, d) and its information: a product's 30-150 weeks at log prices with sd
    0.15, Gaussian noise of sd `noise` per week on its log demand, the estimate drawn from its sampling distribution."""
    rng = np.random.default_rng(seed)
    raw, info = np.empty_like(true), np.empty((len(true), 3, 3))
    for i, beta in enumerate(true):
        delta = rng.normal(0.0, 0.15, int(rng.integers(30, 150)))
        x = curve_family.design(delta)
        x = x - x.mean(axis=0)  # the intercept profiled out
        info[i] = x.T @ x / noise ** 2
        raw[i] = rng.multivariate_normal(beta, np.linalg.inv(info[i]))
    return raw, info


def _true_coefficients(count: int, d_sd: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.normal(-1.2, 0.6, count), rng.normal(-0.8, 0.4, count), rng.normal(-0.3, d_sd, count)])


def test_the_prior_learns_no_spread_of_the_third_coefficient_where_every_product_shares_it():
    groups = np.zeros(300, int)
    shared = _true_coefficients(300, 0.0, 3)
    raw, info = _estimates(shared, 4)
    prior = shrinkage.fit(raw, info, groups, kappa=3.0)
    sd = np.sqrt(np.diag(prior.between()))
    se_d = np.median(np.sqrt(np.linalg.inv(info)[:, 2, 2]))
    # Every product's own d is noisy (se about 0.5 here) and the learned spread comes out at a fraction of that
    # (0.05-0.17 over seeds 3, 5, 7), so each posterior of d is pulled close to the common value. It reaches 0 only as
    # the products' information grows: at a weekly noise of 0.5 (se of d about 1.7, like the scenarios' orders part)
    # the same fit leaves 0.17-0.44, the sampling noise of a variance estimated from 300 noisy estimates.
    assert sd[2] < 0.4 * se_d
    assert sd[0] == pytest.approx(0.6, abs=0.15)
    assert prior.global_mean[2] == pytest.approx(-0.3, abs=0.15)
    # A positive control: when the products' d do differ, the same fit learns that they do.
    varied = _true_coefficients(300, 0.8, 3)
    raw_v, info_v = _estimates(varied, 4)
    assert np.sqrt(shrinkage.fit(raw_v, info_v, groups, kappa=3.0).between()[2, 2]) > 0.5


def test_draws_keep_c_non_positive_and_carry_the_posterior_when_the_constraint_does_not_bind():
    mean = np.array([[-1.0, -2.0, 0.3], [-0.5, 0.1, -0.2]])
    root = np.array([[0.3, 0.0, 0.0], [0.1, 0.2, 0.0], [-0.2, 0.1, 0.4]])
    cov = np.stack([root @ root.T] * 2)
    out = curve_family.draws(mean, cov, 4096, seed=5)
    assert out.shape == (2, 4096, 3)
    assert (out[:, :, 1] <= 0.0).all()
    # Product 0's c is 10 sd below 0: its draws are the normal posterior.
    assert out[0].mean(axis=0) == pytest.approx(mean[0], abs=0.02)
    assert np.cov(out[0].T) == pytest.approx(cov[0], abs=0.02)
    # Product 1's c straddles 0: its draws are conditioned, so b and d move with the truncated c.
    assert out[1, :, 1].mean() < -0.05


def test_the_decision_uses_the_third_term_and_is_unchanged_without_it():
    rng = np.random.default_rng(6)
    two = np.column_stack([rng.normal(-1.5, 0.2, 64), -np.abs(rng.normal(0.8, 0.2, 64))])
    three = np.column_stack([two, rng.normal(-0.4, 0.1, 64)])
    resp2 = decision.ProductResponse(np.log(2.0), two, 2.3, (1.6, 3.0), 0.95)
    resp3 = dataclasses.replace(resp2, draws=three)
    prices = np.array([1.7, 2.0, 2.3, 2.9])
    delta = np.log(prices) - np.log(2.0)
    phi = curve_family.TERMS[curve_family.THIRD_TERM][0](delta)
    expected = np.exp(two[:, :1] * delta + two[:, 1:] * delta ** 2 + three[:, 2:] * phi)
    assert decision.multipliers(resp3, prices) == pytest.approx(expected, rel=1e-12)
    zero_d = dataclasses.replace(resp3, draws=np.column_stack([two, np.zeros(64)]))
    assert decision.multipliers(zero_d, prices) == pytest.approx(decision.multipliers(resp2, prices), rel=1e-12)
    d0 = np.log(2.3 / 2.0)
    slope = two[:, 0] + 2 * two[:, 1] * d0 + three[:, 2] * curve_family.TERMS[curve_family.THIRD_TERM][1](d0)
    assert decision.elasticity_draws(resp3) == pytest.approx(slope, rel=1e-12)
    assert decision.decide(resp3, 1.0, 1.6, 3.0)["elasticity"] == pytest.approx(slope.mean(), rel=1e-9)


@pytest.mark.parametrize("term", sorted(curve_family.TERMS))
def test_the_expected_term_under_a_known_shift_is_the_mean_of_the_shifted_term(term):
    rng = np.random.default_rng(8)
    delta = rng.normal(0.05, 0.2, 400_000)
    phi = curve_family.design(delta, 3, term)[:, 2]
    for shift in (0.0, -0.15, 0.1):
        shifted = curve_family.design(delta + shift, 3, term)[:, 2].mean()
        assert curve_family.expected_term(phi.mean(), delta.mean(), (delta ** 2).mean(), shift, term) == pytest.approx(
            shifted, rel=1e-9, abs=1e-12)


def test_the_product_fit_recovers_three_coefficients_from_counts():
    rng = np.random.default_rng(9)
    delta = rng.normal(0.0, 0.2, 4000)
    z = curve_family.design(delta)
    z = z - z.mean(axis=0)
    beta = np.array([-1.3, -0.9, -0.4])
    counts = rng.poisson(np.exp(np.log(6.0) + z @ beta))
    keep = counts > 0  # the fit is of weeks with a sale (zero-truncated)
    est, info = price_response._product_fit(counts[keep].astype(float), np.zeros(keep.sum()), z[keep], 5.0)
    se = np.sqrt(np.diag(np.linalg.inv(info)))
    assert np.all(np.abs(est - beta) < 4 * se)
    assert info.shape == (3, 3)


def test_the_method_with_the_third_term_runs_end_to_end_on_a_scenario():
    scen = dataclasses.replace(scenarios.SCENARIOS["exp-strong"].twin(), lines=15_000, products=80)
    panel = weekly.build(clean(scenarios.generate(scen, 2).transactions)[0])
    cfg = price_response.ResponseConfig(trees=QUICK.response_trees, draws=32, third_term=True,
                                        truncated_curvature=False)
    response, _ = price_response.fit(panel, cfg)
    assert response.draws.shape == (len(response.stockcodes), 32, 3)
    assert np.isfinite(response.draws).all() and (response.draws[:, :, 1] <= 0).all()
    assert len(response.summary["orders"]["between_sd"]) == 3
    facts = panel.products.set_index("stockcode")
    assert (facts["support_min"] <= facts["current_price"]).all() and (facts["current_price"] <= facts["support_max"]).all()


def test_a_coefficient_without_spread_takes_its_categorys_value():
    # ResponseConfig.third_term_by_product=False: d held at one value per category, b and c still per product.
    groups = np.repeat([0, 1], 150)
    true = _true_coefficients(300, 0.0, 10)
    true[groups == 1, 2] += 0.6
    raw, info = _estimates(true, 11)
    prior = shrinkage.fit(raw, info, groups, kappa=3.0, no_spread=(2,))
    assert np.sqrt(prior.between()[2, 2]) < 1e-2
    assert prior.between()[0, 2] == 0.0 and prior.between()[1, 2] == 0.0
    d = prior.posterior_mean()[:, 2]
    assert np.ptp(d[groups == 0]) < 0.05 and np.ptp(d[groups == 1]) < 0.05
    assert d[groups == 1].mean() - d[groups == 0].mean() == pytest.approx(0.6, abs=0.15)
