"""The one function that turns a candidate unit price into every price-dependent model input.

Training builds its price features with it, the evaluation sweep rebuilds them with it at each candidate
price, and its parameters (`PRICE_FEATURES`) are written into the manifest so the Swift service
recomputes exactly the same values. The reference article swept only the raw price and left the derived
price features at their historical values; `stale_price_features` reproduces that mistake for the
report's comparison and nothing else.

Each spec is one of
- ``identity``: the price itself,
- ``log``: the natural logarithm of the price (the C library's ``log``; the price is always > 0),
- ``ratio``: price / stat, where stat is a column of the context row; NaN when the stat is missing,
  non-finite or <= 0 (the preprocessor then imputes it).
All arithmetic is IEEE float64; the result is cast to float32 only by the preprocessor.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

# The C library's log, element by element: NumPy's vectorized log may differ from it in the last bit,
# and the Swift service calls the C library, so this keeps the two bit-identical.
_libm_log = np.frompyfunc(lambda x: math.log(x) if x > 0 else math.nan, 1, 1)

PRICE_FEATURES: list[dict[str, str]] = [
    {"name": "unit_price", "op": "identity"},
    {"name": "log_unit_price", "op": "log"},
    {"name": "price_vs_hist_mean", "op": "ratio", "stat": "prod_hist_mean_price"},
    {"name": "price_vs_last", "op": "ratio", "stat": "prod_last_price"},
    {"name": "price_vs_hist_max", "op": "ratio", "stat": "prod_hist_max_price"},
]
PRICE_FEATURE_NAMES = [spec["name"] for spec in PRICE_FEATURES]
PRICE_STATS = [spec["stat"] for spec in PRICE_FEATURES if spec["op"] == "ratio"]


def price_features(price: np.ndarray | float, stats: Mapping[str, np.ndarray],
                   specs: list[dict[str, str]] = PRICE_FEATURES) -> dict[str, np.ndarray]:
    """Every price feature at `price` for context rows with the given stats (arrays broadcast)."""
    p = np.asarray(price, dtype=np.float64)
    out: dict[str, np.ndarray] = {}
    for spec in specs:
        op = spec["op"]
        if op == "identity":
            out[spec["name"]] = p * 1.0
        elif op == "log":
            out[spec["name"]] = np.asarray(_libm_log(p), dtype=np.float64)
        elif op == "ratio":
            s = np.asarray(stats[spec["stat"]], dtype=np.float64)
            ok = np.isfinite(s) & (s > 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                out[spec["name"]] = np.where(ok, p / np.where(ok, s, 1.0), np.nan)
        else:
            raise ValueError(f"unknown price feature op {op!r} in {spec}")
    return out
