"""The loop and its baselines, each a price policy over the products with a posterior (start.py's order).

A policy's `plan(week, posterior)` returns the posted list prices [P] and the week's assignment rows; `learns`
says whether the run feeds it the ledger's weeks and the updated posterior (the others price from week 0's
knowledge or the truth). Products without a posterior always keep their current price.

- `Keep`: the current price every week.
- `Static`: the starting posterior's decision (the loss-bounded rule), posted from week 0, no tests.
- `Greedy`: every week re-fit and post the posterior-best price (the highest expected revenue within the
  rules' max change): learns only from its own moves (Keskin & Zeevi: it can stop learning).
- `ABThenCommit`: a fixed random `share` of products cycles among the current price and ±δ for `test_weeks`,
  the others keep; then every product commits to the rule's price under the updated posterior and holds it.
- `Loop`: the test program (plan.py).
- `CategoryOracle`: the static decision with every category's slope bias corrected by the truth (a reference).
- `Clairvoyant`: the revenue-best price within the rules' max change from the true curves, from week 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import batch_decision
from .plan import ARMS, PlanConfig, TestProgram
from .start import Start
from .update import Posterior


def _rows(start: Start, posted: np.ndarray, arm: np.ndarray | str, probability: np.ndarray | float) -> pd.DataFrame:
    return pd.DataFrame({"stockcode": start.stockcodes, "price": posted,
                         "arm": np.broadcast_to(np.asarray(arm, dtype=object), posted.shape),
                         "probability": np.broadcast_to(np.asarray(probability, np.float64), posted.shape)})


class _Base:
    learns = False
    randomized_only = False  # learn only from weeks on a randomized test arm (policies that run tests)

    def __init__(self, start: Start, p0: np.ndarray, cfg: PlanConfig):
        self.start, self.p0, self.cfg = start, p0, cfg

    def rule(self, post: Posterior) -> batch_decision.Decisions:
        p = self.p0 / self.start.scale
        return batch_decision.decide(post.draws, self.start.ref, p, p * (1 - self.cfg.max_change),
                                     p * (1 + self.cfg.max_change))


class Keep(_Base):
    name = "keep"

    def plan(self, week: int, post: Posterior):
        return self.p0.copy(), _rows(self.start, self.p0, "keep", 1.0)


class Static(_Base):
    name = "static"

    def __init__(self, start, p0, cfg, post0: Posterior):
        super().__init__(start, p0, cfg)
        self.prices = (self.rule(post0).price * start.scale).round(2)

    def plan(self, week, post):
        return self.prices.copy(), _rows(self.start, self.prices, "rule", 1.0)


class CategoryOracle(Static):
    """The static decision under the starting posterior with each category's slope bias corrected by the truth:
    the most that learning across products' tests (a per-category correction of the prior) can tell the rule, so
    the reference for what the loop's pooled information allows."""

    name = "category_oracle"


class Clairvoyant(_Base):
    name = "clairvoyant"

    def __init__(self, start, p0, cfg, best: np.ndarray):
        super().__init__(start, p0, cfg)
        self.prices = best

    def plan(self, week, post):
        return self.prices.copy(), _rows(self.start, self.prices, "truth", 1.0)


class Greedy(_Base):
    name = "greedy"
    learns = True

    def plan(self, week, post):
        posted = (self.rule(post).best * self.start.scale).round(2)
        return posted, _rows(self.start, posted, "greedy", 1.0)


class ABThenCommit(_Base):
    name = "ab_then_commit"
    learns = True
    randomized_only = True

    def __init__(self, start, p0, cfg, seed: int, test_weeks: int = 13):
        super().__init__(start, p0, cfg)
        rng = np.random.default_rng([seed, 22])
        self.test_weeks = test_weeks
        k = int(cfg.share * len(p0))
        self.tested = np.zeros(len(p0), bool)
        self.tested[rng.choice(len(p0), size=k, replace=False)] = True
        self.phase = rng.integers(0, 3, len(p0))
        d = min(cfg.delta, cfg.max_change)
        self.arms = np.column_stack([p0, p0 * (1 + d), p0 * (1 - d)]).round(2)
        self.final: np.ndarray | None = None

    def plan(self, week, post):
        if week < self.test_weeks:
            arm = (self.phase + week) % 3
            posted = np.where(self.tested, self.arms[np.arange(len(arm)), arm], self.p0)
            label = np.where(self.tested, np.array(ARMS)[arm], "keep")
            return posted, _rows(self.start, posted, label, np.where(self.tested, 1 / 3, 1.0))
        if self.final is None:
            self.final = (self.rule(post).price * self.start.scale).round(2)
        return self.final.copy(), _rows(self.start, self.final, "commit", 1.0)


class Loop(_Base):
    name = "loop"
    learns = True
    randomized_only = True

    def __init__(self, start, p0_all: np.ndarray, n_catalogue: int, cfg: PlanConfig, seed: int):
        self.program = TestProgram(start, p0_all, n_catalogue, cfg, seed)
        super().__init__(start, self.program.p0, cfg)

    def plan(self, week, post):
        return self.program.plan(week, post)
