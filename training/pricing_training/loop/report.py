"""The closed loop's figures (issue 21's bars) per world and seed, and the report: report.json, report.md and
cumulative.png (cumulative revenue vs keeping prices, week by week, per policy).

Every figure is on the world's true expected revenue. Per policy: cumulative gain vs keep at each weekly
checkpoint (% of keep's cumulative revenue); capture of the clairvoyant's gain over all weeks and over the
second half (weeks 14-26 of 26); the share of products whose last week earns > 2% below keeping. For the
loop (and the A/B baseline): revenue given up to testing, cumulative, as % of the tested products' keep
revenue in their test weeks; 80% elasticity-interval coverage at the end; the tested products' median
elasticity SE at the end vs week 0; the holdout lift with a 90% bootstrap interval vs the simulated truth.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from . import batch_decision, experiments

POLICIES = ["keep", "static", "greedy", "ab_then_commit", "loop", "category_oracle", "clairvoyant"]
TEST_ARMS = ("current", "up", "down")


def _cum_gain(revenue: np.ndarray, keep: np.ndarray) -> np.ndarray:
    return np.cumsum(revenue.sum(axis=1) - keep.sum(axis=1)) / np.cumsum(keep.sum(axis=1))


def _capture(revenue, keep, clair, weeks: slice) -> float:
    gain_c = clair[weeks].sum() - keep[weeks].sum()
    return float((revenue[weeks].sum() - keep[weeks].sum()) / gain_c) if gain_c > 0 else float("nan")


def _testing_cost(run, keep: np.ndarray, index: np.ndarray) -> list[float]:
    """Cumulative revenue given up by test arms as a share of the tested products' keep revenue, per week."""
    a = run.assignments
    weeks = run.revenue.shape[0]
    under = np.zeros((weeks, len(index)), bool)
    moved = np.zeros_like(under)
    for t, rows in a.groupby("week"):
        arm = rows["arm"].to_numpy()
        under[t] = np.isin(arm, TEST_ARMS)
        moved[t] = np.isin(arm, ("up", "down"))
    k, r = keep[:, index], run.revenue[:, index]
    cost = np.cumsum(np.where(moved, k - r, 0.0).sum(axis=1))
    base = np.cumsum(np.where(under, k, 0.0).sum(axis=1))
    return np.where(base > 0, cost / np.maximum(base, 1e-12), 0.0).tolist()


def _below_keep_by_arm(run, start, last_keep: np.ndarray, sold: np.ndarray) -> dict:
    """The share of products (with sales) whose last week earns > 2% below keeping, split by what they posted that
    week (a test arm, the holdout, the decision outside tests): which part of the policy ends below keep."""
    last = run.assignments[run.assignments["week"] == run.revenue.shape[0] - 1]
    arm = last.set_index("stockcode")["arm"].reindex(start.stockcodes).fillna("none").to_numpy()
    below = (run.revenue[-1, start.index] < 0.98 * last_keep) & sold
    return {str(a): float(below[arm == a].sum() / max(sold.sum(), 1)) for a in np.unique(arm)}


def _coverage(post, start, p0, truth: np.ndarray, mask: np.ndarray) -> dict:
    e = batch_decision.elasticity_draws(post.draws, start.ref, p0 / start.scale)
    lo, hi = np.quantile(e, 0.1, axis=1), np.quantile(e, 0.9, axis=1)
    inside = (truth >= lo) & (truth <= hi)
    return {"coverage_80": float(inside[mask].mean()) if mask.any() else None, "products": int(mask.sum()),
            "median_se": float(np.median(e.std(axis=1)[mask])) if mask.any() else None,
            "median_abs_error": float(np.median(np.abs(e.mean(axis=1) - truth)[mask])) if mask.any() else None,
            "median_elasticity": float(np.median(e.mean(axis=1)[mask])) if mask.any() else None,
            "median_true_elasticity": float(np.median(truth[mask])) if mask.any() else None}


def _information_bound(post, post0, program, tested: np.ndarray) -> float | None:
    """The tested products' median SE ratio (week 26 / week 0) of the elasticity at the current price, had each
    been tested every week at the information per test week it actually gave (its loop information scaled to all
    weeks) and the starting posterior otherwise right: what the data the loop can gather allows, the bar's
    reference when halving the SE is beyond it."""
    if not tested.any():
        return None
    weeks = program.cfg.horizon
    a = np.column_stack([np.ones(len(program.p0)), 2.0 * program.start.delta0])[tested]
    var0 = np.einsum("pi,pij,pj->p", a, post0.moments()[1][tested], a)  # the starting posterior's own spread
    slope_info = post.info[tested, 0, 0]  # a a^T I: its (0, 0) element is I
    gained = slope_info * weeks / np.maximum(program.weeks_tested[tested], 1)
    return float(np.median(np.sqrt(1.0 / (1.0 / var0 + gained) / var0)))


def _holdout_lift(run, keep: np.ndarray, start, seed: int) -> dict | None:
    """experiments.holdout_lift at the end of the run, with the truth it estimates: the tested products' true
    revenue at the loop's prices over their true revenue at the current price, each from the week it was
    randomized."""
    program = run.program
    if program is None:
        return None
    out = experiments.holdout_lift(run.realized, start, program, seed)
    tested, weight = out.pop("tested_index"), out.pop("tested_weight")
    if out["estimate"] is None:
        return out
    index = start.index[tested]
    since = np.arange(run.revenue.shape[0])[:, None] >= program.assigned[tested][None, :]
    loop_rev, keep_rev = np.where(since, run.revenue[:, index], 0.0), np.where(since, keep[:, index], 0.0)
    # With unequal holdout probabilities the estimate weights each tested product by 1 / P(tested), so its truth does
    # too (the lift of every randomized product, estimated from the tested ones); equal probabilities: weights 1.
    truth = float((loop_rev * weight).sum() / (keep_rev * weight).sum() - 1.0)
    lo, hi = out["interval_90"]
    extra = {}
    if out.get("weighted"):
        unweighted = float(loop_rev.sum() / keep_rev.sum() - 1.0)
        extra = {"truth_unweighted": unweighted, "holds_truth_unweighted": bool(lo <= unweighted <= hi)}
    return out | {"truth": truth, "holds_truth": bool(lo <= truth <= hi)} | extra


def calibration(predicted: np.ndarray, realized: np.ndarray) -> dict:
    """Realized vs predicted weekly units ([T, P] each; predicted before each week at the posted price, realized
    from the ledger): the aggregate ratio per week (drift: the first four weeks vs the last four), per product the
    median |ln| of the ratio of its totals, and the slope of ln realized on ln predicted totals across products (1:
    calibrated; below 1: the predictions spread products more than their sales do)."""
    weekly = realized.sum(axis=1) / np.maximum(predicted.sum(axis=1), 1e-12)
    sold = predicted.sum(axis=0) > 0
    lp, lr = np.log(predicted.sum(axis=0)[sold] + 0.5), np.log(realized.sum(axis=0)[sold] + 0.5)
    slope = float(np.polyfit(lp, lr, 1)[0]) if sold.sum() >= 3 and lp.std() > 0 else None
    return {"weekly_ratio": weekly.round(4).tolist(), "ratio_all": float(realized.sum() / max(predicted.sum(), 1e-12)),
            "ratio_first4": float(realized[:4].sum() / max(predicted[:4].sum(), 1e-12)),
            "ratio_last4": float(realized[-4:].sum() / max(predicted[-4:].sum(), 1e-12)),
            "median_abs_log_ratio": float(np.median(np.abs(lr - lp))) if sold.any() else None, "slope": slope}


def seed_figures(result: dict) -> dict:
    """Every figure of one world and seed."""
    runs, start, p0 = result["runs"], result["start"], result["p0"]
    keep, clair = runs["keep"].revenue, runs["clairvoyant"].revenue
    weeks = keep.shape[0]
    second = slice(weeks // 2, weeks)
    out = {"seed": result["seed"], "products": result["products"], "with_posterior": result["with_posterior"],
           "fit_seconds": round(result["fit_seconds"], 1), "seconds": round(result["seconds"], 1), "policies": {}}
    last_keep = keep[-1, start.index]
    sold = last_keep > 0
    for name in [p for p in POLICIES if p in runs]:
        run = runs[name]
        f = {"cumulative_gain_pct": (100 * _cum_gain(run.revenue, keep)).round(3).tolist(),
             "capture_all": _capture(run.revenue.sum(1), keep.sum(1), clair.sum(1), slice(0, weeks)),
             "capture_second_half": _capture(run.revenue.sum(1), keep.sum(1), clair.sum(1), second),
             "share_below_keep_2pct": float((run.revenue[-1, start.index][sold] < 0.98 * last_keep[sold]).mean()),
             "changed_share": float((np.abs(run.posted[-1] / p0 - 1) > 0.005).mean())}
        if run.assignments is not None and name == "loop":
            f["below_keep_by_arm"] = _below_keep_by_arm(run, start, last_keep, sold)
        if run.assignments is not None and name in ("loop", "ab_then_commit"):
            f["testing_cost_pct"] = (100 * np.array(_testing_cost(run, keep, start.index))).round(3).tolist()
        if run.posterior is not None and result["truth_elasticity"] is not None:
            truth = result["truth_elasticity"]
            every = np.ones(len(p0), bool)
            f["coverage_all"] = _coverage(run.posterior, start, p0, truth, every)
            f["coverage_at_start"] = _coverage(result["post0"], start, p0, truth, every)
            program = run.program
            if program is not None:
                tested = program.ever_tested
                f["tested"] = int(tested.sum())
                f["committed"] = int((program.status == 3).sum())
                f["coverage_tested"] = _coverage(run.posterior, start, p0, truth, tested)
                f["se_tested_start"] = _coverage(result["post0"], start, p0, truth, tested)["median_se"]
                f["se_ratio_information_bound"] = _information_bound(run.posterior, result["post0"], program, tested)
                f["holdout_lift"] = _holdout_lift(run, keep, start, result["seed"])
            f["update_seconds_max"] = round(max(run.update_seconds), 3)
        if run.predicted is not None and run.units is not None:
            f["calibration"] = calibration(run.predicted, run.units)
            if run.predicted_plain is not None:
                f["calibration_no_season"] = calibration(run.predicted_plain, run.units)
        out["policies"][name] = f
    return out


def _mean(values) -> float | None:
    v = [x for x in values if x is not None and np.isfinite(x)]
    return float(np.mean(v)) if v else None


def summarize(per_seed: list[dict]) -> dict:
    """Means over seeds of the headline figures per policy, and the issue's checks for the loop."""
    out = {}
    for name in [p for p in POLICIES if all(p in s["policies"] for s in per_seed)]:
        fs = [s["policies"][name] for s in per_seed]
        cum = np.array([f["cumulative_gain_pct"] for f in fs])
        row = {"cumulative_gain_pct_final": float(cum[:, -1].mean()),
               "min_cumulative_gain_pct_from_week4": float(cum[:, 3:].min()),
               "capture_all": _mean(f["capture_all"] for f in fs),
               "capture_second_half": _mean(f["capture_second_half"] for f in fs),
               "share_below_keep_2pct": _mean(f["share_below_keep_2pct"] for f in fs),
               "changed_share": _mean(f["changed_share"] for f in fs)}
        if "testing_cost_pct" in fs[0]:
            row["max_testing_cost_pct"] = float(max(max(f["testing_cost_pct"][3:] or [0]) for f in fs))
        if "below_keep_by_arm" in fs[0]:
            arms = sorted({a for f in fs for a in f["below_keep_by_arm"]})
            row["below_keep_by_arm"] = {a: _mean(f["below_keep_by_arm"].get(a, 0.0) for f in fs) for a in arms}
        if "coverage_all" in fs[0]:
            row["coverage_all"] = _mean(f["coverage_all"]["coverage_80"] for f in fs)
            row["coverage_all_start"] = _mean(f["coverage_at_start"]["coverage_80"] for f in fs)
            row["elasticity_error_start"] = _mean(f["coverage_at_start"]["median_abs_error"] for f in fs)
            row["elasticity_error_end"] = _mean(f["coverage_all"]["median_abs_error"] for f in fs)
            row["median_elasticity_start"] = _mean(f["coverage_at_start"]["median_elasticity"] for f in fs)
            row["median_elasticity_end"] = _mean(f["coverage_all"]["median_elasticity"] for f in fs)
            row["median_true_elasticity"] = _mean(f["coverage_all"]["median_true_elasticity"] for f in fs)
        if "coverage_tested" in fs[0]:
            row["coverage_tested"] = _mean(f["coverage_tested"]["coverage_80"] for f in fs)
            row["se_ratio_tested"] = _mean(f["coverage_tested"]["median_se"] / f["se_tested_start"] for f in fs
                                           if f["se_tested_start"])
            row["tested"] = _mean(f["tested"] for f in fs)
            row["se_ratio_information_bound"] = _mean(f["se_ratio_information_bound"] for f in fs)
            lifts = [f["holdout_lift"] for f in fs if f["holdout_lift"] and f["holdout_lift"].get("estimate") is not None]
            row["holdout_lift_holds_truth"] = f"{sum(l['holds_truth'] for l in lifts)}/{len(lifts)}"
            row["update_seconds_max"] = max(f["update_seconds_max"] for f in fs)
        if "calibration" in fs[0]:
            for key in ("ratio_all", "ratio_first4", "ratio_last4", "median_abs_log_ratio", "slope"):
                row[f"calibration_{key}"] = _mean(f["calibration"][key] for f in fs)
                if "calibration_no_season" in fs[0]:
                    row[f"calibration_no_season_{key}"] = _mean(f["calibration_no_season"][key] for f in fs)
        out[name] = row
    loop, greedy, ab = out["loop"], out["greedy"], out["ab_then_commit"]
    out["checks"] = {
        "at_or_above_keep_from_week4": loop["min_cumulative_gain_pct_from_week4"] >= 0,
        "testing_cost_within_1pct": loop.get("max_testing_cost_pct", 0) <= 1.0,
        "capture_all_50pct": (loop["capture_all"] or 0) >= 0.5,
        "capture_second_half_70pct": (loop["capture_second_half"] or 0) >= 0.7,
        "share_below_keep_at_most_5pct": (loop["share_below_keep_2pct"] or 0) <= 0.05,
        "coverage_70_90": loop.get("coverage_all") is not None and 0.7 <= loop["coverage_all"] <= 0.9,
        "se_halved_for_tested": loop.get("se_ratio_tested") is not None and loop["se_ratio_tested"] <= 0.5,
        "ahead_of_greedy_and_ab": loop["cumulative_gain_pct_final"] > max(greedy["cumulative_gain_pct_final"],
                                                                           ab["cumulative_gain_pct_final"]),
    }
    return out


def _fmt(v, pct=False) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "–"
    if isinstance(v, str):
        return v
    return f"{100 * v:.1f}%" if pct else f"{v:.2f}"


def write(worlds: dict[str, list[dict]], out: Path, meta: dict) -> dict:
    """report.json, report.md and cumulative.png for every world's seeds."""
    doc = {"meta": meta, "worlds": {}}
    lines = ["# Closed-loop evaluation (issue 21)", "", f"{meta['weeks']} weeks after the training year; seeds "
             f"{meta['seeds']}; size preset `{meta['size']}`; figures on the true expected revenue.", ""]
    for spec, per_seed in worlds.items():
        summary = summarize(per_seed)
        doc["worlds"][spec] = {"summary": summary, "per_seed": per_seed}
        lines += [f"## {spec}", "", f"products {per_seed[0]['products']}, with a posterior "
                  f"{per_seed[0]['with_posterior']}; fit {np.mean([s['fit_seconds'] for s in per_seed]):.0f} s, run "
                  f"{np.mean([s['seconds'] for s in per_seed]):.0f} s per seed", "",
                  "| policy | cum. gain vs keep, wk 26 | min cum. gain wk 4-26 | capture 26 wk | capture wk 14-26 | "
                  "> 2% below keep | prices changed |", "|---|---|---|---|---|---|---|"]
        for name in [p for p in POLICIES if p in summary]:
            s = summary[name]
            lines.append(f"| {name} | {s['cumulative_gain_pct_final']:.2f}% | {s['min_cumulative_gain_pct_from_week4']:.2f}% "
                         f"| {_fmt(s['capture_all'], True)} | {_fmt(s['capture_second_half'], True)} | "
                         f"{_fmt(s['share_below_keep_2pct'], True)} | {_fmt(s['changed_share'], True)} |")
        loop = summary["loop"]
        lines += ["", "| loop figure | value |", "|---|---|",
                  f"| products tested (mean per seed) | {_fmt(loop.get('tested'))} |",
                  "| products > 2% below keep in the last week, by what they posted | " + ", ".join(
                      f"{a} {_fmt(v, True)}" for a, v in (loop.get("below_keep_by_arm") or {}).items()) + " |",
                  f"| max cumulative testing cost, wk 4-26 (% of tested products' revenue) | "
                  f"{_fmt(loop.get('max_testing_cost_pct'))}% |",
                  f"| 80% elasticity coverage at wk 26, all / tested | {_fmt(loop.get('coverage_all'), True)} / "
                  f"{_fmt(loop.get('coverage_tested'), True)} |",
                  f"| 80% elasticity coverage at wk 0, all | {_fmt(loop.get('coverage_all_start'), True)} |",
                  f"| median elasticity, wk 0 / wk 26 / truth (all products) | {_fmt(loop.get('median_elasticity_start'))} / "
                  f"{_fmt(loop.get('median_elasticity_end'))} / {_fmt(loop.get('median_true_elasticity'))} |",
                  f"| median absolute elasticity error, wk 0 / wk 26 (all products) | "
                  f"{_fmt(loop.get('elasticity_error_start'))} / {_fmt(loop.get('elasticity_error_end'))} |",
                  f"| tested products' median elasticity SE, wk 26 / wk 0 | {_fmt(loop.get('se_ratio_tested'))} |",
                  f"| the same had every test run all weeks (information bound of b) | "
                  f"{_fmt(loop.get('se_ratio_information_bound'))} |",
                  f"| holdout lift's 90% interval holds the truth (seeds) | {loop.get('holdout_lift_holds_truth')} |",
                  f"| slowest weekly update (s) | {_fmt(loop.get('update_seconds_max'))} |",
                  f"| realized / predicted weekly units (ledger), all weeks; weeks 1-4 → 23-26 (drift) | "
                  f"{_fmt(loop.get('calibration_ratio_all'))}; {_fmt(loop.get('calibration_ratio_first4'))} → "
                  f"{_fmt(loop.get('calibration_ratio_last4'))} |",
                  f"| per product: median abs. ln(realized / predicted) of the 26 weeks' units; slope of ln realized on "
                  f"ln predicted | {_fmt(loop.get('calibration_median_abs_log_ratio'))}; "
                  f"{_fmt(loop.get('calibration_slope'))} |",
                  f"| the same without the season and the level (the recent weeks' units times the price effect) | "
                  f"{_fmt(loop.get('calibration_no_season_ratio_all'))}; "
                  f"{_fmt(loop.get('calibration_no_season_ratio_first4'))} → "
                  f"{_fmt(loop.get('calibration_no_season_ratio_last4'))}; "
                  f"{_fmt(loop.get('calibration_no_season_median_abs_log_ratio'))}; "
                  f"{_fmt(loop.get('calibration_no_season_slope'))} |", "",
                  "| seed | holdout lift (90% interval) | truth |", "|---|---|---|"]
        for s in per_seed:
            h = s["policies"]["loop"].get("holdout_lift") or {}
            if h.get("estimate") is not None:
                lines.append(f"| {s['seed']} | {100 * h['estimate']:.1f}% ({100 * h['interval_90'][0]:.1f}% to "
                             f"{100 * h['interval_90'][1]:.1f}%) | {100 * h['truth']:.1f}% |")
        lines += ["", "Checks (issue 21's bars): " + ", ".join(f"{k} {'yes' if v else 'NO'}"
                                                             for k, v in summary["checks"].items()), ""]
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(doc, indent=1, default=float) + "\n")
    (out / "report.md").write_text("\n".join(lines) + "\n")
    _plot(worlds, out / "cumulative.png")
    return doc


def _plot(worlds: dict[str, list[dict]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(worlds), figsize=(6 * len(worlds), 4), squeeze=False)
    for ax, (spec, per_seed) in zip(axes[0], worlds.items()):
        for name in [p for p in POLICIES if all(p in s["policies"] for s in per_seed)]:
            cum = np.mean([s["policies"][name]["cumulative_gain_pct"] for s in per_seed], axis=0)
            ax.plot(np.arange(1, len(cum) + 1), cum, label=name)
        ax.axhline(0, color="grey", lw=0.5)
        ax.set_title(spec.split(":")[-1])
        ax.set_xlabel("week")
        ax.set_ylabel("cumulative revenue vs keep (%)")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
