"""The orders part's demand offset and price residual from exogenous controls only (prototype, OFF by default).

ResponseConfig.orders_nuisance; docs/price-response.md, "An orders nuisance with exogenous controls only".

The committed orders part (price_response.own_estimates) partials the week's orders and its posted price out
against a nuisance whose inputs include the product's OWN lagged demand and its last and next weeks' prices. Posted
prices are persistent, so last week's price predicts this week's almost exactly (m̂ ≈ Δ_{t−1}: only the weeks a price
changed are left in Δ − m̂), and last week's orders carry last week's price effect: the nuisance absorbs a third of
the orders part's information (the diagnosis: own sd at p0 2.1 → 1.6–1.7 refitted without it).

Here the orders part's n̂(x), m̂(x) = E[Δ | x] and ŝ(x) = E[Δ² | x] are cross-fitted by product (as before) from
controls that the product's own price cannot have moved:

- the time of year and the week itself (common weekly shocks learned from the other products of that week),
- the shop's price index that week (weekly.shop_price_index: the seasonal markup applied across the range),
- the category's and the shop's demand that week WITHOUT the product (leave-one-out mean lines per product) and the
  category's mean price that week without it: the season of demand, which a November markup rides on, so the
  markup is explained by them and does not count as price evidence,
- the product's constant facts: category, reference price, its mean weekly orders over the log (a level, constant
  in time, so it can shape the season's effect for a product of that size but cannot absorb the product's own
  price moves; the final stage's intercept α_i takes the level itself), and its age (weeks listed, a trend).

What it gives up: a price that the retailer set on the product's own recent demand (repricing on last week's
shock, a promotion in a week it expected to be weak) is no longer explained, so on data confounded that way the
slope is biased toward less elastic; the category's demand removes only the shock the product shares with its
category. Nothing in the data can tell that confounding from the price effect without the product's own outcomes.

Variant "shock" (VARIANTS): the same controls plus a read of the product's own demand shock with its price effect
taken off: s_t = ln(1 + orders_t) − b̄ Δ_t − level, lagged one week and as an exponentially weighted mean of the
earlier weeks, b̄ the orders part's pooled slope from the committed fit (pooled_slope). Last week's orders are a
near-copy of last week's price effect, and with persistent prices of this week's; s is not, so it keeps the
persistent moves as evidence while explaining prices set on last week's demand (with an AR(1) shock, last week's
shock is all that a reprice on the past can share with this week's demand). It reads the product's own lagged
outcome, so it is not exogenous; it is what the committed controls lose the least information to.

Variants "no_prices", "no_lag_price", "no_lead_prices" (diagnoses, not exogenous): the committed controls without
last week's and the next weeks' prices, without last week's only, without the next weeks' only (own lagged orders
kept): which of the price controls takes the information and which removes the confounding.

The size part keeps the committed nuisances (a line's size is fit against the customer's usual size, not this
offset).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from . import curve_family, weekly

log = logging.getLogger(__name__)

# The controls (columns of `features`); "desc_keyword" is categorical; SHOCK only in the "shock" variant.
NUMERIC = ["week", "woy_sin", "woy_cos", "log_reference_price", "log_weeks_listed", "product_level", "shop_index",
           "category_demand_loo", "shop_demand_loo", "category_price_loo"]
CATEGORICAL = ["desc_keyword"]
SHOCK = ["own_shock_lag1", "own_shock_ewm"]
# ResponseConfig.orders_nuisance's values other than "committed" (the module doc).
VARIANTS = ("exogenous", "shock", "no_prices", "no_lag_price", "no_lead_prices")
# The committed controls each diagnosis variant leaves out.
LEFT_OUT = {"no_prices": [weekly.LAGGED_PRICE] + weekly.LEAD_PRICES, "no_lag_price": [weekly.LAGGED_PRICE],
            "no_lead_prices": weekly.LEAD_PRICES}
SHOCK_EWM = 0.5  # the weight of the latest week in own_shock_ewm, as weekly.py's log_lines_ewm


def _leave_one_out_mean(values: np.ndarray, keep: np.ndarray, groups: list[np.ndarray]) -> np.ndarray:
    """Per row: the mean of `values` over the OTHER rows with `keep` in the same group (NaN when there is none)."""
    key = pd.MultiIndex.from_arrays(groups) if len(groups) > 1 else pd.Index(groups[0])
    frame = pd.DataFrame({"v": np.where(keep, values, 0.0), "n": keep.astype(np.float64)}, index=key)
    total = frame.groupby(level=list(range(len(groups)))).transform("sum")
    s = total["v"].to_numpy() - np.where(keep, values, 0.0)
    n = total["n"].to_numpy() - keep
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, s / np.maximum(n, 1.0), np.nan)


def _shock_reads(rows: pd.DataFrame, level: np.ndarray, slope: float) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the product's de-priced demand s = ln(1 + orders) − slope·Δ − level of its previous row and the
    exponentially weighted mean of its earlier rows (NaN for a product's first row). Rows are sorted by product and
    week, as weekly.estimation_rows gives them."""
    code = rows["stockcode"].to_numpy()
    s = np.log1p(rows["lines"].to_numpy(np.float64)) - slope * rows["delta"].to_numpy(np.float64) - level
    new_product = np.concatenate([[True], code[1:] != code[:-1]])
    lag = np.concatenate([[np.nan], s[:-1]])
    lag[new_product] = np.nan
    return lag, weekly._ewm_before(s, new_product, SHOCK_EWM)


def features(rows: pd.DataFrame, shock_slope: float | None = None) -> pd.DataFrame:
    """The exogenous controls of each estimation row (price_response.own_estimates' rows: stockcode, week, lines,
    observed, delta, log_price, the time of year, reference price, weeks listed and category), and with
    `shock_slope` the "shock" variant's reads of the product's own de-priced demand (SHOCK)."""
    code = rows["stockcode"].to_numpy()
    week = rows["week"].to_numpy()
    category = rows["desc_keyword"].astype(str).to_numpy()
    lines = rows["lines"].to_numpy(np.float64)
    observed = rows["observed"].to_numpy(bool)
    everyone = np.ones(len(rows), bool)
    x = rows[["week", "woy_sin", "woy_cos", "log_reference_price", "log_weeks_listed"]].astype(np.float64).copy()
    x["product_level"] = np.log1p(pd.Series(lines).groupby(code).transform("mean").to_numpy())
    x["shop_index"] = rows["week"].map(weekly.shop_price_index(rows)).fillna(0.0).to_numpy()
    x["category_demand_loo"] = np.log1p(_leave_one_out_mean(lines, everyone, [category, week]))
    x["shop_demand_loo"] = np.log1p(_leave_one_out_mean(lines, everyone, [week]))
    x["category_price_loo"] = _leave_one_out_mean(rows["delta"].to_numpy(np.float64), observed, [category, week])
    x["desc_keyword"] = rows["desc_keyword"].astype("category")
    if shock_slope is None:
        return x[NUMERIC + CATEGORICAL]
    x["own_shock_lag1"], x["own_shock_ewm"] = _shock_reads(rows, x["product_level"].to_numpy(), shock_slope)
    return x[NUMERIC + SHOCK + CATEGORICAL]


def pooled_slope(rows: pd.DataFrame, prior_sd: float) -> float:
    """The orders part's slope pooled over products (information-weighted mean of b) from the committed nuisances
    in `rows` (n_hat, z1, z2), as price_response's weekly fit has it: the b̄ that takes the price effect off the
    "shock" variant's own-demand reads. It needs only be roughly right: an error e leaves e·Δ in them."""
    from . import price_response

    observed = rows["observed"].to_numpy(bool)
    lines, offset = rows["lines"].to_numpy(np.float64), np.log(rows["n_hat"].to_numpy())
    z = rows[["z1", "z2"]].to_numpy()
    num = den = 0.0
    for idx in rows.groupby("stockcode", sort=True).indices.values():
        idx = idx[observed[idx]]
        if len(idx) < 3:
            continue
        beta, info = price_response._product_fit(lines[idx], offset[idx], z[idx], prior_sd)
        weight = 1.0 / np.linalg.pinv(info + 1e-9 * np.eye(2))[0, 0]
        num, den = num + weight * beta[0], den + weight
    return num / den if den > 0 else 0.0


def without_prices(rows: pd.DataFrame, left_out: list[str] = LEFT_OUT["no_prices"]) -> pd.DataFrame:
    """A diagnosis variant's controls: price_response's committed nuisance inputs but `left_out` (LEFT_OUT)."""
    from . import price_response

    names = [c for c in price_response.NUISANCE_FEATURES if c not in left_out]
    x = rows[names].astype(np.float64).copy()
    for name in weekly.CATEGORICAL:
        x[name] = rows[name].astype("category")
    return x


def assign(rows: pd.DataFrame, folds: np.ndarray, cfg, third_term: bool = False, shock_slope: float | None = None,
           x: pd.DataFrame | None = None) -> pd.DataFrame:
    """`rows` with the exogenous nuisances n̂ₓ, m̂ₓ, ŝₓ (columns n_hat_x, m_hat_x, s_hat_x), cross-fitted by product
    on `folds` as price_response.cross_fit does, and the orders part's inputs from them: the price residuals z1_x,
    z2_x (and z3_x with the third term) and the offset log_n_hat_x. The price nuisances learn from weeks whose price
    was seen, as the committed ones do. With `shock_slope`: the "shock" variant (the module doc); `x`: other controls.
    """
    from . import price_response  # the cross-fit lives there; imported here to keep the module import acyclic

    x = features(rows, shock_slope) if x is None else x
    d = rows["delta"].to_numpy(np.float64)
    observed = rows["observed"].to_numpy(bool)
    nuis = price_response.cross_fit(x, {"n": (rows["lines"].to_numpy(np.float64), "poisson")}, folds, cfg)
    price_targets = {"m": (d, "regression"), "s": (d ** 2, "regression")}
    if third_term:
        price_targets["phi"] = (curve_family.design(d)[:, 2], "regression")
    nuis.update(price_response.cross_fit(x, price_targets, folds, cfg, fit_mask=observed))
    out = rows.assign(n_hat_x=np.maximum(nuis["n"], 1e-3), m_hat_x=nuis["m"], s_hat_x=nuis["s"])
    out["log_n_hat_x"] = np.log(out["n_hat_x"].to_numpy())
    out["z1_x"] = d - nuis["m"]
    out["z2_x"] = d ** 2 - nuis["s"]
    if third_term:
        out["z3_x"] = curve_family.design(d)[:, 2] - curve_family.expected_term(nuis["phi"], nuis["m"], nuis["s"])
    ok = observed
    log.info("exogenous orders nuisance: sd of the price residual %.3f (Δ %.3f) on the weeks with sales",
             float(np.std(out["z1_x"].to_numpy()[ok])), float(np.std(d[ok])))
    return out


def orders_rows(rows: pd.DataFrame, folds: np.ndarray, cfg) -> pd.DataFrame:
    """What price_response.own_estimates calls for cfg.orders_nuisance in VARIANTS: `assign` with the variant's
    controls ("shock": b̄ from pooled_slope on the committed nuisances already in `rows`)."""
    if cfg.orders_nuisance not in VARIANTS:
        raise ValueError(f"orders_nuisance must be 'committed' or one of {VARIANTS}, got {cfg.orders_nuisance!r}")
    slope = pooled_slope(rows, cfg.weak_prior_sd) if cfg.orders_nuisance == "shock" else None
    if slope is not None:
        log.info("exogenous orders nuisance: own demand shock read net of a pooled orders slope of %.2f", slope)
    x = without_prices(rows, LEFT_OUT[cfg.orders_nuisance]) if cfg.orders_nuisance in LEFT_OUT else None
    return assign(rows, folds, cfg, third_term=cfg.third_term, shock_slope=slope, x=x)
