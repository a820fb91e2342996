"""Empirical-Bayes prior across products for the price response (b, c), and posterior draws from it.

Each product's own estimate β̂_i comes with its information matrix I_i (likelihood N(β̂_i, I_i⁻¹) in information
form; I_i may be singular: a product whose price never moved says nothing). The prior is learned from all
products by EM:

    β_i ~ Σ_k π_k N(μ_g(i), T_k),   μ_g ~ N(μ_0, T̄/κ)   (T̄ = Σ_k π_k T_k)

K = 1 is the normal–normal model. K > 1 is a mixture of zero-mean deviations with their own spreads (a mass
near the category value plus a tail): a product is assigned to the components by how well each explains its
estimate, so a product far from its category is not pulled back as hard as one near it. The posterior of β_i
is then a mixture of normals with those responsibilities; draws are allotted to components by stratified
sampling and conditioned on c <= 0 (demand grows more elastic as the price rises).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy import stats


@dataclasses.dataclass
class Prior:
    """The learned prior and every product's posterior: per component means [P, K, 2], covariances
    [P, K, 2, 2] and responsibilities [P, K]."""

    weights: np.ndarray  # [K] π
    spreads: np.ndarray  # [K, 2, 2] T_k
    category_means: np.ndarray  # [G, 2]
    global_mean: np.ndarray  # [2]
    means: np.ndarray
    covs: np.ndarray
    responsibilities: np.ndarray

    def posterior_mean(self) -> np.ndarray:
        return np.einsum("pk,pki->pi", self.responsibilities, self.means)

    def posterior_cov(self) -> np.ndarray:
        """[P, 2, 2] the mixture's total covariance (within plus between components)."""
        mean = self.posterior_mean()
        dev = self.means - mean[:, None, :]
        second = self.covs + np.einsum("pki,pkj->pkij", dev, dev)
        return np.einsum("pk,pkij->pij", self.responsibilities, second)

    def between(self) -> np.ndarray:
        """The prior's total spread Σ π_k T_k."""
        return np.einsum("k,kij->ij", self.weights, self.spreads)


def component_posteriors(raw: np.ndarray, info: np.ndarray, mu: np.ndarray, spreads: np.ndarray
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every product's posterior under each component of a prior, in information form.

    `raw` [P, 2] and `info` [P, 2, 2] are the products' own estimates and their information, `mu` [P, 2] each
    product's prior mean (its category's) and `spreads` [K, 2, 2] the components' covariances T_k. Returns the
    posterior means [P, K, 2], covariances [P, K, 2, 2] and log marginal likelihoods [P, K] of each product's
    estimate under each component (up to a per-product constant, so only their differences across components
    mean anything: they set the responsibilities). `fit` uses it inside EM; prior_checks.scale_curvature_spread
    re-derives the posteriors under a changed spread with it."""
    h0 = np.einsum("pij,pj->pi", info, raw)
    means, covs, logm = [], [], []
    for t in spreads:
        t_inv = np.linalg.inv(t)
        prec = info + t_inv[None]
        cov = np.linalg.inv(prec)
        h = h0 + mu @ t_inv  # t_inv is symmetric
        mean = np.einsum("pij,pj->pi", cov, h)
        _, logdet_prec = np.linalg.slogdet(prec)
        _, logdet_t = np.linalg.slogdet(t)
        quad = np.einsum("pi,ij,pj->p", mu, t_inv, mu)
        logm.append(-0.5 * logdet_t - 0.5 * logdet_prec - 0.5 * quad + 0.5 * np.einsum("pi,pi->p", h, mean))
        means.append(mean)
        covs.append(cov)
    return np.stack(means, 1), np.stack(covs, 1), np.stack(logm, 1)


def _error_scaled_posteriors(raw: np.ndarray, info: np.ndarray, mu: np.ndarray, spread: np.ndarray,
                             error_scales: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """component_posteriors for one prior spread and K error scales λ_k (the product's error covariance
    λ_k · I_i⁻¹), with the log marginal likelihoods made comparable across k: the per-product constant that
    component_posteriors leaves out depends on λ (−r_i/2 log λ − rawᵀ I_i raw / 2λ, r_i the rank of I_i)."""
    means, covs, logm = [], [], []
    eig = np.linalg.eigvalsh(info)
    rank = (eig > 1e-6 * max(float(eig.max()), 1e-300)).sum(axis=1)
    quad = np.einsum("pi,pij,pj->p", raw, info, raw)
    for lam in error_scales:
        m, c, lm = component_posteriors(raw, info / lam, mu, spread[None])
        means.append(m[:, 0])
        covs.append(c[:, 0])
        logm.append(lm[:, 0] - 0.5 * rank * np.log(lam) - 0.5 * quad / lam)
    return np.stack(means, 1), np.stack(covs, 1), np.stack(logm, 1)


def fit(raw: np.ndarray, info: np.ndarray, groups: np.ndarray, kappa: float, components: int = 1,
        iterations: int = 300, tol: float = 1e-7,
        posterior_evidence: tuple[np.ndarray, np.ndarray] | None = None,
        error_scales: tuple[float, ...] | None = None, no_spread: tuple[int, ...] = ()) -> Prior:
    """The prior by EM and every product's posterior under it (module doc). `groups` [P] category indices.

    `posterior_evidence` (default `(raw, info)`) is the estimate and information each product's posterior uses,
    when they differ from those the prior is learned with: the prior's spread is what the estimates' spread leaves once their
    noise is taken out, so it is learned with errors checked on the data (price_response.posterior), while a
    product whose errors were found too large keeps them (its own estimate may carry a bias its halves share).

    `error_scales` (λ_1 < λ_2 < ..., λ_1 = 1) makes the products' errors heavy-tailed instead of the prior: one
    normal prior N(μ_g, T) and each product's error covariance λ_k · I_i⁻¹ with learned weights π_k, so a product
    whose estimate lies far from its category by more than its stated error allows is read as a larger error
    (pulled back harder), not as a real difference that widens T. The returned Prior then has one component per
    error scale, all with spread T; its posteriors are a mixture over the scales.

    `no_spread`: coefficients whose between-product spread is held at (nearly) 0: one value per category, learned
    from its products (curve_family's third term when a product's own data cannot say its own, ResponseConfig). EM
    cannot move a mean whose spread is 0 (each posterior is pinned to it), so those means are fitted directly: the
    category's generalized least squares under the marginal model β̂_i ~ N(μ_g, T + I_i⁻¹). Normal prior only."""
    if no_spread and (components != 1 or (error_scales is not None and len(error_scales) > 1)):
        raise ValueError("no_spread needs a normal prior with normal errors")
    if error_scales is not None and len(error_scales) > 1:
        if components != 1:
            raise ValueError("error_scales needs a normal prior (components = 1)")
        return _fit_error_mixture(raw, info, groups, kappa, np.asarray(error_scales, np.float64), iterations, tol,
                                  posterior_evidence)
    p = len(raw)
    n_groups = int(groups.max()) + 1
    spread = np.cov(raw.T) if p > 2 else np.eye(raw.shape[1])
    base = np.diag(np.maximum(np.diag(spread), 1e-3))
    scales = np.geomspace(0.1, 2.0, components) if components > 1 else np.ones(1)
    spreads = np.stack([_hold(base * s, no_spread) for s in scales])
    weights = np.full(components, 1.0 / components)
    mu0 = np.median(raw, axis=0)
    mu_g = np.tile(mu0, (n_groups, 1))
    for _ in range(iterations):
        means, covs, logm = component_posteriors(raw, info, mu_g[groups], spreads)
        r = _responsibilities(logm, weights)
        post_mean = np.einsum("pk,pki->pi", r, means)
        new_mu_g = _category_means(post_mean, groups, n_groups, mu0, kappa)
        if no_spread:
            new_mu_g[:, list(no_spread)] = _held_means(raw, info, groups, n_groups, spreads[0])[:, list(no_spread)]
        mu0 = new_mu_g.mean(axis=0)
        new_spreads = np.empty_like(spreads)
        for k in range(components):
            dev = means[:, k] - new_mu_g[groups]
            second = np.einsum("p,pi,pj->ij", r[:, k], dev, dev) + np.einsum("p,pij->ij", r[:, k], covs[:, k])
            new_spreads[k] = _hold(second / max(r[:, k].sum(), 1e-9) + 1e-6 * np.eye(raw.shape[1]), no_spread)
        new_weights = r.mean(axis=0)
        change = max(np.max(np.abs(new_spreads - spreads)), np.max(np.abs(new_mu_g - mu_g)),
                     np.max(np.abs(new_weights - weights)))
        spreads, weights, mu_g = new_spreads, new_weights, new_mu_g
        if change < tol:
            break
    post_raw, post_info = (raw, info) if posterior_evidence is None else posterior_evidence
    means, covs, logm = component_posteriors(post_raw, post_info, mu_g[groups], spreads)
    r = _responsibilities(logm, weights)
    return Prior(weights, spreads, mu_g, mu0, means, covs, r)


def _held_means(raw: np.ndarray, info: np.ndarray, groups: np.ndarray, n_groups: int, t: np.ndarray) -> np.ndarray:
    """[G, K] each category's generalized least squares mean of its products' estimates, weights (T + I_i⁻¹)⁻¹ =
    I_i (1 + T I_i)⁻¹ (no inverse of a singular I_i or of a T with a zero spread)."""
    k = raw.shape[1]
    w = np.einsum("pij,pjk->pik", info, np.linalg.inv(np.eye(k)[None] + t[None] @ info))
    out = np.zeros((n_groups, k))
    for g in range(n_groups):
        m = groups == g
        out[g] = np.linalg.solve(w[m].sum(axis=0) + 1e-9 * np.eye(k), np.einsum("pij,pj->i", w[m], raw[m]))
    return out


def _hold(t: np.ndarray, dims: tuple[int, ...]) -> np.ndarray:
    """`t` with the spread of the coefficients `dims` held at 1e-6 (variance) and their covariances at 0."""
    if not dims:
        return t
    t = t.copy()
    for j in dims:
        t[j, :], t[:, j] = 0.0, 0.0
        t[j, j] = 1e-6
    return t


def _fit_error_mixture(raw: np.ndarray, info: np.ndarray, groups: np.ndarray, kappa: float, scales: np.ndarray,
                       iterations: int, tol: float, posterior_evidence: tuple[np.ndarray, np.ndarray] | None) -> Prior:
    """fit with heavy-tailed errors (its `error_scales`): EM over T, the category means and the scales' weights."""
    p = len(raw)
    n_groups = int(groups.max()) + 1
    spread = np.cov(raw.T) if p > 2 else np.eye(raw.shape[1])
    t = np.diag(np.maximum(np.diag(spread), 1e-3))
    weights = np.full(len(scales), 1.0 / len(scales))
    mu0 = np.median(raw, axis=0)
    mu_g = np.tile(mu0, (n_groups, 1))
    for _ in range(iterations):
        means, covs, logm = _error_scaled_posteriors(raw, info, mu_g[groups], t, scales)
        r = _responsibilities(logm, weights)
        post_mean = np.einsum("pk,pki->pi", r, means)
        new_mu_g = _category_means(post_mean, groups, n_groups, mu0, kappa)
        mu0 = new_mu_g.mean(axis=0)
        dev = means - new_mu_g[groups][:, None, :]
        new_t = (np.einsum("pk,pki,pkj->ij", r, dev, dev) + np.einsum("pk,pkij->ij", r, covs)) / p + 1e-6 * np.eye(raw.shape[1])
        new_weights = r.mean(axis=0)
        change = max(np.max(np.abs(new_t - t)), np.max(np.abs(new_mu_g - mu_g)), np.max(np.abs(new_weights - weights)))
        t, weights, mu_g = new_t, new_weights, new_mu_g
        if change < tol:
            break
    post_raw, post_info = (raw, info) if posterior_evidence is None else posterior_evidence
    means, covs, logm = _error_scaled_posteriors(post_raw, post_info, mu_g[groups], t, scales)
    r = _responsibilities(logm, weights)
    return Prior(weights, np.stack([t] * len(scales)), mu_g, mu0, means, covs, r)


def _sqrtm(t: np.ndarray) -> np.ndarray:
    """The symmetric square root of a positive semi-definite matrix."""
    w, v = np.linalg.eigh(t)
    return (v * np.sqrt(np.maximum(w, 0.0))) @ v.T


def correlated_parts_posterior(orders: tuple[Prior, tuple[np.ndarray, np.ndarray]],
                               size: tuple[Prior, tuple[np.ndarray, np.ndarray]], groups: np.ndarray,
                               rho: float) -> tuple[np.ndarray, np.ndarray]:
    """Each product's posterior mean [P, 2] and covariance [P, 2, 2] of the sum of its parts' (b, c), when the two
    parts' deviations from their categories are correlated by `rho` in the prior
    (price_response.ResponseConfig.part_correlation): the joint prior of (orders, size) has the parts' learned spreads
    on its diagonal blocks and rho · T_orders^½ T_size^½ between them; each part's evidence (estimate, information) stays its own. Normal
    priors only (one component)."""
    (prior_n, (raw_n, info_n)), (prior_s, (raw_s, info_s)) = orders, size
    if len(prior_n.weights) != 1 or len(prior_s.weights) != 1:
        raise ValueError("part_correlation needs normal priors (prior_components = 1)")
    if not 0.0 <= rho < 1.0:
        raise ValueError(f"part_correlation must be in [0, 1), got {rho}")
    t_n, t_s = prior_n.spreads[0], prior_s.spreads[0]
    cross = rho * _sqrtm(t_n) @ _sqrtm(t_s)
    t = np.block([[t_n, cross], [cross.T, t_s]])
    t_inv = np.linalg.inv(t)
    mu = np.concatenate([prior_n.category_means[groups], prior_s.category_means[groups]], axis=1)
    info = np.zeros((len(groups), 4, 4))
    info[:, :2, :2], info[:, 2:, 2:] = info_n, info_s
    h = np.concatenate([np.einsum("pij,pj->pi", info_n, raw_n), np.einsum("pij,pj->pi", info_s, raw_s)], axis=1)
    h = h + mu @ t_inv
    joint_cov = np.linalg.inv(info + t_inv[None])
    joint_mean = np.einsum("pij,pj->pi", joint_cov, h)
    total = np.hstack([np.eye(2), np.eye(2)])
    return joint_mean @ total.T, np.einsum("ij,pjk,lk->pil", total, joint_cov, total)


def draws(prior: Prior, count: int, seed: int) -> np.ndarray:
    """[P, count, 2] draws of (b, c) from each product's posterior conditioned on c <= 0.

    Demand gets more elastic as its price rises (c <= 0: Marshall's second law; true of linear, exponential,
    logit and saturating demand alike); a convex fit would send the optimum to an edge of the range. The
    strata (i + 0.5)/count are allotted to components in order of the cumulative responsibilities; within a
    component c comes from its truncated marginal by inverse CDF and b from its normal conditional on c, the
    strata of c and b paired at random (Latin hypercube), so the Monte Carlo noise of P(gain) and of the
    intervals stays small at 64 draws."""
    rng = np.random.default_rng(seed)
    p, k = prior.responsibilities.shape
    strata = (np.arange(count) + 0.5) / count
    out = np.empty((p, count, 2))
    for i in range(p):
        component = np.minimum(np.searchsorted(np.cumsum(prior.responsibilities[i]), strata), k - 1)
        uc = rng.permutation(strata)
        zb = stats.norm.ppf(rng.permutation(strata))
        for j in np.unique(component):
            idx = np.flatnonzero(component == j)
            mb, mc = prior.means[i, j]
            cov = prior.covs[i, j]
            vb, vc, vbc = max(cov[0, 0], 1e-12), max(cov[1, 1], 1e-12), cov[0, 1]
            sc = np.sqrt(vc)
            top = stats.norm.cdf(-mc / sc)
            if top > 1e-12:
                c = mc + sc * stats.norm.ppf(np.clip(uc[idx] * top, 1e-300, 1.0))
            else:
                c = np.zeros(len(idx))  # all the mass is above 0: the boundary
            c = np.minimum(c, 0.0)
            b = mb + vbc / vc * (c - mc) + np.sqrt(max(vb - vbc * vbc / vc, 0.0)) * zb[idx]
            out[i, idx, 0], out[i, idx, 1] = b, c
    return out


def _responsibilities(logm: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Each product's posterior weight of each component [P, K] from its log marginal likelihoods `logm` [P, K]
    and the components' weights."""
    logm = logm + np.log(np.maximum(weights, 1e-300))[None]
    r = np.exp(logm - logm.max(axis=1, keepdims=True))
    return r / r.sum(axis=1, keepdims=True)


def _category_means(post_mean: np.ndarray, groups: np.ndarray, n_groups: int, mu0: np.ndarray,
                    kappa: float) -> np.ndarray:
    """The category means [G, 2]: the posterior of μ_g given its products' posterior means (prior mean μ0, weight
    κ)."""
    out = np.empty((n_groups, post_mean.shape[1]))
    for g in range(n_groups):
        members = post_mean[groups == g]
        out[g] = (members.sum(axis=0) + kappa * mu0) / (len(members) + kappa)
    return out
