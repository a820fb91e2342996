"""The weekly posterior update: every product's (b, c) moved by its loop weeks, the prior re-learned across tests.

Model of a loop week t of product i (docs/learning-loop.md): units_it ~ quasi-Poisson with
ln E = s_g(t) + α_i + e_i u_it, u = Δ − Δ0 the log price relative to the current price (Δ = ln(posted /
scale) − ref), e_i = b_i + 2 c_i Δ0 the slope (elasticity) at the current price. The baseline f(x) is held fixed as
a product level α_i (profiled out) times its category's week level s_g(t), read off all products' sales that week
with the starting posterior's price effect divided out, the product itself left out (no network is retrained).
Tests within ±δ tell the slope, hardly the curvature: over arms placed about evenly on both sides of the current
price, the line through them has the slope of a quadratic at the centre, so the fit is linear in u (the starting
posterior's curvature, often far off, is not used); each product's loop weeks give an own estimate of e_i
and its information (Newton on the quasi-likelihood, Pearson dispersion shrunk to the pooled one), vectorised
over products.

The prior is then re-learned from the tested products (empirical Bayes, shrinkage.fit): their slopes' departures
from the starting posterior's, r_i = ê_i − aᵢᵀm_i with noise aᵢᵀS_i aᵢ + 1/I_i (a = (1, 2Δ0)), give a per-category
bias μ_g of the starting posterior and the extra spread T it did not state. Every product's prior becomes
N(m_i + (μ_g, 0), S_i + diag(T, 0)) (a product never tested borrows its category's correction), and its posterior
is the conjugate (Gaussian) update of that prior with its own loop information about e_i. The update reads only
the ledger's weekly units and the posted prices, so running it twice on the same weeks gives the same posterior.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy import stats

from .. import shrinkage
from .start import Start

WEAK_PRIOR_SD = 100.0  # keeps Newton finite without variation; a tighter ridge would pull thin products toward 0
DISPERSION_PRIOR_WEEKS = 6.0  # the pooled dispersion counts as this many weeks of a product's own
MIN_TESTED = 20  # products with loop information before the prior is re-learned
INFORMED = 0.01  # a product whose loop information about its slope exceeds this (SE below 10) counts as tested
DRAWS = 64
KNOWN = 1e6  # information of a residual taken as known
EB_ITERATIONS = 100  # EM steps of the prior: within 0.02 of 300 steps on the synthetic test, in a fifth of the time


@dataclasses.dataclass
class Posterior:
    mean: np.ndarray  # [P, 2]
    cov: np.ndarray  # [P, 2, 2]
    draws: np.ndarray  # [P, S, 2] with c <= 0
    bias: np.ndarray  # [P, 2] the re-learned prior's correction of the starting mean
    extra: np.ndarray  # [2, 2] T
    info: np.ndarray  # [P, 2, 2] the loop weeks' information (0 before any)


def week_levels(units: np.ndarray, delta: np.ndarray, start: Start) -> np.ndarray:
    """[P] s_g(t) per product for one week: ln of its category's units with the starting price effect divided out,
    over their recent weekly units, leaving the product itself out (its own price would otherwise move its own
    offset: a big seller at a test price shifts its category's level with the starting posterior's, possibly
    wrong, response, and biases its slope toward that response). NaN when the rest of the category sold nothing."""
    effect = np.exp(start.mean[:, 0] * delta + start.mean[:, 1] * delta ** 2)
    n_groups = int(start.groups.max()) + 1
    own_sold, own_usual = units / effect, start.units
    sold = np.bincount(start.groups, weights=own_sold, minlength=n_groups)[start.groups] - own_sold
    usual = np.bincount(start.groups, weights=own_usual, minlength=n_groups)[start.groups] - own_usual
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((sold > 1e-9) & (usual > 1e-9), np.log(np.maximum(sold, 1e-300) / np.maximum(usual, 1e-300)),
                        np.nan)


def loop_estimates(units: np.ndarray, delta: np.ndarray, level: np.ndarray, start: Start, iterations: int = 40
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Per product from its loop weeks ([T, P] each; NaN level = no usable week): the own estimate of the slope at
    the current price, e0 = b + 2 c Δ0 [P], and its information [P] (α profiled out, divided by the shrunk Pearson
    dispersion): a quasi-Poisson line in u = Δ − Δ0 (module docstring)."""
    valid = np.isfinite(level) & np.isfinite(delta)
    w = valid.astype(np.float64)
    y = np.where(valid, units, 0.0)
    u = np.where(valid, delta - start.delta0[None, :], 0.0)
    offset = np.where(valid, level, 0.0)
    x = np.stack([np.ones_like(u), u], axis=-1)  # [T, P, 2]
    n_weeks = w.sum(axis=0)
    theta = np.zeros((units.shape[1], 2))
    base = (w * np.exp(offset)).sum(axis=0)
    theta[:, 0] = np.log((y.sum(axis=0) + 0.5) / np.maximum(base, 1e-9))
    ridge = np.diag([0.0, 1.0]) / WEAK_PRIOR_SD ** 2
    for _ in range(iterations):
        mu = np.exp(np.clip(offset + np.einsum("tpk,pk->tp", x, theta), -30, 30)) * w
        grad = np.einsum("tp,tpk->pk", y - mu, x) - theta @ ridge
        hess = np.einsum("tp,tpk,tpl->pkl", mu, x, x) + ridge + 1e-9 * np.eye(2)
        step = np.linalg.solve(hess, grad[:, :, None])[:, :, 0]
        biggest = np.abs(step).max(axis=1, keepdims=True)
        theta += step * np.minimum(1.0, 2.0 / np.maximum(biggest, 1e-12))
        if biggest.max() < 1e-8:
            break
    mu = np.exp(np.clip(offset + np.einsum("tpk,pk->tp", x, theta), -30, 30)) * w
    pearson = np.where(valid, (y - mu) ** 2 / np.maximum(mu, 1e-9), 0.0).sum(axis=0)
    dof = np.maximum(n_weeks - 2.0, 0.0)
    enough = dof >= 3
    pooled = max(1.0, float(np.median(pearson[enough] / dof[enough]))) if enough.any() else 1.0
    dispersion = np.maximum(1.0, (pooled * DISPERSION_PRIOR_WEEKS + pearson) / (DISPERSION_PRIOR_WEEKS + dof))
    fisher = np.einsum("tp,tpk,tpl->pkl", mu, x, x)
    info = (fisher[:, 1, 1] - fisher[:, 1, 0] ** 2 / np.maximum(fisher[:, 0, 0], 1e-12)) / dispersion
    return theta[:, 1], np.maximum(info, 0.0)


def posterior(start: Start, slope: np.ndarray, slope_info: np.ndarray, kappa: float = 3.0, seed: int = 0,
              relearn: bool = True, extra_spread: float = 1.0, learn_from: np.ndarray | None = None) -> Posterior:
    """The updated posterior of every product (module docstring). The loop's evidence is about the slope at the
    current price, e0 = aᵀβ with a = (1, 2Δ0): information a aᵀ·I_e, in the (b, c) posterior's terms.
    `learn_from` [P] bool: re-learn the prior from these products' tests only (e.g. tests chosen at random)."""
    p = len(start.mean)
    a = np.column_stack([np.ones(p), 2.0 * start.delta0])
    tested = slope_info > INFORMED
    if learn_from is not None:
        tested = tested & learn_from
    bias, extra = np.zeros((p, 2)), np.zeros((2, 2))
    if relearn and tested.sum() >= MIN_TESTED:
        # The correction is learned on the slope: a shift μ_g of b moves e0 by μ_g; the curvature keeps the
        # starting posterior's (its residual held at 0 as if known).
        start_slope = np.einsum("pi,pi->p", a, start.mean)
        start_var = np.einsum("pi,pij,pj->p", a, start.cov, a)
        var = start_var[tested] + 1.0 / slope_info[tested]
        residual = np.column_stack([slope[tested] - start_slope[tested], np.zeros(int(tested.sum()))])
        noise_info = np.zeros((int(tested.sum()), 2, 2))
        noise_info[:, 0, 0], noise_info[:, 1, 1] = 1.0 / var, KNOWN
        prior = shrinkage.fit(residual, noise_info, start.groups[tested], kappa, iterations=EB_ITERATIONS, tol=1e-5)
        known = np.zeros(int(start.groups.max()) + 1, bool)
        known[np.unique(start.groups[tested])] = True
        per_group = np.zeros((len(known), 2))
        per_group[:len(prior.category_means)] = prior.category_means
        per_group[~known] = prior.global_mean
        bias = per_group[start.groups] * np.array([1.0, 0.0])
        extra = np.diag([extra_spread * prior.between()[0, 0], 0.0])
    info = np.einsum("pi,pj,p->pij", a, a, slope_info)
    prior_prec = np.linalg.inv(start.cov + extra[None])
    cov = np.linalg.inv(prior_prec + info)
    h = np.einsum("pij,pj->pi", prior_prec, start.mean + bias) + a * (slope_info * slope)[:, None]
    mean = np.einsum("pij,pj->pi", cov, h)
    return Posterior(mean, cov, normal_draws(mean, cov, DRAWS, seed), bias, extra, info)


def normal_draws(mean: np.ndarray, cov: np.ndarray, count: int, seed: int) -> np.ndarray:
    """[P, count, 2] draws of N(mean, cov) conditioned on c <= 0: shrinkage.draws' stratified scheme for one
    component (c by inverse CDF of its truncated marginal, b from its conditional, strata paired at random),
    vectorised over products (shrinkage.draws loops over them: 2.5 s for 4,000)."""
    rng = np.random.default_rng(seed)
    p = len(mean)
    strata = (np.arange(count) + 0.5) / count
    uc = rng.permuted(np.tile(strata, (p, 1)), axis=1)
    zb = stats.norm.ppf(rng.permuted(np.tile(strata, (p, 1)), axis=1))
    mb, mc = mean[:, 0:1], mean[:, 1:2]
    vb, vc = np.maximum(cov[:, 0, 0], 1e-12)[:, None], np.maximum(cov[:, 1, 1], 1e-12)[:, None]
    vbc = cov[:, 0, 1][:, None]
    sc = np.sqrt(vc)
    top = stats.norm.cdf(-mc / sc)
    c = np.where(top > 1e-12, mc + sc * stats.norm.ppf(np.clip(uc * top, 1e-300, 1.0)), 0.0)
    c = np.minimum(c, 0.0)
    b = mb + vbc / vc * (c - mc) + np.sqrt(np.maximum(vb - vbc * vbc / vc, 0.0)) * zb
    return np.stack([b, c], axis=-1)


def starting(start: Start, seed: int = 0) -> Posterior:
    """The starting posterior itself (no loop weeks), with its draws."""
    p = len(start.mean)
    return posterior(start, np.zeros(p), np.zeros(p), seed=seed, relearn=False)
