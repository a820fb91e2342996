"""The whole batch: load -> clean -> weekly panel -> price response (double ML + shrinkage) -> baseline
models (network, LightGBM, SVR, ElasticNet) -> export one version folder -> reload it and check that it
reproduces the trained models -> evaluate the decisions against ground truth when there is one."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd

from . import baseline_models, decision, export, feature_store, network, version_report, weekly
from .artifact_models import ArtifactSet
from .cleaning import clean
from .config import TrainConfig
from .loader import load_transactions
from .preprocessor import Preprocessor
from .price_response import PriceResponse, ResponseConfig
from .price_response import fit as fit_price_response
from .scoring import evaluate_version
from .service_answer import reference_sweeps

log = logging.getLogger(__name__)
BACKUP_ORDER = ["lightgbm", "svr", "elasticnet"]
STORE_COLUMNS = weekly.CONTEXT_NUMERIC + weekly.CATEGORICAL  # the feature store's columns, in order


class SelfCheckError(RuntimeError):
    pass


def response_config(cfg: TrainConfig) -> ResponseConfig:
    return ResponseConfig(trees=cfg.response_trees, draws=cfg.response_draws, seed=cfg.seed)


def offsets(rows: pd.DataFrame, response: PriceResponse) -> np.ndarray:
    """g_i(Δ) of each row at the posterior mean: the price effect held fixed while baselines learn."""
    pos = {c: i for i, c in enumerate(response.stockcodes)}
    i = rows["stockcode"].map(pos).to_numpy()
    d = rows["delta"].to_numpy(np.float64)
    return response.mean[i, 0] * d + response.mean[i, 1] * d * d


def week_split(rows: pd.DataFrame, val_fraction: float = 0.15, test_fraction: float = 0.15) -> dict[str, np.ndarray]:
    """Masks of a chronological split at whole weeks (test = the latest weeks, never fit or tuned on)."""
    weeks = rows["week"].to_numpy()
    ordered = np.sort(weeks)
    test_start = ordered[int(len(ordered) * (1.0 - test_fraction))]
    val_start = ordered[int(len(ordered) * (1.0 - test_fraction - val_fraction))]
    return {"train": weeks < val_start, "val": (weeks >= val_start) & (weeks < test_start), "test": weeks >= test_start}


def run(data: Path, out_root: Path, cfg: TrainConfig, ground_truth: Path | None = None, version: str | None = None,
        source_kind: str | None = None) -> Path:
    """Train everything from `data` and write out_root/<version>/; return that folder."""
    t0 = time.time()
    data = Path(data)
    raw = load_transactions(data)
    data_sha = export.sha256_file(data)
    cleaned, dropped = clean(raw)
    panel = weekly.build(cleaned)
    response_cfg = response_config(cfg)
    response, rows = fit_price_response(panel, response_cfg)
    rows["offset"] = offsets(rows, response)
    split = week_split(rows)
    parts = {k: rows[m] for k, m in split.items()}
    if min(len(p) for p in parts.values()) < 50:
        raise ValueError(f"{data}: too few product-weeks after cleaning to split by time "
                         f"({ {k: len(p) for k, p in parts.items()} })")
    pre = Preprocessor.fit(parts["train"], weekly.CONTEXT_NUMERIC, weekly.CATEGORICAL, cfg.min_category_count)
    xd = {k: pre.transform_dense(p) for k, p in parts.items()}
    xt = {k: pre.transform_tree(p) for k, p in parts.items()}
    y = {k: p["units"].to_numpy(np.float64) for k, p in parts.items()}
    off = {k: p["offset"].to_numpy(np.float64) for k, p in parts.items()}
    tree_categorical = list(range(len(pre.numeric), len(pre.numeric) + len(pre.categorical)))
    net, net_info = baseline_models.train_network(xd["train"], y["train"], off["train"], xd["val"], y["val"], off["val"], cfg)
    trained: dict[str, tuple[object, dict]] = {"mlp": (net, net_info)}
    trained["lightgbm"] = baseline_models.train_lightgbm(xt["train"], y["train"], off["train"], tree_categorical, cfg)
    trained.update(baseline_models.train_regressions(xd["train"], y["train"], off["train"], cfg))

    def predict(name: str, dense: np.ndarray, tree: np.ndarray) -> np.ndarray:
        model = trained[name][0]
        if name == "mlp":
            return network.predict(model, dense).astype(np.float64)
        if name == "lightgbm":
            return model.predict(tree, raw_score=True)
        return model.predict(dense)

    metrics = []
    for role, name in zip(["primary", "backup 1", "backup 2", "backup 3"], ["mlp"] + BACKUP_ORDER):
        dev = baseline_models.poisson_deviance(y["test"], predict(name, xd["test"], xt["test"]) + off["test"])
        metrics.append({"model": name, "role": role, "poisson_deviance": dev})
        log.info("test Poisson deviance %-10s %.4f", name, dev)
    mean_rate = np.log(y["train"].mean())
    metrics.append({"model": "training mean", "role": "baseline",
                    "poisson_deviance": baseline_models.poisson_deviance(y["test"], np.full(len(y["test"]), mean_rate))})
    lagged = np.log(np.expm1(parts["test"]["log_units_mean_4w"].fillna(0.0).to_numpy()) + 0.1)
    metrics.append({"model": "last 4 weeks' mean", "role": "baseline",
                    "poisson_deviance": baseline_models.poisson_deviance(y["test"], lagged)})

    source = {"path": data.name, "sha256": data_sha, "kind": source_kind or ("synthetic" if ground_truth else "uci"),
              "rows_loaded": int(len(raw)), "rows_clean": int(len(cleaned)), "dropped": dropped,
              "first_invoice": str(cleaned["invoice_date"].min()), "last_invoice": str(cleaned["invoice_date"].max())}
    # The price-response settings are part of the id: the same log trained by another method is another version
    # (caches keyed by the version id must not serve one's curves for the other's).
    response_fingerprint = json.dumps(dataclasses.asdict(response_cfg), sort_keys=True)
    version = version or f"v{export.FORMAT_VERSION}-{source['kind']}-{cfg.mode}-" + hashlib.sha256(
        (data_sha + cfg.fingerprint() + response_fingerprint).encode()).hexdigest()[:8]
    folder = Path(out_root) / version
    staging = Path(out_root) / f".{version}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)

    models = [{"name": "mlp", "kind": "feedforward", "role": "primary", "input_layout": "dense",
               "file": export.write_network(staging, network.export_tensors(net)), "architecture": network.architecture(net)},
              {"name": "lightgbm", "kind": "lightgbm", "role": "backup", "input_layout": "tree",
               "file": export.write_booster(staging, trained["lightgbm"][0]), "categorical_inputs": tree_categorical}]
    svr = trained["svr"][0]
    svr_file, kernel = export.write_svr(staging, svr.model, intercept_shift=svr.shift)
    models.append({"name": "svr", "kind": "svr", "role": "backup", "input_layout": "dense", "file": svr_file,
                   "kernel": kernel, "support_vectors": int(len(svr.model.support_vectors_))})
    enet = trained["elasticnet"][0]
    models.append({"name": "elasticnet", "kind": "linear", "role": "backup", "input_layout": "dense",
                   "file": export.write_linear(staging, enet.model, intercept_shift=enet.shift)})
    for spec, m in zip(models, metrics):
        spec["metrics"] = {"poisson_deviance": m["poisson_deviance"]}
        spec["hyperparameters"] = trained[spec["name"]][1]["hyperparameters"]
        spec["training"] = {k: v for k, v in trained[spec["name"]][1].items() if k != "hyperparameters"}

    # Feature store: each product's recent weeks, and the price response in the index's order.
    context = weekly.context_rows(panel, cfg.context_rows)
    index, shards = feature_store.build(context, cleaned, panel.products, pre, STORE_COLUMNS, cfg.feature_shards)
    store_files = feature_store.write(staging, index, shards, STORE_COLUMNS)
    codes = [p["stockcode"] for p in index]
    response_file = export.write_price_response(staging, response, panel.products, codes)
    golden = export.golden_rows(parts["test"], cfg.golden_rows, cfg.seed)
    gd, gt_ = pre.transform_dense(golden), pre.transform_tree(golden)
    expected = {name: predict(name, gd, gt_) for name in ["mlp"] + BACKUP_ORDER}
    export.write_json(staging / "golden.json",
                      export.golden_document(golden, gd, gt_, expected, weekly.CONTEXT_NUMERIC, weekly.CATEGORICAL))
    store = {"files": store_files, "shards": cfg.feature_shards, "columns": STORE_COLUMNS,
             "rows_per_product": cfg.context_rows, "products": len(index)}
    split_doc = {k: int(m.sum()) for k, m in split.items()} | {
        "val_start_week": str(parts["val"]["week_start"].min().date()), "test_start_week": str(parts["test"]["week_start"].min().date())}
    settings = dict(decision.DEFAULT_DECISION)

    def write_manifest(extra: list[str]) -> dict:
        doc = export.manifest(staging, version, source, split_doc, pre.to_dict(), models, store,
                                 ["golden.json", response_file] + extra, weekly.CONTEXT_NUMERIC, weekly.CATEGORICAL,
                                 {"file": response_file, "form": "log_quadratic", "draws": cfg.response_draws,
                                  "decision": settings, "estimation": response.summary})
        doc["training_config"] = dataclasses.asdict(cfg)
        # The price response's settings in full, so a version trained with a switch on (a study's) says so and the
        # weekly update refits its starting posterior with the same ones (loop/weekly_update.response_config).
        doc["response_config"] = dataclasses.asdict(response_cfg)
        export.write_json(staging / "manifest.json", doc)
        return doc

    write_manifest([])
    artifacts = ArtifactSet(staging)
    try:
        self_check(artifacts, golden, expected)
    except SelfCheckError as exc:
        raise SelfCheckError(f"version {version} not written: {exc}; its partial output is in {staging}") from exc
    store_reader = feature_store.FeatureStore(staging, pre)
    golden_doc = json.loads((staging / "golden.json").read_text())
    golden_doc["sweeps"] = reference_sweeps(artifacts, store_reader, cfg.price_bins)
    export.write_json(staging / "golden.json", golden_doc)
    write_manifest([])

    doc = {"model_version": version, "data_source": source, "split": split_doc, "metrics": metrics,
           "price_response": response.summary,
           "models": [{k: m[k] for k in ("name", "kind", "input_layout", "hyperparameters")} for m in models]}
    if ground_truth is not None:  # synthetic data: its decisions scored against the scenario's truth
        doc["pricing"] = evaluate_version(artifacts, store_reader, ground_truth, cfg.panel_size, cfg.seed)
    write_manifest(version_report.write(staging, doc))

    for path in staging.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)  # safetensors writes 0600; the service may run as another user
    if folder.exists():
        shutil.rmtree(folder)
    staging.rename(folder)  # readers never see a half-written version
    (Path(out_root) / "LATEST").write_text(version + "\n")
    log.info("wrote %s in %.0f s", folder, time.time() - t0)
    return folder


def self_check(artifacts: ArtifactSet, golden: pd.DataFrame, expected: dict[str, np.ndarray]) -> None:
    """Every model rebuilt from the files alone must reproduce the trained model on the golden rows."""
    for name, want in expected.items():
        got = artifacts.predict(name, golden)
        tol = export.GOLDEN_TOLERANCE["feedforward"] if name == "mlp" else 1e-9
        err = export.golden_error(got, want)
        if not err <= tol:
            raise SelfCheckError(f"{name}: reloaded model differs from the trained one by {err:.3g} "
                                 f"(relative to max(1, |trained|); tolerance {tol:g})")
        log.info("self-check %-10s max |reloaded - trained| / max(1, |trained|) = %.2g", name, err)
    log.info("self-check passed: %s", json.dumps(sorted(expected)))
