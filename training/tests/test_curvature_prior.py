"""curvature_prior: a population of (b, c) truncated to c <= 0, learned with its truncation."""

import numpy as np
import pytest

from pricing_training import curvature_prior, shrinkage

TRUE_MU_C = np.array([-0.6, -0.3, 0.2])  # the parent normal's category means of c (the last mostly truncated away)
TRUE_SD_C = 0.5
TRUE_SLOPE, TRUE_RESID = 0.3, 0.09  # b = ν_g + k c + e
TRUE_NU = np.array([-1.2, -1.0, -1.5])


def _population(rng: np.random.Generator, p: int) -> tuple[np.ndarray, np.ndarray]:
    """p products' true (b, c) from the truncated population, and their categories."""
    groups = rng.integers(0, 3, p)
    c = np.empty(p)
    for i, g in enumerate(groups):
        while True:
            c[i] = rng.normal(TRUE_MU_C[g], TRUE_SD_C)
            if c[i] <= 0.0:
                break
    b = TRUE_NU[groups] + TRUE_SLOPE * c + rng.normal(0.0, np.sqrt(TRUE_RESID), p)
    return np.stack([b, c], axis=1), groups


def _estimates(rng: np.random.Generator, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Noisy own estimates with per-product error covariances (the curvature poorly known for many, errors of b and c
    correlated as when prices lie on one side of the reference), and their information."""
    p = len(beta)
    sd_b = rng.uniform(0.1, 0.6, p)
    sd_c = rng.uniform(0.2, 1.5, p)
    rho = rng.uniform(0.0, 0.8, p)
    cov = np.empty((p, 2, 2))
    cov[:, 0, 0], cov[:, 1, 1] = sd_b ** 2, sd_c ** 2
    cov[:, 0, 1] = cov[:, 1, 0] = rho * sd_b * sd_c
    noise = np.einsum("pij,pj->pi", np.linalg.cholesky(cov), rng.standard_normal((p, 2)))
    return beta + noise, np.linalg.inv(cov)


def _normal_prior(raw: np.ndarray, info: np.ndarray, groups: np.ndarray) -> shrinkage.Prior:
    return shrinkage.fit(raw, info, groups, kappa=3.0)


def test_truncated_moments_match_monte_carlo():
    rng = np.random.default_rng(0)
    mean = np.array([[-1.0, 0.4], [0.5, -2.0], [0.0, 3.0]])
    cov = np.array([[[0.5, 0.3], [0.3, 1.0]], [[1.0, -0.2], [-0.2, 0.5]], [[0.2, 0.1], [0.1, 1.0]]])
    first, second = curvature_prior.truncated_moments(mean, cov)
    for i in range(len(mean)):
        x = rng.multivariate_normal(mean[i], cov[i], 800_000)
        x = x[x[:, 1] <= 0.0]
        np.testing.assert_allclose(first[i], x.mean(axis=0), atol=0.02)
        np.testing.assert_allclose(second[i], x.T @ x / len(x), atol=0.03, rtol=0.02)


def test_implied_evidence_reproduces_the_posterior():
    rng = np.random.default_rng(1)
    beta, groups = _population(rng, 300)
    raw, info = _estimates(rng, beta)
    prior = _normal_prior(raw, info, groups)
    mean, cov = prior.posterior_mean(), prior.posterior_cov()
    h, j = curvature_prior.implied_evidence(mean, cov, prior.category_means[groups], prior.spreads[0])
    np.testing.assert_allclose(j, info, rtol=1e-5, atol=1e-6)
    t_inv = np.linalg.inv(prior.spreads[0])
    again = np.linalg.solve(j + t_inv[None], (h + prior.category_means[groups] @ t_inv)[..., None])[..., 0]
    np.testing.assert_allclose(again, mean, atol=1e-8)


def _evidence_of(rng: np.random.Generator, p: int):
    """A simulated population's own estimates shrunk under a normal prior, and each product's evidence read back
    from that posterior (what refit_sum hands the truncated fit): (beta, groups, prior, h, j)."""
    beta, groups = _population(rng, p)
    raw, info = _estimates(rng, beta)
    prior = _normal_prior(raw, info, groups)
    h, j = curvature_prior.implied_evidence(prior.posterior_mean(), prior.posterior_cov(),
                                            prior.category_means[groups], prior.spreads[0])
    return beta, groups, prior, h, j


@pytest.fixture(scope="module")
def simulated():
    beta, groups, prior, h, j = _evidence_of(np.random.default_rng(7), 2000)
    fitted = curvature_prior.fit(h, j, groups, 3.0, prior.category_means, prior.spreads[0], learn_slope=True)
    return beta, groups, prior, fitted


def test_recovers_the_truncated_population(simulated):
    beta, groups, _, fitted = simulated
    assert np.sqrt(fitted.spread[1, 1]) == pytest.approx(TRUE_SD_C, abs=0.15)
    np.testing.assert_allclose(fitted.category_means[:, 1], TRUE_MU_C, atol=0.3)
    assert fitted.spread[0, 1] / fitted.spread[1, 1] == pytest.approx(TRUE_SLOPE, abs=0.2)
    np.testing.assert_allclose(fitted.category_means[:, 0] - TRUE_SLOPE * fitted.category_means[:, 1], TRUE_NU,
                               atol=0.15)


@pytest.mark.parametrize("mode", ["floor", "integrated", "supported"])
def test_the_spread_modes_still_recover_a_population_away_from_the_boundary(simulated, mode):
    """Where the maximum is well inside (the simulated population above), keeping the population off the boundary
    changes little: the category means and the population's spread are recovered as by the maximum."""
    beta, groups, prior, _ = simulated
    h, j = curvature_prior.implied_evidence(prior.posterior_mean(), prior.posterior_cov(),
                                            prior.category_means[groups], prior.spreads[0])
    fitted = curvature_prior.fit_spread(h, j, groups, 3.0, prior.category_means, prior.spreads[0], mode=mode)
    lo, _ = fitted.spread_range
    assert lo < TRUE_SD_C / 2
    assert np.sqrt(fitted.spread[1, 1]) == pytest.approx(TRUE_SD_C, abs=0.2)
    np.testing.assert_allclose(fitted.category_means[:, 1], TRUE_MU_C, atol=0.35)


def test_own_curvatures_straddling_zero_do_not_collapse_the_population():
    """True curvatures a little below 0, own estimates read a little above it on balance (as attenuated ones do):
    the maximum puts the whole population at c = 0 (sd ~ 0, every posterior's c pinned there); with the floor, or s
    integrated over, the population keeps at least the data's detectable spread and a mean below 0."""
    rng = np.random.default_rng(1)
    p = 600
    groups = rng.integers(0, 3, p)
    c = -np.abs(rng.normal(0.0, 0.3, p))
    beta = np.stack([TRUE_NU[groups] + TRUE_SLOPE * c + rng.normal(0.0, 0.3, p), c], axis=1)
    raw, info = _estimates(rng, beta)
    raw[:, 1] += 0.3
    prior = _normal_prior(raw, info, groups)
    h, j = curvature_prior.implied_evidence(prior.posterior_mean(), prior.posterior_cov(),
                                            prior.category_means[groups], prior.spreads[0])

    def population(fitted):
        first, second = curvature_prior.truncated_moments(fitted.category_means,
                                                          np.broadcast_to(fitted.spread, (3, 2, 2)))
        return first[:, 1], np.sqrt(np.maximum(second[:, 1, 1] - first[:, 1] ** 2, 0.0))

    args = (h, j, groups, 3.0, prior.category_means, prior.spreads[0])
    mean, sd = population(curvature_prior.fit_spread(*args, mode="mle"))
    assert np.all(sd < 0.02) and np.all(mean > -0.02), (mean, sd)  # the collapse the modes are for
    for mode in ("floor", "integrated"):
        fitted = curvature_prior.fit_spread(*args, mode=mode)
        mean, sd = population(fitted)
        lo, _ = fitted.spread_range
        assert 0.05 < lo < 0.5
        assert np.all(sd >= lo * 0.99) and np.all(mean < -0.1), (mode, mean, sd)
        post_c = curvature_prior.truncated_moments(fitted.means, fitted.covs)[0][:, 1]
        assert np.median(post_c) < -0.1 and np.std(post_c) > 0.01, (mode, np.median(post_c), np.std(post_c))
    with pytest.raises(ValueError):
        curvature_prior.fit_spread(*args, mode="median")


@pytest.mark.parametrize("mode", ["floor", "integrated", "supported"])
def test_products_that_say_nothing_about_curvature_still_get_a_population(mode):
    """A tiny log (few weeks, prices that barely move): every product's evidence sd of c is in the thousands, so the
    data's detection floor clips at the top of the spread range. The modes still fit (the floor kept below the
    parent's upper bound) and the posterior stays finite on c <= 0."""
    _, groups, prior, h, j = _evidence_of(np.random.default_rng(3), 300)
    h, j = h.copy(), j.copy()
    h[:, 1] *= 1e-7  # c's evidence all but gone, and its correlation with b's
    j[:, 1, :] *= 1e-7
    j[:, :, 1] *= 1e-7
    assert curvature_prior.spread_range(j)[0] == curvature_prior.MAX_SD
    fitted = curvature_prior.fit_spread(h, j, groups, 3.0, prior.category_means, prior.spreads[0], mode=mode)
    lo, hi = fitted.spread_range
    assert lo < hi and np.all(np.isfinite(fitted.means)) and np.all(np.isfinite(fitted.covs))
    first, _ = curvature_prior.truncated_moments(fitted.means, fitted.covs)
    assert np.all(first[:, 1] <= 0.0) and np.all(np.isfinite(first))


def _small_log():
    """A small log: every product's curvature a little below 0 (true c [P]) but its own estimate noisy (sd 5-15), so
    the detection floor is wide; returns (c, fit_spread's arguments)."""
    rng = np.random.default_rng(11)
    p = 800
    groups = rng.integers(0, 3, p)
    c = -np.abs(rng.normal(0.0, 0.3, p))
    beta = np.stack([TRUE_NU[groups] + TRUE_SLOPE * c + rng.normal(0.0, 0.3, p), c], axis=1)
    sd_b, sd_c = rng.uniform(0.3, 1.0, p), rng.uniform(5.0, 15.0, p)
    cov = np.zeros((p, 2, 2))
    cov[:, 0, 0], cov[:, 1, 1] = sd_b ** 2, sd_c ** 2
    cov[:, 0, 1] = cov[:, 1, 0] = 0.5 * sd_b * sd_c
    raw = beta + np.einsum("pij,pj->pi", np.linalg.cholesky(cov), rng.standard_normal((p, 2)))
    prior = _normal_prior(raw, np.linalg.inv(cov), groups)
    h, j = curvature_prior.implied_evidence(prior.posterior_mean(), prior.posterior_cov(),
                                            prior.category_means[groups], prior.spreads[0])
    return c, (h, j, groups, 3.0, prior.category_means, prior.spreads[0])


def _population_mean_c(fitted) -> float:
    first, _ = curvature_prior.truncated_moments(fitted.category_means, np.broadcast_to(fitted.spread, (3, 2, 2)))
    return float(np.mean(first[:, 1]))


def test_the_supported_floor_gives_way_where_the_pooled_evidence_rejects_it():
    """On a small log (_small_log) the wide detection floor puts the population's mean far below 0 (on c <= 0 about
    −floor or lower), which the products' pooled evidence (800 of them) rejects. "floor" keeps it and drags the
    curvatures down; "supported" lowers it to one the data do not reject at the 95% level, and its population sits
    near the truth."""
    c, args = _small_log()
    best = curvature_prior.fit_spread(*args, mode="mle").log_likelihood
    floored = curvature_prior.fit_spread(*args, mode="floor")
    supported = curvature_prior.fit_spread(*args, mode="supported")
    detection = floored.spread_range[0]
    assert detection > 1.0  # the wide floor of a small log
    assert _population_mean_c(floored) < -detection * 0.9  # the floor's mean: about −floor or below
    assert best - floored.log_likelihood > curvature_prior.SUPPORT_DROP  # ... which the pooled evidence rejects
    assert supported.spread_range[0] < detection / 2
    assert best - supported.log_likelihood <= curvature_prior.SUPPORT_DROP + 1e-6
    truth = float(np.mean(c))
    assert abs(_population_mean_c(supported) - truth) < abs(_population_mean_c(floored) - truth) / 2
    post_c = curvature_prior.truncated_moments(supported.means, supported.covs)[0][:, 1]
    floor_c = curvature_prior.truncated_moments(floored.means, floored.covs)[0][:, 1]
    assert abs(np.median(post_c) - np.median(c)) < abs(np.median(floor_c) - np.median(c)) / 2


def test_the_plausible_floor_is_no_wider_than_the_demand_forms_allow():
    """On the same small log "plausible" caps the floor at |e| (1 + |e|) / 2 of the population's slope (about 1.4
    here against a detection floor above 2): the population keeps that spread, its mean nearer the truth than the
    floor's; where the detection floor is the narrower (the population away from the boundary) nothing changes."""
    c, args = _small_log()
    floored = curvature_prior.fit_spread(*args, mode="floor")
    plausible = curvature_prior.fit_spread(*args, mode="plausible")
    cap = curvature_prior.plausible_spread(args[4])
    e = abs(float(np.mean(args[4][:, 0])))
    assert cap == pytest.approx(e * (1 + e) / 2) and 0.8 < cap < floored.spread_range[0]
    assert plausible.spread_range[0] == pytest.approx(cap)
    first, second = curvature_prior.truncated_moments(plausible.category_means,
                                                      np.broadcast_to(plausible.spread, (3, 2, 2)))
    assert np.all(np.sqrt(second[:, 1, 1] - first[:, 1] ** 2) >= cap * 0.99)
    truth = float(np.mean(c))
    assert _population_mean_c(floored) < _population_mean_c(plausible) < truth + 0.05


def test_the_plausible_floor_leaves_a_well_measured_population_alone(simulated):
    beta, groups, prior, _ = simulated
    h, j = curvature_prior.implied_evidence(prior.posterior_mean(), prior.posterior_cov(),
                                            prior.category_means[groups], prior.spreads[0])
    args = (h, j, groups, 3.0, prior.category_means, prior.spreads[0])
    floored = curvature_prior.fit_spread(*args, mode="floor")
    plausible = curvature_prior.fit_spread(*args, mode="plausible")
    assert floored.spread_range[0] < curvature_prior.plausible_spread(prior.category_means)
    np.testing.assert_allclose(plausible.category_means, floored.category_means)
    np.testing.assert_allclose(plausible.spread, floored.spread)


def _interval_coverage(means: np.ndarray, covs: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 80% intervals of b and c from the posterior's draws truncated to c <= 0: coverage [2] and the draws'
    mean error [2]."""
    p = len(means)
    post = shrinkage.Prior(np.ones(1), np.zeros((1, 2, 2)), np.zeros((1, 2)), np.zeros(2), means[:, None],
                           covs[:, None], np.ones((p, 1)))
    d = shrinkage.draws(post, 200, 3)
    lo, hi = np.quantile(d, 0.1, axis=1), np.quantile(d, 0.9, axis=1)
    return ((beta >= lo) & (beta <= hi)).mean(axis=0), (d.mean(axis=1) - beta).mean(axis=0)


def test_posterior_intervals_hold_their_level(simulated):
    beta, _, normal, fitted = simulated
    coverage, bias = _interval_coverage(fitted.means, fitted.covs, beta)
    assert np.all(np.abs(coverage - 0.8) < 0.05), coverage
    assert np.all(np.abs(bias) < 0.1), bias
    # The normal prior conditioned on c <= 0 only in the posterior pushes c (and b with it) too far down.
    _, normal_bias = _interval_coverage(normal.posterior_mean(), normal.posterior_cov(), beta)
    assert normal_bias[1] < -0.03 and abs(normal_bias[1]) > 2 * abs(bias[1])


def test_refit_sum_is_the_fit_on_the_parts_sum(simulated):
    beta, groups, normal, fitted = simulated
    rng = np.random.default_rng(7)
    _population(rng, 2000)
    raw, info = _estimates(rng, beta)
    mean, cov, summary = curvature_prior.refit_sum([normal], [(raw, info)], normal.posterior_mean(),
                                                   normal.posterior_cov(), groups, 3.0)
    assert summary["parent_sd"][1] == pytest.approx(TRUE_SD_C, abs=0.15)
    coverage, bias = _interval_coverage(mean, cov, beta)
    assert np.all(np.abs(coverage - 0.8) < 0.05) and np.all(np.abs(bias) < 0.1), (coverage, bias)
    with pytest.raises(ValueError):
        mixture = shrinkage.fit(raw, info, groups, kappa=3.0, components=2)
        curvature_prior.refit_sum([mixture], [(raw, info)], mean, cov, groups, 3.0)


def test_the_switch_in_price_response_learns_the_sums_population_on_c_below_zero():
    """posterior(truncated_curvature=True): two parts whose own curvatures say little (half of them above 0), the sum's
    curvature near 0. The committed posterior's wide normal conditioned on c <= 0 reads c far too negative; the
    switch's population on c <= 0 keeps the posteriors' c near the truth, with draws on c <= 0."""
    from pricing_training import price_response

    rng = np.random.default_rng(4)
    p = 400
    groups = np.repeat(np.arange(4), p // 4)
    truth_n = np.column_stack([rng.normal(-0.8, 0.3, p), -np.abs(rng.normal(0.0, 0.2, p))])
    truth_s = np.column_stack([rng.normal(-0.2, 0.1, p), np.zeros(p)])
    sd_c = rng.uniform(0.5, 4.0, p)  # the curvature poorly known, as when a product's prices barely move
    info_n = np.zeros((p, 2, 2))
    info_n[:, 0, 0], info_n[:, 1, 1] = 1.0 / 0.3 ** 2, 1.0 / sd_c ** 2
    info_s = np.tile(np.diag([1.0 / 0.2 ** 2, 1.0 / 2.0 ** 2]), (p, 1, 1))
    raw_n = truth_n + np.column_stack([rng.normal(0, 0.3, p), rng.normal(0, sd_c)])
    raw_s = truth_s + np.column_stack([rng.normal(0, 0.2, p), rng.normal(0, 2.0, p)])
    own = price_response.OwnEstimates([f"{40000 + i}" for i in range(p)], groups, raw_n, info_n, raw_s, info_s)
    committed = price_response.posterior(own, price_response.ResponseConfig(draws=64, truncated_curvature=False))
    switched = price_response.posterior(own, price_response.ResponseConfig(draws=64, truncated_curvature=True,
                                                                          truncated_curvature_spread="mle"))
    assert "truncated_curvature" not in committed.summary and "truncated_curvature" in switched.summary
    assert np.all(switched.draws[:, :, 1] <= 0.0) and np.all(np.isfinite(switched.draws))
    true_c = truth_n[:, 1] + truth_s[:, 1]
    err_committed = np.median(committed.mean[:, 1] - true_c)
    err_switched = np.median(switched.mean[:, 1] - true_c)
    assert err_committed < -0.3 and abs(err_switched) < abs(err_committed) - 0.1, (err_committed, err_switched)
    with pytest.raises(ValueError):
        price_response.posterior(own, price_response.ResponseConfig(truncated_curvature=True, part_correlation=0.5))
    floored = price_response.posterior(own, price_response.ResponseConfig(draws=64, truncated_curvature=True,
                                                                          truncated_curvature_spread="floor"))
    assert floored.summary["truncated_curvature"]["spread_mode"] == "floor"
    assert floored.summary["truncated_curvature"]["population_sd_c"] >= floored.summary["truncated_curvature"][
        "spread_range"][0] * 0.99
    assert np.all(floored.draws[:, :, 1] <= 0.0) and np.all(np.isfinite(floored.draws))
    for bad in ({"truncated_curvature": False, "truncated_curvature_slope": True},
                {"truncated_curvature": True, "truncated_curvature_spread": "x"}):
        with pytest.raises(ValueError):
            price_response.ResponseConfig(**bad)
