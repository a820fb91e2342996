"""Models rebuilt from an artifact folder alone (no pickles, no training objects): the reference
implementation of what the Swift service computes, used by the export self-check and the tests."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import lightgbm as lgb
import numpy as np
from safetensors.numpy import load_file

from .decision import ProductResponse
from .preprocessor import Preprocessor


class NetworkFromFile:
    """Eval-mode forward pass in float32 numpy: Linear -> BatchNorm (running stats) -> ReLU per block."""

    def __init__(self, path: Path, arch: dict):
        t = load_file(str(path))
        self.layers = []
        for i in range(len(arch["hidden"])):
            p = f"hidden.{i}."
            bn = None
            if arch["batch_norm"]:
                bn = (t[p + "norm.weight"], t[p + "norm.bias"], t[p + "norm.running_mean"], t[p + "norm.running_var"])
            self.layers.append((t[p + "linear.weight"], t[p + "linear.bias"], bn))
        self.out_w, self.out_b = t["output.weight"], t["output.bias"]
        self.eps = np.float32(arch["batch_norm_eps"])

    def predict(self, x: np.ndarray) -> np.ndarray:
        h = np.asarray(x, np.float32)
        for w, b, bn in self.layers:
            h = h @ w.T + b
            if bn is not None:
                gamma, beta, mean, var = bn
                h = (h - mean) / np.sqrt(var + self.eps) * gamma + beta
            h = np.maximum(h, 0.0)
        return (h @ self.out_w.T + self.out_b)[:, 0]


class SVRFromFile:
    def __init__(self, path: Path, kernel: dict):
        t = load_file(str(path))
        self.sv = t["support_vectors"].astype(np.float64)
        self.dual = t["dual_coef"].astype(np.float64)
        self.intercept = float(t["intercept"][0])
        self.kernel = kernel

    def predict(self, x: np.ndarray, batch: int = 4096) -> np.ndarray:
        k = self.kernel
        out = np.empty(len(x))
        sv_sq = np.einsum("ij,ij->i", self.sv, self.sv)
        for i in range(0, len(x), batch):
            xb = np.asarray(x[i:i + batch], np.float64)
            dot = xb @ self.sv.T
            if k["type"] == "rbf":
                d2 = np.einsum("ij,ij->i", xb, xb)[:, None] + sv_sq[None, :] - 2.0 * dot
                kern = np.exp(-k["gamma"] * d2)
            elif k["type"] == "linear":
                kern = dot
            elif k["type"] == "poly":
                kern = (k["gamma"] * dot + k["coef0"]) ** k["degree"]
            elif k["type"] == "sigmoid":
                kern = np.tanh(k["gamma"] * dot + k["coef0"])
            else:
                raise ValueError(f"unknown SVR kernel {k['type']!r}")
            out[i:i + batch] = kern @ self.dual + self.intercept
        return out


class LinearFromFile:
    def __init__(self, path: Path):
        t = load_file(str(path))
        self.coef = t["coef"].astype(np.float64)
        self.intercept = float(t["intercept"][0])

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x, np.float64) @ self.coef + self.intercept


class LightGBMFromFile:
    def __init__(self, path: Path):
        self.booster = lgb.Booster(model_file=str(path))

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.booster.predict(np.asarray(x, np.float32), raw_score=True)


class ArtifactSet:
    """One version folder: manifest, preprocessor and every model, loaded from files only."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.manifest = json.loads((self.folder / "manifest.json").read_text())
        self.preprocessor = Preprocessor.from_dict(self.manifest["preprocessor"])
        self.models: dict[str, object] = {}
        for spec in self.manifest["models"]:
            path = self.folder / spec["file"]
            if spec["kind"] == "feedforward":
                self.models[spec["name"]] = NetworkFromFile(path, spec["architecture"])
            elif spec["kind"] == "lightgbm":
                self.models[spec["name"]] = LightGBMFromFile(path)
            elif spec["kind"] == "svr":
                self.models[spec["name"]] = SVRFromFile(path, spec["kernel"])
            elif spec["kind"] == "linear":
                self.models[spec["name"]] = LinearFromFile(path)
        self.layouts = {spec["name"]: spec["input_layout"] for spec in self.manifest["models"]}
        self._response = None
        if "price_response" in self.manifest:
            self._response = load_file(str(self.folder / self.manifest["price_response"]["file"]))
            index = json.loads(gzip.decompress((self.folder / self.manifest["feature_store"]["index"]).read_bytes()))
            self._row = {p["stockcode"]: i for i, p in enumerate(index["products"])}

    def response(self, stockcode: str) -> ProductResponse:
        """The product's row of price_response.safetensors."""
        t, i = self._response, self._row[stockcode]
        return ProductResponse(float(t["reference_log_price"][i]), t["draws"][i], float(t["current_price"][i]),
                               (float(t["support"][i, 0]), float(t["support"][i, 1])), float(t["realized_price_ratio"][i]))

    def predict(self, name: str, frame) -> np.ndarray:
        """Model `name`'s output for raw feature rows (format 2: the baseline f(x))."""
        layout = self.layouts[name]
        x = self.preprocessor.transform_dense(frame) if layout == "dense" else self.preprocessor.transform_tree(frame)
        return self.models[name].predict(x)
