"""The price response (price_response.py) against a scenario's true curves, where prices are exogenous
(an unconfounded twin), so that an honest estimator has nothing to hide behind."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pricing_training import curvature_prior, price_response, scenarios, shrinkage, weekly
from pricing_training.cleaning import clean
from pricing_training.config import QUICK

TWIN = dataclasses.replace(scenarios.SCENARIOS["exp-strong"].twin(), lines=40_000, products=200)
SEED = 3
# Median |estimated - true| elasticity at the current price, with `train --mode quick`'s nuisance budget.
# Measured on this data set: 0.233 at seed 3 (0.20-0.28 over seeds 3-6) while the method was being tuned.
# The bound is 1.5x that: it catches a breakdown (the products' raw estimates are 0.8-0.9 off, a wrong
# reference price or Δ0 much more), not a slow drift. Note what it does not claim: the estimate is
# attenuated here (median -0.78 against a true -0.99), and a constant guess of -1 for every product
# would score ~0.19 on this data.
ELASTICITY_BOUND = 0.35


@dataclasses.dataclass
class Fit:
    data: scenarios.ScenarioData
    panel: weekly.WeeklyPanel
    response: price_response.PriceResponse
    flat: str  # the product whose list price was made constant


def _flatten(data: scenarios.ScenarioData, code: str) -> pd.DataFrame:
    """The transactions with `code`'s list price held at its current price all year (each line keeps its
    discount: trade, quantity break)."""
    tx = data.transactions.copy()
    mask = (tx["StockCode"] == code).to_numpy()
    week = ((tx.loc[mask, "InvoiceDate"] - scenarios.START).dt.days // 7).to_numpy()
    list_price = data.weeks.set_index(["stockcode", "week"])["list_price"]
    paid_list = list_price.loc[list(zip([code] * len(week), week))].to_numpy()
    current = data.truth.products.set_index("stockcode").loc[code, "current_price"]
    tx.loc[mask, "UnitPrice"] = tx.loc[mask, "UnitPrice"].to_numpy() * current / paid_list
    return tx


@pytest.fixture(scope="module")
def fit() -> Fit:
    data = scenarios.generate(TWIN, SEED)
    truth = data.truth.products
    lines = data.transactions["StockCode"].value_counts()
    category_size = truth["category"].value_counts()
    ranked = [c for c in lines.index if c in set(truth["stockcode"])]
    # A well-selling product (plenty of data, only no price variation) with a populated category.
    flat = next(c for c in ranked[5:] if category_size[truth.set_index("stockcode").loc[c, "category"]] >= 5)
    panel = weekly.build(clean(_flatten(data, flat))[0])
    response, _ = price_response.fit(panel, price_response.ResponseConfig(trees=QUICK.response_trees,
                                                                          draws=QUICK.response_draws))
    return Fit(data, panel, response, flat)


def _elasticity(mean: np.ndarray, facts: pd.DataFrame) -> np.ndarray:
    delta0 = np.log(facts["current_price"].to_numpy()) - facts["log_reference_price"].to_numpy()
    return mean[:, 0] + 2.0 * mean[:, 1] * delta0


def test_elasticity_at_the_current_price_is_close_to_the_truth(fit):
    r = fit.response
    facts = fit.panel.products.set_index("stockcode").loc[r.stockcodes]
    assert r.stockcodes == fit.panel.stockcodes and len(r.stockcodes) >= 190
    estimated = _elasticity(r.mean, facts)
    true = np.array([fit.data.truth.elasticity(c, p) for c, p in zip(r.stockcodes, facts["current_price"])])
    error = np.abs(estimated - true)
    assert np.median(error) < ELASTICITY_BOUND, np.median(error)
    # Shrinkage earns its keep: the products' own estimates are much further off.
    raw = np.abs(_elasticity(r.raw, facts) - true)
    assert np.median(error) < 0.6 * np.median(raw), (np.median(error), np.median(raw))
    # The own estimates' standard errors describe their errors: about 68% within one of them.
    own_errors = np.abs(r.raw[:, 0] - np.array([fit.data.truth.elasticity(c, np.exp(lr)) for c, lr in
                                                 zip(r.stockcodes, facts["log_reference_price"])]))
    assert 0.45 <= np.mean(own_errors <= r.raw_sd) <= 0.9, np.mean(own_errors <= r.raw_sd)
    # Demand falls with the price for (nearly) every product, as it does in the truth.
    assert np.mean(estimated < 0) >= 0.95 and np.all(true < 0)


def test_posterior_intervals_are_finite_and_positive_definite(fit):
    r = fit.response
    p = len(r.stockcodes)
    assert r.mean.shape == (p, 2) and r.cov.shape == (p, 2, 2) and r.draws.shape == (p, QUICK.response_draws, 2)
    assert np.all(np.isfinite(r.mean)) and np.all(np.isfinite(r.cov)) and np.all(np.isfinite(r.draws))
    np.testing.assert_allclose(r.cov, np.transpose(r.cov, (0, 2, 1)), rtol=1e-9, atol=1e-12)
    assert np.all(np.linalg.eigvalsh(r.cov) > 0)
    # The draws carry that posterior: the normal N(parent_mean, cov) conditioned on c <= 0, centred and spread as its
    # truncated moments say; `mean` is theirs.
    first, second = curvature_prior.truncated_moments(r.parent_mean, r.cov)
    sd = np.sqrt(np.maximum(second[:, [0, 1], [0, 1]] - first * first, 0.0))
    s = r.draws.shape[1]
    assert np.all(np.abs(r.draws.mean(axis=1) - first) <= 4 * sd / np.sqrt(s) + 1e-6)
    np.testing.assert_allclose(r.mean, r.draws.mean(axis=1))
    ratio = r.draws.std(axis=1) / np.maximum(sd, 1e-12)
    assert np.all(0.8 < np.median(ratio, axis=0)) and np.all(np.median(ratio, axis=0) < 1.2), np.median(ratio, axis=0)
    facts = fit.panel.products.set_index("stockcode").loc[r.stockcodes]
    delta0 = np.log(facts["current_price"].to_numpy()) - facts["log_reference_price"].to_numpy()
    e = r.draws[:, :, 0] + 2.0 * r.draws[:, :, 1] * delta0[:, None]
    width = np.quantile(e, 0.9, axis=1) - np.quantile(e, 0.1, axis=1)
    assert np.all(width > 0) and np.all(np.isfinite(width))


def test_a_product_whose_price_never_moved_gets_its_categorys_response(fit):
    r = fit.response
    i = r.stockcodes.index(fit.flat)
    rows = fit.panel.rows[fit.panel.rows["stockcode"] == fit.flat]
    assert rows["observed"].sum() >= 20 and np.ptp(rows["log_price"]) < 1e-9  # plenty of weeks, one price
    category = fit.panel.products.set_index("stockcode")["category"]
    peers = [k for k, c in enumerate(r.stockcodes) if category[c] == category[fit.flat] and c != fit.flat]
    assert len(peers) >= 4
    # The prior of every product: the sum's population on c <= 0 (its parent normal's spread, truncated).
    population = r.summary["truncated_curvature"]
    prior_sd = np.array(population["parent_sd"])
    peer_mean = r.mean[peers].mean(axis=0)
    spread = r.draws[peers].std(axis=1).mean(axis=0)  # a peer's posterior spread, as drawn
    assert np.all(np.abs(r.mean[i] - peer_mean) <= 0.5 * spread), (r.mean[i], peer_mean, spread)
    # Its own data (no list-price variation) says nothing useful: its own estimate is far from the posterior in at
    # least one coefficient (the other may land near it by chance: the size part still sees the invoices' codes).
    assert np.any(np.abs(r.mean[i] - r.raw[i]) > 3 * r.draws[i].std(axis=0))
    posterior_sd = np.sqrt(np.diag(r.cov[i]))
    np.testing.assert_allclose(posterior_sd, prior_sd, rtol=0.15)  # and the posterior is the prior


def test_shrinkage_without_information_is_the_category_mean():
    """The hierarchical model itself: a product with no information (no price variation) gets its
    category's mean and the between-product covariance; well-measured products keep their estimates."""
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(3), 10)
    centres = np.array([[-2.0, -0.5], [-1.0, 0.0], [-0.5, -1.0]])
    raw = centres[groups] + rng.normal(0.0, 0.3, (30, 2))
    info = np.tile(np.eye(2) * 400.0, (30, 1, 1))
    info[12] = 0.0  # product 12 (category 1) never changed its price
    raw[12] = [7.0, 7.0]  # whatever its own fit said is ignored
    prior = shrinkage.fit(raw, info, groups, kappa=3.0)
    mean, cov, between = prior.posterior_mean(), prior.posterior_cov(), prior.between()
    np.testing.assert_allclose(mean[12], prior.category_means[1], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(cov[12], between, rtol=1e-9)
    others = np.arange(30) != 12
    assert np.max(np.abs(mean[others] - raw[others])) < 0.05  # sd 0.05 of their own against a spread of 0.3
    # Its category's, not the global one: nearest to category 1's centre of the three.
    assert np.argmin(np.linalg.norm(centres - mean[12], axis=1)) == 1
    assert np.all(np.linalg.eigvalsh(between) > 0)


def test_component_posteriors_are_the_conjugate_update_and_rank_components_by_marginal_likelihood():
    """shrinkage.component_posteriors (what EM and cap_curvature_spread use): each component's posterior is the
    normal-normal update in information form, and the log marginal likelihoods differ across components as the
    densities of the estimate under N(μ, T_k + I⁻¹) do (the per-product constant cancels)."""
    rng = np.random.default_rng(4)
    p = 6
    raw = rng.normal(-1.0, 1.0, (p, 2))
    a = rng.normal(0.0, 1.0, (p, 2, 2))
    info = np.einsum("pij,pkj->pik", a, a) + 0.5 * np.eye(2)
    mu = np.tile([-1.2, -0.4], (p, 1))
    spreads = np.stack([np.array([[0.3, 0.05], [0.05, 0.2]]), np.array([[2.0, -0.3], [-0.3, 1.5]])])
    means, covs, logm = shrinkage.component_posteriors(raw, info, mu, spreads)
    assert means.shape == (p, 2, 2) and covs.shape == (p, 2, 2, 2) and logm.shape == (p, 2)
    for i in range(p):
        for k, t in enumerate(spreads):
            cov = np.linalg.inv(info[i] + np.linalg.inv(t))
            np.testing.assert_allclose(covs[i, k], cov, rtol=1e-10)
            np.testing.assert_allclose(means[i, k], cov @ (info[i] @ raw[i] + np.linalg.solve(t, mu[i])), rtol=1e-10)
        density = [stats.multivariate_normal(mu[i], t + np.linalg.inv(info[i])).logpdf(raw[i]) for t in spreads]
        assert logm[i, 1] - logm[i, 0] == pytest.approx(density[1] - density[0], rel=1e-9, abs=1e-9)


def test_a_capped_curvature_spread_keeps_the_elasticity_from_following_the_c_truncation():
    """Forty products whose prices lie below their reference (so b and c are confounded: their errors correlate)
    and whose own c estimates scatter widely with little information, as on a log where prices barely move. The
    learned c spread is wide; each posterior of c conditioned on c <= 0 then has a mean far below 0 and b follows
    it. Capped (ResponseConfig.max_curvature_spread), c's spread is the cap, its correlation with b is kept, the
    posterior c stays near its category's and the median b is no longer pulled below the truth."""
    rng = np.random.default_rng(1)
    n = 40
    groups = np.zeros(n, dtype=int)
    delta = -np.abs(rng.normal(0.0, 0.1, (n, 20)))  # prices at or below the reference
    x = np.stack([delta, delta ** 2], axis=2)
    info = np.einsum("pwi,pwj->pij", x, x) * 30.0
    cov = np.linalg.inv(info)
    truth = np.tile([-1.0, -0.5], (n, 1))
    raw = truth + np.stack([rng.multivariate_normal(np.zeros(2), c) for c in cov]) + np.c_[np.zeros(n), rng.normal(0, 4.0, n)]
    prior = shrinkage.fit(raw, info, groups, kappa=3.0)
    assert np.sqrt(prior.between()[1, 1]) > 2.0  # the scatter of c read as spread between products
    capped = price_response.cap_curvature_spread(prior, raw, info, groups, 0.5)
    t0, t1 = prior.spreads[0], capped.spreads[0]
    assert np.sqrt(t1[1, 1]) == pytest.approx(0.5) and t1[0, 0] == t0[0, 0]
    assert t1[0, 1] / np.sqrt(t1[0, 0] * t1[1, 1]) == pytest.approx(t0[0, 1] / np.sqrt(t0[0, 0] * t0[1, 1]))
    wide = shrinkage.draws(prior, 64, 0).mean(axis=1)
    narrow = shrinkage.draws(capped, 64, 0).mean(axis=1)
    assert np.median(narrow[:, 1]) > np.median(wide[:, 1]) + 0.5  # c no longer pulled far below 0
    # b no longer follows c down: its median is nearer the truth (-1.16 against -1.04 at this seed; truth -1).
    assert abs(np.median(narrow[:, 0]) + 1.0) < 0.5 * abs(np.median(wide[:, 0]) + 1.0)


def test_a_scale_mixture_prior_learns_a_narrow_core_and_a_wide_tail():
    """Deviations from one category mean drawn from a mixture: 70% within sd 0.1, 30% within sd 1.0, each
    measured with sd 0.05. Three components find the two scales and weights; a product far out keeps its
    estimate while a normal prior (fit to the same data) pulls it in harder; the draws follow the mixture
    posterior (a near product's draws stay near, c <= 0 always)."""
    rng = np.random.default_rng(1)
    n = 600
    tail = rng.random(n) < 0.3
    centre = np.array([-1.5, -0.8])
    truth = centre + rng.normal(0.0, 1.0, (n, 2)) * np.where(tail, 1.0, 0.1)[:, None]
    raw = truth + rng.normal(0.0, 0.05, (n, 2))
    info = np.tile(np.eye(2) / 0.05 ** 2 * 0.02, (n, 1, 1))  # sd 0.35: the data alone cannot tell them apart
    groups = np.zeros(n, int)
    mix = shrinkage.fit(raw, info, groups, kappa=3.0, components=3)
    normal = shrinkage.fit(raw, info, groups, kappa=3.0, components=1)
    core_sd = np.sqrt(np.diag(mix.spreads[np.argmax(mix.weights)]))
    assert np.all(core_sd < 0.25), core_sd
    widest = np.sqrt(np.diag(mix.spreads[np.argmax([t[0, 0] for t in mix.spreads])]))
    assert np.all(widest > 0.6), widest
    far = int(np.argmax(np.abs(raw[:, 0] - centre[0])))
    err_mix = np.abs(mix.posterior_mean()[far] - truth[far]).max()
    err_normal = np.abs(normal.posterior_mean()[far] - truth[far]).max()
    assert err_mix < err_normal, (err_mix, err_normal)
    draws = shrinkage.draws(mix, 64, seed=0)
    assert draws.shape == (n, 64, 2) and np.all(draws[:, :, 1] <= 0.0)
    near = int(np.argmin(np.abs(raw - centre).max(axis=1)))
    assert np.abs(draws[near].mean(axis=0) - mix.posterior_mean()[near]).max() < 0.1


def test_the_supported_range_ends_where_the_posterior_stops_knowing_the_curve():
    """Three products at p0 = p_ref = 2 with the observed range [1.4, 2.9]: one well measured (b sd 0.05), one
    vaguely (b sd 1.0), one not at all (b sd 5). The first keeps its observed range; the second's ends where
    the sd of ln(m(p)/m(p0)) = sd(b)·|Δ| passes 0.35 (|Δ| = 0.35); the third gets ±10%, never less."""
    rng = np.random.default_rng(0)
    z = rng.standard_normal(4000)
    draws = np.stack([np.stack([-1.0 + sd * z, np.zeros_like(z)], axis=1) for sd in (0.05, 1.0, 5.0)])
    codes = ["A", "B", "C"]
    response = price_response.PriceResponse(codes, draws.mean(axis=1), np.zeros((3, 2, 2)), draws,
                                            np.zeros((3, 2)), np.ones(3), {})
    products = pd.DataFrame({"stockcode": codes, "current_price": 2.0, "log_reference_price": np.log(2.0),
                             "support_min": 1.4, "support_max": 2.9})
    lo, hi = price_response.evidence_support(products, response, max_sd=0.35, points=401)
    assert lo[0] == pytest.approx(1.4) and hi[0] == pytest.approx(2.9)
    assert np.log(2.0 / lo[1]) == pytest.approx(0.35, abs=0.01) and np.log(hi[1] / 2.0) == pytest.approx(0.35, abs=0.01)
    assert lo[2] == pytest.approx(2.0 / weekly.MIN_RANGE) and hi[2] == pytest.approx(2.0 * weekly.MIN_RANGE)


def test_parts_shrunk_apart_or_pooled():
    """posterior(): by default each part (orders, size) is shrunk under its own prior and the posteriors added;
    with pool_parts the parts' estimates are added first and shrunk under one prior. Both give draws with
    c <= 0 centred on their posterior, and a summary per prior."""
    rng = np.random.default_rng(2)
    p = 120
    groups = np.repeat(np.arange(4), 30)
    truth_n = np.column_stack([rng.normal(-0.7, 0.3, p), rng.normal(-0.4, 0.2, p)])
    truth_s = np.column_stack([rng.normal(-0.3, 0.2, p), rng.normal(-0.2, 0.2, p)])
    info_n = np.tile(np.eye(2) * 25.0, (p, 1, 1))
    info_s = np.tile(np.eye(2) * 16.0, (p, 1, 1))
    own = price_response.OwnEstimates([f"{10000 + i}" for i in range(p)], groups,
                                      truth_n + rng.normal(0, 0.2, (p, 2)), info_n,
                                      truth_s + rng.normal(0, 0.25, (p, 2)), info_s)
    apart = price_response.posterior(own, price_response.ResponseConfig(draws=32, truncated_curvature=False))
    pooled = price_response.posterior(own, price_response.ResponseConfig(draws=32, pool_parts=True,
                                                                         truncated_curvature=False))
    assert set(apart.summary) == {"orders", "size"} and set(pooled.summary) == {"pooled"}
    for r in (apart, pooled):
        assert r.draws.shape == (p, 32, 2) and np.all(r.draws[:, :, 1] <= 0.0) and np.all(np.isfinite(r.draws))
        np.testing.assert_allclose(r.raw, own.raw_n + own.raw_s)
    # Both estimate the summed response better than the raw sum does.
    truth = truth_n + truth_s
    raw_error = np.abs(apart.raw[:, 0] - truth[:, 0]).mean()
    for r in (apart, pooled):
        assert np.abs(r.mean[:, 0] - truth[:, 0]).mean() < raw_error


def test_the_orders_prior_is_learned_with_its_errors_checked_on_halves():
    """posterior(): the orders part's stated errors are 3x its true noise (its quasi-Poisson errors err that way);
    its halves disagree only by the true noise. With the split check (default) the prior's between-product spread
    is learned with the checked errors and comes out near the truth; without it the spread collapses. Each
    product still keeps its stated errors: its posterior is never narrower than under the checked ones."""
    rng = np.random.default_rng(5)
    p, true_sd, noise, stated = 400, 0.5, 0.4, 1.2
    groups = np.repeat(np.arange(4), p // 4)
    beta = np.column_stack([rng.normal(-0.6, true_sd, p), rng.normal(-0.3, 0.1, p)])
    half_noise = noise * np.sqrt(2.0)  # two halves, each with half the information
    halves_raw = beta[:, None, :] + rng.normal(0.0, half_noise, (p, 2, 2))
    raw_n = halves_raw.mean(axis=1)
    info_n = np.tile(np.eye(2) / stated ** 2, (p, 1, 1))
    halves_info = np.tile(np.eye(2) / (2.0 * stated ** 2), (p, 2, 1, 1))
    size = np.zeros((p, 2)), np.tile(np.eye(2) * 1e-6, (p, 1, 1))
    own = price_response.OwnEstimates([f"{20000 + i}" for i in range(p)], groups, raw_n, info_n, *size,
                                      halves_raw_n=halves_raw, halves_info_n=halves_info)
    scale = price_response.orders_prior_scale(own)
    assert scale == pytest.approx((stated / noise) ** 2, rel=0.3)
    # The parts' own priors, as learned (the sum's truncated population is relearned after them: off here).
    checked = price_response.posterior(own, price_response.ResponseConfig(draws=16, truncated_curvature=False))
    unchecked = price_response.posterior(own, price_response.ResponseConfig(draws=16, prior_split_check=False,
                                                                           truncated_curvature=False))
    assert checked.summary["orders"]["prior_information_scale"] == pytest.approx(scale)
    assert checked.summary["orders"]["between_sd"][0] == pytest.approx(true_sd, rel=0.25)
    assert unchecked.summary["orders"]["between_sd"][0] < 0.6 * true_sd, unchecked.summary
    # The stated errors are kept: the posterior sd of b is the one under the learned prior and the stated information.
    stated_post = 1.0 / np.sqrt(1.0 / checked.summary["orders"]["between_sd"][0] ** 2 + 1.0 / stated ** 2)
    assert np.median(np.sqrt(checked.cov[:, 0, 0])) == pytest.approx(stated_post, rel=0.05)
    # Without halves there is nothing to check: the prior is learned with the stated errors.
    bare = dataclasses.replace(own, halves_raw_n=None, halves_info_n=None)
    assert price_response.orders_prior_scale(bare) == 1.0


def test_the_revisions_choose_the_orders_prior_scale_when_the_halves_share_their_error():
    """posterior(): each product's two halves share a persistent error (sd 0.9, what confounding or the nuisances'
    error leave in both) besides their own noise, and the stated errors are the total. The halves agree far better
    than the stated errors say, so the split factor is large and the prior learned with it reads the shared error
    as spread between products. The revisions' own estimates (an independent identification) are predicted best
    under a scale near 1, which brings the learned spread of b back near the truth."""
    rng = np.random.default_rng(8)
    p, true_sd, shared, noise = 240, 0.4, 0.9, 0.5
    groups = np.repeat(np.arange(4), p // 4)
    beta = np.column_stack([rng.normal(-1.0, true_sd, p), rng.normal(-0.5, 0.1, p)])
    persistent = rng.normal(0.0, shared, (p, 1, 2))
    halves_raw = beta[:, None, :] + persistent + rng.normal(0.0, noise * np.sqrt(2.0), (p, 2, 2))
    stated = np.sqrt(shared ** 2 + noise ** 2)
    info_w = np.tile(np.eye(2) / stated ** 2, (p, 1, 1))
    halves_info = np.tile(np.eye(2) / (2.0 * stated ** 2), (p, 2, 1, 1))
    rev_sd = 1.0
    raw_e = beta + rng.normal(0.0, rev_sd, (p, 2))
    info_e = np.tile(np.eye(2) / rev_sd ** 2, (p, 1, 1))
    raw_w = halves_raw.mean(axis=1)
    info_n = info_w + info_e
    raw_n = np.linalg.solve(info_n, (np.einsum("pij,pj->pi", info_w, raw_w) + np.einsum("pij,pj->pi", info_e, raw_e))[..., None])[..., 0]
    size = np.zeros((p, 2)), np.tile(np.eye(2) * 1e-6, (p, 1, 1))
    own = price_response.OwnEstimates([f"{30000 + i}" for i in range(p)], groups, raw_n, info_n, *size,
                                      halves_raw_n=halves_raw, halves_info_n=halves_info,
                                      revisions_raw_n=raw_e, revisions_info_n=info_e)
    raw_back, info_back = price_response.weekly_fit_estimates(own)
    np.testing.assert_allclose(raw_back, raw_w, atol=1e-6)
    split = price_response.orders_prior_scale(own)
    assert split > 2.5  # the halves agree (1.06 / 0.5)² ≈ 4.5 times better than stated
    chosen = price_response.revisions_prior_scale(own, split, 3.0)
    assert 1.0 <= chosen < 0.5 * split
    checked = price_response.posterior(own, price_response.ResponseConfig(draws=16, revision_check=True))
    split_only = price_response.posterior(own, price_response.ResponseConfig(draws=16))
    assert checked.summary["orders"]["prior_information_scale"] == pytest.approx(chosen)
    assert checked.summary["orders"]["split_check_scale"] == pytest.approx(split)
    sd_checked = checked.summary["orders"]["between_sd"][0]
    sd_split = split_only.summary["orders"]["between_sd"][0]
    assert abs(sd_checked - true_sd) < abs(sd_split - true_sd)
    assert sd_split > 1.5 * true_sd  # the shared error read as spread
    # Without revisions, or too few products with them, the split factor stands.
    assert price_response.revisions_prior_scale(dataclasses.replace(own, revisions_info_n=None, revisions_raw_n=None), split, 3.0) == split
    thin = info_e.copy()
    thin[price_response.MIN_REVISION_PRODUCTS - 1:] = 0.0
    assert price_response.revisions_prior_scale(dataclasses.replace(own, revisions_info_n=thin), split, 3.0) == split
