"""A quick-mode format-2 version folder, end to end: every file hashed, every model reproduced from the
files alone, golden vectors consistent, the feature store readable per product, the price response in
the index's order, the golden sweeps equal to the decision recomputed from the files, the report complete."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import shutil

import numpy as np
import pandas as pd
import pytest
from safetensors.numpy import load, load_file, save_file

from pricing_training import decision, export, network, pipeline, price_response, scenarios, service_answer, weekly
from pricing_training.artifact_models import ArtifactSet
from pricing_training.cleaning import clean
from pricing_training.config import QUICK
from pricing_training.feature_store import FeatureStore, shard_of
from pricing_training.loader import load_transactions
from pricing_training.pipeline import SelfCheckError, self_check
from pricing_training.shop_catalogue import FLAGSHIP

MODELS = ["mlp", "lightgbm", "svr", "elasticnet"]
DECISION_FIELDS = {"current_price", "search_min", "search_max", "best_price", "optimal_unit_price", "decision", "reason",
                   "expected_gain", "expected_gain_pct", "gain_p10", "gain_p90", "probability_of_gain",
                   "best_price_p10", "best_price_p90", "elasticity", "elasticity_p10", "elasticity_p90",
                   "outside_support", "at_search_edge", "max_predicted_sales"}
CURVE_FIELDS = {"baseline", "quantity", "quantity_min", "quantity_max", "quantity_p10", "quantity_p90", "sales",
                "sales_p10", "sales_p90"}


@pytest.fixture(scope="module")
def manifest(quick_version):
    return json.loads((quick_version / "manifest.json").read_text())


@pytest.fixture(scope="module")
def golden(quick_version):
    return json.loads((quick_version / "golden.json").read_text())


@pytest.fixture(scope="module")
def artifacts(quick_version):
    return ArtifactSet(quick_version)


@pytest.fixture(scope="module")
def store(quick_version, artifacts):
    return FeatureStore(quick_version, artifacts.preprocessor)


@pytest.fixture(scope="module")
def response_file(quick_version, manifest):
    return load_file(str(quick_version / manifest["price_response"]["file"]))


@pytest.fixture(scope="module")
def index(quick_version, manifest):
    return json.loads(gzip.decompress((quick_version / manifest["feature_store"]["index"]).read_bytes()))


@pytest.fixture(scope="module")
def panel(small_data):
    """The weekly panel of the version's data, rebuilt here (the same code, the same input)."""
    return weekly.build(clean(load_transactions(small_data[0]))[0])


def golden_frame(golden, manifest) -> pd.DataFrame:
    """golden.json's raw context rows as a feature frame (null numeric = NaN, null category = None)."""
    numeric, categorical = manifest["features"]["numeric"], manifest["features"]["categorical"]
    rows = [{k: (np.nan if v is None and k in numeric else v) for k, v in r["context"].items()} for r in golden["rows"]]
    frame = pd.DataFrame(rows)
    assert list(frame.columns) == numeric + categorical
    return frame


def default_range(store, resp: decision.ProductResponse, code: str) -> tuple[float, float]:
    """docs/price-response.md: the line-price history, widened to the supported range."""
    info = store.products[code]
    return min(info["price"]["min"], resp.support[0]), max(info["price"]["max"], resp.support[1])


def test_layout_and_checksums(quick_version, manifest):
    root = quick_version.parent
    assert (root / "LATEST").read_text().strip() == quick_version.name == manifest["model_version"]
    assert not list(root.glob(".*partial"))
    assert manifest["format_version"] == export.FORMAT_VERSION == 2
    assert [m["name"] for m in manifest["models"]] == MODELS
    assert [m["role"] for m in manifest["models"]] == ["primary", "backup", "backup", "backup"]
    # The price response's settings in full (the weekly update refits with them): train's are the defaults but three.
    assert manifest["response_config"]["trees"] == manifest["training_config"]["response_trees"]
    defaults = dataclasses.asdict(price_response.ResponseConfig())
    trained = {k: v for k, v in manifest["response_config"].items() if k not in ("trees", "draws", "seed")}
    assert trained == {k: v for k, v in defaults.items() if k not in ("trees", "draws", "seed")}
    assert manifest["response_config"]["within_week_orders"] is True  # the default since 2026-12-07
    on_disk = {str(p.relative_to(quick_version)) for p in quick_version.rglob("*") if p.is_file()} - {"manifest.json"}
    assert on_disk == set(manifest["files"])
    assert {"price_response.safetensors", "golden.json", "report.md", "report.json", "network.safetensors",
            "lightgbm.txt", "svr.safetensors", "elasticnet.safetensors", "features/products.json.gz"} <= on_disk
    assert sum(f.startswith("features/context-") for f in on_disk) == QUICK.feature_shards
    for name, meta in manifest["files"].items():
        data = (quick_version / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == meta["sha256"] and len(data) == meta["bytes"], name
    assert manifest["target"]["name"] == "log_weekly_units_at_reference_price"
    assert manifest["features"]["price_features"] == []  # no model reads the price
    assert manifest["features"]["numeric"] == weekly.CONTEXT_NUMERIC
    pr = manifest["price_response"]
    assert pr["file"] == "price_response.safetensors" and pr["form"] == "log_quadratic"
    assert pr["draws"] == QUICK.response_draws and pr["decision"] == decision.DEFAULT_DECISION
    # each part's prior, and the summed response's population on c <= 0 (the default since 2026-12-07)
    assert set(pr["estimation"]) == {"orders", "size", "truncated_curvature"}
    assert pr["estimation"]["truncated_curvature"]["spread_mode"] == price_response.ResponseConfig().truncated_curvature_spread


def test_every_model_reloaded_from_files_reproduces_the_trained_model(artifacts, golden, manifest):
    frame = golden_frame(golden, manifest)
    for name in MODELS:
        want = np.array([r["expected"][name] for r in golden["rows"]])
        got = artifacts.predict(name, frame)
        tol = golden["tolerance"]["feedforward"] if name == "mlp" else 1e-9
        assert export.golden_error(got, want) <= tol, name
        assert np.all(np.isfinite(want)) and np.std(want) > 0.01, name  # real, varied predictions


def test_network_weights_rebuild_the_torch_module(quick_version, manifest, golden):
    """The safetensors names and the architecture in the manifest are enough to rebuild the PyTorch model."""
    import torch

    spec = manifest["models"][0]
    arch = spec["architecture"]
    model = network.DemandNetwork(arch["inputs"], arch["hidden"], arch["batch_norm"], [0.0] * len(arch["hidden"]))
    tensors = load((quick_version / spec["file"]).read_bytes())
    missing, unexpected = model.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()}, strict=False)
    assert not unexpected and all(k.endswith("num_batches_tracked") for k in missing)
    dense = np.array([[np.nan if v is None else v for v in r["dense_input"]] for r in golden["rows"]], np.float32)
    assert arch["inputs"] == dense.shape[1] == manifest["preprocessor"]["dense_width"]
    got = network.predict(model, dense)
    want = np.array([r["expected"]["mlp"] for r in golden["rows"]])
    assert np.max(np.abs(got - want)) <= 1e-6


def test_golden_inputs_are_the_preprocessor_of_the_context(artifacts, golden, manifest):
    frame = golden_frame(golden, manifest)
    dense = np.array([[np.nan if v is None else v for v in r["dense_input"]] for r in golden["rows"]], np.float32)
    tree = np.array([[np.nan if v is None else v for v in r["tree_input"]] for r in golden["rows"]], np.float32)
    np.testing.assert_array_equal(artifacts.preprocessor.transform_dense(frame), dense)
    np.testing.assert_array_equal(artifacts.preprocessor.transform_tree(frame), tree)
    assert len(golden["rows"]) > QUICK.golden_rows  # the sample plus the edge cases
    for r in golden["rows"]:  # format 2: no price among the inputs
        assert r["unit_price"] is None and r["price_features"] == {}
    # The edge cases are there: no history (a product's first weeks), an unseen category, extreme demand.
    assert any(r["context"]["log_units_lag1"] is None and r["context"]["log_units_mean_hist"] is None
               for r in golden["rows"])
    assert any(r["context"]["desc_keyword"] == "UNSEEN-CATEGORY" for r in golden["rows"])
    assert any(r["context"]["log_units_lag1"] == 9.0 for r in golden["rows"])
    unseen = [i for i, r in enumerate(golden["rows"]) if r["context"]["desc_keyword"] == "UNSEEN-CATEGORY"]
    n = len(manifest["features"]["numeric"])
    assert not dense[unseen, n:].any() and np.isnan(tree[unseen, n:]).all()  # unseen: no one-hot, NaN code


def test_self_check_rejects_a_tampered_model(quick_version, golden, manifest, tmp_path):
    copy = tmp_path / "v"
    shutil.copytree(quick_version, copy)
    tensors = load((copy / "network.safetensors").read_bytes())
    tensors["output.bias"] = tensors["output.bias"] + np.float32(0.01)
    save_file(tensors, str(copy / "network.safetensors"))
    frame = golden_frame(golden, manifest)
    expected = {"mlp": np.array([r["expected"]["mlp"] for r in golden["rows"]])}
    with pytest.raises(SelfCheckError, match="mlp"):
        self_check(ArtifactSet(copy), frame, expected)
    self_check(ArtifactSet(quick_version), frame, expected)


def test_golden_error_is_relative_for_large_outputs_and_absolute_near_zero():
    """A faithful float32 export of a network extrapolating to 1872 is off by one ulp (1.2e-4): within
    tolerance. An export mistake of 0.01 on an ordinary output is not."""
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


def test_feature_store_holds_each_products_recent_weeks(quick_version, manifest, index, store, panel):
    fs = manifest["feature_store"]
    columns = manifest["features"]["numeric"] + manifest["features"]["categorical"]
    assert index["columns"] == fs["columns"] == columns == pipeline.STORE_COLUMNS
    products = index["products"]
    codes = [p["stockcode"] for p in products]
    assert codes == sorted(codes) and len(codes) == len(set(codes)) == fs["products"]
    assert codes == panel.stockcodes  # every product of the panel, in stockcode order
    flagship = store.products[FLAGSHIP[0]]
    assert flagship["description"] == FLAGSHIP[1]
    ends: dict[int, list[tuple[int, int]]] = {}
    for p in products:
        assert p["shard"] == shard_of(p["stockcode"], fs["shards"])
        assert 0 <= p["row_count"] <= fs["rows_per_product"]
        assert p["price"]["min"] <= p["price"]["median"] <= p["price"]["max"]
        assert p["support"][0] <= p["current_price"] <= p["support"][1]
        ends.setdefault(p["shard"], []).append((p["row_offset"], p["row_count"]))
    for shard, spans in ends.items():  # each shard is tiled exactly by its products
        rows = load(gzip.decompress((quick_version / fs["shard_pattern"].format(shard=shard)).read_bytes()))["rows"]
        assert rows.dtype == np.float32 and rows.shape[1] == len(columns)
        spans.sort()
        assert spans[0][0] == 0 and all(a[0] + a[1] == b[0] for a, b in zip(spans, spans[1:]))
        assert spans[-1][0] + spans[-1][1] == len(rows)
    # The rows are each product's latest weeks with their as-of features, as the panel computes them.
    recent = weekly.context_rows(panel, fs["rows_per_product"])
    numeric = manifest["features"]["numeric"]
    for code in [FLAGSHIP[0], codes[0], codes[len(codes) // 2], codes[-1]]:
        context = store.context(code)
        want = recent[recent["stockcode"] == code]
        assert list(context.columns) == columns and len(context) == len(want) == store.products[code]["row_count"]
        np.testing.assert_array_equal(context[numeric].to_numpy(), want[numeric].to_numpy(np.float32).astype(np.float64))
        category = want["desc_keyword"].iloc[0]
        known = category in store.pre.categories[0]
        assert (context["desc_keyword"] == category).all() if known else context["desc_keyword"].isna().all()
    assert store.products[FLAGSHIP[0]]["row_count"] == fs["rows_per_product"]  # the best seller has a quarter's weeks


def test_price_response_rows_are_in_index_order(response_file, manifest, index, artifacts, panel):
    p, s = len(index["products"]), manifest["price_response"]["draws"]
    shapes = {"reference_log_price": ([p], np.float64), "coefficients": ([p, 2], np.float64),
              "draws": ([p, s, 2], np.float32), "current_price": ([p], np.float64), "support": ([p, 2], np.float64),
              "realized_price_ratio": ([p], np.float64)}
    assert set(response_file) == set(shapes)
    for name, (shape, dtype) in shapes.items():
        assert list(response_file[name].shape) == shape and response_file[name].dtype == dtype, name
        assert np.all(np.isfinite(response_file[name])), name
    current, support = response_file["current_price"], response_file["support"]
    ratio = response_file["realized_price_ratio"]
    assert np.all(current > 0) and np.all((ratio > 0.3) & (ratio <= 1.5))
    assert np.all((support[:, 0] <= current) & (current <= support[:, 1]))
    assert np.all(support[:, 0] >= current / 2 * (1 - 1e-12)) and np.all(support[:, 1] <= 2 * current * (1 + 1e-12))
    # The posterior mean is the mean of the draws (to float32 rounding and a few Monte Carlo errors).
    draws = response_file["draws"].astype(np.float64)
    se = draws.std(axis=1) / np.sqrt(s)
    assert np.all(np.abs(draws.mean(axis=1) - response_file["coefficients"]) <= 5 * se + 1e-5)
    # Row i is the index's product i: its facts agree with the index and with the panel.
    facts = panel.products.set_index("stockcode")
    for i, entry in enumerate(index["products"]):
        code = entry["stockcode"]
        assert current[i] == entry["current_price"] == facts.loc[code, "current_price"], code
        assert list(support[i]) == entry["support"], code
        assert response_file["reference_log_price"][i] == facts.loc[code, "log_reference_price"], code
        assert np.exp(response_file["reference_log_price"][i]) == pytest.approx(entry["reference_price"], rel=1e-12)
    resp = artifacts.response(index["products"][7]["stockcode"])
    np.testing.assert_array_equal(resp.draws, response_file["draws"][7])
    assert resp.current_price == current[7] and resp.realized_price_ratio == ratio[7]


def test_golden_sweeps_are_the_decision_recomputed_from_the_files(golden, manifest, artifacts, store, response_file):
    settings = manifest["price_response"]["decision"]
    row = {p: i for i, p in enumerate(store.products)}
    sweeps = golden["sweeps"]
    assert len(sweeps) >= 2
    ranked = sorted(store.products.values(), key=lambda p: (-p["lines"], p["stockcode"]))
    assert sweeps[0]["stockcode"] == ranked[0]["stockcode"]  # the best seller comes first
    for s in sweeps:
        code = s["stockcode"]
        info, resp = store.products[code], artifacts.response(code)
        lo, hi = default_range(store, resp, code)
        prices = np.array(s["prices"])
        assert s["bins"] == QUICK.price_bins == len(prices) and s["context_rows"] == info["row_count"] > 0
        np.testing.assert_array_equal(prices, np.linspace(lo, hi, s["bins"]))
        assert set(s["models"]) == set(MODELS)
        assert DECISION_FIELDS <= set(s["decision"]), code
        # The curve, per model, from the files: draws read straight from price_response.safetensors.
        draws = response_file["draws"][row[code]].astype(np.float64)
        delta = np.log(prices) - response_file["reference_log_price"][row[code]]
        m = np.exp(draws[:, :1] * delta + draws[:, 1:] * delta ** 2)  # [S, bins]
        rho = response_file["realized_price_ratio"][row[code]]
        context = store.context(code)
        for name in MODELS:
            got = s["models"][name]
            assert set(got) == CURVE_FIELDS, name
            rows = np.exp(artifacts.predict(name, context).astype(np.float64))
            volume = rows.mean()
            assert got["baseline"] == pytest.approx(volume, rel=1e-12), name
            np.testing.assert_allclose(got["quantity"], volume * m.mean(axis=0), rtol=1e-10)
            np.testing.assert_allclose(got["sales"], rho * prices * volume * m.mean(axis=0), rtol=1e-10)
            np.testing.assert_allclose(got["quantity_min"], rows.min() * m.mean(axis=0), rtol=1e-10)
            np.testing.assert_allclose(got["quantity_max"], rows.max() * m.mean(axis=0), rtol=1e-10)
            np.testing.assert_allclose(got["sales_p10"], np.quantile(rho * prices * volume * m, 0.1, axis=0), rtol=1e-10)
            np.testing.assert_allclose(got["sales_p90"], np.quantile(rho * prices * volume * m, 0.9, axis=0), rtol=1e-10)
            assert np.all(np.array(got["quantity_p10"]) <= np.array(got["quantity_p90"]))
            # The decision does not depend on the answering model's volume (revenue objective).
            again = decision.decide(resp, volume, lo, hi, None, settings)
            for key in ("decision", "reason", "optimal_unit_price", "best_price", "probability_of_gain",
                        "best_price_p10", "best_price_p90", "elasticity", "outside_support", "at_search_edge"):
                assert again[key] == s["decision"][key], (code, name, key)
            assert again["expected_gain_pct"] == pytest.approx(s["decision"]["expected_gain_pct"], rel=1e-9)
        # The recorded decision is decide() on the primary model's baseline volume, exactly.
        primary = s["models"]["mlp"]["baseline"]
        assert decision.decide(resp, primary, lo, hi, None, settings) == s["decision"]
        d = s["decision"]
        assert d["current_price"] == resp.current_price
        assert (d["search_min"], d["search_max"]) == (max(lo, resp.support[0]), min(hi, resp.support[1]))
        assert d["search_min"] <= d["best_price"] <= d["search_max"] and not d["outside_support"]
        assert d["decision"] in ("change", "keep_current")
        if d["decision"] == "change":  # to a price the evidence supports (the best one, when it is)
            assert d["search_min"] <= d["optimal_unit_price"] <= d["search_max"]
            assert d["optimal_unit_price"] == d["best_price"] or d["reason"] != "model"
            assert d["probability_of_gain"] >= settings["min_probability_of_gain"]
            assert d["expected_gain_pct"] >= settings["min_expected_gain"]
        else:
            assert d["optimal_unit_price"] == d["current_price"]
            assert d["reason"] in ("at_current_price", "insufficient_evidence")
        assert d["gain_p10"] <= d["gain_p90"] and 0.0 <= d["probability_of_gain"] <= 1.0
        assert d["best_price_p10"] <= d["best_price_p90"] and d["elasticity_p10"] <= d["elasticity"] <= d["elasticity_p90"]
        delta0 = np.log(resp.current_price) - resp.reference_log_price
        assert d["elasticity"] == pytest.approx(np.mean(draws[:, 0] + 2 * draws[:, 1] * delta0), rel=1e-9)
        p = d["optimal_unit_price"]
        dp = np.log(p) - resp.reference_log_price
        revenue = rho * p * primary * np.mean(np.exp(draws[:, 0] * dp + draws[:, 1] * dp ** 2))
        assert d["max_predicted_sales"] == pytest.approx(revenue, rel=1e-9)


def test_the_decided_price_does_not_depend_on_bins(golden, artifacts, store):
    for s in golden["sweeps"]:
        answers = [service_answer.product_decision(artifacts, store, s["stockcode"], "mlp", bins=bins)
                   for bins in (20, 50, 100, 400)]
        for (curve, chosen), bins in zip(answers, (20, 50, 100, 400)):
            assert len(curve["prices"]) == bins
            assert chosen == s["decision"], (s["stockcode"], bins)


def test_report_has_every_model_and_the_pricing_section(quick_version, manifest, golden, store, small_data):
    report = json.loads((quick_version / "report.json").read_text())
    assert report["model_version"] == manifest["model_version"]
    assert [m["model"] for m in report["metrics"]] == MODELS + ["training mean", "last 4 weeks' mean"]
    for m in report["metrics"]:
        assert np.isfinite(m["poisson_deviance"]) and m["poisson_deviance"] >= 0, m
    for spec in manifest["models"]:
        assert spec["metrics"]["poisson_deviance"] == next(m for m in report["metrics"]
                                                           if m["model"] == spec["name"])["poisson_deviance"]
    assert report["price_response"] == manifest["price_response"]["estimation"]
    pricing = report["pricing"]
    panel = pricing["panel"]
    assert len(panel) == QUICK.panel_size == len(pricing["per_product"]) and set(panel) <= set(store.products)
    # The best sellers lead the panel: its first half is the products with ground truth that have the most lines.
    known = set(scenarios.Truth.read(small_data[1]).products["stockcode"])
    ranked = sorted((c for c in store.products if c in known), key=lambda c: (-store.products[c]["lines"], c))
    assert panel[:QUICK.panel_size // 2] == ranked[:QUICK.panel_size // 2]
    s = pricing["summary"]
    assert s["products"] == len(panel) and 0 <= s["harm_rate"] <= 1 and 0 <= s["coverage"] <= 1
    for key in ("median_regret", "p90_regret", "weighted_regret"):
        assert -0.05 <= s[key] <= 1.0, key  # regret against the truth's best within [p/2, 2p]
    assert s["median_regret"] <= s["p90_regret"]
    for r in pricing["per_product"]:
        assert r["decision"] in ("change", "keep_current") and 0 <= r["regret_keep"] <= 1
    # The report's decisions are the service's: the same as the golden sweeps for the products in both.
    shared = [g for g in golden["sweeps"] if g["stockcode"] in pricing["decisions"]]
    assert shared
    for g in shared:
        assert pricing["decisions"][g["stockcode"]] == g["decision"]
    md = (quick_version / "report.md").read_text()
    assert "| mlp | primary |" in md and "| elasticnet | backup 3 |" in md
    assert "## Price response" in md and "## Decisions on the ground-truth panel" in md and "| this version |" in md
    assert all(f"| {code} |" in md for code in panel)
