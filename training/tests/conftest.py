"""Shared fixtures: one small scenario data set and one quick-mode artifact version per test session."""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path

# LightGBM and PyTorch run OpenMP teams of 2 threads. With OpenMP's default (active) waiting, a team
# whose cores are shared with anything else (a parallel Swift build, a second pytest) spins instead of
# yielding: measured here, LightGBM's 150-tree fits ran 7x slower under load. Passive waiting costs
# nothing on an idle machine. It must be set before the OpenMP runtime loads (first lightgbm/torch import).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest  # noqa: E402

from pricing_training import scenarios  # noqa: E402
from pricing_training.config import QUICK  # noqa: E402

# The `make models MODE=quick` data set at half its size: the default (retail) scenario, mixed demand forms,
# moderate confounding, trade discounts and quantity breaks; ~20k lines of 200 products over a year. Half the
# products and lines halve the quick-mode training the artifact tests read (its price response, feature store
# and scoring every product against the truth: ~35 of the suite's CPU seconds at 400 products); what they
# check (files, reproduction, the store's rows, the report's fields) does not depend on the size.
SMALL = dataclasses.replace(scenarios.SCENARIOS["retail"], lines=20_000, products=200)
SMALL_SEED = 7


# `make test` runs two pytest workers, each given a whole test file at a time (--dist loadfile), so a file's
# module-scoped fixtures are built once. The files below also share a session fixture too costly to build on
# both workers (quick_version: a quick-mode training, ~20 CPU seconds), so they go to the same worker as one unit.
SHARED_FIXTURE_UNITS = {"test_artifacts.py": "quick_version", "test_reference_bench.py": "quick_version"}
# The files whose module fixtures cost the most, most costly first (CPU seconds measured in the suite), run
# before the rest: the workers take files in collection order, so the long ones start on both workers at
# once and the many short files even out the end, instead of one long file running alone on one core last.
LONGEST_FIRST = ["test_evaluate.py", "test_evaluation_seeds.py", "test_price_response.py", "test_artifacts.py",
                 "test_reference_bench.py", "test_synth.py", "test_cli.py"]


def pytest_collection_modifyitems(config, items):
    """LONGEST_FIRST's files first, in that order; every file keeps its own tests' order."""
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep collection order


def pytest_xdist_make_scheduler(config, log):
    """--dist loadfile, with the files of SHARED_FIXTURE_UNITS scheduled together (loadgroup's marks are not
    honoured by this pytest and xdist: measured, a marked file's tests still went to both workers)."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    # Hand out the files in collection order (LONGEST_FIRST), not xdist's default of most tests first.
    config.option.loadscopereorder = False

    class SharedFixtureScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = super()._split_scope(nodeid)
            return SHARED_FIXTURE_UNITS.get(path.rsplit("/", 1)[-1], path)

    return SharedFixtureScheduling(config, log)


@pytest.fixture(scope="session")
def small_scenario() -> scenarios.ScenarioData:
    return scenarios.generate(SMALL, SMALL_SEED)


@pytest.fixture(scope="session")
def small_data(small_scenario, tmp_path_factory) -> tuple[Path, Path]:
    """(transactions.csv, ground_truth.csv) as `python -m pricing_training synth` writes them."""
    return scenarios.write(small_scenario, tmp_path_factory.mktemp("synthetic"))


@pytest.fixture(scope="session")
def quick_version(small_data, tmp_path_factory) -> Path:
    from pricing_training import pipeline

    logging.basicConfig(level=logging.INFO)
    data, truth = small_data
    root = tmp_path_factory.mktemp("models")
    return pipeline.run(data, root, QUICK, ground_truth=truth)
