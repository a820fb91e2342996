"""The second generator family (retail_worlds): truth, variants, the world interface, the loader."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pricing_training.loader import load_transactions
from retail_worlds import RetailWorld, ShopPolicy, simulate, write
from retail_worlds.generate import truth_table

LINES = 6000  # a small shop: 80 products, fast


@pytest.fixture(scope="module")
def weekly_world():
    world = RetailWorld("weekly", seed=3, lines_per_year=LINES)
    policy, log = simulate(world, weeks=20)
    return world, policy, log


@pytest.fixture(scope="module")
def invoice_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("invoice")
    write("invoice", LINES, 5, out)
    return out


def test_revenue_curve_peaks_at_the_stated_optimum(invoice_folder):
    truth = pd.read_csv(invoice_folder / "truth_products.csv", dtype={"stockcode": str})
    curves = pd.read_csv(invoice_folder / "truth_curves.csv", dtype={"stockcode": str})
    world = RetailWorld("invoice", seed=5, lines_per_year=LINES)
    current = truth["current_price"].to_numpy()
    dense = current[:, None] * np.exp(np.linspace(np.log(0.5), np.log(2.0), 2001))[None, :]
    revenue = world.curve(dense, current)["shop_revenue"]
    # The stated wide optimum is the dense curve's maximum (to the search's resolution), and no stored curve
    # point beats it.
    best = dense[np.arange(len(current)), revenue.argmax(axis=1)]
    np.testing.assert_allclose(truth["best_price_wide"], best, rtol=0.01)
    assert (truth["best_revenue_wide"] >= revenue.max(axis=1) * (1 - 1e-4)).all()
    stored_max = curves.groupby("stockcode", sort=False)["shop_revenue"].max()
    assert (truth.set_index("stockcode")["best_revenue_wide"].reindex(stored_max.index)
            >= stored_max * (1 - 1e-5)).all()
    # Within the rule range (+-20%) the optimum beats every price of that range, and the current price.
    inside = (dense >= 0.8 * current[:, None]) & (dense <= 1.2 * current[:, None])
    assert (truth["best_revenue"] >= np.where(inside, revenue, 0).max(axis=1) * (1 - 1e-4)).all()
    assert (truth["best_revenue"] >= truth["shop_revenue"] * (1 - 1e-9)).all()
    # Elasticities are negative and not absurd; the forms differ.
    assert (truth["elasticity"] < 0).all() and (truth["elasticity"] > -15).all()
    assert truth["form"].nunique() == 4


def test_weekly_variant_posts_one_price_per_product_week(weekly_world):
    _, _, log = weekly_world
    sale = log[~log["InvoiceNo"].str.startswith("C") & log["StockCode"].str.match(r"^\d{5}")]
    week = (sale["InvoiceDate"] - pd.Timestamp("2010-11-29")).dt.days // 7
    prices = sale.groupby([sale["StockCode"], week])["UnitPrice"].nunique()
    assert len(prices) > 100
    assert (prices == 1).all()
    # ...but prices do move between weeks (the shop's policy reprices).
    assert (sale.groupby("StockCode")["UnitPrice"].nunique() > 1).mean() > 0.3


def test_invoice_variant_varies_prices_within_the_week(invoice_folder):
    log = load_transactions(invoice_folder / "transactions.csv")
    sale = log[~log["InvoiceNo"].str.startswith("C") & log["StockCode"].str.match(r"^\d{5}")]
    week = (sale["InvoiceDate"] - pd.Timestamp("2010-11-29")).dt.days // 7
    prices = sale.groupby([sale["StockCode"], week])["UnitPrice"].nunique()
    busy = prices[sale.groupby([sale["StockCode"], week]).size() >= 5]
    assert (busy > 1).mean() > 0.5


def test_step_sells_what_the_truth_expects(weekly_world):
    # A fresh world at fixed prices for 30 weeks: realized units over all products and weeks match the
    # expected units to within sampling error (z < 4; the demand shocks are the dominant noise).
    world = RetailWorld("invoice", seed=11, lines_per_year=LINES)
    prices = ShopPolicy(world).regular
    realized, expected, var = 0.0, 0.0, 0.0
    per_product = np.zeros(world.n)
    per_product_expected = np.zeros(world.n)
    for _ in range(30):
        r = world.step(prices)
        realized += r.units.sum()
        expected += r.expected_units.sum()
        per_product += r.units
        per_product_expected += r.expected_units
        # Var of a week's total: lines are Poisson, units per line heavy-tailed; bound it generously with
        # units^2 of the week (compound Poisson: Var = E[lines] E[q^2]).
        q = r.lines.loc[r.lines["Quantity"] > 0, "Quantity"].to_numpy(float)
        var += (q ** 2).sum() * 3.0
    assert abs(realized - expected) < 4 * np.sqrt(var), (realized, expected, np.sqrt(var))
    # The step's expectation is the truth's at that week's level.
    np.testing.assert_allclose(r.expected_units, world.expected(prices, week=r.week)["units"])
    # Products' totals line up with their expectations (a strong correlation across a long tail).
    assert np.corrcoef(np.log1p(per_product), np.log1p(per_product_expected))[0, 1] > 0.85


def test_sibling_revenue_is_what_the_siblings_sell():
    # The curve's sibling revenue at a moved price equals the siblings' revenue with the full vector moved.
    world = RetailWorld("invoice", seed=4, lines_per_year=4000)
    base = world.products["p_ref"].to_numpy() * 1.1
    i = int(np.flatnonzero(world.products["nest"].to_numpy() >= 0)[0])
    siblings = np.flatnonzero((world.products["nest"].to_numpy() == world.products["nest"].iloc[i])
                              & (np.arange(world.n) != i))
    moved = base.copy()
    moved[i] *= 0.8
    joint = world.expected(moved)["revenue"][siblings].sum()
    grid = base[:, None] * np.array([[1.0, 0.8]])
    curve = world.curve(grid, base)
    assert curve["sibling_revenue"][i, 1] == pytest.approx(joint, rel=1e-9)
    assert curve["sibling_revenue"][i, 1] < curve["sibling_revenue"][i, 0]  # a cheaper sibling takes sales


def test_generated_csv_loads_and_truth_is_complete(invoice_folder):
    log = load_transactions(invoice_folder / "transactions.csv")
    assert list(log.columns) == ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
                                 "CustomerID", "Country"]
    assert log["InvoiceDate"].min() >= pd.Timestamp("2010-12-01")
    cancelled = log["InvoiceNo"].str.startswith("C")
    assert 0 < cancelled.mean() < 0.03 and (log.loc[cancelled, "Quantity"] < 0).all()
    assert 0 < (log["StockCode"] == "POST").mean() < 0.03
    assert log["CustomerID"].isna().mean() > 0.05
    truth = pd.read_csv(invoice_folder / "truth_products.csv", dtype={"stockcode": str})
    assert set(truth["stockcode"]) >= set(log.loc[~cancelled & log["StockCode"].str.match(r"^\d{5}"), "StockCode"])
    assert len(log) == pytest.approx(LINES, rel=0.35)


def test_world_rejects_bad_prices():
    world = RetailWorld("weekly", seed=1, lines_per_year=2000)
    with pytest.raises(ValueError, match="expected .* prices"):
        world.step(np.ones(world.n + 1))
    bad = np.ones(world.n)
    bad[3] = -1.0
    with pytest.raises(ValueError, match="must be positive"):
        world.expected(bad)
    with pytest.raises(ValueError, match="unknown variant"):
        RetailWorld("hourly", seed=1)


def test_truth_table_current_price_is_the_regular_price(weekly_world):
    world, policy, _ = weekly_world
    table = truth_table(world, policy.regular)
    np.testing.assert_allclose(table["current_price"], policy.regular)
    assert (table["best_price"] <= 1.2 * table["current_price"] * (1 + 1e-9)).all()
    assert (table["best_price"] >= 0.8 * table["current_price"] * (1 - 1e-9)).all()
