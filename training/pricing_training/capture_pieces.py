"""Where a data set's missing gain capture goes: the method's posterior with one piece replaced by the truth.

A measurement tool for synthetic data (it reads the generator's `Truth` and weekly panel; the method never calls
it), used by scripts/shop_capture_study.py (docs/price-response.md, "Why capture is low on the shop scenarios").
Each variant keeps everything of the committed method but one piece (the posterior's centre, its shrinkage, the
curve family, a part's own fit, the search range), then decides every product under decision.decide and scores it
with scoring.score_product, so a variant's capture says how much that piece costs.

- `local_quadratic`: the truth's log units as a quadratic in Δ = ln p − ln p_ref matched at p0 (value, slope and
  curvature): what a perfect centre of the method's curve would be where the decision is read;
- `family_coefficients`: the log-quadratic fitted to the true log quantity over the observed weekly list prices,
  weighted by the true volume (the best the curve family can do with no noise);
- `recentre` / `slide` / `exact`: a posterior's draws moved to another centre with their spread kept, with only the
  spread of the elasticity at p0 kept (the centre's curvature in every draw), or collapsed onto it;
- `refit_orders`: the orders part's own estimates refitted with the method's own fit (price_response._product_fit)
  on the true list price or the true demand factor, recombined with the revisions' evidence;
- `decide_all`: every product decided and scored; `headline`: capture, harm, changed, 80% coverage.
"""

from __future__ import annotations

import dataclasses
import types

import numpy as np
import pandas as pd

from . import calibration, decision, evaluate, information_oracle, price_response, shrinkage
from .scoring import HARM, MISPRICED, aggregate_capture, score_product

STEP = 1e-3  # central differences in ln p
MONDAY = pd.Timestamp("2010-11-29")  # the generator's and the panel's weeks matched by their Monday-based index
BAYES = decision.DEFAULT_DECISION | {"min_expected_gain": 0.0, "max_loss_probability": None}


def local_quadratic(truth, code: str, p0: float, log_reference: float, quantity: str = "units") -> np.ndarray:
    """(b, c) of the quadratic in Δ that has the true ln `quantity` ("units" or "lines")'s slope and curvature at p0."""
    curve = truth.units if quantity == "units" else truth.lines
    ln_q = np.log(curve(code, p0 * np.exp(np.array([-STEP, 0.0, STEP]))))
    slope = (ln_q[2] - ln_q[0]) / (2.0 * STEP)
    c = (ln_q[2] - 2.0 * ln_q[1] + ln_q[0]) / (2.0 * STEP * STEP)
    d0 = np.log(p0) - log_reference
    return np.array([slope - 2.0 * c * d0, c])


def family_coefficients(truth, code: str, log_reference: float, prices: np.ndarray, weights: np.ndarray,
                        quantity: str = "units") -> np.ndarray | None:
    """(b, c) of the log-quadratic in Δ fitted by weighted least squares to the true ln `quantity` at `prices`
    (one a week), weights `weights`; None with fewer than three distinct prices."""
    prices = np.asarray(prices, np.float64)
    if np.unique(np.round(np.log(prices), 9)).size < 3:
        return None
    curve = truth.units if quantity == "units" else truth.lines
    d = np.log(prices) - log_reference
    x = np.column_stack([np.ones_like(d), d, d * d])
    root = np.sqrt(np.asarray(weights, np.float64) / np.mean(weights))
    return np.linalg.lstsq(x * root[:, None], np.log(curve(code, prices)) * root, rcond=None)[0][1:]


def recentre(draws: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """A product's draws [S, 2] moved so that their mean is `centre`, their spread kept."""
    return draws - draws.mean(axis=0) + centre


def slide(draws: np.ndarray, centre: np.ndarray, delta0: float) -> np.ndarray:
    """Every draw at `centre`'s curvature with its slope moved so that the draws' elasticities at p0 (Δ0 = `delta0`)
    spread as the given draws' do: the curve known up to a shift of its elasticity at p0, as the oracle knows it up
    to a shift along ln p."""
    e_dev = (draws[:, 0] - draws[:, 0].mean()) + 2.0 * (draws[:, 1] - draws[:, 1].mean()) * delta0
    return np.column_stack([centre[0] + e_dev, np.full(len(draws), centre[1])])


def exact(draws: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Every draw at `centre` (no uncertainty)."""
    return np.broadcast_to(centre, draws.shape).copy()


def normal_draws(mean: np.ndarray, cov: np.ndarray, count: int, seed: int) -> np.ndarray:
    """[P, count, 2] draws of (b, c) from N(mean_i, cov_i) conditioned on c <= 0, as the method draws them."""
    p = len(mean)
    combined = shrinkage.Prior(np.ones(1), np.zeros((1, 2, 2)), np.zeros((1, 2)), np.zeros(2),
                               mean[:, None, :], cov[:, None, :, :], np.ones((p, 1)))
    return shrinkage.draws(combined, count, seed)


def observed_truth(rows: pd.DataFrame, weeks: pd.DataFrame) -> pd.DataFrame:
    """The method's observed estimation rows with the generator's list price and demand factor of each week."""
    rows = rows[rows["observed"].astype(bool)].copy()
    true_weeks = weeks[["stockcode", "week_start", "list_price", "demand_factor", "season", "shock"]].copy()
    true_weeks["wk"] = (true_weeks["week_start"] - MONDAY).dt.days // 7
    rows["wk"] = (rows["week_start"] - MONDAY).dt.days // 7
    return rows.merge(true_weeks.drop(columns="week_start"), on=["stockcode", "wk"], how="left")


def refit_orders(own, rows: pd.DataFrame, truth, products: pd.DataFrame, how: str, prior_sd: float = 5.0):
    """`own` with its orders part's weekly fit redone per product with the method's fit on a piece of the truth,
    recombined with the revisions' evidence; the halves refitted the same way (for the split check).

    how: "true-price" (the true list price's residual on the same nuisances, offset ln n̂), "oracle" (the true
    list price and the true expected lines at p_ref × demand factor as offset: no nuisance), "noiseless" (the
    log-quadratic fitted to the true expected lines at the observed prices; halves dropped, so no split check)."""
    facts = products.set_index("stockcode")
    raw_w, info_w = own.raw_n.copy(), own.info_n.copy()
    if own.revisions_info_n is not None:  # the weekly fit's own share (raw_n and info_n include the revisions')
        info_w = own.info_n - own.revisions_info_n
        h = np.einsum("pij,pj->pi", own.info_n, own.raw_n) - np.einsum("pij,pj->pi", own.revisions_info_n,
                                                                        own.revisions_raw_n)
        raw_w = np.linalg.solve(info_w + 1e-9 * np.eye(2)[None], h[..., None])[..., 0]
    halves_raw = None if own.halves_raw_n is None else own.halves_raw_n.copy()
    halves_info = None if own.halves_info_n is None else own.halves_info_n.copy()
    groups = rows.groupby("stockcode").indices
    for i, code in enumerate(own.stockcodes):
        idx = groups.get(code)
        if idx is None or len(idx) < 3:
            continue
        g = rows.iloc[idx]
        if not g["list_price"].notna().all():
            continue
        lref = float(facts.loc[code, "log_reference_price"])
        d_true = np.log(g["list_price"].to_numpy()) - lref
        if how == "noiseless":
            weights = truth.lines(code, g["list_price"].to_numpy()) * g["demand_factor"].to_numpy()
            coef = family_coefficients(truth, code, lref, g["list_price"].to_numpy(), weights, "lines")
            if coef is not None:
                raw_w[i] = coef
            continue
        if how == "true-price":
            x = np.column_stack([d_true - g["m_hat"].to_numpy(), d_true ** 2 - g["s_hat"].to_numpy()])
            offset = np.log(g["n_hat"].to_numpy())
        elif how == "oracle":
            x = np.column_stack([d_true, d_true ** 2])
            offset = np.log(truth.lines(code, np.array([np.exp(lref)]))[0] * g["demand_factor"].to_numpy())
        else:
            raise ValueError(f"unknown refit {how!r}")
        y = g["lines"].to_numpy(np.float64)
        raw_w[i], info_w[i] = price_response._product_fit(y, offset, x, prior_sd)
        if halves_raw is not None:
            for j, half in enumerate(price_response._halves(np.arange(len(g)), g["week"].to_numpy())):
                if len(half) >= 3:
                    halves_raw[i, j], halves_info[i, j] = price_response._product_fit(y[half], offset[half], x[half],
                                                                                      prior_sd)
    info_n, raw_n = info_w, raw_w
    if own.revisions_info_n is not None:
        info_n = info_w + own.revisions_info_n
        h = np.einsum("pij,pj->pi", info_w, raw_w) + np.einsum("pij,pj->pi", own.revisions_info_n, own.revisions_raw_n)
        raw_n = np.linalg.solve(info_n + 1e-9 * np.eye(2)[None], h[..., None])[..., 0]
    if how == "noiseless":
        halves_raw = halves_info = None
    return dataclasses.replace(own, raw_n=raw_n, info_n=info_n, halves_raw_n=halves_raw, halves_info_n=halves_info)


def noiseless_size(own, rows: pd.DataFrame, truth, products: pd.DataFrame):
    """`own` with its size part's estimate replaced by the noiseless log-quadratic of the true units per line
    (log units minus log lines, weighted by the true lines) over the observed prices; its information kept."""
    facts = products.set_index("stockcode")
    raw_s = own.raw_s.copy()
    groups = rows.groupby("stockcode").indices
    for i, code in enumerate(own.stockcodes):
        idx = groups.get(code)
        if idx is None:
            continue
        g = rows.iloc[idx]
        if not g["list_price"].notna().all():
            continue
        lref = float(facts.loc[code, "log_reference_price"])
        prices = g["list_price"].to_numpy()
        weights = truth.lines(code, prices) * g["demand_factor"].to_numpy()
        units = family_coefficients(truth, code, lref, prices, weights, "units")
        lines = family_coefficients(truth, code, lref, prices, weights, "lines")
        if units is not None:
            raw_s[i] = units - lines
    return dataclasses.replace(own, raw_s=raw_s)


def with_support(products: pd.DataFrame, draws: np.ndarray, stockcodes: list[str], max_sd: float) -> pd.DataFrame:
    """`products` with the evidence support the method computes for these draws."""
    out = products.copy()
    response = types.SimpleNamespace(stockcodes=stockcodes, draws=draws)
    out["support_min"], out["support_max"] = price_response.evidence_support(products, response, max_sd)
    return out


class MemoTruth:
    """A `Truth` whose best_price answers are remembered: the variants score the same products over the same
    ranges many times, and the argmax search dominates the scoring's time."""

    def __init__(self, truth):
        self._truth, self._best = truth, {}

    def __getattr__(self, name):
        return getattr(self._truth, name)

    def best_price(self, code: str, lo: float, hi: float) -> float:
        key = (code, float(lo), float(hi))
        if key not in self._best:
            self._best[key] = self._truth.best_price(code, lo, hi)
        return self._best[key]


def decide_all(truth, products: pd.DataFrame, stockcodes: list[str], draws: np.ndarray, history: pd.DataFrame,
               settings: dict = decision.DEFAULT_DECISION, wide: bool = False) -> pd.DataFrame:
    """Every product with ground truth decided under `settings` from `draws` [P, S, 2] over the method's search
    range (decision.default_range of `products`' support) or, with `wide`, over [p0/2, 2 p0], and scored."""
    response = types.SimpleNamespace(stockcodes=stockcodes, draws=draws)
    responses = evaluate._responses(types.SimpleNamespace(products=products), response)
    known = set(truth.products["stockcode"])
    rows = []
    for code, resp in responses.items():
        if code not in known:
            continue
        p0 = resp.current_price
        if wide:
            resp = dataclasses.replace(resp, support=(p0 / 2.0, 2.0 * p0))
            lo, hi = p0 / 2.0, 2.0 * p0
        else:
            lo, hi = decision.default_range(float(history.loc[code, "min"]), float(history.loc[code, "max"]), resp)
        chosen = decision.decide(resp, 1.0, lo, hi, None, settings)
        scored = score_product(truth, code, chosen, resp)
        d0 = np.log(p0) - resp.reference_log_price
        e = resp.draws[:, 0].astype(np.float64) + 2.0 * resp.draws[:, 1].astype(np.float64) * d0
        lo80, hi80 = np.quantile(e, [0.1, 0.9])
        scored |= {"hit80": bool(lo80 <= scored["elasticity_true"] <= hi80), "e_sd": float(np.std(e)),
                   "search_min": chosen["search_min"], "search_max": chosen["search_max"]}
        rows.append(scored)
    return pd.DataFrame(rows)


def headline(pp: pd.DataFrame) -> dict:
    """Aggregate capture, harm rate, share changed, 80% elasticity coverage, median elasticity error."""
    return {"capture": aggregate_capture(pp), "harm": float(pp["harm"].mean()),
            "changed": float((pp["decision"] == "change").mean()), "cov80": float(pp["hit80"].mean()),
            "bias": float(np.median(pp["elasticity_signed_error"]))}


def search_range_capture(pp: pd.DataFrame) -> dict:
    """The share of the possible gain that lies inside the method's search range (deciding the truth's best price
    within it), and the share of mispriced products whose true best price lies outside it by more than 1%."""
    r_in_range = pp["revenue_best"] * (1.0 - pp["regret_oracle"])
    mis = pp["mispriced"].astype(bool)
    outside = (np.abs(np.log(pp["best_price_in_range"] / pp["best_price"])) > 0.01) & mis
    return {"capture_in_range": aggregate_capture(pp.assign(revenue_recommended=r_in_range)),
            "mispriced": int(mis.sum()), "best_outside_range": float(outside[mis].mean()),
            "median_search_half_width": float(np.median(np.log(pp["search_max"] / pp["search_min"]) / 2.0)),
            "median_best_move": float(np.median(np.abs(np.log(pp.loc[mis, "best_price"] / pp.loc[mis, "current_price"]))))}


def oracle_information(data_ns, code: str, weeks: pd.DataFrame) -> dict:
    """The realistic oracle's information about θ for one product, and where it comes from: the orders counts and
    the line sizes separately, the within-week (week as a free level) part, and the generous oracle's."""
    prm, _ = data_ns.truth.parameters(code)
    prices, demand = weeks["list_price"].to_numpy(), weeks["demand_factor"].to_numpy()
    shock = weeks["shock"].to_numpy()
    last_week = np.concatenate([[0.0], shock[:-1]])
    shock_sd = float(data_ns.truth.product(code)["shock_sd"])
    controls = np.stack([np.log(weeks["season"].to_numpy()), last_week], axis=1)
    over = float(np.expm1(shock_sd ** 2))
    out = {"generous": information_oracle.fisher_information(prm, prices, demand),
           "realistic": information_oracle._information(data_ns, code, weeks, "realistic"),
           "within_week": information_oracle.realistic_information(prm, prices, demand, None)}
    # The counts' and the sizes' shares: the same projection with one of the two weights switched off.
    big = dict(prm)
    for seg in ("retail", "wholesale"):
        key = f"{seg}_sigma"
        if key in big:
            big[key] = 1e6  # line sizes carry no information
    out["orders_only"] = information_oracle.realistic_information(big, prices, demand, controls, over)
    return out


def elasticity_slope(truth, code: str, p0: float) -> float:
    """d e / d ln p at p0: how far the elasticity at p0 moves when the curve slides along ln p by one unit."""
    return float((truth.elasticity(code, p0 * np.exp(STEP)) - truth.elasticity(code, p0 * np.exp(-STEP))) / (2 * STEP))


def realistic_oracle_capture(data_ns, pp: pd.DataFrame, seed: int, prior=None) -> dict:
    """The realistic oracle's best rule within the 5% harm bar (25 replicates), with the generator's prior over the
    distance to the optimum, or with `prior` (a replacement for information_oracle._prior) when given."""
    now = dict(zip(pp["stockcode"], pp["current_price"]))
    original = information_oracle._prior
    if prior is not None:
        information_oracle._prior = prior
    try:
        frame = information_oracle.evaluate(data_ns, now, mispriced=MISPRICED, harm=HARM, multiples=(1,),
                                            replicates=evaluate.ORACLE_REPLICATES, seed=seed, oracle="realistic")
    finally:
        information_oracle._prior = original
    joined = frame.merge(pp[["stockcode", "revenue_best", "revenue_now"]], on="stockcode", how="left")
    points = calibration.oracle_frontier(joined, information_oracle.THRESHOLDS)
    best = calibration.best_within(points, evaluate.BAR["harm_rate"])
    bayes = points[calibration.rule_key("q", 0.0)]
    return {"best_rule": best[0], "capture": best[1]["aggregate_capture"], "harm": best[1]["harm_rate"],
            "bayes_capture": bayes["aggregate_capture"], "bayes_harm": bayes["harm_rate"],
            "elasticity_se": frame.set_index("stockcode")["elasticity_se"].to_dict()}


def flat_prior(far_share: float = 0.0, points: int = information_oracle.PRIOR_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """ln(optimum / current) uniform over ±ln 1.5 whatever `far_share`: the oracle without the generator's
    near/far mixture (a replacement for information_oracle._prior)."""
    u = np.linspace(-np.log(1.5), np.log(1.5), points)
    return u, np.full(points, 1.0 / points)
