#!/usr/bin/env python3
"""The learning loop's weekly update for 4,000 products (issue 21's budget: ≤ 5 s), timed next to a fixed
NumPy reference workload measured in the same run, so a loaded machine shows up in both.

The update is what the loop runs each week: per-product estimates from 26 weeks of three-price tests, the
prior re-learned across products and every product's posterior drawn (`update.loop_estimates` +
`update.posterior`). Best of 3 runs each. Writes <out>/loop-update.json.
Usage (from the repo root): python scripts/bench_loop_update.py OUT_DIR
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "training"), str(ROOT / "training" / "tests")]

from pricing_training.loop import update  # noqa: E402
from test_loop_update import synthetic_start, weeks_of_tests  # noqa: E402

PRODUCTS, WEEKS, RUNS = 4000, 26, 3


def best_of(runs: int, work) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        work()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "out" / "bench" / "loop"
    rng = np.random.default_rng(7)
    # The default posterior is a normal truncated to c <= 0: the update moves its parent and reads the truncated
    # moments, so the bench carries one (the synthetic means taken as the parent's).
    start = synthetic_start(PRODUCTS, rng)
    start = dataclasses.replace(start, parent_mean=start.mean.copy())
    units, delta, level = weeks_of_tests(start, WEEKS, rng)
    update_s = best_of(RUNS, lambda: update.posterior(start, *update.loop_estimates(units, delta, level, start)))
    # The reference: a 1,000 × 1,000 float64 matrix product (2 GFLOP), the machine's speed right now.
    a = np.random.default_rng(1).standard_normal((1000, 1000))
    reference_s = best_of(RUNS, lambda: a @ a)
    result = {"products": PRODUCTS, "weeks": WEEKS, "update_seconds": update_s, "budget_seconds": 5.0,
              "reference_matmul_1000_seconds": reference_s, "update_over_reference": update_s / reference_s}
    out.mkdir(parents=True, exist_ok=True)
    (out / "loop-update.json").write_text(json.dumps(result, indent=1) + "\n")
    print(f"loop update, {PRODUCTS:,} products x {WEEKS} weeks: {update_s:.2f} s (budget 5 s); "
          f"reference 1000x1000 matmul {reference_s * 1e3:.1f} ms; ratio {update_s / reference_s:.0f}x")


if __name__ == "__main__":
    main()
