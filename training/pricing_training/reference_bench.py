"""The inference benchmark's reference workload, and PyTorch's and NumPy's side of it.

`export_reference_network` writes a copy of a version folder whose network is replaced by the
reference architecture (hidden layers 256-128-64-32 with batch norm, seeded random weights and
batch-norm statistics) in the artifact format, so the Swift service and PyTorch run the same network.
`reference_batch` builds the workload's inputs exactly as the service does: 1,200 context rows (the
best sellers' rows, in order of lines sold, until 1,200) x 100 candidate prices of 85123A's range.
`measure` times PyTorch's CPU forward pass on that batch and NumPy's sgemm on each layer's shape.
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

from . import export, network
from .artifact_models import ArtifactSet
from .feature_store import FeatureStore
from .sweep import price_grid, sweep_frame

REFERENCE_HIDDEN = [256, 128, 64, 32]
CONTEXT_ROWS = 1200
PRICES = 100
PRODUCT = "85123A"


def export_reference_network(source: Path, out: Path, seed: int = 1234) -> Path:
    """Copy the version at `source` (a version folder or a models root) to `out` with the reference network."""
    source = Path(source)
    if not (source / "manifest.json").exists():
        source = source / (source / "LATEST").read_text().strip()
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(source, out)
    manifest = json.loads((out / "manifest.json").read_text())
    spec = manifest["models"][0]
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
    manifest["model_version"] = manifest["model_version"] + "-reference-network"
    (out / "network.safetensors").chmod(0o644)
    manifest["files"]["network.safetensors"] = {"sha256": export.sha256_file(out / "network.safetensors"),
                                                "bytes": (out / "network.safetensors").stat().st_size}
    export.write_json(out / "manifest.json", manifest)
    return out


def reference_context(store: FeatureStore) -> pd.DataFrame:
    ranked = sorted(store.products.values(), key=lambda p: (-p["lines"], p["stockcode"]))
    frames, total = [], 0
    for p in ranked:
        frame = store.context(p["stockcode"])
        frames.append(frame.iloc[: CONTEXT_ROWS - total])
        total += len(frames[-1])
        if total >= CONTEXT_ROWS:
            break
    return pd.concat(frames, ignore_index=True)


def reference_batch(folder: Path) -> tuple[np.ndarray, ArtifactSet]:
    artifacts = ArtifactSet(folder)
    store = FeatureStore(folder, artifacts.preprocessor)
    info = store.products[PRODUCT]
    grid = price_grid(info["price"]["min"], info["price"]["max"], PRICES)
    frame = sweep_frame(reference_context(store), grid)
    return artifacts.preprocessor.transform_dense(frame), artifacts


def _median_seconds(fn, repeats: int) -> float:
    fn()  # warm up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def measure(folder: Path, repeats: int = 7, threads: int | None = None) -> dict:
    x, artifacts = reference_batch(folder)
    spec = artifacts.manifest["models"][0]
    arch = spec["architecture"]
    if threads:
        torch.set_num_threads(threads)
    model = network.DemandNetwork(arch["inputs"], arch["hidden"], arch["batch_norm"], [0.0] * len(arch["hidden"]))
    from safetensors.torch import load_file

    model.load_state_dict(load_file(str(folder / spec["file"])), strict=False)
    model.eval()
    xt = torch.from_numpy(x)

    def forward():
        with torch.inference_mode():
            model(xt)

    widths = [arch["inputs"]] + arch["hidden"] + [1]
    flops = sum(2 * len(x) * a * b for a, b in zip(widths, widths[1:]))
    torch_s = _median_seconds(forward, repeats)
    layers = []
    rng = np.random.default_rng(0)
    for a, b in zip(widths, widths[1:]):
        lhs = rng.standard_normal((len(x), a), dtype=np.float32)
        rhs = rng.standard_normal((a, b), dtype=np.float32)
        s = _median_seconds(lambda: lhs @ rhs, repeats)
        layers.append({"shape": f"{len(x)}x{a} . {a}x{b}", "rows": len(x), "inputs": a, "outputs": b,
                       "seconds": s, "gflops": 2 * len(x) * a * b / s / 1e9})
    return {"rows": int(len(x)), "context_rows": CONTEXT_ROWS, "prices": PRICES, "architecture": arch,
            "flops_full_forward": int(flops), "torch_threads": torch.get_num_threads(),
            "torch_forward_seconds": torch_s, "torch_gflops": flops / torch_s / 1e9, "numpy_sgemm": layers}
