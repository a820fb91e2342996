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
        out.append((code[t], y_b, y_a, d_a - d_b, d_a ** 2 - d_b ** 2, np.log(c_a / c_b),
                    week[t - WINDOW], week[t], week[t + WINDOW - 1], market[t]))
    return pd.DataFrame(out, columns=["stockcode", "y_before", "y_after", "x1", "x2", "offset",
                                      "week_from", "week_step", "week_to", "market"])


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


def size_events(rows: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    """The units-per-order side of each revision event (`events(rows)`): the change of the product's mean line size
    from the WINDOW weeks before the step to the WINDOW weeks from it, net of the same change in its market's other
    products (season, the shop's mix), each line's log quantity taken relative to its customer's usual size on other
    products (weekly._line_table's customer_size; a guest's as it is), so a trade buyer's large line in one window
    is not read as the price's effect. `lines`: stockcode, week, log_quantity, customer_size. Columns: stockcode,
    change, variance (its sampling variance from the lines' spread within product-weeks), x1, x2."""
    ev = events(rows)
    if ev.empty:
        return pd.DataFrame(columns=["stockcode", "change", "variance", "x1", "x2"])
    market_of = dict(zip(ev["stockcode"], ev["market"]))
    category = rows.drop_duplicates("stockcode").set_index("stockcode")["desc_keyword"].astype(str)
    products_in = category.value_counts()
    market = category.where(category.map(products_in) > MIN_CATEGORY_PRODUCTS, "*")
    size = (lines["log_quantity"] - lines["customer_size"].fillna(0.0)).to_numpy(np.float64)
    table = pd.DataFrame({"stockcode": lines["stockcode"].to_numpy(), "week": lines["week"].to_numpy(),
                          "y": size, "m": lines["stockcode"].map(market).fillna("*").to_numpy()})
    within = table["y"] - table.groupby(["stockcode", "week"])["y"].transform("mean")
    line_var = float(np.sum(within ** 2) / max(len(table) - table.groupby(["stockcode", "week"]).ngroups, 1))
    per_product = table.groupby(["stockcode", "week"])["y"].agg(["sum", "size"])
    per_market = table.groupby(["m", "week"])["y"].agg(["sum", "size"])
    shop = table.groupby("week")["y"].agg(["sum", "size"])
    out = []
    for e in ev.itertuples(index=False):
        code, m = e.stockcode, market_of.get(e.stockcode, "*")
        try:
            own = per_product.loc[code]
        except KeyError:
            continue
        ctrl = shop if m == "*" else per_market.loc[m]
        windows = []
        for lo, hi in ((e.week_from, e.week_step - 1), (e.week_step, e.week_to)):
            o = own[(own.index >= lo) & (own.index <= hi)].sum()
            c = ctrl[(ctrl.index >= lo) & (ctrl.index <= hi)].sum()
            windows.append((o["sum"], o["size"], c["sum"] - o["sum"], c["size"] - o["size"]))
        (sb, nb, cb, kb), (sa, na, ca, ka) = windows
        if min(nb, na, kb, ka) < 1:
            continue
        change = (sa / na - sb / nb) - (ca / ka - cb / kb)
        out.append((code, change, line_var * (1.0 / na + 1.0 / nb + 1.0 / ka + 1.0 / kb), e.x1, e.x2))
    return pd.DataFrame(out, columns=["stockcode", "change", "variance", "x1", "x2"])


def size_estimates(rows: pd.DataFrame, lines: pd.DataFrame, stockcodes: list[str], prior_sd: float
                   ) -> tuple[np.ndarray, np.ndarray, int]:
    """Per product of `stockcodes`: the units-per-order part's (b, c) from its revision events (size_events: the
    change in line size = b x1 + c x2, weighted by the inverse of its variance, the variance scaled by the events'
    Pearson dispersion about one pooled (b, c)) and its information (zero where it has none); and the number of
    events. Held-out evidence on the size part: the size part's own fit reads the weekly nuisances' residuals, which
    absorb these lasting moves."""
    ev = size_events(rows, lines)
    raw, info = np.zeros((len(stockcodes), 2)), np.zeros((len(stockcodes), 2, 2))
    if ev.empty:
        return raw, info, 0
    y = ev["change"].to_numpy(np.float64)
    w = 1.0 / np.maximum(ev["variance"].to_numpy(np.float64), 1e-9)
    x = ev[["x1", "x2"]].to_numpy(np.float64)
    ridge = np.eye(2) / prior_sd ** 2
    pooled = np.linalg.solve((x * w[:, None]).T @ x + ridge, (x * w[:, None]).T @ y)
    dispersion = max(1.0, float(np.sum(w * (y - x @ pooled) ** 2)) / max(len(ev) - 2, 1))
    w = w / dispersion
    position = {c: i for i, c in enumerate(stockcodes)}
    for code, idx in ev.groupby("stockcode").indices.items():
        i = position.get(code)
        if i is None:
            continue
        xi, wi = x[idx], w[idx]
        fisher = (xi * wi[:, None]).T @ xi
        raw[i] = np.linalg.solve(fisher + ridge, (xi * wi[:, None]).T @ y[idx])
        info[i] = fisher
    return raw, info, len(ev)
