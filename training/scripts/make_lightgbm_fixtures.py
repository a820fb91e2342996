"""Writes the LightGBM parity fixtures of the Swift `Inference` tests.

Each fixture is a model saved by `Booster.save_model` (`<name>.txt`) and a JSON file (`<name>.json`)
holding input rows and LightGBM's own `predict(rows, raw_score=True)` for them, computed from the
model *reloaded from the saved text*, so the expected values belong to exactly the bytes the Swift
reader parses. Rows are float32 (the service's input type); LightGBM widens them to double itself.

    /tmp/venvtest/bin/python training/scripts/make_lightgbm_fixtures.py [--out DIR]

Deterministic: fixed seeds, one thread, `deterministic=True`. Rerunning rewrites identical files.
"""

from __future__ import annotations

import argparse
import json
import math
import warnings
from pathlib import Path

import lightgbm as lgb
import numpy as np

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "Tests" / "InferenceTests" / "Fixtures" / "lightgbm"

# Shared by every model: one thread and deterministic so reruns give byte-identical files.
BASE = {
    "objective": "regression",
    "verbose": -1,
    "num_threads": 1,
    "deterministic": True,
    "force_row_wise": True,
    "seed": 11,
}


def f32(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float32)


def json_value(v: float):
    """JSON has no NaN or infinities: NaN is null, infinities are the strings "inf" / "-inf"."""
    v = float(v)
    if math.isnan(v):
        return None
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v  # a float32 widened to double: repr round-trips it exactly


def numeric_thresholds(booster: lgb.Booster) -> list[tuple[int, float]]:
    """(feature, threshold) of every numerical split, for rows that sit on a split's edge."""
    out = []

    def walk(node):
        if "split_index" not in node:
            return
        if node["decision_type"] == "<=":
            out.append((node["split_feature"], float(node["threshold"])))
        walk(node["left_child"])
        walk(node["right_child"])

    for tree in booster.dump_model()["tree_info"]:
        walk(tree["tree_structure"])
    return out


def edge_rows(booster: lgb.Booster, base: np.ndarray, rng: np.random.Generator, count: int) -> np.ndarray:
    """Rows whose one feature is the float32 just below, at, or just above a split threshold."""
    thresholds = numeric_thresholds(booster)
    rows = []
    for i in range(count):
        feature, threshold = thresholds[int(rng.integers(len(thresholds)))]
        row = base[int(rng.integers(len(base)))].copy()
        near = np.float32(threshold)
        row[feature] = [np.nextafter(near, np.float32(-np.inf)), near, np.nextafter(near, np.float32(np.inf))][i % 3]
        rows.append(row)
    return f32(rows)


def special_rows(width: int, values: list[float], base: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each special value in each column, on top of random ordinary rows."""
    rows = []
    for column in range(width):
        for value in values:
            row = base[int(rng.integers(len(base)))].copy()
            row[column] = value
            rows.append(row)
    return f32(rows)


NUMERIC_SPECIALS = [np.nan, 0.0, -0.0, 1e-36, -1e-36, 1e-35, -1e-35, 1e-30, np.inf, -np.inf, 1e30, -1e30]


def write(out: Path, name: str, booster: lgb.Booster, rows: np.ndarray, note: str) -> None:
    model_path = out / f"{name}.txt"
    booster.save_model(str(model_path))
    reloaded = lgb.Booster(model_file=str(model_path))
    rows = f32(rows)
    expected = reloaded.predict(rows, raw_score=True).astype(np.float64)
    document = {
        "note": note,
        "model": model_path.name,
        "feature_count": reloaded.num_feature(),
        "tree_count": reloaded.num_trees(),
        "rows": [[json_value(v) for v in row] for row in rows],
        "expected": [float(v) for v in expected],
        "expected_hex": [float(v).hex() for v in expected],
    }
    (out / f"{name}.json").write_text(json.dumps(document, separators=(",", ":")) + "\n")


def decision_types(booster: lgb.Booster) -> set[int]:
    types = set()
    for line in booster.model_to_string().splitlines():
        if line.startswith("decision_type=") and len(line) > len("decision_type="):
            types.update(int(v) for v in line.split("=", 1)[1].split())
    return types


def numeric_data(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    x = np.column_stack([
        rng.normal(size=n),
        rng.uniform(-2, 2, size=n),
        rng.normal(size=n),
        rng.integers(0, 6, size=n).astype(float),
        rng.exponential(size=n),
    ])
    x[rng.random(n) < 0.3, 1] = 0.0                 # many exact zeros
    y = (np.sin(2 * x[:, 0]) + 0.8 * x[:, 1] - 0.5 * (x[:, 3] == 0) + np.log1p(x[:, 4])
         + 0.3 * x[:, 2] * x[:, 0] + rng.normal(scale=0.1, size=n))
    # Missing values that carry signal in both directions, so default_left varies between splits.
    nan0 = rng.random(n) < 0.15
    nan4 = rng.random(n) < 0.25
    y[nan0] += 1.5
    y[nan4] -= 1.0
    x[nan0, 0] = np.nan
    x[nan4, 4] = np.nan
    x[rng.random(n) < 0.1, 2] = np.nan              # noise-only missing values
    return f32(x), y


def make_numeric(out: Path, rng: np.random.Generator, zero_as_missing: bool) -> None:
    x, y = numeric_data(rng, 3000)
    params = {**BASE, "num_leaves": 8, "learning_rate": 0.15, "min_data_in_leaf": 15,
              "zero_as_missing": zero_as_missing}
    booster = lgb.train(params, lgb.Dataset(x, y), num_boost_round=24)
    probe, _ = numeric_data(rng, 90)
    rows = np.vstack([probe, edge_rows(booster, probe, rng, 60),
                      special_rows(x.shape[1], NUMERIC_SPECIALS, probe, rng)])
    name = "numeric_zero_missing" if zero_as_missing else "numeric_nan"
    # The point of these fixtures is the missing-value paths: check the model really has them.
    types = decision_types(booster)
    wanted = {4, 6} if zero_as_missing else {8, 10}   # missing type Zero / NaN, default right and left
    assert wanted <= types, f"{name}: decision types {sorted(types)} lack {sorted(wanted - types)}"
    note = ("numeric features, zero_as_missing=True (MissingType::Zero)" if zero_as_missing
            else "numeric features with NaN in training (MissingType::NaN, default_left both ways)")
    write(out, name, booster, rows, note)


def categorical_data(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    c0 = rng.integers(0, 40, size=n).astype(float)   # > 32 categories: bitsets of two words
    c1 = rng.integers(0, 3, size=n).astype(float)    # <= max_cat_to_onehot: one-vs-rest splits
    c2 = rng.integers(0, 15, size=n).astype(float)
    x3 = rng.normal(size=n)
    x4 = rng.uniform(0, 10, size=n)
    effect0 = np.random.default_rng(5).normal(size=40)
    effect2 = np.random.default_rng(6).normal(size=15)
    y = (effect0[c0.astype(int)] + 0.7 * effect2[c2.astype(int)] + 0.5 * (c1 == 1) + 0.4 * x3
         + 0.1 * x4 + rng.normal(scale=0.1, size=n))
    nan0 = rng.random(n) < 0.05                       # c0 has NaN in training: MissingType::NaN
    y[nan0] += 1.0
    c0[nan0] = np.nan
    x4[rng.random(n) < 0.1] = np.nan
    return f32(np.column_stack([c0, c1, c2, x3, x4])), y


def make_categorical(out: Path, rng: np.random.Generator) -> None:
    x, y = categorical_data(rng, 4000)
    params = {**BASE, "num_leaves": 10, "learning_rate": 0.15, "min_data_in_leaf": 10,
              "max_cat_to_onehot": 4, "min_data_per_group": 10, "cat_smooth": 1.0, "cat_l2": 1.0,
              "max_cat_threshold": 32}
    booster = lgb.train(params, lgb.Dataset(x, y, categorical_feature=[0, 1, 2]), num_boost_round=24)
    probe, _ = categorical_data(rng, 80)
    # Unseen, negative, fractional, huge and non-finite category values, in every categorical column.
    cat_specials = [np.nan, -1.0, -0.5, -0.0, 0.7, 2.5, 31.0, 32.0, 39.0, 40.0, 63.0, 64.0, 1000.0,
                    2147483520.0, 2147483648.0, 1e10, -1e10, np.inf, -np.inf]
    rows = [probe, edge_rows(booster, probe, rng, 30)]
    for column in (0, 1, 2):
        for value in cat_specials:
            row = probe[int(rng.integers(len(probe)))].copy()
            row[column] = value
            rows.append(f32([row]))
    rows.append(special_rows(x.shape[1], [np.nan, 0.0, 1e-36, np.inf], probe, rng))
    write(out, "categorical", booster, np.vstack(rows),
          "categorical features (bitset and one-hot splits, NaN and None missing types) plus numeric")


def make_single_leaf(out: Path, rng: np.random.Generator) -> None:
    """A constant target gives a first tree with one leaf (and stops); boosting then continues from it."""
    x, y = numeric_data(rng, 1000)
    params = {**BASE, "num_leaves": 6, "learning_rate": 0.2, "min_data_in_leaf": 20}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        constant = lgb.train(params, lgb.Dataset(x, np.full(len(y), 3.25)), num_boost_round=3)
    assert constant.num_trees() == 1, constant.num_trees()
    booster = lgb.train(params, lgb.Dataset(x, y), num_boost_round=6, init_model=constant)
    probe, _ = numeric_data(rng, 60)
    rows = np.vstack([probe, special_rows(x.shape[1], [np.nan, 0.0], probe, rng)])
    write(out, "single_leaf", booster, rows, "Tree=0 has num_leaves=1 (a constant tree), later trees are normal")


def make_random_forest(out: Path, rng: np.random.Generator) -> None:
    """boosting=rf writes `average_output` in the header."""
    x, y = numeric_data(rng, 1500)
    params = {**BASE, "boosting": "rf", "num_leaves": 8, "bagging_fraction": 0.7, "bagging_freq": 1,
              "feature_fraction": 0.8, "min_data_in_leaf": 20}
    booster = lgb.train(params, lgb.Dataset(x, y), num_boost_round=8)
    # Only its text is used: the reader refuses average_output (LightGBM's raw score is the trees'
    # sum, its prediction their mean).
    booster.save_model(str(out / "random_forest.txt"))


def make_linear(out: Path, rng: np.random.Generator) -> None:
    """Only its text is used: the reader must refuse linear trees."""
    x, y = numeric_data(rng, 600)
    x = np.nan_to_num(x)
    params = {**BASE, "linear_tree": True, "num_leaves": 4, "min_data_in_leaf": 30}
    booster = lgb.train(params, lgb.Dataset(x, y), num_boost_round=2)
    booster.save_model(str(out / "linear_tree.txt"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    make_numeric(out, np.random.default_rng(101), zero_as_missing=False)
    make_numeric(out, np.random.default_rng(102), zero_as_missing=True)
    make_categorical(out, np.random.default_rng(103))
    make_single_leaf(out, np.random.default_rng(104))
    make_random_forest(out, np.random.default_rng(105))
    make_linear(out, np.random.default_rng(106))
    total = sum(p.stat().st_size for p in out.iterdir())
    print(f"wrote {len(list(out.iterdir()))} files, {total / 1024:.0f} KB, to {out}")


if __name__ == "__main__":
    main()
