"""Why greedy gains more than the loop, from saved runs (docs/learning-loop.md, "Why greedy is ahead").

    python scripts/loop_greedy_diagnosis.py <out>/invoice_world [<out>/weekly_world ...]

Per world folder and seed (weeks.npz, start.npz; the world re-made from its factory to score counterfactual prices
on the truth): which products greedy moves, how far and in which direction against the clairvoyant; the loop's gap
to greedy split into what its tests give up (the loop against its own harm-budget prices held on every product)
and what the harm budget leaves (those prices against greedy's), by products tested, held out and never tested.
Prints one JSON line per seed; revenue figures are % of the start products' keep revenue over the weeks.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from pricing_training.loop import plan, run, start as start_mod, update, world as world_mod
from pricing_training.loop.plan import PlanConfig, TestProgram

SPECS = {"invoice_world": "pricing_training.loop.retail_adapter:invoice_world",
         "weekly_world": "pricing_training.loop.retail_adapter:weekly_world"}


def fixed_revenue(world, p0_all, index, prices, weeks):
    """[T, P] true expected revenue of the start products with `prices` held every week."""
    full = p0_all.copy()
    full[index] = prices
    return np.array([world.expected_revenue(full, t)[index] for t in range(weeks)])


def seed_report(world_folder: Path, seed_folder: Path, cfg: PlanConfig) -> dict:
    seed = int(seed_folder.name.split("-")[1])
    z = np.load(seed_folder / run.WEEKS_FILE)
    start = start_mod.Start.load(seed_folder / "start.npz")
    world = world_mod.load(SPECS[world_folder.name], seed, "full")
    p0_all = np.asarray(world.current_prices, np.float64)
    p0 = p0_all[start.index]
    weeks = z["keep.revenue"].shape[0]
    post0 = update.starting(start, seed)
    program = TestProgram(start, p0_all, world.n, cfg, seed)
    budget = program.rule_prices(post0, program.decisions(post0))
    rev = {k: z[f"{k}.revenue"] for k in ("keep", "static", "greedy", "loop", "clairvoyant")}
    rev["budget"] = fixed_revenue(world, p0_all, start.index, budget, weeks)
    keep_total = rev["keep"].sum()
    gain = {k: (v - rev["keep"]).sum(axis=0) for k, v in rev.items()}  # [P] per product over the weeks
    last_keep = rev["keep"][-1]
    sold = last_keep > 0
    harm = {k: float(((v[-1] < 0.98 * last_keep) & sold).sum() / sold.sum()) for k, v in rev.items()}
    g_post = z["greedy.posted"]
    moved_later = float((np.abs(g_post[1:] - g_post[0]) > 0.005).any(axis=0).mean())
    move = {k: np.log(z[f"{k}.posted"][0] / p0) for k in ("greedy", "clairvoyant", "static")}
    move["budget"] = np.log(budget / p0)
    moved = {k: np.abs(v) > 0.005 for k, v in move.items()}
    c = move["clairvoyant"]
    right = {k: float((np.sign(v[moved[k]]) == np.sign(c[moved[k]])).mean()) for k, v in move.items()
             if k != "clairvoyant"}
    status, ever = z["loop.status"], z["loop.ever_tested"]
    assigned = z["loop.assigned"]
    in_run = (assigned >= 0) & (assigned < weeks)
    holdout = in_run & (status == plan.HOLDOUT)
    tested = in_run & ever & ~holdout
    never = ~(tested | holdout)
    groups = {"tested": tested, "holdout": holdout, "never": never}
    pct = lambda x: 100.0 * float(x) / keep_total  # noqa: E731
    out = {"seed": seed, "gain_pct": {k: pct(v.sum()) for k, v in gain.items()}, "harm": harm,
           "greedy_moves_after_week0": moved_later,
           "moved_share": {k: float(v.mean()) for k, v in moved.items()},
           "median_abs_move": {k: float(np.median(np.abs(v[moved[k]]))) if moved[k].any() else 0.0
                               for k, v in move.items()},
           "right_direction": right, "group_share": {g: float(m.mean()) for g, m in groups.items()},
           "testing_cost_pct": {g: pct(gain["budget"][m].sum() - gain["loop"][m].sum()) for g, m in groups.items()},
           "greedy_over_budget_pct": {g: pct(gain["greedy"][m].sum() - gain["budget"][m].sum())
                                      for g, m in groups.items()}}
    # Where greedy's edge over the harm budget sits: products the budget keeps vs moves, winners vs losers.
    kept = ~moved["budget"]
    edge = gain["greedy"] - gain["budget"]
    out["edge_where_budget_keeps_pct"] = pct(edge[kept].sum())
    out["edge_where_budget_moves_pct"] = pct(edge[~kept].sum())
    out["budget_keeps_share"] = float(kept.mean())
    out["greedy_winners_pct"] = pct(gain["greedy"][gain["greedy"] > 0].sum())
    out["greedy_losers_pct"] = pct(gain["greedy"][gain["greedy"] < 0].sum())
    same_dir = kept & moved["greedy"] & (np.sign(move["greedy"]) == np.sign(c))
    out["budget_kept_greedy_right_share"] = float(same_dir.sum() / max(kept.sum(), 1))
    # Greedy's price shrunk toward today's: the gain/harm frontier along greedy's direction.
    frontier = {}
    for k in (0.25, 0.5, 0.75):
        prices = (p0 * np.exp(k * move["greedy"])).round(2)
        r = fixed_revenue(world, p0_all, start.index, prices, weeks)
        frontier[k] = (pct((r - rev["keep"]).sum()), float(((r[-1] < 0.98 * last_keep) & sold).sum() / sold.sum()))
    out["greedy_shrunk"] = {str(k): v for k, v in frontier.items()}
    return out


def main(folders: list[str]) -> None:
    cfg = PlanConfig()
    for f in folders:
        folder = Path(f)
        for seed_folder in sorted(folder.glob("seed-*")):
            r = seed_report(folder, seed_folder, cfg)
            print(json.dumps({"world": folder.name, **r}, default=float))


if __name__ == "__main__":
    main(sys.argv[1:])
