"""The shape of the UCI "Online Retail" log that both synthetic generators share.

`synth.py` (one demand form, line-level prices) and `scenarios.py` (the evaluation matrix) write the same
file: one year from 2010-12-01, the same catalogue words, countries, trading calendar, season and weekday
volume, cancellations, non-product codes and CSV conventions. They live here once; each generator draws its
own products, customers, prices and quantities.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

START = pd.Timestamp("2010-12-01")
END = pd.Timestamp("2011-12-09")

# (keyword that ends the description, optimum-to-reference-price ratio k, typical reference price £)
CATEGORIES: list[tuple[str, float, float]] = [
    ("HOLDER", 1.10, 2.6), ("BAG", 0.85, 1.9), ("MUG", 1.25, 1.5), ("CARD", 0.80, 0.45),
    ("CANDLE", 1.00, 1.3), ("SIGN", 1.15, 2.4), ("BOX", 0.95, 2.1), ("COVER", 0.90, 3.8),
    ("LANTERN", 1.20, 4.2), ("CLOCK", 1.30, 7.5), ("WRAP", 0.75, 0.42), ("BOTTLE", 1.05, 3.4),
    ("DOORMAT", 1.35, 7.9), ("BUNTING", 0.90, 2.9), ("SAUCER", 1.10, 2.9), ("PURSE", 0.85, 2.1),
    ("DECORATION", 0.80, 0.85), ("NAPKINS", 0.95, 0.85), ("PLATE", 1.00, 1.7), ("CASES", 0.85, 0.55),
]
ADJECTIVES = ["WHITE", "RED", "PINK", "BLUE", "GREEN", "IVORY", "VINTAGE", "RETRO", "REGENCY", "JUMBO",
              "SMALL", "LARGE", "HANGING", "HEART", "STAR", "SPOTTY", "PAISLEY", "FLORAL", "ANTIQUE",
              "GLASS", "WOODEN", "ZINC", "ENAMEL", "CERAMIC", "PARTY", "CHRISTMAS", "GARDEN", "KITCHEN",
              "BAROQUE", "DOLLY GIRL", "SPACEBOY", "SKULL", "OWL", "BIRD", "LOVE", "RABBIT"]
COUNTRIES = ["United Kingdom", "Germany", "France", "EIRE", "Spain", "Netherlands", "Belgium",
             "Switzerland", "Portugal", "Australia", "Norway", "Italy", "Channel Islands", "Finland",
             "Cyprus", "Sweden", "Unspecified", "Austria", "Denmark", "Japan", "Poland", "Israel", "USA",
             "Hong Kong", "Singapore", "Iceland", "Canada", "Greece", "Malta", "United Arab Emirates",
             "European Community", "RSA", "Lebanon", "Lithuania", "Brazil", "Czech Republic", "Bahrain",
             "Saudi Arabia"]
SEASON = {1: 0.75, 2: 0.75, 3: 0.90, 4: 0.85, 5: 0.95, 6: 0.95, 7: 0.95, 8: 0.95, 9: 1.20, 10: 1.30,
          11: 1.60, 12: 1.10}
# Monday=0 ... Sunday=6; the shop takes no orders on Saturdays, as in the UCI file.
WEEKDAY_VOLUME = {0: 1.0, 1: 1.05, 2: 1.05, 3: 1.2, 4: 0.85, 5: 0.0, 6: 0.7}
WEEKDAY_QUANTITY = {0: 0.95, 1: 1.0, 2: 1.0, 3: 1.1, 4: 0.95, 5: 1.0, 6: 0.85}
NON_PRODUCT_CODES = {"POST": 18.0, "DOT": 120.0, "M": 2.5, "D": 8.0, "C2": 50.0, "BANK CHARGES": 15.0,
                     "AMAZONFEE": 300.0, "CRUK": 10.0, "PADS": 0.001}


def stockcodes(rng: np.random.Generator, n: int) -> list[str]:
    """`n` distinct UCI-style stock codes (five digits, sometimes a letter); 85123A first, the rest shuffled."""
    codes = {"85123A"}
    while len(codes) < n:
        base = f"{rng.integers(10002, 90215)}"
        suffix = rng.choice(["", "", "", "A", "B", "C", "L", "S", "P"])
        codes.add(base + suffix)
    rest = sorted(codes - {"85123A"})
    rng.shuffle(rest)
    return ["85123A"] + rest


def trading_days() -> pd.DatetimeIndex:
    """The days the shop takes orders: START to END without Saturdays and the Christmas closure."""
    days = pd.date_range(START, END, freq="D")
    holiday = (days >= "2010-12-24") & (days <= "2011-01-03")
    return days[(days.day_of_week != 5) & ~holiday]


def open_days(first: pd.Timestamp, last: pd.Timestamp) -> pd.DatetimeIndex:
    """The days from `first` to `last` the shop takes orders on, in any year: no Saturdays, closed from
    24 December to 3 January (`trading_days` is the log's year of them)."""
    days = pd.date_range(first, last, freq="D")
    holiday = ((days.month == 12) & (days.day >= 24)) | ((days.month == 1) & (days.day <= 3))
    return days[(days.day_of_week != 5) & ~holiday]


def cancellations(sales: pd.DataFrame, lines: int, share: float, rng: np.random.Generator,
                  until: pd.Timestamp = END + pd.Timedelta(hours=20)) -> pd.DataFrame:
    """About `share` x `lines` cancelled copies of registered customers' sale lines ("C" invoices, negative
    quantities, 1-72 hours later, never on a Saturday), none after `until` (the log's end by default)."""
    registered = sales[sales["CustomerID"].notna()]
    n = int(lines * share)
    picked = registered.sample(n=min(n, len(registered)), random_state=int(rng.integers(1 << 30))).copy()
    picked["InvoiceNo"] = "C" + picked["InvoiceNo"]
    picked["Quantity"] = -np.maximum(1, (picked["Quantity"] * rng.uniform(0.2, 1.0, len(picked))).round()).astype(np.int64)
    picked["InvoiceDate"] = picked["InvoiceDate"] + pd.to_timedelta(rng.integers(1, 72, len(picked)), unit="h")
    saturday = picked["InvoiceDate"].dt.day_of_week == 5
    picked.loc[saturday, "InvoiceDate"] += pd.Timedelta(days=1)  # the shop is closed on Saturdays
    picked = picked[picked["InvoiceDate"] <= until]
    return picked


def non_product_lines(sales: pd.DataFrame, lines: int, rng: np.random.Generator, n_invoices: int) -> pd.DataFrame:
    """Postage, manual, discount and fee lines (about 0.6% of `lines`, hosted by random sale lines), a few
    zero-price lines and stock adjustments (numbered after the `n_invoices` sale invoices)."""
    n = max(8, int(lines * 0.006))
    host = sales.sample(n=n, random_state=int(rng.integers(1 << 30))).copy()
    codes = rng.choice(list(NON_PRODUCT_CODES), size=n, p=[0.55, 0.1, 0.15, 0.04, 0.06, 0.03, 0.02, 0.03, 0.02])
    host["StockCode"] = codes
    host["Description"] = [{"POST": "POSTAGE", "DOT": "DOTCOM POSTAGE", "M": "Manual", "D": "Discount",
                            "C2": "CARRIAGE", "BANK CHARGES": "Bank Charges", "AMAZONFEE": "AMAZON FEE",
                            "CRUK": "CRUK Commission", "PADS": "PADS TO MATCH ALL CUSHIONS"}[c] for c in codes]
    host["UnitPrice"] = [round(NON_PRODUCT_CODES[c] * float(rng.uniform(0.5, 1.5)), 2) or 0.001 for c in codes]
    host["Quantity"] = np.where(np.isin(codes, ["D", "CRUK"]), -1, 1)
    # Zero-price lines (free samples, missing descriptions) and negative stock adjustments.
    k = max(2, n // 6)
    zero = sales.sample(n=k, random_state=int(rng.integers(1 << 30))).copy()
    zero["UnitPrice"] = 0.0
    zero["Description"] = ""
    adj = sales.sample(n=k, random_state=int(rng.integers(1 << 30))).copy()
    adj["Quantity"] = -adj["Quantity"]
    adj["UnitPrice"] = 0.0
    adj["CustomerID"] = np.nan
    adj["Description"] = "damaged"
    adj["InvoiceNo"] = (536365 + n_invoices + np.arange(k)).astype(str)
    return pd.concat([host, zero, adj], ignore_index=True)


def write_transactions(df: pd.DataFrame, path: Path) -> Path:
    """transactions.csv in the UCI file's conventions: m/d/yyyy h:mm dates, prices without trailing zeros,
    CustomerID as a float."""
    out = df.copy()
    t = out["InvoiceDate"]
    out["InvoiceDate"] = (t.dt.month.astype(str) + "/" + t.dt.day.astype(str) + "/" + t.dt.year.astype(str) + " "
                          + t.dt.hour.astype(str) + ":" + t.dt.minute.map("{:02d}".format))
    out["UnitPrice"] = out["UnitPrice"].map(lambda v: f"{v:.3f}".rstrip("0").rstrip("."))
    out.to_csv(path, index=False)
    return path
