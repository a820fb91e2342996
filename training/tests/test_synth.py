"""The synthetic generator: UCI schema and shape, determinism, and ground truth that states the optimum."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pricing_training import synth
from pricing_training.loader import load_transactions


def test_deterministic_given_a_seed():
    a, ga = synth.generate(synth.SynthConfig(lines=5000, seed=3))
    b, gb = synth.generate(synth.SynthConfig(lines=5000, seed=3))
    c, _ = synth.generate(synth.SynthConfig(lines=5000, seed=4))
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(ga, gb)
    assert not a["Quantity"].equals(c["Quantity"])


@pytest.fixture(scope="module")
def synth_file(tmp_path_factory):
    """A written synth.py data set (the session's small data set comes from scenarios.py)."""
    cfg = synth.SynthConfig(lines=30_000, seed=11)
    df, gt = synth.generate(cfg)
    return synth.write(df, gt, tmp_path_factory.mktemp("synth"), cfg)


def test_shape_resembles_the_uci_file(synth_file):
    df = load_transactions(synth_file[0])
    assert 28_000 < len(df) < 32_000
    assert df["InvoiceDate"].min() >= pd.Timestamp("2010-12-01") and df["InvoiceDate"].max() < pd.Timestamp("2011-12-10")
    assert 0.2 < df["CustomerID"].isna().mean() < 0.3
    assert df["Country"].nunique() == 38
    assert (df["InvoiceDate"].dt.day_of_week != 5).all()  # no Saturday trading
    cancelled = df["InvoiceNo"].str.startswith("C")
    assert cancelled.any() and (df.loc[cancelled, "Quantity"] < 0).all()
    assert df["StockCode"].isin(["POST", "M", "D", "DOT", "BANK CHARGES"]).any()
    sales = df[~cancelled & (df["Quantity"] > 0)]
    by_month = sales.groupby(sales["InvoiceDate"].dt.month).size()
    assert by_month.idxmax() == 11  # the November peak
    top = sales["StockCode"].value_counts()
    assert "85123A" in top.index[:3]
    priced = sales[(sales["StockCode"] == "85123A") & (sales["UnitPrice"] > 0)]
    assert (priced["Description"] == "WHITE HANGING HEART T-LIGHT HOLDER").all()


def test_wholesale_lines_buy_more_at_lower_prices():
    df, gt = synth.generate(synth.SynthConfig(lines=40_000, seed=5))
    sales = df[(df["Quantity"] > 0) & ~df["InvoiceNo"].str.startswith("C") & df["CustomerID"].notna()]
    per_customer = sales.groupby("CustomerID")["Quantity"].median()
    big = per_customer[per_customer > per_customer.quantile(0.9)].index
    code_price = sales.groupby("StockCode")["UnitPrice"].transform("median")
    rel = sales["UnitPrice"] / code_price
    assert rel[sales["CustomerID"].isin(big)].median() < rel[~sales["CustomerID"].isin(big)].median()


def test_single_segment_optimum_is_one_over_b():
    row = {"ref_price": 2.0, "retail_scale": 5.0, "retail_b": 0.4, "wholesale_scale": 40.0, "wholesale_b": 0.5,
           "wholesale_share": 0.0}
    assert synth.true_optimal_price(row) == pytest.approx(1.0 / 0.4, rel=1e-6)


def test_stated_optimal_prices_maximise_true_revenue():
    _, gt = synth.generate(synth.SynthConfig(lines=20_000, seed=9))
    for row in gt.head(60).to_dict("records"):
        p = row["optimal_price"]
        fine = np.linspace(0.01, 10 * row["ref_price"], 200_001)
        revenue = synth.true_revenue(row, fine)
        assert synth.true_revenue(row, np.array([p]))[0] >= revenue.max() * (1 - 1e-9)
        grid = np.linspace(0.5 * row["ref_price"], 1.5 * row["ref_price"], 100)
        best_p, best_r = synth.best_price_on_grid(row, grid)
        assert best_r == synth.true_revenue(row, grid).max() and best_p in grid


def test_ground_truth_is_the_curve_the_data_was_drawn_from():
    df, gt = synth.generate(synth.SynthConfig(lines=60_000, seed=13), keep_latent=True)
    sales = df[df["_mean"].notna()]
    truth = gt.set_index("stockcode").loc[sales["StockCode"]]
    for segment in ("retail", "wholesale"):
        mask = (sales["_segment"] == segment).to_numpy()
        expect = synth.true_quantity(truth[mask], sales["UnitPrice"].to_numpy()[mask], segment)
        np.testing.assert_allclose(sales["_structural_mean"].to_numpy()[mask], expect, rtol=1e-12)
    # Quantities are unbiased draws around the line's mean (rounding and the floor at 1 aside).
    big = sales[sales["_mean"] > 6]
    assert big["Quantity"].mean() / big["_mean"].mean() == pytest.approx(1.0, abs=0.02)
    shares = sales.groupby("StockCode")["_segment"].apply(lambda s: (s == "wholesale").mean())
    np.testing.assert_allclose(gt.set_index("stockcode").loc[shares.index, "wholesale_share"], shares.to_numpy())


def test_the_shared_log_shape_is_one_module():
    """synth and scenarios write the same UCI shape from retail_log: cancellations reverse registered sale
    lines later (never on a Saturday), non-product lines use the UCI codes, and the writer keeps the file's
    date and price conventions."""
    from pricing_training import retail_log, scenarios

    assert synth.START is retail_log.START and scenarios.START is retail_log.START
    assert synth.COUNTRIES is retail_log.COUNTRIES and scenarios.COUNTRIES is retail_log.COUNTRIES
    df, _ = synth.generate(synth.SynthConfig(lines=5000, seed=2))
    sales = df[(df["Quantity"] > 0) & ~df["InvoiceNo"].str.startswith("C") & df["StockCode"].str.match(r"^\d")]
    rng = np.random.default_rng(0)
    cancelled = retail_log.cancellations(sales, 5000, 0.02, rng)
    assert 90 <= len(cancelled) <= 100 and cancelled["InvoiceNo"].str.startswith("C").all()
    assert (cancelled["Quantity"] < 0).all() and cancelled["CustomerID"].notna().all()
    assert (cancelled["InvoiceDate"].dt.day_of_week != 5).all()
    extra = retail_log.non_product_lines(sales, 5000, rng, n_invoices=400)
    assert set(extra["StockCode"]) - set(sales["StockCode"]) <= set(retail_log.NON_PRODUCT_CODES)
    assert (extra["UnitPrice"] == 0).sum() >= 2
    one = pd.DataFrame({"InvoiceNo": ["536365"], "StockCode": ["85123A"], "Description": ["X"], "Quantity": [6],
                        "InvoiceDate": [pd.Timestamp("2010-12-01 08:26")], "UnitPrice": [2.550],
                        "CustomerID": [17850.0], "Country": ["United Kingdom"]})
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as tmp:
        text = retail_log.write_transactions(one, Path(tmp) / "t.csv").read_text()
    assert text.splitlines()[1] == "536365,85123A,X,6,12/1/2010 8:26,2.55,17850.0,United Kingdom"
