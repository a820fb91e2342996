"""The price response's measured-but-off prior options (docs/price-response.md, "Why P(gain) over-promises"):
heavy-tailed errors in the empirical-Bayes prior, correlated parts, and the curvature spread's scaling."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from pricing_training import price_response, shrinkage


def test_heavy_tailed_errors_keep_a_few_large_errors_out_of_the_learned_spread():
    """400 products around one category mean with a true spread of sd 0.3; each states an error of sd 0.3, but 15%
    of them are off by 4 times that. The normal-error fit reads those errors as spread; with error scales
    (1, 4, 16) the spread stays near the truth, the weight of the larger scales near 15%, and the product furthest
    out is pulled back harder toward its category."""
    rng = np.random.default_rng(3)
    n, true_sd, se = 400, 0.3, 0.3
    centre = np.array([-1.2, -0.5])
    truth = centre + rng.normal(0.0, true_sd, (n, 2))
    wild = rng.random(n) < 0.15
    raw = truth + rng.normal(0.0, se, (n, 2)) * np.where(wild, 4.0, 1.0)[:, None]
    info = np.tile(np.eye(2) / se ** 2, (n, 1, 1))
    groups = np.zeros(n, int)
    normal = shrinkage.fit(raw, info, groups, kappa=3.0)
    tailed = shrinkage.fit(raw, info, groups, kappa=3.0, error_scales=(1.0, 4.0, 16.0))
    sd_normal = np.sqrt(np.diag(normal.between()))
    sd_tailed = np.sqrt(np.diag(tailed.between()))
    assert np.all(sd_normal > 1.5 * true_sd), sd_normal  # 0.15 × 15 × 0.09 = 0.2 of variance added
    assert np.all(np.abs(sd_tailed - true_sd) < 0.1), sd_tailed
    assert 0.05 < tailed.weights[1:].sum() < 0.3, tailed.weights
    far = int(np.argmax(np.abs(raw - centre).sum(axis=1)))
    assert np.abs(tailed.posterior_mean()[far] - centre).sum() < np.abs(normal.posterior_mean()[far] - centre).sum()
    draws = shrinkage.draws(tailed, 32, seed=0)
    assert draws.shape == (n, 32, 2) and np.all(draws[:, :, 1] <= 0.0)
    with pytest.raises(ValueError, match="components = 1"):
        shrinkage.fit(raw, info, groups, kappa=3.0, components=2, error_scales=(1.0, 4.0))


def _own(p: int = 60, seed: int = 5) -> price_response.OwnEstimates:
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(3), p // 3)
    info = np.tile(np.eye(2) * 4.0, (p, 1, 1))
    info[0] = 0.0  # a product whose price never moved
    raw_n = rng.normal([-1.0, -0.4], 0.6, (p, 2))
    raw_s = rng.normal([-0.3, -0.2], 0.5, (p, 2))
    return price_response.OwnEstimates([f"{20000 + i}" for i in range(p)], groups, raw_n, info, raw_s, info.copy())


def test_correlated_parts_add_their_covariance_and_reduce_to_independent_parts_at_zero():
    """correlated_parts_posterior: with correlation 0 it is the sum of the parts' own posteriors; with ρ > 0 a
    product without information gets the prior of the sum, T_orders + T_size + ρ (T_o^½ T_s^½ + its transpose)."""
    own = _own()
    cfg = price_response.ResponseConfig(draws=8, prior_split_check=False, truncated_curvature=False)
    base = price_response.posterior(own, cfg)
    groups = own.groups
    priors = {}
    for name, raw, info in (("orders", own.raw_n, own.info_n), ("size", own.raw_s, own.info_s)):
        priors[name] = (shrinkage.fit(raw, info, groups, cfg.category_strength), (raw, info))
    mean0, cov0 = shrinkage.correlated_parts_posterior(priors["orders"], priors["size"], groups, 0.0)
    np.testing.assert_allclose(cov0, base.cov, rtol=1e-6, atol=1e-9)
    summed = priors["orders"][0].posterior_mean() + priors["size"][0].posterior_mean()
    np.testing.assert_allclose(mean0, summed, atol=1e-8)
    rho = 0.8
    _, cov = shrinkage.correlated_parts_posterior(priors["orders"], priors["size"], groups, rho)
    t_n, t_s = priors["orders"][0].spreads[0], priors["size"][0].spreads[0]
    cross = rho * shrinkage._sqrtm(t_n) @ shrinkage._sqrtm(t_s)
    np.testing.assert_allclose(cov[0], t_n + t_s + cross + cross.T, rtol=1e-6)
    assert cov[0, 0, 0] > cov0[0, 0, 0]
    correlated = price_response.posterior(own, dataclasses.replace(cfg, part_correlation=rho, truncated_curvature=False))
    np.testing.assert_allclose(correlated.cov, cov, rtol=1e-6)
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        shrinkage.correlated_parts_posterior(priors["orders"], priors["size"], groups, 1.0)


def test_scaling_the_curvature_spread_keeps_the_correlation_and_needs_revisions_to_be_checked():
    own = _own()
    prior = shrinkage.fit(own.raw_n, own.info_n, own.groups, 3.0)
    doubled = price_response.scale_curvature_spread(prior, own.raw_n, own.info_n, own.groups, 2.0)
    t0, t1 = prior.spreads[0], doubled.spreads[0]
    assert t1[1, 1] == pytest.approx(4.0 * t0[1, 1]) and t1[0, 0] == t0[0, 0]
    assert t1[0, 1] / np.sqrt(t1[0, 0] * t1[1, 1]) == pytest.approx(t0[0, 1] / np.sqrt(t0[0, 0] * t0[1, 1]))
    # The product without information: its posterior is the prior, whose c now spreads twice as far.
    assert doubled.posterior_cov()[0, 1, 1] == pytest.approx(4.0 * prior.posterior_cov()[0, 1, 1])
    assert price_response.revisions_curvature_ratio(own, prior, own.groups) == 1.0
