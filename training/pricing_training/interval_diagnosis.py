"""Why a data set's elasticity intervals miss: the truth split the way the method splits its estimate.

A measurement tool for synthetic data (it reads the generator's `Truth`; the method never calls it). The price
response estimates weekly units as orders per week x units per order, each part log-quadratic in
Δ = ln p − ln p_ref, and reports the elasticity at the current price p0 (docs/price-response.md). When its 80%
intervals hold the truth for too few products, the miss is one of: the centre is off (a bias all products share,
or estimates that follow the truth only part of the way: an attenuation slope below 1), the width is too small,
or the curve family cannot represent the truth where the decision is read. This module gives the pieces:

- `part_elasticities`: the true elasticity at a list price of units, of orders (sale lines) and of units per
  order (their difference), as the two parts of the estimate see them;
- `family_elasticity`: the elasticity at p0 of the best log-quadratic fit of the true log units (or lines) over
  the prices a product was actually sold at, weighted like a Poisson fit (by expected volume): what the curve
  family could say at p0 with no noise at all, against the truth;
- `attenuation_slope`: the least-squares slope of estimates on the truth across products (1 for estimates that
  are right on average whatever the truth; below 1 when they follow it only part of the way);
- `miss_table`: 80% coverage, median error and median posterior sd per group of products (by size, by true
  elasticity), which separates a centre problem from a width problem.

Measured with it on logit-strong-breaks (docs/price-response.md, "logit-strong-breaks' narrow intervals").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .demand_truth import Truth

STEP = 1e-3  # central difference in ln p


def part_elasticities(truth: Truth, stockcode: str, price: float, step: float = STEP) -> dict[str, float]:
    """d ln(units) / d ln p, d ln(lines) / d ln p and their difference (units per line) at list `price`."""
    prices = float(price) * np.exp(np.array([-step, step]))
    units = float(np.diff(np.log(truth.units(stockcode, prices)))[0] / (2.0 * step))
    orders = float(np.diff(np.log(truth.lines(stockcode, prices)))[0] / (2.0 * step))
    return {"units": units, "orders": orders, "size": units - orders}


def family_elasticity(truth: Truth, stockcode: str, log_reference: float, prices: np.ndarray, at_price: float,
                      weights: np.ndarray | None = None, quantity: str = "units") -> float:
    """The elasticity at `at_price` of the log-quadratic in Δ = ln p − `log_reference` fitted by weighted least
    squares to the true log `quantity` ("units" or "lines") at `prices` (a product's observed list prices, one a
    week; repeated prices count repeatedly). `weights` default to the true volume at each price, the weights a
    Poisson fit of counts gives its observations. Needs at least three distinct prices."""
    prices = np.asarray(prices, np.float64)
    if np.unique(np.round(np.log(prices), 9)).size < 3:
        raise ValueError("a log-quadratic needs at least three distinct prices")
    curve = truth.units if quantity == "units" else truth.lines
    level = curve(stockcode, prices)
    w = level if weights is None else np.asarray(weights, np.float64)
    d = np.log(prices) - log_reference
    x = np.column_stack([np.ones_like(d), d, d * d])
    root = np.sqrt(w / w.mean())
    coef = np.linalg.lstsq(x * root[:, None], np.log(level) * root, rcond=None)[0]
    d0 = np.log(at_price) - log_reference
    return float(coef[1] + 2.0 * coef[2] * d0)


def attenuation_slope(estimate: np.ndarray, truth: np.ndarray) -> float:
    """Least-squares slope of `estimate` on `truth` across products: how far the estimates follow the truth."""
    truth = np.asarray(truth, np.float64)
    estimate = np.asarray(estimate, np.float64)
    centred = truth - truth.mean()
    return float(centred @ (estimate - estimate.mean()) / (centred @ centred))


def miss_table(frame: pd.DataFrame, by: str | pd.Series, quantiles: int | None = None) -> pd.DataFrame:
    """Per group: products, 80% coverage, median and rms error of the posterior mean, median posterior sd and the
    median true elasticity. `frame` needs e_true, e_mean, e_sd and hit80 (bool); `by` is a column name or a
    series, cut into `quantiles` equal-count groups when given (e.g. 4 for the quarters of the true elasticity)."""
    key = frame[by] if isinstance(by, str) else by
    if quantiles:
        key = pd.qcut(key, quantiles, labels=False, duplicates="drop")
    err = frame["e_mean"] - frame["e_true"]
    grouped = frame.assign(_err=err, _key=key).groupby("_key", observed=True)
    return pd.DataFrame({
        "products": grouped.size(),
        "coverage80": grouped["hit80"].mean(),
        "median_error": grouped["_err"].median(),
        "rms_error": grouped["_err"].apply(lambda e: float(np.sqrt(np.mean(e ** 2)))),
        "median_sd": grouped["e_sd"].median(),
        "true_elasticity": grouped["e_true"].median(),
    })
