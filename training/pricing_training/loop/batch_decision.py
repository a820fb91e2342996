"""decision.py's loss-bounded rule for many products at once, plus what test design needs from the same draws.

`decide` is `decision.decide` vectorised over products (same grid rule, same thresholds: the highest expected
gain among grid prices where at most `max_loss_probability` of draws lose over LOSS_THRESHOLD of today's
revenue, keep when none or when the posterior's best is the current price), on a coarser grid (61 points) so a
4,000-product week takes well under a second. Values are relative (B = ρ = 1): the rule does not depend on them.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..decision import AT_CURRENT_TOLERANCE, DEFAULT_DECISION, LOSS_THRESHOLD

GRID_POINTS = 61
CHUNK = 400


@dataclasses.dataclass
class Decisions:
    """Per product: the rule's price, the posterior's best price, whether the rule changes the price, the expected
    value of perfect information (as a share of today's expected revenue) and today's value per draw's mean."""

    price: np.ndarray
    best: np.ndarray
    change: np.ndarray
    evpi: np.ndarray


def multipliers(draws: np.ndarray, ref: np.ndarray, prices: np.ndarray) -> np.ndarray:
    """exp(b Δ + c Δ²) for draws [P, S, 2] at prices [P, G] -> [P, S, G]."""
    d = np.log(prices) - ref[:, None]
    return np.exp(draws[:, :, 0:1] * d[:, None, :] + draws[:, :, 1:2] * (d ** 2)[:, None, :])


def log_grid(lo: np.ndarray, hi: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """[P, G] prices evenly spaced in log between each product's lo and hi (`steps` in 0…1)."""
    return np.exp(np.log(lo)[:, None] + steps[None, :] * np.log(hi / lo)[:, None])


def decide(draws: np.ndarray, ref: np.ndarray, p0: np.ndarray, lo: np.ndarray, hi: np.ndarray,
           settings: dict = DEFAULT_DECISION, points: int = GRID_POINTS) -> Decisions:
    """The rule for every product (module docstring); prices in the posterior's units."""
    n = len(p0)
    price, best, change, evpi = p0.copy(), p0.copy(), np.zeros(n, bool), np.zeros(n)
    steps = np.linspace(0.0, 1.0, points)
    alpha = settings.get("max_loss_probability")
    for s in range(0, n, CHUNK):
        e = slice(s, min(n, s + CHUNK))
        grid = log_grid(lo[e], hi[e], steps)
        value = grid[:, None, :] * multipliers(draws[e], ref[e], grid)
        now = p0[e][:, None] * multipliers(draws[e], ref[e], p0[e][:, None])[:, :, 0]
        gains = value - now[:, :, None]
        expected = gains.mean(axis=1)
        v_now = now.mean(axis=1)
        mean_value = value.mean(axis=1)
        top = np.argmax(mean_value, axis=1)
        rows = np.arange(len(top))
        p_star = grid[rows, top]
        feasible = expected >= settings["min_expected_gain"] * np.abs(v_now)[:, None]
        feasible &= (gains > 0).mean(axis=1) >= settings["min_probability_of_gain"]
        if alpha is not None:
            feasible &= (gains < -LOSS_THRESHOLD * np.abs(now)[:, :, None]).mean(axis=1) <= alpha + 1e-12
        feasible &= np.abs(grid / p0[e][:, None] - 1.0) > AT_CURRENT_TOLERANCE
        at_current = np.abs(p_star / p0[e] - 1.0) <= AT_CURRENT_TOLERANCE
        can = feasible.any(axis=1) & ~at_current
        chosen = np.argmax(np.where(feasible, expected, -np.inf), axis=1)
        price[e] = np.where(can, grid[rows, chosen], p0[e])
        best[e] = p_star
        change[e] = can
        evpi[e] = (value.max(axis=2).mean(axis=1) - mean_value[rows, top]) / np.maximum(v_now, 1e-12)
    return Decisions(price, best, change, evpi)


def arm_risk(draws: np.ndarray, ref: np.ndarray, p0: np.ndarray, arms: np.ndarray, loss: float
             ) -> tuple[np.ndarray, np.ndarray]:
    """For arm prices [P, A]: the posterior expected revenue change vs p0 (share of today's, [P, A]) and the
    probability that the arm loses more than `loss` of today's revenue ([P, A])."""
    value = arms[:, None, :] * multipliers(draws, ref, arms)
    now = p0[:, None] * multipliers(draws, ref, p0[:, None])[:, :, 0]
    change = value.mean(axis=1) / np.maximum(now.mean(axis=1), 1e-12)[:, None] - 1.0
    p_loss = (value < (1.0 - loss) * now[:, :, None]).mean(axis=1)
    return change, p_loss


def elasticity_draws(draws: np.ndarray, ref: np.ndarray, p0: np.ndarray) -> np.ndarray:
    """[P, S] the elasticity b + 2 c Δ0 at p0 per draw."""
    d0 = np.log(p0) - ref
    return draws[:, :, 0] + 2.0 * draws[:, :, 1] * d0[:, None]


def budgeted(draws: np.ndarray, ref: np.ndarray, p0: np.ndarray, lo: np.ndarray, hi: np.ndarray,
             weight: np.ndarray, harm_budget: float, loss: float = 2 * LOSS_THRESHOLD,
             min_expected_gain: float = DEFAULT_DECISION["min_expected_gain"], points: int = GRID_POINTS,
             harm_weight: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The catalogue's prices under a harm budget: maximise the total expected revenue gain subject to the expected
    share of products losing more than `loss` of today's revenue being at most `harm_budget` (both under the
    posterior's draws). Lagrangian: per product the grid price maximising weight·E[gain share] − λ·P(loss > `loss`)
    (today's price scores 0), λ the smallest multiplier that keeps the catalogue's mean P(loss) within the budget
    (bisection). Weight is today's weekly revenue, so the budget is spent where a move earns the most per unit of
    risk; a price needs an expected gain of at least `min_expected_gain` of today's revenue, as the rule does.
    `harm_weight` [P] (default 1 each): what a product's P(loss) counts in the budget, so a product that is a large share
    of the catalogue's revenue can count as several (PlanConfig.harm_cap).
    Returns (price [P], changed [P]) in the posterior's units."""
    n = len(p0)
    steps = np.linspace(0.0, 1.0, points)
    gain_share, p_loss, grid = np.zeros((n, points)), np.zeros((n, points)), np.zeros((n, points))
    for s in range(0, n, CHUNK):
        e = slice(s, min(n, s + CHUNK))
        grid[e] = log_grid(lo[e], hi[e], steps)
        gain_share[e], p_loss[e] = arm_risk(draws[e], ref[e], p0[e], grid[e], loss)
    allowed = (gain_share >= min_expected_gain) & (np.abs(grid / p0[:, None] - 1.0) > AT_CURRENT_TOLERANCE)
    score = np.maximum(weight, 0.0)[:, None] * gain_share
    counted = p_loss if harm_weight is None else p_loss * np.asarray(harm_weight, np.float64)[:, None]
    rows = np.arange(n)

    def choose(lam: float) -> tuple[np.ndarray, np.ndarray, float]:
        objective = np.where(allowed, score - lam * counted, -np.inf)
        j = np.argmax(objective, axis=1)
        move = objective[rows, j] > 0
        return j, move, float(np.where(move, counted[rows, j], 0.0).mean()) if n else 0.0

    j, move, harm = choose(0.0)
    if harm > harm_budget:
        low, high = 0.0, float(max(score.max(), 1e-12)) * 1e3 + 1.0
        for _ in range(60):
            mid = 0.5 * (low + high)
            if choose(mid)[2] > harm_budget:
                low = mid
            else:
                high = mid
        j, move, _ = choose(high)
    return np.where(move, grid[rows, j], p0), move
