"""The primary model: a feedforward network tuned with Optuna.

Architecture: blocks of Linear -> BatchNorm1d (optional) -> ReLU -> Dropout, then Linear -> 1,
predicting log1p(quantity) from the dense input layout. Training: MSE loss, gradient clipping at norm
1, early stopping on validation MSE that restores the best weights, fixed seeds.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import math
from collections.abc import Callable

import numpy as np
import optuna
import torch
from torch import nn
from tqdm.auto import tqdm

from .config import TrainConfig

log = logging.getLogger(__name__)
BATCH_NORM_EPS = 1e-5


class Block(nn.Module):
    def __init__(self, n_in: int, n_out: int, batch_norm: bool, dropout: float):
        super().__init__()
        self.linear = nn.Linear(n_in, n_out)
        self.norm = nn.BatchNorm1d(n_out, eps=BATCH_NORM_EPS) if batch_norm else None
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.linear(x)
        if self.norm is not None:
            x = self.norm(x)
        return self.dropout(torch.relu(x))


class DemandNetwork(nn.Module):
    """Predicts log1p(quantity). `hidden` lists the units of each block."""

    def __init__(self, n_inputs: int, hidden: list[int], batch_norm: bool, dropout: list[float]):
        super().__init__()
        self.n_inputs, self.hidden_units, self.batch_norm = n_inputs, list(hidden), batch_norm
        widths = [n_inputs] + list(hidden)
        self.hidden = nn.ModuleList(Block(widths[i], widths[i + 1], batch_norm, dropout[i]) for i in range(len(hidden)))
        self.output = nn.Linear(widths[-1], 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.hidden:
            x = block(x)
        return self.output(x).squeeze(-1)


@dataclasses.dataclass
class NetworkParams:
    hidden: list[int]
    batch_norm: bool
    dropout: list[float]
    learning_rate: float
    optimizer: str
    batch_size: int

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed)


def make_optimizer(name: str, params, lr: float) -> torch.optim.Optimizer:
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=1e-4)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, nesterov=True)
    raise ValueError(f"unknown optimizer {name!r}")


def predict(model: DemandNetwork, x: np.ndarray, batch: int = 65_536) -> np.ndarray:
    model.eval()
    out = []
    with torch.inference_mode():
        for i in range(0, len(x), batch):
            out.append(model(torch.from_numpy(np.ascontiguousarray(x[i:i + batch]))).numpy())
    return np.concatenate(out) if out else np.zeros(0, np.float32)


def fit_with_early_stopping(model: DemandNetwork, params: NetworkParams, rows: int,
                            batch_loss: Callable[[torch.Tensor], torch.Tensor], validate: Callable[[], float],
                            max_epochs: int, patience: int, seed: int, trial: optuna.Trial | None = None,
                            progress: bool = False) -> tuple[float, int]:
    """Mini-batch training of `model` on `rows` rows (`batch_loss(indices)` gives a batch's loss) with
    gradient clipping at norm 1 and early stopping on `validate()` (lower is better), restoring the best
    weights; reports to and can be pruned by an Optuna `trial`. Returns (best validation value, epochs)."""
    opt = make_optimizer(params.optimizer, model.parameters(), params.learning_rate)
    gen = torch.Generator().manual_seed(seed)
    best, best_state, stale, epoch = math.inf, copy.deepcopy(model.state_dict()), 0, 0
    bar = tqdm(range(max_epochs), desc="network epochs", disable=not progress, leave=False)
    for epoch in bar:
        model.train()
        perm = torch.randperm(rows, generator=gen)
        for i in range(0, len(perm) - 1, params.batch_size):
            idx = perm[i:i + params.batch_size]
            if len(idx) < 2:  # batch norm needs two rows
                continue
            opt.zero_grad(set_to_none=True)
            loss = batch_loss(idx)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            opt.step()
        val = validate()
        bar.set_postfix(val=f"{val:.4f}")
        if val < best - 1e-5:
            best, best_state, stale = val, copy.deepcopy(model.state_dict()), 0
        else:
            stale += 1
        if trial is not None:
            trial.report(val, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()
        if stale >= patience or not math.isfinite(val):
            break
    model.load_state_dict(best_state)
    model.eval()
    return best, epoch + 1


def train(params: NetworkParams, x_train: np.ndarray, y_train: np.ndarray, x_val: np.ndarray, y_val: np.ndarray,
          max_epochs: int, patience: int, seed: int, trial: optuna.Trial | None = None,
          progress: bool = False) -> tuple[DemandNetwork, float, int]:
    """Train on MSE with early stopping; return (model with the best validation weights, best val MSE, epochs)."""
    seed_everything(seed)
    model = DemandNetwork(x_train.shape[1], params.hidden, params.batch_norm, params.dropout)
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train.astype(np.float32))

    def validate() -> float:
        pred = predict(model, x_val)
        return float(np.mean((pred - y_val) ** 2)) if np.all(np.isfinite(pred)) else math.inf

    best, epochs = fit_with_early_stopping(model, params, len(xt), lambda idx: nn.functional.mse_loss(model(xt[idx]), yt[idx]),
                                           validate, max_epochs, patience, seed, trial, progress)
    return model, best, epochs


def suggest(trial: optuna.Trial) -> NetworkParams:
    layers = trial.suggest_int("layers", 1, 4)
    hidden = [trial.suggest_int(f"units_{i}", 16, 256, log=True) for i in range(layers)]
    dropout = [trial.suggest_float(f"dropout_{i}", 0.0, 0.4) for i in range(layers)]
    return NetworkParams(
        hidden=hidden,
        batch_norm=trial.suggest_categorical("batch_norm", [True, False]),
        dropout=dropout,
        learning_rate=trial.suggest_float("learning_rate", 1e-4, 1e-2, log=True),
        optimizer=trial.suggest_categorical("optimizer", ["adam", "adamw", "rmsprop", "sgd"]),
        batch_size=trial.suggest_categorical("batch_size", [128, 256, 512, 1024]),
    )


def params_from_trial(p: dict) -> NetworkParams:
    n = p["layers"]
    return NetworkParams([p[f"units_{i}"] for i in range(n)], p["batch_norm"], [p[f"dropout_{i}"] for i in range(n)],
                         p["learning_rate"], p["optimizer"], p["batch_size"])


def tune_and_train(cfg: TrainConfig, x_train: np.ndarray, y_train: np.ndarray, x_val: np.ndarray,
                   y_val: np.ndarray) -> tuple[DemandNetwork, dict]:
    """Tune on a subsample of the training split (validated on the validation split), then train the
    best configuration on the whole training split."""
    torch.set_num_threads(max(1, torch.get_num_threads()))
    rng = np.random.default_rng(cfg.seed)
    sub = rng.choice(len(x_train), size=min(cfg.nn_tune_rows, len(x_train)), replace=False)
    val_sub = rng.choice(len(x_val), size=min(max(cfg.nn_tune_rows // 3, 2000), len(x_val)), replace=False)

    def objective(trial: optuna.Trial) -> float:
        params = suggest(trial)
        _, best, epochs = train(params, x_train[sub], y_train[sub], x_val[val_sub], y_val[val_sub],
                                cfg.nn_max_epochs, cfg.nn_patience, cfg.seed, trial)
        trial.set_user_attr("epochs", epochs)
        return best

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="minimize", study_name=cfg.optuna_study, storage=cfg.optuna_storage, load_if_exists=True,
        sampler=optuna.samplers.TPESampler(seed=cfg.seed, n_startup_trials=min(8, max(1, cfg.nn_trials // 2))),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=2))
    log.info("tuning the network: %d trials%s on %d rows", cfg.nn_trials,
             f" (timeout {cfg.nn_timeout_s:.0f} s)" if cfg.nn_timeout_s else "", len(sub))
    study.optimize(objective, n_trials=cfg.nn_trials, timeout=cfg.nn_timeout_s, show_progress_bar=True)
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not done:
        raise RuntimeError("no network trial completed; raise --nn-trials or --nn-timeout")
    params = params_from_trial(study.best_trial.params)
    log.info("best trial %d: val MSE %.4f, %s", study.best_trial.number, study.best_value, params)
    log.info("training the best network on %d rows", len(x_train))
    model, best, epochs = train(params, x_train, y_train, x_val, y_val, cfg.nn_max_epochs * 2, cfg.nn_patience + 2,
                                cfg.seed, progress=True)
    info = {"hyperparameters": params.to_dict(), "tuning": {
        "trials": len(study.trials), "completed": len(done),
        "pruned": sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials),
        "best_trial_val_mse": study.best_value}, "final_val_mse": best, "final_epochs": epochs}
    return model, info


def export_tensors(model: DemandNetwork) -> dict[str, np.ndarray]:
    """Eval-mode tensors under the names models/README.md documents (no num_batches_tracked)."""
    out = {}
    for name, t in model.state_dict().items():
        if name.endswith("num_batches_tracked"):
            continue
        out[name] = t.detach().cpu().numpy().astype(np.float32)
    return out


def architecture(model: DemandNetwork) -> dict:
    return {"inputs": model.n_inputs, "hidden": model.hidden_units, "batch_norm": model.batch_norm,
            "batch_norm_eps": BATCH_NORM_EPS, "activation": "relu", "output": 1}
