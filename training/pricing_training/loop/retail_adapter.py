"""The retail_worlds family (docs/worlds.md) behind the loop's world protocol (world.py).

`invoice_world` and `weekly_world` are factories for `--world`: each generates the training year under the
shop's own pricing policy (kept in memory) and returns the world in the state that year ends in.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from retail_worlds import RetailWorld, simulate

from .world import WeekOutcome

# Lines per training year per size preset: "quick" for tests and a fast look, "full" for make eval-loop.
SIZES = {"tiny": 8_000, "quick": 30_000, "full": 60_000}


class RetailWorldAdapter:
    """A RetailWorld after its training year, with the loop's members (world.py)."""

    def __init__(self, world: RetailWorld, current_prices: np.ndarray, training: pd.DataFrame):
        self._world = world
        self._first_week = world.week
        self._training = training
        self.products = world.products
        self.n = world.n
        self.current_prices = np.asarray(current_prices, np.float64)

    def training_lines(self) -> pd.DataFrame:
        return self._training

    def step(self, prices: np.ndarray) -> WeekOutcome:
        result = self._world.step(prices)
        return WeekOutcome(result.week - self._first_week, result.lines, result.expected_revenue)

    def expected_revenue(self, prices: np.ndarray, week: int) -> np.ndarray:
        return self._world.expected(prices, week=self._first_week + int(week))["revenue"]

    def elasticity(self, prices: np.ndarray) -> np.ndarray:
        return self._world.elasticity(prices)

    def copy(self) -> "RetailWorldAdapter":
        twin = copy.copy(self)
        twin._world = copy.deepcopy(self._world)
        return twin


def make(variant: str, seed: int, size: str = "full") -> RetailWorldAdapter:
    """A retail world of `variant` ("invoice" or "weekly") after its training year."""
    if size not in SIZES:
        raise ValueError(f"size {size!r}: expected one of {', '.join(SIZES)}")
    world = RetailWorld(variant=variant, seed=seed, lines_per_year=SIZES[size])
    policy, lines = simulate(world)
    return RetailWorldAdapter(world, policy.regular.copy(), lines)


def invoice_world(seed: int, size: str = "full") -> RetailWorldAdapter:
    """Prices vary between invoices of a week (customer classes, codes, quantity breaks)."""
    return make("invoice", seed, size)


def weekly_world(seed: int, size: str = "full") -> RetailWorldAdapter:
    """One price per product-week for every customer."""
    return make("weekly", seed, size)
