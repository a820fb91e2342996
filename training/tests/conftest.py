"""Shared fixtures: one small synthetic data set and one quick-mode artifact version per test session."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from pricing_training import synth
from pricing_training.config import QUICK


@pytest.fixture(scope="session")
def small_data(tmp_path_factory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("synthetic")
    cfg = synth.SynthConfig(lines=30_000, seed=11)
    df, gt = synth.generate(cfg)
    return synth.write(df, gt, out, cfg)


@pytest.fixture(scope="session")
def quick_version(small_data, tmp_path_factory) -> Path:
    from pricing_training import pipeline

    logging.basicConfig(level=logging.INFO)
    data, truth = small_data
    root = tmp_path_factory.mktemp("models")
    return pipeline.run(data, root, QUICK, ground_truth=truth)
