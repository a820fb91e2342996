"""The loop on re-drawn demand paths of one retail world and seed: is the holdout lift unbiased, and do tested and
held-out products sell what the world's expected revenue says?

Each replication runs the loop policy alone (Python ledger) on a copy of the world whose random stream is re-seeded,
so the products, the starting posterior and the plan's rules stay and only the demand shocks and the lines differ.
Prints per replication the tested and held-out products' realized over true expected revenue since their
randomization and the lift against its truth (docs/learning-loop.md, "The holdout lift").

    cd training && python scripts/loop_lift_replications.py invoice 1 10 <run>/invoice_world/seed-1/start.npz
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pricing_training.loop import experiments, retail_adapter, update  # noqa: E402
from pricing_training.loop.plan import HOLDOUT, PlanConfig  # noqa: E402
from pricing_training.loop.policies import Loop  # noqa: E402
from pricing_training.loop.run import run_learning  # noqa: E402
from pricing_training.loop.start import Start  # noqa: E402

WEEKS = 26


def main(variant: str, seed: int, replications: int, start_file: Path) -> None:
    world = retail_adapter.make(variant, seed, "full")
    start = Start.load(start_file)  # the run's starting posterior of this world and seed (start.npz)
    post0 = update.starting(start, seed)
    p0 = np.asarray(world.current_prices, np.float64)
    keep = np.array([world.expected_revenue(p0, t) for t in range(WEEKS)])[:, start.index]
    errors = []
    for k in range(replications):
        twin = world.copy()
        twin._world._rng = np.random.default_rng([k, 7])  # a re-drawn demand path (retail_worlds' own stream)
        policy = Loop(start, p0, world.n, PlanConfig(horizon=WEEKS), seed)
        with tempfile.TemporaryDirectory() as folder:
            run = run_learning(policy, twin, start, post0, p0, WEEKS, Path(folder), seed, None)
        program, loop = run.program, run.revenue[:, start.index]
        since = np.arange(WEEKS)[:, None] >= program.assigned[None, :]
        randomized = (program.assigned >= 0) & (program.assigned < WEEKS)
        ratios = [(run.realized * since)[:, g].sum() / (loop * since)[:, g].sum()
                  for g in (program.ever_tested & randomized, (program.status == HOLDOUT) & randomized)]
        lift = experiments.holdout_lift(run.realized, start, program, k)
        t = lift["tested_index"]
        s = since[:, t]
        truth = (loop[:, t] * s).sum() / (keep[:, t] * s).sum() - 1
        lo, hi = lift["interval_90"]
        errors.append((lift["estimate"] - truth, lo <= truth <= hi))
        print(f"{variant} {seed} path {k}: realized/expected tested {ratios[0]:.3f} held out {ratios[1]:.3f}; lift "
              f"{100 * lift['estimate']:+.1f}% ({100 * lo:+.1f} to {100 * hi:+.1f}) truth {100 * truth:+.1f}%",
              flush=True)
    e = np.array(errors, dtype=float)
    print(f"{variant} {seed}: mean error {100 * e[:, 0].mean():+.1f} points (SD {100 * e[:, 0].std():.1f}), "
          f"interval holds the truth {int(e[:, 1].sum())}/{len(e)}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]))
