"""A population of curvatures that lives on c <= 0: the sum's prior truncated, learned with the truncation.

The service's posterior of a product's (b, c) is the sum of its two parts' posteriors (orders, size; each part shrunk
under its own normal prior, price_response.posterior) conditioned on c <= 0. That is the posterior under the sum's
prior N(μ_g, T) (μ_g = the parts' category means added, T = their spreads added) truncated to c <= 0, but the parts'
priors were learned by EM *ignoring* the truncation: about half of the products' own curvature estimates are positive,
so EM reads them as a wide spread of c around a mean near 0, and conditioning a wide normal on c <= 0 sends every
weakly informed posterior's c, and b with it, far negative (docs/price-response.md, "Why the elasticities on the
unseen worlds are too negative").

Here the truncation is part of the population model and the curvature's population is relearned with it:

    β_i = (b_i, c_i) ~ N(μ_g(i), T) restricted to c_i <= 0,   b_i | c_i ~ N(ν_g + k c_i, r)   (unaffected by it)

Truncating on c alone leaves b's regression on c as it was, so the population splits into c's truncated normal
N(μ_c,g, s²) on c <= 0 and b's regression on c (kept as the parts' unless `learn_slope`). The evidence is each
product's likelihood of the sum in information form (`implied_evidence`: what the parts' posteriors say beyond the
sum's prior, so the parts' own evidence, checks and scalings are kept as they are). The marginal likelihood of a
product's evidence under the truncated population is analytic (the normal–normal marginal times P(c <= 0 | evidence)
/ P(c <= 0)), so the population is its maximum (L-BFGS), the category means penalized toward their mean as
shrinkage.fit's. A positive own ĉ is then read as noise on a curvature at or below 0, not as spread: the learned
population is narrow where the products say little, and may sit at the boundary (every c = 0) where they say c is
about 0. The posterior is the parent normal's posterior truncated to c <= 0 by the draws (shrinkage.draws), exactly
as the prior is. `truncated_moments` gives the truncated posterior's moments (c's truncated normal, b by its
regression on c).

Where the own curvatures are about 0 on balance the maximum collapses the population onto c = 0; `fit_spread`'s
"floor" and "integrated" modes keep its sd at or above what the data could detect (docs/price-response.md, "Keeping
the population off the boundary"), and its "plausible" mode, the default (ResponseConfig.truncated_curvature_spread),
caps that floor at the curvature a demand form can have, since on a small log the detectable spread is far wider
(docs/price-response.md, "A floor the data support, and a plausible one").

Measured on the development seeds (docs/price-response.md, "The curvature population on c <= 0"): the learned
population matches the truth's median curvature, but the elasticities then read too inelastic where the own
estimates are attenuated; not the default.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
from scipy import optimize, special

from . import shrinkage

log = logging.getLogger(__name__)

MAX_MEAN = 20.0  # |μ_c,g| bound: a parent far above 0 with a small spread is an exponential tail at 0 (no finite MLE)
MIN_SD, MAX_SD = 1e-3, 20.0


@dataclasses.dataclass
class TruncatedPrior:
    """The learned population (parent normal truncated to c <= 0) and each product's parent-normal posterior (its
    truncation to c <= 0 is the posterior)."""

    category_means: np.ndarray  # [G, 2] the parent normal's μ_g
    spread: np.ndarray  # [2, 2] the parent normal's T
    global_mean: np.ndarray  # [2]
    means: np.ndarray  # [P, 2] untruncated posterior means
    covs: np.ndarray  # [P, 2, 2] untruncated posterior covariances
    iterations: int
    log_likelihood: float = float("nan")  # the maximized objective (penalized marginal log-likelihood)
    spread_range: tuple[float, float] | None = None  # the data's range for s (spread_range), when one was used


SPREAD_MODES = ("mle", "floor", "integrated", "supported", "plausible")
SPREAD_GRID = 25  # points of log s over the data's range in the "integrated" mode
# The "supported" mode's floor may cost at most this much penalized log-likelihood against the maximum: half the
# 95% point of chi-square(1), so a floor the data reject at that level (a likelihood-ratio test) is lowered until
# they do not.
SUPPORT_DROP = 0.5 * 3.841
SUPPORT_STEPS = 7  # bisection steps over log floor between SUPPORT_LOWEST x the detection floor and the floor
SUPPORT_LOWEST = 0.01


def spread_range(info: np.ndarray) -> tuple[float, float]:
    """The range of c's spread the data can speak to: from the smallest population sd the products' evidence could
    tell from none at all (the floor of fit_spread's modes, and the lower end of the parent's s), σ_e (2 / P)^(1/4) (σ_e the median product's evidence sd of c with b unknown; a sample
    variance of P noise draws has sd σ_e² √(2 / P)), to MAX_SD (not the untruncated prior's sd: along the ridge toward
    an exponential population the parent's s grows without bound while the population's spread stays put)."""
    jbb, jbc, jcc = info[:, 0, 0], info[:, 0, 1], info[:, 1, 1]
    prec_c = jcc - np.divide(jbc * jbc, jbb, out=np.zeros_like(jbb), where=jbb > 0)
    informed = prec_c > 1e-12
    sigma_e = float(np.median(1.0 / np.sqrt(prec_c[informed]))) if informed.any() else MAX_SD
    return float(np.clip(sigma_e * (2.0 / max(int(informed.sum()), 2)) ** 0.25, MIN_SD, MAX_SD)), MAX_SD


def spread_of(slope: float, residual: float, curvature_var: float) -> np.ndarray:
    """T from b's regression on c (b = ν + k c + e, var e = r) and c's variance s²."""
    return np.array([[residual + slope * slope * curvature_var, slope * curvature_var],
                     [slope * curvature_var, curvature_var]])


def implied_evidence(mean: np.ndarray, cov: np.ndarray, prior_mean: np.ndarray, prior_cov: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Each product's likelihood of (b, c) in information form (h [P, 2], J [P, 2, 2]) such that N(prior_mean_i,
    prior_cov) times it is its posterior N(mean_i, cov_i): J = cov⁻¹ − prior_cov⁻¹, h = cov⁻¹ mean − prior_cov⁻¹
    prior_mean_i. For the sum of two independent parts' posteriors under the sum's prior (prior_cov = T_n + T_s) J is
    positive semi-definite (each part's posterior covariance is below its prior spread); rounding is clipped."""
    prec = np.linalg.inv(cov)
    t_inv = np.linalg.inv(prior_cov)
    info = prec - t_inv[None]
    w, v = np.linalg.eigh(info)
    info = np.einsum("pij,pj,pkj->pik", v, np.maximum(w, 0.0), v)
    h = np.einsum("pij,pj->pi", prec, mean) - prior_mean @ t_inv
    return h, info


def _posterior(h: np.ndarray, info: np.ndarray, mu: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The parent normal's posterior (untruncated): means [P, 2], covariances [P, 2, 2]."""
    t_inv = np.linalg.inv(t)
    cov = np.linalg.inv(info + t_inv[None])
    return np.einsum("pij,pj->pi", cov, h + mu @ t_inv), cov


def _mills(beta: np.ndarray) -> np.ndarray:
    """φ(β) / Φ(β), stable for very negative β."""
    return np.exp(-0.5 * beta * beta - 0.5 * np.log(2.0 * np.pi) - special.log_ndtr(beta))


def truncated_moments(mean: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First [P, 2] and second [P, 2, 2] moments of N(mean_i, cov_i) truncated to c <= 0: c's upper-truncated normal
    moments, b by its regression on c (b − E[b|c] is independent of c and unaffected)."""
    mb, mc = mean[:, 0], mean[:, 1]
    vb, vc, vbc = cov[:, 0, 0], np.maximum(cov[:, 1, 1], 1e-300), cov[:, 0, 1]
    sc = np.sqrt(vc)
    beta = -mc / sc
    lam = _mills(beta)
    ec = mc - sc * lam
    var_c = np.maximum(vc * (1.0 - beta * lam - lam * lam), 0.0)
    k = vbc / vc
    eb = mb + k * (ec - mc)
    resid = np.maximum(vb - k * vbc, 0.0)
    first = np.stack([eb, ec], axis=1)
    cov_t = np.empty_like(cov)
    cov_t[:, 1, 1] = var_c
    cov_t[:, 0, 1] = cov_t[:, 1, 0] = k * var_c
    cov_t[:, 0, 0] = resid + k * k * var_c
    return first, cov_t + np.einsum("pi,pj->pij", first, first)


def truncated_mean_cov(mean: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean [P, 2] and covariance [P, 2, 2] of N(mean_i, cov_i) truncated to c <= 0 (truncated_moments, centred)."""
    first, second = truncated_moments(mean, cov)
    return first, second - np.einsum("pi,pj->pij", first, first)


def _log_marginal(h: np.ndarray, info: np.ndarray, mu: np.ndarray, t: np.ndarray) -> np.ndarray:
    """[P] each product's log marginal likelihood of its evidence under the parent normal N(mu_i, t) truncated to
    c <= 0, up to a per-product constant: the normal-normal marginal (shrinkage.component_posteriors' form) plus
    log P(c <= 0 | evidence) − log P(c <= 0) under the parent."""
    t_inv = np.linalg.inv(t)
    mean, cov = _posterior(h, info, mu, t)
    _, logdet_prec = np.linalg.slogdet(info + t_inv[None])
    _, logdet_t = np.linalg.slogdet(t)
    quad = np.einsum("pi,ij,pj->p", mu, t_inv, mu)
    normal = -0.5 * logdet_t - 0.5 * logdet_prec - 0.5 * quad + 0.5 * np.einsum("pi,pi->p", h + mu @ t_inv, mean)
    inside = special.log_ndtr(-mean[:, 1] / np.sqrt(np.maximum(cov[:, 1, 1], 1e-300)))
    return normal + inside - special.log_ndtr(-mu[:, 1] / np.sqrt(t[1, 1]))


_BETA = np.linspace(-50.0, 8.0, 4001)  # standardized truncation points -μ/s, for _location_cap


def _sd_ratio(beta: np.ndarray) -> np.ndarray:
    """sd of N(μ, s²) truncated to c <= 0, over s, at β = −μ/s (increasing from 0 to 1)."""
    lam = _mills(beta)
    return np.sqrt(np.maximum(1.0 - beta * lam - lam * lam, 0.0))


_RATIO = _sd_ratio(_BETA)


def _location_cap(s: float, floor: float) -> float:
    """The largest parent mean μ whose population N(μ, s²) on c <= 0 keeps an sd of at least `floor` (s > floor):
    μ = −s β_min with sd(β_min) = floor / s (far out, sd ≈ s / |β|)."""
    ratio = floor / s
    beta = -1.0 / ratio if ratio < _RATIO[0] else float(np.interp(ratio, _RATIO, _BETA))
    return -s * beta


def _unpack(x: np.ndarray, n_groups: int, slope: tuple[np.ndarray, float, float] | None, floor: float = 0.0
            ) -> tuple[np.ndarray, np.ndarray, float, np.ndarray, float, float]:
    """(μ [G, 2], T, s, ν [G], k, r) from the optimizer's vector: μ_c,g and log s, then (if b's regression is
    learned) ν_g, k and log r; otherwise those from `slope`. With a `floor` on the population's sd of c the
    optimizer's μ_c,g are mapped smoothly below _location_cap (cap − softplus(cap − x), one to one)."""
    mu_c, s = x[:n_groups], float(np.exp(x[n_groups]))
    if floor > 0.0:
        cap = _location_cap(s, floor)
        mu_c = cap - np.logaddexp(0.0, cap - mu_c)
    if slope is None:
        nu, k, r = x[n_groups + 1: 2 * n_groups + 1], float(x[2 * n_groups + 1]), float(np.exp(x[2 * n_groups + 2]))
    else:
        nu, k, r = slope
    return np.stack([nu + k * mu_c, mu_c], axis=1), spread_of(k, r, s * s), s, nu, k, r


def fit(h: np.ndarray, info: np.ndarray, groups: np.ndarray, kappa: float, start_means: np.ndarray,
        start_spread: np.ndarray, learn_slope: bool = False, sd_bounds: tuple[float, float] = (MIN_SD, MAX_SD),
        floor: float = 0.0) -> TruncatedPrior:
    """The truncated population by maximum marginal likelihood (module doc) and each product's parent-normal
    posterior under it.

    `h` [P, 2], `info` [P, 2, 2]: each product's likelihood of (b, c) in information form (`implied_evidence`);
    `groups` [P] category indices; `start_means` [G, 2] and `start_spread` [2, 2] the normal prior it starts from (the
    sum of the parts' priors), whose b | c regression (intercepts ν_g, slope k, residual r) is kept unless
    `learn_slope`. The category means have the prior N(their mean, spread / κ) (as shrinkage.fit's). The marginal
    likelihood is analytic (`_log_marginal`), so it is maximized directly (L-BFGS over the category means of c, log s
    and, with `learn_slope`, ν_g, k, log r) rather than by EM, whose steps crawl where the products say little.
    `sd_bounds` bounds the parent's s (equal bounds hold it fixed: a point of the profile over s); `floor` > 0 keeps
    every category's population sd of c (the parent truncated to c <= 0) at or above it (needs s > floor)."""
    n_groups = start_means.shape[0]
    t0 = np.array(start_spread, np.float64)
    k0 = t0[0, 1] / t0[1, 1]
    r0 = max(t0[0, 0] - k0 * t0[0, 1], 1e-6)
    nu0 = start_means[:, 0] - k0 * start_means[:, 1]
    fixed = None if learn_slope else (nu0, k0, r0)
    s0 = float(np.clip(np.sqrt(t0[1, 1]), *sd_bounds))
    mu0 = np.clip(start_means[:, 1], -MAX_MEAN, MAX_MEAN)
    if floor > 0.0:
        mu0 = np.minimum(mu0, _location_cap(s0, floor) - 1.0)
    x0 = np.append(mu0, np.log(s0))
    bounds = [(-MAX_MEAN, MAX_MEAN)] * n_groups + [(np.log(sd_bounds[0]), np.log(sd_bounds[1]))]
    if learn_slope:
        x0 = np.concatenate([x0, nu0, [k0, np.log(r0)]])
        bounds += [(None, None)] * n_groups + [(None, None), (np.log(1e-6), np.log(1e3))]

    def objective(x: np.ndarray) -> float:
        mu, t, s, nu, _, r = _unpack(x, n_groups, fixed, floor)
        value = _log_marginal(h, info, mu[groups], t).sum()
        # The category means' prior as a penalty only (as shrinkage.fit's category means): with its normalising
        # constant (−G log s) the joint maximum collapses s to 0 with every category at one mean.
        dev_c = mu[:, 1] - mu[:, 1].mean()
        value += -0.5 * kappa * (dev_c @ dev_c) / (s * s)
        if learn_slope:
            dev_b = nu - nu.mean()
            value += -0.5 * kappa * (dev_b @ dev_b) / r
        return -float(value)

    # Tight tolerances: a loose stop moves with the last bits of the evidence and flips decisions near a threshold.
    res = optimize.minimize(objective, x0, method="L-BFGS-B", bounds=bounds,
                            options={"ftol": 1e-13, "gtol": 1e-9, "maxiter": 2000})
    mu, t, *_ = _unpack(res.x, n_groups, fixed, floor)
    m, c = _posterior(h, info, mu[groups], t)
    return TruncatedPrior(mu, t, mu.mean(axis=0), m, c, int(res.nit), -float(res.fun))


def fit_spread(h: np.ndarray, info: np.ndarray, groups: np.ndarray, kappa: float, start_means: np.ndarray,
               start_spread: np.ndarray, learn_slope: bool = False, mode: str = "mle") -> TruncatedPrior:
    """`fit` with c's population sd s chosen as `mode` says, from the data only (spread_range):

    - "mle": the maximum (may sit at s = 0, every c pinned at the boundary, where the own curvatures are about 0);
    - "floor": the maximum with every category's population sd of c (the parent truncated to c <= 0, not the parent's
      s: the parent's mean running off to +∞ collapses the population as surely as s → 0) no smaller than the data's
      detection floor (spread_range);
    - "integrated": as "floor", with the parent's s integrated over rather than maximized: the profile marginal
      likelihood over a grid of log s on the data's range (the category means, and b's regression with
      `learn_slope`, maximized at each point), a flat prior on log s there, the population fitted at the posterior
      mean of s;
    - "supported": as "floor", with the floor lowered to the largest one the data do not reject against the maximum
      (a likelihood-ratio test, SUPPORT_DROP). On c <= 0 a population sd of σ puts the population's mean at about −σ
      or below (its tail toward 0 can be no thinner than an exponential's), so where the products say little about c
      each (a small log) the detection floor is wide, and the floor drags every product's c, and b with it through
      their correlation, far negative although the products' pooled evidence places the population near 0
      (docs/price-response.md, "A floor the data support, and a plausible one");
    - "plausible": as "floor", the floor no wider than the curvature the demand forms the curve family is meant to fit
      can have at the population's slope (plausible_spread): the detection floor of a small log is far wider."""
    if mode not in SPREAD_MODES:
        raise ValueError(f"mode must be one of {SPREAD_MODES}, got {mode!r}")
    if mode == "mle":
        return fit(h, info, groups, kappa, start_means, start_spread, learn_slope)
    lo, hi = spread_range(info)
    # Where the products say almost nothing about c the floor clips at the top of the range; the parent's s must
    # still exceed the population's floor within it, or the bounds cross.
    lo = min(lo, hi / 1.05)
    if mode == "plausible":
        lo = min(lo, plausible_spread(start_means))
    s_lo = 1.02 * lo  # the parent's s must exceed the population's floor
    if mode in ("floor", "plausible"):
        prior = fit(h, info, groups, kappa, start_means, start_spread, learn_slope, (s_lo, hi), floor=lo)
    elif mode == "supported":
        prior, lo = _supported_floor(h, info, groups, kappa, start_means, start_spread, learn_slope, lo, hi)
    else:
        grid = np.exp(np.linspace(np.log(s_lo), np.log(hi), SPREAD_GRID))
        profile = np.array([fit(h, info, groups, kappa, start_means, start_spread, learn_slope, (s, s),
                                floor=lo).log_likelihood for s in grid])
        weights = np.exp(profile - profile.max())
        s_mean = float(weights @ grid / weights.sum())
        prior = fit(h, info, groups, kappa, start_means, start_spread, learn_slope, (s_mean, s_mean), floor=lo)
    return dataclasses.replace(prior, spread_range=(lo, hi))


def plausible_spread(start_means: np.ndarray) -> float:
    """The widest population sd of c that demand at the population's elasticity e (|the category means' mean b|) makes
    plausible: |e| (1 + |e|) / 2, the magnitude of ln q's curvature in ln p (c = ½ de/d ln p) of linear demand at e,
    the most curved of the forms the curve family is meant to fit (isoelastic 0, exponential e / 2, logit with a share
    of at most half between). c of those forms lies in [e (1 − e) / 2, 0], so a population wider than that range
    is not one of them."""
    e = abs(float(np.mean(start_means[:, 0])))
    return max(e * (1.0 + e) / 2.0, 10 * MIN_SD)


def _supported_floor(h: np.ndarray, info: np.ndarray, groups: np.ndarray, kappa: float, start_means: np.ndarray,
                     start_spread: np.ndarray, learn_slope: bool, lo: float, hi: float) -> tuple[TruncatedPrior, float]:
    """fit_spread's "supported" mode: the fit under the largest floor in [SUPPORT_LOWEST x lo, lo] whose maximum is
    within SUPPORT_DROP of the unconstrained maximum (bisection over log floor: the floored maximum falls as the floor
    rises), and that floor."""
    def floored(f: float) -> TruncatedPrior:
        return fit(h, info, groups, kappa, start_means, start_spread, learn_slope, (1.02 * f, hi), floor=f)

    best = fit(h, info, groups, kappa, start_means, start_spread, learn_slope).log_likelihood
    prior = floored(lo)
    if best - prior.log_likelihood <= SUPPORT_DROP:
        return prior, lo
    low, high = np.log(SUPPORT_LOWEST * lo), np.log(lo)
    prior, kept = floored(float(np.exp(low))), float(np.exp(low))
    if best - prior.log_likelihood > SUPPORT_DROP:  # even the lowest is rejected: keep it (the nearest the maximum)
        return prior, kept
    for _ in range(SUPPORT_STEPS):
        mid = 0.5 * (low + high)
        trial = floored(float(np.exp(mid)))
        if best - trial.log_likelihood <= SUPPORT_DROP:
            low, prior, kept = mid, trial, float(np.exp(mid))
        else:
            high = mid
    return prior, kept


def refit_sum(priors: list, learning: list[tuple[np.ndarray, np.ndarray]], mean: np.ndarray, cov: np.ndarray,
              groups: np.ndarray, kappa: float, learn_slope: bool = False, spread_mode: str = "mle"
              ) -> tuple[np.ndarray, np.ndarray, dict]:
    """price_response.posterior's sum of the parts' posteriors (`mean` [P, 2], `cov` [P, 2, 2], each part's under its
    normal prior `priors[j]`: shrinkage.Prior, one component) with the sum's curvature population relearned on c <= 0
    (module doc). As each part's prior, the population is learned from the evidence the part's prior was learned
    with (`learning[j]`: its estimates and information, the orders part's checked by the split-sample factor) and
    each product's posterior is taken with its stated evidence (the one `mean`, `cov` carry). Returns the
    parent-normal posterior's means and covariances (the draws truncate them to c <= 0) and a summary. `spread_mode`:
    how c's population sd is chosen (fit_spread)."""
    if any(len(p.weights) != 1 for p in priors):
        raise ValueError("truncated_curvature needs normal priors (prior_components = 1, no error_scales)")
    start_means = sum(p.category_means for p in priors)
    start_spread = sum(p.spreads[0] for p in priors)
    learn_mean, learn_cov = np.zeros_like(mean), np.zeros_like(cov)
    for prior, (raw, info) in zip(priors, learning):
        m, c, _ = shrinkage.component_posteriors(raw, info, prior.category_means[groups], prior.spreads)
        learn_mean, learn_cov = learn_mean + m[:, 0], learn_cov + c[:, 0]
    h_l, info_l = implied_evidence(learn_mean, learn_cov, start_means[groups], start_spread)
    prior = fit_spread(h_l, info_l, groups, kappa, start_means, start_spread, learn_slope, spread_mode)
    h, info = implied_evidence(mean, cov, start_means[groups], start_spread)
    post_mean, post_cov = _posterior(h, info, prior.category_means[groups], prior.spread)
    first, _ = truncated_moments(post_mean, post_cov)
    # The population itself (the parent truncated to c <= 0), per category: its mean and sd of c.
    spreads = np.broadcast_to(prior.spread, (len(start_means), 2, 2))
    pop_first, pop_second = truncated_moments(prior.category_means, spreads)
    pop_sd = np.sqrt(np.maximum(pop_second[:, 1, 1] - pop_first[:, 1] ** 2, 0.0))
    summary = {"population_mean_c": float(np.median(pop_first[:, 1])), "population_sd_c": float(np.median(pop_sd)),
               "parent_global": prior.global_mean.tolist(), "parent_sd": np.sqrt(np.diag(prior.spread)).tolist(),
               "start_sd": np.sqrt(np.diag(start_spread)).tolist(), "iterations": prior.iterations,
               "median_truncated_mean": np.median(first, axis=0).tolist(), "spread_mode": spread_mode,
               "spread_range": None if prior.spread_range is None else list(prior.spread_range)}
    log.info("curvature population on c <= 0 (%s): mean %.2f, sd %.2f; parent mean of c %.2f, sd %.2f; floor %s",
             spread_mode, summary["population_mean_c"], summary["population_sd_c"], prior.global_mean[1],
             np.sqrt(prior.spread[1, 1]), "none" if prior.spread_range is None else f"{prior.spread_range[0]:.2f}")
    return post_mean, post_cov, summary
