"""The product's own price effect, identified by double machine learning and shrunk toward its category.

Model (docs/price-response.md): E[units_it | x, p] = exp(f(x) + b_i Δ + c_i Δ²), Δ = ln p − ln p_ref,i.

1. **Nuisances, cross-fitted by product** (never random rows of a panel): LightGBM predicts, from the
   context (lagged demand, history, time of year, category, the week, last week's and the next two
   weeks' prices, the recent order-size index), the expected orders n(x) (Poisson), the price terms
   m(x) = E[Δ | x] and s(x) = E[Δ² | x], and the expected log size of a line h(x) (with its customer's
   usual size and discount).
2. **Orthogonal final stage per product**, for each part of weekly units = orders × units per order:
   orders ~ zero-truncated quasi-Poisson with log-mean ln n̂(x) + α_i + b_i (Δ − m̂) + c_i (Δ² − ŝ);
   line log size − ĥ(x) ~ α_i + b_i z₁ + c_i z₂ by least squares, clustered by week, where the line's price
   is the week's posted price times its invoice's discount (invoice_prices.py: a coupon code, a trade tier)
   and z is its residual: the posted price's (Δ − m̂) plus the invoice's discount net of the customer's usual
   one (a code on one of a customer's invoices is exogenous; a trade tier goes with the customer's size and
   is removed with it). Only the part of the price the context does not predict identifies (b_i, c_i): a
   price that moved because demand was weak, the season peaked or a promotion was due is explained by the
   context and does not count as evidence. Each fit gives the product's estimate and its information matrix.
   The orders part adds, in information form, what the product's **list-price revisions** say (revisions.py:
   orders in the weeks before and after each lasting step, against its category's): the nuisances' price
   controls (last and next weeks' prices) absorb exactly those moves.
3. **Hierarchical shrinkage** (empirical Bayes by EM, shrinkage.py), for each part: β_i ~ N(μ_category, T)
   (or a scale mixture of normals, `prior_components`); the parts' posteriors are added (`pool_parts`: the
   parts' estimates added first and the sum shrunk under one prior instead), the category means
   ~ N(μ_global, T/κ). A product with 40 lines borrows its category's response; a product with thousands
   keeps its own. The orders part's spread T is learned with its errors checked on the data (each product's
   weeks split into alternate blocks: the halves must disagree by what their errors say; posterior), since
   its quasi-Poisson errors are too large and would leave T far too narrow; each product keeps its stated errors
   (measured since: the halves share part of their error, so this T is too wide; docs/price-response.md, "Why P(gain)
   over-promises", and ResponseConfig.revision_check; prior_checks.py holds the checks on the revisions). The
   posterior of each β_i is conditioned on c_i <= 0 (demand grows more elastic as its price rises); `S` stratified
   draws of it carry the uncertainty to the service.
4. **The supported range** (evidence_support): the observed prices' range (weekly.py) cut to where the
   posterior still knows the demand relative to the current price.
"""

from __future__ import annotations

import dataclasses
import logging

import lightgbm as lgb
import numpy as np
import pandas as pd

from . import (curvature_prior, curve_family, exogenous_nuisance, priced_right, revisions, shrinkage, weekly,
               within_week_orders)
from .prior_checks import (CURVATURE_RATIOS, MIN_REVISION_INFORMATION, MIN_REVISION_PRODUCTS,  # noqa: F401
                           REVISION_CHECK_SCALES, cap_curvature_spread, revision_log_likelihood,
                           revisions_curvature_ratio, revisions_extra_spread, revisions_prior_scale,
                           scale_curvature_spread, weekly_fit_estimates)
from .response_config import ResponseConfig
from .weekly import CATEGORICAL, CONTEXT_NUMERIC, LAGGED_PRICE, LEAD_PRICES, SIZE_INDEX, WeeklyPanel, estimation_rows

log = logging.getLogger(__name__)

# The week itself is a nuisance input: with folds by product, the common weekly shocks (season, holidays,
# marketing) are learned from the other products in the same week.
NUISANCE_FEATURES = CONTEXT_NUMERIC + [LAGGED_PRICE, "week"] + LEAD_PRICES + SIZE_INDEX


@dataclasses.dataclass
class PriceResponse:
    """Per product (in `stockcodes` order): posterior mean and covariance of (b, c), draws, the raw estimate."""

    stockcodes: list[str]
    mean: np.ndarray  # [P, 2]
    cov: np.ndarray  # [P, 2, 2]
    draws: np.ndarray  # [P, S, 2]
    raw: np.ndarray  # [P, 2] the product's own (unshrunk) estimate, orders + size
    raw_sd: np.ndarray  # [P] standard error of the own estimate of b: how much the product's data alone says
    summary: dict  # per prior (part): global mean, between-product spread, mixture weights and component spreads
    # [P, 2] the unconstrained normal's mean: the draws are N(parent_mean, cov) conditioned on c <= 0, so `mean` (the
    # draws' mean) and `cov` do not describe one normal. None where the posterior is not one normal per product
    # (a mixture prior, the priced-right mixture, the third shape term).
    parent_mean: np.ndarray | None = None


def product_folds(stockcodes: pd.Series, k: int, seed: int) -> np.ndarray:
    """Fold of each row: products are split into k groups (all of a product's weeks in one fold).

    Not time blocks: one year of data has one of each season, so a held-out time block would have its
    seasonal price pattern unexplained. Held-out products have the same weeks as the training products,
    so common time effects are learned, and a product's own rows never fit its own nuisances."""
    codes = np.unique(stockcodes.to_numpy())
    rng = np.random.default_rng(seed)
    fold_of = dict(zip(codes, rng.permutation(len(codes)) % k))
    return stockcodes.map(fold_of).to_numpy()


LINE_FEATURES = ["customer_size", "customer_other_lines", "is_registered", "customer_discount"]


def _design(rows: pd.DataFrame, extra: list[str] = ()) -> pd.DataFrame:
    x = rows[NUISANCE_FEATURES + list(extra)].astype(np.float64).copy()
    for name in CATEGORICAL:
        x[name] = rows[name].astype("category")
    return x


def cross_fit(x: pd.DataFrame, targets: dict[str, tuple[np.ndarray, str]], folds: np.ndarray, cfg: ResponseConfig,
              fit_mask: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Out-of-fold LightGBM predictions of each target (objective "poisson" or "regression"), fit on the
    rows of `fit_mask` (default all) of the other folds and predicted for every row of the fold."""
    out = {k: np.zeros(len(x)) for k in targets}
    usable = np.ones(len(x), bool) if fit_mask is None else fit_mask
    for f in np.unique(folds):
        test = folds == f
        train = ~test & usable
        for key, (y, objective) in targets.items():
            model = lgb.LGBMRegressor(objective=objective, n_estimators=cfg.trees, learning_rate=cfg.learning_rate,
                                      num_leaves=cfg.leaves, min_child_samples=cfg.min_child, subsample=0.8,
                                      subsample_freq=1, colsample_bytree=0.8, random_state=cfg.seed, n_jobs=2,
                                      verbose=-1, deterministic=True, force_row_wise=True)
            model.fit(x[train], y[train])
            out[key][test] = model.predict(x[test])
    return out


def _product_fit(units: np.ndarray, offset: np.ndarray, z: np.ndarray, prior_sd: float
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Quasi-likelihood fit of counts ~ zero-truncated Poisson(exp(offset + α + z·β)) by Newton's method
    with a weak N(0, prior_sd²) prior on β, on weeks with at least one order only: a week without a sale
    shows no price, and the price carried over from an earlier week would blur the response. Truncation
    keeps the selection on a sale from biasing it. Returns (β̂, information of β with α profiled out and
    divided by the product's Pearson dispersion, because weekly orders vary more than Poisson)."""
    n = len(units)
    design = np.column_stack([np.ones(n), z])
    theta = np.zeros(1 + z.shape[1])
    total = units.sum()
    theta[0] = np.log(max(total, 0.5) / np.exp(offset).sum())
    ridge = np.diag([0.0] + [1.0 / prior_sd ** 2] * z.shape[1])
    def moments(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        mu = np.exp(np.clip(offset + design @ theta, -30, 30))
        keep = -np.expm1(-mu)  # P(count > 0)
        mean = mu / np.maximum(keep, 1e-300)  # E[count | count > 0]
        var = mean * (1.0 + mu - mean)  # Var[count | count > 0] = d mean / d eta
        return mu, mean, np.maximum(var, 1e-12)

    for _ in range(50):
        mu, mean, var = moments(theta)
        grad = design.T @ (units - mean) - ridge @ theta
        hess = (design * var[:, None]).T @ design + ridge + np.diag([1e-9] + [0.0] * z.shape[1])
        step = np.linalg.solve(hess, grad)
        shrink = 1.0
        while np.max(np.abs(step * shrink)) > 2.0:
            shrink /= 2.0
        theta = theta + shrink * step
        if np.max(np.abs(step)) < 1e-8:
            break
    mu, mean, var = moments(theta)
    pearson = float(np.sum((units - mean) ** 2 / var))
    dispersion = max(1.0, pearson / max(n - len(theta), 1))
    fisher = (design * var[:, None]).T @ design
    # Information about β after profiling out α (Schur complement).
    info = fisher[1:, 1:] - np.outer(fisher[1:, 0], fisher[0, 1:]) / max(fisher[0, 0], 1e-12)
    return theta[1:], info / dispersion


def _clustered_ols(y: np.ndarray, z: np.ndarray, clusters: np.ndarray, pooled_var: float) -> tuple[np.ndarray, np.ndarray]:
    """y ~ 1 + z by least squares; returns (β̂ of z, its information) from the cluster-robust (by week)
    covariance, so that lines of one week, which share that week's demand shock, count once. With few
    weeks the sandwich is unreliable: the model-based covariance with the pooled residual variance,
    doubled, is used instead."""
    n = len(y)
    x = np.column_stack([np.ones(n), z])
    xtx = x.T @ x + np.diag([0.0] + [1e-8] * z.shape[1])
    bread = np.linalg.pinv(xtx)
    beta = bread @ (x.T @ y)
    e = y - x @ beta
    uniq, inverse = np.unique(clusters, return_inverse=True)
    if len(uniq) >= 8:
        scores = np.zeros((len(uniq), x.shape[1]))
        np.add.at(scores, inverse, x * e[:, None])
        cov = bread @ (scores.T @ scores) @ bread * len(uniq) / (len(uniq) - 1)
    else:
        cov = 2.0 * pooled_var * bread
    return beta[1:], np.linalg.pinv(cov[1:, 1:] + 1e-12 * np.eye(z.shape[1]))


# The split-sample check (calibrate_information): weeks are split into alternate blocks of this many weeks
# (long enough that a persistent demand shock rarely spans both halves); products whose halves both carry at
# least MIN_HALF_INFORMATION on b take part (a standard error of 2: a thinner half is pulled toward 0
# by the weak prior, and two halves pulled alike would agree better than their errors say).
SPLIT_BLOCK_WEEKS = 8
MIN_HALF_INFORMATION = 0.25
MIN_SPLIT_PRODUCTS = 15
MEDIAN_CHI2_1 = 0.454936


def _halves(idx: np.ndarray, week: np.ndarray) -> list[np.ndarray]:
    """A product's rows (`idx`, with their weeks) split into alternate blocks of SPLIT_BLOCK_WEEKS weeks."""
    block = (week // SPLIT_BLOCK_WEEKS) % 2
    return [idx[block == 0], idx[block == 1]]


def calibrate_information(halves: list[list[tuple[np.ndarray, np.ndarray]]]) -> float:
    """How much to scale a part's information so that its standard errors are right, from the data alone.

    Each product is also fit on two halves of its weeks (alternate blocks). If the standard errors are right,
    z = (b_A − b_B) / sqrt(se_A² + se_B²) is standard normal across products; the median of z² against the
    χ²₁ median (robust to a few products whose halves differ for other reasons) gives the factor: above 1
    the part's standard errors were too large (the information is raised), below 1 too small. Measured on
    the development seeds against the truth: the size part's were about 1.2-1.4× too small (week clusters miss
    persistent shocks); the orders part's too large, but its factor was unstable and is not applied
    (docs/price-response.md). Returns 1 with fewer than MIN_SPLIT_PRODUCTS products to judge by."""
    z2 = []
    for pair in halves:
        if len(pair) != 2 or any(len(info) == 0 for _, info in pair):
            continue
        (ba, ia), (bb, ib) = pair
        if ia[0, 0] < MIN_HALF_INFORMATION or ib[0, 0] < MIN_HALF_INFORMATION:
            continue
        # The standard error of b with c profiled out: the (0, 0) element of each half's covariance.
        va = np.linalg.pinv(ia + 1e-9 * np.eye(len(ia)))[0, 0]
        vb = np.linalg.pinv(ib + 1e-9 * np.eye(len(ib)))[0, 0]
        z2.append((ba[0] - bb[0]) ** 2 / (va + vb))
    if len(z2) < MIN_SPLIT_PRODUCTS:
        return 1.0
    log.info("split-sample check on %d products: median z² %.3f", len(z2), float(np.median(z2)))
    return float(MEDIAN_CHI2_1 / max(np.median(z2), 1e-6))


@dataclasses.dataclass
class OwnEstimates:
    """Every product's own (unshrunk) estimates of (b, c) and their information, per part of weekly units
    (orders per week, units per order), in `stockcodes` order, with the category index of each product."""

    stockcodes: list[str]
    groups: np.ndarray  # [P] category index
    raw_n: np.ndarray  # [P, 2] orders
    info_n: np.ndarray  # [P, 2, 2]
    raw_s: np.ndarray  # [P, 2] units per order
    info_s: np.ndarray  # [P, 2, 2]
    # The same fits on each product's two halves of weeks (alternate blocks, _halves), per part: [P, 2 halves, 2]
    # estimates and [P, 2, 2, 2] information (zero information where a half is too thin to fit). What the
    # split-sample checks of the standard errors and of the posterior read (calibrate_information,
    # posterior_scale).
    halves_raw_n: np.ndarray | None = None
    halves_info_n: np.ndarray | None = None
    halves_raw_s: np.ndarray | None = None
    halves_info_s: np.ndarray | None = None
    # The revisions' share of the orders part (revisions.py; raw_n and info_n include it): [P, 2] and [P, 2, 2].
    revisions_raw_n: np.ndarray | None = None
    revisions_info_n: np.ndarray | None = None
    # The size part's evidence from the same revisions (revisions.size_estimates; held out: not in raw_s, info_s).
    revisions_raw_s: np.ndarray | None = None
    revisions_info_s: np.ndarray | None = None
    # [P] ln p0 − ln p_ref of each product's current price (where its elasticity at p0 is read; priced_right.py).
    delta0: np.ndarray | None = None


def fit(panel: WeeklyPanel, cfg: ResponseConfig = ResponseConfig()) -> tuple[PriceResponse, pd.DataFrame]:
    """Estimate every product's price response; also return the estimation rows with the nuisances.

    Sets the panel's supported range (`panel.products` support_min/support_max, what the export and the
    evaluation read) to where the posterior says enough about the curve (evidence_support)."""
    own, rows = own_estimates(panel, cfg)
    response = posterior(own, cfg)
    lo, hi = evidence_support(panel.products, response, cfg.max_curve_sd)
    panel.products["support_min"], panel.products["support_max"] = lo, hi
    return response, rows


def evidence_support(products: pd.DataFrame, response: PriceResponse, max_sd: float, points: int = 121
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Per product (rows of `products` in `response.stockcodes` order): the part of its range [support_min,
    support_max] around the current price p0 where the posterior knows the curve: where the draws' standard
    deviation of ln(m_s(p) / m_s(p0)), the demand at p relative to p0, is at most `max_sd` (extended outward
    from p0 on each side until it first exceeds it). Never narrower than ±weekly.MIN_RANGE around p0: a move
    that small is judged by P(gain) alone."""
    facts = products.set_index("stockcode").loc[response.stockcodes]
    p0 = facts["current_price"].to_numpy(np.float64)
    lref = facts["log_reference_price"].to_numpy(np.float64)
    lo_in, hi_in = facts["support_min"].to_numpy(np.float64), facts["support_max"].to_numpy(np.float64)
    lo, hi = lo_in.copy(), hi_in.copy()
    d0 = np.log(p0) - lref
    for i in range(len(p0)):
        for side, edge in ((-1, lo_in[i]), (1, hi_in[i])):
            prices = p0[i] * np.exp(np.linspace(0.0, np.log(edge / p0[i]), points))
            d = np.log(prices) - lref[i]
            rel = curve_family.relative_log_multiplier(response.draws[i], d, d0[i])
            informed = rel.std(axis=0) <= max_sd
            last = points - 1 if informed.all() else max(int(np.argmin(informed)) - 1, 0)
            reach = prices[last]
            floor = p0[i] * weekly.MIN_RANGE ** side
            if side < 0:
                lo[i] = min(max(reach, lo_in[i]), floor)
            else:
                hi[i] = max(min(reach, hi_in[i]), floor)
    return lo, hi


def own_estimates(panel: WeeklyPanel, cfg: ResponseConfig = ResponseConfig()) -> tuple[OwnEstimates, pd.DataFrame]:
    """Every product's own estimate of its price response and its information (steps 1-2 of the module doc).

    Demand per week = orders per week × units per order; the price acts on both. Orders are fit on the
    weekly panel (quasi-Poisson), order size on the lines themselves, where the customer's usual size
    explains most of the variation (a trade customer's line is many times a shopper's), so the price
    effect on size is measured against far less noise than weekly totals would leave."""
    rows = estimation_rows(panel)
    folds = product_folds(rows["stockcode"], cfg.folds, cfg.seed)
    d = rows["delta"].to_numpy()
    observed = rows["observed"].to_numpy(bool)
    x = _design(rows)
    nuis = cross_fit(x, {"n": (rows["lines"].to_numpy(np.float64), "poisson")}, folds, cfg)
    # The price nuisances learn from weeks whose price was seen (an empty week's price is carried over).
    nuis.update(cross_fit(x, {"m": (d, "regression"), "s": (d ** 2, "regression")}, folds, cfg, fit_mask=observed))
    rows = rows.assign(n_hat=np.maximum(nuis["n"], 1e-3), m_hat=nuis["m"], s_hat=nuis["s"])
    rows["z1"] = d - rows["m_hat"].to_numpy()
    rows["z2"] = d ** 2 - rows["s_hat"].to_numpy()
    zcols = ["z1", "z2"] + (["z3"] if cfg.third_term else [])
    if cfg.third_term:  # the third term's residual on the context, like Δ's and Δ²'s (curve_family)
        rows = curve_family.with_residual(rows, cross_fit(x, {"phi": (curve_family.design(d)[:, 2], "regression")},
                                                          folds, cfg, fit_mask=observed)["phi"])
    k = len(zcols)
    codes = panel.stockcodes
    groups = np.unique(panel.products["category"].fillna("?").to_numpy(), return_inverse=True)[1]

    # Orders per week.
    z, offset = rows[zcols].to_numpy(), np.log(rows["n_hat"].to_numpy())
    if cfg.orders_nuisance != "committed":  # other controls for the orders part (exogenous_nuisance.py)
        rows = exogenous_nuisance.orders_rows(rows, folds, cfg)
        z, offset = rows[[c + "_x" for c in zcols]].to_numpy(), rows["log_n_hat_x"].to_numpy()
    orders = rows["lines"].to_numpy(np.float64)
    index = rows.groupby("stockcode", sort=True).indices
    raw_n, info_n = np.zeros((len(codes), k)), np.zeros((len(codes), k, k))
    halves_raw_n, halves_info_n = np.zeros((len(codes), 2, k)), np.zeros((len(codes), 2, k, k))
    weeks_n = rows["week"].to_numpy()
    for i, code in enumerate(codes):
        idx = index.get(code)
        idx = None if idx is None else idx[observed[idx]]
        if idx is not None and len(idx) >= 3:
            raw_n[i], info_n[i] = _product_fit(orders[idx], offset[idx], z[idx], cfg.weak_prior_sd)
            for j, half in enumerate(_halves(idx, weeks_n[idx])):
                if len(half) >= 3:
                    halves_raw_n[i, j], halves_info_n[i, j] = _product_fit(orders[half], offset[half], z[half],
                                                                           cfg.weak_prior_sd)
    # The orders part's errors are not rescaled: on the development seeds its split-sample factor was 4-6 on
    # the weekly scenarios but made shop-invoice's posterior overconfident (80% coverage 66% -> 52%); its
    # quasi-Poisson errors err on the side of caution (docs/price-response.md). The prior's spread is learned with
    # them checked (posterior, ResponseConfig.prior_split_check): the halves are kept for that.

    raw_e = info_e = None
    if cfg.revisions:
        # The revisions' evidence on the orders part (revisions.py), added to the orthogonal fit's in
        # information form: the nuisances' price controls absorb lasting revisions, so the two barely overlap.
        raw_e, info_e, count = revisions.estimates(rows, list(codes), cfg.weak_prior_sd)
        raw_e, info_e = curve_family.pad(raw_e, info_e, k)
        total = info_n + info_e
        combined = np.einsum("pij,pj->pi", info_n, raw_n) + np.einsum("pij,pj->pi", info_e, raw_e)
        raw_n = np.linalg.solve(total + 1e-9 * np.eye(k)[None], combined[..., None])[..., 0]
        info_n = total
        log.info("revisions: %d events; pooled information on b from them %.0f against %.0f from the weekly fit",
                 count, info_e[:, 0, 0].sum(), (total - info_e)[:, 0, 0].sum())

    # Units per order.
    # NUISANCE_FEATURES holds the week (the join key) and the product's reference log price.
    context = rows[["stockcode", "delta", "m_hat", "s_hat"] + ["t_hat"] * (k == 3) + NUISANCE_FEATURES + CATEGORICAL]
    lines = panel.lines.merge(context, on=["stockcode", "week"], how="inner")
    # The price the line's buyer faced: the week's posted price read from the week's OTHER lines (a week's
    # only line has none: the week's posted price stands in, a small share of lines) times the line's
    # invoice discount (a code, a trade tier; invoice_prices). Its residual is the posted price's residual
    # on the context plus the invoice's discount net of the customer's usual one: a trade tier goes with
    # the customer's order size and is removed with it; a code on one of a customer's invoices is not.
    posted = np.where(np.isfinite(lines["log_posted_others"]),
                      lines["log_posted_others"] - lines["log_reference_price"], lines["delta"])
    discount = lines["line_discount"].to_numpy()
    usual = lines["customer_discount"].to_numpy()
    if not cfg.line_discounts:
        discount = usual = np.zeros(len(lines))
    d_line = posted + discount
    m_hat, s_hat = lines["m_hat"].to_numpy(), lines["s_hat"].to_numpy()
    lines["z1"] = d_line - (m_hat + usual)
    lines["z2"] = d_line ** 2 - (s_hat + 2.0 * m_hat * usual + usual ** 2)
    if k == 3:
        lines["z3"] = curve_family.line_residual(lines, d_line, usual)
    line_folds = product_folds(lines["stockcode"], cfg.folds, cfg.seed)
    h = cross_fit(_design(lines, LINE_FEATURES), {"h": (lines["log_quantity"].to_numpy(), "regression")},
                  line_folds, cfg)["h"]
    resid = lines["log_quantity"].to_numpy() - h
    pooled_var = float(np.var(resid))
    zl = lines[zcols].to_numpy()
    weeks = lines["week"].to_numpy()
    line_index = lines.groupby("stockcode", sort=True).indices
    raw_s, info_s = np.zeros((len(codes), k)), np.zeros((len(codes), k, k))
    halves_raw_s, halves_info_s = np.zeros((len(codes), 2, k)), np.zeros((len(codes), 2, k, k))
    halves_s = []
    for i, code in enumerate(codes):
        idx = line_index.get(code)
        if idx is not None and len(idx) >= 4:
            raw_s[i], info_s[i] = _clustered_ols(resid[idx], zl[idx], weeks[idx], pooled_var)
            pair = [_clustered_ols(resid[h], zl[h], weeks[h], pooled_var) if len(h) >= 4 else (np.zeros(k), np.zeros((k, k)))
                    for h in _halves(idx, weeks[idx])]
            halves_s.append(pair)
            for j, (est, info) in enumerate(pair):
                halves_raw_s[i, j], halves_info_s[i, j] = est, info
    if cfg.split_calibration:
        # Only ever widened: a factor above 1 would trust the part more than its own errors do.
        factor_s = min(calibrate_information(halves_s), 1.0)
        info_s = info_s * factor_s
        halves_info_s = halves_info_s * factor_s
        log.info("size part: information scaled by %.2f (split-sample check of its standard errors)", factor_s)

    raw_es = info_es = None
    if cfg.revisions and cfg.size_revisions:
        raw_es, info_es, count_s = revisions.size_estimates(rows, panel.lines, list(codes), cfg.weak_prior_sd)
        raw_es, info_es = curve_family.pad(raw_es, info_es, k)
        log.info("revisions: %d events with line sizes on both sides; information on the size part's b %.0f",
                 count_s, info_es[:, 0, 0].sum())
    own = OwnEstimates(list(codes), groups, raw_n, info_n, raw_s, info_s, halves_raw_n, halves_info_n, halves_raw_s,
                       halves_info_s, raw_e, info_e, raw_es, info_es, _current_delta(panel.products, list(codes)))
    if cfg.within_week_orders:  # within_week_orders.py: who bought at a discount within the week
        own = within_week_orders.augment(own, panel.lines, rows, cfg.weak_prior_sd)
    return own, rows


def _current_delta(products: pd.DataFrame, stockcodes: list[str]) -> np.ndarray:
    """[P] ln p0 − ln p_ref of each product's current price, in `stockcodes` order."""
    facts = products.set_index("stockcode").loc[stockcodes]
    return (np.log(facts["current_price"].to_numpy(np.float64))
            - facts["log_reference_price"].to_numpy(np.float64))


def orders_prior_scale(own: OwnEstimates) -> float:
    """The split-sample factor of the orders part's standard errors (calibrate_information on its halves): how
    much to scale its information so that two halves of each product's weeks disagree by what their errors say.
    1 when the halves were not kept."""
    if own.halves_raw_n is None or own.halves_info_n is None:
        return 1.0
    pairs = [[(own.halves_raw_n[i, 0], own.halves_info_n[i, 0]), (own.halves_raw_n[i, 1], own.halves_info_n[i, 1])]
             for i in range(len(own.stockcodes))]
    return calibrate_information(pairs)


def orders_prior_evidence(own: OwnEstimates, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """The orders part's estimates and information with the weekly fit's information scaled by `scale` (what the
    split check measured; the revisions' share, which it did not check, kept as it is), for learning the prior."""
    if own.revisions_info_n is None:
        return own.raw_n, own.info_n * scale
    info_e, raw_e = own.revisions_info_n, own.revisions_raw_n
    info_w = own.info_n - info_e
    h_w = np.einsum("pij,pj->pi", own.info_n, own.raw_n) - np.einsum("pij,pj->pi", info_e, raw_e)
    info = scale * info_w + info_e
    h = scale * h_w + np.einsum("pij,pj->pi", info_e, raw_e)
    return np.linalg.solve(info + 1e-9 * np.eye(info.shape[-1])[None], h[..., None])[..., 0], info


def posterior(own: OwnEstimates, cfg: ResponseConfig = ResponseConfig()) -> PriceResponse:
    """The products' posterior (step 3 of the module doc) and `cfg.draws` draws of (b, c) with c <= 0: each part
    (orders, size) shrunk toward its category under its own prior and the parts' posteriors added (default), or,
    with `cfg.pool_parts`, the parts' estimates added first and the sum shrunk under one prior."""
    codes, groups = own.stockcodes, own.groups
    # The weak prior keeps a part without price variation finite (its error is then the prior's, and says
    # "nothing"; its information is near zero).
    weak = np.eye(own.raw_n.shape[1]) / cfg.weak_prior_sd ** 2
    raw_cov = np.linalg.inv(own.info_n + weak) + np.linalg.inv(own.info_s + weak)
    raw = own.raw_n + own.raw_s
    if raw.shape[1] == 3 and (cfg.pool_parts or cfg.priced_right or cfg.part_correlation):
        raise ValueError("third_term needs separate parts, no priced_right and no part_correlation")
    if cfg.pool_parts:
        parts = {"pooled": (raw, np.linalg.inv(raw_cov), 1.0)}
    else:
        split_n = orders_prior_scale(own) if cfg.prior_split_check else 1.0
        scale_n = (revisions_prior_scale(own, split_n, cfg.category_strength, cfg.prior_components)
                   if cfg.revision_check else split_n)
        parts = {"orders": (own.raw_n, own.info_n, scale_n), "size": (own.raw_s, own.info_s, 1.0)}
    mean, cov, summary = np.zeros_like(raw), np.zeros_like(raw_cov), {}
    learned: dict[str, tuple[shrinkage.Prior, tuple[np.ndarray, np.ndarray]]] = {}
    learning: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # the evidence each part's prior was learned with
    for name, (part_raw, part_info, scale) in parts.items():
        # The prior learned with the part's checked errors (the weekly fit's information × scale); each product's
        # posterior with its stated ones, only ever widened (a product's halves may share a bias that their
        # agreement cannot show, so a product's own estimate is not trusted more than it says).
        prior_raw, prior_info = (orders_prior_evidence(own, scale) if name == "orders" and scale != 1.0
                                 else (part_raw, part_info * scale))
        stated = (part_raw, part_info) if scale >= 1.0 else (prior_raw, prior_info)
        prior = shrinkage.fit(prior_raw, prior_info, groups, cfg.category_strength, cfg.prior_components,
                              posterior_evidence=stated, error_scales=cfg.error_scales,
                              no_spread=(2,) if cfg.third_term and not cfg.third_term_by_product else ())
        if name == "orders" and cfg.revision_curvature_check:
            ratio = revisions_curvature_ratio(own, prior, groups)
            prior = scale_curvature_spread(prior, *stated, groups, ratio)
        if cfg.max_curvature_spread is not None:
            prior = cap_curvature_spread(prior, *stated, groups, cfg.max_curvature_spread)
        between = prior.between()
        learned[name] = (prior, stated)
        learning[name] = (prior_raw, prior_info)
        # Independent parts: posterior means add, covariances add.
        mean, cov = mean + prior.posterior_mean(), cov + prior.posterior_cov()
        summary[name] = {"global": prior.global_mean.tolist(), "between_sd": np.sqrt(np.diag(between)).tolist(),
                         "weights": prior.weights.tolist(), "prior_information_scale": float(scale),
                         "split_check_scale": float(split_n if name == "orders" else scale),
                         "component_sd": [np.sqrt(np.diag(t)).tolist() for t in prior.spreads]}
        log.info("price response (%s): global coefficients %s; between-product sd %s; %d component(s), weights %s; "
                 "prior learned with information x %.2f", name, np.round(prior.global_mean, 2).tolist(),
                 np.round(np.sqrt(np.diag(between)), 2).tolist(), len(prior.weights), np.round(prior.weights, 3).tolist(), scale)
    if cfg.part_correlation and len(parts) == 2:
        mean, cov = shrinkage.correlated_parts_posterior(learned["orders"], learned["size"], groups, cfg.part_correlation)
    if cfg.truncated_curvature:  # its incompatible settings are refused by ResponseConfig itself
        mean, cov, summary["truncated_curvature"] = curvature_prior.refit_sum(
            [learned[n][0] for n in learned], [learning[n] for n in learned], mean, cov, groups,
            cfg.category_strength, cfg.truncated_curvature_slope, cfg.truncated_curvature_spread)
    extra = cfg.extra_spread
    if cfg.revision_width_check and "orders" in learned:
        extra = revisions_extra_spread(own, learned["orders"][0], groups)
    if extra > 0.0:
        cov = cov.copy()
        cov[:, 0, 0] += extra * extra
        summary["extra_spread"] = float(extra)
    if cfg.priced_right and own.delta0 is not None:
        # The parts' priors add like their posteriors (independent parts).
        prior_mean = sum(learned[name][0].category_means[groups] for name in learned)
        prior_cov = sum(learned[name][0].between() for name in learned)
        mixed, summary["priced_right"] = priced_right.mixture(mean, cov, prior_mean, prior_cov, own.delta0)
        draws = shrinkage.draws(mixed, cfg.draws, cfg.seed)
        return PriceResponse(codes, draws.mean(axis=1), mixed.posterior_cov(), draws, raw, np.sqrt(raw_cov[:, 0, 0]),
                             summary)
    if raw.shape[1] == 3:  # (b, c, d): the sum of the parts' posteriors as one normal, c <= 0 (curve_family)
        draws = curve_family.draws(mean, cov, cfg.draws, cfg.seed)
    elif len(parts) == 1 and extra == 0.0 and not cfg.truncated_curvature:
        draws = shrinkage.draws(prior, cfg.draws, cfg.seed)
    else:
        # The sum of the parts' posteriors, as one normal (its mean and total covariance).
        combined = shrinkage.Prior(np.ones(1), np.zeros((1, 2, 2)), np.zeros((1, 2)), np.zeros(2),
                                   mean[:, None, :], cov[:, None, :, :], np.ones((len(codes), 1)))
        draws = shrinkage.draws(combined, cfg.draws, cfg.seed)
    # The posterior the service uses is the draws': their mean, not the unconstrained normal's.
    one_normal = raw.shape[1] == 2 and (len(parts) != 1 or extra > 0.0 or cfg.truncated_curvature
                                        or cfg.prior_components == 1)
    return PriceResponse(codes, draws.mean(axis=1), cov, draws, raw, np.sqrt(raw_cov[:, 0, 0]), summary,
                         mean if one_normal else None)



