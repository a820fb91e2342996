"""The evaluation over several seeds: every figure over all seeds' products, per seed, and as its spread over the
seeds; the bar checked per seed; the line-level baseline on the first seeds only; report.md writes the ranges."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pricing_training import evaluate
from pricing_training.price_response import ResponseConfig

# Fewer nuisance trees than train's 300 (most of a small slice's cost; the tests read the report's structure).
TREES = 80


def test_seed_spread_summarizes_every_number_at_the_same_place():
    seeds = [{"a": 0.1, "b": {"c": 2, "flag": True, "rule": "q0.9"}, "bins": [{"n": 1}, {"n": 3}], "only_one": None},
             {"a": 0.3, "b": {"c": 4, "flag": False, "rule": "q0.5"}, "bins": [{"n": 5}, {"n": float("nan")}],
              "only_one": 7.0},
             {"a": 0.2, "b": {"c": 6}, "bins": [{"n": 3}, {"n": 3}]}]
    s = evaluate.seed_spread(seeds)
    assert s["a"]["mean"] == pytest.approx(0.2) and s["a"]["min"] == 0.1 and s["a"]["max"] == 0.3
    assert s["a"]["sd"] == pytest.approx(0.1) and s["a"]["seeds"] == 3
    assert s["b"] == {"c": {"mean": 4.0, "sd": 2.0, "min": 2.0, "max": 6.0, "seeds": 3}}  # texts and flags left out
    assert s["bins"][0]["n"]["max"] == 5.0
    assert s["bins"][1]["n"]["seeds"] == 2  # NaN is no figure
    assert s["only_one"] == {"mean": 7.0, "sd": 0.0, "min": 7.0, "max": 7.0, "seeds": 1}
    assert evaluate.seed_spread([]) == {}


@pytest.fixture(scope="module")
def two_seeds(tmp_path_factory):
    out = tmp_path_factory.mktemp("eval-seeds")
    # 40 products at ~160 lines each: every figure the tests read, at a fifth less than a larger set costs.
    doc = evaluate.evaluate_matrix(["linear-moderate"], [5, 6], out, with_old=True, plot=False, baseline_seeds=1,
                                   overrides={"lines": 6_400, "products": 40, "confounding": "off"},
                                   cfg=ResponseConfig(trees=TREES))
    return out, doc


def test_each_figure_is_given_over_all_seeds_per_seed_and_as_its_spread(two_seeds):
    out, doc = two_seeds
    assert list(doc["scenarios"]) == ["linear-moderate"]  # unconfounded: no twin
    r = doc["scenarios"]["linear-moderate"]
    rows = r["per_product"]
    per_seed = r["per_seed"]
    assert set(per_seed) == {"5", "6"}
    for seed in (5, 6):
        assert per_seed[str(seed)]["causal"]["products"] == sum(p["seed"] == seed for p in rows)
    assert r["summary"]["causal"]["products"] == len(rows)
    for key in ("median_regret", "harm_rate", "coverage", "elasticity_error"):
        values = [per_seed[s]["causal"][key] for s in ("5", "6")]
        spread = r["spread"]["causal"][key]
        assert (spread["min"], spread["max"], spread["seeds"]) == (min(values), max(values), 2)
        assert spread["mean"] == pytest.approx(np.mean(values))
    # The frontier's default rule has its spread too, and the pooled calibration counts every seed's moves.
    assert r["spread"]["frontier"]["method"][r["summary"]["frontier"]["default_rule"]]["harm_rate"]["seeds"] == 2
    pooled_moves = r["summary"]["calibration"]["reliability_moves"]
    assert pooled_moves == sum(per_seed[s]["calibration"]["reliability_moves"] for s in ("5", "6"))
    assert set(doc["seed_checks"]) == set(doc["seed_calibration_checks"]) == {"5", "6"}
    assert set(doc["seed_checks"]["5"]["linear-moderate"]) == set(doc["checks"]["linear-moderate"])
    assert json.loads((out / "report.json").read_text())["scenarios"]["linear-moderate"]["spread"] == r["spread"]


def test_the_line_level_baseline_runs_on_the_first_seeds_only(two_seeds):
    """Both baselines score the same products of the same data as the method, on the first seed only."""
    _, doc = two_seeds
    r = doc["scenarios"]["linear-moderate"]
    assert doc["baseline_seeds"] == r["baseline_seeds"] == [5]
    for p in r["per_product"]:
        for name in ("network_today", "elasticnet_today"):
            assert (p[f"{name}_regret"] is not None) == (p["seed"] == 5), name
            if p["seed"] == 5:
                assert p[f"{name}_regret"] == pytest.approx(1.0 - p[f"{name}_revenue"] / p["revenue_best"])
    for name in ("network_today", "elasticnet_today"):
        assert r["spread"][name]["median_regret"]["seeds"] == 1
        assert name in r["per_seed"]["5"] and name in r["summary"]
        assert name not in r["per_seed"]["6"]


def test_report_md_writes_each_figure_with_its_range_over_the_seeds(two_seeds):
    out, doc = two_seeds
    text = (out / "report.md").read_text()
    assert "on seed 5 only" in text  # the baseline's reduced scope is stated
    r = doc["scenarios"]["linear-moderate"]
    s = r["spread"]["causal"]["median_regret"]
    row = next(line for line in text.splitlines() if line.startswith("| linear-moderate | "))
    pooled = r["summary"]["causal"]["median_regret"]
    assert f"{100 * pooled:.1f}% ({100 * s['min']:.1f}–{100 * s['max']:.1f})" in row
    # The honesty verdict over all seeds, with how many seeds pass on their own.
    per_seed = [c["linear-moderate"] for c in doc["seed_calibration_checks"].values()]
    failed = [k for k, ok in doc["calibration_checks"]["linear-moderate"].items() if not ok]
    verdict = (f"pass ({sum(all(c.values()) for c in per_seed)}/2)" if not failed else
               "**fail**: " + ", ".join(f"{k} ({sum(c[k] for c in per_seed)}/2)" for k in failed))
    honesty = next(line for line in text.split("## Calibration")[1].splitlines() if line.startswith("| linear-moderate |"))
    assert honesty.endswith(f"| {verdict} |")
