"""The posted price of a week with few lines reads low when a short invoice carries a code nobody can see
(invoice_prices.sparse_week_bias): the bias is measured on busy weeks and falls with the week's lines."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pricing_training import invoice_prices


def _busy_weeks(rng: np.random.Generator, weeks: int = 40, lines_per_week: int = 20, code_share: float = 0.2,
                off: float = 0.2) -> pd.DataFrame:
    """One product, list price 2.0; every line is a one-line guest invoice, `code_share` of them with a code
    `off` below list (unreadable: the invoice is too short)."""
    rows = []
    for week in range(weeks):
        for k in range(lines_per_week):
            coded = rng.random() < code_share
            rows.append({"stockcode": "P", "invoice": f"{week}-{k}", "customer_id": np.nan, "quantity": 1,
                         "week": week, "log_price": np.log(2.0 * (1.0 - off if coded else 1.0))})
    return pd.DataFrame(rows)


def test_a_one_line_week_reads_low_by_the_share_of_unseen_codes():
    lines = _busy_weeks(np.random.default_rng(5))
    posted, discount, _ = invoice_prices.posted_and_discounts(lines, lines["week"].to_numpy())
    np.testing.assert_allclose(posted, np.log(2.0), atol=1e-12)  # a busy week's median is the list price
    bias = invoice_prices.sparse_week_bias(lines, lines["week"].to_numpy(), posted, discount)
    # One line: a code with probability 0.2, so the expected reading is 0.2 * ln(0.8) below list.
    assert abs(bias[1] - 0.2 * np.log(0.8)) < 0.015
    # More lines, a smaller bias (the median of three lines is coded only when two of them are).
    assert bias[1] < bias[3] < 0.0 and abs(bias[7]) < 0.01
    assert set(bias) <= set(range(1, invoice_prices.MAX_CORRECTED_LINES)) and {1, 2, 3} <= set(bias)


def test_without_busy_weeks_nothing_is_corrected():
    lines = _busy_weeks(np.random.default_rng(6), lines_per_week=3)
    posted, discount, _ = invoice_prices.posted_and_discounts(lines, lines["week"].to_numpy())
    assert invoice_prices.sparse_week_bias(lines, lines["week"].to_numpy(), posted, discount) == {}
