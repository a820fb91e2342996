"""The posterior's width checked on held-out evidence (prior_checks.revisions_extra_spread): the list-price
revisions' own estimates of the orders part, which the weekly fit's errors do not share, must fall as far from the
weekly fit's posterior as its width says; whatever they miss by is the spread the posterior lacks."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from pricing_training import price_response, priced_right, prior_checks, revisions, shrinkage


def _own_with_revisions(p: int = 240, seed: int = 7) -> price_response.OwnEstimates:
    """p products in 4 categories whose true b spreads by sd 0.5 around -1: a weekly fit with stated (and true)
    errors sd (0.5, 2.0) on (b, c) and revisions with sd 0.3 on b (nothing on c), errors independent."""
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(4), p // 4)
    truth = np.array([-1.0, -0.5]) + rng.normal(0.0, [0.5, 0.3], (p, 2))
    info_w = np.tile(np.diag([4.0, 0.25]), (p, 1, 1))
    raw_w = truth + rng.normal(0.0, [0.5, 2.0], (p, 2))
    info_e = np.zeros((p, 2, 2))
    info_e[:, 0, 0] = 1.0 / 0.3 ** 2
    raw_e = np.zeros((p, 2))
    raw_e[:, 0] = truth[:, 0] + rng.normal(0.0, 0.3, p)
    info_n = info_w + info_e
    h = np.einsum("pij,pj->pi", info_w, raw_w) + np.einsum("pij,pj->pi", info_e, raw_e)
    raw_n = np.linalg.solve(info_n, h[..., None])[..., 0]
    size = np.tile(np.eye(2) * 4.0, (p, 1, 1))
    return price_response.OwnEstimates([f"{30000 + i}" for i in range(p)], groups, raw_n, info_n,
                                       np.zeros((p, 2)), size, revisions_raw_n=raw_e, revisions_info_n=info_e)


def _orders_prior(own: price_response.OwnEstimates, spread_sd: float) -> shrinkage.Prior:
    """A normal orders prior with the given between-product sd of b (a prior learned too narrow or about right)."""
    raw_w, info_w = prior_checks.weekly_fit_estimates(own)
    fitted = shrinkage.fit(raw_w, info_w, own.groups, kappa=3.0)
    spreads = fitted.spreads.copy()
    spreads[0, 0, 0] = spread_sd ** 2
    spreads[0, 0, 1] = spreads[0, 1, 0] = 0.0
    return dataclasses.replace(fitted, spreads=spreads)


def test_the_revisions_find_the_spread_the_weekly_posterior_misses():
    """Under a prior of the true spread (sd 0.5) the revisions fall as far from the weekly posterior as its width
    says: the check adds about nothing. Under a prior far too narrow (sd 0.1, the posterior sd of b about 0.1
    where it should be about 0.35) it adds about the missing sd."""
    own = _own_with_revisions()
    tau_honest = prior_checks.revisions_extra_spread(own, _orders_prior(own, 0.5), own.groups)
    tau_narrow = prior_checks.revisions_extra_spread(own, _orders_prior(own, 0.1), own.groups)
    assert tau_honest <= 0.1, tau_honest
    assert 0.2 <= tau_narrow <= 0.5, tau_narrow


def test_the_width_check_widens_every_posterior_draw_of_b_and_needs_revisions():
    """price_response.posterior with revision_width_check: each product's variance of b grows by the checked τ²
    (the same τ for all, in its summary); without revisions there is nothing to check and nothing changes."""
    own = _own_with_revisions(p=80)
    own = dataclasses.replace(own, raw_n=own.raw_n * 3.0)  # every product spread far beyond its errors
    cfg = price_response.ResponseConfig(draws=8, prior_split_check=False)
    base = price_response.posterior(own, cfg)
    checked = price_response.posterior(own, dataclasses.replace(cfg, revision_width_check=True))
    tau = checked.summary["extra_spread"]
    assert tau > 0.0
    np.testing.assert_allclose(checked.cov[:, 0, 0], base.cov[:, 0, 0] + tau * tau, rtol=1e-9)
    np.testing.assert_allclose(checked.cov[:, 1, 1], base.cov[:, 1, 1], rtol=1e-9)
    assert np.all(checked.draws[:, :, 1] <= 0.0)
    assert np.median(checked.draws[:, :, 0].std(axis=1)) > np.median(base.draws[:, :, 0].std(axis=1))
    bare = dataclasses.replace(own, revisions_raw_n=None, revisions_info_n=None)
    assert prior_checks.revisions_extra_spread(bare, _orders_prior(own, 0.5), own.groups) == 0.0
    unchecked = price_response.posterior(bare, dataclasses.replace(cfg, revision_width_check=True))
    assert "extra_spread" not in unchecked.summary
    with pytest.raises(ValueError):
        price_response.posterior(own, dataclasses.replace(cfg, extra_spread=-0.1))


def test_the_revisions_line_sizes_recover_the_size_response_against_the_markets_mix():
    """60 products revised by ±10-25% at week 20 and 6 never revised; each line's log size = its customer's usual
    size + a market-wide drift of +0.2 after week 20 + b_s · Δ + noise (sd 0.5), b_s = -0.6. revisions.size_estimates
    reads the step's change net of the market's other products and the customer's usual size, so the drift and the
    customers' mix do not count: the information-weighted mean of the products' b is near -0.6."""
    rng = np.random.default_rng(1)
    weeks = np.arange(40)
    frames, line_frames = [], []
    codes = [f"P{k}" for k in range(60)] + [f"F{k}" for k in range(6)]
    for code in codes:
        step = rng.choice([-1, 1]) * rng.uniform(0.10, 0.25) if code.startswith("P") else 0.0
        delta = np.where(weeks >= 20, step, 0.0)
        n = rng.poisson(6.0, len(weeks)) + 1
        frames.append(pd.DataFrame({"stockcode": code, "week": weeks, "delta": delta, "lines": n.astype(float),
                                    "observed": True, "desc_keyword": "MUG"}))
        week = np.repeat(weeks, n)
        customer = rng.normal(0.0, 1.0, len(week))
        log_q = customer + 0.2 * (week >= 20) - 0.6 * delta[week] + rng.normal(0.0, 0.5, len(week))
        line_frames.append(pd.DataFrame({"stockcode": code, "week": week, "log_quantity": log_q,
                                         "customer_size": np.where(rng.random(len(week)) < 0.8, customer, np.nan)}))
    rows, lines = pd.concat(frames, ignore_index=True), pd.concat(line_frames, ignore_index=True)
    raw, info, count = revisions.size_estimates(rows, lines, codes, prior_sd=5.0)
    assert count == 60
    assert np.all(info[60:] == 0.0)
    weighted = (info[:, 0, 0] * raw[:, 0]).sum() / info[:, 0, 0].sum()
    assert weighted == pytest.approx(-0.6, abs=0.25)


def test_the_share_of_prices_already_right_is_learned_where_the_products_data_can_tell():
    """400 products, 40% of them priced right (elasticity at p0 within sd 0.1 of -1), the rest spread by sd 0.8
    around -1.5; each product's posterior of (b, c) has sd 0.15 on b. With data that precise the EM finds the share
    and puts each product in its component; the mixture's draws of a product priced right have their elasticity at
    p0 near -1. Where the data say little (sd 3), the Bayes factors are flat: the share is not identified (what the
    shop scenarios show, docs/price-response.md)."""
    rng = np.random.default_rng(4)
    p = 400
    right = rng.random(p) < 0.4
    delta0 = rng.uniform(-0.2, 0.2, p)
    c = np.full(p, -0.5)
    e0 = np.where(right, -1.0 + rng.normal(0.0, 0.1, p), -1.5 + rng.normal(0.0, 0.8, p))
    b = e0 - 2.0 * c * delta0
    prior_mean = np.tile([-1.3, -0.5], (p, 1))
    prior_cov = np.diag([0.8 ** 2, 0.05 ** 2])
    for sd, identified in ((0.15, True), (3.0, False)):
        cov = np.tile(np.diag([sd ** 2, 0.05 ** 2]), (p, 1, 1))
        mean = np.column_stack([b + rng.normal(0.0, sd, p), c])
        # The posterior under the learned prior (normal-normal in b).
        post_cov = np.linalg.inv(np.linalg.inv(cov) + np.linalg.inv(prior_cov)[None])
        post_mean = np.einsum("pij,pj->pi", post_cov, np.einsum("pij,pj->pi", np.linalg.inv(cov), mean)
                              + np.linalg.solve(prior_cov, prior_mean.T).T)
        mixed, summary = priced_right.mixture(post_mean, post_cov, prior_mean, prior_cov, delta0)
        r = mixed.responsibilities[:, 1]
        if identified:
            assert abs(summary["share"] - right.mean()) < 0.1, summary
            assert r[right].mean() > 0.6 > 0.3 > r[~right].mean()
            draws = shrinkage.draws(mixed, 64, seed=0)
            e_draws = draws[:, :, 0] + 2.0 * draws[:, :, 1] * delta0[:, None]
            sure = np.argsort(r)[-30:]
            assert np.all(np.abs(np.median(e_draws[sure], axis=1) + 1.0) < 0.3)
        else:
            assert r.std() < 0.1, r.std()  # every product gets about the same weight: nothing told apart
