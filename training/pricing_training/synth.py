"""Synthetic "Online Retail" transactions with a known structural demand curve per product.

The UCI file cannot be downloaded here, so this generator writes a file with the same schema and a
realistic shape (one year of invoice lines, a long-tailed catalogue, wholesale and retail customers,
cancellations, non-product codes, ~25% guest lines, a November peak, weekday effects, promotions), plus
the ground truth that produced it.

Demand model (documented in models/README.md and used by the regret evaluation):

    mu_s(p) = Q_s * exp(-b_s * (p - p_ref))          for segment s in {retail, wholesale}
    quantity = max(1, round(mu_s(p) * season(month)**0.5 * weekday * shock * LogNormal(-sigma^2/2, sigma)))

Season, weekday and the weekly demand shock multiply every price alike, so they do not move the
optimum. The true expected revenue of a product at a unit price p, for a context mix with wholesale
share w, is therefore

    R(p) = p * ((1 - w) * mu_retail(p) + w * mu_wholesale(p))

and the true optimal price on any grid is its argmax. Prices are confounded with demand: the list price
rises with the season and with last week's demand shock, promotions cut it, and wholesale customers pay
a tier discount while buying more.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from .retail_log import (ADJECTIVES, CATEGORIES, COUNTRIES, END, SEASON, START, WEEKDAY_QUANTITY, WEEKDAY_VOLUME,
                         cancellations, non_product_lines, stockcodes, trading_days, write_transactions)

log = logging.getLogger(__name__)

@dataclasses.dataclass(frozen=True)
class SynthConfig:
    """Size and shape of a synthetic data set. Defaults match the UCI file's scale."""

    lines: int = 540_000
    seed: int = 7
    products: int | None = None  # default: scaled with lines, 4,000 at full size
    customers: int | None = None  # default: scaled with lines, 4,300 at full size
    guest_share: float = 0.25  # share of invoices without a CustomerID
    wholesale_customer_share: float = 0.10
    wholesale_discount: float = 0.80  # wholesale unit price = list price * this
    wholesale_volume: float = 8.0  # Q_wholesale / Q_retail
    wholesale_elasticity: float = 1.15  # b_wholesale / b_retail
    noise_sigma: float = 0.55
    cancellation_share: float = 0.017
    promo_probability: float = 0.06

    def n_products(self) -> int:
        return self.products or max(60, round(4000 * min(1.0, self.lines / 540_000) ** 0.6))

    def n_customers(self) -> int:
        return self.customers or max(80, round(4300 * min(1.0, self.lines / 540_000) ** 0.6))


# ----------------------------------------------------------------------------------------------
# Ground truth


def true_quantity(gt: pd.DataFrame | pd.Series, prices: np.ndarray, segment: str) -> np.ndarray:
    """Structural mean quantity of one segment at `prices` (season, weekday and shocks factored out)."""
    q = np.asarray(gt[f"{segment}_scale"], dtype=np.float64)
    b = np.asarray(gt[f"{segment}_b"], dtype=np.float64)
    ref = np.asarray(gt["ref_price"], dtype=np.float64)
    prices = np.asarray(prices, dtype=np.float64)
    return q * np.exp(-b * (prices - ref))


def true_revenue(gt_row: pd.Series | dict, prices: np.ndarray) -> np.ndarray:
    """R(p) = p * ((1 - w) * mu_retail(p) + w * mu_wholesale(p)) for one product's ground-truth row."""
    w = float(gt_row["wholesale_share"])
    ref = float(gt_row["ref_price"])
    p = np.asarray(prices, dtype=np.float64)
    retail = float(gt_row["retail_scale"]) * np.exp(-float(gt_row["retail_b"]) * (p - ref))
    wholesale = float(gt_row["wholesale_scale"]) * np.exp(-float(gt_row["wholesale_b"]) * (p - ref))
    return p * ((1.0 - w) * retail + w * wholesale)


def true_optimal_price(gt_row: pd.Series | dict, lo: float | None = None, hi: float | None = None) -> float:
    """Continuous argmax of R(p) over [lo, hi] (default: (0, 10 * ref_price]), found by golden-section
    search after a coarse scan (R is unimodal for one segment and at most bimodal for two)."""
    row = {k: gt_row[k] for k in ("wholesale_share", "ref_price", "retail_scale", "retail_b",
                                   "wholesale_scale", "wholesale_b")}
    lo = 1e-4 if lo is None else lo
    hi = 10.0 * float(row["ref_price"]) if hi is None else hi
    grid = np.linspace(lo, hi, 4001)
    i = int(np.argmax(true_revenue(row, grid)))
    a, b = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    phi = (np.sqrt(5.0) - 1.0) / 2.0
    for _ in range(80):
        c, d = b - phi * (b - a), a + phi * (b - a)
        if true_revenue(row, np.array([c]))[0] >= true_revenue(row, np.array([d]))[0]:
            b = d
        else:
            a = c
    return float((a + b) / 2.0)


def best_price_on_grid(gt_row: pd.Series | dict, grid: np.ndarray) -> tuple[float, float]:
    """(price, revenue) of the grid point with the highest true revenue."""
    revenue = true_revenue(gt_row, grid)
    i = int(np.argmax(revenue))
    return float(grid[i]), float(revenue[i])


# ----------------------------------------------------------------------------------------------
# Generator


def _catalogue(cfg: SynthConfig, rng: np.random.Generator) -> pd.DataFrame:
    n = cfg.n_products()
    codes = stockcodes(rng, n)
    cat_idx = rng.integers(0, len(CATEGORIES), size=n)
    cat_idx[0] = 0  # 85123A is a HOLDER
    descriptions, seen = [], set()
    for i in range(n):
        if i == 0:
            desc = "WHITE HANGING HEART T-LIGHT HOLDER"
        else:
            while True:
                words = rng.choice(ADJECTIVES, size=rng.integers(1, 3), replace=False)
                desc = " ".join(words) + " " + CATEGORIES[cat_idx[i]][0]
                if desc not in seen or rng.random() < 0.02:
                    desc = desc if desc not in seen else f"{desc} {rng.integers(2, 9)}"
                    if desc not in seen:
                        break
        seen.add(desc)
        descriptions.append(desc)
    k = np.array([CATEGORIES[c][1] for c in cat_idx]) * rng.lognormal(0.0, 0.07, size=n)
    ref = np.array([CATEGORIES[c][2] for c in cat_idx]) * rng.lognormal(0.0, 0.35, size=n)
    ref = np.maximum(np.round(ref, 2), 0.10)
    ref[0], k[0] = 2.55, 1.08
    b_retail = 1.0 / (k * ref)
    retail_scale = rng.lognormal(np.log(6.0), 0.35, size=n)
    # Zipf-like popularity over a shuffled rank; 85123A is the best seller.
    popularity = rng.lognormal(0.0, 1.1, size=n) / np.arange(1, n + 1) ** 0.3
    popularity[0] = popularity.max() * 1.3
    cat = pd.DataFrame({
        "stockcode": codes,
        "description": descriptions,
        "category": [CATEGORIES[c][0] for c in cat_idx],
        "ref_price": ref,
        "optimum_ratio": k,
        "retail_scale": retail_scale,
        "retail_b": b_retail,
        "wholesale_scale": retail_scale * cfg.wholesale_volume,
        "wholesale_b": b_retail * cfg.wholesale_elasticity,
        "popularity": popularity / popularity.sum(),
    })
    return cat


def generate(cfg: SynthConfig, keep_latent: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (transactions in the UCI schema, ground truth per stockcode).

    With keep_latent, sale lines also carry the generator's hidden variables: `_segment`,
    `_structural_mean` (Q_s * exp(-b_s * (p - p_ref))) and `_mean` (times season, weekday and shock);
    other lines have NaN there. Tests use them to check the ground truth against the data."""
    rng = np.random.default_rng(cfg.seed)
    cat = _catalogue(cfg, rng)
    n_prod = len(cat)
    days = trading_days()
    n_weeks = int((END - START).days // 7) + 2

    # Customers: country, segment; a quarter of invoices come from guests without an id.
    n_cust = cfg.n_customers()
    cust_ids = rng.choice(np.arange(12346, 18288), size=n_cust, replace=False)
    country_w = np.array([0.0] + [1.0 / (i + 1) ** 1.3 for i in range(len(COUNTRIES) - 1)])
    country_w = 0.11 * country_w / country_w.sum()
    country_w[0] = 0.89
    cust_country = rng.choice(len(COUNTRIES), size=n_cust, p=country_w)
    cust_country[: len(COUNTRIES)] = np.arange(len(COUNTRIES))  # every country appears
    cust_wholesale = rng.random(n_cust) < cfg.wholesale_customer_share
    cust_activity = rng.lognormal(0.0, 1.0, size=n_cust)
    cust_activity /= cust_activity.sum()

    # Invoices: volume follows season and weekday; ~20 lines each.
    mean_lines = 20.0
    n_sale_lines = int(cfg.lines * (1.0 - cfg.cancellation_share - 0.006))
    n_inv = max(10, int(n_sale_lines / mean_lines))
    day_w = np.array([SEASON[d.month] * WEEKDAY_VOLUME[d.day_of_week] for d in days])
    inv_day = np.sort(rng.choice(len(days), size=n_inv, p=day_w / day_w.sum()))
    inv_minute = np.clip(rng.normal(12.5 * 60, 2.2 * 60, size=n_inv), 7 * 60, 20 * 60).astype(int)
    inv_time = days[inv_day] + pd.to_timedelta(inv_minute, unit="min")
    order = np.argsort(inv_time.values, kind="stable")
    inv_time = inv_time[order]
    inv_day = inv_day[order]
    inv_guest = rng.random(n_inv) < cfg.guest_share
    inv_cust = rng.choice(n_cust, size=n_inv, p=cust_activity)
    every_country = rng.choice(n_inv, size=min(len(COUNTRIES), n_inv), replace=False)
    inv_cust[every_country] = np.arange(len(every_country))  # customers 0..37 cover every country
    inv_guest[every_country] = False
    inv_lines = np.maximum(1, rng.poisson(mean_lines - 1, size=n_inv) + 1)
    scale = n_sale_lines / inv_lines.sum()
    inv_lines = np.maximum(1, np.round(inv_lines * scale).astype(int))
    inv_no = 536365 + np.arange(n_inv)

    line_inv = np.repeat(np.arange(n_inv), inv_lines)
    n_lines = len(line_inv)
    line_prod = rng.choice(n_prod, size=n_lines, p=cat["popularity"].to_numpy())
    line_day = inv_day[line_inv]
    line_time = inv_time[line_inv]
    line_guest = inv_guest[line_inv]
    line_cust = inv_cust[line_inv]
    wholesale = ~line_guest & cust_wholesale[line_cust]
    months = line_time.month.to_numpy()
    weekdays = line_time.day_of_week.to_numpy()
    week = ((line_time - START).days // 7).to_numpy()

    # Weekly demand shocks per product, AR(1) in logs; the retailer prices on last week's shock.
    shocks = np.zeros((n_prod, n_weeks))
    eps = rng.normal(0.0, 0.15, size=(n_prod, n_weeks))
    for w in range(1, n_weeks):
        shocks[:, w] = 0.7 * shocks[:, w - 1] + eps[:, w]
    shock = np.exp(shocks[line_prod, week])
    prev_shock = shocks[line_prod, np.maximum(week - 1, 0)]

    # List price: reference price, two list revisions a year, season and demand response, promotions.
    revision = rng.lognormal(0.0, 0.06, size=(n_prod, 3))
    rev_idx = np.minimum(week // 20, 2)
    promo = rng.random((n_prod, n_weeks)) < cfg.promo_probability
    promo_depth = rng.uniform(0.15, 0.35, size=(n_prod, n_weeks))
    season = np.array([SEASON[m] for m in months])
    list_price = (cat["ref_price"].to_numpy()[line_prod] * revision[line_prod, rev_idx]
                  * (1.0 + 0.25 * (season - 1.0)) * np.exp(0.5 * prev_shock))
    list_price = np.where(promo[line_prod, week], list_price * (1.0 - promo_depth[line_prod, week]), list_price)
    price = np.where(wholesale, list_price * cfg.wholesale_discount, list_price)
    price = np.maximum(np.round(price, 2), 0.01)

    segment_scale = np.where(wholesale, cat["wholesale_scale"].to_numpy()[line_prod],
                             cat["retail_scale"].to_numpy()[line_prod])
    segment_b = np.where(wholesale, cat["wholesale_b"].to_numpy()[line_prod], cat["retail_b"].to_numpy()[line_prod])
    structural = segment_scale * np.exp(-segment_b * (price - cat["ref_price"].to_numpy()[line_prod]))
    mu = structural * np.sqrt(season) * np.array([WEEKDAY_QUANTITY[d] for d in range(7)])[weekdays] * shock
    sigma = cfg.noise_sigma
    qty = np.maximum(1, np.round(mu * rng.lognormal(-sigma * sigma / 2.0, sigma, size=n_lines))).astype(np.int64)

    country_of_line = np.array(COUNTRIES, dtype=object)[cust_country[line_cust]]
    guest_country = rng.choice(len(COUNTRIES), size=n_inv, p=country_w)
    country_of_line = np.where(line_guest, np.array(COUNTRIES, dtype=object)[guest_country[line_inv]], country_of_line)
    sales = pd.DataFrame({
        "InvoiceNo": inv_no[line_inv].astype(str),
        "StockCode": cat["stockcode"].to_numpy()[line_prod],
        "Description": cat["description"].to_numpy()[line_prod],
        "Quantity": qty,
        "InvoiceDate": line_time,
        "UnitPrice": price,
        "CustomerID": np.where(line_guest, np.nan, cust_ids[line_cust].astype(np.float64)),
        "Country": country_of_line,
    })
    if keep_latent:
        sales["_segment"] = np.where(wholesale, "wholesale", "retail")
        sales["_structural_mean"] = structural
        sales["_mean"] = mu

    latent = [c for c in sales.columns if c.startswith("_")]
    extras = [sales, cancellations(sales, cfg.lines, cfg.cancellation_share, rng).drop(columns=latent),
              non_product_lines(sales, cfg.lines, rng, n_inv).drop(columns=latent)]
    df = pd.concat(extras, ignore_index=True)
    df = df.sort_values(["InvoiceDate", "InvoiceNo"], kind="stable").reset_index(drop=True)

    # Ground truth: the wholesale share is the realised share of each product's sale lines.
    share = pd.Series(wholesale).groupby(line_prod).mean().reindex(range(n_prod)).fillna(0.0).to_numpy()
    gt = cat.drop(columns=["popularity"]).copy()
    gt["wholesale_share"] = share
    gt["lines"] = np.bincount(line_prod, minlength=n_prod)
    gt["optimal_price"] = [true_optimal_price(row) for row in gt.to_dict("records")]
    return df, gt


# ----------------------------------------------------------------------------------------------
# Files


def write(df: pd.DataFrame, gt: pd.DataFrame, out_dir: Path, cfg: SynthConfig) -> tuple[Path, Path]:
    """Write transactions.csv (UCI CSV conventions: m/d/yyyy h:mm dates, CustomerID as a float) and
    ground_truth.csv with a JSON sidecar describing the generator."""
    out_dir.mkdir(parents=True, exist_ok=True)
    data_path = out_dir / "transactions.csv"
    gt_path = out_dir / "ground_truth.csv"
    write_transactions(df, data_path)
    gt.to_csv(gt_path, index=False, float_format="%.10g")
    meta = {"generator": "pricing_training.synth", "config": dataclasses.asdict(cfg), "lines": len(df),
            "products": len(gt), "start": str(START.date()), "end": str(END.date()),
            "revenue_function": "R(p) = p * ((1 - w) * Qr * exp(-br * (p - ref)) + w * Qw * exp(-bw * (p - ref)))"}
    (out_dir / "ground_truth.json").write_text(json.dumps(meta, indent=2) + "\n")
    log.info("wrote %s (%d lines, %d products) and %s", data_path, len(df), len(gt), gt_path)
    return data_path, gt_path
