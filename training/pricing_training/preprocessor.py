"""The input preprocessor, fit on the training split only and exported as plain numbers.

Two input layouts, both float32 matrices:

- ``dense`` (network, SVR, ElasticNet): for each numeric feature in order,
  ``((x if x is finite else median) - mean) / scale``, computed in float64 then rounded to float32;
  then for each categorical feature in order a one-hot block over its `categories` (a missing or
  unseen value is all zeros).
- ``tree`` (LightGBM): each numeric feature as float32 with NaN kept (LightGBM routes missing values
  itself), then each categorical feature as the float32 index of its value in `categories`
  (NaN when missing or unseen).

`mean` and `scale` are the mean and population standard deviation of the imputed training values
(scale 1 when it is 0). `categories` are the values seen at least `min_count` times in training,
sorted. The exported dictionary (`to_dict`) is everything the Swift side needs to reproduce both.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd


@dataclasses.dataclass
class Preprocessor:
    numeric: list[str]
    categorical: list[str]
    medians: np.ndarray
    means: np.ndarray
    scales: np.ndarray
    categories: list[list[str]]

    @classmethod
    def fit(cls, frame: pd.DataFrame, numeric: list[str], categorical: list[str], min_count: int = 20) -> "Preprocessor":
        values = frame[numeric].to_numpy(np.float64)
        finite = np.isfinite(values)
        medians = np.array([np.median(col[ok]) if ok.any() else 0.0 for col, ok in zip(values.T, finite.T)])
        imputed = np.where(finite, values, medians)
        means = imputed.mean(axis=0)
        scales = imputed.std(axis=0)
        scales = np.where(scales > 0, scales, 1.0)
        cats = []
        for name in categorical:
            counts = frame[name].dropna().astype(str).value_counts()
            cats.append(sorted(counts[counts >= min_count].index.tolist()))
        return cls(list(numeric), list(categorical), medians, means, scales, cats)

    @property
    def dense_width(self) -> int:
        return len(self.numeric) + sum(len(c) for c in self.categories)

    def dense_names(self) -> list[str]:
        names = list(self.numeric)
        for name, cats in zip(self.categorical, self.categories):
            names += [f"{name}={c}" for c in cats]
        return names

    def _codes(self, frame: pd.DataFrame, i: int) -> np.ndarray:
        """Index of each row's category in categories[i], -1 when missing or unseen."""
        lookup = {c: k for k, c in enumerate(self.categories[i])}
        col = frame[self.categorical[i]]
        return np.array([lookup.get(v, -1) if isinstance(v, str) else -1 for v in col], dtype=np.int64)

    def transform_numeric_dense(self, values: np.ndarray) -> np.ndarray:
        """Impute and standardize a float64 matrix of the numeric features (columns in order)."""
        values = np.asarray(values, dtype=np.float64)
        imputed = np.where(np.isfinite(values), values, self.medians)
        return ((imputed - self.means) / self.scales).astype(np.float32)

    def one_hot(self, codes: list[np.ndarray]) -> np.ndarray:
        n = len(codes[0]) if codes else 0
        blocks = []
        for code, cats in zip(codes, self.categories):
            block = np.zeros((n, len(cats)), dtype=np.float32)
            ok = code >= 0
            block[np.flatnonzero(ok), code[ok]] = 1.0
            blocks.append(block)
        return np.concatenate(blocks, axis=1) if blocks else np.zeros((n, 0), np.float32)

    def transform_dense(self, frame: pd.DataFrame) -> np.ndarray:
        numeric = self.transform_numeric_dense(frame[self.numeric].to_numpy(np.float64))
        codes = [self._codes(frame, i) for i in range(len(self.categorical))]
        return np.concatenate([numeric, self.one_hot(codes)], axis=1)

    def transform_tree(self, frame: pd.DataFrame) -> np.ndarray:
        numeric = frame[self.numeric].to_numpy(np.float64)
        numeric = np.where(np.isfinite(numeric), numeric, np.nan).astype(np.float32)
        codes = [self._codes(frame, i) for i in range(len(self.categorical))]
        cat = np.stack([np.where(c >= 0, c, np.nan) for c in codes], axis=1).astype(np.float32) if codes else None
        return numeric if cat is None else np.concatenate([numeric, cat], axis=1)

    def codes(self, frame: pd.DataFrame) -> np.ndarray:
        """Category codes of every categorical column, (rows, n_categorical) int64, -1 = missing/unseen."""
        return np.stack([self._codes(frame, i) for i in range(len(self.categorical))], axis=1)

    def to_dict(self) -> dict:
        return {
            "numeric": [{"name": n, "median": float(m), "mean": float(mu), "scale": float(s)}
                        for n, m, mu, s in zip(self.numeric, self.medians, self.means, self.scales)],
            "categorical": [{"name": n, "categories": list(c)} for n, c in zip(self.categorical, self.categories)],
            "dense_width": self.dense_width,
            "tree_width": len(self.numeric) + len(self.categorical),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Preprocessor":
        num = d["numeric"]
        return cls([x["name"] for x in num], [x["name"] for x in d["categorical"]],
                   np.array([x["median"] for x in num]), np.array([x["mean"] for x in num]),
                   np.array([x["scale"] for x in num]), [list(x["categories"]) for x in d["categorical"]])
