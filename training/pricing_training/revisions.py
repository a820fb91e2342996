"""List-price revisions as natural experiments: the orders before and after each lasting change of a posted price.

The weekly nuisances of price_response.py hold the last and the next weeks' prices, so a lasting revision is
predicted by them and leaves no residual: the orthogonal fit learns from short moves only (promotions, the most
confounded part). This module reads the revisions themselves. An **event** is a week t whose posted price
differs from the week before by at least MIN_STEP (in logs) while the WINDOW weeks before it and the WINDOW
weeks from it on are each flat (within FLAT of their first week): a step, not a promotion. Given the orders
of both windows, N = y_before + y_after, the share after is binomial with

    logit P(after) = ln(C_after / C_before) + b (Δ_after − Δ_before) + c (Δ_after² − Δ_before²)

where C are the orders of the product's category (without the product) in the same weeks: whatever moved the
category's demand between the windows (season, the shop's traffic) is not read as the price's effect. Each
product's events give its estimate of the orders part's (b, c) and its information, scaled by the Pearson
dispersion of all events together (weekly demand shocks make the counts vary more than binomial).

A retailer that revises a price because of demand it saw (a stock-out, aging stock) makes its revisions
confounded too; the category control removes only what the category shares.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MIN_STEP = 0.02
FLAT = 0.01
WINDOW = 4
# A category needs this many other products for its orders to stand for the product's market; else the shop's.
MIN_CATEGORY_PRODUCTS = 5


def events(rows: pd.DataFrame) -> pd.DataFrame:
    """The revision events of `rows` (the weekly panel's rows: stockcode, week, lines, delta, observed,
    desc_keyword; sorted by product and week). Columns: stockcode, y_before, y_after, x1, x2, offset."""
    code = rows["stockcode"].to_numpy()
    price = rows["delta"].to_numpy(np.float64)
    lines = rows["lines"].to_numpy(np.float64)
    observed = rows["observed"].to_numpy(bool)
    week = rows["week"].to_numpy()
    category = rows["desc_keyword"].astype(str).to_numpy()
    n = len(rows)
    products_in = pd.Series(code).groupby(category).nunique()
    market = np.where(pd.Series(category).map(products_in).to_numpy() > MIN_CATEGORY_PRODUCTS, category, "*")
    per_week = pd.DataFrame({"m": market, "w": week, "y": lines}).groupby(["m", "w"])["y"].sum()
    shop = pd.Series(lines).groupby(week).sum()
    out = []
    for t in range(WINDOW, n - WINDOW + 1):
        before, after = slice(t - WINDOW, t), slice(t, t + WINDOW)
        if code[t - WINDOW] != code[t + WINDOW - 1]:
            continue
        step = price[t] - price[t - 1]
        if abs(step) < MIN_STEP:
            continue
        if np.max(np.abs(price[after] - price[t])) > FLAT or np.max(np.abs(price[before] - price[t - WINDOW])) > FLAT:
            continue
        if not (observed[before].any() and observed[after].any()):
            continue
        weeks_b, weeks_a = week[before], week[after]
        if market[t] == "*":
            c_b, c_a = shop.loc[weeks_b].sum(), shop.loc[weeks_a].sum()
        else:
            c_b = per_week.loc[market[t]].reindex(weeks_b).fillna(0.0).sum()
            c_a = per_week.loc[market[t]].reindex(weeks_a).fillna(0.0).sum()
        y_b, y_a = lines[before].sum(), lines[after].sum()
        c_b, c_a = c_b - y_b, c_a - y_a
        if y_b + y_a <= 0 or c_b <= 0 or c_a <= 0:
            continue
        d_b, d_a = price[before].mean(), price[after].mean()
        out.append((code[t], y_b, y_a, d_a - d_b, d_a ** 2 - d_b ** 2, np.log(c_a / c_b)))
    return pd.DataFrame(out, columns=["stockcode", "y_before", "y_after", "x1", "x2", "offset"])


def _binomial_fit(y: np.ndarray, n: np.ndarray, x: np.ndarray, offset: np.ndarray, prior_sd: float
                  ) -> tuple[np.ndarray, np.ndarray]:
    """y ~ Binomial(n, sigmoid(offset + x·β)) by Newton's method with a weak N(0, prior_sd²) prior on β.
    Returns (β̂, Fisher information of β at β̂, without the prior)."""
    beta = np.zeros(x.shape[1])
    ridge = np.eye(x.shape[1]) / prior_sd ** 2
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(offset + x @ beta, -30, 30)))
        w = n * p * (1 - p)
        step = np.linalg.solve((x * w[:, None]).T @ x + ridge, x.T @ (y - n * p) - ridge @ beta)
        beta = beta + np.clip(step, -2.0, 2.0)
        if np.max(np.abs(step)) < 1e-9:
            break
    p = 1.0 / (1.0 + np.exp(-np.clip(offset + x @ beta, -30, 30)))
    return beta, (x * (n * p * (1 - p))[:, None]).T @ x


def estimates(rows: pd.DataFrame, stockcodes: list[str], prior_sd: float) -> tuple[np.ndarray, np.ndarray, int]:
    """Per product of `stockcodes`: the orders part's (b, c) from its revision events and its information
    (zero where it has none), and the number of events."""
    ev = events(rows)
    raw, info = np.zeros((len(stockcodes), 2)), np.zeros((len(stockcodes), 2, 2))
    if ev.empty:
        return raw, info, 0
    y = ev["y_after"].to_numpy(np.float64)
    n = y + ev["y_before"].to_numpy(np.float64)
    x = ev[["x1", "x2"]].to_numpy()
    offset = ev["offset"].to_numpy()
    position = {c: i for i, c in enumerate(stockcodes)}
    index = ev.groupby("stockcode").indices
    for code, idx in index.items():
        i = position.get(code)
        if i is not None:
            raw[i], info[i] = _binomial_fit(y[idx], n[idx], x[idx], offset[idx], prior_sd)
    # Overdispersion (weekly demand shocks): Pearson's statistic per degree of freedom of one (b, c) for all
    # events; products' differences count as dispersion too, which errs on the side of less information.
    pooled, _ = _binomial_fit(y, n, x, offset, prior_sd)
    fitted = 1.0 / (1.0 + np.exp(-np.clip(offset + x @ pooled, -30, 30)))
    var = np.maximum(n * fitted * (1 - fitted), 1e-9)
    dispersion = max(1.0, float(np.sum((y - n * fitted) ** 2 / var)) / max(len(ev) - 2, 1))
    return raw, info / dispersion, len(ev)
