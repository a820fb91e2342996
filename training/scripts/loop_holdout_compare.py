"""The loop under several holdout designs on the same worlds, seeds and starting posteriors, against keep and the
static decision of the same run (docs/learning-loop.md, branch holdout).

    cd training && python scripts/loop_holdout_compare.py <out> --seeds 1 2 3 --world <spec> ... \\
        --variant flat --variant cost:1.0:0.05:0.3

Per world and seed it runs keep and the static decision (run.run_fixed) and the loop (run.run_learning, the CLI's
code path, Python ledger) once per variant, on the starting posterior cached in <out>/<world>/seed-S/start.npz (the
CLI's cache: the full size, 100 trees), and appends one JSON line per run to <out>/compare.jsonl: the loop's
cumulative gain at week 26 and its minimum over weeks 4-26 (% of keep's revenue), the holdout's cost (the loop minus
the static decision on the held-out product-weeks, % of keep's 26-week revenue), the share of products > 2% below keep
in the last week, and the holdout lift with its 90% interval against its truth. A variant is `flat` (the default) or
`cost:γ:lo:hi` (PlanConfig.holdout_design="cost", holdout_cost_power γ, holdout_bounds (lo, hi)).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import time
from pathlib import Path

import numpy as np

from pricing_training import price_response
from pricing_training.loop import policies, report, run, start as start_mod, update
from pricing_training.loop.plan import HOLDOUT, PlanConfig
from pricing_training.loop.world import load


def variant_cfg(name: str, weeks: int) -> PlanConfig:
    if name == "flat":
        return PlanConfig(horizon=weeks)
    kind, power, lo, hi = name.split(":")
    assert kind == "cost", name
    return PlanConfig(horizon=weeks, holdout_design="cost", holdout_cost_power=float(power),
                      holdout_bounds=(float(lo), float(hi)))


def figures(loop: run.PolicyRun, keep: run.PolicyRun, static: run.PolicyRun, start, seed: int) -> dict:
    program = loop.program
    gain = 100 * report._cum_gain(loop.revenue, keep.revenue)
    held = np.flatnonzero(program.status == HOLDOUT)
    since = np.arange(loop.revenue.shape[0])[:, None] >= program.assigned[held][None, :]
    cols = start.index[held]
    holdout_cost = 100 * np.where(since, loop.revenue[:, cols] - static.revenue[:, cols], 0.0).sum() / keep.revenue.sum()
    last_keep = keep.revenue[-1, start.index]
    sold = last_keep > 0
    below = float((loop.revenue[-1, start.index][sold] < 0.98 * last_keep[sold]).mean())
    lift = report._holdout_lift(loop, keep.revenue, start, seed) or {}
    # The holdout's expected cost over its own draw (less noisy than the one draw above): each randomized product's
    # static gain since its randomization times its holdout probability; and with the flat 0.2 on the same products.
    rand = np.flatnonzero(program.assigned >= 0)
    since_r = np.arange(loop.revenue.shape[0])[:, None] >= program.assigned[rand][None, :]
    g = np.where(since_r, static.revenue[:, start.index[rand]] - keep.revenue[:, start.index[rand]], 0.0).sum(axis=0)
    expected_cost = -100 * float((program.holdout_pi[rand] * g).sum() / keep.revenue.sum())
    expected_cost_flat = -100 * float((0.2 * g).sum() / keep.revenue.sum())
    out = {"gain26": float(gain[-1]), "min_gain_4_26": float(gain[3:].min()),
           "static_gain26": float(100 * report._cum_gain(static.revenue, keep.revenue)[-1]),
           "holdout_cost": float(holdout_cost),
           "expected_holdout_cost": expected_cost, "expected_holdout_cost_flat": expected_cost_flat, "below_keep_pct": 100 * below, "holdout": int(len(held)),
           "tested": int(program.ever_tested.sum()),
           "mean_pi_held": float(program.holdout_pi[held].mean()) if len(held) else None,
           "mean_pi_randomized": float(program.holdout_pi[program.assigned >= 0].mean())}
    for key in ("estimate", "truth", "holds_truth", "truth_unweighted", "holds_truth_unweighted", "weighted"):
        if key in lift:
            out[f"lift_{key}"] = lift[key]
    if lift.get("estimate") is not None:
        lo, hi = lift["interval_90"]
        out.update(lift_lo=lo, lift_hi=hi, lift_width=hi - lo)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--world", action="append", required=True)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--variant", action="append", required=True)
    ap.add_argument("--weeks", type=int, default=26)
    ap.add_argument("--first-rep", type=int, default=0)
    ap.add_argument("--reps", type=int, default=1,
                    help="runs of the loop per variant with the loop's own seed seed + 1000 r (r = 0 is the CLI's): "
                         "re-drawn holdouts and phases on the same world, start and weeks, for the lift's coverage")
    args = ap.parse_args()
    response = price_response.ResponseConfig(trees=100)
    for spec in args.world:
        name = spec.split(":")[-1]
        for seed in args.seeds:
            world = load(spec, seed, "full")
            folder = args.out / name / f"seed-{seed}"
            key = {"world": spec, "seed": seed, "size": "full", "trees": response.trees, "draws": response.draws}
            start = start_mod.cached(world, folder, response, key)
            post0 = update.starting(start, seed)
            p0_all = np.asarray(world.current_prices, np.float64)
            p0 = p0_all[start.index]
            base = PlanConfig(horizon=args.weeks)
            keep = run.run_fixed(policies.Keep(start, p0, base), world, start, p0_all, args.weeks)
            static = run.run_fixed(policies.Static(start, p0, base, post0), world, start, p0_all, args.weeks)
            for variant, rep in [(v, r) for r in range(args.first_rep, args.reps) for v in args.variant]:
                t0 = time.time()
                loop_seed = seed + 1000 * rep
                cfg = variant_cfg(variant, args.weeks)
                sub = folder / f"loop-{variant.replace(':', '_')}-{rep}"
                shutil.rmtree(sub, ignore_errors=True)
                loop = run.run_learning(policies.Loop(start, p0_all, world.n, cfg, loop_seed), world, start, post0,
                                        p0_all, args.weeks, sub, loop_seed, None)
                row = {"world": name, "seed": seed, "rep": rep, "variant": variant, "seconds": round(time.time() - t0)}
                row |= figures(loop, keep, static, start, loop_seed)
                with open(args.out / "compare.jsonl", "a") as f:
                    f.write(json.dumps(row) + "\n")
                print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
