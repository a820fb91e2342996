"""Leak-free features for every clean sale line, the target, and the time split.

History features for a line dated day d are computed only from lines on days strictly before d
(product and customer aggregates are built per day and shifted by one day), so no feature reads the
line itself, its invoice, or anything later. Counts are log1p-transformed here so that the context rows
the service stores are already final model inputs; only the price features are recomputed per
candidate price (see price_features.py).
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import pandas as pd

from .price_features import PRICE_FEATURE_NAMES, price_features

log = logging.getLogger(__name__)

CONTEXT_NUMERIC = [
    "is_registered",
    "hour",
    "doy_sin",
    "doy_cos",
    "prod_log_hist_lines",
    "prod_hist_mean_price",
    "prod_hist_min_price",
    "prod_hist_max_price",
    "prod_last_price",
    "prod_hist_mean_log_qty",
    "prod_log_qty_last_30d",
    "prod_log_lines_last_30d",
    "prod_days_since_last_sale",
    "cust_log_hist_invoices",
    "cust_hist_mean_log_qty",
    "cust_days_since_first",
    "cust_hist_price_tier",
]
NUMERIC = CONTEXT_NUMERIC + PRICE_FEATURE_NAMES
CATEGORICAL = ["day_of_week", "country", "desc_keyword"]
TARGET = "log1p_quantity"
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def description_keyword(desc: pd.Series) -> pd.Series:
    """Last alphabetic word of the description, upper-case ("... T-LIGHT HOLDER" -> "HOLDER"): a
    low-cardinality product type that exists in real UCI descriptions too. Empty -> missing."""
    words = desc.fillna("").astype(str).str.upper().str.findall(r"[A-Z]+")
    return words.map(lambda w: w[-1] if w else None)


def _window_sum(keys: np.ndarray, days: np.ndarray, values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """For rows sorted by (key, day): sum of `values` over rows with the same key and lo <= day < hi."""
    cum = np.concatenate([[0.0], np.cumsum(values, dtype=np.float64)])
    order_key = keys.astype(np.int64) * 100_000 + days.astype(np.int64)
    left = np.searchsorted(order_key, keys.astype(np.int64) * 100_000 + lo, side="left")
    right = np.searchsorted(order_key, keys.astype(np.int64) * 100_000 + hi, side="left")
    return cum[right] - cum[left]


def _before(groups, column: str) -> pd.Series:
    """Per group, the sum of `column` over the rows before each row (0 for the first)."""
    return groups[column].cumsum().groupby(groups.ngroup()).shift(1).fillna(0.0)


def product_history(lines: pd.DataFrame) -> pd.DataFrame:
    """Per (stockcode, day): the product's history as of the start of that day."""
    daily = (lines.groupby(["stockcode", "day"], sort=True)
             .agg(n=("quantity", "size"), qty=("quantity", "sum"), price_sum=("unit_price", "sum"),
                  price_min=("unit_price", "min"), price_max=("unit_price", "max"), logq_sum=("logq", "sum"))
             .reset_index())
    g = daily.groupby("stockcode", sort=False)
    # Sums over earlier days only: a cumulative sum shifted by one day-row, so that not even the
    # rounding of a feature depends on the day's own lines.
    hist_n = _before(g, "n")
    with np.errstate(divide="ignore", invalid="ignore"):
        daily["prod_log_hist_lines"] = np.log1p(hist_n)
        daily["prod_hist_mean_price"] = (_before(g, "price_sum") / hist_n).where(hist_n > 0)
        daily["prod_hist_mean_log_qty"] = (_before(g, "logq_sum") / hist_n).where(hist_n > 0)
    daily["_cummin"] = g["price_min"].cummin()
    daily["_cummax"] = g["price_max"].cummax()
    daily["_mean"] = daily["price_sum"] / daily["n"]
    g = daily.groupby("stockcode", sort=False)
    daily["prod_hist_min_price"] = g["_cummin"].shift(1)
    daily["prod_hist_max_price"] = g["_cummax"].shift(1)
    daily["prod_last_price"] = g["_mean"].shift(1)
    daily["prod_days_since_last_sale"] = (daily["day"] - g["day"].shift(1)).astype(np.float64)
    key = daily["stockcode"].astype("category").cat.codes.to_numpy()
    day = daily["day"].to_numpy()
    qty30 = _window_sum(key, day, daily["qty"].to_numpy(np.float64), day - 30, day)
    n30 = _window_sum(key, day, daily["n"].to_numpy(np.float64), day - 30, day)
    daily["prod_log_qty_last_30d"] = np.log1p(qty30)
    daily["prod_log_lines_last_30d"] = np.log1p(n30)
    return daily.drop(columns=["n", "qty", "price_sum", "price_min", "price_max", "logq_sum", "_cummin", "_cummax", "_mean"])


def customer_history(lines: pd.DataFrame) -> pd.DataFrame:
    """Per (customer_id, day) for registered customers: their history as of the start of that day.

    `cust_hist_price_tier` is the mean, over the customer's earlier lines, of the price paid relative
    to the product's mean price before that line's day: about 1 for list-price buyers, lower for
    customers on a trade discount. It separates "this customer pays less and buys more" from "a lower
    price makes people buy more"."""
    reg = lines[lines["customer_id"].notna()].copy()
    tier = (reg["unit_price"] / reg["prod_hist_mean_price"]).to_numpy()
    reg["tier_sum"] = np.where(np.isfinite(tier), tier, 0.0)
    reg["tier_n"] = np.isfinite(tier).astype(np.float64)
    daily = (reg.groupby(["customer_id", "day"], sort=True)
             .agg(invoices=("invoice", "nunique"), n=("quantity", "size"), logq_sum=("logq", "sum"),
                  tier_sum=("tier_sum", "sum"), tier_n=("tier_n", "sum"))
             .reset_index())
    g = daily.groupby("customer_id", sort=False)
    hist_inv = _before(g, "invoices")
    hist_n = _before(g, "n")
    daily["cust_log_hist_invoices"] = np.log1p(hist_inv)
    with np.errstate(divide="ignore", invalid="ignore"):
        daily["cust_hist_mean_log_qty"] = (_before(g, "logq_sum") / hist_n).where(hist_n > 0)
        tier_n = _before(g, "tier_n")
        daily["cust_hist_price_tier"] = (_before(g, "tier_sum") / tier_n).where(tier_n > 0)
    first = g["day"].transform("min")
    daily["cust_days_since_first"] = (daily["day"] - first).astype(np.float64).where(hist_n > 0)
    return daily.drop(columns=["invoices", "n", "logq_sum", "tier_sum", "tier_n"])


def build_features(clean: pd.DataFrame) -> pd.DataFrame:
    """Every model input, the target, and bookkeeping columns (stockcode, invoice_date, quantity).

    Rows keep the order of `clean` (sorted by time).
    """
    lines = clean.copy()
    lines["day"] = (lines["invoice_date"].dt.normalize() - pd.Timestamp("2000-01-01")).dt.days.astype(np.int64)
    lines["logq"] = np.log1p(lines["quantity"].astype(np.float64))
    prod = product_history(lines)
    out = lines.merge(prod, on=["stockcode", "day"], how="left", validate="many_to_one")
    cust = customer_history(out)
    out = out.merge(cust, on=["customer_id", "day"], how="left", validate="many_to_one")
    assert len(out) == len(lines)

    t = out["invoice_date"]
    out["hour"] = t.dt.hour + t.dt.minute / 60.0
    angle = 2.0 * np.pi * (t.dt.day_of_year.to_numpy() - 1) / 365.25
    out["doy_sin"], out["doy_cos"] = np.sin(angle), np.cos(angle)
    out["day_of_week"] = np.array(WEEKDAYS, dtype=object)[t.dt.day_of_week.to_numpy()]
    out["desc_keyword"] = description_keyword(out["description"])
    out["country"] = out["country"].replace("", None)
    out["is_registered"] = out["is_registered"].astype(np.float64)
    for name, values in price_features(out["unit_price"].to_numpy(), out).items():
        out[name] = values
    out[TARGET] = out["logq"]
    keep = ["stockcode", "description", "invoice_date", "quantity"] + NUMERIC + CATEGORICAL + [TARGET]
    return out[keep]


@dataclasses.dataclass(frozen=True)
class TimeSplit:
    """Row masks of a chronological split; test is the latest period and is never fit or tuned on."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    val_start: pd.Timestamp
    test_start: pd.Timestamp

    def describe(self) -> dict:
        return {"train_rows": int(self.train.sum()), "val_rows": int(self.val.sum()), "test_rows": int(self.test.sum()),
                "val_start": str(self.val_start.date()), "test_start": str(self.test_start.date())}


def time_split(frame: pd.DataFrame, val_fraction: float = 0.15, test_fraction: float = 0.15) -> TimeSplit:
    """Cut at whole days so that about the last `test_fraction` of rows is test, the `val_fraction`
    before it validation, and the rest training."""
    days = frame["invoice_date"].dt.normalize()
    ordered = np.sort(days.to_numpy())
    test_start = pd.Timestamp(ordered[int(len(ordered) * (1.0 - test_fraction))])
    val_start = pd.Timestamp(ordered[int(len(ordered) * (1.0 - test_fraction - val_fraction))])
    d = days.to_numpy()
    test = d >= test_start.to_datetime64()
    val = (d >= val_start.to_datetime64()) & ~test
    train = ~test & ~val
    return TimeSplit(train, val, test, val_start, test_start)
