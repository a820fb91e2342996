"""The service's answer for a product, computed from a version's files alone: what the Swift service must
reproduce (golden.json's reference sweeps) and what the version's report scores against the ground truth."""

from __future__ import annotations

import numpy as np

from . import decision
from .artifact_models import ArtifactSet
from .feature_store import FeatureStore


def product_decision(artifacts: ArtifactSet, store: FeatureStore, code: str, model: str,
                     request_min: float | None = None, request_max: float | None = None, bins: int = 100,
                     unit_cost: float | None = None) -> tuple[dict, dict]:
    """The service's answer for one product's default request, computed from the artifact files alone:
    (curve, decision)."""
    info = store.products[code]
    resp = artifacts.response(code)
    baselines = artifacts.predict(model, store.context(code))
    default_lo, default_hi = decision.default_range(info["price"]["min"], info["price"]["max"], resp)
    lo = default_lo if request_min is None else request_min
    hi = default_hi if request_max is None else request_max
    grid = decision.linspace(lo, hi, bins)
    curve = decision.curve(resp, baselines, grid, unit_cost)
    chosen = decision.decide(resp, curve["baseline"], lo, hi, unit_cost, artifacts.manifest["price_response"]["decision"])
    return curve, chosen


def reference_sweeps(artifacts: ArtifactSet, store: FeatureStore, bins: int) -> list[dict]:
    """The service's default answer for a few products (the two best sellers and the thinnest), every model's
    curve and the primary model's decision, so the Swift service can be checked against it end to end."""
    ranked = sorted(store.products.values(), key=lambda p: (-p["lines"], p["stockcode"]))
    codes = [p["stockcode"] for p in ranked[:2]] + [p["stockcode"] for p in ranked[-1:]]
    out = []
    for code in dict.fromkeys(codes):
        entry = {"stockcode": code, "bins": bins, "context_rows": int(store.products[code]["row_count"]), "models": {}}
        for spec in artifacts.manifest["models"]:
            curve, chosen = product_decision(artifacts, store, code, spec["name"], bins=bins)
            entry["prices"] = curve["prices"].tolist()
            entry["models"][spec["name"]] = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in curve.items()
                                             if k != "prices"}
            if spec["role"] == "primary":
                entry["decision"] = chosen
        out.append(entry)
    return out
