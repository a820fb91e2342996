"""Honest evaluation of price decisions on synthetic ground truth (`python -m pricing_training evaluate`).

For every scenario of the matrix (demand forms, confounding off/moderate/strong with an unconfounded twin
from the same draws, products priced near and far from their optimum, quantity breaks, thin and thick
products) and every seed, the data is generated, the price response is fit exactly as `train` fits it,
every product is decided exactly as the service decides it (decision.py), and the decisions are scored
against the true revenue curve. Baselines are measured in the same run on the same data: keeping the
current price, today's line-level network and ElasticNet swept the old way (the argmax of predicted sales
over the product's price history), and an oracle that knows the true curve (searching the same range).
From the same posterior draws, calibration.py measures whether the posterior's statements hold (elasticity and
best-price interval coverage, P(gain) reliability, losses among changed prices) and the decision rule's frontier
(harm rate against aggregate gain capture over its parameter), next to the information oracle's.

Development seeds are for tuning; the report uses separate seeds (`REPORT_SEEDS`).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd

from . import calibration, decision, information_oracle, scenarios, weekly
from .cleaning import clean
from .price_response import ResponseConfig, fit as fit_price_response

log = logging.getLogger(__name__)

DEV_SEEDS = [11, 12]
REPORT_SEEDS = [101]
MISPRICED = 0.02  # a product is mispriced when its best price earns at least 2% more than its current one
HARM = 0.01  # a recommendation harms when it earns over 1% less than keeping the current price
ORACLE_MULTIPLES = (1, 3, 10, 30)
ORACLE_REPLICATES = 25  # draws of the oracle's estimate per product
BAR = {"median_regret": 0.02, "p90_regret": 0.08, "harm_rate": 0.05, "gain_capture": 0.70, "twin_gap": 0.01,
       "coverage": (0.70, 0.90)}


def _responses(panel: weekly.WeeklyPanel, response) -> dict[str, decision.ProductResponse]:
    facts = panel.products.set_index("stockcode")
    out = {}
    for i, code in enumerate(response.stockcodes):
        f = facts.loc[code]
        out[code] = decision.ProductResponse(float(f["log_reference_price"]), response.draws[i].astype(np.float32),
                                             float(f["current_price"]), (float(f["support_min"]), float(f["support_max"])),
                                             float(f["realized_price_ratio"]))
    return out


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


def _median_p90(values) -> dict:
    v = np.asarray(values, np.float64)
    return {"median_regret": float(np.median(v)), "p90_regret": float(np.quantile(v, 0.9))}


def summarize(per_product: pd.DataFrame) -> dict:
    """The decisions' figures: regret (median, p90, revenue-weighted), gain capture on mispriced products,
    harm rate, share changed, elasticity error, best-price interval coverage."""
    regret = per_product["regret"].to_numpy()
    mis = per_product[per_product["mispriced"]]
    return {"products": int(len(per_product)), **_median_p90(regret),
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


def old_method_revenues(cleaned: pd.DataFrame, truth, codes: list[str], seed: int) -> pd.DataFrame:
    """Today's method: a line-level forecaster of log1p(quantity) with the price among its inputs, swept over
    the product's price history (100 prices), recommending the argmax of price x median quantity. Returns
    the true revenue at each model's recommendation."""
    from sklearn.linear_model import ElasticNet

    from . import network
    from .features import CATEGORICAL, NUMERIC, TARGET, build_features
    from .feature_store import FeatureStore, build as build_store, write as write_store
    from .preprocessor import Preprocessor
    from .sweep import price_grid, sweep
    import tempfile

    frame = build_features(cleaned)
    cut = frame["invoice_date"].quantile(0.85)
    train, val = frame[frame["invoice_date"] < cut], frame[frame["invoice_date"] >= cut]
    pre = Preprocessor.fit(train, NUMERIC, CATEGORICAL, 5)
    x, xv = pre.transform_dense(train), pre.transform_dense(val)
    y, yv = train[TARGET].to_numpy(np.float32), val[TARGET].to_numpy(np.float32)
    params = network.NetworkParams([64, 32], True, [0.1, 0.1], 3e-3, "adam", 512)
    net, _, _ = network.train(params, x, y, xv, yv, 12, 3, seed)
    enet = ElasticNet(alpha=1e-3, l1_ratio=0.5, max_iter=3000).fit(x.astype(np.float64), y)
    models = {"network_today": lambda f: network.predict(net, pre.transform_dense(f)).astype(np.float64),
              "elasticnet_today": lambda f: enet.predict(pre.transform_dense(f).astype(np.float64))}
    with tempfile.TemporaryDirectory() as tmp:
        index, shards = build_store(frame, pre, 48, 4, seed)
        write_store(Path(tmp), index, shards)
        store = FeatureStore(Path(tmp), pre)
        rows = []
        for code in codes:
            if code not in store.products:
                continue
            info = store.products[code]
            grid = price_grid(info["price"]["min"], info["price"]["max"], 100)
            context = store.context(code)
            row = {"stockcode": code}
            for name, predict in models.items():
                result = sweep(predict, context, grid)
                row[f"{name}_revenue"] = float(truth.revenue(code, np.array([grid[result.best]]))[0])
            rows.append(row)
    return pd.DataFrame(rows)


def run_dataset(scenario: scenarios.Scenario, seed: int, with_old: bool = True,
                cfg: ResponseConfig = ResponseConfig(), settings: dict = decision.DEFAULT_DECISION) -> tuple[pd.DataFrame, dict]:
    t0 = time.time()
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
    per_product = per_product.merge(
        oracle[["stockcode", "theta_se", "elasticity_se"]].rename(
            columns={"theta_se": "oracle_theta_se", "elasticity_se": "oracle_elasticity_se"}),
        on="stockcode", how="left")
    if with_old:
        old = old_method_revenues(cleaned, data.truth, per_product["stockcode"].tolist(), seed)
        per_product = per_product.merge(old, on="stockcode", how="left")
        for name in ("network_today", "elasticnet_today"):
            per_product[f"{name}_regret"] = 1.0 - per_product[f"{name}_revenue"] / per_product["revenue_best"]
    meta = {"scenario": scenario.name, "seed": seed, "lines": int(len(cleaned)), "products": int(len(per_product)),
            "seconds": time.time() - t0, "responses": responses, "truth": data.truth, "oracle": oracle,
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
                     rule_revenues: pd.DataFrame | None = None) -> dict:
    out = {"causal": summarize(per_product), "keep_current": _median_p90(per_product["regret_keep"]),
           "oracle_in_search_range": _median_p90(per_product["regret_oracle"])}
    if oracle is not None:
        out["information_oracle"] = oracle_summary(oracle)
    if rule_revenues is not None:
        out |= calibration.summarize(per_product, rule_revenues, oracle, information_oracle.THRESHOLDS,
                                     BAR["harm_rate"])
    for name in ("network_today", "elasticnet_today"):
        col = f"{name}_regret"
        if col in per_product:
            out[name] = _median_p90(per_product[col].dropna())
    return out


def evaluate_matrix(names: list[str], seeds: list[int], out: Path, with_old: bool = True, plot: bool = True,
                    overrides: dict | None = None) -> dict:
    """Every named scenario and its twin, on every seed; writes report.json, report.md, curves.png,
    calibration.png and frontier.png."""
    out.mkdir(parents=True, exist_ok=True)
    results, plots = {}, []
    for name in names:
        base = dataclasses.replace(scenarios.SCENARIOS[name], **(overrides or {}))
        variants = [base] + ([base.twin()] if base.confounding != "off" else [])
        for scen in variants:
            frames, oracles, rule_revenues = [], [], []
            for seed in seeds:
                per_product, meta = run_dataset(scen, seed, with_old)
                per_product["seed"] = seed
                frames.append(per_product)
                oracles.append(meta["oracle"].assign(seed=seed))
                rule_revenues.append(meta["rule_revenues"].assign(seed=seed))
                log.info("%s seed %d: %d products, %d lines, %.0f s", scen.name, seed, meta["products"], meta["lines"],
                         meta["seconds"])
                if plot and not plots:
                    plots.append((scen.name, seed, per_product, meta))
            allp = pd.concat(frames, ignore_index=True)
            summary = scenario_summary(allp, pd.concat(oracles, ignore_index=True),
                                       pd.concat(rule_revenues, ignore_index=True))
            results[scen.name] = {"scenario": dataclasses.asdict(scen), "seeds": seeds, "summary": summary,
                                  "per_product": allp.replace({np.nan: None}).to_dict("records")}
    doc = {"generated_by": "python -m pricing_training evaluate", "seeds": seeds, "bar": BAR, "scenarios": results,
           "checks": checks(results), "calibration_checks": calibration_checks(results)}
    (out / "report.json").write_text(json.dumps(doc, indent=1, default=float) + "\n")
    if plots:
        plot_curves(*plots[0], out / "curves.png")
    if plot and results:
        plot_calibration(results, out / "calibration.png")
        plot_frontier(results, out / "frontier.png")
    (out / "report.md").write_text(markdown(doc))
    return doc


def checks(results: dict) -> dict:
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
    harm rate within the bar."""
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
    return out


def _pct(v) -> str:
    return "–" if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{100 * v:.1f}%"


def markdown(doc: dict) -> str:
    lines = ["# Pricing evaluation", "",
             f"Seeds {doc['seeds']} (report seeds: never used for tuning). Regret = 1 − true revenue at the decided price / "
             "true revenue at the best price within [current/2, 2×current]. Gain capture = (R(decided) − R(current)) / "
             "(R(best) − R(current)), median over mispriced products (best earns ≥ 2% more). Harm = decided price earns over 1% "
             "less than the current one. Coverage = share of products whose true best price (within the searched range) lies in "
             "the 10–90% best-price interval. Baselines in the same run on the same data.", "",
             "| scenario | products | median regret | p90 | weighted | gain capture | harm | changed | elasticity err | coverage "
             "| keep current (median / p90) | today's network | today's ElasticNet | oracle in range |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in doc["scenarios"].items():
        s = r["summary"]
        c = s["causal"]
        net = s.get("network_today", {})
        en = s.get("elasticnet_today", {})
        lines.append(f"| {name} | {c['products']} | {_pct(c['median_regret'])} | {_pct(c['p90_regret'])} | {_pct(c['weighted_regret'])} "
                     f"| {_pct(c['gain_capture'])} | {_pct(c['harm_rate'])} | {_pct(c['changed'])} | {c['elasticity_error']:.2f} "
                     f"| {_pct(c['coverage'])} | {_pct(s['keep_current']['median_regret'])} / {_pct(s['keep_current']['p90_regret'])} "
                     f"| {_pct(net.get('median_regret'))} / {_pct(net.get('p90_regret'))} "
                     f"| {_pct(en.get('median_regret'))} / {_pct(en.get('p90_regret'))} "
                     f"| {_pct(s['oracle_in_search_range']['median_regret'])} |")
    lines += ["", "## Against the bar", "", "| scenario | " + " | ".join(BAR) + " |", "|---|" + "---|" * len(BAR)]
    for name, c in doc["checks"].items():
        lines.append(f"| {name} | " + " | ".join("pass" if c.get(k, True) else "**fail**" for k in BAR) + " |")
    lines += ["", "## What the data can identify", "",
              "Elasticity at the current price. Bias: median of estimate − truth. Posterior sd: the service's 80% interval "
              "width / 2.563. Own SE: median standard error of the product's own estimate before shrinkage. True spread: the "
              "standard deviation of the true elasticities across products. Signal share = spread² / (spread² + own SE²): "
              "when it is small, each product's own data barely tells it from its category, and no honest estimator can "
              "say which product is mispriced and by how much (a 70% gain capture needs an elasticity error near 0.1).", "",
              "Oracle SE: the standard error of the elasticity the information oracle (next section) reaches on the same "
              "data; information used = (oracle SE / own SE)², median over products: the share of the data's information "
              "about the product's own price response that the method's own estimate keeps.", "",
              "| scenario | median abs error | bias | posterior sd | own SE | true spread | signal share | oracle SE "
              "| information used |", "|---|---|---|---|---|---|---|---|---|"]
    for name, r in doc["scenarios"].items():
        c = r["summary"]["causal"]
        oracle = (f"{c['oracle_elasticity_se']:.2f} | {_pct(c['information_used'])}" if "information_used" in c else "– | –")
        lines.append(f"| {name} | {c['elasticity_error']:.2f} | {c['elasticity_bias']:+.2f} | {c['posterior_sd']:.2f} "
                     f"| {c['own_se']:.2f} | {c['true_spread']:.2f} | {_pct(c['signal_share'])} | {oracle} |")
    lines += oracle_markdown(doc)
    lines += calibration_markdown(doc)
    lines += frontier_markdown(doc)
    lines += ["", "![true vs predicted revenue curves](curves.png)", ""]
    return "\n".join(lines) + "\n"


def oracle_markdown(doc: dict) -> list[str]:
    """The information oracle's section: what the best possible method could reach on each scenario's data, and
    how many times the data it would need to meet the decision bar."""
    if not any("information_oracle" in r["summary"] for r in doc["scenarios"].values()):
        return []
    multiples = [f"{k}x" for k in ORACLE_MULTIPLES]
    out = ["", "## What any method could reach: the information oracle", "",
           "The oracle knows each product's demand form, segments, size noise and every week's demand factor (so no "
           "confounding fools it and every price movement is evidence), and the generator's prior over how far current "
           "prices sit from the optimum. It does not know the product's volume, nor where its curve sits on the price axis "
           "(θ = ln of the form's price scale), which it estimates as precisely as any unbiased estimator can (θ̂ ~ N(θ, 1/I), "
           "I the Fisher information of the product's year, latent line sizes included). It then picks the price of highest "
           "posterior expected revenue, either freely (Bayes) or among prices that beat the current one with posterior "
           f"probability q (q = 0.50 to 0.98 in steps of 0.02). The table shows the Bayes rule and, among the rules whose harm "
           "rate is within the bar, one that meets the whole decision bar if any does, else the one with the highest gain "
           f"capture. Its figures are a floor for any method on the same data, not a target; {ORACLE_REPLICATES} draws of θ̂ per product. "
           "Multiples: the same price paths with k times the lines (k times the information). Where the oracle cannot meet the "
           "bar at 1×, no method can be expected to meet it on that data: the bar then asks for more information than the "
           "data holds.", "",
           "| scenario | θ SE at 1× | Bayes at 1×: median / p90 / harm / capture | rule with harm ≤ 5% at 1×: q, median / p90 / capture "
           "| meets the bar at " + " | ".join(multiples) + " |",
           "|---|---|---|---|" + "---|" * len(multiples)]
    for name, r in doc["scenarios"].items():
        o = r["summary"].get("information_oracle")
        if o is None:
            continue
        bayes = o["rules"]["1x_q0"]
        best = o["best_within_harm_bar"]["1x"]
        meets = " | ".join("yes" if o["best_within_harm_bar"][m]["meets_bar"] else "no" for m in multiples)
        out.append(f"| {name} | {o['theta_se_median']:.2f} | {_pct(bayes['median_regret'])} / {_pct(bayes['p90_regret'])} / "
                   f"{_pct(bayes['harm_rate'])} / {_pct(bayes['gain_capture'])} | q = {best['threshold']:g}: "
                   f"{_pct(best['median_regret'])} / {_pct(best['p90_regret'])} / {_pct(best['gain_capture'])} | {meets} |")
    return out


def _bin_label(b: dict) -> str:
    return f"{b['lo']:g}–{b['hi']:g}"


def calibration_markdown(doc: dict) -> list[str]:
    """Calibration per scenario: interval coverage, P(gain) reliability, the honesty check on changed prices."""
    named = {n: r["summary"] for n, r in doc["scenarios"].items() if "calibration" in r["summary"]}
    if not named:
        return []
    out = ["", "## Calibration: do the posterior's statements hold?", "",
           "From the posterior draws the service uses. Elasticity coverage: share of products whose true elasticity at "
           "the current price lies in the central 50/80/95% interval of the draws' e_s = b_s + 2 c_s Δ0. Best-price "
           "coverage: the same for the true best price within the searched range and the draws' best prices (80% is the "
           "coverage column above). Changed prices: among the products whose price changes, the mean promised P(gain), the "
           "share that lose over 1% against keeping on the true curve, and what the promise allows: "
           "1.5 × (1 − mean promised P(gain)) + 2 points. Honesty bar: 80% elasticity coverage within 70–90%, the "
           "changed prices' losses within what they allow, harm rate ≤ 5%.", "",
           "| scenario | elasticity 50 / 80 / 95% | best price 50 / 80 / 95% | changed | mean P(gain) promised | losing > 1% "
           "| allowed | honesty bar |", "|---|---|---|---|---|---|---|---|"]
    for name, s in named.items():
        cal = s["calibration"]
        e, b, c = cal["elasticity_coverage"], cal["best_price_coverage"], cal["changed_prices"]
        check = doc.get("calibration_checks", {}).get(name, {})
        failed = [k for k, ok in check.items() if not ok]
        out.append(f"| {name} | {_pct(e['50'])} / {_pct(e['80'])} / {_pct(e['95'])} | {_pct(b['50'])} / {_pct(b['80'])} / "
                   f"{_pct(b['95'])} | {c['changed']} | {_pct(c['mean_promised'])} | {_pct(c['losing_share'])} "
                   f"| {_pct(c['allowed'])} | {'pass' if not failed else '**fail**: ' + ', '.join(failed)} |")
    edges = next(iter(named.values()))["calibration"]["reliability"]
    out += ["", "P(gain) reliability. Every product whose best price p* is not its current price, binned by the P(gain) "
            "the service reports (at the decided price when it changes, at p* when it keeps), against the share of "
            "those moves that gain on the true curve: promised → realized (products). Calibrated: realized ≈ promised.",
            "", "| scenario | " + " | ".join(_bin_label(b) for b in edges) + " |", "|---|" + "---|" * len(edges)]
    for name, s in named.items():
        cells = [f"{b['promised']:.2f} → {b['realized']:.2f} ({b['count']})" if b["count"] else "–"
                 for b in s["calibration"]["reliability"]]
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    out += ["", "![P(gain) reliability and interval coverage](calibration.png)"]
    return out


FRONTIER_SHOWN = ("q0", "q0.5", "q0.7", "q0.9", "q0.95", "q0.99", "alpha0.02", "alpha0.05", "alpha0.2")


def frontier_markdown(doc: dict) -> list[str]:
    """The decision rule on its measured frontier, next to the information oracle's."""
    named = {n: r["summary"] for n, r in doc["scenarios"].items() if "frontier" in r["summary"]}
    if not named:
        return []

    def point(p: dict | None, rule: bool = False) -> str:
        if p is None:
            return "none"
        head = f"{p['rule']}: " if rule else ""
        return f"{head}{_pct(p['harm_rate'])} / {_pct(p['aggregate_capture'])} / {_pct(p['median_capture'])}"

    out = ["", "## The decision frontier: harm against capture", "",
           "The same posterior draws decided under each rule: the service's (change to the price of highest expected gain "
           "among those with P(gain) ≥ q, expected gain ≥ 0.5% and a move beyond 0.5%; q = 0 keeps only those two "
           "conditions) over q, and “maximise E[gain] subject to P(loss > 1%) ≤ α” over α. Each point: harm rate / "
           "aggregate capture (Σ realized gain / Σ possible gain over mispriced products) / median capture. The information "
           "oracle's rules at 1× (its q = 0 is the Bayes decision; see the section above) are scored the same way. The "
           "best rule within the harm bar is read off this run: choose a rule on development seeds, not on these.", "",
           f"| scenario | default ({named[next(iter(named))]['frontier']['default_rule']}) | method: best with harm ≤ 5% "
           "| oracle Bayes (q0) | oracle: best with harm ≤ 5% |", "|---|---|---|---|---|"]
    for name, s in named.items():
        f = s["frontier"]
        orc = f.get("oracle")
        out.append(f"| {name} | {point(f['method'][f['default_rule']])} | {point(f['method_best_within_harm_bar'], True)} "
                   f"| {point(orc['q0']) if orc else '–'} | {point(f.get('oracle_best_within_harm_bar'), True) if orc else '–'} |")
    out += ["", "Frontier points of the method (harm / aggregate capture); every rule is in report.json.", "",
            "| scenario | " + " | ".join(FRONTIER_SHOWN) + " |", "|---|" + "---|" * len(FRONTIER_SHOWN)]
    for name, s in named.items():
        m = s["frontier"]["method"]
        out.append(f"| {name} | " + " | ".join(f"{_pct(m[k]['harm_rate'])} / {_pct(m[k]['aggregate_capture'])}"
                                               if k in m else "–" for k in FRONTIER_SHOWN) + " |")
    out += ["", "![harm rate against aggregate capture, method and oracle](frontier.png)"]
    return out


def _grid_axes(count: int, width: float = 4.2, height: float = 3.6):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = min(count, 4)
    rows = (count + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    for ax in axes.flat[count:]:
        ax.set_visible(False)
    return plt, fig, axes


def plot_calibration(results: dict, path: Path) -> None:
    """Reliability diagram (promised P(gain) against the realized share of gains, one line per scenario, the
    diagonal) and the elasticity intervals' coverage against their nominal level."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    named = {n: r["summary"]["calibration"] for n, r in results.items() if "calibration" in r["summary"]}
    fig, (rel, cov) = plt.subplots(1, 2, figsize=(13, 5.5))
    colors = plt.cm.tab20(np.linspace(0, 1, max(len(named), 2)))
    for color, (name, cal) in zip(colors, named.items()):
        bins = [b for b in cal["reliability"] if b["count"]]
        style = "--" if name.endswith("-twin") else "-"
        rel.plot([b["promised"] for b in bins], [b["realized"] for b in bins], style, marker="o", color=color, label=name)
        levels = [int(k) / 100 for k in cal["elasticity_coverage"]]
        cov.plot(levels, list(cal["elasticity_coverage"].values()), style, marker="o", color=color, label=name)
    for ax in (rel, cov):
        ax.plot([0, 1], [0, 1], color="black", lw=0.8, label="calibrated")
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
    rel.set_title("P(gain) reliability: moves binned by promised P(gain)")
    rel.set_xlabel("promised P(gain) (mean in bin)")
    rel.set_ylabel("realized share that gains on the true curve")
    cov.fill_between([0.78, 0.82], 0.70, 0.90, color="tab:green", alpha=0.2, label="bar: 80% holds 70–90%")
    cov.set_title("Elasticity interval coverage at the current price")
    cov.set_xlabel("nominal level of the central interval")
    cov.set_ylabel("share of products whose true elasticity lies inside")
    rel.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def plot_frontier(results: dict, path: Path) -> None:
    """Harm rate against aggregate capture per scenario: the method over q and over α, the oracle over q, the
    default rule marked, the harm bar drawn."""
    named = {n: r["summary"]["frontier"] for n, r in results.items() if "frontier" in r["summary"]}
    plt, fig, axes = _grid_axes(len(named))
    for ax, (name, f) in zip(axes.flat, named.items()):
        for prefix, label, color in (("q", "method, P(gain) ≥ q", "tab:blue"), ("alpha", "method, P(loss>1%) ≤ α", "tab:orange")):
            pts = [p for k, p in f["method"].items() if k.startswith(prefix)]
            ax.plot([p["aggregate_capture"] for p in pts], [p["harm_rate"] for p in pts], marker=".", color=color, label=label)
        if "oracle" in f:
            pts = list(f["oracle"].values())
            ax.plot([p["aggregate_capture"] for p in pts], [p["harm_rate"] for p in pts], marker=".", color="tab:gray",
                    label="information oracle, q")
        d = f["method"][f["default_rule"]]
        ax.plot([d["aggregate_capture"]], [d["harm_rate"]], marker="*", ms=14, color="tab:red", ls="none",
                label=f"default ({f['default_rule']})")
        ax.axhline(BAR["harm_rate"], color="black", lw=0.8, ls=":", label="harm bar")
        ax.axvline(0.0, color="black", lw=0.5)
        ax.set_title(name)
        ax.set_xlabel("aggregate gain capture (mispriced)")
        ax.set_ylabel("harm rate")
    axes.flat[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def plot_curves(name: str, seed: int, per_product: pd.DataFrame, meta: dict, path: Path, count: int = 6) -> None:
    """True vs predicted revenue (relative to the current price) for a few products, with the posterior band."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    picked = per_product.sort_values("lines", ascending=False).head(count // 2)["stockcode"].tolist()
    picked += per_product[per_product["mispriced"]].sort_values("lines").head(count - len(picked))["stockcode"].tolist()
    fig, axes = plt.subplots(2, (len(picked) + 1) // 2, figsize=(5 * ((len(picked) + 1) // 2), 8), squeeze=False)
    for ax, code in zip(axes.flat, picked):
        resp = meta["responses"][code]
        truth = meta["truth"]
        p_now = resp.current_price
        grid = np.linspace(p_now * 0.5, p_now * 2.0, 200)
        true_rel = truth.revenue(code, grid) / truth.revenue(code, np.array([p_now]))[0]
        m = decision.multipliers(resp, grid) * grid[None, :]
        m_now = decision.multipliers(resp, np.array([resp.current_price]))[:, 0] * resp.current_price
        rel = m / m_now.mean()
        ax.plot(grid, true_rel, color="black", label="true")
        ax.plot(grid, rel.mean(axis=0), color="tab:blue", label="model (posterior mean)")
        ax.fill_between(grid, np.quantile(rel, 0.1, axis=0), np.quantile(rel, 0.9, axis=0), color="tab:blue", alpha=0.2,
                        label="10–90%")
        row = per_product.set_index("stockcode").loc[code]
        ax.axvline(p_now, color="gray", ls="--", label="current")
        ax.axvline(row["recommended_price"], color="tab:green", label="decided")
        ax.axvline(row["best_price"], color="tab:red", ls=":", label="true best")
        ax.axvspan(resp.support[0], resp.support[1], color="gray", alpha=0.07)
        ax.set_title(f"{code} ({int(row['lines'])} lines)")
        ax.set_xlabel("list price (£)")
        ax.set_ylabel("revenue / revenue at current price")
        ax.set_ylim(0, max(1.5, float(np.nanmax(true_rel)) * 1.1))
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(f"{name}, seed {seed}: true vs predicted weekly revenue")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def evaluate_version(artifacts, store, ground_truth: Path, panel_size: int, seed: int) -> dict:
    """The committed version's own panel: the service's decision (from the files) against the truth."""
    from .pipeline import product_decision

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
                f"keep_current_{k}": v for k, v in _median_p90(everything["regret_keep"]).items()},
            "keep_current": _median_p90(per_product["regret_keep"]),
            "per_product": per_product.drop(columns=["decided"]).replace({np.nan: None}).to_dict("records"),
            "decisions": {r["stockcode"]: r["decided"] for r in rows}}
