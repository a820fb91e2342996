"""The inference benchmark's reference workload, and PyTorch's and NumPy's side of it.

`export_reference_network` writes a copy of a version folder whose network is replaced by the
reference architecture (hidden layers 256-128-64-32 with batch norm over the dense inputs, seeded random
weights and batch-norm statistics) in the artifact format, with golden.json recomputed for it, so the
Swift service and PyTorch run the same network and the copy is a valid version of its own.

The workload is what `pricing-server bench --reference` (Sources/pricing-server/Bench.swift) runs:

- **reference forward pass**: the context rows of the best sellers (in order of lines sold, ties by
  stockcode) until 1,200, in the dense layout, repeated once per candidate price (100): 120,000 rows
  through the network. Format 2 has no price among the model inputs, so the 100 copies are identical;
  the batch keeps the size (and the matrix shapes) of the old line-level sweep, one row per context row
  and price, so PyTorch, NumPy's sgemm and the Swift kernels are compared on the same shapes as before.
  `measure` times PyTorch's CPU forward pass on it and NumPy's sgemm on each layer's shape.
- **reference sweep**: what the service computes for that workload now that the baseline does not
  depend on the price: one forward pass over the 1,200 context rows, the curve at 100 prices of 85123A's
  line-price range (min..max) and the decision, with 85123A's price response. Timed here in PyTorch +
  NumPy (decision.py); Swift's "reference: whole sweep" row is the same computation.
- **reference request**: the service's default request for 85123A on the reference network: the
  forward pass over the product's own context rows (its recent weeks), the curve (100 prices of the
  default range) and the decision. Swift's "reference network request: whole sweep" row.
"""

from __future__ import annotations

import json
import shutil
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from . import decision, export, network
from .artifact_models import ArtifactSet
from .feature_store import FeatureStore
from .service_answer import reference_sweeps  # the golden sweeps, recomputed for the new network

REFERENCE_HIDDEN = [256, 128, 64, 32]
CONTEXT_ROWS = 1200
PRICES = 100
PRODUCT = "85123A"


def export_reference_network(source: Path, out: Path, seed: int = 1234) -> Path:
    """Copy the version at `source` (a version folder or a models root) to `out` with the reference network."""
    source, out = Path(source), Path(out)
    if not (source / "manifest.json").exists():
        source = source / (source / "LATEST").read_text().strip()
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(source, out)
    manifest = json.loads((out / "manifest.json").read_text())
    if manifest.get("format_version", 1) < export.FORMAT_VERSION:
        shutil.rmtree(out)
        raise ValueError(f"{source}: artifact format {manifest.get('format_version', 1)}, the benchmark needs format "
                         f"{export.FORMAT_VERSION} (a price response); retrain it (make models)")
    spec = manifest["models"][0]
    if spec["kind"] != "feedforward":
        shutil.rmtree(out)
        raise ValueError(f"{source}: the primary model is {spec['kind']!r}, not a network")
    n_inputs = spec["architecture"]["inputs"]
    torch.manual_seed(seed)
    model = network.DemandNetwork(n_inputs, REFERENCE_HIDDEN, True, [0.0] * len(REFERENCE_HIDDEN))
    with torch.no_grad():
        for block in model.hidden:  # non-trivial eval-mode statistics, so folding batch norm is exercised
            block.norm.running_mean.uniform_(-0.5, 0.5)
            block.norm.running_var.uniform_(0.5, 2.0)
            block.norm.weight.uniform_(0.5, 1.5)
            block.norm.bias.uniform_(-0.2, 0.2)
    model.eval()
    export.write_network(out, network.export_tensors(model))
    spec["architecture"] = network.architecture(model)
    spec["reference_workload"] = True
    spec.pop("metrics", None)  # the trained network's; random weights have none
    manifest["model_version"] = manifest["model_version"] + "-reference-network"
    export.write_json(out / "manifest.json", manifest)

    # golden.json: the new network's outputs on the golden rows and the default requests' answers.
    golden = json.loads((out / "golden.json").read_text())
    if golden.get("rows"):
        dense = np.array([[np.nan if v is None else v for v in r["dense_input"]] for r in golden["rows"]], np.float32)
        for r, y in zip(golden["rows"], network.predict(model, dense)):
            r["expected"][spec["name"]] = float(y)
    if "sweeps" in golden:
        artifacts = ArtifactSet(out)
        store = FeatureStore(out, artifacts.preprocessor)
        bins = golden["sweeps"][0]["bins"] if golden["sweeps"] else manifest["sweep"]["default_bins"]
        golden["sweeps"] = reference_sweeps(artifacts, store, bins)
    export.write_json(out / "golden.json", golden)
    for name in ("network.safetensors", "golden.json"):
        (out / name).chmod(0o644)
        manifest["files"][name] = {"sha256": export.sha256_file(out / name), "bytes": (out / name).stat().st_size}
    export.write_json(out / "manifest.json", manifest)
    return out


def reference_context(store: FeatureStore) -> pd.DataFrame:
    """The best sellers' context rows, in order of lines sold (ties by stockcode), until CONTEXT_ROWS."""
    ranked = sorted(store.products.values(), key=lambda p: (-p["lines"], p["stockcode"]))
    frames, total = [], 0
    for p in ranked:
        if total >= CONTEXT_ROWS:
            break
        frame = store.context(p["stockcode"])
        frames.append(frame.iloc[: CONTEXT_ROWS - total])
        total += len(frames[-1])
    return pd.concat(frames, ignore_index=True)


def reference_batch(folder: Path, prices: int = PRICES) -> tuple[np.ndarray, ArtifactSet, FeatureStore]:
    """The forward pass's input: the context rows' dense layout, repeated `prices` times (block after block)."""
    artifacts = ArtifactSet(folder)
    store = FeatureStore(folder, artifacts.preprocessor)
    context = artifacts.preprocessor.transform_dense(reference_context(store))
    return np.ascontiguousarray(np.tile(context, (prices, 1))), artifacts, store


def _product(store: FeatureStore) -> str:
    """PRODUCT, or the best seller of a store without it."""
    if PRODUCT in store.products:
        return PRODUCT
    return min(store.products.values(), key=lambda p: (-p["lines"], p["stockcode"]))["stockcode"]


def _median_seconds(fn, repeats: int) -> float:
    fn()  # warm up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _per_call_seconds(fn, repeats: int) -> float:
    """Seconds per call of a fast function: each sample runs it long enough (~2 ms) for the clock."""
    fn()
    calls = 1
    while True:
        t = time.perf_counter()
        for _ in range(calls):
            fn()
        if time.perf_counter() - t >= 2e-3 or calls >= 1 << 16:
            break
        calls *= 2
    samples = []
    for _ in range(max(1, repeats)):
        t = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - t) / calls)
    return statistics.median(samples)


def load_network(folder: Path, spec: dict) -> network.DemandNetwork:
    from safetensors.torch import load_file

    arch = spec["architecture"]
    model = network.DemandNetwork(arch["inputs"], arch["hidden"], arch["batch_norm"], [0.0] * len(arch["hidden"]))
    missing, unexpected = model.load_state_dict(load_file(str(Path(folder) / spec["file"])), strict=False)
    if unexpected or any(not k.endswith("num_batches_tracked") for k in missing):
        raise ValueError(f"{folder / spec['file']}: tensors do not match the architecture "
                         f"(missing {missing}, unexpected {unexpected})")
    return model.eval()


def measure(folder: Path, repeats: int = 7, threads: int | None = None, prices: int = PRICES) -> dict:
    folder = Path(folder)
    x, artifacts, store = reference_batch(folder, prices)
    spec = artifacts.manifest["models"][0]
    arch = spec["architecture"]
    if threads:
        torch.set_num_threads(threads)
    model = load_network(folder, spec)
    xt = torch.from_numpy(x)

    def forward():
        with torch.inference_mode():
            model(xt)

    widths = [arch["inputs"]] + arch["hidden"] + [1]
    flops = sum(2 * len(x) * a * b for a, b in zip(widths, widths[1:]))
    torch_s = _median_seconds(forward, repeats)
    layers = measure_layers(len(x), widths, repeats)
    context_rows = len(x) // prices
    return {"rows": int(len(x)), "context_rows": int(context_rows), "prices": prices, "architecture": arch,
            "flops_full_forward": int(flops), "torch_threads": torch.get_num_threads(),
            "torch_forward_seconds": torch_s, "torch_gflops": flops / torch_s / 1e9, "numpy_sgemm": layers,
            "sweep": measure_sweep(artifacts, store, model, reference_context(store), repeats),
            "request": measure_request(artifacts, store, model, repeats)}


def measure_layers(rows: int, widths: list[int], repeats: int) -> list[dict]:
    """NumPy's matmul on each layer's shape (`rows` x a . a x b for consecutive widths), random operands
    made by NumPy; OpenBLAS with its default threads (sgemm, or sgemv for one output)."""
    layers = []
    rng = np.random.default_rng(0)
    for a, b in zip(widths, widths[1:]):
        lhs = rng.standard_normal((rows, a), dtype=np.float32)
        rhs = rng.standard_normal((a, b), dtype=np.float32)
        s = _median_seconds(lambda: lhs @ rhs, repeats)
        layers.append({"shape": f"{rows}x{a} . {a}x{b}", "rows": rows, "inputs": a, "outputs": b,
                       "seconds": s, "gflops": 2 * rows * a * b / s / 1e9})
    return layers


def measure_layers_only(folder: Path, repeats: int = 7, prices: int = PRICES) -> dict:
    """Only `measure`'s NumPy rows, on the same workload's shapes (scripts/bench-kernels.sh alternates
    them with the Swift kernel rows, a few seconds each, to compare them run for run)."""
    x, artifacts, _ = reference_batch(Path(folder), prices)
    arch = artifacts.manifest["models"][0]["architecture"]
    widths = [arch["inputs"]] + arch["hidden"] + [1]
    return {"rows": int(len(x)), "architecture": arch, "numpy_sgemm": measure_layers(len(x), widths, repeats)}


def _python_answer(artifacts: ArtifactSet, model: network.DemandNetwork, context: pd.DataFrame,
                   resp: decision.ProductResponse, lo: float, hi: float):
    """What the benchmark times in Python, as two calls: the PyTorch forward pass over the context rows alone,
    and the whole answer (preprocessing, the forward pass once: no model reads the price, the curve at PRICES
    prices of [lo, hi] and the decision, decision.py)."""
    settings = artifacts.manifest["price_response"]["decision"]
    dense = torch.from_numpy(artifacts.preprocessor.transform_dense(context))

    def forward():
        with torch.inference_mode():
            return model(dense).numpy()

    def answer():
        with torch.inference_mode():
            baselines = model(torch.from_numpy(artifacts.preprocessor.transform_dense(context))).numpy()
        curve = decision.curve(resp, baselines.astype(np.float64), decision.linspace(lo, hi, PRICES))
        return decision.decide(resp, curve["baseline"], lo, hi, None, settings)

    return forward, answer


def measure_sweep(artifacts: ArtifactSet, store: FeatureStore, model: network.DemandNetwork, context: pd.DataFrame,
                  repeats: int) -> dict:
    """The reference sweep in PyTorch + NumPy: PRODUCT's answer over the reference context rows, on its
    line-price range."""
    code = _product(store)
    info = store.products[code]
    forward, sweep = _python_answer(artifacts, model, context, artifacts.response(code), info["price"]["min"],
                                    info["price"]["max"])
    return {"stockcode": code, "context_rows": int(len(context)), "prices": PRICES,
            "torch_forward_seconds": _median_seconds(forward, repeats),
            "python_sweep_seconds": _median_seconds(sweep, repeats)}


def measure_request(artifacts: ArtifactSet, store: FeatureStore, model: network.DemandNetwork, repeats: int) -> dict:
    """The default request for PRODUCT in Python: its own context rows, the default range."""
    code = _product(store)
    context = store.context(code)
    resp = artifacts.response(code)
    info = store.products[code]
    lo, hi = min(info["price"]["min"], resp.support[0]), max(info["price"]["max"], resp.support[1])
    forward, request = _python_answer(artifacts, model, context, resp, lo, hi)
    return {"stockcode": code, "context_rows": int(len(context)), "prices": PRICES,
            "grid_points": int(artifacts.manifest["price_response"]["decision"]["grid_points"]),
            "draws": int(resp.draws.shape[0]),
            "torch_forward_seconds": _per_call_seconds(forward, repeats),
            "python_request_seconds": _per_call_seconds(request, repeats)}
