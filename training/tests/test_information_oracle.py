"""The information oracle: its Fisher information is the spread a real estimator reaches, and more information
makes its decisions better, so its figures can stand as a floor in the report."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from pricing_training import evaluate, information_oracle, scenarios


@pytest.fixture(scope="module")
def small():
    scen = scenarios.Scenario("oracle-test", "exponential", "moderate", lines=12_000, products=40)
    return scenarios.generate(scen, 3)


def _product(data, i):
    code = data.truth.products["stockcode"].iloc[i]
    prm, breaks = data.truth.parameters(code)
    weeks = data.weeks[data.weeks["stockcode"] == code]
    return code, prm, breaks, weeks["list_price"].to_numpy(), weeks["demand_factor"].to_numpy()


def test_a_price_that_never_moves_carries_no_information(small):
    _, prm, _, prices, demand = _product(small, 0)
    assert information_oracle.fisher_information(prm, np.full_like(prices, prices.mean()), demand) == pytest.approx(0.0, abs=1e-9)
    assert information_oracle.fisher_information(prm, prices, demand) > 0.0


def test_information_grows_with_volume(small):
    _, prm, _, prices, demand = _product(small, 0)
    base = information_oracle.fisher_information(prm, prices, demand)
    double = dict(prm, retail_lines=2 * prm["retail_lines"], wholesale_lines=2 * prm["wholesale_lines"])
    assert information_oracle.fisher_information(double, prices, demand) == pytest.approx(2 * base, rel=1e-9)


def test_the_information_matches_the_spread_of_a_maximum_likelihood_estimate(small):
    """Order counts alone (sizes never observed): simulate the year's weekly attempted lines many times, fit the
    level and θ by maximum likelihood, and compare the spread of θ̂ with 1 / sqrt(information)."""
    _, prm, _, prices, demand = _product(small, 0)
    theta0 = np.log(prm["p_form"])
    grid = theta0 + np.linspace(-0.6, 0.6, 601)
    # One segment (retail), so the simulated counts follow exactly the model the information is computed for;
    # a huge size noise leaves the orders as the only evidence.
    # Ten times the volume keeps θ̂ in the range where the likelihood is near quadratic (at the product's own
    # volume θ's standard error is ~0.3 and the estimate is skewed: the bound is asymptotic).
    retail = dict(prm, wholesale_lines=0.0, retail_lines=10.0 * prm["retail_lines"])
    lam = np.stack([sum(lines * demand * h ** a for _, h, a, lines, _, _ in scenarios.segments(dict(retail, p_form=np.exp(t)), prices))
                    for t in grid])  # [G, W]
    info = information_oracle.fisher_information(dict(retail, retail_sigma=1e9), prices, demand)
    true = lam[300]
    rng = np.random.default_rng(7)
    estimates = []
    for _ in range(400):
        counts = rng.poisson(true)
        # Profile the level out: for each θ the best level is sum(counts) / sum(lam_θ).
        level = counts.sum() / lam.sum(axis=1)
        loglik = (counts[None, :] * np.log(level[:, None] * lam) - level[:, None] * lam).sum(axis=1)
        estimates.append(grid[np.argmax(loglik)])
    assert np.std(estimates) == pytest.approx(1.0 / np.sqrt(info), rel=0.15)


def test_more_information_means_better_decisions(small):
    products = small.truth.products
    now = dict(zip(products["stockcode"], products["current_price"]))
    frame = information_oracle.evaluate(small, now, mispriced=evaluate.MISPRICED, harm=evaluate.HARM,
                                        multiples=(1, 100), replicates=10, seed=1)
    assert len(frame) == len(products) and np.all(np.isfinite(frame["theta_se"]))
    figures = information_oracle.summarize(frame, multiples=(1, 100))
    assert figures["100x_q0"]["median_regret"] < figures["1x_q0"]["median_regret"]
    assert figures["100x_q0"]["p90_regret"] < 0.03 and figures["100x_q0"]["gain_capture"] > 0.9
    # A stricter evidence threshold trades gain for safety: it never raises the harm rate.
    assert figures["1x_q0.98"]["harm_rate"] <= figures["1x_q0"]["harm_rate"]


# ----------------------------------------------------------------------------------------------
# The realistic oracle: the week's demand unknown, only the variation a method could use


def test_realistic_information_never_exceeds_the_generous(small):
    for code in small.truth.products["stockcode"].head(15):
        generous = information_oracle.information(small, code, "generous")
        realistic = information_oracle.information(small, code, "realistic")
        assert 0.0 <= realistic <= generous
    with pytest.raises(ValueError, match="oracle"):
        information_oracle.evaluate(small, {}, mispriced=0.02, harm=0.01, oracle="psychic")


def test_a_free_week_level_leaves_only_within_week_variation():
    """With the week's level a free parameter, weekly list-price moves inform nothing; coupon codes (other
    prices against the same week's list price) do."""
    plain = scenarios.Scenario("weekly-only", "exponential", "off", lines=8_000, products=20, trade_discount=1.0)
    coupons = dataclasses.replace(plain, name="with-codes", coupon_share=0.3)
    for scen, informative in ((plain, False), (coupons, True)):
        d = scenarios.generate(scen, 1)
        code = d.truth.products["stockcode"].iloc[0]
        prm, _ = d.truth.parameters(code)
        g = d.weeks[d.weeks["stockcode"] == code]
        free = information_oracle.realistic_information(prm, g["list_price"].to_numpy(), g["demand_factor"].to_numpy(), None)
        generous = information_oracle.fisher_information(prm, g["list_price"].to_numpy(), g["demand_factor"].to_numpy())
        assert generous > 1.0
        if informative:
            assert free > 0.05 * generous
        else:
            # Retail and trade differ only in how elastic they are: next to nothing.
            assert free < 0.01 * generous


def test_realistic_oracle_captures_no_more_than_the_generous_one():
    scen = scenarios.Scenario("oracle-strong", "exponential", "strong", lines=16_000, products=60)
    d = scenarios.generate(scen, 3)
    products = d.truth.products
    now = dict(zip(products["stockcode"], products["current_price"]))
    kw = dict(mispriced=evaluate.MISPRICED, harm=evaluate.HARM, multiples=(1,), replicates=10, seed=1)
    generous = information_oracle.summarize(information_oracle.evaluate(d, now, **kw), multiples=(1,))
    frame = information_oracle.evaluate(d, now, oracle="realistic", **kw)
    realistic = information_oracle.summarize(frame, multiples=(1,))
    assert realistic["theta_se_median"] > 3 * generous["theta_se_median"]  # strong: weekly moves are confounded
    for q in ("q0", "q0.9"):
        assert realistic[f"1x_{q}"]["gain_capture"] <= generous[f"1x_{q}"]["gain_capture"]
    # With almost no usable evidence the realistic oracle keeps most prices: it harms less than it gains.
    assert realistic["1x_q0.9"]["harm_rate"] <= 0.05
