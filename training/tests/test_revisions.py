"""List-price revisions as natural experiments (revisions.py): which weeks are events, and what the orders
around them say about the price response, on weekly rows built by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pricing_training import revisions


def _rows(prices: dict[str, np.ndarray], lines: dict[str, np.ndarray], category: str = "MUG") -> pd.DataFrame:
    frames = [pd.DataFrame({"stockcode": code, "week": np.arange(len(p)), "delta": p, "lines": lines[code],
                            "observed": lines[code] > 0, "desc_keyword": category}) for code, p in prices.items()]
    return pd.concat(frames, ignore_index=True)


def test_a_lasting_step_is_an_event_and_a_promotion_is_not():
    flat = np.zeros(20)
    stepped = np.where(np.arange(20) >= 10, 0.1, 0.0)
    promoted = np.where(np.isin(np.arange(20), [5, 6]), -0.2, 0.0)
    prices = {"A": stepped, "B": promoted} | {f"F{k}": flat for k in range(6)}
    rows = _rows(prices, {code: np.full(20, 5.0) for code in prices})
    ev = revisions.events(rows)
    assert ev["stockcode"].tolist() == ["A"]
    event = ev.iloc[0]
    assert event["x1"] == pytest.approx(0.1) and event["x2"] == pytest.approx(0.01)
    assert event["y_before"] == 20 and event["y_after"] == 20
    # The category's orders without the product's own: 6 flat products, 4 weeks, 5 orders a week on each side.
    assert event["offset"] == pytest.approx(0.0)


def test_revisions_recover_the_orders_response_against_the_categorys_trend():
    """60 products, each revised up or down by 10-25% at week 20; orders ~ Poisson(8 · season · exp(b Δ)) with
    b = -1.5, and a season that grows demand 30% through the window which the category's orders show."""
    rng = np.random.default_rng(0)
    weeks = np.arange(40)
    season = np.exp(0.3 * weeks / 40)
    prices, lines = {}, {}
    for k in range(60):
        step = rng.choice([-1, 1]) * rng.uniform(0.10, 0.25)
        prices[f"P{k}"] = np.where(weeks >= 20, step, 0.0)
        lines[f"P{k}"] = rng.poisson(8.0 * season * np.exp(-1.5 * prices[f"P{k}"])).astype(float)
    rows = _rows(prices, lines)
    codes = sorted(prices)
    raw, info, count = revisions.estimates(rows, codes, prior_sd=5.0)
    assert count == 60
    ev = revisions.events(rows)
    y = ev["y_after"].to_numpy(float)
    pooled, fisher = revisions._binomial_fit(y, y + ev["y_before"].to_numpy(float), ev[["x1"]].to_numpy(),
                                             ev["offset"].to_numpy(), 5.0)
    se = 1.0 / np.sqrt(fisher[0, 0])
    assert abs(pooled[0] + 1.5) < 3 * se and se < 0.2
    # Each product's own estimate carries information on b; the information-weighted mean is near the truth.
    weighted = (info[:, 0, 0] * raw[:, 0]).sum() / info[:, 0, 0].sum()
    assert weighted == pytest.approx(-1.5, abs=0.4)
