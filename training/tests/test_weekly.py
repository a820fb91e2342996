"""The weekly panel (weekly.py): as-of features, the posted list price behind trade discounts and quantity
breaks, empty weeks, the current price, the supported range and the shop's repricing weekday.

Most cases are tiny clean-line frames built by hand, where the right answer is known exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pricing_training import weekly
from pricing_training.cleaning import clean

MONDAY = pd.Timestamp("2011-01-03")  # weeks of the hand-built frames start here (a Monday)
FILLER = "20000"


class Lines:
    """Builds clean sale lines (cleaning.clean's columns) one at a time."""

    def __init__(self):
        self.rows: list[dict] = []

    def add(self, code: str, day: pd.Timestamp, quantity: int, price: float, customer: float | None = None,
            description: str | None = None, hour: int = 10) -> None:
        self.rows.append({"invoice": str(536365 + len(self.rows)), "stockcode": code,
                          "description": description or f"PRODUCT {code} HOLDER", "quantity": quantity,
                          "invoice_date": day + pd.Timedelta(hours=hour, minutes=len(self.rows) % 60),
                          "unit_price": price, "customer_id": np.nan if customer is None else float(customer),
                          "country": "United Kingdom"})

    def filler(self, weeks: range, per_week: int = 5, start: pd.Timestamp = MONDAY) -> None:
        """A steady seller at a constant price, so every week is a normal trading week."""
        for w in weeks:
            for k in range(per_week):
                self.add(FILLER, start + pd.Timedelta(days=7 * w + k % 7), 1, 1.0, hour=9)

    def frame(self) -> pd.DataFrame:
        out = pd.DataFrame(self.rows)
        out["is_registered"] = out["customer_id"].notna().astype("int8")
        return out.sort_values(["invoice_date", "invoice"], kind="stable").reset_index(drop=True)


def product_rows(panel: weekly.WeeklyPanel, code: str) -> pd.DataFrame:
    rows = panel.rows[panel.rows["stockcode"] == code].reset_index(drop=True)
    return rows.assign(w=(rows["week_start"] - MONDAY).dt.days // 7)


def test_posted_price_is_the_list_price_behind_trade_discounts_and_quantity_breaks():
    """Trade customer 90001 always pays 80% of list; customer 90002 always buys 24 units, past the
    12-unit break (90%). In week 4 only they buy: the lines' prices are 2.00 and 2.25, the list price is 2.50."""
    lst = [2.0, 2.0, 2.0, 2.5, 2.5, 2.5]
    b = Lines()
    b.filler(range(6))
    for w, price in enumerate(lst):
        monday = MONDAY + pd.Timedelta(days=7 * w)
        if w != 4:
            for d in range(3):
                b.add("10001", monday + pd.Timedelta(days=d), 2, price)  # guests at list
        b.add("10001", monday + pd.Timedelta(days=3), 10, round(0.8 * price, 2), customer=90001)
        b.add("10001", monday + pd.Timedelta(days=4), 24, round(0.9 * price, 2), customer=90002)
    lines = b.frame()
    panel = weekly.build(lines)
    rows = product_rows(panel, "10001")
    assert rows["w"].tolist() == list(range(6)) and rows["observed"].all()
    np.testing.assert_allclose(np.exp(rows["log_price"]), lst, rtol=1e-12)
    paid = lines[lines["stockcode"] == "10001"]
    week4 = paid[(paid["invoice_date"] - MONDAY).dt.days // 7 == 4]
    assert week4["unit_price"].median() == pytest.approx(2.125)  # what a naive weekly price would say
    units = paid.groupby((paid["invoice_date"] - MONDAY).dt.days // 7)["quantity"].sum()
    np.testing.assert_array_equal(rows["units"], units.to_numpy())
    facts = panel.products.set_index("stockcode").loc["10001"]
    # Realized price ratio: revenue over list price x units.
    list_of_line = np.array(lst)[((paid["invoice_date"] - MONDAY).dt.days // 7).to_numpy()]
    ratio = (paid["unit_price"] * paid["quantity"]).sum() / (list_of_line * paid["quantity"]).sum()
    assert facts["realized_price_ratio"] == pytest.approx(ratio, rel=1e-12) and ratio < 0.9
    assert facts["current_price"] == pytest.approx(2.5)
    assert facts["line_price_min"] == 1.6 and facts["line_price_max"] == 2.5


def test_empty_weeks_keep_the_last_posted_price_and_the_current_price_is_recent():
    """10002 sells at 3.00 for four weeks, then 1.20, 1.20, 1.00, nothing for three weeks, and 1.20.
    10003 starts selling in week 3 at a constant 1.50."""
    prices = {0: 3.0, 1: 3.0, 2: 3.0, 3: 3.0, 4: 1.2, 5: 1.2, 6: 1.0, 10: 1.2}
    b = Lines()
    b.filler(range(11))
    for w, price in prices.items():
        for d in (1, 2):
            b.add("10002", MONDAY + pd.Timedelta(days=7 * w + d), 1 + d, price)
    for w in range(3, 11):
        b.add("10003", MONDAY + pd.Timedelta(days=7 * w + 2), 4, 1.5)
    panel = weekly.build(b.frame())
    rows = product_rows(panel, "10002")
    assert rows["w"].tolist() == list(range(11))  # every week from the first sale to the last
    empty = rows["w"].isin([7, 8, 9]).to_numpy()
    assert (~rows["observed"][empty]).all() and rows["observed"][~empty].all()
    assert (rows.loc[empty, "units"] == 0).all() and (rows.loc[empty, "lines"] == 0).all()
    np.testing.assert_allclose(np.exp(rows["log_price"]), [3, 3, 3, 3, 1.2, 1.2, 1.0, 1.0, 1.0, 1.0, 1.2], rtol=1e-12)
    # A week without sales counts as zero demand in the lagged features.
    assert rows.loc[rows["w"] == 8, "log_units_lag1"].item() == 0.0
    assert rows.loc[rows["w"] == 7, "log_units_lag1"].item() == pytest.approx(np.log1p(5))
    later = product_rows(panel, "10003")
    assert later["w"].tolist() == list(range(3, 11))  # no rows before the first sale
    facts = panel.products.set_index("stockcode")
    # The highest of the last 3 weeks WITH SALES (1.2, 1.0, 1.2): not of all weeks with sales (four at 3.00).
    # Three products: too few for a shop-wide index, which stays 0.
    assert facts.loc["10002", "current_price"] == pytest.approx(1.2, rel=1e-12)
    assert facts.loc["10003", "current_price"] == pytest.approx(1.5, rel=1e-12)
    # The supported range contains the current price, reaches either side of it (even for 10003, whose
    # price never moved) and stays within [p0/2, 2 p0] (3.00 is further than that from 1.20).
    for code in ("10002", "10003"):
        p0, lo, hi = facts.loc[code, ["current_price", "support_min", "support_max"]]
        assert p0 / 2 <= lo < p0 < hi <= 2 * p0, code


@pytest.mark.parametrize("weekday", [1, 3])
def test_weeks_start_on_the_shops_repricing_weekday(weekday):
    """The list price changes every week on `weekday` (Tuesday, Thursday); sales happen every day. Weeks
    anchored anywhere else would straddle two list prices."""
    start = MONDAY + pd.Timedelta(days=weekday)
    lst = [1.0, 1.3, 1.1, 1.4, 1.2, 1.5, 1.0, 1.3]
    b = Lines()
    b.filler(range(len(lst)), per_week=7, start=start)
    for w, price in enumerate(lst):
        for d in range(7):
            b.add("10004", start + pd.Timedelta(days=7 * w + d), 1 + d % 3, price)
    panel = weekly.build(b.frame())
    assert (panel.rows["week_start"].dt.day_of_week == weekday).all()
    rows = panel.rows[panel.rows["stockcode"] == "10004"]
    assert rows["week_start"].tolist() == [start + pd.Timedelta(days=7 * w) for w in range(len(lst))]
    np.testing.assert_allclose(np.exp(rows["log_price"]), lst, rtol=1e-12)
    np.testing.assert_array_equal(rows["units"], [13] * len(lst))  # 1+2+3+1+2+3+1: a whole week each


# ----------------------------------------------------------------------------------------------
# On the session's scenario data


@pytest.fixture(scope="module")
def cleaned(small_scenario) -> pd.DataFrame:
    return clean(small_scenario.transactions)[0]


@pytest.fixture(scope="module")
def panel(cleaned) -> weekly.WeeklyPanel:
    return weekly.build(cleaned)


def _changed_week(cleaned: pd.DataFrame, panel: weekly.WeeklyPanel):
    """(a copy of the lines with one product-week's units changed, that product, that week's start)."""
    rows = panel.rows
    code = panel.products.sort_values(["lines", "stockcode"]).iloc[-1]["stockcode"]
    weeks = rows.loc[(rows["stockcode"] == code) & rows["observed"], "week_start"]
    start = weeks.iloc[len(weeks) // 2]
    hit = ((cleaned["stockcode"] == code) & (cleaned["invoice_date"] >= start)
           & (cleaned["invoice_date"] < start + pd.Timedelta(days=7))).to_numpy()
    assert hit.sum() >= 1
    changed = cleaned.copy()
    changed.loc[hit, "quantity"] = changed.loc[hit, "quantity"] * 5 + 3
    return changed, code, start


def _moved(before: pd.DataFrame, after: pd.DataFrame, column: str) -> pd.Series:
    a = before.set_index(["stockcode", "week_start"])[column]
    b = after.set_index(["stockcode", "week_start"])[column].reindex(a.index)
    same = (a == b) | (a.isna() & b.isna())
    return ~same


SIZE_FEATURES = ["size_index_lag1", "size_index_mean_4w"]


def test_as_of_features_never_read_the_rows_own_week_or_later(cleaned, panel):
    changed, code, start = _changed_week(cleaned, panel)
    after = weekly.build(changed)
    assert len(after.rows) == len(panel.rows)
    key = panel.rows.set_index(["stockcode", "week_start"]).index
    own = key.get_level_values(0) == code
    week = key.get_level_values(1)
    units = _moved(panel.rows, after.rows, "units")
    assert units.sum() == 1 and units[(code, start)]  # the change itself
    for column in [c for c in weekly.CONTEXT_NUMERIC if c not in SIZE_FEATURES]:
        moved = _moved(panel.rows, after.rows, column).to_numpy()
        assert not moved[week <= start].any(), f"{column} of a week at or before the changed one moved"
        assert not moved[~own].any(), f"{column} of another product moved"
    # ...and the change does reach the later weeks' demand features.
    for column in ["log_units_lag1", "log_units_mean_4w", "log_units_mean_hist"]:
        moved = _moved(panel.rows, after.rows, column).to_numpy()
        assert moved[own & (week > start)].any(), column


def test_order_size_index_is_a_nuisance_control_never_a_served_input():
    """The order-size index normalizes lines by whole-log means (the product's mean log quantity, the
    customer's usual size), so it is not as-of: a week's units move it in earlier weeks. It may only serve as
    a control for the price-response nuisances (which are not forecasts), never as an input of the baseline
    models the service runs."""
    from pricing_training.price_response import NUISANCE_FEATURES

    assert SIZE_FEATURES == weekly.SIZE_INDEX
    assert not set(SIZE_FEATURES) & set(weekly.CONTEXT_NUMERIC)
    assert set(SIZE_FEATURES) <= set(NUISANCE_FEATURES)


def test_products_current_price_and_support_on_scenario_data(panel):
    p = panel.products
    assert p["stockcode"].is_monotonic_increasing and p["stockcode"].is_unique
    p0, lo, hi = p["current_price"].to_numpy(), p["support_min"].to_numpy(), p["support_max"].to_numpy()
    eps = 1e-12
    assert np.all((lo < p0) & (p0 < hi))
    assert np.all(lo >= p0 / weekly.MAX_RANGE * (1 - eps)) and np.all(hi <= weekly.MAX_RANGE * p0 * (1 + eps))
    assert np.all(lo <= p0 / weekly.MIN_RANGE * (1 + eps)) and np.all(hi >= weekly.MIN_RANGE * p0 * (1 - eps))
    ratio = p["realized_price_ratio"].to_numpy()
    assert np.all((ratio > 0.3) & (ratio <= 1.5))
    assert np.median(ratio) < 1.0  # trade discounts and quantity breaks: revenue below list x units
    # The current price is the highest posted price (as read) of the last 3 weeks with sales, net of the shop's index.
    obs = panel.rows[panel.rows["observed"]]
    index = weekly.shop_price_index(panel.rows)
    net = obs.assign(net=obs["log_price_read"] - obs["week"].map(index).to_numpy())
    recent = net.groupby("stockcode").tail(weekly.RECENT_WEEKS_FOR_CURRENT_PRICE)
    want = np.exp(recent.groupby("stockcode")["net"].max())
    np.testing.assert_allclose(p.set_index("stockcode").loc[want.index, "current_price"], want, rtol=1e-12)
    # Each product's rows are consecutive trading weeks from its first sale to the panel's last week.
    last = panel.rows["week"].max()
    spans = panel.rows.groupby("stockcode")["week"].agg(["min", "max", "size"])
    assert (spans["max"] == last).all()
    all_weeks = np.sort(panel.rows["week"].unique())
    first_pos = np.searchsorted(all_weeks, spans["min"].to_numpy())
    np.testing.assert_array_equal(spans["size"].to_numpy(), len(all_weeks) - first_pos)


def test_current_price_is_the_regular_price_outside_a_shop_wide_markup_and_a_promotion():
    """Twelve products over 16 weeks, each at its own list price; in the last 4 weeks the whole shop marks its
    prices up 20% (a November price list), and product 10000 has a 30%-off promotion in week 13. The current
    price is each product's regular price, not the marked-up one, and the promotion does not move it."""
    base = {f"{10000 + k}": 1.0 + 0.25 * k for k in range(12)}
    b = Lines()
    for w in range(16):
        for code, price in base.items():
            posted = price * (1.2 if w >= 12 else 1.0) * (0.7 if code == "10000" and w == 13 else 1.0)
            for d in range(3):
                b.add(code, MONDAY + pd.Timedelta(days=7 * w + d), 2, round(posted, 2))
    panel = weekly.build(b.frame())
    index = weekly.shop_price_index(panel.rows)
    assert index.iloc[:12].abs().max() < 1e-12 and np.allclose(index.iloc[12:], np.log(1.2), atol=0.01)
    facts = panel.products.set_index("stockcode")
    for code, price in base.items():
        assert facts.loc[code, "current_price"] == pytest.approx(price, rel=0.01), code
        # What the old definition, the last weeks' median posted price, would have said.
        rows = product_rows(panel, code)
        assert np.exp(rows["log_price"].tail(4).median()) == pytest.approx(1.2 * price, rel=0.01)


def test_current_price_is_the_newest_list_price_and_a_short_promotion_or_match_does_not_set_it():
    """Four products over 12 weeks with a steady filler. 10010 is revised up 2.00 -> 2.40 in the last week; 10011
    is revised down 2.00 -> 1.60 three weeks before the end; 10012 is on a 25%-off promotion in the last two weeks;
    10013 is matched down to a competitor on alternate weeks (a few percent below its 3.00 list price)."""
    paths = {
        "10010": [2.0] * 11 + [2.4],
        "10011": [2.0] * 9 + [1.6] * 3,
        "10012": [2.0] * 10 + [1.5] * 2,
        "10013": [3.0 if w % 2 == 0 else 2.85 - 0.05 * (w % 4) for w in range(12)],
    }
    b = Lines()
    b.filler(range(12))
    for code, path in paths.items():
        for w, price in enumerate(path):
            for d in range(3):
                b.add(code, MONDAY + pd.Timedelta(days=7 * w + d), 2, price)
    facts = weekly.build(b.frame()).products.set_index("stockcode")["current_price"]
    assert facts["10010"] == pytest.approx(2.4)  # the newest list price, not the median of the last weeks (2.00)
    assert facts["10011"] == pytest.approx(1.6)  # a cut that has lasted 3 weeks is the new list price
    assert facts["10012"] == pytest.approx(2.0)  # a two-week promotion is not
    assert facts["10013"] == pytest.approx(3.0)  # nor a competitor match
