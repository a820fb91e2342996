"""Random draws the scenario generator shares between a scenario and its unconfounded twin.

A line-level draw is a counter-based hash of (key, cell, line, purpose), not the next number of a stream,
so a twin whose prices (hence line counts) differ still gives every line the same noise. The AR(1) series is
the weekly demand shock (and the twin's fake drivers).
"""

from __future__ import annotations

import numpy as np

SHOCK_AR = 0.7  # AR(1) coefficient of the weekly log demand shock

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _splitmix(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        x = x + _GOLDEN
        x = (x ^ (x >> np.uint64(30))) * _MIX1
        x = (x ^ (x >> np.uint64(27))) * _MIX2
        return x ^ (x >> np.uint64(31))


def counter_uniform(key: int, cell: np.ndarray, line: np.ndarray, purpose: int) -> np.ndarray:
    """Uniform in (0, 1), a deterministic function of its arguments (purpose < 8 keeps draws distinct)."""
    h = _splitmix(np.uint64(key) ^ _splitmix(np.asarray(cell, np.uint64) * np.uint64(8) + np.uint64(purpose)))
    h = _splitmix(h ^ (np.asarray(line, np.uint64) * _GOLDEN))
    return ((h >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53)


def ar1(rng: np.random.Generator, sd: np.ndarray, n_cols: int) -> np.ndarray:
    """Stationary AR(1) (coefficient SHOCK_AR, innovation sd per row), shape (rows, n_cols)."""
    rows = len(sd)
    eps = rng.normal(0.0, 1.0, size=(rows, n_cols)) * sd[:, None]
    z = np.empty((rows, n_cols))
    z[:, 0] = eps[:, 0] / np.sqrt(1.0 - SHOCK_AR ** 2)
    for w in range(1, n_cols):
        z[:, w] = SHOCK_AR * z[:, w - 1] + eps[:, w]
    return z
