"""The baseline f(x): log expected weekly units at the product's reference price, from price-free context.

Every model of the fallback chain learns the same quantity, with the identified price response held
fixed as an offset (log-mean = f(x) + g_i(Δ)), so no model can re-learn a price effect from the
confounded log: the price is not among their inputs, and its known effect is taken out of the target.

- network (primary): blocks of Linear -> BatchNorm -> ReLU -> Dropout, Poisson deviance with the offset,
  a few Optuna trials on the validation weeks' deviance, early stopping;
- LightGBM: Poisson objective with the offset as init_score (its raw score is f(x));
- SVR and ElasticNet: regress ln(units + 0.5) − g, then shift the intercept so that predicted and
  observed total units agree (a log-scale regression otherwise underestimates the mean).
"""

from __future__ import annotations

import logging
import math
import warnings

import lightgbm as lgb
import numpy as np
import optuna
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet
from sklearn.svm import SVR

from .config import TrainConfig
from .network import DemandNetwork, NetworkParams, fit_with_early_stopping, predict, seed_everything

log = logging.getLogger(__name__)


def poisson_deviance(units: np.ndarray, log_mean: np.ndarray) -> float:
    """Mean Poisson deviance of observed units under log-means (lower is better)."""
    mu = np.exp(np.clip(log_mean, -30, 30))
    y = np.asarray(units, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(y > 0, y * np.log(y / mu), 0.0)
    return float(2.0 * np.mean(term - (y - mu)))


def _train_network(params: NetworkParams, x: np.ndarray, y: np.ndarray, off: np.ndarray, xv: np.ndarray,
                   yv: np.ndarray, offv: np.ndarray, cfg: TrainConfig, trial: optuna.Trial | None = None
                   ) -> tuple[DemandNetwork, float, int]:
    seed_everything(cfg.seed)
    model = DemandNetwork(x.shape[1], params.hidden, params.batch_norm, params.dropout)
    xt, yt, ot = torch.from_numpy(x), torch.from_numpy(y.astype(np.float32)), torch.from_numpy(off.astype(np.float32))
    # Start the output at the mean log rate, so early epochs are not spent learning the level.
    with torch.no_grad():
        model.output.bias.fill_(float(np.log(max(y.mean(), 1e-3)) - np.mean(off)))

    def batch_loss(idx: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.poisson_nll_loss(model(xt[idx]) + ot[idx], yt[idx], log_input=True, full=False)

    def validate() -> float:
        pred = predict(model, xv).astype(np.float64)
        return poisson_deviance(yv, pred + offv) if np.all(np.isfinite(pred)) else math.inf

    best, epochs = fit_with_early_stopping(model, params, len(xt), batch_loss, validate, cfg.nn_max_epochs, cfg.nn_patience,
                                           cfg.seed, trial)
    return model, best, epochs


def _suggest(trial: optuna.Trial) -> NetworkParams:
    layers = trial.suggest_int("layers", 1, 3)
    hidden = [trial.suggest_int(f"units_{i}", 16, 128, log=True) for i in range(layers)]
    return NetworkParams(hidden=hidden, batch_norm=True,
                         dropout=[trial.suggest_float(f"dropout_{i}", 0.0, 0.3) for i in range(layers)],
                         learning_rate=trial.suggest_float("learning_rate", 3e-4, 1e-2, log=True),
                         optimizer=trial.suggest_categorical("optimizer", ["adam", "adamw"]),
                         batch_size=trial.suggest_categorical("batch_size", [256, 512, 1024]))


def train_network(x: np.ndarray, y: np.ndarray, off: np.ndarray, xv: np.ndarray, yv: np.ndarray, offv: np.ndarray,
                  cfg: TrainConfig) -> tuple[DemandNetwork, dict]:
    """Tune (Optuna, TPE, median pruner) on the validation weeks' Poisson deviance, then keep the best."""
    torch.set_num_threads(2)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=cfg.seed,
                                n_startup_trials=min(4, cfg.nn_trials)),
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=3))
    study.enqueue_trial({"layers": 2, "units_0": 64, "units_1": 32, "dropout_0": 0.05, "dropout_1": 0.05,
                         "learning_rate": 3e-3, "optimizer": "adam", "batch_size": 512})
    study.optimize(lambda t: _train_network(_suggest(t), x, y, off, xv, yv, offv, cfg, t)[1], n_trials=cfg.nn_trials)
    p = study.best_trial.params
    params = NetworkParams([p[f"units_{i}"] for i in range(p["layers"])], True,
                           [p[f"dropout_{i}"] for i in range(p["layers"])], p["learning_rate"], p["optimizer"],
                           p["batch_size"])
    model, best, epochs = _train_network(params, x, y, off, xv, yv, offv, cfg)
    log.info("network %s: validation Poisson deviance %.4f after %d epochs (%d trials)", params.hidden, best, epochs,
             len(study.trials))
    return model, {"hyperparameters": params.to_dict(), "validation_deviance": best, "epochs": epochs,
                   "tuning": {"trials": len(study.trials), "objective": "validation Poisson deviance"}}


def train_lightgbm(x: np.ndarray, y: np.ndarray, off: np.ndarray, categorical: list[int], cfg: TrainConfig
                   ) -> tuple[lgb.Booster, dict]:
    params = {"objective": "poisson", "learning_rate": 0.05, "num_leaves": 31, "min_data_in_leaf": 40,
              "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 1.0,
              "seed": cfg.seed, "num_threads": 2, "verbose": -1, "deterministic": True, "force_row_wise": True,
              "max_cat_to_onehot": 4, "boost_from_average": False}
    data = lgb.Dataset(x, y, init_score=off, categorical_feature=categorical, free_raw_data=False)
    booster = lgb.train(params, data, num_boost_round=cfg.lgbm_max_estimators)
    return booster, {"hyperparameters": {k: v for k, v in params.items() if k not in ("num_threads", "verbose")}
                     | {"num_boost_round": cfg.lgbm_max_estimators}}


class CalibratedRegression:
    """A log-scale regression plus the constant that makes its implied means sum to the observed units."""

    def __init__(self, model, shift: float):
        self.model, self.shift = model, shift

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.model.predict(np.asarray(x, np.float64)) + self.shift


def _calibrated(model, x: np.ndarray, y: np.ndarray, off: np.ndarray) -> CalibratedRegression:
    raw = model.predict(np.asarray(x, np.float64))
    shift = float(np.log(y.sum() / np.exp(raw + off).sum()))
    return CalibratedRegression(model, shift)


def train_regressions(x: np.ndarray, y: np.ndarray, off: np.ndarray, cfg: TrainConfig
                      ) -> dict[str, tuple[CalibratedRegression, dict]]:
    target = np.log(y + 0.5) - off
    rng = np.random.default_rng(cfg.seed)
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sub = rng.choice(len(x), size=min(cfg.svr_rows, len(x)), replace=False)
        svr = SVR(kernel="rbf", C=3.0, epsilon=0.1, gamma="scale", cache_size=500).fit(x[sub].astype(np.float64),
                                                                                       target[sub])
        out["svr"] = (_calibrated(svr, x, y, off), {"hyperparameters": {"C": 3.0, "epsilon": 0.1, "gamma": float(svr._gamma)},
                                                    "train_rows": int(len(sub))})
        # precompute: coordinate descent on the Gram matrix (34 x 34 here) instead of the rows: the same fit
        # (to 1e-13), without a BLAS level-1 call per coordinate over every row (measured: 0.02 s instead of
        # 12-90 s on 14k rows when the cores are shared).
        enet = ElasticNet(alpha=1e-3, l1_ratio=0.5, max_iter=5000, random_state=cfg.seed,
                          precompute=True).fit(x.astype(np.float64), target)
        out["elasticnet"] = (_calibrated(enet, x, y, off), {"hyperparameters": {"alpha": 1e-3, "l1_ratio": 0.5}})
    for name, (model, _) in out.items():
        log.info("%s: calibration shift %.3f", name, model.shift)
    return out
