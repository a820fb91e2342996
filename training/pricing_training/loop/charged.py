"""What the ledger says a product was charged in a week, and whether that departs from the plan's price.

Two kinds of shop (docs/worlds.md): one that posts one price per product-week for every customer (its sale lines
carry that price), and one whose lines differ within a week (customer classes, coupon codes, trade tiers, quantity
breaks: invoice_prices.py). Which kind a shop is, is read off its training log (`one_price_shop`).

- One price: the week's price is its lines' median price; the plan was not followed when it is more than the
  tolerance away from the plan's.
- Invoice prices: a discount only lowers a line's price, so the week's highest line price is the lowest list price
  the lines allow, and a highest line above the plan's price proves a higher posted price. Below it proves little
  when the week has few lines: on the invoice retail world (26 loop weeks that followed the plan) 35% of
  product-weeks' highest line was over 3% below the posted price, nearly all weeks of 1-4 lines, and some weeks of
  8-9 lines had only discounted buyers (9 of 54,927 product-weeks at 800 and 4,000 products). So a week counts as
  posted lower only when it has MIN_LINES_BELOW lines or more, its highest line is below the plan's price and so is
  the posted price the training panel reads off them net of the buyers' usual discounts
  (invoice_prices.posted_and_discounts): none of those product-weeks. The price used is the higher of the two
  readings (the list price is at least the highest line).

A gap counts only beyond `tolerance` (relative) and a cent and a half (a plan's price rounds to the cent).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import invoice_prices

ONE_PRICE_SHARE = 0.95  # product-weeks of 2+ lines at one price (to the cent) for a one-price shop
MIN_LINES_BELOW = 10
CENT_SLACK = 0.015


def one_price_shop(lines: pd.DataFrame) -> bool:
    """Whether the shop's sale lines (clean lines: stockcode, invoice_date, unit_price) carry one price per product
    and Monday-to-Sunday week: at least ONE_PRICE_SHARE of the product-weeks with two or more lines do."""
    week = (lines["invoice_date"] - pd.to_timedelta(lines["invoice_date"].dt.day_of_week, unit="D")).dt.normalize()
    spread = lines.groupby([lines["stockcode"], week])["unit_price"].agg(["min", "max", "size"])
    several = spread[spread["size"] >= 2]
    if several.empty:
        return True
    return float(((several["max"] - several["min"]) < 0.005).mean()) >= ONE_PRICE_SHARE


def weekly_prices(lines: pd.DataFrame, first_monday: pd.Timestamp, weeks: int, stockcodes: np.ndarray,
                  one_price: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per week and product [T, P] each: the price the week's lines say was posted (module docstring: their median
    for a one-price shop; else the higher of their highest price and the panel's discount-corrected reading), the
    number of lines, and the highest line price; NaN and 0 without a line."""
    price, count = np.full((weeks, len(stockcodes)), np.nan), np.zeros((weeks, len(stockcodes)))
    highest = price.copy()
    column = pd.Series(np.arange(len(stockcodes)), index=stockcodes)
    known = lines[lines["stockcode"].isin(column.index)].reset_index(drop=True)
    if known.empty:
        return price, count, highest
    week = ((known["invoice_date"] - first_monday).dt.days // 7).to_numpy()
    key = [week, known["stockcode"].to_numpy()]
    grouped = known.groupby(key)["unit_price"]
    top = grouped.max()
    if one_price:
        read = grouped.median()
    else:
        posted, _, _ = invoice_prices.posted_and_discounts(
            known.assign(log_price=np.log(known["unit_price"].to_numpy(np.float64))), week)
        read = np.maximum(pd.Series(np.exp(posted)).groupby(key).first(), top)
    rows = top.index.get_level_values(0).to_numpy()
    cols = column[top.index.get_level_values(1)].to_numpy()
    price[rows, cols] = read.reindex(top.index).to_numpy()
    highest[rows, cols] = top.to_numpy()
    count[rows, cols] = grouped.size().to_numpy()
    return price, count, highest


def departed(charged: np.ndarray, lines: np.ndarray, highest: np.ndarray, planned: np.ndarray, one_price: bool,
             tolerance: float) -> np.ndarray:
    """[P] bool: the week's lines show a posted price other than the plan's (module docstring)."""
    seen = np.isfinite(charged) & (lines > 0)
    slack = np.maximum(tolerance * planned, CENT_SLACK)
    gap = np.where(seen, charged, planned) - planned
    if one_price:
        return seen & (np.abs(gap) > slack)
    top_gap = np.where(seen, highest, planned) - planned
    # Above: some buyer paid more than the plan's price. Below: enough lines, and both readings say so.
    return seen & ((top_gap > slack) | ((lines >= MIN_LINES_BELOW) & (top_gap < -slack) & (gap < -slack)))
