"""One week's learning and the next week's plan, as the closed loop (run.run_learning) does them, for every caller:
the simulated loop and the production weekly update (weekly_update.py) must move the posterior and write the plan
the same way, or the loop would prove something the retailer's command does not run.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from . import experiments, update
from .plan import PlanConfig
from .start import Start

# Weeks on these arms were drawn at random; only they tell a tested product's slope (run.run_learning).
RANDOMIZED_ARMS = ("current", "up", "down")


def updated_posterior(start: Start, units: np.ndarray, delta: np.ndarray, level: np.ndarray, cfg: PlanConfig,
                      program, seed: int) -> update.Posterior:
    """The posterior after the weeks so far ([T, P] units, Δ and week level; NaN level = no usable week): every
    product's own estimate from its weeks, the prior re-learned across tests (update.py), with the plan's settings."""
    slope, info = update.loop_estimates(units, delta, level, start)
    learn_from = program.random_pick if program is not None and cfg.random_test_share > 0 else None
    return update.posterior(start, slope, info, seed=seed, extra_spread=cfg.extra_spread, learn_from=learn_from,
                            by_category=cfg.category_correction, correction_prior=cfg.correction_prior)


def next_plan(policy, post: update.Posterior, history: experiments.PlanHistory, realized: np.ndarray, weeks: int,
              week_start: dt.date, seed: int) -> dict:
    """experiments.json for the week after `weeks` weeks (starting on the Monday `week_start`), checked against
    docs/experiments.md: the policy plans that week under `post`; the holdout lift from the ledger's revenue so far
    (`realized`, [T, P]: experiments.holdout_lift counts each product from the week it was randomized)."""
    policy.plan(weeks, post)
    program = policy.program
    lift = experiments.holdout_lift(np.asarray(realized), program.start, program, seed)
    doc = experiments.plan_document(program, post, history, weeks, week_start, lift)
    experiments.check(doc)
    return doc
