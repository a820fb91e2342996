"""Price classes: who buys, what they pay relative to the posted list price, and how much per line.

A class is a kind of invoice: a retail shopper paying the list price, a shopper with a coupon code, a
trade customer on a negotiated tier, a wholesaler. Each class has its own share of shop traffic, its own
price multiplier (what it pays = list price x multiplier), its own price perception (trade buyers compare
against a lower reference, so the same list price looks dearer to them) and its own order size.

In the **weekly** variant every class pays the list price (one price per product-week for everyone); the
classes still differ in traffic, perception and order size. In the **invoice** variant the multipliers,
coupon codes and quantity breaks make one product's price vary from invoice to invoice within a week.
"""

from __future__ import annotations

import dataclasses

import numpy as np

VARIANTS = ("invoice", "weekly")


@dataclasses.dataclass(frozen=True)
class PriceClass:
    """One kind of invoice. `share` is of shop traffic before the price decides; `packs` the mean packs per line."""

    name: str
    segment: str            # retail | trade | wholesale: which customers' invoices these are
    share: float
    multiplier: float       # paid = list price x multiplier (before a quantity break)
    perception: float       # added to the log price the class's customers react to
    packs: float            # mean packs per line over the class's customers
    lines_per_invoice: float
    guest_share: float      # invoices without a CustomerID
    break_packs: int | None  # lines of at least this many packs pay `break_multiplier` more
    break_multiplier: float = 1.0


def price_classes(variant: str) -> list[PriceClass]:
    """The classes of a variant (see the module docstring)."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}: expected one of {', '.join(VARIANTS)}")
    invoice = variant == "invoice"

    def m(x: float) -> float:
        return x if invoice else 1.0

    return [
        PriceClass("retail", "retail", 0.46, 1.0, 0.0, 1.8, 7.0, 0.35, None),
        PriceClass("retail_code10", "retail", 0.07 if invoice else 0.0, m(0.90), 0.0, 1.8, 7.0, 0.2, None),
        PriceClass("retail_code20", "retail", 0.04 if invoice else 0.0, m(0.80), 0.0, 2.0, 7.0, 0.2, None),
        PriceClass("trade_tier1", "trade", 0.24, m(0.93), 0.08, 4.5, 18.0, 0.0, 12 if invoice else None, m(0.92)),
        PriceClass("trade_tier2", "trade", 0.15, m(0.85), 0.10, 8.0, 22.0, 0.0, 12 if invoice else None, m(0.92)),
        PriceClass("wholesale", "wholesale", 0.04, m(0.75), 0.18, 20.0, 30.0, 0.0, 24 if invoice else None, m(0.90)),
    ]


def active(classes: list[PriceClass]) -> list[PriceClass]:
    """The classes with traffic (the weekly variant has no coupon classes)."""
    return [c for c in classes if c.share > 0]


NB_DISPERSION = 1.5  # packs per line beyond the first: negative binomial with this shape (heavy like real logs)


def packs_pmf(extra_mean: np.ndarray, kmax: int) -> np.ndarray:
    """P(extra packs = j), j = 0..kmax-1, for each mean in `extra_mean` (rows): negative binomial, shape
    NB_DISPERSION (numpy's parametrization), by the recurrence pmf(j) = pmf(j-1) (j-1+r)/j (1-p)."""
    r = NB_DISPERSION
    mean = np.maximum(np.asarray(extra_mean, dtype=np.float64), 1e-9)
    p = r / (r + mean)
    j = np.arange(1, kmax)
    log_steps = np.log((j - 1 + r) / j)[None, :] + np.log1p(-p)[:, None]
    log_pmf = np.concatenate([(r * np.log(p))[:, None], r * np.log(p)[:, None] + np.cumsum(log_steps, axis=1)], axis=1)
    return np.exp(log_pmf)


def break_factor(cls: PriceClass, size_multipliers: np.ndarray, activity: np.ndarray) -> float:
    """E[packs x price factor] / E[packs] over the class's lines: the share of list revenue a quantity break keeps.

    Exact over the class's customers (activity-weighted) and the negative-binomial pack counts, so the truth's
    revenue matches what the lines pay.
    """
    if cls.break_packs is None or cls.break_multiplier == 1.0 or len(size_multipliers) == 0:
        return 1.0
    w = activity / activity.sum()
    kmax = 1500
    pmf = packs_pmf((cls.packs - 1.0) * size_multipliers, kmax)
    packs = 1 + np.arange(kmax)
    factor = np.where(packs >= cls.break_packs, cls.break_multiplier, 1.0)
    num = (pmf * packs * factor).sum(axis=1)
    den = (pmf * packs).sum(axis=1)
    return float((w * num).sum() / (w * den).sum())
