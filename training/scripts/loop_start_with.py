"""The loop's starting posterior (the service's price response on a world's training year) under ResponseConfig
switches, scored against the world's true elasticities at the current price: 80% interval coverage, median
absolute error and median elasticity against the truth's, and the draws' median curvature (docs/price-response.md,
"A floor the data support, and a plausible one").

    cd training && python scripts/loop_start_with.py <out> [--seeds 1 2 3] [--world <spec> ...] [field=value ...]

Each (world, seed) caches its starting posterior under <out>/<name>/seed-S (the loop's cache, keyed by every setting),
so the default and a variant side by side cost one fit each. Prints one row per world and seed and the means.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
from pathlib import Path

import numpy as np

from pricing_training.loop import report, start as start_mod, update
from pricing_training.loop.world import load
from pricing_training.response_config import with_settings

WORLDS = ["pricing_training.loop.retail_adapter:invoice_world", "pricing_training.loop.retail_adapter:weekly_world"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    ap.add_argument("--world", action="append")
    ap.add_argument("--size", default="full")
    ap.add_argument("--trees", type=int, default=100)
    ap.add_argument("changes", nargs="*", help="ResponseConfig field=value")
    args = ap.parse_intermixed_args()  # settings may follow --world / --seeds
    logging.basicConfig(level=logging.WARNING)
    response = with_settings(args.changes, trees=args.trees)
    rows = []
    for spec in args.world or WORLDS:
        for seed in args.seeds:
            world = load(spec, seed, args.size)
            key = json.loads(json.dumps({"world": spec, "seed": seed, "size": args.size,
                                         "response": dataclasses.asdict(response)}))
            start = start_mod.cached(world, args.out / spec.split(":")[-1] / f"seed-{seed}", response, key)
            post0 = update.starting(start, seed)
            p0 = np.asarray(world.current_prices, np.float64)[start.index]
            truth = world.elasticity(np.asarray(world.current_prices, np.float64))[start.index]
            f = report._coverage(post0, start, p0, truth, np.ones(len(p0), bool))
            row = {"world": spec.split(":")[-1], "seed": seed, "coverage_80": f["coverage_80"],
                   "abs_error": f["median_abs_error"], "elasticity": f["median_elasticity"],
                   "truth": f["median_true_elasticity"], "median_se": f["median_se"],
                   "median_c": float(np.median(post0.draws[..., 1].mean(axis=1)))}
            rows.append(row)
            print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}), flush=True)
    for name in sorted({r["world"] for r in rows}):
        sel = [r for r in rows if r["world"] == name]
        print(name, "mean:", {k: round(float(np.mean([r[k] for r in sel])), 3)
                              for k in ("coverage_80", "abs_error", "elasticity", "truth", "median_se", "median_c")})


if __name__ == "__main__":
    main()
