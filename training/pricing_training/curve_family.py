"""A third shape term for the price response: g(Δ) = b Δ + c Δ² + d φ(Δ) (issue 19; off by default).

The committed curve is log-quadratic in Δ = ln p − ln p_ref. Logit demand's elasticity changes fast with the price,
and fitted over a year's posted prices a log-quadratic cannot hold its slope at the current price p0
(docs/price-response.md, "logit-strong-breaks' narrow intervals"). This module adds one known basis function φ with a
per-product coefficient d, so that the service's kernel stays "g(Δ) over posterior draws": a fixed linear
combination of known functions of Δ. Every φ here has φ(0) = φ'(0) = φ''(0) = 0, so b and c keep their meaning
(slope and half the curvature at the reference price) and d = 0 is exactly the committed curve.

- `TERMS`: the candidate functions φ and their derivatives; `THIRD_TERM` the one the method uses
  (ResponseConfig.third_term), chosen by the noiseless misfit measured with `noiseless_elasticity`
  (docs/price-response.md, "A third shape term").
- `design`, `slope_design`: the basis [Δ, Δ², φ(Δ)] and its derivative in Δ, for any number of coefficients
  (2 = the committed curve, 3 = with φ).
- `log_multiplier`, `elasticity`: g(Δ) and g'(Δ) of posterior draws [S, K], K = 2 or 3.
- `noiseless_elasticity`: what a family can say at p0 with no noise at all (the truth fitted over a product's
  observed prices), the measurement that chose φ.
- `draws`: posterior draws of (b, c, d) from a normal posterior, conditioned on c <= 0 as the committed draws are.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

# Every φ is divided by SCALE / 6 so that near Δ = 0 it is Δ³ / SCALE: at a typical log-price spread (Δ = SCALE) d
# moves the curve as much as c does, so the products' own fits' weak prior (sd 5 on every coefficient) is as weak on
# d as on c (unscaled, φ(0.2) is 0.0014 and logit products need d near −11, which that prior would pull to 0).
SCALE = 0.2
# φ(Δ), φ'(Δ). "exp" is the part of e^Δ = p / p_ref beyond its quadratic: with it the family holds demand
# exponential in the price exactly (ln q = a − β p) and log-linear in ln p (isoelastic); "cube" is Δ³; "expneg" the
# same as "exp" for p_ref / p.
_K = 6.0 / SCALE
TERMS = {
    "cube": (lambda d: _K / 6.0 * d ** 3, lambda d: _K / 2.0 * d ** 2),
    "exp": (lambda d: _K * (np.expm1(d) - d - 0.5 * d * d), lambda d: _K * (np.expm1(d) - d)),
    "expneg": (lambda d: -_K * (np.expm1(-d) + d - 0.5 * d * d), lambda d: _K * (np.expm1(-d) + d)),
}
# The term the method uses (ResponseConfig.third_term): the smallest noiseless misfit at p0 on every demand form of
# the generators (docs/price-response.md, "A third shape term").
THIRD_TERM = "exp"


def design(delta: np.ndarray, k: int = 3, term: str = THIRD_TERM) -> np.ndarray:
    """[..., k] the basis at Δ: Δ, Δ² and (k = 3) φ(Δ)."""
    delta = np.asarray(delta, np.float64)
    cols = [delta, delta * delta]
    if k == 3:
        cols.append(TERMS[term][0](delta))
    elif k != 2:
        raise ValueError(f"a curve has 2 or 3 coefficients, got {k}")
    return np.stack(cols, axis=-1)


def slope_design(delta: np.ndarray, k: int = 3, term: str = THIRD_TERM) -> np.ndarray:
    """[..., k] d/dΔ of `design`: 1, 2Δ and (k = 3) φ'(Δ)."""
    delta = np.asarray(delta, np.float64)
    cols = [np.ones_like(delta), 2.0 * delta]
    if k == 3:
        cols.append(TERMS[term][1](delta))
    elif k != 2:
        raise ValueError(f"a curve has 2 or 3 coefficients, got {k}")
    return np.stack(cols, axis=-1)


def log_multiplier(draws: np.ndarray, delta: np.ndarray, term: str = THIRD_TERM) -> np.ndarray:
    """g_s(Δ) for draws [S, K] at Δ [G]: [S, G]."""
    draws = np.asarray(draws, np.float64)
    return draws @ design(delta, draws.shape[-1], term).T


def elasticity(draws: np.ndarray, delta0: float, term: str = THIRD_TERM) -> np.ndarray:
    """g_s'(Δ0), the elasticity at Δ0 of each draw [S, K]: [S]."""
    draws = np.asarray(draws, np.float64)
    return draws @ slope_design(np.asarray(delta0, np.float64), draws.shape[-1], term)


def relative_log_multiplier(draws: np.ndarray, delta: np.ndarray, delta0: float) -> np.ndarray:
    """g_s(Δ) − g_s(Δ0) for draws [S, K] at Δ [G]: [S, G], ln(demand(p) / demand(p0)) per draw
    (price_response.evidence_support). With two coefficients the committed expression, to its last bit."""
    draws = np.asarray(draws)
    if draws.shape[-1] == 2:
        b, c = draws[:, 0], draws[:, 1]
        return b[:, None] * (delta - delta0)[None, :] + c[:, None] * (delta ** 2 - delta0 ** 2)[None, :]
    return log_multiplier(draws, delta) - log_multiplier(draws, np.array([delta0]))


def noiseless_elasticity(log_level: np.ndarray, delta: np.ndarray, delta0: float, k: int,
                         weights: np.ndarray | None = None, term: str = THIRD_TERM) -> float:
    """The elasticity at Δ0 of the family (intercept + `design`(k, term)) fitted by weighted least squares to a
    true log volume `log_level` at the observed Δ (one a week; repeated prices count repeatedly). `weights` default
    to the true volume, the weights a Poisson fit of counts gives its observations. What the family could say at p0
    from these prices with no noise (interval_diagnosis.family_elasticity is the k = 2 case)."""
    delta = np.asarray(delta, np.float64)
    w = np.exp(log_level) if weights is None else np.asarray(weights, np.float64)
    x = np.column_stack([np.ones_like(delta), design(delta, k, term)])
    root = np.sqrt(w / w.mean())
    coef = np.linalg.lstsq(x * root[:, None], np.asarray(log_level) * root, rcond=None)[0]
    return float(slope_design(np.asarray(delta0, np.float64), k, term) @ coef[1:])


def draws(mean: np.ndarray, cov: np.ndarray, count: int, seed: int) -> np.ndarray:
    """[P, count, K] draws from each product's normal posterior N(mean [P, K], cov [P, K, K]) conditioned on
    c <= 0 (the second coefficient), like shrinkage.draws: c by inverse CDF from its truncated marginal on
    stratified quantiles, the rest from their normal conditional on c, stratified per coordinate (Latin
    hypercube) so that 64 draws keep the Monte Carlo noise small."""
    rng = np.random.default_rng(seed)
    p, k = mean.shape
    strata = (np.arange(count) + 0.5) / count
    out = np.empty((p, count, k))
    others = [j for j in range(k) if j != 1]
    for i in range(p):
        mc, vc = mean[i, 1], max(cov[i, 1, 1], 1e-12)
        sc = np.sqrt(vc)
        top = stats.norm.cdf(-mc / sc)
        u = rng.permutation(strata)
        c = mc + sc * stats.norm.ppf(np.clip(u * top, 1e-300, 1.0)) if top > 1e-12 else np.zeros(count)
        c = np.minimum(c, 0.0)
        # The others given c: mean shifted by their covariance with c, covariance the Schur complement.
        cross = cov[i, others, 1]
        cond_mean = mean[i, others][None, :] + np.outer(c - mc, cross / vc)
        cond_cov = cov[i][np.ix_(others, others)] - np.outer(cross, cross) / vc
        root = _psd_root(cond_cov)
        z = np.stack([stats.norm.ppf(rng.permutation(strata)) for _ in others], axis=1)
        rest = cond_mean + z @ root.T
        out[i, :, 1] = c
        for j, col in enumerate(others):
            out[i, :, col] = rest[:, j]
    return out


def _psd_root(t: np.ndarray) -> np.ndarray:
    """A square root L (L Lᵀ = t) of a positive semi-definite matrix."""
    w, v = np.linalg.eigh((t + t.T) / 2.0)
    return v * np.sqrt(np.maximum(w, 0.0))


def expected_term(t_hat: np.ndarray, m_hat: np.ndarray, s_hat: np.ndarray, shift: np.ndarray | float = 0.0,
                  term: str = THIRD_TERM) -> np.ndarray:
    """E[φ(Δ + u) | x] from the nuisances t̂ = E[φ(Δ) | x], m̂ = E[Δ | x], ŝ = E[Δ² | x] and a known shift u (the
    customer's usual discount on a line; 0 for the week's posted price: then t̂ itself), as the orthogonal fit's
    residual φ(Δ + u) − E[φ(Δ + u) | x] needs. φ itself is the nuisance's target: φ(Δ) is the small remainder of
    e^Δ beyond its quadratic, and derived from separate predictions of e^Δ, Δ and Δ² it would drown in their errors
    (measured: the products' estimates of d then carried no signal)."""
    u = np.asarray(shift, np.float64)
    if term == "exp":
        return np.exp(u) * t_hat + _K * (np.expm1(u) * (1.0 + m_hat + 0.5 * s_hat) - u - m_hat * u - 0.5 * u * u)
    if term == "expneg":
        return np.exp(-u) * t_hat - _K * (np.expm1(-u) * (1.0 - m_hat + 0.5 * s_hat) + u - m_hat * u - 0.5 * u * u)
    return t_hat + _K / 6.0 * (3.0 * u * s_hat + 3.0 * u * u * m_hat + u ** 3)


def with_residual(rows, t_hat: np.ndarray, term: str = THIRD_TERM):
    """`rows` (the estimation rows with Δ = "delta" and the nuisances m̂, ŝ) with t̂ and the third term's residual on
    the context, z3 = φ(Δ) − E[φ(Δ) | x], next to z1 and z2 (price_response.own_estimates)."""
    rows = rows.assign(t_hat=t_hat)
    d = rows["delta"].to_numpy(np.float64)
    rows["z3"] = design(d, 3, term)[:, 2] - expected_term(t_hat, rows["m_hat"].to_numpy(), rows["s_hat"].to_numpy(),
                                                          term=term)
    return rows


def line_residual(lines, d_line: np.ndarray, usual: np.ndarray, term: str = THIRD_TERM) -> np.ndarray:
    """A line's z3: φ at its price (`d_line`, the posted price times its invoice's discount) less its expectation
    given the context and the customer's usual discount `usual` (the lines carry the week's t̂, m̂, ŝ)."""
    return design(d_line, 3, term)[:, 2] - expected_term(lines["t_hat"].to_numpy(), lines["m_hat"].to_numpy(),
                                                         lines["s_hat"].to_numpy(), usual, term)


def pad(raw: np.ndarray, info: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Estimates [P, 2] and information [P, 2, 2] about (b, c) only (the revisions') as [P, k] and [P, k, k]: no
    information about the extra coefficient."""
    if raw.shape[-1] == k:
        return raw, info
    out_raw = np.zeros(raw.shape[:-1] + (k,))
    out_info = np.zeros(info.shape[:-2] + (k, k))
    out_raw[..., :2], out_info[..., :2, :2] = raw, info
    return out_raw, out_info
