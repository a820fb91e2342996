"""Varied retail logs with ground truth, for judging pricing methods honestly: the evaluation matrix.

`synth.py` draws every product from one demand form with one kind of confounding; a method tuned on it can
win by matching the generator. This module draws a matrix of scenarios instead: four demand forms (or a mix),
confounding from off to strong with an unconfounded *twin* built from the same draws, products priced near
and far from their revenue optimum, thin and thick products, and the price variation a real shop's log
carries: list prices posted weekly (a markup process, or a real shop's step revisions with short
promotions), and within the week trade prices, coupon codes on invoices, negotiated trade tiers and quantity
breaks. Every scenario writes the UCI schema (same CSV conventions as `synth.write`) and a `Truth` that
states, per product, expected units and revenue per week at any posted list price, the elasticity and the
optimum.

The parts, each in its own module:

- `scenario_spec`: what a scenario is (`Scenario`: form, confounding, size, price variation);
- `demand_truth`: the true curves and `Truth` (forms, segments, price classes, exact units and revenue);
- `shop_catalogue`: the products, their parameters, volumes and seasons;
- `list_prices`: the weekly posted list price and its confounding with demand;
- `shop_invoices`: customers, invoices and sale lines;
- `scenario_noise`: counter-based line noise and the AR(1) shock, so a twin shares every draw but prices;
- `retail_log`: the UCI file's calendar, words, cancellations, non-product lines and CSV writer (with synth).

Per product and week the demand is season (per product; Christmas items peak hardest) x an AR(1) demand
shock (mean 1 over the year) x the curve at the week's list price; weekdays only decide the day an invoice
falls on. The current (base) list price is a retail price point; the optimum is placed at current / (1 +- d),
d ~ U(0.2, 0.4) for the far share, U(0, 0.05) otherwise; `optimal_price` is the continuous argmax of revenue
over [current / 3, 3 * current]. Retail lines pay the list price, wholesale lines (registered trade
customers, ~10% of customers) pay the trade discount x list and buy 5-10x bigger lines; the trade discount
applies at every confounding level: it is part of the revenue truth, so a twin keeps it. With quantity breaks
a line of >= 12 (>= 48) units pays 90% (80%) of its price: the realized UnitPrice depends on the line's own
quantity; breaks change revenue, not demand. Products, customers, invoices, shocks and every noise draw come
from separate streams, and line-level noise is a counter-based hash of (product, week, class, line), so a
twin shares every draw except the prices.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np
import pandas as pd

# The public API: scenarios.Scenario, SCENARIOS, generate, write, Truth and the vocabulary below.
from .demand_truth import (DEFAULT_CLASSES, FORMS, PARAMETERS, SEGMENTS, PriceClass, Truth, curves,  # noqa: F401
                           order_probability, segments)
from .list_prices import list_prices
from .retail_log import COUNTRIES, END, SEASON, START, cancellations, non_product_lines, write_transactions  # noqa: F401
from .scenario_noise import SHOCK_AR, ar1
from .scenario_spec import (CONFOUNDING, COUPON_OFFS, N_WEEKS, NEGOTIATED_TIERS, QUANTITY_BREAKS,  # noqa: F401
                            WHOLESALE_DISCOUNT, Scenario)
from .shop_catalogue import catalogue, week_calendar
from .shop_invoices import CustomerBase, draw_invoices, sale_lines

log = logging.getLogger(__name__)

CANCELLATION_SHARE = 0.017

SCENARIOS: dict[str, Scenario] = {s.name: s for s in [
    Scenario("exp-strong", "exponential", "strong"),
    Scenario("linear-moderate", "linear", "moderate"),
    Scenario("logit-strong-breaks", "logit", "strong", quantity_breaks=True),
    Scenario("iso-moderate", "isoelastic", "moderate"),
    Scenario("mixed-strong-thin", "mixed", "strong", thin_share=0.6, quantity_breaks=True),
    Scenario("retail", "mixed", "moderate", lines=540_000, products=4_000, quantity_breaks=True),
    # A real shop's list-price frequencies (revisions every 8-20 weeks, some never, short promotions), once
    # posted weekly (one price per product-week for everyone: trade customers pay list, no breaks) and once
    # with prices varying from invoice to invoice (trade and negotiated prices, coupon codes, breaks).
    Scenario("shop-weekly", "mixed", "moderate", list_prices="revisions", trade_discount=1.0),
    Scenario("shop-invoice", "mixed", "moderate", list_prices="revisions", coupon_share=0.15, negotiated=True,
             quantity_breaks=True),
]}
DEFAULT_SCENARIO = "retail"


@dataclasses.dataclass
class ScenarioData:
    """One generated data set: the transaction log a method sees, the truth it is judged against, and the
    latent weekly panel (for tests and diagnostics; a method must not read it)."""

    transactions: pd.DataFrame  # UCI schema, like synth.generate's first output
    truth: Truth
    # The latent product-week panel: stockcode, week, week_start, list_price, season (demand factor of the
    # time of year, mean 1), shock (log AR(1) demand shock), demand_factor (season x shock multiplier),
    # promotion, clearance, revision (a list-price revision took effect), expected_units, expected_revenue (truth at list_price x demand_factor).
    weeks: pd.DataFrame | None = None
    scenario: Scenario | None = None
    seed: int | None = None
    # What continuing the year week by week needs (loop/scenario_world.py; a method must not read these either):
    # the regular list price per product-week (before promotion and clearance discounts) and the customers.
    regular_price: np.ndarray | None = None
    customers: CustomerBase | None = None


def generate(scenario: Scenario, seed: int) -> ScenarioData:
    """Draw one year of transactions (UCI schema) and the truth that produced them."""
    s = scenario
    ss = np.random.SeedSequence([int(seed), s.structure_key()])
    (cat_ss, dem_ss, pop_ss, cust_ss, shock_ss, noise_ss, price_ss, extra_ss) = ss.spawn(8)
    (tier_ss,) = ss.spawn(1)  # spawned after the first eight, so older scenarios' streams stay as they were
    noise_key = int(np.random.default_rng(noise_ss).integers(0, 2 ** 63))

    *_, per_month = week_calendar()
    n_sale = s.lines * (1.0 - CANCELLATION_SHARE - 0.006 * 4 / 3)
    products, prm, breaks, season, shock_sd = catalogue(
        s, [np.random.default_rng(x) for x in (cat_ss, dem_ss, pop_ss)], per_month, n_sale)
    n, weeks = len(products), N_WEEKS
    current = products["current_price"].to_numpy()

    # Demand shocks: AR(1) in log demand, one column before the first week (the retailer's "last week").
    shock_full = ar1(np.random.default_rng(shock_ss), shock_sd, weeks + 1)
    stationary_var = shock_sd ** 2 / (1.0 - SHOCK_AR ** 2)
    demand = season * np.exp(shock_full[:, 1:] - stationary_var[:, None] / 2.0)  # mean 1 over the year
    season_arr = np.array([SEASON[m] for m in range(1, 13)])
    shop_season = (per_month @ season_arr) / per_month.sum(axis=1)
    season_m = (shop_season - 1.0) / (max(SEASON.values()) - 1.0)  # 1 in the November peak
    posted = list_prices(s, np.random.default_rng(price_ss), current, shock_full, shock_sd, season_m)
    price = posted.price

    n_classes = len(prm["classes"])
    expected, busiest = np.zeros((n_classes, weeks)), np.zeros((n_classes, weeks))
    for k, (disc, h, a, lines_s, size, sigma) in enumerate(segments(prm, current[:, None])):
        per_week = lines_s * h ** a * order_probability(size * h ** (1.0 - a), sigma) * season  # (n, weeks)
        expected[k], busiest[k] = per_week.sum(axis=0), per_week.max(axis=0)
    invoices = draw_invoices(s, np.random.default_rng(cust_ss), expected, busiest, np.random.default_rng(tier_ss))
    lines = sale_lines(prm, breaks, price, demand, invoices, noise_key)
    sales = sales_frame(lines, invoices, products)
    inv = lines["invoice"].to_numpy()

    rng_extra = np.random.default_rng(extra_ss)
    df = pd.concat([sales, cancellations(sales, s.lines, CANCELLATION_SHARE, rng_extra),
                    non_product_lines(sales, s.lines, rng_extra, len(invoices.number))], ignore_index=True)
    df = df.sort_values(["InvoiceDate", "InvoiceNo"], kind="stable").reset_index(drop=True)

    week_curves = curves(prm, price, breaks)
    weeks_df = pd.DataFrame({
        "stockcode": np.repeat(products["stockcode"].to_numpy(), weeks),
        "week": np.tile(np.arange(weeks), n),
        "week_start": np.tile(START + pd.to_timedelta(7 * np.arange(weeks), unit="D"), n),
        "list_price": price.ravel(),
        "season": season.ravel(),
        "shock": shock_full[:, 1:].ravel(),
        "demand_factor": demand.ravel(),
        "promotion": posted.promotion.ravel(),
        "clearance": posted.clearance.ravel(),
        "revision": posted.revision.ravel(),
        "expected_units": (week_curves["units"] * demand).ravel(),
        "expected_revenue": (week_curves["revenue"] * demand).ravel(),
    })
    meta = {"generator": "pricing_training.scenarios", "scenario": dataclasses.asdict(s), "seed": int(seed),
            "lines": len(df), "sale_lines": len(sales), "products": n, "weeks": weeks, "start": str(START.date()), "end": str(END.date()),
            "wholesale_discount": s.trade_discount, "quantity_breaks": [list(b) for b in breaks],
            "price_classes": [c._asdict() for c in prm["classes"]],
            "forms": {"exponential": "exp(-x)", "linear": "max(0, 1 - x/2)",
                      "logit": "1/(1+exp(g(x - 1 - ln(g-1)/g)))", "isoelastic": "1/(1 + x^eps/(eps-1))"},
            "curve": "x = p/p_form; h_sc = H(kappa_s r_c x)/H(kappa_s) (kappa_retail = 1); "
                     "units = sum_sc L_s pi_c size_s z_c h_sc; "
                     "revenue = sum_sc p disc_s r_c L_s pi_c h_sc^a E[q f(q) | mean size_s z_c h_sc^(1-a), sigma_s]; "
                     "q = floor(LogNormal + U(0,1)), lines with q = 0 dropped; per average week of the year"}
    log.info("scenario %s seed %d: %d rows (%d sale lines), %d products, %d invoices", s.name, seed, len(df),
             len(sales), n, int(np.unique(inv).size))
    return ScenarioData(transactions=df, truth=Truth(products, meta), weeks=weeks_df, scenario=s, seed=int(seed),
                        regular_price=posted.regular, customers=invoices.customers)


def sales_frame(lines: pd.DataFrame, invoices, products: pd.DataFrame) -> pd.DataFrame:
    """`shop_invoices.sale_lines`' draws as UCI-schema sale lines, in invoice order (the lines of an invoice in the
    order they were drawn)."""
    inv, prod = lines["invoice"].to_numpy(), lines["product"].to_numpy()
    sales = pd.DataFrame({
        "InvoiceNo": invoices.number[inv].astype(str),
        "StockCode": products["stockcode"].to_numpy()[prod],
        "Description": products["description"].to_numpy()[prod],
        "Quantity": lines["Quantity"].to_numpy(),
        "InvoiceDate": invoices.time[inv],
        "UnitPrice": lines["UnitPrice"].to_numpy(),
        "CustomerID": invoices.customer[inv],
        "Country": invoices.country[inv],
    })
    order = np.lexsort((lines["k"].to_numpy(), lines["cell"].to_numpy(), invoices.number[inv]))
    return sales.iloc[order].reset_index(drop=True)


# ----------------------------------------------------------------------------------------------
# Files


def write(data: ScenarioData, out_dir: Path) -> tuple[Path, Path]:
    """transactions.csv (UCI CSV conventions, as synth.write) and ground_truth.csv + ground_truth.json."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data_path = out_dir / "transactions.csv"
    gt_path = out_dir / "ground_truth.csv"
    write_transactions(data.transactions, data_path)
    data.truth.write(gt_path)
    log.info("wrote %s (%d lines, %d products) and %s", data_path, len(data.transactions), len(data.truth.products),
             gt_path)
    return data_path, gt_path
