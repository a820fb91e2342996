"""Writing a version folder: model files, golden vectors, report and the manifest (written last)."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
from safetensors.numpy import save_file

from .checksum import sha256_file  # noqa: F401  (pipeline calls export.sha256_file)
from .weekly import CONTEXT_NUMERIC

FORMAT_VERSION = 2
# golden.json's tolerances, on golden_error's scale. The network runs in float32 with a summation order
# of each runtime's choosing, so it differs by a few ulps of its own output; the others agree closer.
GOLDEN_TOLERANCE = {"feedforward": 1e-4, "other": 1e-5}


def golden_error(got: np.ndarray, want: np.ndarray) -> float:
    """Worst |got - want| / max(1, |want|): absolute near zero, relative for large outputs. A golden row
    priced far outside a product's history can drive a network to a log-quantity in the thousands, where
    one float32 ulp is already 1.2e-4, so a purely absolute bound would reject a faithful export."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    if got.shape != want.shape:
        return float("inf")
    return float(np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want)), initial=0.0))


def write_network(folder: Path, tensors: dict[str, np.ndarray]) -> str:
    save_file(tensors, str(folder / "network.safetensors"), metadata={"format": "pt"})
    return "network.safetensors"


def write_booster(folder: Path, booster) -> str:
    booster.save_model(str(folder / "lightgbm.txt"))
    return "lightgbm.txt"


def write_svr(folder: Path, model, intercept_shift: float = 0.0) -> tuple[str, dict]:
    save_file({"support_vectors": np.ascontiguousarray(model.support_vectors_, dtype=np.float32),
               "dual_coef": np.ascontiguousarray(model.dual_coef_[0], dtype=np.float64),
               "intercept": np.asarray(model.intercept_, dtype=np.float64) + intercept_shift}, str(folder / "svr.safetensors"))
    kernel = {"type": model.kernel, "gamma": float(model._gamma), "coef0": float(model.coef0), "degree": int(model.degree)}
    return "svr.safetensors", kernel


def write_linear(folder: Path, model, intercept_shift: float = 0.0) -> str:
    save_file({"coef": np.ascontiguousarray(model.coef_, dtype=np.float64),
               "intercept": np.asarray([model.intercept_ + intercept_shift], dtype=np.float64)},
              str(folder / "elasticnet.safetensors"))
    return "elasticnet.safetensors"


def write_price_response(folder: Path, response, products: pd.DataFrame, codes: list[str]) -> str:
    """price_response.safetensors (docs/price-response.md), rows in the feature-store index order."""
    pos = {c: i for i, c in enumerate(response.stockcodes)}
    rows = [pos[c] for c in codes]
    facts = products.set_index("stockcode").loc[codes]
    save_file({"reference_log_price": np.ascontiguousarray(facts["log_reference_price"].to_numpy(np.float64)),
               "coefficients": np.ascontiguousarray(response.mean[rows], dtype=np.float64),
               "draws": np.ascontiguousarray(response.draws[rows], dtype=np.float32),
               "current_price": np.ascontiguousarray(facts["current_price"].to_numpy(np.float64)),
               "support": np.ascontiguousarray(facts[["support_min", "support_max"]].to_numpy(np.float64)),
               "realized_price_ratio": np.ascontiguousarray(facts["realized_price_ratio"].to_numpy(np.float64))},
              str(folder / "price_response.safetensors"))
    return "price_response.safetensors"


# The context features a product has no value for before its first sales (its demand history).
HISTORY_FEATURES = [c for c in CONTEXT_NUMERIC if c.startswith(("log_units_", "log_lines_"))]


def golden_rows(test: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """A seeded sample of test product-weeks plus edge cases: no history (a product's first weeks), an
    unseen category, extreme lagged demand."""
    rng = np.random.default_rng(seed)
    base = test.iloc[np.sort(rng.choice(len(test), size=min(n, len(test)), replace=False))].copy()
    edge = base.iloc[: min(12, len(base))].copy()
    k = len(edge)
    for col in HISTORY_FEATURES:
        edge.iloc[0: k // 3, edge.columns.get_loc(col)] = np.nan
    edge.iloc[k // 3: 2 * k // 3, edge.columns.get_loc("desc_keyword")] = "UNSEEN-CATEGORY"
    edge.iloc[2 * k // 3:, edge.columns.get_loc("log_units_lag1")] = 9.0
    return pd.concat([base, edge], ignore_index=True)


def golden_document(rows: pd.DataFrame, dense: np.ndarray, tree: np.ndarray, expected: dict[str, np.ndarray],
                           numeric: list[str], categorical: list[str]) -> dict:
    items = []
    for i in range(len(rows)):
        r = rows.iloc[i]
        items.append({"context": {c: _json_value(r[c]) for c in numeric + categorical},
                      "unit_price": None, "price_features": {},
                      "dense_input": [_json_value(v) for v in dense[i]],
                      "tree_input": [_json_value(v) for v in tree[i]],
                      "expected": {k: float(v[i]) for k, v in expected.items()}})
    return {"description": "Raw context rows (product-weeks) with every model's expected baseline f(x) = log "
                           "expected weekly units at the reference price. `context` holds the features (null = "
                           "missing), `dense_input`/`tree_input` the preprocessed float32 inputs (null = NaN) and "
                           "`expected` each model's output; `tolerance` bounds each model kind's error on the "
                           "`tolerance_scale`. `sweeps` are default requests answered from the files: curve per "
                           "model and the decision (docs/price-response.md).",
            "tolerance": GOLDEN_TOLERANCE,
            "tolerance_scale": "max over rows of |actual - expected| / max(1, |expected|)",
            "rows": items}


def _json_value(v):
    if v is None:
        return None
    if isinstance(v, (float, np.floating)):
        return None if not math.isfinite(float(v)) else float(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    return v


def write_json(path: Path, doc: dict) -> None:
    path.write_text(json.dumps(doc, indent=1, allow_nan=False) + "\n")


def manifest(folder: Path, version: str, source: dict, split: dict, pre: dict, models: list[dict], store: dict,
             extra_files: list[str], numeric: list[str], categorical: list[str], price_response: dict) -> dict:
    created = os.environ.get("SOURCE_DATE_EPOCH")
    created_at = (dt.datetime.fromtimestamp(int(created), dt.timezone.utc) if created
                  else dt.datetime.now(dt.timezone.utc)).replace(microsecond=0).isoformat()
    files = sorted({m["file"] for m in models} | set(store["files"]) | set(extra_files))
    return {
        "format_version": FORMAT_VERSION,
        "model_version": version,
        "created_at": created_at,
        "data_source": source,
        "split": split,
        "target": {"name": "log_weekly_units_at_reference_price", "unit": "units per product per week",
                   "link": "log", "inverse": "exp",
                   "meaning": "f(x): log expected units per week at the product's reference price; "
                              "units at price p = exp(f(x) + b*D + c*D^2), D = ln p - ln p_ref"},
        "features": {"numeric": numeric, "categorical": categorical, "context_numeric": numeric, "price_features": []},
        "preprocessor": pre,
        "sweep": {"default_bins": 100, "min_bins": 2, "max_bins": 1000,
                  "default_range": "product line-price history min..max (feature store price.min, price.max), "
                                   "widened to the supported range (price_response support) where that reaches further",
                  "quantity": "expected units per week: mean over context weeks of exp(f) x mean over draws of exp(g)",
                  "sales": "expected revenue per week: realized_price_ratio x price x quantity",
                  "decision": "docs/price-response.md"},
        "models": models,
        "feature_store": {"index": "features/products.json.gz", "shards": store["shards"],
                          "shard_pattern": "features/context-{shard:03d}.safetensors.gz",
                          "shard_of": "crc32(utf8(stockcode)) mod shards", "columns": store["columns"],
                          "rows_per_product": store["rows_per_product"], "products": store["products"]},
        "golden": "golden.json",
        "report": {"markdown": "report.md", "json": "report.json"},
        "files": {f: {"sha256": sha256_file(folder / f), "bytes": (folder / f).stat().st_size} for f in files},
        "price_response": price_response,
    }
