"""How the reports (a version's report.md, the evaluation's report.md) write numbers."""

from __future__ import annotations

import math


def pct(v) -> str:
    """A share as a percentage with one decimal; "–" when there is none (None, NaN, infinite)."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    return f"{100.0 * v:.1f}%"
