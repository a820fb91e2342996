"""Cleaning: keep product sale lines, count every dropped row by the first rule it breaks."""

from __future__ import annotations

import logging
import re

import pandas as pd

log = logging.getLogger(__name__)

# Codes in the UCI file that are not products: postage, manual lines, discounts, fees, charges.
NON_PRODUCT_CODES = frozenset({"POST", "DOT", "M", "m", "D", "S", "B", "C2", "CRUK", "PADS", "BANK CHARGES",
                               "AMAZONFEE", "ADJUST", "ADJUST2", "TEST001", "TEST002"})
# Product codes are five digits with an optional letter suffix (85123A, 15056BL); anything else
# (gift vouchers "gift_0001_10", "DCGS0003") is not a catalogue product.
PRODUCT_CODE = re.compile(r"^\d{5}[A-Za-z]{0,2}$")

DROP_REASONS = ["cancellation", "non_product_code", "non_positive_quantity", "non_positive_price", "duplicate_line"]


def clean(df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Return (clean sale lines with snake_case columns and is_registered, dropped-row counts by reason).

    Rules in order; a row is counted under the first it breaks:
    cancellation (InvoiceNo starting with 'C'), non_product_code, non_positive_quantity,
    non_positive_price, duplicate_line (an exact repeat of an earlier line).
    """
    remaining = df
    dropped: dict[str, int] = {}
    rules = {
        "cancellation": lambda d: d["InvoiceNo"].str.upper().str.startswith("C"),
        "non_product_code": lambda d: d["StockCode"].isin(NON_PRODUCT_CODES) | ~d["StockCode"].str.match(PRODUCT_CODE),
        "non_positive_quantity": lambda d: d["Quantity"] <= 0,
        "non_positive_price": lambda d: ~(d["UnitPrice"] > 0),
        "duplicate_line": lambda d: d.duplicated(keep="first"),
    }
    for reason in DROP_REASONS:
        mask = rules[reason](remaining)
        dropped[reason] = int(mask.sum())
        remaining = remaining[~mask]
    out = pd.DataFrame({
        "invoice": remaining["InvoiceNo"].to_numpy(),
        "stockcode": remaining["StockCode"].str.upper().to_numpy(),
        "description": remaining["Description"].to_numpy(),
        "quantity": remaining["Quantity"].to_numpy(),
        "invoice_date": remaining["InvoiceDate"].to_numpy(),
        "unit_price": remaining["UnitPrice"].to_numpy(),
        "customer_id": remaining["CustomerID"].to_numpy(),
        "country": remaining["Country"].to_numpy(),
    })
    out["is_registered"] = out["customer_id"].notna().astype("int8")
    out = out.sort_values(["invoice_date", "invoice"], kind="stable").reset_index(drop=True)
    total = sum(dropped.values())
    log.info("cleaning kept %d of %d rows; dropped %d: %s", len(out), len(df), total,
             ", ".join(f"{k}={v}" for k, v in dropped.items()))
    return out, dropped
