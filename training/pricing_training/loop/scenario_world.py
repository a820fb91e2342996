"""The scenario matrix (pricing_training.scenarios) behind the loop's world protocol (world.py).

A scenario's training year is `scenarios.generate(scenario, seed)` exactly; the loop's weeks continue the
same generative process after it (docs/scenario-worlds.md):

- calendar: loop week t is the generator's week 54 + t (weeks of 7 days from 2010-12-01, a Wednesday, the
  weekday its list prices change on), so loop week 0 starts on 2011-12-14, after the log's last day; the shop
  keeps its trading days (no Saturdays, closed 24 December to 3 January);
- demand: the same curves (demand_truth: parameters, price classes, quantity breaks) x the product's season of
  that time of year (its season exponent over the week's trading days, normalized as over the training year)
  x the AR(1) demand shock continuing from the year's last shock;
- invoices: drawn as the year's were (per price class, from the expected lines at the base price, by the
  week's trading volume, the year's customers and guests), numbered after the log's last invoice;
- lines: `shop_invoices.sale_lines` at the loop's posted list price, one price per product-week for every
  customer; each price class keeps the terms the scenario gives it off that list price (trade discount,
  coupon codes, negotiated tiers, quantity breaks), as through the year; plus the year's cancellations and
  non-product lines at the same rates.

Every draw of loop week t comes from its own stream keyed by (seed, the scenario's structure, t), and the
line noise is counter-based (scenario_noise), so a week's lines depend only on the week and its prices:
`copy()` gives identical futures and policies selling on copies share their noise where their prices agree.
`expected_revenue(prices, week)` is the truth at that week's demand factor (season x shock), which is what
the week's lines are drawn from.
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pandas as pd

from .. import scenarios
from ..demand_truth import PARAMETERS, curves, order_probability, segments
from ..retail_log import SEASON, WEEKDAY_VOLUME, cancellations, non_product_lines, open_days
from ..scenario_noise import SHOCK_AR
from ..scenario_spec import N_WEEKS, QUANTITY_BREAKS, Scenario
from ..shop_catalogue import week_calendar
from ..shop_invoices import draw_week_invoices, sale_lines
from .world import WeekOutcome

# (lines, products) of the training year per size preset; "full" is the scenario's own (60,000 lines and 300
# products for the matrix: the retail worlds' full preset has as many lines).
SIZES = {"tiny": (8_000, 60), "quick": (30_000, 150), "full": None}
LOOP_STREAM = 0x100B  # tags the loop weeks' streams apart from the training year's
# A week with fewer sale lines gets no cancellations or non-product lines (they sample that many hosts).
MIN_LINES_FOR_EXTRAS = 20
EXTRA_SHARE = scenarios.CANCELLATION_SHARE + 0.006 * 4 / 3  # of a log's lines: cancellations, non-product lines
CLOSING = pd.Timedelta(hours=20)  # the shop's last order time of a day
_SEASON = np.array([SEASON[m] for m in range(1, 13)])


class ScenarioWorld:
    """A generated scenario year and its continuation, with the loop's members (module docstring)."""

    def __init__(self, data: scenarios.ScenarioData):
        if data.regular_price is None or data.customers is None:
            raise ValueError("ScenarioWorld needs ScenarioData from scenarios.generate (regular_price, customers)")
        s, truth = data.scenario, data.truth
        self.scenario = s
        tp = truth.products
        self.products = tp[["stockcode", "description", "category", "demand_form"]].reset_index(drop=True)
        self.n = len(tp)
        self.current_prices = np.asarray(data.regular_price[:, -1], np.float64).copy()
        self._training = data.transactions
        self._customers = data.customers
        self._prm = {k: tp[k].to_numpy(np.float64)[:, None] for k in PARAMETERS}
        self._prm["form"] = tp["form"].to_numpy().astype(int)[:, None]
        self._prm["classes"] = s.price_classes()
        self._breaks = QUANTITY_BREAKS if s.quantity_breaks else ()
        self._base_price = tp["current_price"].to_numpy(np.float64)
        self._season_exponent = tp["season_exponent"].to_numpy(np.float64)
        *_, per_month = week_calendar()
        self._season_norm = ((_SEASON[None, :] ** self._season_exponent[:, None]) @ per_month.T).mean(axis=1)
        self._shock_sd = tp["shock_sd"].to_numpy(np.float64)
        self._stationary_var = self._shock_sd ** 2 / (1.0 - SHOCK_AR ** 2)
        last_week = data.weeks[data.weeks["week"] == data.weeks["week"].max()]
        self._shocks = [last_week.set_index("stockcode")["shock"].reindex(tp["stockcode"]).to_numpy(np.float64)]
        self._factors: dict[int, np.ndarray] = {}
        self._stream = [int(data.seed), s.structure_key(), LOOP_STREAM]
        numbers = data.transactions["InvoiceNo"].astype(str).str.lstrip("C").astype(np.int64)
        self._next_invoice = int(numbers.max()) + 1
        self.week = 0

    # ---- the calendar and the demand factor of a loop week ----------------------------------------------------

    def week_start(self, week: int) -> pd.Timestamp:
        """The first day of loop week `week` (the generator's week N_WEEKS + week)."""
        return scenarios.START + pd.Timedelta(days=7 * (N_WEEKS + int(week)))

    def _days(self, week: int) -> tuple[pd.DatetimeIndex, np.ndarray]:
        """The week's trading days and each one's trading volume (weekday volume, weekday only)."""
        first = self.week_start(week)
        days = open_days(first, first + pd.Timedelta(days=6))
        return days, np.array([WEEKDAY_VOLUME[d] for d in days.day_of_week], np.float64)

    def season(self, week: int) -> np.ndarray:
        """[N] each product's season factor in loop week `week`, on the training year's scale (mean 1 there)."""
        days, volume = self._days(week)
        per_month = np.bincount(np.asarray(days.month) - 1, weights=volume, minlength=12)
        return ((_SEASON[None, :] ** self._season_exponent[:, None]) @ per_month) / self._season_norm

    def _week_streams(self, week: int) -> list[np.random.SeedSequence]:
        """Loop week `week`'s own streams: shock innovation, invoices, cancellations and extras, line noise."""
        return np.random.SeedSequence(self._stream + [int(week)]).spawn(4)

    def shock(self, week: int) -> np.ndarray:
        """[N] the log demand shock of loop week `week`: the year's AR(1), continued one week at a time."""
        if week < 0:
            raise ValueError(f"loop week {week}: weeks start at 0")
        while len(self._shocks) <= week + 1:
            t = len(self._shocks) - 1
            innovation = np.random.default_rng(self._week_streams(t)[0]).normal(0.0, 1.0, self.n) * self._shock_sd
            self._shocks.append(SHOCK_AR * self._shocks[-1] + innovation)
        return self._shocks[week + 1]

    def demand_factor(self, week: int) -> np.ndarray:
        """[N] season x shock multiplier of loop week `week` (as the year's `demand_factor`)."""
        return self._factor(int(week)).copy()

    def _factor(self, week: int) -> np.ndarray:
        # Cached: the clairvoyant and the scores ask for the same weeks many times (entries are never mutated).
        if week not in self._factors:
            self._factors[week] = self.season(week) * np.exp(self.shock(week) - self._stationary_var / 2.0)
        return self._factors[week]

    # ---- truth ------------------------------------------------------------------------------------------------

    def _curves(self, prices: np.ndarray) -> dict[str, np.ndarray]:
        p = np.asarray(prices, np.float64)
        if p.shape != (self.n,) or not np.all(np.isfinite(p) & (p > 0)):
            raise ValueError(f"expected {self.n} positive prices (one per product, in products' order), "
                             f"got shape {p.shape}")
        return {k: v[:, 0] for k, v in curves(self._prm, p[:, None], self._breaks).items()}

    def expected_revenue(self, prices: np.ndarray, week: int) -> np.ndarray:
        """[N] true expected revenue in loop week `week` at posted list prices (every price class's terms)."""
        return self._curves(prices)["revenue"] * self._factor(int(week))

    def expected_units(self, prices: np.ndarray, week: int) -> np.ndarray:
        """[N] true expected units in loop week `week` at posted list prices."""
        return self._curves(prices)["units"] * self._factor(int(week))

    def elasticity(self, prices: np.ndarray) -> np.ndarray:
        """[N] true d ln units / d ln price at `prices` (central difference; season and shock cancel)."""
        p = np.asarray(prices, np.float64)
        step = 1e-4
        with np.errstate(divide="ignore"):
            return (np.log(self._curves(p * np.exp(step))["units"])
                    - np.log(self._curves(p * np.exp(-step))["units"])) / (2 * step)

    # ---- the protocol -----------------------------------------------------------------------------------------

    def training_lines(self) -> pd.DataFrame:
        return self._training

    def step(self, prices: np.ndarray) -> WeekOutcome:
        """Sell loop week `self.week` at the posted list prices [N] and advance."""
        t = self.week
        prices = np.asarray(prices, np.float64)
        revenue = self.expected_revenue(prices, t)  # checks the prices
        lines = self._lines(prices, t)
        self._next_invoice = max(self._next_invoice, _last_invoice(lines) + 1)
        self.week += 1
        return WeekOutcome(t, lines, revenue)

    def copy(self) -> "ScenarioWorld":
        twin = copy.copy(self)
        twin._shocks, twin._factors = list(self._shocks), dict(self._factors)
        return twin

    # ---- one week's lines -------------------------------------------------------------------------------------

    def _lines(self, prices: np.ndarray, week: int) -> pd.DataFrame:
        days, volume = self._days(week)
        if len(days) == 0:  # the Christmas closure: no orders
            return _empty_lines()
        _, invoice_ss, extra_ss, noise_ss = self._week_streams(week)
        season = self.season(week)
        # Invoices come from the expected lines at the base price and the season, never from prices or shocks.
        expected, busiest = [], []
        for _, h, a, lines_s, size, sigma in segments(self._prm, self._base_price[:, None]):
            per_product = (lines_s * h ** a * order_probability(size * h ** (1.0 - a), sigma))[:, 0] * season
            expected.append(per_product.sum())
            busiest.append(per_product.max())
        day_weight = volume * _SEASON[np.asarray(days.month) - 1]
        invoices = draw_week_invoices(self.scenario, np.random.default_rng(invoice_ss), self._customers,
                                      np.array(expected), np.array(busiest), days, day_weight, self._next_invoice)
        noise_key = int(np.random.default_rng(noise_ss).integers(0, 2 ** 63))
        drawn = sale_lines(self._prm, self._breaks, prices[:, None], self._factor(week)[:, None], invoices,
                           noise_key)
        sales = scenarios.sales_frame(drawn, invoices, self.products)
        parts = [sales]
        if len(sales) >= MIN_LINES_FOR_EXTRAS:
            rng = np.random.default_rng(extra_ss)
            total = int(round(len(sales) / (1.0 - EXTRA_SHARE)))
            last_day = days[-1] + CLOSING
            # Adjustments are numbered after the week's invoices (non_product_lines counts from 536365).
            after = self._next_invoice + len(invoices.number) - 536365
            parts += [cancellations(sales, total, scenarios.CANCELLATION_SHARE, rng, until=last_day),
                      non_product_lines(sales, total, rng, after)]
        out = pd.concat(parts, ignore_index=True)
        return out.sort_values(["InvoiceDate", "InvoiceNo"], kind="stable").reset_index(drop=True)


def _last_invoice(lines: pd.DataFrame) -> int:
    if not len(lines):
        return -1
    return int(lines["InvoiceNo"].astype(str).str.lstrip("C").astype(np.int64).max())


def _empty_lines() -> pd.DataFrame:
    return pd.DataFrame({"InvoiceNo": pd.Series(dtype=object), "StockCode": pd.Series(dtype=object),
                         "Description": pd.Series(dtype=object), "Quantity": pd.Series(dtype=np.int64),
                         "InvoiceDate": pd.Series(dtype="datetime64[ns]"), "UnitPrice": pd.Series(dtype=np.float64),
                         "CustomerID": pd.Series(dtype=np.float64), "Country": pd.Series(dtype=object)})


# ---- factories (`--world pricing_training.loop.scenario_world:<name>`) ----------------------------------------


def sized(name: str, size: str) -> Scenario:
    """The matrix's scenario `name` at a size preset ("full": as the matrix states it)."""
    if name not in scenarios.SCENARIOS:
        raise ValueError(f"scenario {name!r}: expected one of {', '.join(scenarios.SCENARIOS)}")
    if size not in SIZES:
        raise ValueError(f"size {size!r}: expected one of {', '.join(SIZES)}")
    s = scenarios.SCENARIOS[name]
    if SIZES[size] is None:
        return s
    lines, products = SIZES[size]
    return dataclasses.replace(s, lines=lines, products=products)


def scenario_world(name: str, seed: int, size: str = "full") -> ScenarioWorld:
    """The world of scenario `name` after its training year (`scenarios.generate` of the sized scenario)."""
    return ScenarioWorld(scenarios.generate(sized(name, size), int(seed)))


def _factory(name: str):
    def factory(seed: int, size: str = "full") -> ScenarioWorld:
        return scenario_world(name, seed, size)

    factory.__name__ = factory.__qualname__ = name.replace("-", "_")
    factory.__doc__ = f"The {name} scenario (scenarios.SCENARIOS) after its training year, stepped week by week."
    return factory


# The evaluation matrix's scenarios but "retail" (540,000 lines: `scenario_world("retail", ...)` if wanted).
exp_strong = _factory("exp-strong")
linear_moderate = _factory("linear-moderate")
logit_strong_breaks = _factory("logit-strong-breaks")
iso_moderate = _factory("iso-moderate")
mixed_strong_thin = _factory("mixed-strong-thin")
shop_weekly = _factory("shop-weekly")
shop_invoice = _factory("shop-invoice")
