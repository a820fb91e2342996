"""The pipeline's one configuration object, with the two presets `make models` uses."""

from __future__ import annotations

import dataclasses
import hashlib
import json


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything that changes what the pipeline produces. Budgets are flags (see cli.py)."""

    mode: str = "full"
    seed: int = 42
    # Price response (double ML nuisances, posterior draws).
    response_trees: int = 300
    response_draws: int = 64
    # Primary network (the baseline f(x)), tuned by Optuna on the validation weeks' Poisson deviance.
    nn_trials: int = 10
    nn_max_epochs: int = 30
    nn_patience: int = 4
    # Backups.
    svr_rows: int = 3_000  # SVR is O(n^2): it is trained on this documented subsample
    lgbm_max_estimators: int = 600
    # Artifacts and evaluation.
    min_category_count: int = 20
    context_rows: int = 13  # a product's most recent weeks stored in the feature store (a quarter)
    feature_shards: int = 32
    panel_size: int = 40
    price_bins: int = 100
    golden_rows: int = 300

    def fingerprint(self) -> str:
        """Short hash of every setting: part of the default version id (pipeline.run), never stored or checked
        against a version (a version's manifest lists its settings in `training_config`, for people)."""
        return hashlib.sha256(json.dumps(dataclasses.asdict(self), sort_keys=True).encode()).hexdigest()[:8]


FULL = TrainConfig()
QUICK = TrainConfig(
    mode="quick",
    response_trees=150,
    nn_trials=3,
    nn_max_epochs=15,
    nn_patience=3,
    svr_rows=800,
    lgbm_max_estimators=150,
    min_category_count=5,
    context_rows=8,
    feature_shards=4,
    panel_size=12,
    golden_rows=120,
)
PRESETS = {"full": FULL, "quick": QUICK}
