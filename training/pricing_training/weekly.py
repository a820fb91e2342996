"""The unit of demand a retailer plans with: units of a product per week at the posted list price.

A transaction log records invoice lines, each at the price that customer paid. Two things make a line's
price a poor measure of the price the shop set: trade customers pay a discount (and buy more), and
quantity breaks lower the unit price of big lines (so price depends on the line's own quantity). The
weekly panel therefore measures the **posted price** of a product-week: each line's price is first
corrected by its invoice's discount (invoice_prices.py: coupon codes and trade tiers discount whole
invoices, read off the invoice's small lines; a short invoice takes its customer's usual discount; guests
anchor the list price), then the week's posted price is the median corrected price of its small lines (all
its lines when none is small). Weeks without a sale keep the last posted price.

The current price of a product is its regular price now: the highest of its last 3 weeks' posted prices net
of the shop's price index (a seasonal markup applied across the range), so neither a November price list nor
a promotion of a week or two sets it, and the newest list price does (regular_log_price). The supported range starts from the prices it sold at
(_product_facts); price_response.fit narrows it to where the posterior knows the curve.

Rows: every product from the week of its first sale to the last full week of the log (weeks in which the
shop traded little, like the Christmas closure and the partial first and last weeks, are left out). Each
row has the week's units and lines, the posted price, and as-of features computed from earlier weeks
only (lagged demand, history, time of year, category): never the week's own price or sales.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import pandas as pd

from . import invoice_prices
from .features import description_keyword

log = logging.getLogger(__name__)

EPOCH = pd.Timestamp("2000-01-03")  # a Monday: weeks run Monday..Sunday
# Model inputs of the baseline f(x): price-free, known before the week starts.
CONTEXT_NUMERIC = [
    "log_units_lag1",
    "log_units_lag2",
    "log_units_mean_4w",
    "log_units_mean_13w",
    "log_lines_mean_4w",
    "log_units_mean_hist",
    "log_lines_lag1",
    "log_lines_ewm",
    "log_weeks_listed",
    "woy_sin",
    "woy_cos",
    "log_reference_price",
]
CATEGORICAL = ["desc_keyword"]
# Extra inputs of the price nuisance models only: where the price was last week predicts where it is now,
# and where it goes next week reveals what the retailer learned about this week's demand (it reprices on
# what it saw), the best available proxy of this week's demand shock. Never inputs of the served baseline.
LAGGED_PRICE = "log_price_lag1"
LEAD_PRICES = ["log_price_lead1", "log_price_lead2"]
# The size of recent orders relative to their buyers' usual size: a sharp read of recent demand shocks, but
# normalized with whole-log means (product, customer), so a control for the nuisances only, never an input
# of the served baseline.
SIZE_INDEX = ["size_index_lag1", "size_index_mean_4w"]
# The current ("regular") price: the highest, over the product's last 3 weeks with sales, of its posted price
# net of the shop's price index (see `shop_price_index`). A temporary cut (a promotion of one or two weeks, a
# week matched down to a competitor, a markdown) only lowers a price, so it never sets it; a revision up sets it
# at once and a cut once it has lasted 3 weeks, so the newest list price wins where a median of 4 weeks straddled
# the revision. (On two unseen retail worlds the median of 4 differed from the world's regular price for 22% and
# 30% of products, this for 10% and 17%; docs/price-response.md, "The current price".)
RECENT_WEEKS_FOR_CURRENT_PRICE = 3
# The supported range (weekly._product_facts, price_response.evidence_support): the observed posted prices
# (2.5-97.5%) widened by BEYOND_OBSERVED, at least ±MIN_RANGE and at most ×/÷ MAX_RANGE around the current price.
BEYOND_OBSERVED = 1.05
MIN_RANGE = 1.10
MAX_RANGE = 1.5
# A week's shop-wide index needs this many products priced that week; with fewer it is 0 (no markup).
INDEX_MIN_PRODUCTS = 10


@dataclasses.dataclass
class WeeklyPanel:
    """Product-week rows plus per-product facts (reference/current price, support, realized ratio)."""

    rows: pd.DataFrame  # stockcode, week, week_start, units, lines, log_price, observed, delta, features...
    products: pd.DataFrame  # one row per stockcode (sorted): description, category, lines, prices, support...
    lines: pd.DataFrame  # sale lines of the panel's weeks: stockcode, week, log_quantity, customer features

    @property
    def stockcodes(self) -> list[str]:
        return self.products["stockcode"].tolist()


def _trading_weeks(lines: pd.DataFrame) -> np.ndarray:
    """Weeks in which the shop traded normally (at least 40% of the median week's lines)."""
    per_week = lines.groupby("week").size()
    return np.sort(per_week.index[per_week >= 0.4 * per_week.median()].to_numpy())


def _lagged_mean(values: np.ndarray, starts: np.ndarray, window: int | None) -> np.ndarray:
    """For rows grouped by product in week order: mean of `values` over the previous `window` rows of the
    same product (all previous rows when window is None); NaN when there is none."""
    n = len(values)
    cum = np.concatenate([[0.0], np.cumsum(values)])
    idx = np.arange(n)
    lo = starts if window is None else np.maximum(starts, idx - window)
    count = idx - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, (cum[idx] - cum[lo]) / np.maximum(count, 1), np.nan)


def _week_anchor(days: np.ndarray, stockcode: pd.Series, log_price: np.ndarray) -> int:
    """The weekday (0-6 days after EPOCH's Monday) the shop's weeks start on: the one that leaves the least
    price variation inside a product-week. Shops reprice on a fixed weekday, and a week that straddles two
    list prices would blur the price a week's orders responded to."""
    best, best_var = 0, np.inf
    frame = pd.DataFrame({"stockcode": stockcode.to_numpy(), "p": log_price})
    for anchor in range(7):
        frame["week"] = (days - anchor) // 7
        within = frame.groupby(["stockcode", "week"])["p"].var().mean()
        if within < best_var - 1e-12:
            best, best_var = anchor, within
    return best


# On by default, together with the size part's split-sample check (price_response.calibrate_information). On the
# report seeds (101-103) the two together, against neither: shop-invoice elasticity bias +0.27 -> +0.16, 80%
# coverage 73.8% -> 69.1%, harm 2.9% -> 3.1%, capture 5.9% -> 5.1%; shop-weekly (where only the check acts)
# bias -0.38 -> -0.03, coverage 70.8% -> 76.2%, harm 8.0% -> 3.4%, capture 20.3% -> 14.7%. The check alone made
# shop-invoice worse (bias +0.38, coverage 68.2%, capture 2.5%).
SPARSE_WEEK_CORRECTION = True


def build(clean: pd.DataFrame, sparse_week_correction: bool = SPARSE_WEEK_CORRECTION) -> WeeklyPanel:
    """The weekly panel of clean sale lines (cleaning.clean's output). `sparse_week_correction` takes the
    shop-wide bias of a few-line week's posted price off it (invoice_prices.sparse_week_bias): on
    shop-invoice's unconfounded twin it removes the orders part's attenuation (pooled orders elasticity
    -0.27 -> -0.60 against -0.63 true, development seed 11)."""
    lines = clean[["stockcode", "description", "quantity", "invoice_date", "unit_price", "customer_id"]].copy()
    # Without invoice numbers every line is its own invoice (its customer's usual discount then applies).
    lines["invoice"] = clean["invoice"].to_numpy() if "invoice" in clean else np.arange(len(clean))
    days = (lines["invoice_date"] - EPOCH).dt.days.to_numpy().astype(np.int64)
    lines["log_price"] = np.log(lines["unit_price"].to_numpy(np.float64))
    _, line_discount, _ = invoice_prices.posted_and_discounts(lines, days // 7)
    anchor = _week_anchor(days, lines["stockcode"], (lines["log_price"] - line_discount).to_numpy())
    lines["week"] = (days - anchor) // 7
    # The week's posted price, the discount each line's invoice paid (a code, a trade tier) and its customer's
    # usual one (invoice_prices).
    lines["log_posted_week"], lines["line_discount"], lines["customer_discount"] = \
        invoice_prices.posted_and_discounts(lines, lines["week"].to_numpy())
    lines["log_posted_line"] = lines["log_price"] - lines["line_discount"]
    lines["paid"] = lines["unit_price"] * lines["quantity"]
    # The price a line's buyer faced, measured WITHOUT the line's own price: the mean corrected price of
    # the week's other lines (NaN when it is the week's only line). A line's own unit price falls with its
    # quantity under quantity breaks, so using it would read "big lines are cheap" as price elasticity.
    key = [lines["stockcode"], lines["week"]]
    total = lines.groupby(key)["log_posted_line"].transform("sum")
    count = lines.groupby(key)["log_posted_line"].transform("size")
    lines["log_posted_others"] = np.where(count > 1, (total - lines["log_posted_line"]) / (count - 1).clip(lower=1), np.nan)
    weeks = _trading_weeks(lines)
    lines = lines[np.isin(lines["week"].to_numpy(), weeks)]

    agg = (lines.groupby(["stockcode", "week"], sort=True)
           .agg(units=("quantity", "sum"), lines=("quantity", "size"), log_price=("log_posted_week", "first"),
                revenue=("paid", "sum"))
           .reset_index())
    # A week of few lines reads its posted price low (a short invoice's code is not seen): with the correction
    # on, the shop-wide bias by the week's number of lines, measured on the busy weeks, is taken off, so that
    # the measured price's error no longer moves with the week's orders (invoice_prices.sparse_week_bias).
    bias = invoice_prices.sparse_week_bias(lines, lines["week"].to_numpy(), lines["log_posted_week"].to_numpy(),
                                           lines["line_discount"].to_numpy()) if sparse_week_correction else {}
    # The price as read, before that correction: the current price is read from it (regular_log_price), since
    # the correction is a shop-wide mean that makes the orders regression's price error independent of the
    # week's orders, not a better read of one product's price (most few-line weeks read exactly).
    agg["log_price_read"] = agg["log_price"]
    if bias:
        agg["log_price"] -= agg["lines"].map(bias).fillna(0.0).to_numpy()
        log.info("sparse-week price bias by lines per week: %s",
                 ", ".join(f"{n}: {b:+.4f}" for n, b in sorted(bias.items())))

    # Every product from its first sale week to the last trading week; empty weeks keep the last price.
    first = agg.groupby("stockcode")["week"].min()
    week_pos = {w: i for i, w in enumerate(weeks)}
    frames = []
    for code, start in first.items():
        span = weeks[week_pos[start]:]
        frames.append(pd.DataFrame({"stockcode": code, "week": span}))
    grid = pd.concat(frames, ignore_index=True)
    rows = grid.merge(agg, on=["stockcode", "week"], how="left")
    rows["observed"] = rows["lines"].notna()
    rows[["units", "lines", "revenue"]] = rows[["units", "lines", "revenue"]].fillna(0.0)
    rows["log_price"] = rows.groupby("stockcode")["log_price"].ffill()
    rows = rows.sort_values(["stockcode", "week"], kind="stable").reset_index(drop=True)

    table = _line_table(lines)
    # How big the week's orders were for the buyers who placed them: the mean, over the week's lines, of
    # log quantity minus the product's mean and the customer's usual size. A clean read of the week's
    # demand shock (the thing a retailer reacts to when it reprices), once lagged.
    adjusted = table["log_quantity"] - table.groupby("stockcode")["log_quantity"].transform("mean") \
        - table["customer_size"].fillna(0.0)
    size_index = adjusted.groupby([table["stockcode"], table["week"]]).mean().rename("size_index").reset_index()
    rows = rows.merge(size_index, on=["stockcode", "week"], how="left")

    products = _product_facts(lines, rows)
    ref = rows["stockcode"].map(products.set_index("stockcode")["log_reference_price"]).to_numpy()
    rows["log_reference_price"] = ref
    rows["delta"] = rows["log_price"].to_numpy() - ref
    _add_features(rows)
    rows["desc_keyword"] = rows["stockcode"].map(products.set_index("stockcode")["category"])
    rows["week_start"] = EPOCH + pd.to_timedelta(rows["week"] * 7 + anchor, unit="D")
    log.info("weekly panel: %d product-weeks (%d with sales) of %d products over %d weeks",
             len(rows), int(rows["observed"].sum()), len(products), len(weeks))
    return WeeklyPanel(rows, products, table)


def _line_table(lines: pd.DataFrame) -> pd.DataFrame:
    """Sale lines with what tells a big buyer from a small one: the customer's usual line size on OTHER
    products (relative to each product's mean; other products only, so the product's own weekly demand
    shocks do not leak in), how many such lines, and the customer's usual discount."""
    out = pd.DataFrame({"stockcode": lines["stockcode"].to_numpy(), "week": lines["week"].to_numpy(),
                        "log_quantity": np.log(lines["quantity"].to_numpy(np.float64)),
                        "is_registered": lines["customer_id"].notna().to_numpy(np.float64),
                        "customer_discount": lines["customer_discount"].to_numpy(),
                        "line_discount": lines["line_discount"].to_numpy(),
                        "log_posted_others": lines["log_posted_others"].to_numpy()})
    dev = out["log_quantity"] - out.groupby("stockcode")["log_quantity"].transform("mean")
    cust = lines["customer_id"].to_numpy()
    registered = out["is_registered"].to_numpy() > 0
    key_c = pd.Series(np.where(registered, cust, -1.0))
    sum_c = dev.groupby(key_c).transform("sum").to_numpy()
    n_c = key_c.map(key_c.value_counts()).to_numpy(np.float64)
    pair = key_c.astype(str) + "|" + out["stockcode"]
    sum_ci = dev.groupby(pair).transform("sum").to_numpy()
    n_ci = pair.map(pair.value_counts()).to_numpy(np.float64)
    other = n_c - n_ci
    with np.errstate(invalid="ignore", divide="ignore"):
        size = np.where(registered & (other > 0), (sum_c - sum_ci) / np.maximum(other, 1), np.nan)
    out["customer_size"] = size
    out["customer_other_lines"] = np.where(registered, np.log1p(other), 0.0)
    return out


def _read_price(obs: pd.DataFrame) -> pd.Series:
    """The weeks' posted log prices as read, before the sparse-week correction (when the panel has them)."""
    return obs["log_price_read"] if "log_price_read" in obs else obs["log_price"]


def shop_price_index(rows: pd.DataFrame) -> pd.Series:
    """The shop's temporary price level per week (log): the median, over the products priced that week, of each
    product's log posted price minus its own median, centred on its median week (0 in a week with fewer than
    INDEX_MIN_PRODUCTS products). A seasonal markup applied across the range (the November price list) shows
    here; one product's promotion or revision does not."""
    obs = rows[rows["observed"]]
    price = _read_price(obs)
    dev = price - price.groupby(obs["stockcode"]).transform("median")
    per_week = dev.groupby(obs["week"]).agg(["median", "size"])
    index = per_week["median"].where(per_week["size"] >= INDEX_MIN_PRODUCTS, 0.0)
    return index - float(np.median(index)) if len(index) else index


def regular_log_price(rows: pd.DataFrame, index: pd.Series) -> pd.Series:
    """Per product: the log of the price it posts now outside a temporary markup or promotion (the current
    price): the highest over its last RECENT_WEEKS_FOR_CURRENT_PRICE weeks with sales of the log posted price
    (as read, without the sparse-week correction) net of the shop's index. A promotion, a competitor match or a
    markdown of up to two weeks only lowers a week's price, so the highest ignores it, and the newest list price
    wins within those weeks of a revision; the index removes a shop-wide seasonal markup, so that keeping the
    price means keeping the regular price, not the peak season's."""
    obs = rows[rows["observed"]]
    net = _read_price(obs) - obs["week"].map(index).fillna(0.0).to_numpy()
    recent = net.groupby(obs["stockcode"], sort=True).tail(RECENT_WEEKS_FOR_CURRENT_PRICE)
    return recent.groupby(obs.loc[recent.index, "stockcode"], sort=True).max()


def _product_facts(lines: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    obs = rows[rows["observed"]]
    g = obs.groupby("stockcode", sort=True)
    ref = g["log_price"].median()
    current = np.exp(regular_log_price(rows, shop_price_index(rows)).reindex(ref.index))
    lo = np.exp(g["log_price"].quantile(0.025))
    hi = np.exp(g["log_price"].quantile(0.975))
    # The prices the product sold at (2.5-97.5% of its weeks), a step beyond them, at least ±MIN_RANGE around
    # the current price (a product that never moved still gets a modest range, priced by its category's
    # pooled response) and within [p0 / MAX_RANGE, MAX_RANGE · p0]. price_response.fit narrows it further to
    # where the posterior says enough about the curve (evidence_support).
    support_lo = np.clip(lo / BEYOND_OBSERVED, current / MAX_RANGE, current / MIN_RANGE)
    support_hi = np.clip(hi * BEYOND_OBSERVED, current * MIN_RANGE, current * MAX_RANGE)
    list_revenue = (np.exp(obs["log_price"]) * obs["units"]).groupby(obs["stockcode"]).sum()
    ratio = (g["revenue"].sum() / list_revenue).clip(0.3, 1.5)
    price_lines = lines.groupby("stockcode", sort=True)["unit_price"]
    desc = lines.groupby("stockcode", sort=True)["description"].agg(lambda s: str(s.mode().iloc[0]) if len(s.mode()) else "")
    out = pd.DataFrame({
        "stockcode": ref.index,
        "description": desc.reindex(ref.index).to_numpy(),
        "lines": lines.groupby("stockcode", sort=True).size().reindex(ref.index).to_numpy(),
        "weeks_with_sales": g.size().to_numpy(),
        "log_reference_price": ref.to_numpy(),
        "current_price": current.to_numpy(),
        "support_min": support_lo.to_numpy(),
        "support_max": support_hi.to_numpy(),
        "realized_price_ratio": ratio.to_numpy(),
        "line_price_min": price_lines.min().reindex(ref.index).to_numpy(),
        "line_price_max": price_lines.max().reindex(ref.index).to_numpy(),
    })
    out["category"] = description_keyword(out["description"]).to_numpy()
    return out.reset_index(drop=True)


def _ewm_before(values: np.ndarray, new_product: np.ndarray, alpha: float) -> np.ndarray:
    """Per row: the exponentially weighted mean of the same product's earlier rows (NaN for the first)."""
    out = np.full(len(values), np.nan)
    state = np.nan
    for i in range(len(values)):
        if new_product[i]:
            state = np.nan
        out[i] = state
        state = values[i] if np.isnan(state) else alpha * values[i] + (1 - alpha) * state
    return out


def _add_features(rows: pd.DataFrame) -> None:
    """As-of features: only weeks before the row's week of the same product."""
    code = rows["stockcode"].to_numpy()
    new_product = np.concatenate([[True], code[1:] != code[:-1]])
    starts = np.maximum.accumulate(np.where(new_product, np.arange(len(rows)), 0))
    units = rows["units"].to_numpy(np.float64)
    nlines = rows["lines"].to_numpy(np.float64)
    pos = np.arange(len(rows)) - starts

    def lag(values: np.ndarray, k: int) -> np.ndarray:
        out = np.full(len(values), np.nan)
        ok = pos >= k
        out[ok] = values[np.flatnonzero(ok) - k]
        return out

    rows["log_units_lag1"] = np.log1p(lag(units, 1))
    rows["log_units_lag2"] = np.log1p(lag(units, 2))
    rows["log_units_mean_4w"] = np.log1p(_lagged_mean(units, starts, 4))
    rows["log_units_mean_13w"] = np.log1p(_lagged_mean(units, starts, 13))
    rows["log_lines_mean_4w"] = np.log1p(_lagged_mean(nlines, starts, 4))
    rows["log_units_mean_hist"] = np.log1p(_lagged_mean(units, starts, None))
    rows["log_lines_lag1"] = np.log1p(lag(nlines, 1))
    size = rows["size_index"].to_numpy(np.float64)
    rows["size_index_lag1"] = lag(size, 1)
    has = np.isfinite(size)
    mean_sum = _lagged_mean(np.where(has, size, 0.0), starts, 4)
    mean_n = _lagged_mean(has.astype(np.float64), starts, 4)
    with np.errstate(invalid="ignore", divide="ignore"):
        rows["size_index_mean_4w"] = np.where(mean_n > 0, mean_sum / mean_n, np.nan)
    rows["log_weeks_listed"] = np.log1p(pos.astype(np.float64))
    week_of_year = (EPOCH + pd.to_timedelta(rows["week"] * 7 + 3, unit="D")).dt.day_of_year.to_numpy()  # ±3 days
    angle = 2.0 * np.pi * (week_of_year - 1) / 365.25
    rows["woy_sin"], rows["woy_cos"] = np.sin(angle), np.cos(angle)
    log_price = rows["log_price"].to_numpy(np.float64)
    ref = rows["log_reference_price"].to_numpy()
    rows[LAGGED_PRICE] = lag(log_price, 1) - ref
    count = np.bincount(starts)[starts]  # rows of the row's product
    for k, name in enumerate(LEAD_PRICES, start=1):
        lead = np.full(len(rows), np.nan)
        ok = pos + k < count
        lead[ok] = log_price[np.flatnonzero(ok) + k]
        rows[name] = lead - ref
    # Exponentially weighted past orders: a steadier read of the product's current demand level than any
    # single lag (the optimal filter of a persistent shock seen through Poisson noise is of this form).
    rows["log_lines_ewm"] = np.log1p(_ewm_before(nlines, new_product, 0.5))
    rows["position"] = pos


def estimation_rows(panel: WeeklyPanel) -> pd.DataFrame:
    """Rows the models learn from: every product-week but each product's first (selected on a sale)."""
    return panel.rows[panel.rows["position"] > 0].reset_index(drop=True)


def context_rows(panel: WeeklyPanel, per_product: int) -> pd.DataFrame:
    """Each product's most recent `per_product` weeks with their as-of features: what "a week now" looks
    like for the product. The service averages the baseline over them."""
    return panel.rows.groupby("stockcode", sort=True).tail(per_product).reset_index(drop=True)
