"""Test-split metrics and the pricing-quality (regret) evaluation on the synthetic panel."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from . import synth
from .artifact_models import ArtifactSet
from .feature_store import FeatureStore
from .price_features import PRICE_FEATURES, price_features
from .sweep import price_grid, sweep

log = logging.getLogger(__name__)


def regression_metrics(pred_log: np.ndarray, y_log: np.ndarray) -> dict[str, float]:
    """MSE on log1p values; RMSLE and MAE on quantities (prediction = max(expm1(pred), 0))."""
    pred_log = np.asarray(pred_log, np.float64)
    y_log = np.asarray(y_log, np.float64)
    q_pred = np.maximum(np.expm1(pred_log), 0.0)
    q = np.expm1(y_log)
    return {"mse_log": float(np.mean((pred_log - y_log) ** 2)),
            "rmsle": float(np.sqrt(np.mean((np.log1p(q_pred) - np.log1p(q)) ** 2))),
            "mae": float(np.mean(np.abs(q_pred - q)))}


def choose_panel(store: FeatureStore, truth: pd.DataFrame, size: int, seed: int) -> list[str]:
    """Half best sellers (always including 85123A when present), half a seeded draw of products with at
    least 30 lines; only products that have ground truth."""
    known = set(truth["stockcode"])
    ranked = sorted((p for p in store.products.values() if p["stockcode"] in known),
                    key=lambda p: (-p["lines"], p["stockcode"]))
    top = [p["stockcode"] for p in ranked[: size // 2]]
    if "85123A" in store.products and "85123A" in known and "85123A" not in top:
        top = ["85123A"] + top[:-1]
    rest = sorted(p["stockcode"] for p in ranked[size // 2:] if p["lines"] >= 30)
    rng = np.random.default_rng(seed)
    extra = list(rng.choice(rest, size=min(size - len(top), len(rest)), replace=False)) if rest else []
    return top + sorted(extra)


def pricing_regret(artifacts: ArtifactSet, store: FeatureStore, truth: pd.DataFrame, panel: list[str], bins: int
                   ) -> dict:
    """Regret = 1 - R(recommended) / max R on the grid, per model, for the correct sweep and for the
    article's stale-feature sweep, plus the 'keep the historical median price' baseline."""
    truth = truth.set_index("stockcode")
    names = [m["name"] for m in artifacts.manifest["models"]]
    rows = []
    for code in tqdm(panel, desc="pricing panel", leave=False):
        info = store.products[code]
        grid = price_grid(info["price"]["min"], info["price"]["max"], bins)
        gt = truth.loc[code]
        revenue = synth.true_revenue(gt, grid)
        best = float(revenue.max())
        row = {"stockcode": code, "description": info["description"], "lines": info["lines"],
               "grid_min": float(grid[0]), "grid_max": float(grid[-1]),
               "true_best_price": float(grid[int(np.argmax(revenue))]), "true_optimal_price": float(gt["optimal_price"])}
        median_price = info["price"]["median"]
        row["regret_hist_median_price"] = float(1.0 - synth.true_revenue(gt, np.array([median_price]))[0] / best)
        context = store.context(code)
        for name in names:
            for stale in (False, True):
                result = sweep(lambda f: artifacts.predict(name, f), context, grid, stale=stale)
                p = float(grid[result.best])
                key = f"{name}{'_stale' if stale else ''}"
                row[f"price_{key}"] = p
                row[f"regret_{key}"] = float(1.0 - revenue[result.best] / best)
        rows.append(row)
    per_product = pd.DataFrame(rows)
    summary = {}
    for col in [c for c in per_product.columns if c.startswith("regret_")]:
        v = per_product[col].to_numpy()
        summary[col.removeprefix("regret_")] = {"median": float(np.median(v)), "mean": float(np.mean(v)),
                                                "p90": float(np.quantile(v, 0.9)), "max": float(v.max())}
    return {"bins": bins, "panel": panel, "summary": summary, "per_product": per_product.to_dict("records")}


def check_price_features(frame: pd.DataFrame) -> float:
    """Largest difference between stored price features and the price-feature function (0 if consistent)."""
    stats = {s["stat"]: frame[s["stat"]].to_numpy() for s in PRICE_FEATURES if s["op"] == "ratio"}
    worst = 0.0
    for name, v in price_features(frame["unit_price"].to_numpy(), stats).items():
        a = frame[name].to_numpy(np.float64)
        both = np.isfinite(a) & np.isfinite(v)
        if (np.isfinite(a) != np.isfinite(v)).any():
            return float("inf")
        worst = max(worst, float(np.max(np.abs(a[both] - v[both]), initial=0.0)))
    return worst
