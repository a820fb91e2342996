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
    for r in rows:  # a rerun of the same world, seed and variant replaces the earlier line
        last[(r["world"], r["seed"], r["variant"])] = r
    groups = defaultdict(list)
    for (world, _, variant), r in sorted(last.items()):
        groups[(world, variant)].append(r)
    print("| world | variant | seeds | loop gain wk 26 (static) | min cum. gain wk 4-26 | holdout cost (expected; flat on "
          "same products) | > 2% below keep | held out / tested | lift − truth per seed (90% holds) | interval width |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (world, variant), rs in groups.items():
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


if __name__ == "__main__":
    main()
