"""The retailer's catalogue as the weekly update reads it: the posted list prices to test around.

The same CSV the service's repricing run takes (`pricing-server recommend --catalogue`, Sources/ArtifactFormats/
Catalogue.swift): a header naming `stockcode` and optionally `current_price`, `unit_cost`, `floor`, `ceiling`;
only `stockcode` and `current_price` are read here. Without a catalogue, or for a product it does not price, the
list price is the training panel's current price (scale 1). Unlike the service, which skips a bad line, a bad line
here refuses the file (line and column named): a plan is not made from half a price list.
"""

from __future__ import annotations

import csv
import dataclasses
import math
from pathlib import Path

import numpy as np

COLUMNS = ("stockcode", "current_price", "unit_cost", "floor", "ceiling")


class CatalogueError(ValueError):
    """A catalogue that cannot be used; the message names the file, line and column."""


def read_prices(path: Path) -> dict[str, float]:
    """stockcode -> current_price of every line that gives one."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CatalogueError(f"{path}: cannot read the catalogue ({exc})") from None
    if not rows:
        raise CatalogueError(f"{path}: empty; expected a header line with the columns {', '.join(COLUMNS)}")
    header = [h.strip().lower() for h in rows[0]]
    for i, name in enumerate(header):
        if name not in COLUMNS:
            raise CatalogueError(f"{path}: line 1, column {i + 1} ({rows[0][i]!r}): unknown column; expected "
                                 f"{', '.join(COLUMNS)}")
    if "stockcode" not in header:
        raise CatalogueError(f"{path}: line 1: no stockcode column")
    code_at = header.index("stockcode")
    price_at = header.index("current_price") if "current_price" in header else None
    prices: dict[str, float] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(field.strip() for field in row):
            continue
        if len(row) != len(header):
            raise CatalogueError(f"{path}: line {line}: {len(row)} fields, the header has {len(header)}")
        code = row[code_at].strip()
        if not code:
            raise CatalogueError(f"{path}: line {line}, column {code_at + 1}: stockcode is empty")
        if code in prices:
            raise CatalogueError(f"{path}: line {line}: stockcode {code} is listed twice")
        text = row[price_at].strip() if price_at is not None else ""
        if text:
            try:
                price = float(text)
            except ValueError:
                price = math.nan
            if not (math.isfinite(price) and price > 0):
                raise CatalogueError(f"{path}: line {line}, column {price_at + 1}: current_price {text!r} is not a "
                                     "price above 0")
            prices[code] = price
    return prices


def with_list_prices(ls, prices: dict[str, float]):
    """The weekly update's starting point (weekly_update.LogStart) with the catalogue's list prices: each priced
    product's `list_prices` is the catalogue's and its `scale` list / panel current price."""
    start = ls.start
    given = np.array([prices.get(str(c), np.nan) for c in start.stockcodes])
    listed = np.where(np.isfinite(given), given, ls.list_prices)
    scale = np.where(np.isfinite(given), given / ls.list_prices * start.scale, start.scale)
    return dataclasses.replace(ls, start=dataclasses.replace(start, scale=scale), list_prices=listed)
