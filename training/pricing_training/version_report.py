"""A version's own report (report.md for people, report.json for machines, both in the version folder): the
split, the baselines' test deviance, the price response, and on synthetic data its decisions scored against the
ground truth."""

from __future__ import annotations

import json
from pathlib import Path

from .formatting import pct


def markdown(doc: dict) -> str:
    """The report document (pipeline.run's `doc`) as Markdown."""
    src, split = doc["data_source"], doc["split"]
    lines = [f"# Evaluation report: {doc['model_version']}", "",
             f"Data: {src['path']} ({src['kind']}), {src['rows_clean']:,} clean sale lines of {src['rows_loaded']:,} loaded, "
             "aggregated to product-weeks (units per product per week at the posted list price). Split by time: "
             f"train {split['train']:,} product-weeks, validation {split['val']:,} (from {split['val_start_week']}), "
             f"test {split['test']:,} (from {split['test_start_week']}).", "",
             "Rows dropped by cleaning: " + ", ".join(f"{k} {v:,}" for k, v in src["dropped"].items()) + ".", "",
             "## Baseline demand: test-split Poisson deviance", "",
             "Every model predicts log expected weekly units at the product's reference price (the price response held "
             "fixed as an offset). Mean Poisson deviance on the test weeks; lower is better.", "",
             "| model | role | Poisson deviance |", "|---|---|---|"]
    for m in doc["metrics"]:
        lines.append(f"| {m['model']} | {m['role']} | {m['poisson_deviance']:.3f} |")
    pr = doc.get("price_response")
    if pr:
        lines += ["", "## Price response (double ML, shrunk toward the category)", "",
                  "| part | global b | global c | between-product sd of b | of c |", "|---|---|---|---|---|"]
        for part, s in pr.items():
            if not (isinstance(s, dict) and "global" in s):
                continue  # not a part's prior (e.g. an optional step's own summary: extra_spread, truncated_curvature)
            lines.append(f"| {part} | {s['global'][0]:.3f} | {s['global'][1]:.3f} | {s['between_sd'][0]:.3f} | {s['between_sd'][1]:.3f} |")
        trunc = pr.get("truncated_curvature")
        if isinstance(trunc, dict) and "population_mean_c" in trunc:
            # The parts' priors above are not the posterior's prior when the sum's population is relearned on c <= 0.
            lines += ["", f"The posterior's prior is the summed response's population learned on c ≤ 0 "
                          f"(docs/price-response.md): its curvature c has mean {trunc['population_mean_c']:.3f} and "
                          f"sd {trunc['population_sd_c']:.3f} (spread chosen as `{trunc.get('spread_mode', 'mle')}`); "
                          f"the median product's posterior mean (b, c) is "
                          f"({trunc['median_truncated_mean'][0]:.3f}, {trunc['median_truncated_mean'][1]:.3f})."]
    reg = doc.get("pricing")
    if reg:
        s = reg["summary"]
        lines += ["", "## Decisions on the ground-truth panel", "",
                  f"{len(reg['panel'])} products (half best sellers, half a seeded draw of products with ≥ 30 lines), decided "
                  "from the files exactly as the service decides (default request). Regret = 1 − true revenue at the decided "
                  "price / true revenue at the best price within [current/2, 2×current]; current is the product's "
                  "recent list price (what keeping the price keeps).", "",
                  "Gain capture on a mispriced product is (R(decided) − R(now)) / (R(best) − R(now)); the aggregate "
                  "capture sums both over the mispriced products (Σ realized / Σ possible, as `make eval` reports it), so a "
                  "product counts by what is at stake; the median is 0% whenever fewer than half of them move.", "",
                  "| method | median regret | p90 | revenue-weighted | aggregate capture | median capture (mispriced) | harm rate | coverage of the 10–90% best-price interval |",
                  "|---|---|---|---|---|---|---|---|",
                  f"| this version | {pct(s['median_regret'])} | {pct(s['p90_regret'])} | {pct(s['weighted_regret'])} "
                  f"| {pct(s.get('aggregate_capture'))} | {pct(s['gain_capture'])} ({s['mispriced']} products) | {pct(s['harm_rate'])} "
                  f"| {pct(s['coverage'])} |",
                  f"| keep the current price | {pct(reg['keep_current']['median_regret'])} | {pct(reg['keep_current']['p90_regret'])} "
                  "| | | | | |", ""]
        a = reg.get("all_products")
        if a:
            lines += [f"Every product with ground truth ({a['products']:,}; decided the same way): median regret "
                      f"{pct(a['median_regret'])}, p90 {pct(a['p90_regret'])}, revenue-weighted {pct(a['weighted_regret'])}, "
                      f"aggregate capture {pct(a.get('aggregate_capture'))}, median capture {pct(a['gain_capture'])} "
                      f"({a['mispriced']:,} mispriced), harm rate {pct(a['harm_rate'])}, "
                      f"changed {pct(a['changed'])}, coverage {pct(a['coverage'])}, median elasticity error "
                      f"{a['elasticity_error']:.2f}; keeping the current price: median {pct(a['keep_current_median_regret'])}, "
                      f"p90 {pct(a['keep_current_p90_regret'])}.", ""]
        lines += ["| stockcode | description | lines | current | true best | decided | decision | P(gain) | regret | keep regret | elasticity (true) |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in reg["per_product"]:
            lines.append(f"| {r['stockcode']} | {r['description']} | {r['lines']} | {r['current_price']:.2f} | {r['best_price']:.2f} "
                         f"| {r['recommended_price']:.2f} | {r['decision']} | {r['probability_of_gain']:.2f} | {pct(r['regret'])} "
                         f"| {pct(r['regret_keep'])} | {r['elasticity']:.2f} ({r['elasticity_true']:.2f}) |")
    lines += ["", "## Models", ""]
    for m in doc["models"]:
        lines.append(f"- **{m['name']}** ({m['kind']}, {m['input_layout']} inputs): `{m['hyperparameters']}`")
    return "\n".join(lines) + "\n"


def write(folder: Path, doc: dict) -> list[str]:
    """Writes report.json and report.md into the version folder; returns their names for the manifest."""
    (folder / "report.json").write_text(json.dumps(doc, indent=1, allow_nan=False, default=float) + "\n")
    (folder / "report.md").write_text(markdown(doc))
    return ["report.md", "report.json"]
