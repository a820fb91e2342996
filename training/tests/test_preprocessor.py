"""The exported preprocessor parameters reproduce its transform exactly, and it is fit on training only."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from pricing_training.preprocessor import Preprocessor


def sample(n=200, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"a": rng.normal(3, 2, n), "b": rng.lognormal(0, 1, n), "c": np.ones(n),
                       "country": rng.choice(["France", "Germany", "United Kingdom"], n, p=[.2, .2, .6]),
                       "day": rng.choice(["Mon", "Tue"], n)})
    df.loc[::7, "a"] = np.nan
    df.loc[::11, "b"] = np.inf
    df.loc[::13, "country"] = None
    return df


def test_exported_parameters_reproduce_the_transform_bit_for_bit():
    train, other = sample(seed=1), sample(seed=2)
    other.loc[3, "country"] = "Atlantis"
    pre = Preprocessor.fit(train, ["a", "b", "c"], ["country", "day"], min_count=5)
    again = Preprocessor.from_dict(json.loads(json.dumps(pre.to_dict())))
    np.testing.assert_array_equal(pre.transform_dense(other), again.transform_dense(other))
    np.testing.assert_array_equal(pre.transform_tree(other), again.transform_tree(other))
    dense = pre.transform_dense(other)
    assert dense.dtype == np.float32 and dense.shape == (len(other), 3 + 3 + 2)
    # By hand, from the exported numbers alone.
    p = pre.to_dict()
    a = other["a"].to_numpy()
    a_num = p["numeric"][0]
    expect = ((np.where(np.isfinite(a), a, a_num["median"]) - a_num["mean"]) / a_num["scale"]).astype(np.float32)
    np.testing.assert_array_equal(dense[:, 0], expect)
    assert dense[3, 3:6].tolist() == [0.0, 0.0, 0.0]  # unseen country
    assert np.all(dense[:, 2] == 0.0)  # constant column: scale 1, centred


def test_fit_uses_only_the_rows_it_is_given():
    train = sample(seed=1)
    test = sample(seed=2) * 1 if False else sample(seed=2)
    test["a"] = test["a"] + 100.0
    pre = Preprocessor.fit(train, ["a"], [], min_count=5)
    finite = train["a"].dropna()
    assert pre.medians[0] == np.median(finite)
    imputed = train["a"].fillna(np.median(finite))
    assert pre.means[0] == imputed.mean()
    assert np.isclose(pre.scales[0], imputed.std(ddof=0))


def test_tree_layout_keeps_missing_values_and_codes_categories():
    train = sample(seed=1)
    pre = Preprocessor.fit(train, ["a", "b"], ["country"], min_count=5)
    tree = pre.transform_tree(train)
    assert np.isnan(tree[0, 0]) and np.isnan(tree[0, 1])  # row 0 has a = NaN, b = inf
    assert np.isnan(tree[0, 2])  # country None
    codes = tree[1:, 2]
    assert set(codes[np.isfinite(codes)]) <= {0.0, 1.0, 2.0}
    assert pre.categories[0] == ["France", "Germany", "United Kingdom"]
