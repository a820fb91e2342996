"""Honest evaluation of price decisions on synthetic ground truth (`python -m pricing_training evaluate`).

For every scenario of the matrix (demand forms, confounding off/moderate/strong with an unconfounded twin
from the same draws, products priced near and far from their optimum, quantity breaks, thin and thick
products) and every seed, the data is generated, the price response is fit exactly as `train` fits it,
every product is decided exactly as the service decides it (decision.py), and the decisions are scored
against the true revenue curve (scoring.py). Baselines are measured in the same run on the same data: keeping
the current price, the previous line-level method (line_baseline.py: a network and an ElasticNet swept over
the product's price history), and an oracle that knows the true curve (searching the same range). From the
same posterior draws, calibration.py measures whether the posterior's statements hold (elasticity and
best-price interval coverage, P(gain) reliability, losses among changed prices) and the decision rule's
frontier (harm rate against aggregate gain capture over its parameter), next to the information oracle's.

Every figure is computed on the products of all seeds together (`summary`), for each seed alone
(`per_seed`), and as its spread over the seeds (`spread`: mean, sd, min, max). Development seeds are for
tuning; the report uses separate seeds (`REPORT_SEEDS`).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd

from . import calibration, decision, information_oracle, line_baseline, matrix_report, scenarios, weekly
from .cleaning import clean
from .evaluation_plots import plot_calibration, plot_curves, plot_frontier
from .price_response import ResponseConfig, fit as fit_price_response
from .scoring import HARM, MISPRICED, median_p90, score_product, summarize

log = logging.getLogger(__name__)

DEV_SEEDS = [11, 12]
REPORT_SEEDS = [101, 102, 103]
# The line-level baseline takes about a third of a data set's evaluation time (58 of 162 CPU seconds measured on
# mixed-strong-thin); by default it runs on the first report seed only (the report says so), which keeps
# `make eval` within its hour on 2 cores with room for the matrix to grow.
BASELINE_SEEDS = 1
ORACLE_MULTIPLES = (1, 3, 10, 30)
ORACLE_REPLICATES = 25  # draws of the oracle's estimate per product
BAR = {"median_regret": 0.02, "p90_regret": 0.08, "harm_rate": 0.05, "gain_capture": 0.70, "twin_gap": 0.01,
       "coverage": (0.70, 0.90)}


def _responses(panel: weekly.WeeklyPanel, response) -> dict[str, decision.ProductResponse]:
    """Each product's posterior and pricing facts, as the service reads them from a version."""
    facts = panel.products.set_index("stockcode")
    out = {}
    for i, code in enumerate(response.stockcodes):
        f = facts.loc[code]
        out[code] = decision.ProductResponse(float(f["log_reference_price"]), response.draws[i].astype(np.float32),
                                             float(f["current_price"]), (float(f["support_min"]), float(f["support_max"])),
                                             float(f["realized_price_ratio"]))
    return out


def run_dataset(scenario: scenarios.Scenario, seed: int, with_old: bool = True,
                cfg: ResponseConfig = ResponseConfig(), settings: dict = decision.DEFAULT_DECISION) -> tuple[pd.DataFrame, dict]:
    """One data set: generated, fit, every product decided and scored, the information oracle and (when
    `with_old`) the line-level baseline measured on it. Returns (per product, what the report and plots need)."""
    t0, cpu0 = time.time(), time.process_time()
    data = scenarios.generate(scenario, seed)
    cleaned, _ = clean(data.transactions)
    panel = weekly.build(cleaned)
    response, _ = fit_price_response(panel, cfg)
    responses = _responses(panel, response)
    history = cleaned.groupby("stockcode")["unit_price"].agg(["min", "max"])
    known = set(data.truth.products["stockcode"])
    lines = panel.products.set_index("stockcode")["lines"]
    own_se = dict(zip(response.stockcodes, response.raw_sd))
    rows, rule_revenues = [], []
    for code, resp in responses.items():
        if code not in known:
            continue
        lo, hi = decision.default_range(float(history.loc[code, "min"]), float(history.loc[code, "max"]), resp)
        chosen = decision.decide(resp, 1.0, lo, hi, None, settings)
        scored = score_product(data.truth, code, chosen, resp)
        # Calibration and the frontier, from the same draws on the same grid (calibration.evidence).
        cal, revenues = calibration.product_record(data.truth, code, resp, chosen,
                                                   calibration.evidence(resp, lo, hi, None, settings),
                                                   scored["elasticity_true"], scored["best_price_in_range"], settings)
        rows.append(scored | cal | {"lines": int(lines[code]), "own_se": float(own_se[code])})
        rule_revenues.append(revenues)
    per_product = pd.DataFrame(rows)
    oracle = information_oracle.evaluate(data, dict(zip(per_product["stockcode"], per_product["current_price"])),
                                         mispriced=MISPRICED, harm=HARM, multiples=ORACLE_MULTIPLES,
                                         replicates=ORACLE_REPLICATES, seed=seed)
    # The realistic oracle (knows the form, not each week's demand; uses only the variation a method could), at 1×:
    # the capture a method can be asked for at the same harm bound.
    realistic = information_oracle.evaluate(data, dict(zip(per_product["stockcode"], per_product["current_price"])),
                                            mispriced=MISPRICED, harm=HARM, multiples=(1,),
                                            replicates=ORACLE_REPLICATES, seed=seed, oracle="realistic")
    per_product = per_product.merge(
        oracle[["stockcode", "theta_se", "elasticity_se"]].rename(
            columns={"theta_se": "oracle_theta_se", "elasticity_se": "oracle_elasticity_se"}),
        on="stockcode", how="left")
    t_old, cpu_old = time.time(), time.process_time()
    if with_old:
        old = line_baseline.revenues(cleaned, data.truth, per_product["stockcode"].tolist(), seed)
        per_product = per_product.merge(old, on="stockcode", how="left")
        for name in ("network_today", "elasticnet_today"):
            per_product[f"{name}_regret"] = 1.0 - per_product[f"{name}_revenue"] / per_product["revenue_best"]
    meta = {"scenario": scenario.name, "seed": seed, "lines": int(len(cleaned)), "products": int(len(per_product)),
            "seconds": time.time() - t0, "cpu_seconds": time.process_time() - cpu0,
            "baseline_seconds": time.time() - t_old, "baseline_cpu_seconds": time.process_time() - cpu_old,
            "responses": responses, "truth": data.truth, "oracle": oracle, "realistic_oracle": realistic,
            "rule_revenues": pd.DataFrame(rule_revenues)}
    return per_product, meta


def oracle_summary(oracle: pd.DataFrame) -> dict:
    """The information oracle's figures per data multiple and evidence threshold, and for each multiple the
    rule the report shows: among the thresholds whose harm rate is within the bar, one that meets the whole
    decision bar (median, p90, harm, gain capture) if any does, else the one with the highest gain capture;
    `meets_bar` says which."""
    figures = information_oracle.summarize(oracle, ORACLE_MULTIPLES)
    out = {"theta_se_median": figures.pop("theta_se_median"), "rules": figures, "best_within_harm_bar": {}}

    def meets(f: dict) -> bool:
        return bool(f["harm_rate"] <= BAR["harm_rate"] and f["median_regret"] <= BAR["median_regret"]
                    and f["p90_regret"] <= BAR["p90_regret"] and f["gain_capture"] >= BAR["gain_capture"])

    for k in ORACLE_MULTIPLES:
        within = {key: f for key, f in figures.items() if key.startswith(f"{k}x_") and f["harm_rate"] <= BAR["harm_rate"]}
        key = max(within, key=lambda c: (meets(within[c]), within[c]["gain_capture"], -within[c]["median_regret"]))
        out["best_within_harm_bar"][f"{k}x"] = within[key] | {"threshold": float(key.split("_q")[1]),
                                                              "meets_bar": meets(within[key])}
    return out


def scenario_summary(per_product: pd.DataFrame, oracle: pd.DataFrame | None = None,
                     rule_revenues: pd.DataFrame | None = None, realistic: pd.DataFrame | None = None) -> dict:
    """Every figure of a set of scored products (one seed's, or several seeds' together): the method's, the
    baselines', the information oracle's, calibration and the frontier."""
    out = {"causal": summarize(per_product), "keep_current": median_p90(per_product["regret_keep"]),
           "oracle_in_search_range": median_p90(per_product["regret_oracle"])}
    if oracle is not None:
        out["information_oracle"] = oracle_summary(oracle)
    if rule_revenues is not None:
        out |= calibration.summarize(per_product, rule_revenues, oracle, information_oracle.THRESHOLDS,
                                     BAR["harm_rate"], realistic)
    for name in ("network_today", "elasticnet_today"):
        col = f"{name}_regret"
        if col in per_product:
            out[name] = median_p90(per_product[col].dropna())
    return out


def seed_spread(per_seed: list[dict]) -> dict:
    """Each figure's spread over seeds: for every number found at the same place in the seeds' summaries, its
    mean, standard deviation (n − 1; 0 for one seed), minimum and maximum over the seeds that have a finite
    value there (`seeds` counts them). Texts, flags and places no seed has a number at are left out."""

    def spread(values: list) -> dict | list | None:
        present = [v for v in values if v is not None]
        if not present:
            return None
        if all(isinstance(v, dict) for v in present):
            keys = dict.fromkeys(k for v in present for k in v)
            out = {k: spread([v.get(k) for v in present]) for k in keys}
            return {k: s for k, s in out.items() if s is not None} or None
        if all(isinstance(v, list) for v in present) and len({len(v) for v in present}) == 1:
            out = [spread(list(column)) for column in zip(*present)]
            return out if any(s is not None for s in out) else None
        numbers = [float(v) for v in present if isinstance(v, (int, float, np.number)) and not isinstance(v, (bool, np.bool_))]
        numbers = [v for v in numbers if math.isfinite(v)]
        if not numbers:
            return None
        a = np.asarray(numbers)
        return {"mean": float(a.mean()), "sd": float(a.std(ddof=1)) if len(a) > 1 else 0.0,
                "min": float(a.min()), "max": float(a.max()), "seeds": len(a)}

    return spread(per_seed) or {}


def evaluate_matrix(names: list[str], seeds: list[int], out: Path, with_old: bool = True, plot: bool = True,
                    overrides: dict | None = None, baseline_seeds: int | None = None,
                    cfg: ResponseConfig = ResponseConfig()) -> dict:
    """Every named scenario and its twin, on every seed; writes report.json, report.md, curves.png,
    calibration.png and frontier.png into `out`. The line-level baseline runs when `with_old`, on the first
    `baseline_seeds` seeds (all when None). `cfg` is the price response's fit (train's defaults unless a
    caller, e.g. a test on a small slice, asks for fewer trees)."""
    out.mkdir(parents=True, exist_ok=True)
    old_seeds = (seeds if baseline_seeds is None else seeds[:baseline_seeds]) if with_old else []
    results, plots = {}, []
    timing = {"wall": 0.0, "cpu": 0.0, "baseline_wall": 0.0, "baseline_cpu": 0.0, "data_sets": 0}
    for name in names:
        base = dataclasses.replace(scenarios.SCENARIOS[name], **(overrides or {}))
        variants = [base] + ([base.twin()] if base.confounding != "off" else [])
        for scen in variants:
            frames, oracles, realistic, rule_revenues, per_seed = [], [], [], [], {}
            for seed in seeds:
                per_product, meta = run_dataset(scen, seed, seed in old_seeds, cfg)
                per_product["seed"] = seed
                frames.append(per_product)
                oracles.append(meta["oracle"].assign(seed=seed))
                realistic.append(meta["realistic_oracle"].assign(seed=seed))
                rule_revenues.append(meta["rule_revenues"].assign(seed=seed))
                per_seed[str(seed)] = scenario_summary(per_product, oracles[-1], rule_revenues[-1], realistic[-1])
                log.info("%s seed %d: %d products, %d lines, %.0f s (%.0f s CPU; line-level baseline %.0f s)", scen.name,
                         seed, meta["products"], meta["lines"], meta["seconds"], meta["cpu_seconds"], meta["baseline_seconds"])
                for key, field in (("wall", "seconds"), ("cpu", "cpu_seconds"), ("baseline_wall", "baseline_seconds"),
                                   ("baseline_cpu", "baseline_cpu_seconds")):
                    timing[key] += meta[field]
                timing["data_sets"] += 1
                if plot and not plots:
                    plots.append((scen.name, seed, per_product, meta))
            allp = pd.concat(frames, ignore_index=True)
            summary = (per_seed[str(seeds[0])] if len(seeds) == 1 else  # the same products: the same figures
                       scenario_summary(allp, pd.concat(oracles, ignore_index=True), pd.concat(rule_revenues, ignore_index=True),
                                        pd.concat(realistic, ignore_index=True)))
            results[scen.name] = {"scenario": dataclasses.asdict(scen), "seeds": seeds, "baseline_seeds": old_seeds,
                                  "summary": summary, "spread": seed_spread(list(per_seed.values())),
                                  "per_seed": per_seed, "per_product": allp.replace({np.nan: None}).to_dict("records")}
    by_seed = {str(seed): {name: {"summary": r["per_seed"][str(seed)]} for name, r in results.items()} for seed in seeds}
    doc = {"generated_by": "python -m pricing_training evaluate", "seeds": seeds, "baseline_seeds": old_seeds,
           "bar": BAR, "oracle": {"multiples": list(ORACLE_MULTIPLES), "replicates": ORACLE_REPLICATES},
           "seconds": timing, "scenarios": results, "checks": checks(results), "calibration_checks": calibration_checks(results),
           "seed_checks": {seed: checks(r) for seed, r in by_seed.items()},
           "seed_calibration_checks": {seed: calibration_checks(r) for seed, r in by_seed.items()}}
    (out / "report.json").write_text(json.dumps(doc, indent=1, default=float) + "\n")
    if plots:
        plot_curves(*plots[0], out / "curves.png")
    if plot and results:
        plot_calibration(results, out / "calibration.png")
        plot_frontier(results, out / "frontier.png", BAR["harm_rate"])
    (out / "report.md").write_text(matrix_report.markdown(doc))
    return doc


def checks(results: dict) -> dict:
    """The decision bar per scenario (`BAR`), on its figures over all seeds; the twin gap on confounded ones."""
    out = {}
    for name, r in results.items():
        s = r["summary"]["causal"]
        c = {"median_regret": s["median_regret"] <= BAR["median_regret"], "p90_regret": s["p90_regret"] <= BAR["p90_regret"],
             "harm_rate": s["harm_rate"] <= BAR["harm_rate"],
             "gain_capture": bool(s["gain_capture"] >= BAR["gain_capture"]) if s["mispriced"] else True,
             "coverage": BAR["coverage"][0] <= s["coverage"] <= BAR["coverage"][1]}
        twin = results.get(name + "-twin")
        if twin is not None:
            gap = abs(s["median_regret"] - twin["summary"]["causal"]["median_regret"])
            c["twin_gap"] = gap <= BAR["twin_gap"]
        out[name] = c
    return out


def calibration_checks(results: dict) -> dict:
    """The honesty bar of issue 19 per scenario: 80% elasticity intervals hold the truth for 70–90% of products;
    among changed prices, the share losing over 1% is at most 1.5 × (1 − mean promised P(gain)) + 2 points;
    harm rate within the bar; and, where the realistic oracle ran, aggregate capture at least half of its
    best within the harm bar."""
    out = {}
    for name, r in results.items():
        s = r["summary"]
        if "calibration" not in s:
            continue
        lo, hi = BAR["coverage"]
        cal = s["calibration"]
        out[name] = {"elasticity_coverage_80": lo <= cal["elasticity_coverage"]["80"] <= hi,
                     "changed_losses": cal["changed_prices"]["honest"],
                     "harm_rate": s["causal"]["harm_rate"] <= BAR["harm_rate"]}
        # Useful: the default rule captures at least half of what the realistic oracle captures at the same harm bound.
        fr = s.get("frontier") or {}
        realistic = fr.get("realistic_oracle_best_within_harm_bar")
        if realistic is not None and np.isfinite(realistic["aggregate_capture"]):
            default = fr["method"][fr["default_rule"]]["aggregate_capture"]
            out[name]["capture_vs_realistic_oracle"] = bool(default >= 0.5 * realistic["aggregate_capture"])
    return out
