"""Product features read from a product's description, shared by the weekly panel (weekly.py: the product's
category) and the line-level baseline (line_baseline.py: a categorical input)."""

from __future__ import annotations

import pandas as pd


def description_keyword(desc: pd.Series) -> pd.Series:
    """Last alphabetic word of the description, upper-case ("... T-LIGHT HOLDER" -> "HOLDER"): a
    low-cardinality product type that exists in real UCI descriptions too. Empty -> missing."""
    words = desc.fillna("").astype(str).str.upper().str.findall(r"[A-Z]+")
    return words.map(lambda w: w[-1] if w else None)
