"""The wider-prior candidate (prior_inflation.py): off it is the committed posterior exactly; on, each product's
posterior centre moves from its category toward its own estimate, and the learned spread is restored after."""
from __future__ import annotations

import numpy as np
import pytest

from pricing_training import price_response, prior_inflation, shrinkage
from pricing_training.price_response import OwnEstimates, ResponseConfig


def _own(seed: int = 4, products: int = 120) -> OwnEstimates:
    """Products in two categories whose true (b, c) differ by a spread of 0.5 in b, each part estimated with an
    error of sd 1 on b and 1.5 on c (a thin shop's product: the error larger than the spread)."""
    rng = np.random.default_rng(seed)
    groups = np.arange(products) % 2
    truth = np.column_stack([np.where(groups == 0, -1.5, -2.5) + 0.5 * rng.standard_normal(products),
                             np.full(products, -0.5)])
    info = np.repeat(np.diag([1.0, 1.0 / 1.5 ** 2])[None], products, axis=0)
    noise = lambda: np.column_stack([rng.standard_normal(products), 1.5 * rng.standard_normal(products)])  # noqa: E731
    half = truth / 2.0
    return OwnEstimates([f"P{i}" for i in range(products)], groups, half + noise(), info, half + noise(), info)


def test_factor_one_is_the_committed_posterior():
    own = _own()
    cfg = ResponseConfig()
    np.testing.assert_array_equal(prior_inflation.posterior(own, cfg).draws, price_response.posterior(own, cfg).draws)


def test_a_wider_prior_moves_centres_toward_the_own_estimates_and_widens_them():
    own = _own()
    cfg = ResponseConfig()
    base = price_response.posterior(own, cfg)
    wide = prior_inflation.posterior(own, cfg, prior_inflation.InflationConfig(3.0))
    raw = own.raw_n + own.raw_s
    # Less shrinkage: the centres spread out more and sit closer to the products' own estimates.
    assert np.std(wide.mean[:, 0]) > np.std(base.mean[:, 0])
    assert np.mean(np.abs(wide.mean[:, 0] - raw[:, 0])) < np.mean(np.abs(base.mean[:, 0] - raw[:, 0]))
    assert np.median(wide.draws[:, :, 0].std(axis=1)) > np.median(base.draws[:, :, 0].std(axis=1))
    assert shrinkage.fit.__name__ == "fit" and shrinkage.fit.__module__ == shrinkage.__name__  # restored
    with pytest.raises(ValueError, match="> 0"):
        prior_inflation.posterior(own, cfg, prior_inflation.InflationConfig(0.0))
