"""What each sale line's invoice paid relative to the posted list price (its discount), and the posted price.

In a retail log one product's unit price differs between invoices of the same week: a coupon code discounts
every line of its invoice, a trade customer's negotiated tier every line of that customer's invoices, and a
quantity break the line that crosses it. The first two act on the whole invoice, the last on one big line.
So the discount a line's buyer faced is read off its **invoice**: the median, over the invoice's small lines
(at most the product's median line quantity, as a break only lowers the price of a big line; all its lines
when none is small), of each line's log price minus its product-week's posted log price. The line's own quantity then does not set it.

An invoice of fewer than MIN_INVOICE_LINES lines says too little about itself: its lines take the customer's
usual discount (the median of the customer's invoices' discounts; 0 for guests). The posted price of a
product-week is the median, over its small lines (all its lines when it has none), of the log price net of
the line's discount. Posted prices and discounts are solved together by a few rounds of fixed-point
iteration from the week's highest line price: a discount only lowers a price, so the list price is at the top
of the week's prices. (From the plain median, which sits among the discounted lines, the iteration needs
dozens of rounds: on an invoice-level world after 4 rounds 30% of the lines' discounts were still off by over
1%, all too shallow, and 31% of product-weeks' posted prices read over 1% low; from the top, after 8 rounds,
6.5% and 11%.)

Discounts are relative: shifting every discount and every posted price by the same amount changes nothing
observable. The anchor is the guests (no customer id), who mostly pay the list price: the median discount of
the guests' invoices is 0. Without enough guest invoices, discounts are only clipped at 0 (nobody pays above
list), as a customer-level correction would be.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MIN_INVOICE_LINES = 3
MIN_GUEST_INVOICES = 20
ROUNDS = 8
# The deepest discount believed (a log ratio); deeper readings are noise or data errors.
MAX_DISCOUNT = 0.7


def _median_preferring(groups: np.ndarray, values: np.ndarray, preferred: np.ndarray) -> np.ndarray:
    """Per row: the median of `values` over its group's `preferred` (small) rows, or over the whole group when
    it has none. (The upper quartile there, since a break only lowers a price, was measured worse on the
    scenarios: 5.4% of lines' discounts wrong by over 2% against 2.4%.)"""
    frame = pd.DataFrame({"g": groups, "v": values})
    overall = frame.groupby("g")["v"].transform("median")
    chosen = frame[preferred].groupby("g")["v"].median()
    picked = pd.Series(groups).map(chosen).to_numpy()
    return np.where(np.isfinite(picked), picked, overall.to_numpy())


def _discounts(invoice: np.ndarray, customer: np.ndarray, small: np.ndarray, dev: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Per line: (the line's discount, its customer's usual discount), from `dev` = log price − posted."""
    registered = np.isfinite(customer)
    inv_d = _median_preferring(invoice, dev, small)
    read = np.bincount(invoice)[invoice] >= MIN_INVOICE_LINES
    first = np.zeros(len(invoice), bool)
    first[np.unique(invoice, return_index=True)[1]] = True
    guests = read & ~registered & first
    shift = float(np.median(inv_d[guests])) if guests.sum() >= MIN_GUEST_INVOICES else 0.0
    inv_d = np.clip(inv_d - shift, -MAX_DISCOUNT, 0.0)
    cust = np.zeros(len(invoice))
    if registered.any():
        # Over the customer's invoices' discounts where they are read (not its lines' own prices, which
        # quantity breaks lower), so that a code stands out against the customer's usual discount.
        usual = np.where(read, inv_d, np.clip(dev - shift, -MAX_DISCOUNT, 0.0))[registered]
        ids = customer[registered]
        cust[registered] = pd.Series(ids).map(pd.Series(usual).groupby(ids).median()).to_numpy()
    return np.where(read, inv_d, cust), cust


def posted_and_discounts(lines: pd.DataFrame, week: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per line of `lines` (columns stockcode, invoice, customer_id, quantity, log_price) in product-week
    (stockcode, `week`): (its product-week's posted log price, the line's discount, its customer's usual
    discount); discounts are <= 0."""
    product_week = pd.factorize(pd.MultiIndex.from_arrays([lines["stockcode"].to_numpy(), np.asarray(week)]))[0]
    invoice = pd.factorize(lines["invoice"])[0]
    customer = pd.to_numeric(lines["customer_id"], errors="coerce").to_numpy(np.float64)
    quantity = lines["quantity"].to_numpy(np.float64)
    small = quantity <= lines.groupby("stockcode")["quantity"].transform("median").to_numpy(np.float64)
    log_price = lines["log_price"].to_numpy(np.float64)
    posted = pd.Series(log_price).groupby(product_week).transform("max").to_numpy()
    line_d = cust = np.zeros(len(lines))
    for _ in range(ROUNDS):
        line_d, cust = _discounts(invoice, customer, small, log_price - posted)
        posted = _median_preferring(product_week, log_price - line_d, small)
    return posted, line_d, cust


# The count correction (sparse_week_bias): weeks with at least this many lines are read as exact and lend
# their lines to the subsamples; weeks of fewer than MAX_CORRECTED_LINES lines are corrected.
EXACT_WEEK_LINES = 10
MAX_CORRECTED_LINES = 8
SUBSAMPLES = 3
MAX_EXACT_WEEKS = 3000  # a seeded sample of the exact weeks is plenty (the bias is a shop-wide figure)
# A bias smaller than this (in log price) is rounding, not codes: it is not applied, so a shop whose lines all
# pay one price per week keeps its posted prices exactly.
MIN_BIAS = 1e-4


def sparse_week_bias(lines: pd.DataFrame, week: np.ndarray, posted: np.ndarray, line_discount: np.ndarray,
                     seed: int = 0) -> dict[int, float]:
    """How far, on average, a product-week's posted price reads below the true one when the week has n lines,
    for n = 1 .. MAX_CORRECTED_LINES − 1 (0 beyond, and wherever it is below MIN_BIAS).

    A short invoice's code cannot be read off the invoice (it takes the customer's usual discount, 0 for a
    guest), so a week of one or two lines reads low whenever one of them carries a code, and a busy week's
    median is not moved by it. The error then depends on the week's number of orders, the very outcome the
    orders part regresses on the price: fewer orders, lower measured price, a spurious positive price effect
    that halved the orders response on the unconfounded twin (docs/price-response.md). The bias is measured
    from the data: subsamples of n lines of the busy weeks (EXACT_WEEK_LINES or more, whose median is
    exact), each read as the posted price is read (the median of the subsample's small lines net of their
    discount), against the busy week's posted price. `lines` has stockcode and quantity; `week`, `posted`
    and `line_discount` are per line (posted_and_discounts)."""
    product_week = pd.factorize(pd.MultiIndex.from_arrays([lines["stockcode"].to_numpy(), np.asarray(week)]))[0]
    quantity = lines["quantity"].to_numpy(np.float64)
    small = quantity <= lines.groupby("stockcode")["quantity"].transform("median").to_numpy(np.float64)
    corrected = lines["log_price"].to_numpy(np.float64) - line_discount
    order = np.argsort(product_week, kind="stable")
    counts = np.bincount(product_week)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    busy = np.flatnonzero(counts >= EXACT_WEEK_LINES)
    rng = np.random.default_rng(seed)
    if len(busy) > MAX_EXACT_WEEKS:
        busy = rng.choice(busy, MAX_EXACT_WEEKS, replace=False)
    errors: dict[int, list[float]] = {n: [] for n in range(1, MAX_CORRECTED_LINES)}
    for g in busy:
        idx = order[starts[g]:starts[g] + counts[g]]
        value, is_small, exact = corrected[idx], small[idx], posted[idx[0]]
        for n in errors:
            for _ in range(SUBSAMPLES):
                pick = rng.choice(len(idx), n, replace=False)
                chosen = value[pick][is_small[pick]] if is_small[pick].any() else value[pick]
                errors[n].append(float(np.median(chosen)) - exact)
    if not len(busy):
        return {}
    means = {n: float(np.mean(e)) for n, e in errors.items()}
    return {n: b for n, b in means.items() if abs(b) >= MIN_BIAS}
