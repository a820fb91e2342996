"""The weekly posterior update and the test plan on synthetic data with a known elasticity (no fit, no world)."""

from __future__ import annotations

import numpy as np

from pricing_training import decision
from pricing_training.loop import batch_decision, update
from pricing_training.loop.plan import TEST, PlanConfig
from pricing_training.loop.plan import TestProgram as Program
from pricing_training.loop.start import Start

TRUE_B, TRUE_C = -2.0, -0.5


def synthetic_start(p: int, rng, mean_b: float = -1.0, sd: float = 0.6) -> Start:
    """A starting posterior that is wrong (b = −1 ± 0.6 where the truth is −2) and products with known sales."""
    return Start(index=np.arange(p), stockcodes=np.array([f"{20000 + i}" for i in range(p)]),
                 mean=np.tile([mean_b, -0.3], (p, 1)), cov=np.tile(np.diag([sd ** 2, 0.3 ** 2]), (p, 1, 1)),
                 ref=np.zeros(p), delta0=np.zeros(p), scale=np.ones(p), units=rng.uniform(100, 300, p), revenue=rng.uniform(100, 300, p), season_revenue=rng.uniform(2e3, 8e3, p),
                 season_listed=np.ones(p, bool),
                 groups=np.arange(p) % 4, week_monday=4 + 7 * np.arange(53), weekly_units=rng.uniform(100, 300, (p, 53)),
                 weekly_revenue=rng.uniform(100, 300, (p, 53)))


def weeks_of_tests(start: Start, weeks: int, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Units at three cycling prices (±10%), a common seasonal level, overdispersed sales."""
    p = len(start.units)
    arms = np.log([1.0, 1.1, 0.9])
    phase = rng.integers(0, 3, p)
    delta = np.array([arms[(phase + t) % 3] for t in range(weeks)])
    season = np.log(1 + 0.3 * np.sin(np.arange(weeks) / 4.0))[:, None]
    mean = start.units[None, :] * np.exp(season + TRUE_B * delta + TRUE_C * delta ** 2)
    units = rng.poisson(mean * rng.gamma(50.0, 1 / 50.0, mean.shape)).astype(float)
    level = np.array([update.week_levels(units[t], delta[t], start) for t in range(weeks)])
    return units, delta, level


def test_update_recovers_a_known_elasticity_and_narrows_the_posterior():
    rng = np.random.default_rng(5)
    start = synthetic_start(400, rng)
    units, delta, level = weeks_of_tests(start, 26, rng)
    slope, info = update.loop_estimates(units, delta, level, start)
    assert abs(np.median(slope) - TRUE_B) < 0.25
    post = update.posterior(start, slope, info)
    # The prior re-learned across products moves every product from −1 toward −2, and the data narrow it.
    assert abs(np.mean(post.mean[:, 0]) - TRUE_B) < 0.15
    assert np.median(post.cov[:, 0, 0]) < 0.5 * start.cov[0, 0, 0]
    assert np.all(post.draws[:, :, 1] <= 0)
    # Without loop data the posterior is the start.
    same = update.starting(start)
    np.testing.assert_allclose(same.mean, start.mean, atol=1e-9)


def test_same_weeks_give_the_same_posterior():
    rng = np.random.default_rng(6)
    start = synthetic_start(100, rng)
    units, delta, level = weeks_of_tests(start, 10, rng)
    a = update.posterior(start, *update.loop_estimates(units, delta, level, start))
    b = update.posterior(start, *update.loop_estimates(units.copy(), delta.copy(), level.copy(), start))
    np.testing.assert_array_equal(a.draws, b.draws)


def test_update_for_4000_products_draws_every_product():
    # Its time (issue 21's budget, 5 s) is measured by `make bench` (scripts/bench_loop_update.py), not here.
    rng = np.random.default_rng(7)
    start = synthetic_start(4000, rng)
    units, delta, level = weeks_of_tests(start, 26, rng)
    post = update.posterior(start, *update.loop_estimates(units, delta, level, start))
    assert post.draws.shape[0] == 4000 and np.isfinite(post.draws).all()
    assert np.isfinite(post.cov).all() and np.median(post.cov[:, 0, 0]) < start.cov[0, 0, 0]


def test_batch_rule_matches_decision_decide():
    rng = np.random.default_rng(8)
    start = synthetic_start(6, rng, mean_b=-1.6, sd=0.2)
    post = update.starting(start, seed=1)
    p0 = np.full(6, 2.0)
    batch = batch_decision.decide(post.draws, start.ref, p0, p0 * 0.8, p0 * 1.2, points=241)
    for i in range(6):
        resp = decision.ProductResponse(0.0, post.draws[i], 2.0, (1.6, 2.4), 1.0)
        one = decision.decide(resp, 1.0, 1.6, 2.4)
        assert np.isclose(batch.price[i], one["optimal_unit_price"])
        assert batch.change[i] == (one["decision"] == "change")


def test_plan_guardrails_share_delta_and_revenue_at_risk():
    rng = np.random.default_rng(9)
    p = 200
    # sd 0.3: the arms pass the loss guardrail (at sd 0.8 around b = −1 both arms risk a 5% loss with probability
    # 0.29 and no test may start)
    start = synthetic_start(p, rng, mean_b=-1.0, sd=0.3)
    post = update.starting(start, seed=2)
    p0 = np.round(rng.uniform(1, 20, p), 2)
    start.ref = np.log(p0)
    cfg = PlanConfig(delta=0.15, max_change=0.12)
    program = Program(start, p0, p, cfg, seed=3)
    for week in range(4):
        posted, rows = program.plan(week, post)
        testing = program.status == TEST
        assert 0 < testing.sum() <= int(0.2 * p)
        assert np.all(np.abs(posted[testing] / p0[testing] - 1) <= 0.12 + 0.005)  # δ cut to the max change
        change, _ = batch_decision.arm_risk(post.draws, start.ref, p0, posted[:, None], cfg.stop_loss)
        at_risk = float((-change[testing, 0] * start.revenue[testing]).sum())
        assert at_risk <= cfg.risk_budget * start.revenue[testing].sum() + 1e-9
        assert len(rows) == p and rows["probability"].between(0, 1).all()


def budget_case(p: int = 60):
    """Products whose posterior says a lower price pays (b around −1.8) with spreads from sure to vague, and
    revenues from small to large."""
    rng = np.random.default_rng(11)
    start = synthetic_start(p, rng, mean_b=-1.8, sd=0.1)
    start.cov[:, 0, 0] = np.linspace(0.01, 1.5, p) ** 2
    post = update.starting(start, seed=4)
    p0 = np.full(p, 2.0)
    start.ref = np.log(p0)
    start.delta0 = np.zeros(p)
    return start, post, p0, rng.uniform(10, 1000, p)


def _loss_share(post, start, p0, price):
    value = price[:, None] * batch_decision.multipliers(post.draws, start.ref, price[:, None])[:, :, 0]
    now = p0[:, None] * batch_decision.multipliers(post.draws, start.ref, p0[:, None])[:, :, 0]
    return (value < 0.98 * now).mean(axis=1)


def test_harm_budget_bounds_the_expected_share_of_losers_and_spends_it_where_revenue_is():
    start, post, p0, revenue = budget_case()
    lo, hi = p0 * 0.8, p0 * 1.2
    free, moved_free = batch_decision.budgeted(post.draws, start.ref, p0, lo, hi, revenue, harm_budget=1.0)
    # Without a binding budget every product moves to its posterior's revenue-best price (down: b < −1).
    best = batch_decision.decide(post.draws, start.ref, p0, lo, hi).best
    assert moved_free.all() and np.allclose(free, best)
    for budget in (0.0, 0.05, 0.2):
        price, moved = batch_decision.budgeted(post.draws, start.ref, p0, lo, hi, revenue, harm_budget=budget)
        assert _loss_share(post, start, p0, price).mean() <= budget + 1e-9
        assert np.all(price <= p0 + 1e-12) and moved.any()
    # A tighter budget moves less: the mean distance from today's price shrinks with it.
    tight, _ = batch_decision.budgeted(post.draws, start.ref, p0, lo, hi, revenue, harm_budget=0.02)
    loose, _ = batch_decision.budgeted(post.draws, start.ref, p0, lo, hi, revenue, harm_budget=0.2)
    assert np.abs(np.log(tight / p0)).sum() < np.abs(np.log(loose / p0)).sum()
    # Of two products with the same posterior, the bigger seller gets the riskier (bigger) move.
    twin_rev = revenue.copy()
    twin_rev[30], twin_rev[31] = 1000.0, 10.0
    post.draws[31] = post.draws[30]
    twin, _ = batch_decision.budgeted(post.draws, start.ref, p0, lo, hi, twin_rev, harm_budget=0.05)
    assert twin[30] <= twin[31]


def test_the_plan_prices_products_outside_tests_under_the_harm_budget():
    start, post, p0, revenue = budget_case(40)
    start.revenue = revenue
    rule = Program(start, p0, 40, PlanConfig(share=0.0), seed=1)
    budget = Program(start, p0, 40, PlanConfig(share=0.0, decision="budget", harm_budget=0.02, decision_spread=1.0),
                     seed=1)
    by_rule, _ = rule.plan(0, post)
    by_budget, rows = budget.plan(0, post)
    expected, _ = batch_decision.budgeted(post.draws, start.ref, p0, p0 * 0.8, p0 * 1.2, revenue, 0.02)
    np.testing.assert_allclose(by_budget, expected.round(2))
    assert (rows["arm"] == "rule").all() and not np.allclose(by_rule, by_budget)
    try:
        Program(start, p0, 40, PlanConfig(decision="bold"), seed=1).plan(0, post)
    except ValueError as err:
        assert "bold" in str(err)
    else:
        raise AssertionError("an unknown decision was accepted")


def test_the_prior_is_relearned_only_from_the_tests_it_is_told_to_learn_from():
    rng = np.random.default_rng(12)
    start = synthetic_start(200, rng)
    units, delta, level = weeks_of_tests(start, 20, rng)
    slope, info = update.loop_estimates(units, delta, level, start)
    everyone = update.posterior(start, slope, info)
    nobody = update.posterior(start, slope, info, learn_from=np.zeros(200, bool))
    half = update.posterior(start, slope, info, learn_from=np.arange(200) % 2 == 0)
    assert np.abs(everyone.bias[:, 0]).max() > 0.3  # the truth (−2) is far from the start (−1): a correction
    assert np.all(nobody.bias == 0)
    assert abs(np.mean(half.bias[:, 0]) - np.mean(everyone.bias[:, 0])) < 0.3


def test_a_share_of_new_tests_is_drawn_at_random_and_marked():
    rng = np.random.default_rng(13)
    start = synthetic_start(300, rng, mean_b=-1.0, sd=0.3)
    post = update.starting(start, seed=2)
    p0 = np.round(rng.uniform(1, 20, 300), 2)
    start.ref = np.log(p0)
    program = Program(start, p0, 300, PlanConfig(random_test_share=0.5, decision="rule"), seed=3)
    program.plan(0, post)
    tested = program.status == TEST
    assert program.random_pick[tested].any() and not program.random_pick[~tested].any()
    assert 0.2 < program.random_pick[tested].mean() < 0.8
    plain = Program(start, p0, 300, PlanConfig(decision="rule"), seed=3)
    plain.plan(0, post)
    assert not plain.random_pick.any()


def test_a_product_tells_its_slope_only_after_a_full_cycle_of_the_arms():
    # With its level profiled out, two weeks fit the line exactly: such an estimate carries no information.
    rng = np.random.default_rng(14)
    start = synthetic_start(60, rng)
    units, delta, level = weeks_of_tests(start, 6, rng)
    level[2:, :20] = np.nan  # 20 products with two usable weeks
    level[3:, 20:40] = np.nan  # 20 with three
    _, info = update.loop_estimates(units, delta, level, start)
    assert np.all(info[:20] == 0) and np.all(info[20:] > 0)


def test_the_correction_learns_the_catalogue_bias_and_counts_the_estimates_excess_noise():
    """Estimates noisier than their stated information (extra variance 4) around a truth 1.0 above a starting
    posterior that is otherwise calibrated: the correction finds μ and τ², and the posterior's 80% intervals hold the
    truth for about 80% of products, tested or not."""
    rng = np.random.default_rng(15)
    p = 600
    start = synthetic_start(p, rng, mean_b=-2.0, sd=0.5)
    start.mean[:, 0] = rng.normal(-2.0, 0.3, p)
    truth = start.mean[:, 0] + 1.0 + rng.normal(0.0, 0.5, p)
    slope_info = np.where(np.arange(p) < 300, rng.uniform(0.05, 2.0, p), 0.0)  # half the products tested
    noise = np.sqrt(1.0 / np.maximum(slope_info, 1e-12) + 4.0)
    slope = np.where(slope_info > 0, truth + noise * rng.normal(size=p), 0.0)
    fit = update.correction(slope[:300] - start.mean[:300, 0], 0.25 + 1.0 / slope_info[:300], np.zeros(300, np.int64), 1)
    assert abs(fit.mu - 1.0) < 0.35 and 2.0 < fit.tau2 < 7.0 and fit.var[0] < 0.1
    post = update.posterior(start, slope, slope_info, seed=3)
    assert np.allclose(post.bias[:, 0], fit.mean[0]) and post.extra[0, 0] == fit.tau2
    assert np.all(post.info[:300, 0, 0] < slope_info[:300])  # each product's own information counts less
    e = batch_decision.elasticity_draws(post.draws, start.ref, np.exp(start.ref + start.delta0))
    inside = (truth >= np.quantile(e, 0.1, axis=1)) & (truth <= np.quantile(e, 0.9, axis=1))
    assert 0.7 <= inside[:300].mean() <= 0.9 and 0.7 <= inside[300:].mean() <= 0.9
    # Taking the estimates at their stated information (no τ²) would make the tested products' intervals too narrow.
    naive = start.cov.copy()
    naive[:, 0, 0] += fit.var[0]
    prec = 1.0 / naive[:300, 0, 0] + slope_info[:300]
    m = ((start.mean[:300, 0] + fit.mu) / naive[:300, 0, 0] + slope_info[:300] * slope[:300]) / prec
    naive_inside = np.abs(truth[:300] - m) <= 1.2816 / np.sqrt(prec)
    assert naive_inside.mean() < inside[:300].mean() - 0.1


def test_no_test_starts_on_a_product_whose_arms_the_loss_guardrail_would_drop_at_once():
    rng = np.random.default_rng(16)
    p = 200
    start = synthetic_start(p, rng, mean_b=-1.0, sd=0.3)
    start.cov[100:, 0, 0] = 3.0 ** 2  # so vague that both ±10% arms risk losing over 5% with probability > 0.2
    post = update.starting(start, seed=2)
    p0 = np.round(rng.uniform(1, 20, p), 2)
    start.ref = np.log(p0)
    program = Program(start, p0, p, PlanConfig(share=1.0, decision="rule", risk_budget=1.0), seed=3)
    _, p_loss = batch_decision.arm_risk(post.draws, start.ref, p0, program.arm_prices, 0.05)
    assert (p_loss[100:, 1:] > 0.2).all(axis=1).mean() > 0.9
    program.plan(0, post)
    started = program.status != 0
    assert started[:100].any()
    assert not (started & (p_loss[:, 1:] > 0.2).all(axis=1)).any()
    # A test keeps only the arms that pass the guardrail when it starts.
    testing = program.status == TEST
    assert np.array_equal(program.allowed[testing, 1:], p_loss[testing, 1:] <= 0.2)


def test_the_correction_prior_keeps_weak_tests_from_moving_the_catalogue():
    """Tests that tell little (SE 6 a product, as at a line or two a week) of a catalogue whose starting posterior is
    right: a flat prior on the shared correction moves every product by its noise and widens every interval; the
    correction prior (N(0, (0.5 × the median starting SD)²)) keeps the posterior near the start. With informative
    tests of a real shared error, the correction is still learned."""
    rng = np.random.default_rng(17)
    p = 300
    start = synthetic_start(p, rng, mean_b=-1.5, sd=0.5)
    truth = start.mean[:, 0] + rng.normal(0.0, 0.5, p)
    weak = np.where(np.arange(p) < 80, 1.0 / 36.0, 0.0)
    shifts = {"flat": [], "prior": []}
    for draw in range(6):
        noise = np.random.default_rng(100 + draw).normal(size=p)
        slope = np.where(weak > 0, truth + 6.0 * noise, 0.0)
        shifts["flat"].append(update.posterior(start, slope, weak).bias[0, 0])
        prior = update.posterior(start, slope, weak, correction_prior=0.5)
        shifts["prior"].append(prior.bias[0, 0])
        assert prior.cov[0, 0, 0] <= start.cov[0, 0, 0] + 0.25 ** 2 + 1e-9  # at most the prior's own variance added
    assert np.sqrt(np.mean(np.square(shifts["prior"]))) < 0.4 * np.sqrt(np.mean(np.square(shifts["flat"])))
    strong = np.where(np.arange(p) < 200, 4.0, 0.0)
    slope = np.where(strong > 0, truth + 1.0 + rng.normal(size=p) / 2.0, 0.0)
    learned = update.posterior(start, slope, strong, correction_prior=0.5)
    assert 0.7 < learned.bias[0, 0] < 1.1
