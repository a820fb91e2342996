"""The loop's starting posterior is the service's: the truncated normal carried as its parent (start.Start), drawn
truncated once, updated as its parent, and cached with the parent's mean (docs/learning-loop.md, branch loopstart)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pricing_training import curvature_prior, price_response, weekly
from pricing_training.cleaning import clean
from pricing_training.loop import start as start_mod, update

from test_loop_world import ToyWorld

CFG = price_response.ResponseConfig(trees=20, folds=2, draws=64)
TOY_SEED = 2  # the seed test_loop_world fits (seed 4 hits curvature_prior.fit_spread's floor above its ceiling)


def parent_start(p: int, rng, parent_c: float = 4.4, sd_c: float = 1.7, with_parent: bool = True) -> start_mod.Start:
    """A start whose parent normal has c far above 0 (as the scenario worlds' fits under the truncated curvature
    population: linear-moderate seed 1's median parent c is +4.4, SD 1.7), b correlated with c; `mean` is the
    truncated normal's mean, as price_response.posterior gives it."""
    parent = np.column_stack([rng.normal(-1.0, 0.3, p), np.full(p, parent_c)])
    cov = np.tile(np.array([[0.5 ** 2, 0.3 * 0.5 * sd_c], [0.3 * 0.5 * sd_c, sd_c ** 2]]), (p, 1, 1))
    first, _ = curvature_prior.truncated_moments(parent, cov)
    return start_mod.Start(index=np.arange(p), stockcodes=np.array([f"{30000 + i}" for i in range(p)]), mean=first,
                           cov=cov, ref=np.zeros(p), delta0=rng.uniform(-0.2, 0.2, p), scale=np.ones(p),
                           units=rng.uniform(50, 100, p), revenue=rng.uniform(50, 100, p),
                           season_revenue=rng.uniform(1e3, 2e3, p), season_listed=np.ones(p, bool),
                           groups=np.arange(p) % 3, week_monday=4 + 7 * np.arange(53),
                           weekly_units=rng.uniform(50, 100, (p, 53)), weekly_revenue=rng.uniform(50, 100, (p, 53)),
                           parent_mean=parent if with_parent else None)


def test_the_week_0_draws_are_the_truncated_posterior_not_a_second_truncation():
    rng = np.random.default_rng(1)
    start = parent_start(200, rng)
    first, second = curvature_prior.truncated_moments(start.parent_mean, start.cov)
    sd = np.sqrt(second[:, [0, 1], [0, 1]] - first * first)
    post0 = update.starting(start, seed=3)
    got = post0.draws.mean(axis=1)
    assert np.all(np.abs(got - start.mean) <= 4 * sd / np.sqrt(post0.draws.shape[1]) + 1e-6)
    np.testing.assert_allclose(post0.moments()[0], first, atol=1e-9)
    # The posterior's own spread is the truncated one, well below the parent's in c.
    assert np.all(np.sqrt(post0.moments()[1][:, 1, 1]) < 0.5 * np.sqrt(start.cov[:, 1, 1]))
    # Read as before (no parent), the truncated mean is truncated again: c is dragged far below the posterior's.
    old = update.starting(parent_start(200, np.random.default_rng(1), with_parent=False), seed=3)
    assert np.median(old.draws[:, :, 1].mean(axis=1)) < np.median(start.mean[:, 1]) - 0.5


def test_a_gaussian_update_of_the_parent_is_the_truncated_posteriors_update():
    # The loop's evidence about the slope e = b + 2cΔ0 (a normal likelihood) applied to the truncated start by
    # importance weights on many of its draws gives the same posterior mean as the parent's conjugate update drawn
    # truncated.
    rng = np.random.default_rng(2)
    start = parent_start(40, rng)
    slope = rng.normal(-1.8, 0.2, 40)
    info = np.full(40, 4.0)  # SE 0.5 of each product's slope estimate
    post = update.posterior(start, slope, info, relearn=False)
    many = update.normal_draws(start.parent_mean, start.cov, 20000, seed=5)
    e = many[:, :, 0] + 2.0 * many[:, :, 1] * start.delta0[:, None]
    w = np.exp(-0.5 * info[:, None] * (e - slope[:, None]) ** 2)
    weighted = np.einsum("ps,psk->pk", w, many) / w.sum(axis=1)[:, None]
    np.testing.assert_allclose(post.moments()[0], weighted, atol=0.02)


def test_without_a_parent_the_loop_reads_mean_and_cov_as_before():
    start = parent_start(30, np.random.default_rng(3), with_parent=False)
    mean, cov = start.normal()
    assert mean is start.mean and cov is start.cov
    assert start.moments()[0] is start.mean
    post = update.starting(start)
    assert not post.parent and post.moments()[1] is post.cov
    np.testing.assert_allclose(post.mean, start.mean, atol=1e-9)


@pytest.fixture(scope="module")
def toy_fit():
    """The service's posterior and the loop's start fit on the same toy training year (the same settings)."""
    world = ToyWorld(TOY_SEED)
    cleaned, _ = clean(world.training_lines())
    panel = weekly.build(cleaned)
    own, _ = price_response.own_estimates(panel, CFG)
    response = price_response.posterior(own, CFG)
    start = start_mod.fit_panel(cleaned, panel, world.products, world.current_prices, CFG)
    return response, start


def test_the_loops_start_reproduces_the_services_draws(toy_fit):
    response, start = toy_fit
    assert response.parent_mean is not None and start.parent_mean is not None
    keep = np.array([response.stockcodes.index(c) for c in start.stockcodes])
    service = response.draws[keep]
    loop = update.starting(start, seed=7).draws
    first, second = curvature_prior.truncated_moments(start.parent_mean, start.cov)
    sd = np.sqrt(np.maximum(second[:, [0, 1], [0, 1]] - first * first, 1e-12))
    # Both are 64 stratified draws of the same truncated normal: their means agree within Monte Carlo error...
    tolerance = 6 * sd / np.sqrt(loop.shape[1]) + 1e-6
    assert np.all(np.abs(loop.mean(axis=1) - service.mean(axis=1)) <= tolerance)
    # ...and so do their spreads, product by product and in the median.
    ratio = loop.std(axis=1) / np.maximum(service.std(axis=1), 1e-12)
    assert np.all((0.6 < ratio) & (ratio < 1.6)), ratio
    assert np.all(np.abs(np.median(ratio, axis=0) - 1.0) < 0.1)


def test_the_cache_keeps_the_parent_and_an_older_cache_is_fitted_again(toy_fit, tmp_path):
    _, start = toy_fit
    start.save(tmp_path / "a.npz")
    again = start_mod.Start.load(tmp_path / "a.npz")
    np.testing.assert_array_equal(again.parent_mean, start.parent_mean)
    without = parent_start(5, np.random.default_rng(5), with_parent=False)
    without.save(tmp_path / "b.npz")
    assert start_mod.Start.load(tmp_path / "b.npz").parent_mean is None
    # A cache written before the parent was carried (no parent_mean) under the same key is fitted again, not read
    # with its truncated mean taken for the parent's.
    folder = tmp_path / "seed"
    folder.mkdir()
    old = {k: v for k, v in np.load(tmp_path / "a.npz").items() if k != "parent_mean"}
    np.savez(folder / "start.npz", **old)
    key = {"world": "toy", "seed": TOY_SEED}
    (folder / "start.json").write_text(json.dumps(key))
    world = ToyWorld(TOY_SEED)
    fitted = start_mod.cached(world, folder, CFG, key)
    assert fitted.parent_mean is not None
    np.testing.assert_allclose(fitted.parent_mean, start.parent_mean)
    assert "parent_mean" in np.load(folder / "start.npz").files
