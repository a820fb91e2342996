"""The orders part's nuisance from exogenous controls only (pricing_training/exogenous_nuisance.py, OFF by default),
measured against the committed one on the same data.

Per data set and seed: the data generated, the panel built, and the own estimates fitted with the committed
ResponseConfig and with each ResponseConfig.orders_nuisance variant (exogenous_nuisance.VARIANTS; cached); then
each posterior decided by decision.decide (default rule) over the evidence support and scored by
scoring.score_product, as evaluate.run_dataset does (capture_pieces.decide_all), in the same run: aggregate capture, harm, share changed, 80% elasticity coverage, bias
(median signed error of the elasticity at p0), the changed prices losing > 1% against what their promise allows,
the own estimates' sd of the elasticity at p0 (orders part and total, medians), and the orders part's own slope at
p0 against the truth's (median error, correlation, median z² over its χ²₁ median). Development seeds only.

    cd training && OMP_WAIT_POLICY=PASSIVE PYTHONPATH=. python scripts/exogenous_nuisance_study.py out/xn 11,12 shop-invoice shop-weekly
    cd training && PYTHONPATH=. python scripts/exogenous_nuisance_study.py out/xn 11,12 x --table
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import pickle
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pricing_training import calibration, capture_pieces, exogenous_nuisance, price_response, scenarios, weekly  # noqa: E402
from pricing_training.cleaning import clean  # noqa: E402
from pricing_training.price_response import ResponseConfig  # noqa: E402
from pricing_training.response_config import legacy  # noqa: E402

LEGACY = legacy()  # the committed method these studies measured against (before 2026-12-07)
from scripts.shop_capture_study import scenario  # noqa: E402
from scripts.within_week_study import orders_check, own_sd_at_p0  # noqa: E402

VARIANTS = ("default",) + exogenous_nuisance.VARIANTS  # "default": ResponseConfig's orders_nuisance="committed"


def cache(directory: Path, seed: int, name: str, variants: tuple[str, ...] = VARIANTS) -> dict:
    """One data set generated, its panel built and the own estimates fitted with the committed config and with each
    of `variants` as ResponseConfig.orders_nuisance; pickled with what the scoring reads (a variant missing from
    an existing pickle is fitted and added)."""
    path = directory / f"{name}-{seed}.pkl"
    cached = None
    if path.exists():
        with open(path, "rb") as fh:
            cached = pickle.load(fh)
        if all(v in cached["own"] for v in variants):
            return cached
    t = time.time()
    data = scenarios.generate(scenario(name), seed)
    cleaned, _ = clean(data.transactions)
    panel = weekly.build(cleaned)
    if cached is None:
        cached = {"name": name, "seed": seed, "own": {}, "products": panel.products.copy(), "truth": data.truth,
                  "history": cleaned.groupby("stockcode")["unit_price"].agg(["min", "max"])}
    for v in variants:
        if v not in cached["own"]:
            cfg = dataclasses.replace(LEGACY, orders_nuisance="committed" if v == "default" else v)
            cached["own"][v], _ = price_response.own_estimates(panel, cfg)
    directory.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        pickle.dump(cached, fh)
    print(f"cached {name} seed {seed} ({', '.join(variants)}) in {time.time() - t:.0f} s", flush=True)
    return cached


def compare(data: dict, variants: tuple[str, ...] = VARIANTS, cfg: ResponseConfig = LEGACY) -> list[dict]:
    """The committed and the switched own estimates on one cached data set, each through the committed posterior,
    decided and scored alike."""
    truth = capture_pieces.MemoTruth(data["truth"])
    out = []
    for label in variants:
        own = data["own"][label]
        check = orders_check(own.raw_n, own.info_n, truth, data["products"], own.stockcodes, own.delta0,
                             cfg.weak_prior_sd)
        response = price_response.posterior(own, cfg)
        prods = capture_pieces.with_support(data["products"], response.draws, response.stockcodes, cfg.max_curve_sd)
        pp = capture_pieces.decide_all(truth, prods, response.stockcodes, response.draws, data["history"])
        changed = pp["decision"] == "change"
        losses = calibration.changed_losses(pp.loc[changed, "probability_of_gain"], pp.loc[changed, "harm"])
        out.append({"name": data["name"], "seed": data["seed"], "variant": label, **capture_pieces.headline(pp),
                    "losing": losses["losing_share"], "allowed": losses["allowed"],
                    "orders_between_sd_b": response.summary["orders"]["between_sd"][0],
                    "orders_split_scale": response.summary["orders"]["split_check_scale"],
                    **own_sd_at_p0(own, cfg.weak_prior_sd), "orders_check": check})
    return out


def table(directory: Path) -> str:
    """The markdown table of results.jsonl (the latest record of each data set, seed and variant)."""
    latest = {}
    with open(directory / "results.jsonl") as fh:
        for line in fh:
            r = json.loads(line)
            latest[(r["name"], r["seed"], r["variant"])] = r
    head = ("| data set | seed | orders nuisance | capture | harm | changed | 80% cov. | bias | losing (allowed) | "
            "own sd orders / total | orders own e(p0): error, corr. |\n|---|---|---|---|---|---|---|---|---|---|---|")
    out = [head]
    for (name, seed, variant), r in sorted(latest.items(), key=lambda kv: (kv[0][0], kv[0][1], VARIANTS.index(kv[0][2]))):
        c = r["orders_check"]
        out.append(f"| {name} | {seed} | {variant} | {100 * r['capture']:.1f}% | {100 * r['harm']:.1f}% | "
                   f"{100 * r['changed']:.0f}% | {100 * r['cov80']:.1f}% | {r['bias']:+.2f} | "
                   f"{100 * (r['losing'] or 0):.1f}% ({100 * (r['allowed'] or 0):.1f}%) | "
                   f"{r['own_sd_orders']:.2f} / {r['own_sd']:.2f} | {c['err_median']:+.2f}, {c['corr']:.2f} |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("directory", type=Path)
    ap.add_argument("seeds", help="comma-separated seeds (development: 11,12)")
    ap.add_argument("names", nargs="+", help="data sets (a twin as NAME-twin)")
    ap.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, of {', '.join(VARIANTS)}")
    ap.add_argument("--table", action="store_true", help="only print the markdown table of the results so far")
    a = ap.parse_args()
    if a.table:
        print(table(a.directory))
        return
    variants = tuple(a.variants.split(","))
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for name in a.names:
        for seed in (int(s) for s in a.seeds.split(",")):
            for r in compare(cache(a.directory, seed, name, variants), variants):
                c = r["orders_check"]
                print(f"{r['name']:>20} {r['seed']} {r['variant']:>10}: capture {100 * r['capture']:.1f}% harm "
                      f"{100 * r['harm']:.1f}% changed {100 * r['changed']:.0f}% cov80 {100 * r['cov80']:.1f}% bias "
                      f"{r['bias']:+.2f} losing {100 * (r['losing'] or 0):.1f}% (allowed {100 * (r['allowed'] or 0):.1f}%) "
                      f"own sd orders {r['own_sd_orders']:.2f} total {r['own_sd']:.2f} | orders own at p0: error "
                      f"{c['err_median']:+.2f} corr {c['corr']:.2f} z2 ratio {c['z2_ratio']:.2f}", flush=True)
                with open(a.directory / "results.jsonl", "a") as fh:
                    fh.write(json.dumps(r, default=float) + "\n")


if __name__ == "__main__":
    main()
