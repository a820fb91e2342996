"""The world protocol a closed loop runs against, and loading a world by module path.

A world is any Python object with these members (docs/learning-loop.md); nothing else is relied on, so worlds
written elsewhere plug in through `--world package.module:factory`:

- `products`: `pandas.DataFrame`, one row per product (index 0..N-1) with `stockcode`, `description`, `category`.
- `n`: the number of products.
- `current_prices`: [N] the regular posted price when the loop starts (what "keep" posts).
- `training_lines()`: the training year's transaction lines in the UCI schema (`pricing_training.loader.COLUMNS`).
- `step(prices) -> WeekOutcome`: sell one week at the posted prices [N] (one price per product for every
  customer) and advance; returns that week's lines (UCI schema) and the true expected revenue per product.
- `expected_revenue(prices, week)`: [N] the true expected revenue per product in loop week `week` (0-based,
  the week `step` sells first is 0) at any price vector; the loop's scores come from it, never from the lines.
- `copy()`: an independent world in the same state (every policy of a run sells the same weeks).
- optional `elasticity(prices)`: [N] the true d ln units / d ln price at `prices` (interval coverage).

A factory is called as `factory(seed=..., size=...)` (`size` a preset name, "quick" or "full") and returns a world
just after its training year.
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any, Callable, Protocol, runtime_checkable

import numpy as np
import pandas as pd

REQUIRED = ("products", "n", "current_prices", "training_lines", "step", "expected_revenue", "copy")


@dataclasses.dataclass
class WeekOutcome:
    """One sold week: its transaction lines (UCI schema) and the true expected revenue per product [N]."""

    week: int
    lines: pd.DataFrame
    expected_revenue: np.ndarray


@runtime_checkable
class LoopWorld(Protocol):
    """See the module docstring."""

    products: pd.DataFrame
    n: int
    current_prices: np.ndarray

    def training_lines(self) -> pd.DataFrame: ...

    def step(self, prices: np.ndarray) -> WeekOutcome: ...

    def expected_revenue(self, prices: np.ndarray, week: int) -> np.ndarray: ...

    def copy(self) -> "LoopWorld": ...


class WorldError(ValueError):
    """A world spec that cannot be loaded, or an object that is not a world."""


def factory_from_spec(spec: str) -> Callable[..., Any]:
    """`package.module:factory` -> the factory callable."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise WorldError(f"world {spec!r}: expected 'package.module:factory'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise WorldError(f"world {spec!r}: cannot import {module_name!r}: {exc}") from exc
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise WorldError(f"world {spec!r}: {module_name} has no callable {attr!r}")
    return factory


def check_world(world: Any, spec: str = "world") -> Any:
    """The world itself when it has every member of the protocol; else a WorldError naming what is missing."""
    missing = [m for m in REQUIRED if not hasattr(world, m)]
    if missing:
        raise WorldError(f"{spec}: the object lacks {', '.join(missing)} (docs/learning-loop.md)")
    columns = {"stockcode", "description", "category"} - set(world.products.columns)
    if columns:
        raise WorldError(f"{spec}: products lacks column(s) {', '.join(sorted(columns))}")
    if np.shape(world.current_prices) != (world.n,):
        raise WorldError(f"{spec}: current_prices has shape {np.shape(world.current_prices)}, expected ({world.n},)")
    return world


def load(spec: str, seed: int, size: str) -> Any:
    """The world of `spec` for one seed and size preset, checked against the protocol."""
    return check_world(factory_from_spec(spec)(seed=seed, size=size), spec)
