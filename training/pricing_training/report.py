"""The evaluation report of a version, as Markdown (for people) and JSON (for machines)."""

from __future__ import annotations

from pathlib import Path


def _pct(v: float) -> str:
    return f"{100.0 * v:.1f}%"


def markdown(doc: dict) -> str:
    lines = [f"# Evaluation report: {doc['model_version']}", "",
             f"Data: {doc['data_source']['path']} ({doc['data_source']['kind']}), "
             f"{doc['data_source']['rows_clean']:,} clean sale lines of {doc['data_source']['rows_loaded']:,} loaded. "
             f"Split by time: train {doc['split']['train_rows']:,} rows, validation {doc['split']['val_rows']:,} "
             f"(from {doc['split']['val_start']}), test {doc['split']['test_rows']:,} (from {doc['split']['test_start']}).",
             "", "Rows dropped by cleaning: " + ", ".join(f"{k} {v:,}" for k, v in doc["data_source"]["dropped"].items()) + ".",
             "", "## Test-split metrics", "",
             "Target log1p(quantity). MSE on the log values; RMSLE and MAE on quantities. Lower is better.", "",
             "| model | role | MSE (log) | RMSLE | MAE |", "|---|---|---|---|---|"]
    for m in doc["metrics"]:
        lines.append(f"| {m['model']} | {m['role']} | {m['mse_log']:.4f} | {m['rmsle']:.4f} | {m['mae']:.3f} |")
    reg = doc.get("pricing")
    if reg:
        lines += ["", "## Pricing quality on the synthetic panel", "",
                  f"{len(reg['panel'])} products; grid of {reg['bins']} prices between each product's historical "
                  "minimum and maximum price; regret = 1 - true revenue at the recommended price / true revenue at "
                  "the best grid price. 'stale' is the reference article's method: only the raw unit price is swept, "
                  "derived price features keep their historical values.", "",
                  "| method | median regret | mean | p90 | max |", "|---|---|---|---|---|"]
        for name, s in reg["summary"].items():
            lines.append(f"| {name} | {_pct(s['median'])} | {_pct(s['mean'])} | {_pct(s['p90'])} | {_pct(s['max'])} |")
        primary = doc["metrics"][0]["model"]
        lines += ["", f"Per product ({primary}, correct sweep vs the article's stale sweep):", "",
                  "| stockcode | description | lines | grid | true best | recommended | regret | stale rec. | stale regret |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for r in reg["per_product"]:
            lines.append(f"| {r['stockcode']} | {r['description']} | {r['lines']} | {r['grid_min']:.2f}-{r['grid_max']:.2f} "
                         f"| {r['true_best_price']:.2f} | {r[f'price_{primary}']:.2f} | {_pct(r[f'regret_{primary}'])} "
                         f"| {r[f'price_{primary}_stale']:.2f} | {_pct(r[f'regret_{primary}_stale'])} |")
    lines += ["", "## Models", ""]
    for m in doc["models"]:
        lines.append(f"- **{m['name']}** ({m['kind']}, {m['input_layout']} inputs): `{m['hyperparameters']}`")
    return "\n".join(lines) + "\n"


def write(folder: Path, doc: dict) -> list[str]:
    import json
    (folder / "report.json").write_text(json.dumps(doc, indent=1, allow_nan=False) + "\n")
    (folder / "report.md").write_text(markdown(doc))
    return ["report.md", "report.json"]
