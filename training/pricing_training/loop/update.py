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

A product's loop estimate counts only after MIN_LOOP_WEEKS usable weeks (one full cycle of the three arms): with
its level profiled out, two weeks fit the line exactly, leave nothing to check the noise with, and gave the
catalogue's most confident and most wrong estimates (docs/learning-loop.md, diagnosis).

The prior is then re-learned from the tested products (empirical Bayes, `correction`): their slopes' departures
from the starting posterior's at the current price, r_i = ê_i − aᵢᵀm_i (a = (1, 2Δ0)), are modelled as
r_i = μ + γ_g + noise, γ_g ~ N(0, ω²) per category (optional, `by_category`), noise ~ N(0, aᵢᵀS_i aᵢ + 1/I_i + τ²): μ, ω² and τ² by maximum
likelihood. τ² is the estimates' noise beyond their stated information (weekly units of the retail worlds are
lumpier than the quasi-Poisson fit says; the starting posterior's own spread checked out against the truth on
the development seeds while the loop estimates' did not), so a product's own information counts as 1/(1/I_i +
τ²). With `correction_prior` (PlanConfig's default 1.0) μ is not flat but drawn from N(0, σ_μ²), σ_μ that share of
the catalogue's median starting SD of the slope: the starting posterior is calibrated product by product, so its
shared error is a fraction of a product's spread, and with a few dozen tests at a line or two a week the flat
estimate's own SE (0.65-1.1) is larger than that; a flat prior moved every product by that noise (the scenario
worlds' drift, docs/learning-loop.md). Every product's prior becomes N(m_i + (μ + γ̂_g, 0), S_i + diag(Var(μ + γ_g), 0)): a product never tested
borrows the correction and carries its uncertainty ("meta" pricing: learning across products' tests). Its posterior is
the conjugate (Gaussian) update of that prior with its own loop information about e_i. The update reads only the
ledger's weekly units and the posted prices, so running it twice on the same weeks gives the same posterior.

The starting posterior is a normal truncated to c <= 0 (start.Start): the update moves its parent normal (m_i, S_i
above are the parent's; the Gaussian update of a truncated normal is the truncated update of its parent, and a
shift of b passes through the truncation of c unchanged) and draws it truncated; what compares a slope with the
starting posterior's (the correction's residuals and their spread) reads the truncated posterior's own moments.
Carrying the truncated mean with the parent's covariance instead truncated c a second time: on linear-moderate
seed 1 the week-0 draws' median c was −1.66 where the service's is −0.59 (docs/learning-loop.md, branch loopstart).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy import optimize, stats

from .. import curvature_prior
from .start import Start

WEAK_PRIOR_SD = 100.0  # keeps Newton finite without variation; a tighter ridge would pull thin products toward 0
DISPERSION_PRIOR_WEEKS = 6.0  # the pooled dispersion counts as this many weeks of a product's own
MIN_TESTED = 20  # products with loop information before the prior is re-learned
INFORMED = 0.01  # a product whose loop information about its slope exceeds this (SE below 10) counts as tested
MIN_LOOP_WEEKS = 3  # usable weeks before a product's own estimate counts: one full cycle of the arms (module doc)
DRAWS = 64
LOG_VAR_FLOOR, LOG_VAR_CEILING = np.log(1e-6), np.log(1e4)  # the search range of ln τ² (one group)


@dataclasses.dataclass
class Posterior:
    """A product's posterior of (b, c): the normal N(mean, cov) truncated to c <= 0, and its draws."""

    mean: np.ndarray  # [P, 2] the parent normal's mean (not the draws' mean: `moments`)
    cov: np.ndarray  # [P, 2, 2] the parent normal's covariance
    draws: np.ndarray  # [P, S, 2] with c <= 0
    bias: np.ndarray  # [P, 2] the re-learned prior's correction of the starting mean
    extra: np.ndarray  # [2, 2] diag(τ², 0): the loop estimates' noise beyond their stated information
    info: np.ndarray  # [P, 2, 2] the loop weeks' information as the posterior counts it (0 before any)
    # The variance of the catalogue's shared slope correction after re-learning the prior (the median over products of
    # Var(μ + γ_g)); None before the prior is re-learned. The shared part of every product's error does not average
    # out over products: the test plan's revenue-at-risk budget is checked against it (plan.PlanConfig.risk_shift).
    shared_var: float | None = None
    # True when (mean, cov) is the parent of a truncated starting posterior (start.Start.parent_mean); False for a
    # start without one, whose (mean, cov) is read as before (`moments` returns them as they are).
    parent: bool = False

    def moments(self) -> tuple[np.ndarray, np.ndarray]:
        """The posterior's own mean [P, 2] and covariance [P, 2, 2], i.e. the truncated normal's (what a spread of b
        or of the slope reads); without a parent, (mean, cov) as before."""
        if not self.parent:
            return self.mean, self.cov
        return curvature_prior.truncated_mean_cov(self.mean, self.cov)


def week_levels(units: np.ndarray, delta: np.ndarray, start: Start) -> np.ndarray:
    """[P] s_g(t) per product for one week: ln of its category's units with the starting price effect divided out,
    over their recent weekly units, leaving the product itself out (its own price would otherwise move its own
    offset: a big seller at a test price shifts its category's level with the starting posterior's, possibly
    wrong, response, and biases its slope toward that response). NaN when the rest of the category sold nothing."""
    # the starting posterior's point estimate (the truncated mean, as the service prices with), not its parent's
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
    return theta[:, 1], np.where(n_weeks >= MIN_LOOP_WEEKS, np.maximum(info, 0.0), 0.0)


@dataclasses.dataclass
class Correction:
    """The re-learned prior's correction of the starting slope (module docstring): per category [G] its mean μ + γ̂_g
    and variance, and the fitted μ, ω², τ²."""

    mean: np.ndarray
    var: np.ndarray
    mu: float
    omega2: float
    tau2: float


def correction(residual: np.ndarray, var: np.ndarray, groups: np.ndarray, n_groups: int,
               prior_var: float | None = None) -> Correction:
    """Maximum likelihood of r_i = μ + γ_g + noise, γ_g ~ N(0, ω²), noise ~ N(0, var_i + τ²) (module docstring); with
    `prior_var` (one group only) μ ~ N(0, prior_var) instead, τ² by the marginal likelihood and μ's posterior returned;
    marginal likelihood per category in closed form (Sherman-Morrison), Nelder-Mead over (μ, ln ω², ln τ²) from a
    few starts; with one group (the default, no per-category departure) ω² = 0 and a 1-D search over τ² with μ
    profiled out. Categories without tests get μ and Var(μ̂) + ω²."""

    def terms(mu: float, omega2: float, tau2: float):
        w = 1.0 / (var + tau2)
        d = residual - mu
        big_w = np.bincount(groups, w, n_groups)
        big_wd = np.bincount(groups, w * d, n_groups)
        return w, d, big_w, big_wd

    def nll(par: np.ndarray) -> float:
        mu, omega2, tau2 = par[0], np.exp(par[1]), np.exp(par[2])
        w, d, big_w, big_wd = terms(mu, omega2, tau2)
        logdet = -np.sum(np.log(w)) + np.sum(np.log1p(omega2 * big_w))
        quad = np.sum(w * d * d) - np.sum(omega2 * big_wd ** 2 / (1.0 + omega2 * big_w))
        return 0.5 * float(logdet + quad)

    if prior_var is not None and n_groups == 1:
        # The shared correction drawn from N(0, prior_var): the marginal likelihood is the per-category one with μ = 0
        # and ω² = prior_var; only τ² is searched, and γ̂ is the correction's posterior mean (shrunk toward 0).
        def marginal(log_tau2: float) -> float:
            return nll(np.array([0.0, np.log(prior_var), log_tau2]))

        log_tau2 = optimize.minimize_scalar(marginal, bounds=(LOG_VAR_FLOOR, LOG_VAR_CEILING), method="bounded",
                                            options={"xatol": 1e-4}).x
        if marginal(LOG_VAR_FLOOR) <= marginal(log_tau2):
            log_tau2 = LOG_VAR_FLOOR
        tau2 = float(np.exp(log_tau2))
        _, _, big_w, big_wd = terms(0.0, prior_var, tau2)
        return Correction(prior_var * big_wd / (1.0 + prior_var * big_w), prior_var / (1.0 + prior_var * big_w), 0.0,
                          prior_var, tau2)
    if n_groups == 1:
        # One group: ω² would only shift μ, so it is 0; μ given τ² is the weighted mean, and τ² a bounded 1-D search.
        def profile(log_tau2: float) -> float:
            w = 1.0 / (var + np.exp(log_tau2))
            mu = float(np.sum(w * residual) / np.sum(w))
            return nll(np.array([mu, LOG_VAR_FLOOR, log_tau2]))

        log_tau2 = optimize.minimize_scalar(profile, bounds=(LOG_VAR_FLOOR, LOG_VAR_CEILING), method="bounded",
                                            options={"xatol": 1e-4}).x
        if profile(LOG_VAR_FLOOR) <= profile(log_tau2):
            log_tau2 = LOG_VAR_FLOOR
        tau2 = float(np.exp(log_tau2))
        w = 1.0 / (var + tau2)
        mu, omega2 = float(np.sum(w * residual) / np.sum(w)), 0.0
    else:
        best = None
        for log_omega2, log_tau2 in ((-4.0, -4.0), (-4.0, 1.0), (-1.0, -1.0), (0.0, 2.0)):
            res = optimize.minimize(nll, np.array([float(np.median(residual)), log_omega2, log_tau2]),
                                    method="Nelder-Mead", options={"xatol": 1e-4, "fatol": 1e-7, "maxiter": 2000})
            if best is None or res.fun < best.fun:
                best = res
        mu, omega2, tau2 = float(best.x[0]), float(np.exp(best.x[1])), float(np.exp(best.x[2]))
    _, _, big_w, big_wd = terms(mu, omega2, tau2)
    gamma = omega2 * big_wd / (1.0 + omega2 * big_w)
    mu_var = 1.0 / max(float(np.sum(big_w / (1.0 + omega2 * big_w))), 1e-12)
    return Correction(mu + gamma, omega2 / (1.0 + omega2 * big_w) + mu_var, mu, omega2, tau2)


def posterior(start: Start, slope: np.ndarray, slope_info: np.ndarray, seed: int = 0, relearn: bool = True,
              extra_spread: float = 0.0, learn_from: np.ndarray | None = None, by_category: bool = False,
              correction_prior: float | None = None) -> Posterior:
    """The updated posterior of every product (module docstring). The loop's evidence is about the slope at the
    current price, e0 = aᵀβ with a = (1, 2Δ0): information a aᵀ·I_e, in the (b, c) posterior's terms.
    `learn_from` [P] bool: re-learn the prior from these products' tests only (e.g. tests chosen at random).
    `extra_spread`: the share of τ² also added to every product's prior spread of b (0: τ² is taken as the
    estimates' noise only). `by_category`: a correction per category (γ_g) on top of the catalogue's μ; off by
    default: with 3-7 informative tests per category ω² is fit to noise (development seeds: corrections up to +5
    in one category where the truth's per-category departures are within ±1). `correction_prior`: the catalogue
    correction's prior SD as a share of the median starting SD of the slope (None: flat; module docstring; not
    combined with `by_category`)."""
    p = len(start.mean)
    a = np.column_stack([np.ones(p), 2.0 * start.delta0])
    tested = slope_info > INFORMED
    if learn_from is not None:
        tested = tested & learn_from
    bias, extra = np.zeros((p, 2)), np.zeros((2, 2))
    parent_mean, parent_cov = start.normal()  # the normal updated below, truncated when drawn (module docstring)
    prior_cov = parent_cov.copy()
    own_info = slope_info
    shared_var = None
    if relearn and tested.sum() >= MIN_TESTED:
        # A tested slope departs from the starting posterior's own slope, the truncated normal's (its mean and
        # spread), not its parent's; the fitted shift of b then moves the parent's b by the same amount.
        own_mean, own_cov = start.moments()
        start_slope = np.einsum("pi,pi->p", a, own_mean)
        start_var = np.einsum("pi,pij,pj->p", a, own_cov, a)
        groups = start.groups if by_category else np.zeros(p, np.int64)
        n_groups = int(groups.max()) + 1
        prior_var = None
        if correction_prior is not None and not by_category:
            prior_var = max(correction_prior ** 2 * float(np.median(start_var)), 1e-12)
        fit = correction((slope - start_slope)[tested], start_var[tested] + 1.0 / slope_info[tested], groups[tested],
                         n_groups, prior_var)
        bias[:, 0] = fit.mean[groups]
        prior_cov[:, 0, 0] += fit.var[groups] + extra_spread * fit.tau2
        extra[0, 0] = fit.tau2
        shared_var = float(np.median(fit.var[groups]))
        own_info = np.where(slope_info > 0, 1.0 / (1.0 / np.maximum(slope_info, 1e-300) + fit.tau2), 0.0)
    info = np.einsum("pi,pj,p->pij", a, a, own_info)
    prior_prec = np.linalg.inv(prior_cov)
    cov = np.linalg.inv(prior_prec + info)
    h = np.einsum("pij,pj->pi", prior_prec, parent_mean + bias) + a * (own_info * slope)[:, None]
    mean = np.einsum("pij,pj->pi", cov, h)
    return Posterior(mean, cov, normal_draws(mean, cov, DRAWS, seed), bias, extra, info, shared_var,
                     start.parent_mean is not None)


def normal_draws(mean: np.ndarray, cov: np.ndarray, count: int, seed: int) -> np.ndarray:
    """[P, count, 2] draws of N(mean, cov) conditioned on c <= 0 (mean and cov: the parent normal's, Posterior), by
    shrinkage.draws' stratified scheme for one component (c by inverse CDF of its truncated marginal, b from its
    conditional, strata paired at random), vectorised over products (shrinkage.draws loops over them: 2.5 s for
    4,000)."""
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
