"""The feedforward network: its architecture, its training loop, and its export.

Architecture: blocks of Linear -> BatchNorm1d (optional) -> ReLU -> Dropout, then Linear -> 1, from the
dense input layout. Training: mini-batches under a loss the caller gives (the served baseline's Poisson
loss in baseline_models.py, the line-level baseline's MSE in line_baseline.py), gradient clipping at norm
1, early stopping that restores the best weights, fixed seeds.
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
    """One output per row (a log demand). `hidden` lists the units of each block."""

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
                            max_epochs: int, patience: int, seed: int, trial: optuna.Trial | None = None
                            ) -> tuple[float, int]:
    """Mini-batch training of `model` on `rows` rows (`batch_loss(indices)` gives a batch's loss) with
    gradient clipping at norm 1 and early stopping on `validate()` (lower is better), restoring the best
    weights; reports to and can be pruned by an Optuna `trial`. Returns (best validation value, epochs)."""
    opt = make_optimizer(params.optimizer, model.parameters(), params.learning_rate)
    gen = torch.Generator().manual_seed(seed)
    best, best_state, stale, epoch = math.inf, copy.deepcopy(model.state_dict()), 0, 0
    for epoch in range(max_epochs):
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
