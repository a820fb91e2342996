"""The scenario generator: UCI shape, twins that differ only in prices, measurable confounding, and a truth
that is the curve the data was drawn from."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from pricing_training import scenarios as sc
from pricing_training.cleaning import clean
from pricing_training.loader import COLUMNS, load_transactions

SMALL = dataclasses.replace(sc.SCENARIOS["mixed-strong-thin"], lines=20_000, products=120)


@pytest.fixture(scope="module")
def strong() -> sc.ScenarioData:
    return sc.generate(SMALL, 11)


@pytest.fixture(scope="module")
def twin() -> sc.ScenarioData:
    return sc.generate(SMALL.twin(), 11)


def _sales(df: pd.DataFrame) -> pd.DataFrame:
    out, _ = clean(df)
    out["week"] = (out["invoice_date"] - sc.START).dt.days // 7
    return out


def _within_product(panel: pd.DataFrame, column: str, log: bool = False) -> np.ndarray:
    v = np.log(panel[column]) if log else panel[column]
    return (v - v.groupby(panel["stockcode"]).transform("mean")).to_numpy()


def test_the_matrix():
    assert set(sc.SCENARIOS) == {"exp-strong", "linear-moderate", "logit-strong-breaks", "iso-moderate",
                                 "mixed-strong-thin", "retail", "shop-weekly", "shop-invoice"}
    assert sc.SCENARIOS["shop-weekly"].one_price_per_week() and not sc.SCENARIOS["shop-invoice"].one_price_per_week()
    retail = sc.SCENARIOS[sc.DEFAULT_SCENARIO]
    assert (retail.lines, retail.products, retail.demand_form) == (540_000, 4_000, "mixed")
    assert retail.confounding == "moderate" and retail.quantity_breaks
    for s in sc.SCENARIOS.values():
        t = s.twin()
        assert t.name == s.name + "-twin" and t.confounding == "off" and t.variation() == s.variation()
        assert dataclasses.replace(t, name=s.name, confounding=s.confounding, price_variation=None) == s
    with pytest.raises(ValueError, match="demand_form"):
        sc.Scenario("bad", "cubic", "off")
    with pytest.raises(ValueError, match="too few"):
        sc.Scenario("bad", "linear", "off", lines=1000, products=300)
    with pytest.raises(ValueError, match="list_prices"):
        sc.Scenario("bad", "linear", "off", list_prices="daily")
    with pytest.raises(ValueError, match="coupon_share"):
        sc.Scenario("bad", "linear", "off", coupon_share=0.8)


def test_written_file_loads_and_cleans_like_the_uci_file(strong, tmp_path):
    data_path, truth_path = sc.write(strong, tmp_path)
    assert truth_path.with_suffix(".json").exists()
    df = load_transactions(data_path)
    assert list(df.columns) == COLUMNS
    assert 0.9 * SMALL.lines < len(df) < 1.1 * SMALL.lines
    assert df["InvoiceDate"].min() >= sc.START and df["InvoiceDate"].max() < sc.END + pd.Timedelta(days=1)
    assert (df["InvoiceDate"].dt.day_of_week != 5).all()
    assert 0.2 < df["CustomerID"].isna().mean() < 0.3
    assert df["Country"].nunique() == len(sc.COUNTRIES)
    assert df["StockCode"].isin(["POST", "M", "D", "DOT"]).any()
    cleaned, dropped = clean(df)
    assert dropped["cancellation"] > 0 and dropped["non_product_code"] > 0 and dropped["non_positive_price"] > 0
    assert dropped["duplicate_line"] < 0.002 * len(df)
    invoice_lines = cleaned.groupby("invoice").size()
    assert 10 < invoice_lines.mean() < 25
    top = cleaned["stockcode"].value_counts()
    assert top.index[0] == "85123A"
    assert (cleaned.loc[cleaned["stockcode"] == "85123A", "description"] == "WHITE HANGING HEART T-LIGHT HOLDER").all()
    assert set(cleaned["stockcode"]) <= set(strong.truth.products["stockcode"])


def test_deterministic_given_scenario_and_seed(strong):
    again = sc.generate(SMALL, 11)
    pd.testing.assert_frame_equal(strong.transactions, again.transactions)
    pd.testing.assert_frame_equal(strong.truth.products, again.truth.products)
    other = sc.generate(SMALL, 12)
    assert not other.truth.products["current_price"].equals(strong.truth.products["current_price"])


def test_thin_and_thick_products(strong):
    tp = strong.truth.products
    assert tp["thin"].mean() == pytest.approx(SMALL.thin_share, abs=0.01)
    assert tp.loc[tp["thin"], "expected_lines"].between(30, 120).all()
    assert (tp.loc[~tp["thin"], "expected_lines"] >= 120).all() and tp["expected_lines"].max() <= 5000
    realized = _sales(strong.transactions)["stockcode"].value_counts().reindex(tp["stockcode"]).fillna(0).to_numpy()
    thin = tp["thin"].to_numpy()
    assert np.mean((realized[thin] >= 20) & (realized[thin] <= 140)) > 0.9
    assert np.median(realized[~thin]) > 100
    assert realized.argmax() == 0  # 85123A
    full = sc.generate(dataclasses.replace(sc.SCENARIOS["exp-strong"]), 1).truth.products
    assert 1500 < full["expected_lines"].max() <= 5000


def test_twin_shares_everything_but_prices(strong, twin):
    pd.testing.assert_frame_equal(strong.truth.products, twin.truth.products)
    for col in ("season", "shock", "demand_factor"):
        np.testing.assert_array_equal(strong.weeks[col], twin.weeks[col])
    assert not np.array_equal(strong.weeks["list_price"], twin.weeks["list_price"])
    a, b = _sales(strong.transactions), _sales(twin.transactions)
    ia = a.drop_duplicates("invoice").set_index("invoice")[["invoice_date", "customer_id"]]
    ib = b.drop_duplicates("invoice").set_index("invoice")[["invoice_date", "customer_id"]]
    common = ia.index.intersection(ib.index)
    assert len(common) > 0.97 * max(len(ia), len(ib))
    pd.testing.assert_frame_equal(ia.loc[common], ib.loc[common])
    # Prices vary as much in the twin, only not with demand.
    sd = [np.std(_within_product(d.weeks, "list_price", log=True)) for d in (strong, twin)]
    assert sd[1] == pytest.approx(sd[0], rel=0.15)
    assert abs(len(a) / len(b) - 1) < 0.1


def test_confounding_is_measurable(strong, twin):
    moderate = sc.generate(dataclasses.replace(sc.SCENARIOS["linear-moderate"], lines=20_000, products=120), 11)

    def association(d):
        """(correlation, slope) of the weekly log list price on this week's demand shock and on the season,
        within products."""
        price = _within_product(d.weeks, "list_price", log=True)
        out = []
        for driver in (_within_product(d.weeks, "shock"), _within_product(d.weeks, "season", log=True)):
            out.append((np.corrcoef(price, driver)[0, 1], np.cov(price, driver)[0, 1] / np.var(driver)))
        return out

    (shock_strong, shock_slope_strong), (season_strong, season_slope_strong) = association(strong)
    (shock_twin, _), (season_twin, _) = association(twin)
    (shock_moderate, shock_slope_moderate), (season_moderate, season_slope_moderate) = association(moderate)
    assert abs(shock_twin) < 0.08 and abs(season_twin) < 0.08
    assert shock_strong > 0.35 and season_strong > 0.2
    assert shock_moderate > 0.25 and season_moderate > 0.1
    assert shock_slope_strong > 1.5 * shock_slope_moderate > 0
    assert season_slope_strong > 1.5 * season_slope_moderate > 0
    # Promotions come in weak weeks when confounded, at random in the twin; clearance only at strong.
    for d, gap in ((strong, -0.1), (twin, None)):
        w = d.weeks
        promo_shock = w.loc[w["promotion"], "shock"].mean() - w.loc[~w["promotion"], "shock"].mean()
        assert 0.04 < w["promotion"].mean() < 0.08
        if gap is None:
            assert abs(promo_shock) < 0.06
        else:
            assert promo_shock < gap
    assert strong.weeks["clearance"].mean() > 0.02 and not moderate.weeks["clearance"].any()


def test_truth_is_the_curve_the_data_was_drawn_from():
    """Realized revenue per product matches truth revenue at the posted prices times the latent demand factor
    within sampling noise (a compound-Poisson z-score), on an unconfounded scenario with breaks."""
    d = sc.generate(sc.SCENARIOS["logit-strong-breaks"].twin(), 3)
    sales = _sales(d.transactions)
    sales["revenue"] = sales["quantity"] * sales["unit_price"]
    per = sales.groupby("stockcode").agg(revenue=("revenue", "sum"), sq=("revenue", lambda r: (r ** 2).sum()),
                                         units=("quantity", "sum"))
    expected = d.weeks.groupby("stockcode")[["expected_revenue", "expected_units"]].sum()
    per = per.join(expected, how="right").fillna(0.0)
    z = (per["revenue"] - per["expected_revenue"]) / np.sqrt(per["sq"].clip(lower=1e-9))
    assert abs(z.median()) < 0.25 and np.mean(np.abs(z) > 3) < 0.05
    total_z = (per["revenue"].sum() - per["expected_revenue"].sum()) / np.sqrt(per["sq"].sum())
    assert abs(total_z) < 4
    assert per["units"].sum() / per["expected_units"].sum() == pytest.approx(1.0, abs=0.03)
    # Without the latent factors: Truth.revenue at each week's posted price, summed over the year.
    plain = sum(d.truth.revenue(code, g["list_price"].to_numpy()).sum() for code, g in d.weeks.groupby("stockcode"))
    assert per["revenue"].sum() / plain == pytest.approx(1.0, abs=0.04)
    # A line pays the week's posted list price x its segment's discount (1 or trade 0.8) x its break factor.
    merged = sales.merge(d.weeks[["stockcode", "week", "list_price"]], on=["stockcode", "week"])
    q, paid, listed = merged["quantity"], merged["unit_price"], merged["list_price"]
    factor = np.where(q >= 48, 0.8, np.where(q >= 12, 0.9, 1.0))
    retail = np.isclose(paid, np.round(listed * factor, 2))
    trade = np.isclose(paid, np.round(listed * 0.8 * factor, 2))
    assert (retail | trade).all()
    assert 0.05 < trade.mean() < 0.2 and (q[trade] >= 12).mean() > 0.5 > (q[retail] >= 12).mean()


def test_optimal_price_is_the_argmax_and_far_products_are_far(strong):
    tp = strong.truth.products
    for row in tp.itertuples():
        grid = np.linspace(row.current_price / 3, row.current_price * 3, 4001)
        best = strong.truth.revenue(row.stockcode, grid).max()
        assert strong.truth.revenue(row.stockcode, np.array([row.optimal_price]))[0] >= best * (1 - 1e-9)
    for row in tp.head(20).itertuples():
        assert strong.truth.best_price(row.stockcode, row.current_price / 3, row.current_price * 3) == \
            pytest.approx(row.optimal_price, rel=1e-5)
    distance = (tp["current_price"] / tp["optimal_price"] - 1).abs()
    assert distance[tp["far"]].between(0.2 - 1e-6, 0.4 + 1e-6).all()
    assert (distance[~tp["far"]] <= 0.05 + 1e-6).all()
    assert tp["far"].mean() == pytest.approx(0.5, abs=0.12)
    assert set(tp["demand_form"]) == set(sc.FORMS)
    assert tp.loc[0, "stockcode"] == "85123A" and tp.loc[0, "current_price"] == 2.55


@pytest.mark.parametrize("form, shape", [("exponential", np.nan), ("linear", np.nan), ("logit", 4.0),
                                         ("isoelastic", 2.0)])
def test_pure_forms_have_their_optimum_at_p_form(form, shape):
    """With one segment and no breaks, units follow the form exactly and revenue peaks at p_form."""
    row = {"stockcode": "10001", "current_price": 2.0, "optimal_price": 2.0, "form": sc.FORMS.index(form),
           "shape": shape, "p_form": 2.0, "split": 0.6, "kappa": 1.1, "wholesale_discount": 0.8,
           "retail_lines": 10.0, "retail_size": 4.0, "retail_sigma": 0.7, "wholesale_lines": 0.0,
           "wholesale_size": 30.0, "wholesale_sigma": 0.6, "quantity_breaks": ""}
    truth = sc.Truth(pd.DataFrame([row]))
    x = np.array([0.3, 0.7, 1.0, 1.3, 1.8])
    H = {"exponential": np.exp(-x), "linear": np.maximum(0, 1 - x / 2),
         "logit": 1 / (1 + np.exp(4.0 * (x - 1 - np.log(3.0) / 4.0))), "isoelastic": 1 / (1 + x ** 2.0 / 1.0)}[form]
    H1 = {"exponential": np.exp(-1.0), "linear": 0.5, "logit": 1 / (1 + np.exp(-np.log(3.0))), "isoelastic": 0.5}[form]
    np.testing.assert_allclose(truth.units("10001", 2.0 * x), 40.0 * H / H1, rtol=1e-12)
    assert truth.best_price("10001", 0.5, 6.0) == pytest.approx(2.0, rel=1e-6)
    assert truth.elasticity("10001", 2.0) == pytest.approx(-1.0, abs=1e-6)
    if form == "exponential":
        assert truth.elasticity("10001", 3.0) == pytest.approx(-1.5, abs=1e-6)
    # Quantity breaks lower revenue (bigger lines pay less), never units.
    broken = sc.Truth(pd.DataFrame([{**row, "quantity_breaks": "12:0.9;48:0.8", "retail_size": 20.0}]))
    plain = sc.Truth(pd.DataFrame([{**row, "retail_size": 20.0}]))
    p = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(broken.units("10001", p), plain.units("10001", p))
    assert (broken.revenue("10001", p) < plain.revenue("10001", p)).all()


def test_wholesale_lines_are_bigger_and_pay_the_trade_price(strong):
    sales = _sales(strong.transactions).merge(strong.weeks[["stockcode", "week", "list_price"]],
                                              on=["stockcode", "week"])
    small = sales[sales["quantity"] < 12]
    ratio = (small["unit_price"] / small["list_price"]).round(2)
    trade = small.loc[ratio == 0.8, "customer_id"].unique()
    assert 0 < len(trade) and not np.isnan(trade).any()
    registered = sales["customer_id"].dropna().unique()
    wholesale = sales["customer_id"].isin(trade)
    assert 0.02 < len(trade) / len(registered) < 0.25
    assert sales.loc[wholesale, "quantity"].median() > 4 * sales.loc[~wholesale, "quantity"].median()


def test_truth_round_trip(strong, tmp_path):
    _, path = sc.write(strong, tmp_path)
    back = sc.Truth.read(path)
    pd.testing.assert_frame_equal(back.products, strong.truth.products, check_exact=True)
    assert back.meta["scenario"]["name"] == SMALL.name and back.meta["seed"] == 11
    for code in strong.truth.products["stockcode"].head(10):
        p = np.linspace(0.1, 10.0, 50)
        np.testing.assert_array_equal(back.revenue(code, p), strong.truth.revenue(code, p))
    with pytest.raises(KeyError, match="no ground truth"):
        back.units("00000", [1.0])



# ----------------------------------------------------------------------------------------------
# The price variation of a real shop's log (issue 19): revisions, weekly posting, invoice-level prices

WEEKLY = dataclasses.replace(sc.SCENARIOS["shop-weekly"], lines=20_000, products=100)
INVOICE = dataclasses.replace(sc.SCENARIOS["shop-invoice"], lines=24_000, products=100)


@pytest.fixture(scope="module")
def weekly() -> sc.ScenarioData:
    return sc.generate(WEEKLY, 5)


@pytest.fixture(scope="module")
def invoice() -> sc.ScenarioData:
    return sc.generate(INVOICE, 5)


def test_weekly_posting_has_one_price_per_product_week(weekly):
    sales = _sales(weekly.transactions)
    assert (sales.groupby(["stockcode", "week"])["unit_price"].nunique() == 1).all()
    merged = sales.merge(weekly.weeks[["stockcode", "week", "list_price"]], on=["stockcode", "week"])
    np.testing.assert_allclose(merged["unit_price"], merged["list_price"])
    # Trade customers still buy much bigger lines (their own demand level), at the posted price.
    assert (weekly.truth.products["wholesale_discount"] == 1.0).all()


def test_list_prices_change_like_a_shops(weekly):
    """Revisions every 8-20 weeks (a fifth of products never), the price flat between them except short
    promotions, which last one or two weeks."""
    w = weekly.weeks
    revisions = w.groupby("stockcode")["revision"].sum()
    assert 0.1 < (revisions == 0).mean() < 0.3
    assert revisions.max() <= 6 and revisions[revisions > 0].median() >= 2
    for code, g in w.groupby("stockcode"):
        weeks = np.flatnonzero(g["revision"].to_numpy())
        assert np.all(np.diff(weeks) >= 8) and np.all(np.diff(weeks) <= 20)
        quiet = ~(g["promotion"].to_numpy() | g["clearance"].to_numpy())
        regime = np.cumsum(g["revision"].to_numpy())
        for r in np.unique(regime[quiet]):
            assert np.unique(g["list_price"].to_numpy()[quiet & (regime == r)]).size == 1, code
    runs = [len(run) for _, g in w.groupby("stockcode")
            for run in np.split(g["promotion"].to_numpy(), np.flatnonzero(np.diff(g["promotion"].to_numpy())) + 1)
            if run[0]]
    assert 0.03 < w["promotion"].mean() < 0.09 and max(runs) <= 4 and np.mean(np.array(runs) <= 2) > 0.9
    changes = w.groupby("stockcode")["list_price"].apply(lambda p: int((np.diff(p.to_numpy()) != 0).sum()))
    assert 2 <= changes.median() <= 12  # not every week, as the markup process does


def _expected_units_by_class(d: sc.ScenarioData, min_price: float = 0.0) -> np.ndarray:
    """Σ over product-weeks listed at `min_price` or more of each price class's expected units (truth at the
    week's list price x the week's demand factor)."""
    out = 0.0
    for code, g in d.weeks[d.weeks["list_price"] >= min_price].groupby("stockcode", sort=False):
        prm, _ = d.truth.parameters(code)
        prices, demand = g["list_price"].to_numpy(), g["demand_factor"].to_numpy()
        out = out + np.array([(lines * demand * size * h).sum() for _, h, _, lines, size, _ in sc.segments(prm, prices)])
    return out


def test_coupon_lines_pay_less_and_buy_more_per_the_true_curve():
    """Guests are retail customers: their lines pay the list price or a code's price, and each code's lines
    buy what the true curve says at the discounted price (realized units by class against the truth)."""
    s = sc.Scenario("coupons", "exponential", "off", lines=30_000, products=60, coupon_share=0.3)
    d = sc.generate(s, 2)
    sales = _sales(d.transactions).merge(d.weeks[["stockcode", "week", "list_price"]], on=["stockcode", "week"])
    guest = sales[sales["customer_id"].isna() & (sales["list_price"] >= 1.0)]  # pennies make cheap ones ambiguous
    factors = np.array([1.0] + [1.0 - off for off in sc.COUPON_OFFS])
    paid = np.round(guest["list_price"].to_numpy()[:, None] * factors[None, :], 2)
    match = np.isclose(guest["unit_price"].to_numpy()[:, None], paid)
    assert match.any(axis=1).all() and (match.sum(axis=1) == 1).mean() > 0.99
    klass = match.argmax(axis=1)
    assert 0.2 < (klass > 0).mean() < 0.5
    # Guests are a fixed share of every retail class's invoices, so each class's share of the guests' units
    # is its share of the truth's units (a compound-Poisson z-score per class).
    q = guest["quantity"].to_numpy()
    units = np.bincount(klass, weights=q, minlength=len(factors))
    expected = _expected_units_by_class(d, 1.0)[: len(factors)]  # the retail classes come first
    z = (units - units.sum() * expected / expected.sum()) / np.sqrt(np.bincount(klass, weights=q ** 2))
    assert np.all(np.abs(z) < 4), z
    # The truth itself: a code's lines buy more per unit of share than list-price lines, most at 30% off.
    per_share = expected / np.array([c.share for c in s.price_classes()[: len(factors)]])
    assert np.all(per_share[1:] > per_share[0]) and per_share.argmax() == len(factors) - 1
    per_line = np.bincount(klass, weights=q) / np.bincount(klass)
    assert per_line[-1] > per_line[0]  # 30% off buys bigger lines than the list price


def test_negotiated_trade_prices_are_per_customer():
    s = sc.Scenario("tiers", "linear", "off", lines=30_000, products=60, negotiated=True)
    d = sc.generate(s, 4)
    sales = _sales(d.transactions).merge(d.weeks[["stockcode", "week", "list_price"]], on=["stockcode", "week"])
    sales = sales[sales["customer_id"].notna() & (sales["list_price"] >= 1.0)]
    factors = np.array([1.0] + [0.8 * f for _, f in sc.NEGOTIATED_TIERS])
    paid = np.round(sales["list_price"].to_numpy()[:, None] * factors[None, :], 2)
    tier = np.isclose(sales["unit_price"].to_numpy()[:, None], paid).argmax(axis=1)
    per_customer = pd.Series(tier).groupby(sales["customer_id"].to_numpy()).agg(["nunique", "first"])
    assert (per_customer["nunique"] == 1).all()  # a customer always pays its own tier
    assert set(per_customer["first"]) == set(range(len(factors)))  # every tier has customers
    size = pd.Series(sales["quantity"].to_numpy()).groupby(tier).median()
    assert size[4] > size[1] > size[0]  # the deepest tier's accounts buy the biggest lines


def test_invoice_level_twin_shares_everything_but_list_prices(invoice):
    twin = sc.generate(INVOICE.twin(), 5)
    pd.testing.assert_frame_equal(invoice.truth.products, twin.truth.products)
    for col in ("season", "shock", "demand_factor"):
        np.testing.assert_array_equal(invoice.weeks[col], twin.weeks[col])
    assert not np.array_equal(invoice.weeks["list_price"], twin.weeks["list_price"])
    np.testing.assert_array_equal(invoice.weeks["revision"], twin.weeks["revision"])  # the same schedule
    a, b = _sales(invoice.transactions), _sales(twin.transactions)
    ia = a.drop_duplicates("invoice").set_index("invoice")[["invoice_date", "customer_id"]]
    ib = b.drop_duplicates("invoice").set_index("invoice")[["invoice_date", "customer_id"]]
    common = ia.index.intersection(ib.index)
    assert len(common) > 0.97 * max(len(ia), len(ib))
    pd.testing.assert_frame_equal(ia.loc[common], ib.loc[common])


def test_truth_holds_with_coupons_tiers_and_breaks(invoice):
    """Realized units and revenue match the truth at the posted list prices (all classes and breaks)."""
    sales = _sales(invoice.transactions)
    sales["revenue"] = sales["quantity"] * sales["unit_price"]
    expected = invoice.weeks[["expected_revenue", "expected_units"]].sum()
    assert sales["quantity"].sum() / expected["expected_units"] == pytest.approx(1.0, abs=0.03)
    z = (sales["revenue"].sum() - expected["expected_revenue"]) / np.sqrt((sales["revenue"] ** 2).sum())
    assert abs(z) < 4
    plain = sum(invoice.truth.revenue(code, g["list_price"].to_numpy()).sum() for code, g in invoice.weeks.groupby("stockcode"))
    assert sales["revenue"].sum() / plain == pytest.approx(1.0, abs=0.05)
    # Within a week a product is sold at several prices (codes, tiers, trade, breaks).
    assert sales.groupby(["stockcode", "week"])["unit_price"].nunique().mean() > 1.5


def test_truth_with_price_classes_round_trips(invoice, tmp_path):
    _, path = sc.write(invoice, tmp_path)
    back = sc.Truth.read(path)
    assert "price_classes" in back.products
    for code in invoice.truth.products["stockcode"].head(5):
        p = np.linspace(0.2, 8.0, 30)
        np.testing.assert_array_equal(back.revenue(code, p), invoice.truth.revenue(code, p))
        assert back.parameters(code)[0]["classes"] == INVOICE.price_classes()
    # Coupons are part of the world at a list price: the same curve without them earns more per unit sold.
    plain = sc.Truth(invoice.truth.products.drop(columns=["price_classes"]))
    code = invoice.truth.products["stockcode"].iloc[1]
    p = np.array([1.0, 2.0])
    assert (invoice.truth.revenue(code, p) / invoice.truth.units(code, p) < plain.revenue(code, p) / plain.units(code, p)).all()
