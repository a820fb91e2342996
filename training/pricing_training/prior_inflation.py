"""A wider learned prior: the products' posteriors with the between-product spread multiplied (a candidate, OFF).

On the shop scenarios the posterior's centres collapse to the category (docs/price-response.md, "Why capture is
low on the shop scenarios"): the own estimates' errors are large against the true spread of the products'
responses, the learned spread T is small, and every product's curve is pulled to its category's, so the decision
cannot tell which product is mispriced. `posterior` runs price_response.posterior unchanged except that each
part's learned spread T is multiplied by `factor`² before the products' posteriors are formed (the category means
and the products' own estimates and information are the method's). factor 1 is the committed method exactly.

It wraps shrinkage.fit for the duration of one call (price_response.posterior calls it through the module), so
price_response.py is not touched; the service reads only the draws, so nothing changes on the Swift side.
"""

from __future__ import annotations

import contextlib
import dataclasses

import numpy as np

from . import price_response, shrinkage


@dataclasses.dataclass(frozen=True)
class InflationConfig:
    """`factor` multiplies the learned between-product sd of every part (1.0: off, the committed method)."""

    factor: float = 1.0


def inflate(prior: shrinkage.Prior, raw: np.ndarray, info: np.ndarray, groups: np.ndarray, factor: float
            ) -> shrinkage.Prior:
    """`prior` with its spreads × factor² and every product's posterior re-derived from (`raw`, `info`) under them."""
    spreads = prior.spreads * factor ** 2
    means, covs, logm = shrinkage.component_posteriors(raw, info, prior.category_means[groups], spreads)
    r = shrinkage._responsibilities(logm, prior.weights)
    return dataclasses.replace(prior, spreads=spreads, means=means, covs=covs, responsibilities=r)


@contextlib.contextmanager
def _inflated_fit(factor: float):
    original = shrinkage.fit

    def fit(raw, info, groups, kappa, components=1, *args, posterior_evidence=None, error_scales=None, **kwargs):
        prior = original(raw, info, groups, kappa, components, *args, posterior_evidence=posterior_evidence,
                         error_scales=error_scales, **kwargs)
        if error_scales is not None and len(error_scales) > 1:
            raise ValueError("prior inflation supports a normal or mixture prior, not error_scales")
        post_raw, post_info = (raw, info) if posterior_evidence is None else posterior_evidence
        return inflate(prior, post_raw, post_info, groups, factor)

    shrinkage.fit = fit
    try:
        yield
    finally:
        shrinkage.fit = original


def posterior(own: price_response.OwnEstimates, cfg: price_response.ResponseConfig = price_response.ResponseConfig(),
              inflation: InflationConfig = InflationConfig()) -> price_response.PriceResponse:
    """price_response.posterior with the learned spreads widened by `inflation.factor` (1: unchanged)."""
    if inflation.factor == 1.0:
        return price_response.posterior(own, cfg)
    if inflation.factor <= 0.0:
        raise ValueError(f"inflation factor must be > 0, got {inflation.factor}")
    with _inflated_fit(inflation.factor):
        return price_response.posterior(own, cfg)
