"""The split-sample check of a part's standard errors (price_response.calibrate_information): two halves of
each product's weeks must disagree by what their errors say; the factor rescales the information."""

from __future__ import annotations

import numpy as np
import pytest

from pricing_training import price_response


def _halves(rng: np.random.Generator, products: int, reported_se: float, true_se: float) -> list:
    """Each product: two halves' estimates of (b, c), each off by N(0, true_se²), reported with reported_se."""
    info = np.eye(2) / reported_se ** 2
    out = []
    for _ in range(products):
        beta = rng.normal(-1.0, 0.5, 2)
        out.append([(beta + rng.normal(0.0, true_se, 2), info), (beta + rng.normal(0.0, true_se, 2), info)])
    return out


@pytest.mark.parametrize("true_se, expected", [(1.0, 1.0), (1.5, 1.0 / 2.25), (0.5, 4.0)])
def test_the_factor_is_what_makes_the_errors_right(true_se, expected):
    factor = price_response.calibrate_information(_halves(np.random.default_rng(1), 2000, 1.0, true_se))
    assert factor == pytest.approx(expected, rel=0.12)


def test_thin_halves_and_too_few_products_are_not_judged():
    rng = np.random.default_rng(2)
    # Halves whose standard error is over 2 (information below MIN_HALF_INFORMATION) do not take part.
    assert price_response.calibrate_information(_halves(rng, 500, 3.0, 1.0)) == 1.0
    assert price_response.calibrate_information(_halves(rng, price_response.MIN_SPLIT_PRODUCTS - 1, 1.0, 2.0)) == 1.0
