"""The sum's curvature population learned truncated to c <= 0 (pricing_training/curvature_prior.py,
ResponseConfig.truncated_curvature, OFF by default), measured against the committed posterior.

Per data set and seed the own estimates are fitted once and cached (scripts/within_week_study.py's cache, which also
keeps what the within-week contrast reads); then each variant's posterior is decided by decision.decide (default rule)
over the evidence support and scored by scoring.score_product, as evaluate.run_dataset does (capture_pieces.decide_all),
in the same run: aggregate capture, harm, share changed, 80% elasticity coverage, bias (median signed elasticity error
at p0), the changed prices' losses against their promise, and the learned population of the sum's c (the normal prior's
sd against the truncated parent's). Variants: committed, `trunc` (c's population relearned), `trunc+slope` (b's
regression on c relearned too), and each with the within-week codes (within_week_orders.augment, what
ResponseConfig(within_week_orders=True) does). Development seeds only.

    cd training && OMP_WAIT_POLICY=PASSIVE PYTHONPATH=. python scripts/truncated_curvature_study.py out/tr 11,12 shop-invoice shop-weekly
    cd training && OMP_WAIT_POLICY=PASSIVE PYTHONPATH=. python scripts/truncated_curvature_study.py out/tr 11,12 x --table
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pricing_training import calibration, capture_pieces, price_response, within_week_orders  # noqa: E402
from pricing_training.price_response import ResponseConfig  # noqa: E402
from pricing_training.response_config import legacy  # noqa: E402

LEGACY = legacy()  # the committed method these studies measured against (before 2026-12-07)
from scripts.within_week_study import cache  # noqa: E402

VARIANTS = {
    "default": {},
    "trunc": {"truncated_curvature": True},
    "trunc+slope": {"truncated_curvature": True, "truncated_curvature_slope": True},
    "trunc-floor": {"truncated_curvature": True, "truncated_curvature_spread": "floor"},
    "trunc-int": {"truncated_curvature": True, "truncated_curvature_spread": "integrated"},
}


def compare(data: dict, variants: list[str], within_week: tuple[bool, ...]) -> list[dict]:
    """Every variant (with and without the within-week codes) on one cached data set, decided and scored alike."""
    truth = capture_pieces.MemoTruth(data["truth"])
    base = LEGACY
    own = data["own"]
    out = []
    for ww in within_week:
        estimates = (within_week_orders.augment(own, data["lines"], data["rows"], base.weak_prior_sd) if ww else own)
        for label in variants:
            cfg = dataclasses.replace(base, **VARIANTS[label])
            response = price_response.posterior(estimates, cfg)
            prods = capture_pieces.with_support(data["products"], response.draws, response.stockcodes, cfg.max_curve_sd)
            pp = capture_pieces.decide_all(truth, prods, response.stockcodes, response.draws, data["history"])
            changed = pp["decision"] == "change"
            losses = calibration.changed_losses(pp.loc[changed, "probability_of_gain"], pp.loc[changed, "harm"])
            tc = response.summary.get("truncated_curvature", {})
            out.append({"name": data["name"], "seed": data["seed"], "variant": label + ("+ww" if ww else ""),
                        **capture_pieces.headline(pp), "losing": losses["losing_share"], "allowed": losses["allowed"],
                        "median_post_c": float(np.median(response.mean[:, 1])),
                        "median_post_b": float(np.median(response.mean[:, 0])),
                        "sum_prior_sd_c": tc.get("start_sd", [None, None])[1],
                        "parent_sd_c": tc.get("population_sd_c"), "parent_mean_c": tc.get("population_mean_c"),
                        "spread_range": tc.get("spread_range")})
    return out


def true_curvatures(data: dict) -> dict:
    """The truth's population of curvatures (diagnosis only: the method never reads it): the true ln units' (b, c)
    at each product's current price (capture_pieces.local_quadratic), median and sd of c, share above 0."""
    truth, own = capture_pieces.MemoTruth(data["truth"]), data["own"]
    facts = data["products"].set_index("stockcode").loc[own.stockcodes]
    bc = np.array([capture_pieces.local_quadratic(truth, code, float(facts["current_price"].iloc[i]),
                                                  float(facts["log_reference_price"].iloc[i]))
                   for i, code in enumerate(own.stockcodes)])
    return {"name": data["name"], "seed": data["seed"], "true_c_median": float(np.median(bc[:, 1])),
            "true_c_sd": float(np.std(bc[:, 1])), "true_c_positive": float((bc[:, 1] > 1e-9).mean()),
            "true_c_robust_sd": float(np.subtract(*np.percentile(bc[:, 1], [75, 25])) / 1.349),
            "true_b_median": float(np.median(bc[:, 0]))}


def table(directory: Path, only: list[str] | None = None) -> None:
    """The markdown table and the means over rows of <directory>/results.jsonl (the last run of each row)."""
    rows = {(r["name"], r["seed"], r["variant"]): r for r in map(json.loads, open(directory / "results.jsonl"))}
    keys = sorted({(n, s) for n, s, _ in rows}, key=lambda k: (list(dict.fromkeys(n for n, _, _ in rows)).index(k[0]), k[1]))
    variants = [v for v in dict.fromkeys(v for _, _, v in rows) if only is None or v in only]

    def cell(r: dict) -> str:
        return (f"{100 * r['capture']:.1f} / {100 * r['harm']:.1f} / {100 * r['cov80']:.1f} / {r['bias']:+.2f} / "
                f"{100 * (r['losing'] or 0):.1f} ({100 * (r['allowed'] or 0):.1f})")

    print("| data set | seed | " + " | ".join(variants) + " |")
    print("|---|---|" + "---|" * len(variants))
    for n, s in keys:
        print(f"| {n} | {s} | " + " | ".join(cell(rows[(n, s, v)]) if (n, s, v) in rows else "–" for v in variants)
              + " |")
    for v in variants:
        rs = [rows[(n, s, v)] for n, s in keys if (n, s, v) in rows]
        print(f"{v}: capture {100 * np.mean([r['capture'] for r in rs]):.1f} harm {100 * np.mean([r['harm'] for r in rs]):.2f}"
              f" (max {100 * max(r['harm'] for r in rs):.1f}, above 5% {sum(r['harm'] > 0.05 for r in rs)}) cov80 "
              f"{100 * np.mean([r['cov80'] for r in rs]):.1f} mean |bias| {np.mean([abs(r['bias']) for r in rs]):.2f} "
              f"median bias {np.median([r['bias'] for r in rs]):+.2f} median |bias| "
              f"{np.median([abs(r['bias']) for r in rs]):.2f} losing {100 * np.mean([r['losing'] or 0 for r in rs]):.1f}"
              f" ({len(rs)} rows)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("directory", type=Path)
    ap.add_argument("seeds", help="comma-separated seeds (development: 11,12)")
    ap.add_argument("names", nargs="+", help="data sets (a twin as NAME-twin)")
    ap.add_argument("--variants", default="default,trunc,trunc+slope")
    ap.add_argument("--no-within-week", action="store_true", help="skip the within-week variants")
    ap.add_argument("--truth", action="store_true", help="only the truth's curvature population (diagnosis)")
    ap.add_argument("--table", action="store_true", help="only print the table of <directory>/results.jsonl")
    ap.add_argument("--only", default=None, help="with --table: comma-separated variants to show")
    a = ap.parse_args()
    if a.table:
        table(a.directory, None if a.only is None else a.only.split(","))
        return
    if a.truth:
        for name in a.names:
            for seed in (int(s) for s in a.seeds.split(",")):
                print(json.dumps(true_curvatures(cache(a.directory, seed, name))), flush=True)
        return
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    within_week = (False,) if a.no_within_week else (False, True)
    for name in a.names:
        for seed in (int(s) for s in a.seeds.split(",")):
            for r in compare(cache(a.directory, seed, name), a.variants.split(","), within_week):
                fmt = (lambda v: "-" if v is None else f"{v:.2f}")
                print(f"{r['name']:>19} {r['seed']} {r['variant']:>16}: capture {100 * r['capture']:5.1f}% harm "
                      f"{100 * r['harm']:4.1f}% changed {100 * r['changed']:3.0f}% cov80 {100 * r['cov80']:5.1f}% bias "
                      f"{r['bias']:+.2f} losing {100 * (r['losing'] or 0):4.1f}% (allowed {100 * (r['allowed'] or 0):4.1f}%)"
                      f" post c {r['median_post_c']:+.2f} b {r['median_post_b']:+.2f} sd(c) {fmt(r['sum_prior_sd_c'])}"
                      f" -> population sd(c) {fmt(r['parent_sd_c'])} mean c {fmt(r['parent_mean_c'])}", flush=True)
                with open(a.directory / "results.jsonl", "a") as fh:
                    fh.write(json.dumps(r, default=float) + "\n")


if __name__ == "__main__":
    main()
