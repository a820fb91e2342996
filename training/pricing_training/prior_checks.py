"""Checks of the price response's prior on data its own estimates do not share, and its curvature spread.

The orders part's prior spread is learned from estimates whose errors a product's two halves partly share, so the
split-sample check (price_response.calibrate_information) can read that shared error as spread between products.
The list-price revisions' own estimates (revisions.py) are identified from other price moves: the posterior from the
weekly fit alone should predict them (revisions_prior_scale, revisions_curvature_ratio). The curvature spread's
cap and scaling re-derive every product's posterior under a changed prior spread of c (ResponseConfig's
max_curvature_spread, revision_curvature_check). Measured on the development seeds: docs/price-response.md, "Why
P(gain) over-promises"."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np

from . import shrinkage

if TYPE_CHECKING:
    from .price_response import OwnEstimates

log = logging.getLogger(__name__)


# The revisions' check (revisions_prior_scale): scales tried between 1 and the split factor (log-spaced), and the
# products with revision evidence it needs (else the split factor stands).
REVISION_CHECK_SCALES = 7
MIN_REVISION_PRODUCTS = 15
MIN_REVISION_INFORMATION = 1e-3


def weekly_fit_estimates(own: OwnEstimates) -> tuple[np.ndarray, np.ndarray]:
    """The orders part's estimates and information from the weekly fit alone (the revisions' share taken out)."""
    info_e, raw_e = own.revisions_info_n, own.revisions_raw_n
    info_w = own.info_n - info_e
    h = np.einsum("pij,pj->pi", own.info_n, own.raw_n) - np.einsum("pij,pj->pi", info_e, raw_e)
    return np.linalg.solve(info_w + 1e-9 * np.eye(2)[None], h[..., None])[..., 0], info_w


def revision_log_likelihood(mean: np.ndarray, cov: np.ndarray, raw_e: np.ndarray, info_e: np.ndarray) -> float:
    """Σ_i log of the revisions' likelihood of each product's (b, c), integrated over its posterior N(mean_i, cov_i),
    up to a constant that does not depend on the posterior. In information form (a product's revisions may say
    nothing about c, so their information can be singular): −½ log|1 + P_i I_i| − ½ dᵢᵀ I_i (1 + P_i I_i)⁻¹ dᵢ with
    dᵢ = mean_i − raw_e,i."""
    a = np.eye(2)[None] + np.einsum("pij,pjk->pik", cov, info_e)
    d = mean - raw_e
    solved = np.linalg.solve(a, d[..., None])[..., 0]
    return float(np.sum(-0.5 * np.linalg.slogdet(a)[1] - 0.5 * np.einsum("pi,pij,pj->p", d, info_e, solved)))


def _revision_products(own: OwnEstimates) -> np.ndarray | None:
    """The products whose revisions carry enough information to check a prior against, or None when there are
    fewer than MIN_REVISION_PRODUCTS of them (or no revisions at all): then a check has nothing to go on."""
    if own.revisions_info_n is None:
        return None
    use = own.revisions_info_n[:, 0, 0] > MIN_REVISION_INFORMATION
    return use if use.sum() >= MIN_REVISION_PRODUCTS else None


def revisions_prior_scale(own: OwnEstimates, upper: float, kappa: float, components: int = 1) -> float:
    """The orders prior's information scale in [1, `upper`] (the split check's factor) under which the posterior
    from the weekly fit alone best predicts the revisions' own estimates (revision_log_likelihood, summed over the
    products with revision evidence): held-out data whose errors the weekly fit does not share, so a spread that
    only reflects the halves' shared error predicts it worse. `upper` when there is nothing to check (no revisions,
    fewer than MIN_REVISION_PRODUCTS products with revision evidence, or `upper` <= 1)."""
    use = _revision_products(own)
    if use is None or upper <= 1.0:
        return upper
    raw_w, info_w = weekly_fit_estimates(own)
    best, best_ll = upper, -np.inf
    for scale in np.geomspace(1.0, upper, REVISION_CHECK_SCALES):
        prior = shrinkage.fit(raw_w, info_w * scale, own.groups, kappa, components, posterior_evidence=(raw_w, info_w))
        ll = revision_log_likelihood(prior.posterior_mean()[use], prior.posterior_cov()[use],
                                     own.revisions_raw_n[use], own.revisions_info_n[use])
        if ll > best_ll:
            best, best_ll = float(scale), ll
    log.info("orders prior: information scale %.2f of the split check's %.2f predicts the revisions best", best, upper)
    return best


# The revisions' check of the orders prior's curvature spread (revisions_curvature_ratio): multipliers tried.
CURVATURE_RATIOS = (0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0)


def revisions_curvature_ratio(own: OwnEstimates, prior: shrinkage.Prior, groups: np.ndarray) -> float:
    """The multiplier of the orders prior's between-product sd of c (CURVATURE_RATIOS) under which the posterior
    from the weekly fit alone best predicts the revisions' own estimates (revision_log_likelihood), the same
    held-out check as revisions_prior_scale, for the curvature: a product's own c says almost nothing, so EM
    learns its spread from little. 1 when there is nothing to check."""
    use = _revision_products(own)
    if use is None:
        return 1.0
    raw_w, info_w = weekly_fit_estimates(own)
    best, best_ll = 1.0, -np.inf
    for ratio in CURVATURE_RATIOS:
        scaled = scale_curvature_spread(prior, raw_w, info_w, groups, ratio)
        ll = revision_log_likelihood(scaled.posterior_mean()[use], scaled.posterior_cov()[use],
                                     own.revisions_raw_n[use], own.revisions_info_n[use])
        if ll > best_ll:
            best, best_ll = float(ratio), ll
    log.info("orders prior: the sd of c x %.2f predicts the revisions best", best)
    return best


def cap_curvature_spread(prior: shrinkage.Prior, raw: np.ndarray, info: np.ndarray, groups: np.ndarray,
                         cap: float) -> shrinkage.Prior:
    """`prior` with each component's between-product sd of c at most `cap` (its covariance with b scaled alike, so
    the correlation stays), and every product's posterior under it from `raw`, `info` (ResponseConfig.max_curvature_spread)."""
    ratios = np.minimum(cap / np.sqrt(prior.spreads[:, 1, 1]), 1.0)
    return scale_curvature_spread(prior, raw, info, groups, ratios)


def scale_curvature_spread(prior: shrinkage.Prior, raw: np.ndarray, info: np.ndarray, groups: np.ndarray,
                           ratios) -> shrinkage.Prior:
    """`prior` with each component's between-product sd of c multiplied by `ratios` (one per component, or one for
    all; its covariance with b scaled alike, so the correlation stays), and every product's posterior under it from
    `raw`, `info`."""
    spreads = prior.spreads.copy()
    for k, r in enumerate(np.broadcast_to(np.asarray(ratios, np.float64), (len(spreads),))):
        spreads[k, 1, 1] *= r * r
        spreads[k, 0, 1] *= r
        spreads[k, 1, 0] *= r
    means, covs, logm = shrinkage.component_posteriors(raw, info, prior.category_means[groups], spreads)
    logm = logm + np.log(np.maximum(prior.weights, 1e-300))[None]
    resp = np.exp(logm - logm.max(axis=1, keepdims=True))
    resp /= resp.sum(axis=1, keepdims=True)
    return shrinkage.Prior(prior.weights, spreads, prior.category_means, prior.global_mean, means, covs, resp)


# The revisions' check of the posterior's width (revisions_extra_spread): extra sd of b tried.
EXTRA_SPREADS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.25, 1.5)


def revisions_extra_spread(own: OwnEstimates, prior: shrinkage.Prior, groups: np.ndarray) -> float:
    """The sd τ of b to add to every product's posterior under which the orders part's posterior from the weekly fit
    alone (under `prior`, the orders prior as learned) best predicts the revisions' own estimates
    (revision_log_likelihood over EXTRA_SPREADS): whatever the posterior's width misses (a product's halves share part
    of their error, the prior's form) shows as revisions farther from its centre than its width allows. 0 when there
    is nothing to check."""
    use = _revision_products(own)
    if use is None:
        return 0.0
    raw_w, info_w = weekly_fit_estimates(own)
    held_out = scale_curvature_spread(prior, raw_w, info_w, groups, 1.0)
    mean, cov = held_out.posterior_mean()[use], held_out.posterior_cov()[use]
    best, best_ll = 0.0, -np.inf
    for tau in EXTRA_SPREADS:
        widened = cov.copy()
        widened[:, 0, 0] += tau * tau
        ll = revision_log_likelihood(mean, widened, own.revisions_raw_n[use], own.revisions_info_n[use])
        if ll > best_ll:
            best, best_ll = float(tau), ll
    log.info("posterior: an extra sd %.2f of b predicts the revisions best", best)
    return best
