"""The loop's world protocol, ledger and one short closed loop on a toy world written here (not retail_worlds):
a world loads by module path, bad specs are refused, a resubmitted week changes nothing, every assignment is
recorded with its probability, and test prices stay within the guardrails."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pricing_training import price_response
from pricing_training.loop import run, start as start_mod, update
from pricing_training.loop.ledger import Ledger, write_week_csv
from pricing_training.loop.plan import PlanConfig
from pricing_training.loop.policies import Loop
from pricing_training.loop.world import WeekOutcome, WorldError, load

N = 60
FIRST = pd.Timestamp("2011-01-03")


class ToyWorld:
    """Products with ln E[units] = ln λ_i + b_i ln(p / p_i) − ln(p / p_i)² / 2, one line per unit; a training year
    with almost no price variation, so tests are worth running."""

    def __init__(self, seed: int):
        rng = np.random.default_rng(seed)
        self.n = N
        self.products = pd.DataFrame({"stockcode": [f"{10000 + i}" for i in range(N)],
                                      "description": [f"TOY {i}" for i in range(N)],
                                      "category": np.where(np.arange(N) % 2, "red", "blue")})
        self.current_prices = np.round(rng.uniform(1, 10, N), 2)
        self.b = rng.normal(-1.5, 0.3, N)
        self.lam = rng.uniform(5, 30, N)
        self.rng = rng
        self.week = 0
        self.invoice = 500000

    def _units(self, prices):
        d = np.log(prices / self.current_prices)
        return self.lam * np.exp(self.b * d - 0.5 * d * d)

    def expected_revenue(self, prices, week):
        return prices * self._units(prices)

    def elasticity(self, prices):
        return self.b - np.log(prices / self.current_prices)

    def _lines(self, prices, start):
        counts = self.rng.poisson(self._units(prices))
        idx = np.repeat(np.arange(N), counts)
        numbers = self.invoice + np.arange(len(idx)) // 3
        self.invoice = int(numbers.max()) + 1 if len(idx) else self.invoice
        when = start + pd.to_timedelta(self.rng.integers(0, 6 * 24 * 60, len(idx)), unit="min")
        return pd.DataFrame({"InvoiceNo": numbers.astype(str), "StockCode": self.products["stockcode"].to_numpy()[idx],
                             "Description": self.products["description"].to_numpy()[idx],
                             "Quantity": np.ones(len(idx), np.int64), "InvoiceDate": when.floor("min"),
                             "UnitPrice": prices[idx], "CustomerID": np.nan, "Country": "United Kingdom"})

    def training_lines(self):
        frames = [self._lines(self.current_prices * np.exp(self.rng.normal(0, 0.01, N)),
                              FIRST - pd.Timedelta(weeks=30 - w)) for w in range(30)]
        return pd.concat(frames, ignore_index=True)

    def step(self, prices):
        prices = np.asarray(prices, float)
        lines = self._lines(prices, FIRST + pd.Timedelta(weeks=self.week))
        self.week += 1
        return WeekOutcome(self.week - 1, lines, self.expected_revenue(prices, self.week - 1))

    def copy(self):
        import copy

        return copy.deepcopy(self)


def toy_world(seed: int, size: str) -> ToyWorld:
    return ToyWorld(seed)


def test_world_loads_by_module_path_and_bad_specs_are_refused():
    world = load("test_loop_world:toy_world", seed=3, size="tiny")
    assert world.n == N and world.current_prices.shape == (N,)
    with pytest.raises(WorldError, match="expected 'package.module:factory'"):
        load("test_loop_world", seed=3, size="tiny")
    with pytest.raises(WorldError, match="cannot import"):
        load("no_such_module_here:toy", seed=3, size="tiny")
    with pytest.raises(WorldError, match="lacks"):
        load("test_loop_world:not_a_world", seed=3, size="tiny")


def not_a_world(seed: int, size: str):
    return object()


def test_resubmitted_week_changes_nothing(tmp_path):
    world = ToyWorld(1)
    outcome = world.step(world.current_prices)
    csv = write_week_csv(outcome.lines, tmp_path / "week.csv")
    ledger = Ledger(tmp_path / "ledger.sqlite")
    first = ledger.ingest(csv)
    dates = pd.to_datetime(outcome.lines["InvoiceDate"])
    sales = ledger.sales_between(dates.min(), dates.max() + pd.Timedelta(seconds=1))
    assert first == len(outcome.lines) > 0
    assert ledger.ingest(csv) == first
    again = ledger.sales_between(dates.min(), dates.max() + pd.Timedelta(seconds=1))
    pd.testing.assert_frame_equal(sales, again)
    assert sales["units"].sum() == outcome.lines["Quantity"].sum()


# The service's own ingest (what make eval-loop uses): `make test` builds it before the Python tests run.
SWIFT_SERVER = max((p for p in (Path(__file__).resolve().parents[2] / ".build" / kind / "pricing-server"
                                for kind in ("debug", "release")) if p.is_file()),
                   key=lambda p: p.stat().st_mtime, default=None)


@pytest.mark.skipif(SWIFT_SERVER is None, reason="pricing-server is not built (make test builds it first)")
def test_the_swift_ingest_fills_the_ledger_the_loop_reads(tmp_path):
    world = ToyWorld(3)
    outcome = world.step(world.current_prices)
    csv = write_week_csv(outcome.lines, tmp_path / "week.csv")
    swift = Ledger(tmp_path / "swift.sqlite", [str(SWIFT_SERVER), "ingest"])
    python = Ledger(tmp_path / "python.sqlite")
    dates = pd.to_datetime(outcome.lines["InvoiceDate"])
    window = (dates.min(), dates.max() + pd.Timedelta(seconds=1))
    assert swift.ingest(csv) == python.ingest(csv) == len(outcome.lines) > 0
    assert swift.ingest(csv) == len(outcome.lines)  # resubmitted through the CLI: nothing added
    pd.testing.assert_frame_equal(swift.sales_between(*window).sort_index(), python.sales_between(*window).sort_index())


@functools.cache
def _toy_start(seed: int) -> start_mod.Start:
    return start_mod.fit(ToyWorld(seed), price_response.ResponseConfig(trees=20, folds=2, draws=32))


def toy_world_and_start(seed: int) -> tuple[ToyWorld, start_mod.Start]:
    """A toy world just after its training year and the starting posterior fit on that year (fit once per
    session: the tests that run a short loop share it)."""
    world = ToyWorld(seed)
    world.training_lines()  # the same draws the fit's world made: the world is in the state it would be after
    return world, _toy_start(seed)


def test_short_loop_records_assignments_and_keeps_guardrails(tmp_path):
    world, start = toy_world_and_start(2)
    post0 = update.starting(start, 0)
    plan = PlanConfig(delta=0.08, warmup_weeks=99, min_test_weeks=99)
    policy = Loop(start, world.current_prices, world.n, plan, seed=0)
    result = run.run_learning(policy, world, start, post0, world.current_prices, 4, tmp_path, 0, None)
    a = result.assignments
    assert len(a) == 4 * len(start.stockcodes)  # every product, every week
    assert set(a["arm"]) <= {"current", "up", "down", "holdout", "keep", "commit", "rule"}
    tested = a[a["arm"].isin(["current", "up", "down"])]
    assert len(tested) > 0
    assert (tested.groupby("week").size() <= int(0.2 * world.n)).all()  # share under test
    p0 = pd.Series(world.current_prices, index=world.products["stockcode"])
    centre = pd.Series(policy.program.centre, index=start.stockcodes)
    ratio = tested["price"].to_numpy() / centre[tested["stockcode"]].to_numpy()
    assert np.all(np.abs(ratio - 1) <= 0.08 + 0.01)  # ±δ around the arms' centre (the static price), to the cent
    moved = tested["price"].to_numpy() / p0[tested["stockcode"]].to_numpy()
    assert np.all(np.abs(moved - 1) <= plan.max_change + 0.01)  # never beyond the rules' max change
    assert set(np.round(tested["probability"], 3)) <= {0.333, 0.5, 1.0}
    assert (Ledger(tmp_path / "ledger.sqlite").assignments("loop").shape[0]) == len(a)


def test_cli_refuses_a_bad_world_and_bad_settings(tmp_path, capsys):
    from pricing_training.cli import main

    assert main(["loop", "--world", "test_loop_world:not_a_world", "--out", str(tmp_path)]) == 2
    assert "lacks" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["loop", "--delta", "0.5", "--out", str(tmp_path)])
