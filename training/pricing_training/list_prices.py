"""The posted list price of every product and week, and how it is confounded with demand.

Two processes, each at every confounding level:

"markup" (the original matrix): per product and week

    P = current * revision * exp(A * season_w + K * signal_{w-1}) * (1 - discount)

revisions (two per year, the last one sets the current price) are exogenous at every level. At "moderate"
the markup follows the shop's season (A: 10-15% in the November peak), K (~0.3) follows last week's demand
shock, and promotions (15-35% off, ~6% of weeks) are likelier when last week was weak. "Strong" has a 25-35%
peak markup, K ~0.6, promotions concentrated in weeks the retailer expects to be weak (it partly foresees
this week's shock) and clearance markdowns (20-30%) after runs of weak weeks (stock piling up).

"revisions" (a real shop's frequencies): the list price is a step function. A product is revised every
8-20 weeks (a fifth never are), each regime's level a retail price point at current * exp(dev), dev ~
N(0, 8%), plus the markup of the week it was set (A * season + K * last week's shock, the same levels as
above); the last regime sets the current price. Short promotions (one or two weeks, 15-35% off, ~6% of
weeks) and, at "strong", clearance come on top, timed as in the markup process.

"Off" (the twin) runs the same process on fake drivers drawn from the price stream (a smooth random series
with the season's mean and spread, an independent AR(1) shock with the same dynamics): prices vary as much,
but independently of demand. Every draw is made whatever the level, so a twin and its original consume the
price stream alike.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy import stats

from .scenario_noise import SHOCK_AR, ar1
from .scenario_spec import N_WEEKS, PRICE_LEVELS, Scenario

PROMO_SHARE = 0.06
CLEARANCE_SHARE = 0.04
REVISION_SD = 0.06  # the markup process's two revisions a year
REVISION_GAP_WEEKS = (8, 20)  # the revisions process: weeks between revisions
REVISION_STEP_SD = 0.08
NEVER_REVISED_SHARE = 0.2


@dataclasses.dataclass
class ListPrices:
    """Weekly posted list prices (n, weeks) and what set them: promotion and clearance weeks, the weeks a
    revision took effect, and the regular price (the list price before promotion and clearance discounts)."""

    price: np.ndarray
    promotion: np.ndarray
    clearance: np.ndarray
    revision: np.ndarray
    regular: np.ndarray | None = None


def price_point(p: np.ndarray) -> np.ndarray:
    """Retail price points: pennies below £1, multiples of 5p above."""
    return np.where(p < 1.0, np.maximum(np.round(p, 2), 0.12), np.round(p * 20.0) / 20.0)


def list_prices(s: Scenario, rng: np.random.Generator, current: np.ndarray, shock_full: np.ndarray,
                shock_sd: np.ndarray, season_m: np.ndarray) -> ListPrices:
    """The scenario's list-price process. shock_full has one extra leading column (the week before the
    first); season_m is the shop's season per week, 1 in the November peak."""
    if s.list_prices == "revisions":
        return _revisions(s, rng, current, shock_full, shock_sd, season_m)
    return _markup(s, rng, current, shock_full, shock_sd, season_m)


@dataclasses.dataclass
class _Drivers:
    """What the retailer prices on: the season (n, weeks), last week's shock, and how weak it believes this
    week will be (standardized); real at a confounded level, fake in the twin."""

    season: np.ndarray
    z_prev: np.ndarray
    weakness: np.ndarray
    stationary_sd: np.ndarray


def _drivers(s: Scenario, level: dict, shock_full, shock_sd, season_m, fake_season, fake_shock) -> _Drivers:
    n, weeks = len(shock_sd), N_WEEKS
    if s.confounding == "off":
        f = fake_season - fake_season.mean(axis=1, keepdims=True)
        f = f / f.std(axis=1, keepdims=True)
        season_driver = season_m.mean() + season_m.std() * f
        z_full = fake_shock
    else:
        season_driver = np.broadcast_to(season_m, (n, weeks))
        z_full = shock_full
    z_prev, z_now = z_full[:, :-1], z_full[:, 1:]
    stationary_sd = shock_sd / np.sqrt(1.0 - SHOCK_AR ** 2)
    # What the retailer believes about this week's demand: last week's shock, plus (strong) part of this
    # week's innovation (it plans promotions for weeks it expects to be weak).
    innovation = z_now - SHOCK_AR * z_prev
    belief = SHOCK_AR * z_prev + level["foresight"] * innovation
    belief_sd = np.sqrt(SHOCK_AR ** 2 * stationary_sd ** 2 + level["foresight"] ** 2 * shock_sd ** 2)
    return _Drivers(season_driver, z_prev, -belief / belief_sd[:, None], stationary_sd)


def _promotion_probability(level: dict, weakness: np.ndarray, share: float) -> np.ndarray:
    """P(promotion) per week: `share` on average, tilted toward weeks believed weak."""
    tilt = level["promo_tilt"]
    return stats.norm.cdf(stats.norm.ppf(share) * np.sqrt(1.0 + tilt ** 2) + tilt * weakness)


def _clearance(level: dict, d: _Drivers) -> np.ndarray:
    """Clearance weeks (strong only): stock piles up after runs of weak weeks."""
    n, weeks = d.z_prev.shape
    if not level["clearance"]:
        return np.zeros((n, weeks), bool)
    stock = np.zeros((n, weeks))
    standardized = d.z_prev / d.stationary_sd[:, None]
    for w in range(weeks):
        stock[:, w] = (0.7 * stock[:, w - 1] if w else 0.0) - standardized[:, w]
    return stock > np.quantile(stock, 1.0 - CLEARANCE_SHARE)


def _markup(s, rng, current, shock_full, shock_sd, season_m) -> ListPrices:
    n, weeks = len(current), N_WEEKS
    level = PRICE_LEVELS[s.variation()]
    revision_weeks = np.sort(rng.integers(6, weeks - 8, size=(n, 2)), axis=1)
    revision_dev = rng.normal(0.0, REVISION_SD, size=(n, 2))
    markup = rng.uniform(*level["markup"], size=n)
    reaction = rng.uniform(*level["shock"], size=n)
    promo_u = rng.random((n, weeks))
    promo_depth = rng.uniform(0.15, 0.35, size=(n, weeks))
    clearance_depth = rng.uniform(0.20, 0.30, size=(n, weeks))
    fake_season = ar1(rng, np.ones(n), weeks)
    fake_shock = ar1(rng, shock_sd, weeks + 1)

    d = _drivers(s, level, shock_full, shock_sd, season_m, fake_season, fake_shock)
    promotion = promo_u < _promotion_probability(level, d.weakness, PROMO_SHARE)
    clearance = _clearance(level, d)

    week = np.arange(weeks)[None, :]
    revision = np.where(week < revision_weeks[:, :1], np.exp(revision_dev[:, :1]),
                        np.where(week < revision_weeks[:, 1:], np.exp(revision_dev[:, 1:]), 1.0))
    level_price = current[:, None] * revision * np.exp(markup[:, None] * d.season + reaction[:, None] * d.z_prev)
    discount = np.maximum(np.where(promotion, promo_depth, 0.0), np.where(clearance, clearance_depth, 0.0))
    price = np.maximum(np.round(level_price * (1.0 - discount), 2), 0.01)
    revised = (week == revision_weeks[:, :1]) | (week == revision_weeks[:, 1:])
    return ListPrices(price, promotion, clearance, revised, np.maximum(np.round(level_price, 2), 0.01))


def _revisions(s, rng, current, shock_full, shock_sd, season_m) -> ListPrices:
    n, weeks = len(current), N_WEEKS
    level = PRICE_LEVELS[s.variation()]
    most = weeks // REVISION_GAP_WEEKS[0] + 1
    never = rng.random(n) < NEVER_REVISED_SHARE
    first = rng.integers(1, REVISION_GAP_WEEKS[1] + 1, size=n)
    gaps = rng.integers(REVISION_GAP_WEEKS[0], REVISION_GAP_WEEKS[1] + 1, size=(n, most))
    dev = rng.normal(0.0, REVISION_STEP_SD, size=(n, most + 1))
    markup = rng.uniform(*level["markup"], size=n)
    reaction = rng.uniform(*level["shock"], size=n)
    promo_u = rng.random((n, weeks))
    promo_long = rng.random((n, weeks)) < 0.5
    promo_depth = rng.uniform(0.15, 0.35, size=(n, weeks))
    clearance_depth = rng.uniform(0.20, 0.30, size=(n, weeks))
    fake_season = ar1(rng, np.ones(n), weeks)
    fake_shock = ar1(rng, shock_sd, weeks + 1)

    d = _drivers(s, level, shock_full, shock_sd, season_m, fake_season, fake_shock)
    # Regimes: revision k takes effect in week first + gap_1 + ... + gap_k (none for never-revised products).
    starts = first[:, None] + np.concatenate([np.zeros((n, 1), int), np.cumsum(gaps[:, :-1], axis=1)], axis=1)
    starts = np.where(never[:, None], weeks, starts)
    week = np.arange(weeks)
    regime = (starts[:, None, :] <= week[None, :, None]).sum(axis=2)  # (n, weeks): 0 before the first revision
    begins = np.concatenate([np.zeros((n, 1), int), np.minimum(starts, weeks - 1)], axis=1)[np.arange(n)[:, None], regime]
    dev[np.arange(n), regime[:, -1]] = 0.0  # the regime in force at the end sets the current price
    rows = np.arange(n)[:, None]
    # The retailer sets each regime's level with what it sees in the week it revises.
    set_markup = markup[:, None] * d.season[rows, begins] + reaction[:, None] * d.z_prev[rows, begins]
    level_price = price_point(current[:, None] * np.exp(dev[rows, regime] + set_markup))

    # Short promotions: one or two weeks, never straight after another; starts tilted like the markup
    # process's promotions.
    wants = promo_u < _promotion_probability(level, d.weakness, PROMO_SHARE / 1.4)
    promotion = np.zeros((n, weeks), bool)
    depth = promo_depth.copy()
    for w in range(weeks):
        carried = promotion[:, w - 1] & started & promo_long[:, w - 1] if w else np.zeros(n, bool)
        started = wants[:, w] & ~(promotion[:, w - 1] if w else np.zeros(n, bool))
        promotion[:, w] = started | carried
        if w:
            depth[:, w] = np.where(carried, depth[:, w - 1], depth[:, w])
    clearance = _clearance(level, d)
    discount = np.maximum(np.where(promotion, depth, 0.0), np.where(clearance, clearance_depth, 0.0))
    price = np.maximum(np.round(level_price * (1.0 - discount), 2), 0.01)
    revised = np.zeros((n, weeks), bool)
    revised[:, 1:] = regime[:, 1:] != regime[:, :-1]
    return ListPrices(price, promotion, clearance, revised, np.maximum(np.round(level_price, 2), 0.01))
