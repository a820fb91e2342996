"""Turn a week's drawn line counts into invoice lines in the UCI Online Retail schema.

Lines of one class are grouped into invoices (one customer, one day and time each); each line's packs
follow the invoice customer's order size; the price paid is the posted list price times the class's
multiplier, times the quantity break's factor on big trade lines. A few lines are what real logs carry
besides sales: postage on foreign orders, manual lines, and cancellations (invoice numbers starting with C,
negative quantities of an earlier line). Those are returns or charges, not demand: the truth counts the
sale lines.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import calendar
from .catalog import Catalog
from .classes import NB_DISPERSION

COLUMNS = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]
CANCEL_SHARE = 0.025     # of registered invoices, one or two lines returned
POSTAGE_SHARE = 0.55     # of foreign invoices
MANUAL_SHARE = 0.002     # of invoices


class InvoiceNumbers:
    """Six-digit invoice numbers in order, from the UCI log's first."""

    def __init__(self, first: int = 536365):
        self.next = first

    def take(self, n: int) -> np.ndarray:
        out = np.arange(self.next, self.next + n)
        self.next += n
        return out


def empty() -> pd.DataFrame:
    """A week without sales (the Christmas closure), with the columns' types."""
    return pd.DataFrame({c: [] for c in COLUMNS}).astype({
        "InvoiceNo": object, "StockCode": object, "Description": object, "Quantity": np.int64,
        "InvoiceDate": "datetime64[ns]", "UnitPrice": float, "CustomerID": float, "Country": object})


def materialize(cat: Catalog, counts: np.ndarray, list_prices: np.ndarray, t: int, rng: np.random.Generator,
                numbers: InvoiceNumbers) -> pd.DataFrame:
    """The week's lines: counts[i, k] sale lines of product i in class k at posted `list_prices`."""
    days = calendar.open_days(t)
    if not days or counts.sum() == 0:
        return empty()
    day_w = np.array([calendar.WEEKDAY_WEIGHT[d.weekday()] for d in days])
    day_w /= day_w.sum()
    products = cat.products
    pack = products["pack"].to_numpy()
    cust_size = cat.customers["size"].to_numpy()
    cust_id = cat.customers["customer_id"].to_numpy()
    cust_country = cat.customers["country"].to_numpy()
    frames = []
    for k, cls in enumerate(cat.classes):
        n = int(counts[:, k].sum())
        if n == 0:
            continue
        prod = rng.permutation(np.repeat(np.arange(len(pack)), counts[:, k]))
        # Invoice sizes: 1 + geometric, cut so they hold exactly n lines.
        sizes = 1 + rng.geometric(1.0 / cls.lines_per_invoice, size=n)
        ends = np.cumsum(sizes)
        n_inv = int(np.searchsorted(ends, n) + 1)
        inv_of_line = np.searchsorted(ends[:n_inv], np.arange(n), side="right")
        # Invoice customers: guests or registered customers of the class, by activity.
        guest = rng.random(n_inv) < cls.guest_share
        pool, act = cat.class_customers[k], cat.class_activity[k]
        who = pool[rng.choice(len(pool), size=n_inv, p=act)]
        size = np.where(guest, 1.0, cust_size[who])
        cid = np.where(guest, np.nan, cust_id[who])
        country = np.where(guest, np.where(rng.random(n_inv) < 0.93, "United Kingdom", "EIRE"), cust_country[who])
        day = rng.choice(len(days), size=n_inv, p=day_w)
        minutes = rng.integers(7 * 60 + 30, 19 * 60 + 30, size=n_inv)
        when = (np.array(days, dtype="datetime64[ns]")[day]
                + (minutes * 60_000_000_000).astype("timedelta64[ns]"))
        numbers_k = numbers.take(n_inv)
        # Packs per line: 1 + negative binomial around the customer's order size.
        mean_extra = (cls.packs - 1.0) * size[inv_of_line]
        extra = rng.negative_binomial(NB_DISPERSION, NB_DISPERSION / (NB_DISPERSION + np.maximum(mean_extra, 1e-9)))
        packs = 1 + extra
        price = list_prices[prod] * cls.multiplier
        if cls.break_packs is not None:
            price = np.where(packs >= cls.break_packs, price * cls.break_multiplier, price)
        frames.append(pd.DataFrame({
            "InvoiceNo": numbers_k[inv_of_line].astype(str), "StockCode": products["stockcode"].to_numpy()[prod],
            "Description": products["description"].to_numpy()[prod], "Quantity": packs * pack[prod],
            "InvoiceDate": when[inv_of_line], "UnitPrice": np.maximum(np.round(price, 2), 0.01),
            "CustomerID": cid[inv_of_line], "Country": country[inv_of_line],
        }))
    sales = pd.concat(frames, ignore_index=True)
    return pd.concat([sales, _extras(sales, rng, numbers)], ignore_index=True).sort_values(
        ["InvoiceDate", "InvoiceNo"], kind="stable").reset_index(drop=True)


def _extras(sales: pd.DataFrame, rng: np.random.Generator, numbers: InvoiceNumbers) -> pd.DataFrame:
    """Postage, manual lines and cancellations, sparingly, as real logs have them."""
    invoices = sales.drop_duplicates("InvoiceNo")
    parts = []
    foreign = invoices[(invoices["Country"] != "United Kingdom") & (rng.random(len(invoices)) < POSTAGE_SHARE)]
    if len(foreign):
        parts.append(foreign.assign(StockCode="POST", Description="POSTAGE",
                                    Quantity=rng.integers(1, 4, len(foreign)),
                                    UnitPrice=rng.choice([18.0, 28.0, 40.0], len(foreign))))
    manual = invoices[rng.random(len(invoices)) < MANUAL_SHARE]
    if len(manual):
        parts.append(manual.assign(StockCode="M", Description="Manual", Quantity=1,
                                   UnitPrice=np.round(rng.uniform(0.5, 30.0, len(manual)), 2)))
    registered = sales[sales["CustomerID"].notna()]
    chosen = registered["InvoiceNo"].drop_duplicates()
    chosen = chosen[rng.random(len(chosen)) < CANCEL_SHARE]
    if len(chosen):
        returned = registered[registered["InvoiceNo"].isin(set(chosen))].groupby("InvoiceNo").head(2).copy()
        new_no = dict(zip(chosen, numbers.take(len(chosen))))
        returned["InvoiceNo"] = "C" + returned["InvoiceNo"].map(new_no).astype(str)
        returned["Quantity"] = -np.maximum(1, (returned["Quantity"].to_numpy() * rng.uniform(0.3, 1.0, len(returned)))
                                           .astype(np.int64))
        returned["InvoiceDate"] = returned["InvoiceDate"] + pd.to_timedelta(rng.integers(30, 600, len(returned)), "min")
        parts.append(returned)
    if not parts:
        return sales.iloc[:0]
    return pd.concat(parts, ignore_index=True)[COLUMNS]
