"""The tables of scripts/loop_holdout_compare.py's runs (<out>/compare.jsonl), per world and variant, means over the
seeds (the lift per seed): `python scripts/loop_holdout_table.py <out>/compare.jsonl`."""

from __future__ import annotations

import json
import sys
from collections import defaultdict

import numpy as np


def main() -> None:
    rows = [json.loads(line) for line in open(sys.argv[1])]
    last = {}
    for r in rows:  # a rerun of the same world, seed, variant and rep replaces the earlier line
        last[(r["world"], r["seed"], r["variant"], r.get("rep", 0))] = r
    groups, runs = defaultdict(list), defaultdict(list)
    for (world, _, variant, rep), r in sorted(last.items()):
        runs[(world, variant)].append(r)
        if rep == 0:
            groups[(world, variant)].append(r)
    reps = {key: rs for key, rs in runs.items() if any(r.get("rep", 0) > 0 for r in rs)}
    print("| world | variant | seeds | loop gain wk 26 (static) | min cum. gain wk 4-26 | holdout cost (expected; flat on "
          "same products) | > 2% below keep | held out / tested | lift − truth per seed (90% holds) | interval width |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (world, variant), rs in sorted(groups.items()):
        m = lambda k: np.mean([r[k] for r in rs])
        lifts = [r for r in rs if r.get("lift_estimate") is not None]
        per_seed = " / ".join(f"{100 * (r['lift_estimate'] - r['lift_truth']):+.1f}{'' if r['lift_holds_truth'] else '✗'}"
                              for r in lifts)
        holds = f"{sum(r['lift_holds_truth'] for r in lifts)}/{len(lifts)}"
        width = f"{100 * np.mean([r['lift_width'] for r in lifts]):.1f}" if lifts else "-"
        print(f"| {world} | {variant} | {','.join(str(r['seed']) for r in rs)} | {m('gain26'):+.2f} ({m('static_gain26'):+.2f}) "
              f"| {m('min_gain_4_26'):+.2f} (worst {min(r['min_gain_4_26'] for r in rs):+.2f}) "
              f"| {m('holdout_cost'):+.2f} ({m('expected_holdout_cost'):+.2f}; {m('expected_holdout_cost_flat'):+.2f}) "
              f"| {m('below_keep_pct'):.1f} (max {max(r['below_keep_pct'] for r in rs):.1f}) "
              f"| {m('holdout'):.0f} / {m('tested'):.0f} | {per_seed} ({holds}) | {width} |")


    if reps:
        print("\nRe-drawn runs (the loop's own seed; rep 0 included): per world and variant")
        print("| world | variant | runs | 90% interval holds the truth | mean (estimate − truth) | rms | mean width "
              "| holdout cost (expected) | loop gain wk 26 | > 2% below keep |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for (world, variant), rs in sorted(reps.items()):
            lifts = [r for r in rs if r.get("lift_estimate") is not None]
            err = np.array([r["lift_estimate"] - r["lift_truth"] for r in lifts])
            m = lambda k: np.mean([r[k] for r in rs])
            print(f"| {world} | {variant} | {len(rs)} | {sum(r['lift_holds_truth'] for r in lifts)}/{len(lifts)} "
                  f"| {100 * err.mean():+.1f} | {100 * np.sqrt((err ** 2).mean()):.1f} "
                  f"| {100 * np.mean([r['lift_width'] for r in lifts]):.1f} "
                  f"| {m('holdout_cost'):+.2f} ({m('expected_holdout_cost'):+.2f}) | {m('gain26'):+.2f} | {m('below_keep_pct'):.1f} |")


if __name__ == "__main__":
    main()
