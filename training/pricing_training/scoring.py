"""Decisions scored against the true revenue curves: one product (`score_product`), a set of products
(`summarize`), and a trained version's own panel (`evaluate_version`, for the version's report). The scenario
matrix (evaluate.py) and the version report (pipeline.py) both score with these."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import calibration, decision, scenarios
from .service_answer import product_decision

MISPRICED = 0.02  # a product is mispriced when its best price earns at least 2% more than its current one
HARM = 0.01  # a recommendation harms when it earns over 1% less than keeping the current price


def score_product(truth, code: str, chosen: dict, resp: decision.ProductResponse) -> dict:
    """Scores one decision against the true curve. "Now" is the product's recent list price as the data
    shows it (the price the shop posts today, season markup included), which is what keeping means."""
    p_now = resp.current_price
    lo, hi = p_now / 2.0, p_now * 2.0
    p_best = truth.best_price(code, lo, hi)
    r_best = float(truth.revenue(code, np.array([p_best]))[0])
    r_now = float(truth.revenue(code, np.array([p_now]))[0])
    p_rec = chosen["optimal_unit_price"] if chosen["decision"] == "change" else p_now
    r_rec = float(truth.revenue(code, np.array([p_rec]))[0])
    p_best_search = truth.best_price(code, chosen["search_min"], chosen["search_max"])
    r_oracle = float(truth.revenue(code, np.array([p_best_search]))[0])
    e_true = float(truth.elasticity(code, resp.current_price))
    mispriced = r_best / r_now - 1.0 >= MISPRICED
    return {"stockcode": code, "current_price": p_now,
            "best_price": p_best, "best_price_in_range": p_best_search, "recommended_price": p_rec, "decision": chosen["decision"],
            "regret": 1.0 - r_rec / r_best, "regret_keep": 1.0 - r_now / r_best, "regret_oracle": 1.0 - r_oracle / r_best,
            "revenue_best": r_best, "revenue_recommended": r_rec, "revenue_now": r_now,
            "mispriced": bool(mispriced),
            "gain_capture": (r_rec - r_now) / (r_best - r_now) if mispriced else np.nan,
            "harm": bool(r_rec < r_now * (1.0 - HARM)),
            "elasticity": chosen["elasticity"], "elasticity_true": e_true,
            "elasticity_error": abs(chosen["elasticity"] - e_true),
            "elasticity_signed_error": chosen["elasticity"] - e_true,
            # 80% interval width / 2.563 is the posterior's standard deviation were it normal.
            "elasticity_posterior_sd": (chosen["elasticity_p90"] - chosen["elasticity_p10"]) / 2.563,
            "covered": bool(chosen["best_price_p10"] - 1e-9 <= p_best_search <= chosen["best_price_p90"] + 1e-9),
            "probability_of_gain": chosen["probability_of_gain"]}


def median_p90(values) -> dict:
    """The median and 90th percentile of a set of regrets."""
    v = np.asarray(values, np.float64)
    return {"median_regret": float(np.median(v)), "p90_regret": float(np.quantile(v, 0.9))}


def aggregate_capture(per_product: pd.DataFrame) -> float:
    """Σ (R(decided) − R(now)) / Σ (R(best) − R(now)) over the mispriced products: the share of the revenue at stake
    that the decisions realize, each product counting by what is at stake (NaN when nothing is mispriced)."""
    return calibration.aggregate_capture(per_product["revenue_recommended"], per_product["revenue_now"],
                                         per_product["revenue_best"], per_product["mispriced"])


def summarize(per_product: pd.DataFrame) -> dict:
    """The decisions' figures: regret (median, p90, revenue-weighted), gain capture on mispriced products (the
    median of the products' captures, and the aggregate capture when the revenues are there), harm rate, share
    changed, elasticity error, best-price interval coverage."""
    regret = per_product["regret"].to_numpy()
    mis = per_product[per_product["mispriced"]]
    aggregate = ({"aggregate_capture": aggregate_capture(per_product)}
                 if {"revenue_recommended", "revenue_now"} <= set(per_product.columns) else {})
    return {"products": int(len(per_product)), **median_p90(regret), **aggregate,
            "weighted_regret": float(1.0 - (per_product["revenue_best"] * (1 - regret)).sum() / per_product["revenue_best"].sum()),
            "mispriced": int(len(mis)), "gain_capture": float(np.median(mis["gain_capture"])) if len(mis) else np.nan,
            "harm_rate": float(per_product["harm"].mean()), "changed": float((per_product["decision"] == "change").mean()),
            "elasticity_error": float(np.median(per_product["elasticity_error"])),
            "coverage": float(per_product["covered"].mean()), **identification(per_product)}


def identification(per_product: pd.DataFrame) -> dict:
    """How much the data can say about each product's elasticity, next to how much products differ.

    own_se: median standard error of the product's own estimate (before shrinkage); true_spread: the
    standard deviation of the true elasticities at the current price across products; signal_share:
    true_spread² / (true_spread² + own_se²), the share of a typical own estimate's variance that is real
    difference between products (what shrinkage can keep). When own_se is well above true_spread, any
    honest posterior stays near the category's response, and telling which product is mispriced, and by how
    much, is beyond the data: the gain-capture bar needs an elasticity error around 0.1."""
    spread = float(np.std(per_product["elasticity_true"]))
    out = {"elasticity_bias": float(np.median(per_product["elasticity_signed_error"])),
           "posterior_sd": float(np.median(per_product["elasticity_posterior_sd"])), "true_spread": spread}
    if "own_se" in per_product:  # the committed version's panel has no own estimates (the export keeps the posterior)
        own = float(np.median(per_product["own_se"]))
        out |= {"own_se": own, "signal_share": spread ** 2 / (spread ** 2 + own ** 2)}
    if "oracle_elasticity_se" in per_product and "own_se" in per_product:
        # The share of the data's information the method's own estimate uses: (oracle's SE / own SE)².
        ratio = (per_product["oracle_elasticity_se"] / per_product["own_se"]) ** 2
        out |= {"oracle_elasticity_se": float(np.median(per_product["oracle_elasticity_se"])),
                "information_used": float(np.median(ratio))}
    return out


def evaluate_version(artifacts, store, ground_truth: Path, panel_size: int, seed: int) -> dict:
    """The committed version's own panel: the service's decision (from the files) against the truth."""
    truth = scenarios.Truth.read(Path(ground_truth))
    known = [c for c in truth.products["stockcode"] if c in store.products]
    ranked = sorted(known, key=lambda c: (-store.products[c]["lines"], c))
    top = ranked[: panel_size // 2]
    rng = np.random.default_rng(seed)
    rest = [c for c in ranked[panel_size // 2:] if store.products[c]["lines"] >= 30]
    panel = top + sorted(rng.choice(rest, size=min(panel_size - len(top), len(rest)), replace=False).tolist())
    primary = artifacts.manifest["models"][0]["name"]
    rows = []
    for code in panel:
        _, chosen = product_decision(artifacts, store, code, primary)
        row = score_product(truth, code, chosen, artifacts.response(code))
        row.update({"description": store.products[code]["description"], "lines": store.products[code]["lines"],
                    "decided": chosen})
        rows.append(row)
    per_product = pd.DataFrame(rows)
    # Every product with ground truth, decided the same way (the baseline volume does not move a decision,
    # so the route through the price response alone gives the same prices): the full-size figures.
    everything = []
    for code in known:
        resp = artifacts.response(code)
        lo, hi = decision.default_range(store.products[code]["price"]["min"], store.products[code]["price"]["max"], resp)
        chosen = decision.decide(resp, 1.0, lo, hi, None, artifacts.manifest["price_response"]["decision"])
        everything.append(score_product(truth, code, chosen, resp))
    everything = pd.DataFrame(everything)
    return {"panel": panel, "summary": summarize(per_product),
            "all_products": summarize(everything) | {
                f"keep_current_{k}": v for k, v in median_p90(everything["regret_keep"]).items()},
            "keep_current": median_p90(per_product["regret_keep"]),
            "per_product": per_product.drop(columns=["decided"]).replace({np.nan: None}).to_dict("records"),
            "decisions": {r["stockcode"]: r["decided"] for r in rows}}
