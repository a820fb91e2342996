"""The line-level baseline: no feature reads the line itself, its day, or anything later; the training features'
price inputs are the sweep's price-feature function; its sweep and the revenues it reports follow its rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pricing_training.cleaning import clean
from pricing_training.line_baseline import (LINE_CATEGORICAL, LINE_CONTEXT_NUMERIC, LINE_NUMERIC, PRICE_FEATURES,
                                            build_features, context_lines, price_features, sweep)
from pricing_training.loader import load_transactions


@pytest.fixture(scope="module")
def cleaned(small_data):
    return clean(load_transactions(small_data[0]))[0]


def assert_same_features(a: pd.DataFrame, b: pd.DataFrame):
    pd.testing.assert_frame_equal(a[LINE_NUMERIC + LINE_CATEGORICAL].reset_index(drop=True),
                                  b[LINE_NUMERIC + LINE_CATEGORICAL].reset_index(drop=True), check_exact=True)


def test_features_of_past_rows_ignore_the_future(cleaned):
    full = build_features(cleaned)
    cut = pd.Timestamp("2011-06-15")
    past = cleaned[cleaned["invoice_date"] < cut]
    assert_same_features(full[full["invoice_date"] < cut], build_features(past))


def test_changing_a_day_changes_no_feature_of_that_day_or_before(cleaned):
    day = pd.Timestamp("2011-05-10")
    changed = cleaned.copy()
    same_day_or_later = changed["invoice_date"] >= day
    changed.loc[same_day_or_later, "quantity"] = changed.loc[same_day_or_later, "quantity"] * 7 + 3
    changed.loc[same_day_or_later, "unit_price"] = changed.loc[same_day_or_later, "unit_price"] * 1.5
    before = build_features(cleaned)
    after = build_features(changed)
    on_day = (before["invoice_date"].dt.normalize() == day).to_numpy()
    assert on_day.sum() > 0
    history = [c for c in LINE_NUMERIC if c.startswith(("prod_", "cust_"))]
    pd.testing.assert_frame_equal(before.loc[on_day, history], after.loc[on_day, history], check_exact=True)
    earlier = (before["invoice_date"] < day).to_numpy()
    assert_same_features(before[earlier], after[earlier])


def test_history_features_have_the_stated_meaning(cleaned):
    f = build_features(cleaned)
    code = f["stockcode"].value_counts().index[0]
    rows = f[f["stockcode"] == code]
    lines = cleaned[cleaned["stockcode"] == code]
    probe = rows.iloc[len(rows) // 2]
    day = probe["invoice_date"].normalize()
    past = lines[lines["invoice_date"] < day]
    assert probe["prod_log_hist_lines"] == pytest.approx(np.log1p(len(past)))
    assert probe["prod_hist_mean_price"] == pytest.approx(past["unit_price"].mean())
    assert probe["prod_hist_max_price"] == pytest.approx(past["unit_price"].max())
    window = past[past["invoice_date"] >= day - pd.Timedelta(days=30)]
    assert probe["prod_log_qty_last_30d"] == pytest.approx(np.log1p(window["quantity"].sum()))
    first_day = rows["invoice_date"].dt.normalize() == rows["invoice_date"].dt.normalize().iloc[0]
    assert rows.loc[first_day, "prod_hist_mean_price"].isna().all()


def test_guests_have_no_customer_history(cleaned):
    f = build_features(cleaned)
    guests = f["is_registered"] == 0
    assert guests.any()
    assert f.loc[guests, ["cust_log_hist_invoices", "cust_hist_mean_log_qty", "cust_days_since_first",
                            "cust_hist_price_tier"]].isna().all().all()


def test_training_price_features_are_the_price_feature_function(cleaned):
    f = build_features(cleaned)
    stats = {s["stat"]: f[s["stat"]].to_numpy() for s in PRICE_FEATURES if s["op"] == "ratio"}
    for name, values in price_features(f["unit_price"].to_numpy(), stats).items():
        np.testing.assert_array_equal(f[name].to_numpy(), values)


def test_price_feature_function_edge_cases():
    stats = {"prod_hist_mean_price": np.array([2.0, np.nan, 0.0, 4.0]),
             "prod_last_price": np.array([1.0, 1.0, 1.0, np.inf]),
             "prod_hist_max_price": np.array([4.0, 4.0, -1.0, 8.0])}
    out = price_features(np.array([3.0, 3.0, 3.0, 2.0]), stats)
    np.testing.assert_array_equal(out["unit_price"], [3.0, 3.0, 3.0, 2.0])
    np.testing.assert_allclose(out["log_unit_price"], np.log([3.0, 3.0, 3.0, 2.0]))
    np.testing.assert_array_equal(out["price_vs_hist_mean"], [1.5, np.nan, np.nan, 0.5])
    np.testing.assert_array_equal(out["price_vs_last"], [3.0, 3.0, 3.0, np.nan])
    np.testing.assert_array_equal(out["price_vs_hist_max"], [0.75, 0.75, np.nan, 0.25])
    grid = price_features(np.array([[1.0], [2.0]]), {k: v[None, :] for k, v in stats.items()})
    assert grid["price_vs_hist_mean"].shape == (2, 4)


def test_context_rows_are_a_seeded_sample_of_each_products_own_lines(cleaned):
    f = build_features(cleaned)
    rows = context_lines(f, 48, seed=3)
    assert set(rows) == set(f["stockcode"])
    counts = f["stockcode"].value_counts()
    again = context_lines(f, 48, seed=3)
    assert all(again[c].equals(rows[c]) for c in counts.index[:5])  # the same seed draws the same rows
    for code in counts.index[:5].tolist() + counts.index[-5:].tolist():
        sample = rows[code]
        assert len(sample) == min(48, counts[code])
        own = f[f["stockcode"] == code]
        # Every sampled row is one of the product's lines, its numeric inputs rounded to float32.
        stored = own[LINE_CONTEXT_NUMERIC].astype(np.float32).astype(np.float64).reset_index(drop=True)
        merged = sample.merge(stored.drop_duplicates(), on=LINE_CONTEXT_NUMERIC, how="left", indicator=True)
        assert (merged["_merge"] == "both").all(), code
        assert sample["prod_log_hist_lines"].is_monotonic_increasing  # time order
    other = context_lines(f, 48, seed=4)
    assert any(not other[c].equals(rows[c]) for c in counts.index[:5])


def test_the_sweep_recomputes_every_price_feature_at_each_candidate_price():
    """Demand falling in price / the product's mean price: per row, revenue p·exp(−p/s) peaks at p = s. Were the
    ratio left at its stored value (the reference article's mistake), revenue would grow with the price."""
    context = pd.DataFrame({"prod_hist_mean_price": [2.0] * 5, "prod_last_price": [2.1] * 5,
                            "prod_hist_max_price": [3.0] * 5, "price_vs_hist_mean": [1.0] * 5})
    prices = np.linspace(0.5, 6.0, 111)

    def predict(frame: pd.DataFrame) -> np.ndarray:
        np.testing.assert_array_equal(frame["unit_price"].to_numpy(), np.repeat(prices, len(context)))
        return np.log1p(np.exp(-frame["price_vs_hist_mean"].to_numpy()))

    assert prices[sweep(predict, context, prices)] == pytest.approx(2.0)
