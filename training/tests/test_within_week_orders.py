"""within_week_orders: the orders part's evidence from codes and tiers within a week, on simulated logs."""

import dataclasses

import numpy as np
import pandas as pd

from pricing_training import price_response, scenarios, weekly, within_week_orders
from pricing_training.cleaning import clean
from pricing_training.config import QUICK
from pricing_training.price_response import OwnEstimates

CODE = np.log(0.8)  # a code of 20% off
TIER = np.log(0.9)


def simulate(b: np.ndarray, weeks: int = 52, seed: int = 0, codes: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Lines of len(b) products: per product-week a large demand shock (that also moves the posted price, a
    confounder the contrast must not read), retail lines at list or with a code whose reach varies by week, and
    trade lines in two tiers. Each class's lines are Poisson with rate exp(η_it + γ_kt + b_i (Δ_it + d_k))."""
    rng = np.random.default_rng(seed)
    out, rows = [], []
    for i, bi in enumerate(b):
        for t in range(weeks):
            shock = rng.normal(0.0, 0.5)
            delta = 0.1 * shock + rng.normal(0.0, 0.05)  # the posted price follows demand: confounded
            rows.append((f"P{i}", t, delta))
            reach = 0.25 + 0.1 * np.sin(t)
            classes = [(0.0, 0.0, 8.0 * (1 - reach)), (0.0, CODE if codes else 0.0, 8.0 * reach),
                       (-0.2, -0.2, 1.5), (-0.2, -0.2 + (TIER if codes else 0.0), 1.5)]
            for usual, disc, base in classes:
                rate = base * np.exp(shock + bi * (delta + disc))
                out += [(f"P{i}", t, usual, disc)] * rng.poisson(rate)
    lines = pd.DataFrame(out, columns=["stockcode", "week", "customer_discount", "line_discount"])
    return lines, pd.DataFrame(rows, columns=["stockcode", "week", "delta"])


def test_recovers_the_within_week_response_within_its_stated_error():
    b = np.linspace(-3.0, 0.0, 40)
    lines, rows = simulate(b)
    codes = [f"P{i}" for i in range(len(b))]
    c = within_week_orders.cells(lines, rows, codes, pools=(0, 1))  # codes and tiers
    raw, info, summary = within_week_orders.estimates(c, len(b), np.array([b.mean(), 0.0]), prior_sd=5.0)
    assert summary["products"] == len(b)
    # b alone (c is 0 in the truth but estimated): its sd with c profiled out
    se = np.sqrt(np.array([np.linalg.inv(info[i])[0, 0] for i in range(len(b))]))
    err = raw[:, 0] - b
    # The contrast identifies b relative to the shop's average response: a common offset is allowed, small here.
    assert abs(np.mean(err)) < 0.2
    z = (err - np.mean(err)) / se
    assert 0.4 < np.mean(z ** 2) < 2.0
    # and the estimate follows the products' own responses, not the week's demand (which moves the posted price)
    assert np.corrcoef(raw[:, 0], b)[0, 1] > 0.9


def test_without_within_week_variation_it_adds_no_information():
    b = np.linspace(-2.0, -0.5, 10)
    lines, rows = simulate(b, weeks=20, codes=False)
    codes = [f"P{i}" for i in range(len(b))]
    assert within_week_orders.cells(lines, rows, codes, pools=(0, 1)) is None
    n = len(b)
    own = OwnEstimates(codes, np.zeros(n, int), np.tile([-1.0, -0.5], (n, 1)), np.tile(np.eye(2), (n, 1, 1)),
                       np.zeros((n, 2)), np.tile(np.eye(2), (n, 1, 1)))
    out = within_week_orders.augment(own, lines, rows, prior_sd=5.0)
    np.testing.assert_allclose(out.info_n, own.info_n)
    np.testing.assert_allclose(out.raw_n, own.raw_n, atol=1e-6)


def test_augment_adds_the_evidence_in_information_form():
    b = np.linspace(-2.0, 0.0, 12)
    lines, rows = simulate(b, weeks=30, seed=3)
    codes = [f"P{i}" for i in range(len(b))]
    n = len(b)
    own = OwnEstimates(codes, np.zeros(n, int), np.tile([-1.0, -0.5], (n, 1)), np.tile(0.05 * np.eye(2), (n, 1, 1)),
                       np.zeros((n, 2)), np.tile(np.eye(2), (n, 1, 1)), revisions_raw_n=np.tile([-1.0, -0.5], (n, 1)),
                       revisions_info_n=np.tile(0.1 * np.eye(2), (n, 1, 1)))
    out = within_week_orders.augment(own, lines, rows, prior_sd=5.0)
    added = out.info_n - own.info_n
    assert np.all(added[:, 0, 0] > 0)
    # the added information is the revisions' share's increase too (unscaled by the orders prior's split check)
    np.testing.assert_allclose(out.revisions_info_n - own.revisions_info_n, added)
    # the combined estimate is the information-weighted one of the orders part's and the contrast's (anchored at the
    # orders part's own level, here (-1, -0.5))
    c = within_week_orders.cells(lines, rows, codes)
    raw_w, info_w, _ = within_week_orders.estimates(c, n, np.array([-1.0, -0.5]), prior_sd=5.0)
    np.testing.assert_allclose(added, info_w)
    expected = np.linalg.solve(own.info_n + info_w, (np.einsum("pij,pj->pi", own.info_n, own.raw_n)
                                                     + np.einsum("pij,pj->pi", info_w, raw_w))[..., None])[..., 0]
    np.testing.assert_allclose(out.raw_n, expected, atol=1e-6)


def test_the_switch_adds_the_codes_evidence_to_the_orders_part_only():
    """ResponseConfig.within_week_orders on a small shop with codes: the orders part gains the contrast's information
    (what augment adds to the committed own estimates), the size part is untouched."""
    shop = dataclasses.replace(scenarios.SCENARIOS["shop-invoice"], lines=8_000, products=40)
    panel = weekly.build(clean(scenarios.generate(shop, 5).transactions)[0])
    off = price_response.ResponseConfig(trees=QUICK.response_trees, folds=3, within_week_orders=False)
    own, rows = price_response.own_estimates(panel, off)
    on, _ = price_response.own_estimates(panel, dataclasses.replace(off, within_week_orders=True))
    expected = within_week_orders.augment(own, panel.lines, rows, off.weak_prior_sd)
    np.testing.assert_allclose(on.info_n, expected.info_n, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(on.raw_n, expected.raw_n, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(on.info_s, own.info_s)
    assert (on.info_n[:, 0, 0] > own.info_n[:, 0, 0]).sum() >= len(own.stockcodes) // 2
