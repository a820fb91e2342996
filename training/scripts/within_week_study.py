"""The within-week contrasts in the orders part (pricing_training/within_week_orders.py, OFF by default), measured.

Per data set and seed: the data generated, the panel built and the committed own estimates fitted once (cached with
the panel's lines); then the committed posterior and the one with the within-week evidence added to the orders part
(within_week_orders.augment, what ResponseConfig(within_week_orders=True) does: the retail codes; and with the
trade tiers' contrast too; and the codes read as evidence on b alone, c at the anchor's) are each decided by decision.decide
(default rule) over the evidence support and scored by scoring.score_product, as evaluate.run_dataset does
(capture_pieces.decide_all), in the same run: aggregate capture, harm, share changed, 80% elasticity coverage, bias,
the changed prices' losses against their promise, and the own estimates' sd of the elasticity at p0 (orders part and
total, medians over products) before and after. Development seeds only.

    cd training && OMP_WAIT_POLICY=PASSIVE PYTHONPATH=. python scripts/within_week_study.py out/ww 11,12 shop-invoice shop-invoice-twin
"""
from __future__ import annotations

import argparse
import json
import logging
import pickle
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pricing_training import calibration, capture_pieces, price_response, weekly, within_week_orders  # noqa: E402
from pricing_training.cleaning import clean  # noqa: E402
from pricing_training.price_response import ResponseConfig  # noqa: E402
from pricing_training.response_config import legacy  # noqa: E402

LEGACY = legacy()  # the committed method these studies measured against (before 2026-12-07)
from scripts.shop_capture_study import scenario  # noqa: E402

LINE_COLUMNS = ["stockcode", "week", "customer_discount", "line_discount"]


def cache(directory: Path, seed: int, name: str, cfg: ResponseConfig = LEGACY) -> dict:
    """One data set generated, its panel built and the committed own estimates fitted; pickled with what the
    within-week contrast and the scoring read."""
    path = directory / f"{name}-{seed}.pkl"
    if not path.exists():
        t = time.time()
        from pricing_training import scenarios
        data = scenarios.generate(scenario(name), seed)
        cleaned, _ = clean(data.transactions)
        panel = weekly.build(cleaned)
        own, rows = price_response.own_estimates(panel, cfg)
        directory.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            pickle.dump({"name": name, "seed": seed, "own": own, "products": panel.products.copy(),
                         "truth": data.truth, "history": cleaned.groupby("stockcode")["unit_price"].agg(["min", "max"]),
                         "lines": panel.lines[LINE_COLUMNS].copy(), "rows": rows[["stockcode", "week", "delta"]].copy()},
                        fh)
        print(f"cached {name} seed {seed} in {time.time() - t:.0f} s", flush=True)
    with open(path, "rb") as fh:
        return pickle.load(fh)


def own_sd_at_p0(own, weak_sd: float) -> dict:
    """Medians over products of the own (unshrunk) estimates' sd of the elasticity at p0: orders part and total."""
    weak = np.eye(own.raw_n.shape[1]) / weak_sd ** 2
    at = np.stack([np.ones_like(own.delta0), 2.0 * own.delta0], axis=1)
    cov_n = np.linalg.inv(own.info_n[:, :2, :2] + weak[:2, :2])
    cov_s = np.linalg.inv(own.info_s[:, :2, :2] + weak[:2, :2])
    sd_n = np.sqrt(np.einsum("pi,pij,pj->p", at, cov_n, at))
    sd = np.sqrt(np.einsum("pi,pij,pj->p", at, cov_n + cov_s, at))
    return {"own_sd_orders": float(np.median(sd_n)), "own_sd": float(np.median(sd))}


def orders_check(raw: np.ndarray, info: np.ndarray, truth, products, codes: list[str], delta0: np.ndarray,
                 weak_sd: float) -> dict:
    """The orders part's own slope at p0 (b + 2 c Δ0) against the truth's (the true ln lines' slope at p0), over the
    products with information on it: median error, correlation with the truth, and the median of z² over its χ²₁
    median (1: the stated errors are right; above 1: too small)."""
    facts = products.set_index("stockcode").loc[codes]
    p0, lref = facts["current_price"].to_numpy(np.float64), facts["log_reference_price"].to_numpy(np.float64)
    true = np.array([capture_pieces.local_quadratic(truth, c, p0[i], lref[i], "lines") @ [1.0, 2.0 * delta0[i]]
                     for i, c in enumerate(codes)])
    at = np.stack([np.ones_like(delta0), 2.0 * delta0], axis=1)
    est = np.einsum("pi,pi->p", at, raw[:, :2])
    var = np.einsum("pi,pij,pj->p", at, np.linalg.inv(info[:, :2, :2] + np.eye(2) / weak_sd ** 2), at)
    has = info[:, 0, 0] > 1e-6
    err = (est - true)[has]
    return {"err_median": float(np.median(err)), "corr": float(np.corrcoef(est[has], true[has])[0, 1]),
            "z2_ratio": float(np.median(err ** 2 / var[has]) / 0.454936), "sd_median": float(np.median(np.sqrt(var[has]))),
            "true_sd": float(np.std(true[has]))}


def compare(data: dict, cfg: ResponseConfig = LEGACY) -> list[dict]:
    """The committed posterior and the within-week one on one cached data set, decided and scored alike."""
    truth = capture_pieces.MemoTruth(data["truth"])
    own = data["own"]
    switched = within_week_orders.augment(own, data["lines"], data["rows"], cfg.weak_prior_sd)  # codes (POOLS)
    with_tiers = within_week_orders.augment(own, data["lines"], data["rows"], cfg.weak_prior_sd, pools=(0, 1))
    slope = within_week_orders.augment(own, data["lines"], data["rows"], cfg.weak_prior_sd, slope_only=True)
    codes, products = own.stockcodes, data["products"]
    level = within_week_orders.anchor(own.raw_n[:, :2], own.info_n[:, :2, :2])
    raw_w, info_w, _ = within_week_orders.estimates(within_week_orders.cells(data["lines"], data["rows"], codes),
                                                    len(codes), level, cfg.weak_prior_sd)
    checks = {label: orders_check(raw, info, truth, products, codes, own.delta0, cfg.weak_prior_sd)
              for label, raw, info in (("orders_default", own.raw_n, own.info_n), ("orders_within_only", raw_w, info_w),
                                       ("orders_switched", switched.raw_n, switched.info_n))}
    print(json.dumps({"name": data["name"], "seed": data["seed"], **checks}), flush=True)
    out = []
    for label, estimates in (("default", own), ("codes", switched), ("codes+tiers", with_tiers),
                             ("codes, b only", slope)):
        response = price_response.posterior(estimates, cfg)
        prods = capture_pieces.with_support(data["products"], response.draws, response.stockcodes, cfg.max_curve_sd)
        pp = capture_pieces.decide_all(truth, prods, response.stockcodes, response.draws, data["history"])
        changed = pp["decision"] == "change"
        losses = calibration.changed_losses(pp.loc[changed, "probability_of_gain"], pp.loc[changed, "harm"])
        out.append({"name": data["name"], "seed": data["seed"], "variant": label, **capture_pieces.headline(pp),
                    "losing": losses["losing_share"], "allowed": losses["allowed"],
                    "orders_between_sd_b": response.summary["orders"]["between_sd"][0],
                    **own_sd_at_p0(estimates, cfg.weak_prior_sd), "checks": checks})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("directory", type=Path)
    ap.add_argument("seeds", help="comma-separated seeds (development: 11,12)")
    ap.add_argument("names", nargs="+", help="data sets (a twin as NAME-twin)")
    a = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for name in a.names:
        for seed in (int(s) for s in a.seeds.split(",")):
            for r in compare(cache(a.directory, seed, name)):
                print(f"{r['name']:>18} {r['seed']} {r['variant']:>11}: capture {100 * r['capture']:.1f}% harm "
                      f"{100 * r['harm']:.1f}% changed {100 * r['changed']:.0f}% cov80 {100 * r['cov80']:.1f}% bias "
                      f"{r['bias']:+.2f} losing {100 * (r['losing'] or 0):.1f}% (allowed {100 * (r['allowed'] or 0):.1f}%) "
                      f"own sd orders {r['own_sd_orders']:.2f} total {r['own_sd']:.2f} "
                      f"orders between-sd b {r['orders_between_sd_b']:.2f}", flush=True)
                with open(a.directory / "results.jsonl", "a") as fh:
                    fh.write(json.dumps(r, default=float) + "\n")


if __name__ == "__main__":
    main()
