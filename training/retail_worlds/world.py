"""A retail world: a catalogue, its customers and its market, stepped one week at a time.

The world interface (docs/worlds.md) is what a closed-loop evaluation needs and nothing more:

- `products`: the catalogue (stockcode, description, category, ...), index 0..N-1; prices are arrays in this order.
- `week`: the index of the next week to be sold (0 = the week of 2010-11-29); `week_start(t)`.
- `listed(t)`: which products are on sale in week t (new products appear at their launch week).
- `step(prices)`: sell one week at the posted list prices; returns a `WeekResult` with the week's invoice
  lines (UCI schema) and the expected units, lines and revenue at those prices.
- `expected(prices, week=None)`: expected lines/units/revenue per week at a full price vector;
  `curve(grid, base)`: a curve per product (its own price along a row, its nest siblings at `base`).
- `competitor_prices()`: what a competitor posts this week (it moves with the market's demand).

The world knows nothing of how prices are chosen: the generator's own pricing policy is policy.py.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from . import calendar, catalog, demand, lines
from .classes import break_factor, price_classes

DEFAULT_PRODUCTS_PER_LINE = 1 / 75.0
SHOCK_PERSISTENCE = 0.75
CATEGORY_SHOCK_SD = 0.13
CATEGORY_SHOCK_PERSISTENCE = 0.8
WIDE_RANGE = (0.5, 2.0)


@dataclasses.dataclass
class WeekResult:
    """One simulated week."""

    week: int
    week_start: pd.Timestamp
    lines: pd.DataFrame              # UCI columns; InvoiceDate datetime64, CustomerID float (NaN: guest)
    prices: np.ndarray               # the posted list prices [N]
    expected_units: np.ndarray       # [N] at those prices, averaged over the demand shocks
    expected_revenue: np.ndarray     # [N] (what the lines pay, discounts and breaks included)
    expected_lines: np.ndarray       # [N]
    units: np.ndarray                # [N] units sold (sale lines only)
    revenue: np.ndarray              # [N] revenue of the sale lines


class RetailWorld:
    """See the module docstring. Deterministic for a given (variant, seed, n_products, lines_per_year)."""

    def __init__(self, variant: str = "invoice", seed: int = 0, n_products: int | None = None,
                 lines_per_year: int = 300_000):
        if lines_per_year < 1000:
            raise ValueError(f"lines_per_year must be at least 1000, got {lines_per_year}")
        self.variant, self.seed, self.lines_per_year = variant, int(seed), int(lines_per_year)
        n_products = int(n_products or max(50, round(lines_per_year * DEFAULT_PRODUCTS_PER_LINE)))
        streams = np.random.SeedSequence([self.seed, 20101201]).spawn(3)
        self._catalog_rng, self._rng = np.random.default_rng(streams[0]), np.random.default_rng(streams[1])
        self.policy_seed = streams[2]
        self.catalog = catalog.build(self._catalog_rng, n_products, price_classes(variant))
        self.products = self.catalog.products
        self.n = len(self.products)
        self.breaks = [break_factor(c, self.catalog.customers["size"].to_numpy()[ix], act)
                       for c, ix, act in zip(self.catalog.classes, self.catalog.class_customers,
                                             self.catalog.class_activity)]
        self.season = calendar.Season(self.products["christmas"].to_numpy(), self.products["summer"].to_numpy())
        p_ref = self.products["p_ref"].to_numpy()
        self.market_price = p_ref * np.exp(self._catalog_rng.normal(0.05, 0.12, self.n))
        # Lines per week at p_ref: scaled so a year at the revenue-optimal prices sells about lines_per_year.
        self.lam = self.products["popularity"].to_numpy().astype(np.float64)
        best = self.optimal_prices(p_ref)
        per_week = demand.expected(self.catalog, self.lam, self.breaks, best)["lines"]
        listed_weeks = np.array([self.listed(t) for t in range(calendar.YEAR_WEEKS)]).sum(axis=0)
        self.lam *= 0.97 * self.lines_per_year / float((per_week * listed_weeks).sum())
        # Demand shocks: product and category AR(1) in logs, stationary from the start.
        self._eps = self._rng.normal(0, 1, self.n) * self.products["shock_sd"].to_numpy()
        n_cat = int(self.products["category_id"].max()) + 1
        self._eta = self._rng.normal(0, CATEGORY_SHOCK_SD, n_cat)
        self._competitor_noise = self._rng.normal(0, 0.04, self.n)
        self._numbers = lines.InvoiceNumbers()
        self.week = 0

    # ---- calendar -------------------------------------------------------------------------------------
    def week_start(self, t: int | None = None) -> pd.Timestamp:
        return calendar.week_start(self.week if t is None else t)

    def listed(self, t: int | None = None) -> np.ndarray:
        t = self.week if t is None else t
        return self.products["launch_week"].to_numpy() <= t

    def level(self, t: int | None = None) -> np.ndarray:
        """Demand level of week t per product (1 = the training year's average week; 0 before launch)."""
        t = self.week if t is None else t
        return self.season.level(t) * self.listed(t)

    # ---- truth ----------------------------------------------------------------------------------------
    def expected(self, prices: np.ndarray, week: int | None = None) -> dict[str, np.ndarray]:
        """Expected lines/units/revenue per product at the full price vector `prices` [N], in week `week`
        (None: an average week of the training year, launch ignored), averaged over the demand shocks."""
        prices = self._check_prices(prices)
        level = 1.0 if week is None else self.level(week)
        return demand.expected(self.catalog, self.lam, self.breaks, prices, season=level)

    def curve(self, grid: np.ndarray, base: np.ndarray, week: int | None = None) -> dict[str, np.ndarray]:
        """Per product a curve over its own list prices `grid` [N, G], nest siblings at `base` [N]."""
        base = self._check_prices(base)
        level = 1.0 if week is None else self.level(week)
        return demand.expected(self.catalog, self.lam, self.breaks, np.asarray(grid, float), base, season=level)

    def elasticity(self, prices: np.ndarray, h: float = 1e-4) -> np.ndarray:
        """d ln E[units] / d ln p of each product at `prices`, siblings held at `prices`."""
        prices = self._check_prices(prices)
        grid = prices[:, None] * np.exp(np.array([-h, h]))[None, :]
        u = self.curve(grid, prices)["units"]
        return (np.log(u[:, 1]) - np.log(u[:, 0])) / (2 * h)

    def optimal_prices(self, base: np.ndarray, low: float = WIDE_RANGE[0], high: float = WIDE_RANGE[1],
                       points: int = 601) -> np.ndarray:
        """Revenue-optimal list price of each product over [low, high] x base, siblings at `base`: the price that
        maximizes the shop's revenue (its own plus what its nest siblings gain or lose), the best of a coarse log
        grid refined on a grid of `points` resolution around it."""
        base = self._check_prices(base)
        lo, hi = np.log(low), np.log(high)
        coarse = np.linspace(lo, hi, 61)
        rev = self.curve(base[:, None] * np.exp(coarse)[None, :], base)["shop_revenue"]
        step = (hi - lo) / 60
        centre = coarse[np.argmax(rev, axis=1)]
        fine_offsets = np.linspace(-step, step, max(3, int(round(2 * (points - 1) / 60))) + 1)
        fine = np.clip(centre[:, None] + fine_offsets[None, :], lo, hi)
        grid = base[:, None] * np.exp(fine)
        rev = self.curve(grid, base)["shop_revenue"]
        return grid[np.arange(self.n), np.argmax(rev, axis=1)]

    # ---- the market -----------------------------------------------------------------------------------
    def competitor_prices(self) -> np.ndarray:
        """A competitor's prices this week: it raises them when its category's demand is high."""
        cat = self.products["category_id"].to_numpy()
        return self.market_price * np.exp(0.8 * self._eta[cat] + self._competitor_noise)

    # ---- stepping -------------------------------------------------------------------------------------
    def step(self, prices: np.ndarray) -> WeekResult:
        """Sell week `self.week` at the posted list `prices` [N] (one per product, the same for everyone:
        the variant decides what each class pays) and advance to the next week."""
        prices = self._check_prices(prices)
        t = self.week
        cat = self.products["category_id"].to_numpy()
        sd = self.products["shock_sd"].to_numpy()
        shock = np.exp(self._eps + self._eta[cat] - 0.5 * (sd ** 2 + CATEGORY_SHOCK_SD ** 2))
        level = self.level(t)
        truth = demand.expected(self.catalog, self.lam, self.breaks, prices, season=level)
        counts = np.zeros((self.n, len(self.catalog.classes)), dtype=np.int64)
        for k, cls in enumerate(self.catalog.classes):
            if cls.share <= 0:
                continue
            x = demand.effective_log_price(self.catalog, cls, prices)
            rate = self.lam * level * shock * cls.share * demand.purchase_rate(
                self.catalog, x, demand.nest_others(self.catalog, x))
            counts[:, k] = self._rng.poisson(rate)
        week_lines = lines.materialize(self.catalog, counts, prices, t, self._rng, self._numbers)
        units, revenue = self._sold(week_lines)
        self._advance_shocks()
        self.week += 1
        return WeekResult(t, calendar.week_start(t), week_lines, prices, truth["units"], truth["revenue"],
                          truth["lines"], units, revenue)

    def _sold(self, week_lines: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        pos = pd.Series(np.arange(self.n), index=self.products["stockcode"].to_numpy())
        sale = week_lines[~week_lines["InvoiceNo"].astype(str).str.startswith("C") & week_lines["StockCode"].isin(pos.index)]
        idx = pos[sale["StockCode"]].to_numpy()
        q = sale["Quantity"].to_numpy().astype(np.float64)
        units = np.bincount(idx, weights=q, minlength=self.n)
        revenue = np.bincount(idx, weights=q * sale["UnitPrice"].to_numpy(), minlength=self.n)
        return units, revenue

    def _advance_shocks(self) -> None:
        sd = self.products["shock_sd"].to_numpy()
        r = SHOCK_PERSISTENCE
        self._eps = r * self._eps + np.sqrt(1 - r * r) * sd * self._rng.normal(0, 1, self.n)
        rc = CATEGORY_SHOCK_PERSISTENCE
        self._eta = rc * self._eta + np.sqrt(1 - rc * rc) * CATEGORY_SHOCK_SD * self._rng.normal(0, 1, len(self._eta))
        self._competitor_noise = 0.6 * self._competitor_noise + 0.8 * 0.04 * self._rng.normal(0, 1, self.n)

    def _check_prices(self, prices) -> np.ndarray:
        p = np.asarray(prices, dtype=np.float64)
        if p.shape != (self.n,):
            raise ValueError(f"expected {self.n} prices (one per product, in products' order), got shape {p.shape}")
        if not np.all(np.isfinite(p)) or np.any(p <= 0):
            bad = int(np.flatnonzero(~(np.isfinite(p) & (p > 0)))[0])
            raise ValueError(f"price of {self.products['stockcode'].iloc[bad]} is {p[bad]!r}: prices must be positive")
        return p

    def prices_from(self, by_stockcode: dict[str, float] | pd.Series, default: np.ndarray) -> np.ndarray:
        """A price vector from a mapping stockcode -> price; products not in it keep `default`."""
        s = pd.Series(by_stockcode, dtype=np.float64)
        unknown = set(s.index) - set(self.products["stockcode"])
        if unknown:
            raise ValueError(f"unknown stockcode(s): {', '.join(sorted(unknown)[:5])}")
        out = np.array(default, dtype=np.float64, copy=True)
        pos = pd.Series(np.arange(self.n), index=self.products["stockcode"].to_numpy())
        out[pos[s.index].to_numpy()] = s.to_numpy()
        return out
