"""The products' posterior with the slope shrunk at the current price instead of at the reference price.

The log-quadratic g(Δ) = b·Δ + c·Δ², Δ = ln p − ln p_ref, is the same curve as b'·Δ' + c·Δ² shifted by a
constant, with Δ' = Δ − Δ0, Δ0 = ln p0 − ln p_ref and b' = b + 2·c·Δ0: b' is the elasticity at the current price.
The own estimates carry the same information in either coordinate (an exact linear map of the estimates and their
covariance), so only the prior differs: `price_response.posterior` shrinks (b, c) toward the category, which pulls the
elasticity at p0 through both b and the poorly identified c (b + 2cΔ0); here the elasticity at p0 itself is what
the category prior spreads over. The draws are mapped back to (b, c) at p_ref, so the artifact and the service are
unchanged. Measured on the development seeds, not adopted (docs/price-response.md, "logit-strong-breaks' narrow
intervals").
"""

from __future__ import annotations

import dataclasses

import numpy as np

from . import price_response
from .price_response import OwnEstimates, PriceResponse, ResponseConfig

# OwnEstimates' (estimate, information) pairs, each [P, ..., 2] and [P, ..., 2, 2].
_PAIRS = (("raw_n", "info_n"), ("raw_s", "info_s"), ("halves_raw_n", "halves_info_n"),
          ("halves_raw_s", "halves_info_s"), ("revisions_raw_n", "revisions_info_n"),
          ("revisions_raw_s", "revisions_info_s"))


def _maps(delta0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per product: A with (b', c) = A (b, c), and its inverse."""
    a = np.tile(np.eye(2), (len(delta0), 1, 1))
    a[:, 0, 1] = 2.0 * delta0
    inv = a.copy()
    inv[:, 0, 1] = -2.0 * delta0
    return a, inv


def _apply(estimate: np.ndarray, information: np.ndarray, a: np.ndarray, inv: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    """The estimate A·β and its information A⁻ᵀ I A⁻¹ (any leading axes after the product's)."""
    extra = estimate.ndim - 2
    shape_a = (a.shape[0],) + (1,) * extra + (2, 2)
    a_, inv_ = a.reshape(shape_a), inv.reshape(shape_a)
    moved = np.einsum("...ij,...j->...i", a_, estimate)
    info = np.einsum("...ki,...kl,...lj->...ij", inv_, information, inv_)
    return moved, info


def at_current(own: OwnEstimates) -> OwnEstimates:
    """The own estimates in (b', c): b' the slope at the current price (`own.delta0` needed)."""
    if own.delta0 is None:
        raise ValueError("recentring needs each product's delta0 (OwnEstimates.delta0)")
    a, inv = _maps(np.asarray(own.delta0, np.float64))
    changes = {}
    for est_name, info_name in _PAIRS:
        est, info = getattr(own, est_name), getattr(own, info_name)
        if est is not None and info is not None:
            changes[est_name], changes[info_name] = _apply(est, info, a, inv)
    return dataclasses.replace(own, **changes)


def posterior(own: OwnEstimates, cfg: ResponseConfig = ResponseConfig()) -> PriceResponse:
    """`price_response.posterior` with the prior on the slope at p0 (at_current), returned in (b, c) at p_ref."""
    moved = price_response.posterior(at_current(own), cfg)
    _, inv = _maps(np.asarray(own.delta0, np.float64))
    draws = np.einsum("pij,psj->psi", inv, moved.draws.astype(np.float64))
    cov = np.einsum("pij,pjk,plk->pil", inv, moved.cov, inv)
    raw = np.einsum("pij,pj->pi", inv, moved.raw)
    weak = np.eye(2) / cfg.weak_prior_sd ** 2
    raw_cov = np.linalg.inv(own.info_n + weak) + np.linalg.inv(own.info_s + weak)
    return PriceResponse(moved.stockcodes, draws.mean(axis=1), cov, draws.astype(moved.draws.dtype), raw,
                         np.sqrt(raw_cov[:, 0, 0]), moved.summary | {"recentred": True})
