"""A quick-mode version folder, end to end: every file hashed, every model reproduced from the files
alone, golden vectors consistent, feature store readable per product, report complete."""

from __future__ import annotations

import gzip
import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from safetensors.numpy import load, save_file

from pricing_training import export, network
from pricing_training.artifact_models import ArtifactSet
from pricing_training.feature_store import CONTEXT_COLUMNS, FeatureStore, shard_of
from pricing_training.pipeline import SelfCheckError, self_check
from pricing_training.price_features import PRICE_FEATURES, price_features
from pricing_training.sweep import sweep, sweep_frame


@pytest.fixture(scope="module")
def manifest(quick_version):
    return json.loads((quick_version / "manifest.json").read_text())


@pytest.fixture(scope="module")
def golden(quick_version):
    return json.loads((quick_version / "golden.json").read_text())


def golden_frame(golden) -> pd.DataFrame:
    rows = []
    for r in golden["rows"]:
        row = {k: (np.nan if v is None and k not in ("day_of_week", "country", "desc_keyword") else v)
               for k, v in r["context"].items()}
        row["unit_price"] = r["unit_price"]
        rows.append(row)
    frame = pd.DataFrame(rows)
    stats = {s["stat"]: frame[s["stat"]].to_numpy(np.float64) for s in PRICE_FEATURES if s["op"] == "ratio"}
    for name, v in price_features(frame["unit_price"].to_numpy(), stats).items():
        frame[name] = v
    return frame


def test_layout_and_checksums(quick_version, manifest):
    root = quick_version.parent
    assert (root / "LATEST").read_text().strip() == quick_version.name == manifest["model_version"]
    assert not list(root.glob(".*partial"))
    assert manifest["format_version"] == 1
    assert [m["name"] for m in manifest["models"]] == ["mlp", "lightgbm", "svr", "elasticnet"]
    on_disk = {str(p.relative_to(quick_version)) for p in quick_version.rglob("*") if p.is_file()} - {"manifest.json"}
    assert on_disk == set(manifest["files"])
    for name, meta in manifest["files"].items():
        data = (quick_version / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == meta["sha256"] and len(data) == meta["bytes"], name


def test_every_model_reloaded_from_files_reproduces_the_trained_model(quick_version, golden):
    artifacts = ArtifactSet(quick_version)
    frame = golden_frame(golden)
    for name in ["mlp", "lightgbm", "svr", "elasticnet"]:
        want = np.array([r["expected"][name] for r in golden["rows"]])
        got = artifacts.predict(name, frame)
        tol = golden["tolerance"]["feedforward"] if name == "mlp" else 1e-9
        assert export.golden_error(got, want) <= tol, name
        assert np.all(np.isfinite(want)) and np.std(want) > 0.01, name  # real, varied predictions


def test_network_weights_rebuild_the_torch_module(quick_version, manifest, golden):
    """The safetensors names and the architecture in the manifest are enough to rebuild the PyTorch model."""
    spec = manifest["models"][0]
    arch = spec["architecture"]
    model = network.DemandNetwork(arch["inputs"], arch["hidden"], arch["batch_norm"], [0.0] * len(arch["hidden"]))
    tensors = load((quick_version / spec["file"]).read_bytes())
    missing, unexpected = model.load_state_dict({k: __import__("torch").from_numpy(v) for k, v in tensors.items()},
                                                strict=False)
    assert not unexpected and all(k.endswith("num_batches_tracked") for k in missing)
    dense = np.array([[np.nan if v is None else v for v in r["dense_input"]] for r in golden["rows"]], np.float32)
    got = network.predict(model, dense)
    want = np.array([r["expected"]["mlp"] for r in golden["rows"]])
    assert np.max(np.abs(got - want)) <= 1e-6


def test_golden_inputs_are_the_preprocessor_of_the_manifest(quick_version, golden):
    artifacts = ArtifactSet(quick_version)
    frame = golden_frame(golden)
    dense = np.array([[np.nan if v is None else v for v in r["dense_input"]] for r in golden["rows"]], np.float32)
    tree = np.array([[np.nan if v is None else v for v in r["tree_input"]] for r in golden["rows"]], np.float32)
    np.testing.assert_array_equal(artifacts.preprocessor.transform_dense(frame), dense)
    np.testing.assert_array_equal(artifacts.preprocessor.transform_tree(frame), tree)
    for r, (_, row) in zip(golden["rows"], frame.iterrows()):
        for name, value in r["price_features"].items():
            assert (value is None and np.isnan(row[name])) or value == row[name], name
    # The edge cases are there: missing customer history, unseen country, extreme prices.
    assert any(r["context"]["cust_hist_mean_log_qty"] is None for r in golden["rows"])
    assert any(r["context"]["country"] == "Atlantis" for r in golden["rows"])
    assert {0.01, 1000.0} <= {r["unit_price"] for r in golden["rows"]}


def test_self_check_rejects_a_tampered_model(quick_version, golden, tmp_path):
    import shutil

    copy = tmp_path / "v"
    shutil.copytree(quick_version, copy)
    tensors = load((copy / "network.safetensors").read_bytes())
    tensors["output.bias"] = tensors["output.bias"] + np.float32(0.01)
    save_file(tensors, str(copy / "network.safetensors"))
    frame = golden_frame(golden)
    expected = {"mlp": np.array([r["expected"]["mlp"] for r in golden["rows"]])}
    with pytest.raises(SelfCheckError, match="mlp"):
        self_check(ArtifactSet(copy), frame, expected)
    self_check(ArtifactSet(quick_version), frame, expected)


def test_golden_error_is_relative_for_large_outputs_and_absolute_near_zero():
    """A faithful float32 export of a network extrapolating to log-quantity 1872 is off by one ulp
    (1.2e-4): within tolerance. An export mistake of 0.01 on an ordinary output is not."""
    tol = export.GOLDEN_TOLERANCE["feedforward"]
    big = np.array([1872.0364990234375, 2.0])
    one_ulp = big.astype(np.float32)
    one_ulp[0] = np.nextafter(one_ulp[0], np.float32(np.inf))
    assert np.abs(one_ulp[0] - big[0]) > tol  # an absolute bound would have rejected it
    assert export.golden_error(one_ulp, big) <= tol
    off = export.golden_error(big + [0.0, 0.01], big)
    assert off == pytest.approx(0.01 / 2) and off > tol
    assert export.golden_error(np.array([0.0, 5e-5]), np.array([0.0, 0.0])) == pytest.approx(5e-5)
    assert export.golden_error(big[:1], big) == float("inf")


def test_feature_store_serves_one_product_from_one_shard(quick_version, manifest):
    fs = manifest["feature_store"]
    index = json.loads(gzip.decompress((quick_version / fs["index"]).read_bytes()))
    assert index["columns"] == CONTEXT_COLUMNS == fs["columns"]
    products = index["products"]
    assert len(products) == fs["products"] and [p["stockcode"] for p in products] == sorted(p["stockcode"] for p in products)
    p = next(p for p in products if p["stockcode"] == "85123A")
    assert p["description"] == "WHITE HANGING HEART T-LIGHT HOLDER"
    assert p["shard"] == shard_of("85123A", fs["shards"]) and p["row_count"] == fs["rows_per_product"]
    assert p["price"]["min"] <= p["price"]["median"] <= p["price"]["max"]
    shard = load(gzip.decompress((quick_version / fs["shard_pattern"].format(shard=p["shard"])).read_bytes()))["rows"]
    assert shard.dtype == np.float32 and shard.shape[1] == len(CONTEXT_COLUMNS)
    rows = shard[p["row_offset"]:p["row_offset"] + p["row_count"]]
    price_col = CONTEXT_COLUMNS.index("observed_unit_price")
    assert np.all((rows[:, price_col] >= np.float32(p["price"]["min"])) & (rows[:, price_col] <= np.float32(p["price"]["max"])))
    ends = {}
    for q in products:
        ends.setdefault(q["shard"], []).append((q["row_offset"], q["row_count"]))
    for spans in ends.values():  # each shard is tiled exactly by its products
        spans.sort()
        assert all(a[0] + a[1] == b[0] for a, b in zip(spans, spans[1:]))


def test_sweep_recomputes_price_features_and_the_stale_sweep_does_not(quick_version):
    artifacts = ArtifactSet(quick_version)
    store = FeatureStore(quick_version, artifacts.preprocessor)
    context = store.context("85123A")
    prices = np.array([1.0, 2.0, 3.0])
    fresh = sweep_frame(context, prices)
    stale = sweep_frame(context, prices, stale=True)
    n = len(context)
    np.testing.assert_allclose(fresh["price_vs_hist_mean"].to_numpy()[:n], 1.0 / context["prod_hist_mean_price"].to_numpy())
    np.testing.assert_array_equal(stale["price_vs_hist_mean"].to_numpy()[:n], context["price_vs_hist_mean"].to_numpy())
    np.testing.assert_array_equal(stale["unit_price"].to_numpy(), np.repeat(prices, n))
    result = sweep(lambda f: artifacts.predict("mlp", f), context, np.linspace(1.0, 4.0, 25))
    assert np.all(result.quantity_min <= result.quantity) and np.all(result.quantity <= result.quantity_max)
    np.testing.assert_allclose(result.sales, result.prices * result.quantity)


def test_report_has_every_model_and_the_regret_of_each(quick_version, manifest):
    report = json.loads((quick_version / "report.json").read_text())
    assert [m["model"] for m in report["metrics"]][:4] == ["mlp", "lightgbm", "svr", "elasticnet"]
    for m in report["metrics"]:
        assert all(np.isfinite(m[k]) and m[k] >= 0 for k in ("mse_log", "rmsle", "mae"))
    summary = report["pricing"]["summary"]
    for name in ["mlp", "lightgbm", "svr", "elasticnet"]:
        assert 0.0 <= summary[name]["median"] <= 1.0 and f"{name}_stale" in summary
    assert "85123A" in report["pricing"]["panel"]
    md = (quick_version / "report.md").read_text()
    assert "| mlp | primary |" in md and "stale" in md
    for spec in manifest["models"]:
        assert spec["metrics"]["mse_log"] == next(m for m in report["metrics"] if m["model"] == spec["name"])["mse_log"]


def test_golden_has_reference_sweeps_for_the_service(golden, quick_version):
    store = FeatureStore(quick_version, ArtifactSet(quick_version).preprocessor)
    assert len(golden["sweeps"]) >= 2
    for s in golden["sweeps"]:
        info = store.products[s["stockcode"]]
        assert s["prices"][0] == info["price"]["min"] and s["prices"][-1] == info["price"]["max"]
        assert len(s["prices"]) == s["bins"] and s["context_rows"] == info["row_count"]
        for name, m in s["models"].items():
            assert len(m["sales"]) == s["bins"], name
            assert m["best_index"] == int(np.argmax(m["sales"]))
            np.testing.assert_allclose(m["sales"], np.array(s["prices"]) * np.array(m["quantity"]))
