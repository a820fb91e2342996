"""The loop report's realized-vs-predicted figures (calibration and drift from the ledger's weekly units)."""

from __future__ import annotations

import numpy as np
import pytest

from pricing_training.loop.report import calibration


def test_calibration_reads_level_spread_and_drift():
    rng = np.random.default_rng(0)
    predicted = np.tile(rng.uniform(1, 50, 200), (26, 1))
    exact = calibration(predicted, predicted.copy())
    assert exact["ratio_all"] == pytest.approx(1.0) and exact["slope"] == pytest.approx(1.0, abs=0.02)
    assert exact["median_abs_log_ratio"] < 0.02
    # sales that grow 2% a week against flat predictions: drift shows as first 4 weeks vs last 4
    drifting = predicted * (1.02 ** np.arange(26))[:, None]
    d = calibration(predicted, drifting)
    assert d["ratio_first4"] == pytest.approx(1.02 ** 1.5, rel=1e-3) and d["ratio_last4"] == pytest.approx(1.02 ** 23.5,
                                                                                                          rel=1e-3)
    assert d["weekly_ratio"][0] == pytest.approx(1.0) and d["weekly_ratio"][-1] == pytest.approx(1.02 ** 25, rel=1e-3)
    # predictions that spread products twice as much as their sales: slope 1/2
    flat = np.exp(np.log(predicted) / 2) * np.exp(np.log(predicted).mean() / 2)
    assert calibration(predicted, flat)["slope"] == pytest.approx(0.5, abs=0.05)


def test_products_below_keep_are_split_by_what_they_posted_in_the_last_week():
    import pandas as pd

    from pricing_training.loop.report import _below_keep_by_arm
    from pricing_training.loop.run import PolicyRun

    class Start:  # only what the split reads
        stockcodes = np.array(["A", "B", "C", "D", "E"])
        index = np.arange(5)

    keep = np.array([100.0, 100.0, 100.0, 100.0, 0.0])
    revenue = np.array([[100.0] * 5, [97.0, 99.0, 90.0, 101.0, 0.0]])  # A and C end > 2% below keep
    arms = pd.DataFrame({"week": [1] * 5, "stockcode": list("ABCDE"), "arm": ["up", "up", "rule", "holdout", "rule"]})
    run = PolicyRun("loop", revenue, np.ones((2, 5)), assignments=arms)
    split = _below_keep_by_arm(run, Start, keep, keep > 0)
    # Shares of the four products with sales: one on a test arm, one at the decision's price, none held out.
    assert split == pytest.approx({"up": 0.25, "rule": 0.25, "holdout": 0.0})
