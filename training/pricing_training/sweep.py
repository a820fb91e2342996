"""The price sweep the service performs, in Python, for the pricing-quality evaluation.

For one product: its context rows x B candidate prices; every price feature recomputed at each
candidate price (or, for the article's method, only `unit_price` replaced and the derived price
features left stale); quantity = max(expm1(prediction), 0); per price the median over context rows,
and sales = price x median quantity. The recommendation is the candidate with the highest sales.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pandas as pd

from .price_features import PRICE_FEATURES, price_features


@dataclasses.dataclass
class SweepResult:
    prices: np.ndarray
    quantity: np.ndarray  # median over context rows
    quantity_min: np.ndarray
    quantity_max: np.ndarray
    sales: np.ndarray

    @property
    def best(self) -> int:
        return int(np.argmax(self.sales))


def price_grid(lo: float, hi: float, bins: int) -> np.ndarray:
    return np.linspace(lo, hi, bins)


def sweep_frame(context: pd.DataFrame, prices: np.ndarray, stale: bool = False) -> pd.DataFrame:
    """Context rows crossed with prices, price-major: row k * n_context + r is price k, context r."""
    n, b = len(context), len(prices)
    frame = context.iloc[np.tile(np.arange(n), b)].reset_index(drop=True)
    p = np.repeat(prices, n)
    if stale:
        frame["unit_price"] = p  # the article's mistake: derived price features keep historical values
    else:
        stats = {spec["stat"]: frame[spec["stat"]].to_numpy() for spec in PRICE_FEATURES if spec["op"] == "ratio"}
        for name, values in price_features(p, stats).items():
            frame[name] = values
    return frame


def sweep(predict_log_quantity: Callable[[pd.DataFrame], np.ndarray], context: pd.DataFrame, prices: np.ndarray,
          stale: bool = False) -> SweepResult:
    frame = sweep_frame(context, prices, stale)
    q = np.maximum(np.expm1(np.asarray(predict_log_quantity(frame), np.float64)), 0.0).reshape(len(prices), len(context))
    median = np.median(q, axis=1)
    return SweepResult(prices, median, q.min(axis=1), q.max(axis=1), prices * median)
