"""The holdout's assignment probabilities: flat, or set per product from what holding it out would cost.

The holdout is the lift's comparison (experiments.holdout_lift): a product chosen for a test goes to it with a
probability π_i and is then kept at today's price from its randomization on. With a flat π every chosen product is
equally likely to be held out, and the value of information picks big sellers the decision moves far, so the holdout
costs the loop the static decision's move on them (docs/learning-loop.md, branch holdout).

`PlanConfig.holdout_design = "cost"` sets each product's π before the draw from that cost: c_i, the expected
weekly revenue the centre arm (the decision's price) gains over today's under the posterior (0 when it is expected to
lose), and

    π_i = clip(λ · (1 + c_i / c̄)^(−γ), lo, hi),

γ = `holdout_cost_power`, [lo, hi] = `holdout_bounds`; c̄ and λ are fixed at the first batch of new tests with a
cost (c̄ its mean cost, λ such that its mean π is `holdout_probability`, so the expected number of held-out
products stays about the same) and kept for every later batch, so a product's π depends on its own cost only. The
lift then weights each product by the inverse of the probability of the group it landed in (Hájek); every π is
known before the draw and recorded (TestProgram.holdout_pi, the assignment's `probability`).
"""

from __future__ import annotations

import numpy as np

DESIGNS = ("flat", "cost")


def solve_scale(cost: np.ndarray, reference: float, mean: float, bounds: tuple[float, float], power: float) -> float:
    """λ such that the mean of probabilities(cost, ...) is `mean` (as near as the bounds allow): bisection on log λ,
    the mean being non-decreasing in λ."""
    lo, hi = np.log(1e-6), np.log(1e6)
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if probabilities(cost, reference, np.exp(mid), bounds, power).mean() < mean:
            lo = mid
        else:
            hi = mid
    return float(np.exp(0.5 * (lo + hi)))


def probabilities(cost: np.ndarray, reference: float, scale: float, bounds: tuple[float, float], power: float
                  ) -> np.ndarray:
    """[n] π_i = clip(scale · (1 + cost_i / reference)^(−power), bounds) (module docstring)."""
    lo, hi = bounds
    if not 0.0 < lo <= hi < 1.0:
        raise ValueError(f"PlanConfig.holdout_bounds {bounds!r}: expected 0 < lo <= hi < 1")
    relative = np.maximum(np.asarray(cost, np.float64), 0.0) / reference if reference > 0 else np.zeros(len(cost))
    return np.clip(scale * (1.0 + relative) ** (-power), lo, hi)


class HoldoutDesign:
    """The π of each batch of new tests (module docstring); `flat` gives `holdout_probability` to every product."""

    def __init__(self, design: str, probability: float, bounds: tuple[float, float], power: float):
        if design not in DESIGNS:
            raise ValueError(f"PlanConfig.holdout_design {design!r}: expected one of {DESIGNS}")
        self.design, self.probability, self.bounds, self.power = design, probability, tuple(bounds), power
        self.reference: float | None = None
        self.scale: float | None = None

    def batch(self, cost: np.ndarray) -> np.ndarray:
        """[n] the holdout probability of each product of one batch of new tests with the given costs."""
        cost = np.maximum(np.asarray(cost, np.float64), 0.0)
        if self.design == "flat":
            return np.full(len(cost), self.probability)
        if self.reference is None:
            if not len(cost) or cost.mean() <= 0:  # nothing to weigh yet: flat until a batch has a cost
                return np.full(len(cost), float(np.clip(self.probability, *self.bounds)))
            self.reference = float(cost.mean())
            self.scale = solve_scale(cost, self.reference, self.probability, self.bounds, self.power)
        return probabilities(cost, self.reference, self.scale, self.bounds, self.power)
