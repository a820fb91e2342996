"""The holdout lift and the forecast of weekly units before and after issue 21's fix, on the same loop runs.

Reads what `python -m pricing_training loop` leaves per world and seed (start.npz, weeks.npz) and prints per run:
the lift as the loop computed it up to 2026-12-07 (`before`: the mean over products of ln(realized loop revenue + 1)
/ (revenue of the training year's first 26 weeks + 1), tested vs holdout, all 26 weeks, bootstrap interval) and as
experiments.holdout_lift computes it now (`after`), each against its truth (the tested products' true revenue at the
loop's prices over their true revenue at the current price: over the 26 weeks for `before`, since each product's
randomization for `after`); and realized / forecast weekly units with the forecast before (the recent weeks' units
times the price effect) and after (times the category's season a year earlier and the loop's level).

    cd training && python scripts/loop_lift_compare.py ../out/loop/invoice_world/seed-4 ...
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pricing_training.loop import experiments, report, run, season  # noqa: E402
from pricing_training.loop.plan import HOLDOUT  # noqa: E402
from pricing_training.loop.start import Start  # noqa: E402

BOOTSTRAP = 1000


def lift_before(realized: np.ndarray, start: Start, tested: np.ndarray, held: np.ndarray, seed: int) -> dict:
    """The estimator as it was (module docstring); `tested`, `held` [P] bool as the program had them at the end."""
    seen = start.season_listed & (start.season_revenue > 0)
    t_idx, h_idx = np.flatnonzero(tested & seen), np.flatnonzero(held & seen)
    log_ratio = np.log((realized.sum(axis=0) + 1.0) / (np.maximum(start.season_revenue, 1e-9) + 1.0))

    def lift(t, h):
        return float(np.exp(log_ratio[t].mean() - log_ratio[h].mean()) - 1.0)

    rng = np.random.default_rng([seed, 23])
    boot = [lift(rng.choice(t_idx, len(t_idx)), rng.choice(h_idx, len(h_idx))) for _ in range(BOOTSTRAP)]
    return {"estimate": lift(t_idx, h_idx), "interval_90": np.quantile(boot, [0.05, 0.95]).tolist(), "tested": t_idx}


def run_figures(folder: Path) -> dict:
    start = Start.load(folder / "start.npz")
    z = np.load(folder / "weeks.npz")
    seed = int(folder.name.split("-")[-1])
    keep, loop, realized = z["keep.revenue"], z["loop.revenue"], z["loop.realized"]
    program = types.SimpleNamespace(assigned=z["loop.assigned"], ever_tested=z["loop.ever_tested"],
                                    status=z["loop.status"])
    before = lift_before(realized, start, program.ever_tested, program.status == HOLDOUT, seed)
    t = before["tested"]
    before["truth"] = float(loop[:, t].sum() / keep[:, t].sum() - 1)
    after = experiments.holdout_lift(realized, start, program, seed)
    t = after["tested_index"]
    since = np.arange(keep.shape[0])[:, None] >= program.assigned[t][None, :]
    after["truth"] = float(np.where(since, loop[:, t], 0).sum() / np.where(since, keep[:, t], 0).sum() - 1)
    units = z["loop.units"]
    # runs before the fix kept only the plain forecast (as "predicted"); the seasonal one is recomputed from it
    plain = z["loop.predicted_plain"] if "loop.predicted_plain" in z else z["loop.predicted"]
    seasonal = run.forecast(plain, season.category_season(start, len(units)), units)
    return {"before": before, "after": after, "calibration_before": report.calibration(plain, units),
            "calibration_after": report.calibration(seasonal, units)}


def main(folders: list[str]) -> None:
    for folder in map(Path, folders):
        f = run_figures(folder)
        parts = []
        for name in ("before", "after"):
            lift = f[name]
            lo, hi = lift["interval_90"]
            parts.append(f"{name} {100 * lift['estimate']:+.1f}% ({100 * lo:+.1f} to {100 * hi:+.1f}) truth "
                         f"{100 * lift['truth']:+.1f}% {'holds' if lo <= lift['truth'] <= hi else 'MISSES'}")
        cal = [f"{k.split('_')[1]} {c['ratio_all']:.2f} ({c['ratio_first4']:.2f} -> {c['ratio_last4']:.2f}), "
               f"|ln| {c['median_abs_log_ratio']:.2f}" for k, c in f.items() if k.startswith("calibration")]
        print(f"{folder.parent.name} {folder.name}: lift {' | '.join(parts)}; units realized/forecast {'; '.join(cal)}")


if __name__ == "__main__":
    main(sys.argv[1:])
