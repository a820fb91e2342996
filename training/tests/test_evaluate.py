"""A small slice of the pricing evaluation end to end (`make eval` runs the whole matrix): one scenario and
its twin, generated, fit, decided and scored against the truth, the oracles measured on the same data, and
the report written. The line-level baseline (today's network and ElasticNet) is left out here: running it
on the same data as the method, and its columns in the report, are checked in test_evaluation_seeds.py."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pricing_training import calibration, evaluate, information_oracle, scenarios
from pricing_training.price_response import ResponseConfig


# 48 products at the default scenario's ~150 lines each: enough for the shrinkage prior, changed and kept
# decisions, and every figure the checks read; each data set costs its size (fit, decisions, oracles).
SIZE = {"lines": 7_200, "products": 48}
# The nuisance models' trees are most of a slice's cost (300 trees: ~42 of ~68 CPU-s); at this size 80 fit
# the same structure, and every check here is about the report, not the last digits of the fit.
LIGHT_FIT = ResponseConfig(trees=80)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("eval")
    doc = evaluate.evaluate_matrix(["exp-strong"], [5], out, with_old=False, overrides=SIZE, cfg=LIGHT_FIT)
    return out, doc


def test_writes_markdown_json_and_the_curve_plot(report):
    out, doc = report
    assert (out / "curves.png").stat().st_size > 10_000
    assert json.loads((out / "report.json").read_text())["scenarios"].keys() == {"exp-strong", "exp-strong-twin"}
    text = (out / "report.md").read_text()
    assert "| exp-strong |" in text and "| exp-strong-twin |" in text and "Against the bar" in text
    assert "## What any method could reach: the information oracle" in text and "| information used |" in text


def test_the_information_oracle_is_a_floor_measured_on_the_same_data(report):
    """The oracle's figures sit next to the method's, from the same generated data: more data never makes its
    best rule under the harm bar worse, and its rule respects that bar."""
    _, doc = report
    for name, result in doc["scenarios"].items():
        oracle = result["summary"]["information_oracle"]
        assert 0.0 < oracle["theta_se_median"] < 5.0, name
        best = oracle["best_within_harm_bar"]
        assert set(best) == {f"{k}x" for k in evaluate.ORACLE_MULTIPLES}
        for figures in best.values():
            assert figures["harm_rate"] <= evaluate.BAR["harm_rate"]
        assert best["30x"]["median_regret"] <= best["1x"]["median_regret"] + 1e-9
        for row in result["per_product"]:
            assert row["oracle_theta_se"] > 0.0 and row["oracle_elasticity_se"] > 0.0
        # The method's own estimate cannot hold more information than the oracle's bound.
        assert 0.0 < result["summary"]["causal"]["information_used"] < 1.0, name


def test_every_product_is_scored_with_the_reference_rules_from_the_same_run(report):
    _, doc = report
    for name, result in doc["scenarios"].items():
        rows = result["per_product"]
        assert len(rows) >= 0.75 * SIZE["products"], name
        for r in rows:
            assert 0.0 <= r["regret"] <= 1.0 and 0.0 <= r["regret_keep"] <= 1.0
            assert r["regret_oracle"] <= r["regret_keep"] + 1e-9  # the oracle searches a range holding the current price
            if r["decision"] == "keep_current":
                assert r["regret"] == pytest.approx(r["regret_keep"])
        summary = result["summary"]
        assert set(summary) >= {"causal", "keep_current", "oracle_in_search_range"}
        causal = summary["causal"]
        for key in ("median_regret", "p90_regret", "weighted_regret", "harm_rate", "coverage", "elasticity_error",
                    "elasticity_bias", "posterior_sd", "own_se", "true_spread"):
            assert np.isfinite(causal[key]), key
        # The identification figures agree with what they summarise: shrinkage leaves the posterior no wider
        # than the product's own data would, and the signal share is a share.
        assert causal["posterior_sd"] < causal["own_se"]
        assert 0.0 < causal["signal_share"] < 1.0


def test_calibration_and_frontier_come_from_the_decisions_draws(report):
    """The calibration table and the frontier sit in the report and its plots, and the frontier's default rule
    is exactly the decisions the report scores."""
    out, doc = report
    assert calibration.LOSS == evaluate.HARM  # the α rule's loss and the report's harm are the same 1%
    for name in ("calibration.png", "frontier.png"):
        assert (out / name).stat().st_size > 10_000, name
    text = (out / "report.md").read_text()
    assert "## Calibration: do the posterior's statements hold?" in text and "## The decision frontier" in text
    for name, result in doc["scenarios"].items():
        summary = result["summary"]
        cal, frontier = summary["calibration"], summary["frontier"]
        causal = summary["causal"]
        assert frontier["default_rule_matches_decisions"], name
        default = frontier["method"][frontier["default_rule"]]
        assert default["harm_rate"] == pytest.approx(causal["harm_rate"])
        assert default["changed"] == pytest.approx(causal["changed"])
        # The 80% best-price interval is the report's coverage column.
        assert cal["best_price_coverage"]["80"] == pytest.approx(causal["coverage"])
        for coverage in (cal["elasticity_coverage"], cal["best_price_coverage"]):
            assert coverage["50"] <= coverage["80"] <= coverage["95"]
        assert sum(b["count"] for b in cal["reliability"]) == cal["reliability_moves"] > 0
        assert cal["changed_prices"]["changed"] == round(causal["changed"] * causal["products"])
        # Loosening the rule moves at least as many prices; the oracle's frontier is scored on the same products.
        assert frontier["method"]["q0"]["changed"] >= default["changed"] >= frontier["method"]["q0.99"]["changed"]
        assert set(frontier["oracle"]) == {f"q{q:g}" for q in information_oracle.THRESHOLDS}
        assert frontier["oracle"]["q0"]["harm_rate"] == pytest.approx(summary["information_oracle"]["rules"]["1x_q0"]["harm_rate"])
        # The realistic oracle is scored on the same products and rules, and the usefulness check reads it.
        assert set(frontier["realistic_oracle"]) == set(frontier["oracle"])
        realistic = frontier["realistic_oracle_best_within_harm_bar"]
        has_check = "capture_vs_realistic_oracle" in doc["calibration_checks"][name]
        assert has_check == (realistic is not None and np.isfinite(realistic["aggregate_capture"]))
        if has_check:
            assert doc["calibration_checks"][name]["capture_vs_realistic_oracle"] == (
                default["aggregate_capture"] >= 0.5 * realistic["aggregate_capture"])
    assert set(doc["calibration_checks"]) == set(doc["scenarios"])


def test_checks_hold_the_bar_and_the_twin_gap(report):
    """Each check is its figure against the bar: the run's checks follow from the run's figures, and on
    products whose figures are known, a figure at the bar passes and a figure just past it fails that check
    alone; the twin gap compares a scenario's median regret with its twin's."""
    _, doc = report
    bar = evaluate.BAR
    base, twin = (doc["scenarios"][name]["summary"]["causal"] for name in ("exp-strong", "exp-strong-twin"))
    assert doc["checks"]["exp-strong"] == {
        "median_regret": base["median_regret"] <= bar["median_regret"], "p90_regret": base["p90_regret"] <= bar["p90_regret"],
        "harm_rate": base["harm_rate"] <= bar["harm_rate"],
        "gain_capture": base["gain_capture"] >= bar["gain_capture"] if base["mispriced"] else True,
        "coverage": bar["coverage"][0] <= base["coverage"] <= bar["coverage"][1],
        "twin_gap": abs(base["median_regret"] - twin["median_regret"]) <= bar["twin_gap"]}
    assert "twin_gap" not in doc["checks"]["exp-strong-twin"]

    def products(regret=(0.01,) * 9 + (0.05,), harm=0, covered=8, gain_capture=(0.8, 0.9)):
        """Ten products: `harm` of them harmed, `covered` with the best price in the interval, the first
        len(gain_capture) mispriced with those captures."""
        n, mispriced = len(regret), len(gain_capture)
        return evaluate.summarize(pd.DataFrame({
            "regret": regret, "revenue_best": [1.0] * n, "mispriced": [i < mispriced for i in range(n)],
            "gain_capture": list(gain_capture) + [np.nan] * (n - mispriced), "harm": [i < harm for i in range(n)],
            "decision": ["change"] * 4 + ["keep_current"] * (n - 4), "covered": [i < covered for i in range(n)],
            "elasticity_error": [0.1] * n, "elasticity_true": np.linspace(-3.0, -1.0, n),
            "elasticity_signed_error": [0.0] * n, "elasticity_posterior_sd": [0.2] * n}))

    good = products()
    assert good["median_regret"] == pytest.approx(0.01) and good["p90_regret"] == pytest.approx(0.014)
    assert good["weighted_regret"] == pytest.approx(0.014)  # equal best revenues: the mean regret
    assert (good["harm_rate"], good["changed"], good["coverage"], good["mispriced"]) == (0.0, 0.4, 0.8, 2)
    assert good["gain_capture"] == pytest.approx(0.85)
    passing = {key: True for key in ("median_regret", "p90_regret", "harm_rate", "gain_capture", "coverage")}
    assert evaluate.checks({"s": {"summary": {"causal": good}}}) == {"s": passing}
    cases = {
        "median_regret": (products(regret=(bar["median_regret"],) * 10), products(regret=(0.021,) * 10)),
        "p90_regret": (products(regret=(0.0,) * 8 + (0.08, 0.08)), products(regret=(0.0,) * 8 + (0.09, 0.09))),
        "harm_rate": (products(harm=0), products(harm=1)),  # 1 of 10 is over the 5% bar
        "gain_capture": (products(gain_capture=(0.7, 0.7)), products(gain_capture=(0.6, 0.7))),
        "coverage": (products(covered=7), products(covered=10)),
    }
    for key, (at_bar, past_bar) in cases.items():
        assert evaluate.checks({"s": {"summary": {"causal": at_bar}}}) == {"s": passing}, key
        assert evaluate.checks({"s": {"summary": {"causal": past_bar}}}) == {"s": passing | {key: False}}, key
    assert evaluate.checks({"s": {"summary": {"causal": products(covered=6)}}})["s"]["coverage"] is False
    assert evaluate.checks({"s": {"summary": {"causal": products(gain_capture=())}}}) == {"s": passing}  # nothing mispriced

    near, far = products(regret=(0.015,) * 10), products(regret=(0.025,) * 10)
    with_twin = evaluate.checks({"s": {"summary": {"causal": good}}, "s-twin": {"summary": {"causal": near}}})
    assert with_twin == {"s": passing | {"twin_gap": True}, "s-twin": passing}
    assert evaluate.checks({"s": {"summary": {"causal": good}}, "s-twin": {"summary": {"causal": far}}})["s"]["twin_gap"] is False


def test_the_twin_shares_the_truth_but_not_the_prices():
    base = scenarios.SCENARIOS["exp-strong"]
    import dataclasses

    a = scenarios.generate(dataclasses.replace(base, **SIZE), 5)
    b = scenarios.generate(dataclasses.replace(base, **SIZE).twin(), 5)
    assert a.truth.products["optimal_price"].tolist() == b.truth.products["optimal_price"].tolist()
    assert not np.array_equal(a.transactions["UnitPrice"].to_numpy(), b.transactions["UnitPrice"].to_numpy())


def test_the_command_refuses_an_unknown_scenario_with_a_clear_message(capsys, tmp_path):
    from pricing_training.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", "--scenarios", "exp-strong", "no-such-scenario", "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "unknown scenario no-such-scenario" in err and "exp-strong" in err
    assert not any(tmp_path.iterdir())  # nothing was generated or written


def test_the_aggregate_capture_sums_what_is_realized_over_what_is_at_stake():
    """scoring.summarize: Σ (R(decided) − R(now)) / Σ (R(best) − R(now)) over mispriced products, next to the
    median capture; the version's report shows both."""
    from pricing_training import scoring, version_report

    frame = pd.DataFrame({
        "regret": [0.0, 0.05, 0.1, 0.0], "revenue_best": [110.0, 120.0, 100.0, 50.0],
        "revenue_now": [100.0, 100.0, 100.0, 50.0], "revenue_recommended": [110.0, 100.0, 90.0, 50.0],
        "mispriced": [True, True, False, False], "gain_capture": [1.0, 0.0, np.nan, np.nan],
        "harm": [False, False, True, False], "decision": ["change", "keep_current", "change", "keep_current"],
        "covered": [True] * 4, "elasticity_error": [0.1] * 4, "elasticity_true": [-1.0, -2.0, -1.5, -1.2],
        "elasticity_signed_error": [0.0] * 4, "elasticity_posterior_sd": [0.2] * 4})
    s = scoring.summarize(frame)
    # Mispriced: +10 of 10 at stake and 0 of 20; the unmispriced product's loss does not count.
    assert s["aggregate_capture"] == pytest.approx(10.0 / 30.0)
    assert s["gain_capture"] == pytest.approx(0.5)
    assert "aggregate_capture" not in scoring.summarize(frame.drop(columns=["revenue_recommended"]))
    doc = {"model_version": "v", "data_source": {"path": "p", "kind": "synthetic", "rows_clean": 1, "rows_loaded": 1,
                                                 "dropped": {}},
           "split": {"train": 1, "val": 1, "val_start_week": 1, "test": 1, "test_start_week": 2}, "metrics": [],
           "models": [], "pricing": {"summary": s, "panel": [], "per_product": [],
                                     "keep_current": {"median_regret": 0.01, "p90_regret": 0.02},
                                     "all_products": s | {"keep_current_median_regret": 0.01, "keep_current_p90_regret": 0.02}}}
    text = version_report.markdown(doc)
    assert "| aggregate capture |" in text and "| 33.3% | 50.0% (2 products) |" in text
    assert "aggregate capture 33.3%, median capture 50.0% (2 mispriced)" in text


def test_version_report_lists_only_the_parts_priors_of_the_price_response():
    """An optional step's own summary next to the parts (extra_spread is a number, truncated_curvature a dict
    without a prior mean) is not a part: the report lists the parts and does not fail on the others."""
    from pricing_training import version_report

    part = {"global": [-1.2, -0.5], "between_sd": [0.4, 0.8]}
    doc = {"model_version": "v", "data_source": {"path": "p", "kind": "synthetic", "rows_clean": 1, "rows_loaded": 1,
                                                 "dropped": {}},
           "split": {"train": 1, "val": 1, "val_start_week": 1, "test": 1, "test_start_week": 2}, "metrics": [],
           "models": [], "price_response": {"orders": part, "size": part, "extra_spread": 0.3,
                                            "truncated_curvature": {"population_sd": [0.7]}}}
    text = version_report.markdown(doc)
    assert "| orders | -1.200 | -0.500 | 0.400 | 0.800 |" in text and "| size |" in text
    assert "extra_spread" not in text and "truncated_curvature" not in text
    # The default's population on c <= 0 is the posterior's prior: the report says so, with its figures.
    doc["price_response"]["truncated_curvature"] = {"population_mean_c": -0.58, "population_sd_c": 0.57,
                                                    "spread_mode": "floor", "median_truncated_mean": [-0.94, -0.51]}
    text = version_report.markdown(doc)
    assert "its curvature c has mean -0.580 and sd 0.570 (spread chosen as `floor`)" in text
    assert "(-0.940, -0.510)" in text
