"""The previous method, kept as one baseline of the evaluation report: line-level demand forecasters swept
over a product's price history.

A network (and an ElasticNet on the same inputs) learns log1p(quantity) of each sale line from as-of line
features with the price among them; each product's recommendation is the argmax of price x median
predicted quantity over 100 prices spanning its historical range, every price feature recomputed at each
candidate price, the median taken over a seeded sample of the product's sale lines (its "context lines").
`revenues` returns the true revenue at each model's recommendation. Nothing of this is served: the
service's models see no price (pipeline.py), and this module exists so the report measures how far the
price response improves on it.

History features of a line dated day d use only lines on days strictly before d (per-day aggregates
shifted by one day), so no feature reads the line itself, its invoice, or anything later.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch
from torch import nn

from . import network
from .features import description_keyword
from .preprocessor import Preprocessor

LINE_CONTEXT_NUMERIC = [
    "is_registered", "hour", "doy_sin", "doy_cos",
    "prod_log_hist_lines", "prod_hist_mean_price", "prod_hist_min_price", "prod_hist_max_price", "prod_last_price",
    "prod_hist_mean_log_qty", "prod_log_qty_last_30d", "prod_log_lines_last_30d", "prod_days_since_last_sale",
    "cust_log_hist_invoices", "cust_hist_mean_log_qty", "cust_days_since_first", "cust_hist_price_tier",
]
# Every price-dependent input, recomputed from the candidate price at each point of the sweep.
PRICE_FEATURES: list[dict[str, str]] = [
    {"name": "unit_price", "op": "identity"},
    {"name": "log_unit_price", "op": "log"},
    {"name": "price_vs_hist_mean", "op": "ratio", "stat": "prod_hist_mean_price"},
    {"name": "price_vs_last", "op": "ratio", "stat": "prod_last_price"},
    {"name": "price_vs_hist_max", "op": "ratio", "stat": "prod_hist_max_price"},
]
LINE_NUMERIC = LINE_CONTEXT_NUMERIC + [spec["name"] for spec in PRICE_FEATURES]
LINE_CATEGORICAL = ["day_of_week", "country", "desc_keyword"]
TARGET = "log1p_quantity"
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
CONTEXT_LINES = 48  # sale lines sampled per product for the sweep's median
SWEEP_PRICES = 100  # candidate prices per product, spanning its historical range
NETWORK = network.NetworkParams([64, 32], True, [0.1, 0.1], 3e-3, "adam", 512)


def price_features(price: np.ndarray | float, stats) -> dict[str, np.ndarray]:
    """Every price feature at `price` for rows with the given stats (a mapping of arrays; they broadcast).
    A ratio is NaN when its stat is missing, non-finite or <= 0 (the preprocessor then imputes it)."""
    p = np.asarray(price, dtype=np.float64)
    out: dict[str, np.ndarray] = {}
    for spec in PRICE_FEATURES:
        if spec["op"] == "identity":
            out[spec["name"]] = p * 1.0
        elif spec["op"] == "log":
            out[spec["name"]] = np.log(np.where(p > 0, p, np.nan))
        else:
            s = np.asarray(stats[spec["stat"]], dtype=np.float64)
            ok = np.isfinite(s) & (s > 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                out[spec["name"]] = np.where(ok, p / np.where(ok, s, 1.0), np.nan)
    return out


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
    customers on a trade discount."""
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
    """Every input of the line-level models, the target, and bookkeeping columns (stockcode, description,
    invoice_date, quantity), one row per clean sale line in the order of `clean` (sorted by time)."""
    lines = clean.copy()
    lines["day"] = (lines["invoice_date"].dt.normalize() - pd.Timestamp("2000-01-01")).dt.days.astype(np.int64)
    lines["logq"] = np.log1p(lines["quantity"].astype(np.float64))
    out = lines.merge(product_history(lines), on=["stockcode", "day"], how="left", validate="many_to_one")
    out = out.merge(customer_history(out), on=["customer_id", "day"], how="left", validate="many_to_one")
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
    return out[["stockcode", "description", "invoice_date", "quantity"] + LINE_NUMERIC + LINE_CATEGORICAL + [TARGET]]


def train_line_network(x: np.ndarray, y: np.ndarray, xv: np.ndarray, yv: np.ndarray, max_epochs: int, patience: int,
                  seed: int) -> network.DemandNetwork:
    """The line-level network on MSE with early stopping on the validation lines (best weights restored)."""
    network.seed_everything(seed)
    model = network.DemandNetwork(x.shape[1], NETWORK.hidden, NETWORK.batch_norm, NETWORK.dropout)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y.astype(np.float32))

    def validate() -> float:
        pred = network.predict(model, xv)
        return float(np.mean((pred - yv) ** 2)) if np.all(np.isfinite(pred)) else math.inf

    network.fit_with_early_stopping(model, NETWORK, len(xt), lambda idx: nn.functional.mse_loss(model(xt[idx]), yt[idx]),
                                    validate, max_epochs, patience, seed)
    return model


def context_lines(frame: pd.DataFrame, rows_per_product: int, seed: int) -> dict[str, pd.DataFrame]:
    """Per product, a seeded uniform sample of its sale lines (in time order) with their as-of features: the mix
    of situations in which it sells. Numeric features are rounded to float32, as the line-level service stored
    them."""
    rng = np.random.default_rng(seed)
    numeric = frame[LINE_CONTEXT_NUMERIC].astype(np.float32).astype(np.float64)
    out = {}
    for code, idx in sorted(frame.groupby("stockcode", sort=True).indices.items()):
        rows = np.sort(rng.choice(idx, size=min(rows_per_product, len(idx)), replace=False))
        out[code] = pd.concat([numeric.iloc[rows], frame[LINE_CATEGORICAL].iloc[rows]], axis=1).reset_index(drop=True)
    return out


def sweep(predict_log_quantity, context: pd.DataFrame, prices: np.ndarray) -> int:
    """Index of the price of highest price x median predicted quantity over the context lines, every price
    feature recomputed at each candidate price."""
    n = len(context)
    frame = context.iloc[np.tile(np.arange(n), len(prices))].reset_index(drop=True)  # price-major
    p = np.repeat(prices, n)
    for name, values in price_features(p, frame).items():
        frame[name] = values
    q = np.maximum(np.expm1(np.asarray(predict_log_quantity(frame), np.float64)), 0.0).reshape(len(prices), n)
    return int(np.argmax(prices * np.median(q, axis=1)))


def revenues(cleaned: pd.DataFrame, truth, codes: list[str], seed: int) -> pd.DataFrame:
    """Fits the line-level network and ElasticNet on the first 85% of the log (by date) and sweeps each listed
    product; returns per product the true revenue at each model's recommendation
    (`network_today_revenue`, `elasticnet_today_revenue`)."""
    from sklearn.linear_model import ElasticNet

    frame = build_features(cleaned)
    cut = frame["invoice_date"].quantile(0.85)
    train, val = frame[frame["invoice_date"] < cut], frame[frame["invoice_date"] >= cut]
    pre = Preprocessor.fit(train, LINE_NUMERIC, LINE_CATEGORICAL, 5)
    x, xv = pre.transform_dense(train), pre.transform_dense(val)
    y, yv = train[TARGET].to_numpy(np.float32), val[TARGET].to_numpy(np.float32)
    net = train_line_network(x, y, xv, yv, 12, 3, seed)
    enet = ElasticNet(alpha=1e-3, l1_ratio=0.5, max_iter=3000).fit(x.astype(np.float64), y)
    models = {"network_today": lambda f: network.predict(net, pre.transform_dense(f)).astype(np.float64),
              "elasticnet_today": lambda f: enet.predict(pre.transform_dense(f).astype(np.float64))}
    contexts = context_lines(frame, CONTEXT_LINES, seed)
    history = frame.groupby("stockcode")["unit_price"].agg(["min", "max"])
    rows = []
    for code in codes:
        if code not in contexts:
            continue
        grid = np.linspace(float(history.loc[code, "min"]), float(history.loc[code, "max"]), SWEEP_PRICES)
        row = {"stockcode": code}
        for name, predict in models.items():
            best = grid[sweep(predict, contexts[code], grid)]
            row[f"{name}_revenue"] = float(truth.revenue(code, np.array([best]))[0])
        rows.append(row)
    return pd.DataFrame(rows)
