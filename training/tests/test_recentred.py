"""The posterior with the slope shrunk at the current price (recentred.py): an exact change of coordinates of the
own estimates, draws returned at the reference price, and a prior that spreads over the elasticity at p0."""
from __future__ import annotations

import numpy as np
import pytest

from pricing_training import price_response, recentred
from pricing_training.price_response import OwnEstimates, ResponseConfig


def _own(rng, n=240, se_b=0.4, se_c=2.5):
    """Products whose elasticity at p0 is the same (−1.5 ± 0.1) while their current price sits anywhere within ±30%
    of the reference and their curvature varies widely, so the slope at the reference varies a lot. The orders part
    is estimated with noise (c poorly identified, as with a product's narrow price range); the size part is ~0."""
    delta0 = rng.uniform(-0.3, 0.3, n)
    c = rng.normal(-2.0, 2.0, n)
    slope_p0 = -1.5 + rng.normal(0.0, 0.1, n)
    b = slope_p0 - 2.0 * c * delta0
    cov = np.diag([se_b ** 2, se_c ** 2])
    raw_n = np.column_stack([b, c]) + rng.multivariate_normal(np.zeros(2), cov, n)
    info_n = np.tile(np.linalg.inv(cov), (n, 1, 1))
    info_s = np.tile(np.eye(2) / 0.05 ** 2, (n, 1, 1))
    raw_s = rng.normal(0.0, 0.05, (n, 2))
    own = OwnEstimates([f"P{i:03d}" for i in range(n)], np.zeros(n, int), raw_n, info_n, raw_s, info_s,
                       delta0=delta0)
    return own, slope_p0, np.column_stack([b, c])


def test_the_change_of_coordinates_is_exact():
    """b' = b + 2cΔ0 and the information maps so that the variance of b' is that of b + 2cΔ0; halves keep their shape."""
    rng = np.random.default_rng(1)
    own, _, _ = _own(rng, n=20)
    own.halves_raw_n = np.stack([own.raw_n, own.raw_n], axis=1)
    own.halves_info_n = np.stack([own.info_n, 2.0 * own.info_n], axis=1)
    moved = recentred.at_current(own)
    d0 = own.delta0
    assert np.allclose(moved.raw_n[:, 0], own.raw_n[:, 0] + 2.0 * own.raw_n[:, 1] * d0)
    assert np.allclose(moved.raw_n[:, 1], own.raw_n[:, 1])
    for i in range(20):
        g = np.array([1.0, 2.0 * d0[i]])
        var_p0 = g @ np.linalg.inv(own.info_n[i]) @ g
        assert np.linalg.inv(moved.info_n[i])[0, 0] == pytest.approx(var_p0, rel=1e-9)
    assert moved.halves_raw_n.shape == (20, 2, 2) and moved.halves_info_n.shape == (20, 2, 2, 2)
    assert np.allclose(moved.halves_raw_n[:, 1], moved.raw_n)
    assert np.allclose(moved.halves_info_n[:, 1], 2.0 * moved.info_n)
    with pytest.raises(ValueError, match="delta0"):
        recentred.at_current(OwnEstimates(own.stockcodes, own.groups, own.raw_n, own.info_n, own.raw_s, own.info_s))


def test_prior_at_p0_reads_the_elasticity_at_p0_better_when_that_is_what_products_share():
    """Same own estimates, two priors: shrunk at the reference price, the elasticity at p0 inherits the wide spread of
    b and the noise of c (b + 2cΔ0); shrunk at p0, it is pulled toward what the products share. The draws come back at
    the reference price (their b + 2cΔ0 is the elasticity at p0), with c <= 0 kept."""
    rng = np.random.default_rng(7)
    own, slope_p0, _ = _own(rng)
    cfg = ResponseConfig(draws=64)
    plain = price_response.posterior(own, cfg)
    moved = recentred.posterior(own, cfg)
    d0 = own.delta0

    def at_p0(resp):
        return resp.draws[:, :, 0] + 2.0 * resp.draws[:, :, 1] * d0[:, None]

    rms_plain = np.sqrt(np.mean((at_p0(plain).mean(axis=1) - slope_p0) ** 2))
    rms_moved = np.sqrt(np.mean((at_p0(moved).mean(axis=1) - slope_p0) ** 2))
    assert rms_moved < 0.6 * rms_plain, (rms_moved, rms_plain)
    assert moved.draws.shape == plain.draws.shape and np.all(moved.draws[:, :, 1] <= 1e-9)
    assert np.allclose(moved.mean, moved.draws.mean(axis=1), atol=1e-5)
    assert moved.summary["recentred"] is True
