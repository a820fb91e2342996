"""The hypothesis that a product's current price is already near its revenue optimum, as a component of the price
response's posterior, its share and width learned from the data (ResponseConfig.priced_right).

Why: a shop prices many of its products about right. At such a product's current price p0 the elasticity is near
-1 (the revenue optimum: d ln(p·q) / d ln p = 1 + e = 0), and every move loses. A posterior whose prior is one
normal spread around the category's response does not know that: it promises gains for moves away from prices that
are already right, and the promise is broken on those products (docs/price-response.md, "Prices already right").

The model: with probability π a product is "priced right": its elasticity at p0, e0 = b + 2cΔ0 (Δ0 = ln p0 − ln
p_ref), is N(−1, s²); otherwise its (b, c) follow the learned prior as before. Each product's Bayes factor between
the two needs only its posterior and its prior under the learned prior (both normal), because the "priced right"
prior is the learned prior times a normal likelihood on e0:

    BF_i = E_posterior[N(e0; −1, s²)] / E_prior[N(e0; −1, s²)] = N(−1; m_i, v_i + s²) / N(−1; m0_i, v0_i + s²)

with (m_i, v_i) and (m0_i, v0_i) the mean and variance of e0 under the product's posterior and prior. π is learned by
EM over the products (responsibilities r_i = π BF_i / (π BF_i + 1 − π)), s by the marginal likelihood over WIDTHS.
Each product's posterior becomes the two-component mixture: with weight r_i its posterior conditioned on e0 ~ N(−1,
s²), with weight 1 − r_i its posterior as before; shrinkage.draws draws from it (c <= 0) as from any mixture.

Off by default: on the shop scenarios each product's e0 is known to about ±1, so the Bayes factors barely differ
between products and the learned share follows the prior's width rather than the data (docs/price-response.md,
"Making P(gain) hold").
"""

from __future__ import annotations

import logging

import numpy as np

from . import shrinkage

log = logging.getLogger(__name__)

# The elasticity at the revenue optimum.
OPTIMUM_ELASTICITY = -1.0
# The sd s of e0 among prices already right, chosen by marginal likelihood among these.
WIDTHS = (0.1, 0.15, 0.2, 0.3, 0.5)
EM_ITERATIONS = 200


def _elasticity_direction(delta0: np.ndarray) -> np.ndarray:
    """[P, 2] the row a_i with e0 = a_i · (b, c)."""
    return np.column_stack([np.ones(len(delta0)), 2.0 * delta0])


def _log_normal(x: float, mean: np.ndarray, var: np.ndarray) -> np.ndarray:
    return -0.5 * (np.log(2.0 * np.pi * var) + (x - mean) ** 2 / var)


def log_bayes_factors(mean: np.ndarray, cov: np.ndarray, prior_mean: np.ndarray, prior_cov: np.ndarray,
                      delta0: np.ndarray, width: float) -> np.ndarray:
    """[P] log BF_i of "priced right" (e0 ~ N(−1, width²)) against the learned prior alone, from each product's
    posterior (mean [P, 2], cov [P, 2, 2]) and prior (prior_mean [P, 2], prior_cov [P, 2, 2] or [2, 2])."""
    a = _elasticity_direction(delta0)
    prior_cov = np.broadcast_to(prior_cov, cov.shape)
    m, v = np.einsum("pi,pi->p", a, mean), np.einsum("pi,pij,pj->p", a, cov, a)
    m0, v0 = np.einsum("pi,pi->p", a, prior_mean), np.einsum("pi,pij,pj->p", a, prior_cov, a)
    s2 = width * width
    return _log_normal(OPTIMUM_ELASTICITY, m, v + s2) - _log_normal(OPTIMUM_ELASTICITY, m0, v0 + s2)


def learn_share(log_bf: np.ndarray) -> tuple[float, float]:
    """The share π in [0, 1] of products priced right that maximises Σ log(π BF_i + 1 − π) (EM), and that maximum."""
    bf = np.exp(np.clip(log_bf, -50.0, 50.0))
    share = 0.5
    for _ in range(EM_ITERATIONS):
        r = share * bf / (share * bf + 1.0 - share)
        new = float(np.mean(r))
        if abs(new - share) < 1e-7:
            share = new
            break
        share = new
    return share, float(np.sum(np.log(share * bf + 1.0 - share)))


def condition_on_optimum(mean: np.ndarray, cov: np.ndarray, delta0: np.ndarray, width: float
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Each product's posterior N(mean, cov) of (b, c) conditioned on an observation e0 ~ N(−1, width²)."""
    a = _elasticity_direction(delta0)
    sa = np.einsum("pij,pj->pi", cov, a)
    denom = np.einsum("pi,pi->p", a, sa) + width * width
    gain = sa / denom[:, None]
    resid = OPTIMUM_ELASTICITY - np.einsum("pi,pi->p", a, mean)
    return mean + gain * resid[:, None], cov - np.einsum("pi,pj->pij", gain, sa)


def mixture(mean: np.ndarray, cov: np.ndarray, prior_mean: np.ndarray, prior_cov: np.ndarray, delta0: np.ndarray
            ) -> tuple[shrinkage.Prior, dict]:
    """The two-component posterior of every product (component 0: as learned; 1: priced right) as a
    shrinkage.Prior to draw from, and a summary (share π, width s, the products' mean responsibility)."""
    best = None
    for width in WIDTHS:
        share, ll = learn_share(log_bayes_factors(mean, cov, prior_mean, prior_cov, delta0, width))
        if best is None or ll > best[2]:
            best = (width, share, ll)
    width, share, _ = best
    log_bf = log_bayes_factors(mean, cov, prior_mean, prior_cov, delta0, width)
    bf = np.exp(np.clip(log_bf, -50.0, 50.0))
    r = share * bf / (share * bf + 1.0 - share) if share > 0 else np.zeros(len(bf))
    near_mean, near_cov = condition_on_optimum(mean, cov, delta0, width)
    p = len(mean)
    post = shrinkage.Prior(np.array([1.0 - share, share]), np.zeros((2, 2, 2)), np.zeros((1, 2)), np.zeros(2),
                           np.stack([mean, near_mean], axis=1), np.stack([cov, near_cov], axis=1),
                           np.column_stack([1.0 - r, r]).reshape(p, 2))
    log.info("priced right: share %.2f, width %.2f (mean responsibility %.2f)", share, width, float(r.mean()))
    return post, {"share": share, "width": width, "mean_responsibility": float(r.mean())}
