"""Cleaning keeps product sale lines and counts every dropped row under one reason."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pricing_training.cleaning import DROP_REASONS, clean


def frame(rows):
    df = pd.DataFrame(rows, columns=["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
                                     "CustomerID", "Country"])
    df["InvoiceDate"] = pd.to_datetime(df["InvoiceDate"])
    return df


def test_counts_each_dropped_row_by_its_first_reason():
    t = "2011-01-05 10:00"
    df = frame([
        ["536365", "85123A", "HOLDER", 6, t, 2.55, 17850.0, "United Kingdom"],   # kept
        ["536365", "85123A", "HOLDER", 6, t, 2.55, 17850.0, "United Kingdom"],   # duplicate_line
        ["536366", "71053", "LANTERN", 6, t, 3.39, np.nan, "France"],           # kept, guest
        ["C536367", "71053", "LANTERN", -2, t, 3.39, 12583.0, "France"],        # cancellation
        ["536368", "POST", "POSTAGE", 1, t, 18.0, 12583.0, "France"],           # non_product_code
        ["536368", "gift_0001_10", "voucher", 1, t, 8.5, 12583.0, "France"],    # non_product_code
        ["536369", "22633", "HAND WARMER", -4, t, 0.0, np.nan, "France"],       # non_positive_quantity
        ["536370", "22633", "HAND WARMER", 4, t, 0.0, np.nan, "France"],        # non_positive_price
    ])
    out, dropped = clean(df)
    assert list(dropped) == DROP_REASONS
    assert dropped == {"cancellation": 1, "non_product_code": 2, "non_positive_quantity": 1,
                       "non_positive_price": 1, "duplicate_line": 1}
    assert len(out) + sum(dropped.values()) == len(df)
    assert out["stockcode"].tolist() == ["85123A", "71053"]
    assert out["is_registered"].tolist() == [1, 0]
    assert (out["quantity"] > 0).all() and (out["unit_price"] > 0).all()
