"""Why the method captures so little on the shop scenarios: the gap to the realistic oracle decomposed (issue 19).

DIAGNOSIS ONLY: every variant but `method` reads the generator's truth, which a method never reads. The method's
posterior, the decision (decision.decide under the default rule, over decision.default_range of the supported
range) and the scoring (scoring.score_product) are run exactly as evaluate.run_dataset runs them; each variant
replaces one piece of the posterior and keeps the rest (pricing_training/capture_pieces.py):

    method          the committed posterior (price_response.posterior)
    truth@p0        the posterior mean replaced by the truth's slope and curvature at p0, the method's spread kept
    truth@p0 slide  the truth's curvature in every draw, the slope spread so that the elasticity at p0 spreads as
                    the method's does (the curve known but for a shift, as the oracle knows it)
    truth@p0 exact  the same with no spread (every draw the truth's local quadratic)
    own             the products' own estimates, unshrunk: draws from N(own, own covariance)
    family          the truth's curve refitted in the method's log-quadratic over the product's observed weekly
                    list prices, volume-weighted (the noiseless misfit), the method's spread kept
    family exact    the same with no spread
    orders:true-price / orders:oracle / orders:oracle-flat / orders:noiseless / size:noiseless / both:noiseless
                    the own estimates with one part refitted with pieces of the truth (as orders_refit_study.py:
                    the true list price's residual; the true price and the true demand factor as offset, weak
                    prior sd 5 / flat sd 100; the noiseless log-quadratic) and the committed posterior on them
    ... +wide       the same decided over the truth's whole range [p0/2, 2 p0] instead of the evidence support

plus the search range (the share of the possible gain inside the method's search range), the estimate's precision
(the method's posterior and own sd of the elasticity at p0 against the realistic oracle's information-implied sd,
and the oracle's information split by where it comes from), and the realistic oracle's capture (its best rule
within 5% harm, 25 replicates) with the generator's prior over the distance to the optimum and with a flat one.

    cd training && OMP_WAIT_POLICY=PASSIVE PYTHONPATH=. python scripts/shop_capture_study.py cache out/sc 11,12 shop-invoice
    cd training && OMP_WAIT_POLICY=PASSIVE PYTHONPATH=. python scripts/shop_capture_study.py run out/sc 11,12 shop-invoice
    cd training && OMP_WAIT_POLICY=PASSIVE PYTHONPATH=. python scripts/shop_capture_study.py run out/sc 11,12 shop-invoice --only "truth@p0 slide"
    cd training && OMP_WAIT_POLICY=PASSIVE PYTHONPATH=. python scripts/shop_capture_study.py fix out/sc 11,12 shop-invoice shop-weekly exp-strong iso-moderate

`fix` runs the candidate (pricing_training/prior_inflation.py: the learned between-product spread × factor, OFF by
default) next to the committed method (factor 1) on each data set.
"""
from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
import types
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pricing_training import calibration, capture_pieces, decision, price_response, prior_inflation, scenarios, weekly  # noqa: E402
from pricing_training.cleaning import clean  # noqa: E402
from pricing_training.price_response import ResponseConfig  # noqa: E402
from pricing_training.response_config import legacy  # noqa: E402

LEGACY = legacy()  # the committed method these studies measured against (before 2026-12-07)

ROW_COLUMNS = ["stockcode", "week", "week_start", "observed", "lines", "delta", "n_hat", "m_hat", "s_hat", "z1", "z2"]
WEEK_COLUMNS = ["stockcode", "week", "week_start", "list_price", "season", "shock", "demand_factor"]


def scenario(name: str) -> scenarios.Scenario:
    if name.endswith("-twin"):
        return scenarios.SCENARIOS[name[: -len("-twin")]].twin()
    return scenarios.SCENARIOS[name]


def cache(directory: Path, seed: int, name: str, cfg: ResponseConfig = LEGACY) -> Path:
    """One data set generated, its panel built and its own estimates fitted; pickled with the estimation rows
    (nuisances) and the generator's weekly truth (for the diagnosis's truth-replaced variants)."""
    path = directory / f"{name}-{seed}.pkl"
    if path.exists():
        return path
    t = time.time()
    data = scenarios.generate(scenario(name), seed)
    cleaned, _ = clean(data.transactions)
    panel = weekly.build(cleaned)
    own, rows = price_response.own_estimates(panel, cfg)
    history = cleaned.groupby("stockcode")["unit_price"].agg(["min", "max"])
    directory.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        pickle.dump({"name": name, "seed": seed, "own": own, "products": panel.products.copy(), "truth": data.truth,
                     "history": history, "rows": rows[ROW_COLUMNS].copy(), "weeks": data.weeks[WEEK_COLUMNS].copy(),
                     "seconds": time.time() - t}, fh)
    print(f"cached {name} seed {seed} in {time.time() - t:.0f} s", flush=True)
    return path


def study(data: dict, scen: scenarios.Scenario, oracle: bool = True, cfg: ResponseConfig = LEGACY,
          only: list[str] | None = None) -> dict:
    """Every variant of the module doc on one cached data set: capture, harm, changed and 80% coverage under the
    default rule and under the Bayes rule (no evidence condition), the search range, the precision and the oracle."""
    own, truth, history = data["own"], capture_pieces.MemoTruth(data["truth"]), data["history"]
    rows = capture_pieces.observed_truth(data["rows"], data["weeks"])
    products = data["products"]
    method = price_response.posterior(own, cfg)
    codes = method.stockcodes
    facts = products.set_index("stockcode").loc[codes]
    p0 = facts["current_price"].to_numpy(np.float64)
    lref = facts["log_reference_price"].to_numpy(np.float64)
    known = set(truth.products["stockcode"])
    local = np.array([capture_pieces.local_quadratic(truth, c, p0[i], lref[i]) if c in known else method.mean[i]
                      for i, c in enumerate(codes)])
    by_code = rows.groupby("stockcode").indices
    family = method.mean.copy()
    for i, c in enumerate(codes):
        idx = by_code.get(c)
        if c in known and idx is not None:
            g = rows.iloc[idx]
            if g["list_price"].notna().all():
                w = truth.units(c, g["list_price"].to_numpy()) * g["demand_factor"].to_numpy()
                coef = capture_pieces.family_coefficients(truth, c, lref[i], g["list_price"].to_numpy(), w)
                if coef is not None:
                    family[i] = coef
    weak = np.eye(2) / cfg.weak_prior_sd ** 2
    own_cov = np.linalg.inv(own.info_n + weak) + np.linalg.inv(own.info_s + weak)
    own_draws = capture_pieces.normal_draws(own.raw_n + own.raw_s, own_cov, cfg.draws, cfg.seed)

    variants = {
        "method": method.draws,
        "truth@p0": np.stack([capture_pieces.recentre(method.draws[i], local[i]) for i in range(len(codes))]),
        "truth@p0 slide": np.stack([capture_pieces.slide(method.draws[i], local[i], np.log(p0[i]) - lref[i])
                                    for i in range(len(codes))]),
        "truth@p0 exact": np.stack([capture_pieces.exact(method.draws[i], local[i]) for i in range(len(codes))]),
        "own (no shrinkage)": own_draws,
        "family": np.stack([capture_pieces.recentre(method.draws[i], family[i]) for i in range(len(codes))]),
        "family exact": np.stack([capture_pieces.exact(method.draws[i], family[i]) for i in range(len(codes))]),
    }
    refits = {} if only and not any(":" in k for k in only) else {"orders:true-price": capture_pieces.refit_orders(own, rows, truth, products, "true-price"),
              "orders:oracle": capture_pieces.refit_orders(own, rows, truth, products, "oracle"),
              "orders:oracle-flat": capture_pieces.refit_orders(own, rows, truth, products, "oracle", 100.0),
              "orders:noiseless": capture_pieces.refit_orders(own, rows, truth, products, "noiseless")}
    if refits:
        refits["size:noiseless"] = capture_pieces.noiseless_size(own, rows, truth, products)
        refits["both:noiseless"] = capture_pieces.noiseless_size(refits["orders:noiseless"], rows, truth, products)
    for label, changed_own in refits.items():
        if not only or label in only:
            variants[label] = price_response.posterior(changed_own, cfg).draws
    result = {"name": data["name"], "seed": data["seed"], "variants": {}}
    method_pp = None
    if only:
        variants = {k: v for k, v in variants.items() if k in only or k == "method"}
    for label, draws in variants.items():
        prods = capture_pieces.with_support(products, draws, codes, cfg.max_curve_sd)
        entry = {}
        for rule, settings in (("default", decision.DEFAULT_DECISION), ("bayes", capture_pieces.BAYES)):
            for wide in ((False, True) if rule == "default" else (False,)):
                pp = capture_pieces.decide_all(truth, prods, codes, draws, history, settings, wide)
                entry[rule + ("+wide" if wide else "")] = capture_pieces.headline(pp)
                if label == "method" and rule == "default" and not wide:
                    method_pp = pp
        result["variants"][label] = entry
    result["search_range"] = capture_pieces.search_range_capture(method_pp)
    if not only:
        result["precision"] = precision(data, scen, own, method, codes, p0, lref, method_pp, oracle)
    return result


def precision(data, scen, own, method, codes, p0, lref, pp, oracle: bool) -> dict:
    """The method's posterior and own sd of the elasticity at p0 against the realistic oracle's information-implied
    sd, per product (medians), and the oracle's information by source; the oracle's capture when `oracle`."""
    truth, weeks = data["truth"], data["weeks"]  # the plain Truth: the oracle reads its parameters
    data_ns = types.SimpleNamespace(truth=truth, scenario=scen, weeks=weeks)
    by_code = {c: g for c, g in weeks.groupby("stockcode", sort=False)}
    weak = np.eye(2) / 25.0
    d0 = np.log(p0) - lref
    rec = []
    scored = set(pp["stockcode"])
    for i, c in enumerate(codes):
        if c not in scored:
            continue
        at = np.array([1.0, 2.0 * d0[i]])
        cov_n, cov_s = np.linalg.inv(own.info_n[i] + weak), np.linalg.inv(own.info_s[i] + weak)
        e = method.draws[i, :, 0] + 2.0 * method.draws[i, :, 1] * d0[i]
        info = capture_pieces.oracle_information(data_ns, c, by_code[c])
        slope = abs(capture_pieces.elasticity_slope(truth, c, p0[i]))
        rec.append({"stockcode": c, "posterior_sd": float(np.std(e)),
                    "own_sd": float(np.sqrt(at @ (cov_n + cov_s) @ at)),
                    "own_sd_orders": float(np.sqrt(at @ cov_n @ at)), "own_sd_size": float(np.sqrt(at @ cov_s @ at)),
                    # b alone (c known): what a one-parameter fit like the oracle's would be held to
                    "own_sd_b_only": float(np.sqrt(1.0 / max(own.info_n[i, 0, 0], 1e-12) + 1.0 / max(own.info_s[i, 0, 0], 1e-12))),
                    **{f"oracle_sd_{k}": slope / np.sqrt(max(v, 1e-12)) for k, v in info.items()},
                    **{f"info_{k}": v for k, v in info.items()}})
    frame = pd.DataFrame(rec)
    out = {k: float(frame[k].median()) for k in frame.columns if k != "stockcode"}
    out["ratio_posterior_to_oracle"] = float((frame["posterior_sd"] / frame["oracle_sd_realistic"]).median())
    out["ratio_own_to_oracle"] = float((frame["own_sd"] / frame["oracle_sd_realistic"]).median())
    out["share_within_week"] = float((frame["info_within_week"] / frame["info_realistic"]).median())
    out["share_orders"] = float((frame["info_orders_only"] / frame["info_realistic"]).median())
    if oracle:
        out["oracle"] = {k: v for k, v in capture_pieces.realistic_oracle_capture(data_ns, pp, data["seed"]).items()
                         if k != "elasticity_se"}
        out["oracle_flat_prior"] = {k: v for k, v in capture_pieces.realistic_oracle_capture(
            data_ns, pp, data["seed"], capture_pieces.flat_prior).items() if k != "elasticity_se"}
    return out


def format_result(result: dict) -> str:
    lines = [f"== {result['name']} seed {result['seed']}: capture / harm / changed / 80% coverage / bias"]
    for label, entry in result["variants"].items():
        cells = [f"{rule}: {100 * h['capture']:.1f} / {100 * h['harm']:.1f} / {100 * h['changed']:.0f} / "
                 f"{100 * h['cov80']:.0f} / {h['bias']:+.2f}" for rule, h in entry.items()]
        lines.append(f"  {label:>20}  " + " | ".join(cells))
    lines.append("  search range: " + json.dumps(result["search_range"], default=float))
    if "precision" in result:
        lines.append("  precision: " + json.dumps(result["precision"], default=float))
    return "\n".join(lines)


def fix(data: dict, factors: list[float], cfg: ResponseConfig = LEGACY) -> list[dict]:
    """The candidate fix (prior_inflation) at each factor next to the committed method (factor 1) on one cached
    data set, in the same run: capture, harm, changed, 80% coverage, bias and the changed prices' losses against
    their promise."""
    truth = capture_pieces.MemoTruth(data["truth"])
    out = []
    for factor in [1.0] + [f for f in factors if f != 1.0]:
        response = prior_inflation.posterior(data["own"], cfg, prior_inflation.InflationConfig(factor))
        prods = capture_pieces.with_support(data["products"], response.draws, response.stockcodes, cfg.max_curve_sd)
        pp = capture_pieces.decide_all(truth, prods, response.stockcodes, response.draws, data["history"])
        changed = pp["decision"] == "change"
        losses = calibration.changed_losses(pp.loc[changed, "probability_of_gain"], pp.loc[changed, "harm"])
        out.append({"name": data["name"], "seed": data["seed"], "factor": factor, **capture_pieces.headline(pp),
                    "losing": losses["losing_share"], "allowed": losses["allowed"]})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["cache", "run", "fix"])
    ap.add_argument("directory", type=Path)
    ap.add_argument("seeds", help="comma-separated seeds")
    ap.add_argument("names", nargs="+", help="data sets (a twin as NAME-twin)")
    ap.add_argument("--factors", default="1.5,2,3", help="fix: comma-separated prior-spread factors")
    ap.add_argument("--only", nargs="+", default=None, help="run: only these variants (and the method)")
    ap.add_argument("--no-oracle", action="store_true", help="skip the realistic oracle's capture (slowest part)")
    a = ap.parse_args()
    seeds = [int(s) for s in a.seeds.split(",")]
    for name in a.names:
        for seed in seeds:
            path = cache(a.directory, seed, name)
            if a.command == "fix":
                with open(path, "rb") as fh:
                    data = pickle.load(fh)
                for r in fix(data, [float(f) for f in a.factors.split(",")]):
                    print(f"{r['name']:>14} {r['seed']} factor {r['factor']:g}: capture {100 * r['capture']:.1f}% harm "
                          f"{100 * r['harm']:.1f}% changed {100 * r['changed']:.0f}% cov80 {100 * r['cov80']:.1f}% bias "
                          f"{r['bias']:+.2f} losing {100 * (r['losing'] or 0):.1f}% (allowed {100 * (r['allowed'] or 0):.1f}%)",
                          flush=True)
            if a.command == "run":
                with open(path, "rb") as fh:
                    data = pickle.load(fh)
                result = study(data, scenario(name), oracle=not a.no_oracle, only=a.only)
                print(format_result(result), flush=True)
                suffix = "" if not a.only else "-only"
                (a.directory / f"result-{name}-{seed}{suffix}.json").write_text(json.dumps(result, default=float, indent=1))


if __name__ == "__main__":
    main()
