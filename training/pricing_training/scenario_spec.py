"""What a scenario of the evaluation matrix is: its demand form, confounding level, size, and the price
variation its shop carries (list-price process, trade prices, coupon codes, negotiated prices, quantity
breaks). The matrix itself is in `scenarios.py`; this module is the vocabulary the simulation reads.
"""

from __future__ import annotations

import dataclasses
import zlib

from .demand_truth import DEFAULT_CLASSES, FORMS, PriceClass
from .retail_log import END, START

CONFOUNDING = ("off", "moderate", "strong")
LIST_PRICE_PROCESSES = ("markup", "revisions")
N_WEEKS = (END - START).days // 7 + 1  # 54 weeks of 7 days from 2010-12-01; the last is partial
WHOLESALE_DISCOUNT = 0.80
QUANTITY_BREAKS = ((12, 0.90), (48, 0.80))  # (minimum line quantity, factor on the unit price)
# Codes a retail invoice may carry (share of off), each as likely; independent of demand.
COUPON_OFFS = (0.10, 0.15, 0.20, 0.30)
# Trade customers' negotiated tiers: (share of trade lines, price relative to the trade price). A deeper
# tier goes with a bigger account: its lines are factor^NEGOTIATED_SIZE_POWER times bigger at equal price.
NEGOTIATED_TIERS = ((0.30, 1.0625), (0.30, 1.0), (0.25, 0.9375), (0.15, 0.875))
NEGOTIATED_SIZE_POWER = -2.0

# Strength of the list-price process per level (the twin uses its original's level on fake drivers).
PRICE_LEVELS = {
    "moderate": {"markup": (0.10, 0.15), "shock": (0.25, 0.35), "promo_tilt": 0.8, "foresight": 0.0,
                 "clearance": False},
    "strong": {"markup": (0.25, 0.35), "shock": (0.50, 0.70), "promo_tilt": 2.0, "foresight": 0.5,
               "clearance": True},
}


@dataclasses.dataclass(frozen=True)
class Scenario:
    """One cell of the evaluation matrix. `price_variation` is the amplitude of the list-price process
    (default: that of `confounding`, "moderate" for "off"); `twin()` keeps it so the twin's prices vary as
    much as the original's.

    The shop's price variation: `list_prices` is the process of the posted list price ("markup": a weekly
    markup on the season and last week's demand with two revisions a year; "revisions": a real shop's step
    changes, a revision every 8-20 weeks, some products never, and short promotions). Within a week, trade
    customers pay `trade_discount` x list, `coupon_share` of retail lines carry a code (COUPON_OFFS),
    `negotiated` gives trade customers their own price tiers (NEGOTIATED_TIERS) and `quantity_breaks` lowers
    the unit price of big lines. With none of these every line of a product-week pays one posted price."""

    name: str
    demand_form: str  # "exponential" | "linear" | "logit" | "isoelastic" | "mixed"
    confounding: str  # "off" | "moderate" | "strong"
    lines: int = 60_000
    products: int = 300
    far_share: float = 0.5
    quantity_breaks: bool = False
    thin_share: float = 0.3
    price_variation: str | None = None
    list_prices: str = "markup"
    trade_discount: float = WHOLESALE_DISCOUNT
    coupon_share: float = 0.0
    negotiated: bool = False

    def __post_init__(self):
        if self.demand_form not in FORMS + ("mixed",):
            raise ValueError(f"scenario {self.name!r}: demand_form {self.demand_form!r} is not one of "
                             f"{', '.join(FORMS + ('mixed',))}")
        if self.confounding not in CONFOUNDING:
            raise ValueError(f"scenario {self.name!r}: confounding {self.confounding!r} is not one of "
                             f"{', '.join(CONFOUNDING)}")
        if self.price_variation is not None and self.price_variation not in PRICE_LEVELS:
            raise ValueError(f"scenario {self.name!r}: price_variation {self.price_variation!r} is not one of "
                             f"{', '.join(PRICE_LEVELS)}")
        if self.list_prices not in LIST_PRICE_PROCESSES:
            raise ValueError(f"scenario {self.name!r}: list_prices {self.list_prices!r} is not one of "
                             f"{', '.join(LIST_PRICE_PROCESSES)}")
        if self.products < 10 or self.lines < 40 * self.products:
            raise ValueError(f"scenario {self.name!r}: {self.lines} lines for {self.products} products is too few "
                             "(at least 10 products and 40 lines per product)")
        if not (0.0 <= self.far_share <= 1.0 and 0.0 <= self.thin_share < 1.0):
            raise ValueError(f"scenario {self.name!r}: far_share and thin_share must be shares")
        if not (0.0 < self.trade_discount <= 1.0 and 0.0 <= self.coupon_share <= 0.5):
            raise ValueError(f"scenario {self.name!r}: trade_discount must be in (0, 1] and coupon_share in [0, 0.5]")

    def variation(self) -> str:
        """The amplitude level of the list-price process."""
        if self.price_variation is not None:
            return self.price_variation
        return "moderate" if self.confounding == "off" else self.confounding

    def twin(self) -> Scenario:
        """The same scenario with exogenous prices of the same amplitude: same products, customers, shocks
        and noise for a given seed."""
        return dataclasses.replace(self, name=self.name + "-twin", confounding="off",
                                   price_variation=self.variation())

    def one_price_per_week(self) -> bool:
        """Whether every line of a product-week pays the same price (the posted list price)."""
        return (self.trade_discount == 1.0 and not self.quantity_breaks and self.coupon_share == 0.0
                and not self.negotiated)

    def price_classes(self) -> tuple[PriceClass, ...]:
        """The price classes of the shop's lines (demand_truth.PriceClass): the segment price, coupon codes
        on retail invoices, negotiated trade tiers."""
        if self.coupon_share == 0.0 and not self.negotiated:
            return DEFAULT_CLASSES
        retail = [PriceClass(0, "list", 1.0 - self.coupon_share, 1.0, 1.0)]
        if self.coupon_share > 0.0:
            retail += [PriceClass(0, "coupon", self.coupon_share / len(COUPON_OFFS), 1.0 - off, 1.0)
                       for off in COUPON_OFFS]
        trade = ([PriceClass(1, "negotiated", share, factor, factor ** NEGOTIATED_SIZE_POWER)
                  for share, factor in NEGOTIATED_TIERS] if self.negotiated else [DEFAULT_CLASSES[1]])
        return tuple(retail + trade)

    def structure_key(self) -> int:
        """What the twin shares: every field but the name and the price process (the shop's within-week
        price structure included; fields at their defaults leave the key of older scenarios unchanged)."""
        text = (f"{self.demand_form}|{self.lines}|{self.products}|{self.far_share!r}|{self.thin_share!r}|"
                f"{self.quantity_breaks}")
        extra = [(f.name, getattr(self, f.name)) for f in dataclasses.fields(self)
                 if f.name in ("list_prices", "trade_discount", "coupon_share", "negotiated")
                 and getattr(self, f.name) != f.default]
        if extra:
            text += "|" + "|".join(f"{k}={v!r}" for k, v in extra)
        return zlib.crc32(text.encode())
