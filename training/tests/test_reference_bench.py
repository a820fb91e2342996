"""`make bench`'s Python side on a format-2 version: the reference-network copy is a valid version of its
own, the workload is the Swift bench's (context rows of the best sellers, repeated per price), and the
report script reads both sides' numbers."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pricing_training import pipeline, reference_bench, service_answer
from pricing_training.artifact_models import ArtifactSet
from pricing_training.feature_store import FeatureStore

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "bench_report.py"


@pytest.fixture(scope="module")
def reference(quick_version, tmp_path_factory) -> Path:
    return reference_bench.export_reference_network(quick_version.parent, tmp_path_factory.mktemp("bench") / "ref")


def test_reference_network_copy_is_a_valid_version(reference, quick_version):
    manifest = json.loads((reference / "manifest.json").read_text())
    spec = manifest["models"][0]
    assert spec["architecture"]["hidden"] == reference_bench.REFERENCE_HIDDEN and spec["architecture"]["batch_norm"]
    assert spec["reference_workload"] and manifest["model_version"].endswith("-reference-network")
    for name, meta in manifest["files"].items():
        data = (reference / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == meta["sha256"] and len(data) == meta["bytes"], name
    original = json.loads((quick_version / "manifest.json").read_text())
    assert manifest["files"]["network.safetensors"] != original["files"]["network.safetensors"]
    assert manifest["files"]["price_response.safetensors"] == original["files"]["price_response.safetensors"]
    # golden.json holds the new network's answers: the version passes its own self-check...
    golden = json.loads((reference / "golden.json").read_text())
    artifacts = ArtifactSet(reference)
    numeric = manifest["features"]["numeric"]
    frame = pd.DataFrame([{k: (np.nan if v is None and k in numeric else v) for k, v in r["context"].items()}
                          for r in golden["rows"]])
    expected = {name: np.array([r["expected"][name] for r in golden["rows"]]) for name in artifacts.models}
    pipeline.self_check(artifacts, frame, expected)
    # ...and its sweeps are the reference network's default answers.
    store = FeatureStore(reference, artifacts.preprocessor)
    for s in golden["sweeps"]:
        curve, chosen = service_answer.product_decision(artifacts, store, s["stockcode"], "mlp", bins=s["bins"])
        np.testing.assert_array_equal(s["models"]["mlp"]["quantity"], curve["quantity"])
        assert s["decision"] == chosen


def test_workload_is_the_best_sellers_context_rows_repeated_per_price(reference):
    x, artifacts, store = reference_bench.reference_batch(reference, prices=3)
    ranked = sorted(store.products.values(), key=lambda p: (-p["lines"], p["stockcode"]))
    total = sum(p["row_count"] for p in store.products.values())
    n = min(reference_bench.CONTEXT_ROWS, total)
    assert x.shape == (3 * n, artifacts.preprocessor.dense_width) and x.dtype == np.float32
    np.testing.assert_array_equal(x[:n], x[n:2 * n])
    np.testing.assert_array_equal(x[:n], x[2 * n:])
    first = artifacts.preprocessor.transform_dense(store.context(ranked[0]["stockcode"]))
    np.testing.assert_array_equal(x[:len(first)], first)


def test_measure_and_report(reference, tmp_path, capsys):
    result = reference_bench.measure(reference, repeats=1, prices=2)
    widths = [result["architecture"]["inputs"]] + reference_bench.REFERENCE_HIDDEN + [1]
    assert result["rows"] == 2 * result["context_rows"] and result["prices"] == 2
    assert result["flops_full_forward"] == sum(2 * result["rows"] * a * b for a, b in zip(widths, widths[1:]))
    assert result["torch_forward_seconds"] > 0 and result["torch_gflops"] > 0
    assert [(layer["inputs"], layer["outputs"]) for layer in result["numpy_sgemm"]] == list(zip(widths, widths[1:]))
    sweep = result["sweep"]
    assert sweep["stockcode"] == reference_bench.PRODUCT and sweep["context_rows"] == result["context_rows"]
    assert 0 < sweep["torch_forward_seconds"] < sweep["python_sweep_seconds"]
    request = result["request"]
    assert request["stockcode"] == reference_bench.PRODUCT and request["context_rows"] > 0
    assert 0 < request["torch_forward_seconds"] < request["python_request_seconds"]
    json.dumps(result)  # what --json writes
    # The report script, on this result and on Swift rows named as Sources/pricing-server/Bench.swift names them.
    layer = result["numpy_sgemm"][1]
    kernel = f"kernel: {layer['rows']}x{layer['inputs']} · {layer['inputs']}x{layer['outputs']}"
    swift = {"notes": ["dense kernel variant: avx512 (this CPU runs: generic, avx2, avx512; PRICING_KERNEL overrides)",
                       "reference: 1200 context rows × 100 prices"], "rows": [
        {"stage": "load default artifact set", "milliseconds": 12.0, "gflops": None},
        {"stage": "default request: whole sweep (baseline forward pass over the context rows + curve + decision)",
         "milliseconds": 0.05, "gflops": None},
        {"stage": "reference network request: whole sweep (baseline forward pass over the context rows + curve + decision)",
         "milliseconds": 0.08, "gflops": None},
        {"stage": "reference: whole sweep (features, forward, aggregation)", "milliseconds": 1.5, "gflops": None},
        {"stage": "reference: plain forward pass (all layers, as PyTorch)", "milliseconds": 40.0, "gflops": 100.0},
        {"stage": kernel, "milliseconds": 1.0, "gflops": layer["gflops"] / 2},
        {"stage": "variant avx2: reference: plain forward pass", "milliseconds": 80.0, "gflops": 50.0},
        {"stage": f"variant avx2: {kernel}", "milliseconds": 2.0, "gflops": layer["gflops"] / 4}]}
    (tmp_path / "swift.json").write_text(json.dumps(swift))
    (tmp_path / "torch.json").write_text(json.dumps(result))
    # Alternating runs of the default request from both builds; the best of each counts (plain: 10% slower).
    builds = tmp_path / "builds"
    builds.mkdir()
    for i, (plain_factor, make_factor) in enumerate([(1.1, 3.0), (5.0, 1.0)], start=1):
        for kind, factor in [("plain", plain_factor), ("make", make_factor)]:
            doc = {"notes": swift["notes"][:1], "rows": [dict(r, milliseconds=r["milliseconds"] * factor) for r in swift["rows"]]}
            (builds / f"{kind}-{i}.json").write_text(json.dumps(doc))
    spec = importlib.util.spec_from_file_location("bench_report", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.main(str(tmp_path / "swift.json"), str(tmp_path / "torch.json"), str(builds)) == 0
    out = capsys.readouterr().out
    assert "PyTorch (" in out and "Swift (avx512 kernel):" in out and "Swift (avx2 kernel):" in out and "(goal < 200 ms)" in out
    assert "Swift whole sweep:" in out and "PyTorch + NumPy, same sweep:" in out and "Swift whole request:" in out
    shape_line = next(line for line in out.splitlines() if line.startswith(f"{layer['shape']:32s}"))
    assert shape_line.split()[-4:] == [f"{layer['gflops'] / 2:.1f}", "50%", f"{layer['gflops'] / 4:.1f}", "25%"], shape_line
    assert "(goal: avx512 >= 100% of NumPy)" in out
    assert "best of 2 alternating runs" in out and "-> 1.10x" in out and "goal <= 1.2x" in out


def test_a_format_1_version_is_refused_with_a_clear_error(quick_version, tmp_path):
    old = tmp_path / "v1"
    shutil.copytree(quick_version, old)
    manifest = json.loads((old / "manifest.json").read_text())
    manifest["format_version"] = 1
    (old / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="format 1.*make models"):
        reference_bench.export_reference_network(old, tmp_path / "ref")
    assert not (tmp_path / "ref").exists()


def test_layers_only_times_numpy_on_the_same_shapes_as_measure(reference):
    result = reference_bench.measure_layers_only(reference, repeats=1, prices=2)
    x, artifacts, _ = reference_bench.reference_batch(reference, prices=2)
    widths = [artifacts.manifest["models"][0]["architecture"]["inputs"]] + reference_bench.REFERENCE_HIDDEN + [1]
    assert result["rows"] == len(x)
    assert [(layer["rows"], layer["inputs"], layer["outputs"]) for layer in result["numpy_sgemm"]] == \
        [(len(x), a, b) for a, b in zip(widths, widths[1:])]
    assert all(layer["seconds"] > 0 and layer["gflops"] > 0 for layer in result["numpy_sgemm"])
