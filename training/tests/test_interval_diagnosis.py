"""The interval-miss diagnosis (interval_diagnosis.py) on a real generated logit world: the truth split into the
estimate's parts, the curve family's best fit at p0, the attenuation slope and the per-group miss table."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from pricing_training import interval_diagnosis as diag
from pricing_training import scenarios as sc

SMALL_LOGIT = dataclasses.replace(sc.SCENARIOS["logit-strong-breaks"], lines=8_000, products=40)


@pytest.fixture(scope="module")
def world() -> sc.ScenarioData:
    return sc.generate(SMALL_LOGIT, 11)


def test_parts_add_up_to_the_generators_own_elasticity(world):
    """Orders and units per order add up to the units' elasticity, which is the generator's own (its central
    difference uses another step); logit demand falls with the price, so both parts are negative."""
    products = world.truth.products
    for code, p0 in zip(products["stockcode"][:10], products["current_price"][:10]):
        parts = diag.part_elasticities(world.truth, code, p0)
        assert parts["units"] == pytest.approx(world.truth.elasticity(code, p0), abs=1e-3)
        assert parts["orders"] + parts["size"] == pytest.approx(parts["units"], abs=1e-12)
        assert parts["orders"] < 0.0 and parts["size"] < 0.0


def test_the_curve_family_is_exact_locally_and_off_over_a_wide_range(world):
    """Fitted over prices within 1% of p0 the log-quadratic gives the true elasticity at p0; fitted over a
    range as wide as the strong scenario's posted prices (−45% to +35% around a reference 15% below p0) it misses
    a steep logit product's elasticity at p0: the family's own error, with no noise at all."""
    truth = world.truth
    products = truth.products
    wide_errors = []
    for code, p0 in zip(products["stockcode"], products["current_price"]):
        narrow = p0 * np.exp(np.linspace(-0.01, 0.01, 9))
        e_true = truth.elasticity(code, p0)
        assert diag.family_elasticity(truth, code, np.log(p0), narrow, p0) == pytest.approx(e_true, abs=0.02)
        ref = np.log(p0) - 0.15
        wide = np.exp(ref + np.linspace(-0.45, 0.35, 40))
        wide_errors.append(diag.family_elasticity(truth, code, ref, wide, p0) - e_true)
    assert np.max(np.abs(wide_errors)) > 0.2, wide_errors
    with pytest.raises(ValueError, match="three distinct"):
        diag.family_elasticity(truth, products["stockcode"].iloc[0], 0.0, np.array([1.0, 1.0, 2.0]), 1.0)


def test_attenuation_slope_reads_how_far_estimates_follow_the_truth():
    rng = np.random.default_rng(5)
    truth = rng.normal(-1.2, 1.5, 2000)
    noise = rng.normal(0.0, 1.0, 2000)
    assert diag.attenuation_slope(truth + noise, truth) == pytest.approx(1.0, abs=0.05)
    assert diag.attenuation_slope(-0.6 + 0.5 * truth + noise, truth) == pytest.approx(0.5, abs=0.05)


def test_miss_table_separates_a_centre_problem_from_a_width_problem():
    """Eight products in two quarters of the true elasticity: the tail's intervals miss with a large error and the
    same sd as the middle's, which hold."""
    frame = pd.DataFrame({"e_true": [-4.0, -3.5, -3.8, -3.2, -1.0, -1.1, -0.9, -1.2],
                          "e_mean": [-2.0, -2.2, -1.9, -3.1, -1.1, -1.0, -0.8, -1.3],
                          "e_sd": [0.5] * 8,
                          "hit80": [False, False, False, True, True, True, True, True]})
    table = diag.miss_table(frame, "e_true", quantiles=2)
    tail, middle = table.iloc[0], table.iloc[1]
    assert tail["products"] == 4 and middle["products"] == 4
    assert tail["coverage80"] == 0.25 and middle["coverage80"] == 1.0
    assert tail["median_error"] > 1.0 and abs(middle["median_error"]) < 0.2
    assert tail["median_sd"] == middle["median_sd"] == 0.5
    assert tail["true_elasticity"] < middle["true_elasticity"]
