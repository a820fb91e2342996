"""The generator's own pricing policy: how a busy shop actually sets its prices (the confounding).

- Starting prices: some near the revenue optimum, most 12-40% off it (either side).
- A monthly review per product (staggered weeks): a month that sold more than the stock planned for it
  (forecast + 30%: a stock-out) raises the regular price 4-10% (half the time) (demand shocks persist, so the price goes up when demand is
  high); a month that sold under 55% of plan (aging stock) gets a 2-week markdown of 15-30% and sometimes a
  5% cut of the regular price (the price goes down when demand is low); now and then the supplier's cost
  moves the regular price (an exogenous revision).
- New products are launched, mostly just before the peak, at a 20-40% premium, lowered after 6-10 weeks.
- About 30% of products are price-matched down to a competitor, whose price rises with its category's
  demand (the posted price is higher in strong weeks).
- Prices end in .49/.74/.99 (above 1 GBP) or on 5p steps.

The current price at the end of the log is the regular price (no markdown, no match, no launch premium).
"""

from __future__ import annotations

import numpy as np

from .world import RetailWorld

PLAN_COVER = 1.3  # stock ordered for a month: the forecast's four weeks and 30% more


def round_price(p: np.ndarray) -> np.ndarray:
    """Retail price endings: 5p steps under 1 GBP, quarter-pound steps minus a penny above."""
    p = np.asarray(p, dtype=np.float64)
    low = np.maximum(np.round(p * 20) / 20, 0.05)
    high = np.maximum(np.round(p * 4) / 4, 1.25) - 0.01
    return np.where(p < 1.0, low, high)


def equilibrium_prices(world: RetailWorld, start: np.ndarray, rounds: int = 8) -> np.ndarray:
    """Each product's revenue-optimal price given its nest siblings at theirs (a few best-response rounds;
    products outside nests need one). The truth's optimum holds siblings fixed, so starting prices are set
    around this point, not around optima computed against siblings at a price they never post."""
    best = world.optimal_prices(start)
    nested = world.products["nest"].to_numpy() >= 0
    for _ in range(rounds if nested.any() else 0):
        best = np.where(nested, world.optimal_prices(best), best)
    return best


class ShopPolicy:
    """Posts a price per product each week and learns only from what it sells (units per product)."""

    def __init__(self, world: RetailWorld):
        self.world = world
        rng = self.rng = np.random.default_rng(world.policy_seed)
        n = world.n
        p_ref = world.products["p_ref"].to_numpy()
        best = equilibrium_prices(world, p_ref)
        near = rng.random(n) < 0.35
        offset = np.where(near, rng.normal(0, 0.04, n), rng.choice([-1.0, 1.0], n) * rng.uniform(0.12, 0.4, n))
        self.base = round_price(best * np.exp(offset))
        self.regular = self.base.copy()
        launch = world.products["launch_week"].to_numpy()
        self.launch = launch
        self.premium_until = np.where(launch > 0, launch + rng.integers(6, 11, n), -1)
        self.regular = np.where(launch > 0, round_price(self.base * rng.uniform(1.2, 1.4, n)), self.regular)
        self.review_offset = rng.integers(0, 4, n)
        self.promo_left = np.zeros(n, dtype=np.int64)
        self.promo_depth = np.ones(n)
        # The shop's forecast of weekly units starts near the truth (it has sold these before).
        first = world.expected(self.regular)["units"]
        self.forecast = first * np.exp(rng.normal(0, 0.2, n))
        self.plan = 4 * PLAN_COVER * self.forecast
        self.sold_since_review = np.zeros(n)
        self.revisions = np.zeros(n, dtype=np.int64)

    def prices(self) -> np.ndarray:
        """The posted list prices of the world's current week."""
        t = self.world.week
        self._end_launch_premium(t)
        posted = self.regular.copy()
        matched = self.world.products["competitor_matched"].to_numpy()
        comp = self.world.competitor_prices()
        posted = np.where(matched, np.clip(comp, 0.8 * self.regular, self.regular), posted)
        posted = np.where(self.promo_left > 0, self.regular * self.promo_depth, posted)
        return round_price(posted)

    def observe(self, units: np.ndarray) -> None:
        """Learn from the week just sold, and review the products whose month ends."""
        t = self.world.week - 1
        listed = self.world.listed(t)
        self.promo_left = np.maximum(self.promo_left - 1, 0)
        self.forecast = np.where(listed, 0.7 * self.forecast + 0.3 * units, self.forecast)
        self.sold_since_review += np.where(listed, units, 0.0)
        review = listed & ((t - self.review_offset) % 4 == 3) & (t >= 3)
        rng, n = self.rng, self.world.n
        stockout = review & (self.sold_since_review > self.plan)
        aging = review & (self.sold_since_review < 0.55 * self.plan)
        raise_ = stockout & (rng.random(n) < 0.5)
        markdown = aging & (rng.random(n) < 0.5) & (self.promo_left == 0)
        cut = aging & (rng.random(n) < 0.35)
        cost = review & (rng.random(n) < 0.07)
        new = self.regular.copy()
        new = np.where(raise_, new * rng.uniform(1.04, 1.10, n), new)
        new = np.where(cut, new * 0.95, new)
        new = np.where(cost, new * np.exp(rng.normal(0, 0.09, n)), new)
        new = round_price(np.clip(new, 0.6 * self.base, 1.8 * self.base))
        self.revisions += (np.abs(new - self.regular) > 1e-9).astype(np.int64)
        self.regular = new
        self.promo_left = np.where(markdown, 2, self.promo_left)
        self.promo_depth = np.where(markdown, rng.uniform(0.7, 0.85, n), self.promo_depth)
        self.sold_since_review = np.where(review, 0.0, self.sold_since_review)
        self.plan = np.where(review, 4 * PLAN_COVER * self.forecast, self.plan)

    def _end_launch_premium(self, t: int) -> None:
        ending = self.premium_until == t
        if ending.any():
            self.regular = np.where(ending, np.minimum(self.regular, self.base), self.regular)
            self.revisions += ending.astype(np.int64)
