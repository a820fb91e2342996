"""The invoice's discount and the posted price (invoice_prices.py), on hand-built lines whose answer is known:
guests at list, coupon invoices, a trade customer on a tier, quantity breaks on big lines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pricing_training import invoice_prices

PRODUCTS = {f"P{k}": 1.0 + 0.37 * k for k in range(8)}  # list prices (exact in logs; rounding is not the point)


def _shop(rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    """Four weeks; each week 30 guest invoices at list, 6 coupon invoices at 80%, and 6 invoices of trade
    customer 900 at 85%, whose lines of 12 or more units pay 90% of that (a break): two of five lines break,
    and in one invoice a week no line is small. Every invoice has 5 lines of distinct products.
    The list price of P0 rises 20% in week 2. Returns (lines, each line's true discount)."""
    rows, truth = [], []
    invoice = 0
    for week in range(4):
        for kind, count in (("guest", 30), ("coupon", 6), ("trade", 6)):
            for k in range(count):
                invoice += 1
                trade_sizes = rng.permutation([6, 24, 6, 24, 6] if k == 0 else [2, 24, 6, 24, 3])
                for j, code in enumerate(rng.choice(list(PRODUCTS), size=5, replace=False)):
                    price = PRODUCTS[code] * (1.2 if code == "P0" and week >= 2 else 1.0)
                    quantity = int(rng.integers(1, 4)) if kind != "trade" else int(trade_sizes[j])
                    factor = {"guest": 1.0, "coupon": 0.8, "trade": 0.85}[kind]
                    paid = price * factor * (0.9 if kind == "trade" and quantity >= 12 else 1.0)
                    rows.append({"stockcode": code, "invoice": str(invoice), "week": week, "quantity": quantity,
                                 "customer_id": 900.0 if kind == "trade" else np.nan, "log_price": np.log(paid),
                                 "list": np.log(price)})
                    truth.append(np.log(factor))
    return pd.DataFrame(rows), np.array(truth)


def test_discounts_are_read_off_the_invoice_and_breaks_do_not_set_them():
    lines, truth = _shop(np.random.default_rng(3))
    posted, discount, usual = invoice_prices.posted_and_discounts(lines, lines["week"].to_numpy())
    # Every line's discount is its invoice's (a break line's too: its own price is 10% lower still).
    np.testing.assert_allclose(discount, truth, atol=1e-9)
    # The posted price is the list price in every product-week, P0's revision included.
    np.testing.assert_allclose(posted, lines["list"], atol=1e-9)
    # The trade customer's usual discount is its tier; guests have none.
    trade = lines["customer_id"].notna().to_numpy()
    np.testing.assert_allclose(usual[trade], np.log(0.85), atol=1e-9)
    assert (usual[~trade] == 0).all()


def test_a_small_invoice_takes_its_customers_usual_discount():
    """A one-line invoice of the trade customer, in a week of its own: its line cannot say what its invoice paid,
    so the customer's usual discount (its tier) applies and the posted price stays the list price."""
    lines, _ = _shop(np.random.default_rng(4))
    extra = pd.DataFrame([{"stockcode": "P3", "invoice": "single", "week": 4, "quantity": 2, "customer_id": 900.0,
                           "log_price": np.log(PRODUCTS["P3"] * 0.85), "list": np.log(PRODUCTS["P3"])}])
    lines = pd.concat([lines, extra], ignore_index=True)
    posted, discount, _ = invoice_prices.posted_and_discounts(lines, lines["week"].to_numpy())
    assert discount[-1] == pytest.approx(np.log(0.85), abs=1e-9)
    assert posted[-1] == pytest.approx(np.log(PRODUCTS["P3"]), abs=1e-9)
