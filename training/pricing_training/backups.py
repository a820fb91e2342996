"""Backup models in fallback order: LightGBM, SVR, ElasticNet, each tuned by scikit-optimize's
gp_minimize over k-fold cross-validation on the training split."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable

import lightgbm as lgb
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet
from sklearn.model_selection import KFold
from sklearn.svm import SVR
from skopt import gp_minimize
from skopt.space import Integer, Real
from tqdm.auto import tqdm

from .config import TrainConfig

log = logging.getLogger(__name__)


def _lightgbm(params: dict, cfg: TrainConfig, categorical: list[int]) -> lgb.LGBMRegressor:
    return lgb.LGBMRegressor(objective="regression", random_state=cfg.seed, n_jobs=2, verbose=-1,
                             deterministic=True, force_row_wise=True, subsample_freq=1,
                             max_cat_to_onehot=4, **params)


def _svr(params: dict) -> SVR:
    return SVR(kernel="rbf", cache_size=500, **params)


def _elasticnet(params: dict, cfg: TrainConfig) -> ElasticNet:
    return ElasticNet(max_iter=5000, random_state=cfg.seed, **params)


SPACES = {
    "lightgbm": [Integer(15, 127, name="num_leaves"), Real(0.02, 0.2, prior="log-uniform", name="learning_rate"),
                 Integer(10, 200, name="min_child_samples"), Real(1e-3, 10.0, prior="log-uniform", name="reg_lambda"),
                 Real(0.5, 1.0, name="colsample_bytree"), Real(0.6, 1.0, name="subsample")],
    "svr": [Real(0.1, 100.0, prior="log-uniform", name="C"), Real(0.01, 0.5, name="epsilon"),
            Real(1e-3, 0.5, prior="log-uniform", name="gamma")],
    "elasticnet": [Real(1e-5, 1.0, prior="log-uniform", name="alpha"), Real(0.0, 1.0, name="l1_ratio")],
}


def _fit(name: str, params: dict, cfg: TrainConfig, x: np.ndarray, y: np.ndarray, categorical: list[int],
         n_estimators: int | None = None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if name == "lightgbm":
            model = _lightgbm({**params, "n_estimators": n_estimators or cfg.lgbm_max_estimators}, cfg, categorical)
            model.fit(x, y, categorical_feature=categorical)
        elif name == "svr":
            model = _svr(params).fit(x.astype(np.float64), y)
        else:
            model = _elasticnet(params, cfg).fit(x.astype(np.float64), y)
    return model


def _predict(name: str, model, x: np.ndarray) -> np.ndarray:
    if name == "lightgbm":
        return model.predict(x)
    return model.predict(x.astype(np.float64))


def cross_validated_mse(name: str, params: dict, cfg: TrainConfig, x: np.ndarray, y: np.ndarray,
                        categorical: list[int]) -> float:
    mses = []
    for train_idx, val_idx in KFold(cfg.cv_folds, shuffle=True, random_state=cfg.seed).split(x):
        model = _fit(name, params, cfg, x[train_idx], y[train_idx], categorical)
        pred = _predict(name, model, x[val_idx])
        mses.append(float(np.mean((pred - y[val_idx]) ** 2)) if np.all(np.isfinite(pred)) else 1e9)
    return float(np.mean(mses))


def tune_and_train(name: str, cfg: TrainConfig, x: np.ndarray, y: np.ndarray, categorical: list[int] = ()) -> tuple[object, dict]:
    """Tune `name` with gp_minimize over cfg.cv_folds-fold CV, then refit on the training rows.

    LightGBM and ElasticNet are tuned on `backup_tune_rows` rows and refit on all; SVR is tuned and
    refit on `svr_rows` rows (a seeded uniform subsample), because its cost grows with n^2.
    """
    rng = np.random.default_rng(cfg.seed)
    rows = cfg.svr_rows if name == "svr" else cfg.backup_tune_rows
    tune_idx = rng.choice(len(x), size=min(rows, len(x)), replace=False)
    space = SPACES[name]
    names = [d.name for d in space]
    bar = tqdm(total=cfg.gp_calls, desc=f"tuning {name}", leave=False)

    def objective(values: list) -> float:
        params = _typed(dict(zip(names, values)))
        return cross_validated_mse(name, params, cfg, x[tune_idx], y[tune_idx], list(categorical))

    def tick(_res) -> None:
        bar.update(1)
        bar.set_postfix(best_cv_mse=f"{min(_res.func_vals):.4f}")

    log.info("tuning %s: gp_minimize, %d calls, %d-fold CV on %d rows", name, cfg.gp_calls, cfg.cv_folds, len(tune_idx))
    result = gp_minimize(objective, space, n_calls=cfg.gp_calls, n_initial_points=cfg.gp_initial_points,
                         random_state=cfg.seed, callback=[tick])
    bar.close()
    best = _typed(dict(zip(names, result.x)))
    fit_idx = tune_idx if name == "svr" else np.arange(len(x))
    log.info("training %s on %d rows with %s (CV MSE %.4f)", name, len(fit_idx), best, result.fun)
    model = _fit(name, best, cfg, x[fit_idx], y[fit_idx], list(categorical))
    info = {"hyperparameters": best, "tuning": {"calls": cfg.gp_calls, "cv_folds": cfg.cv_folds,
                                                "tune_rows": int(len(tune_idx)), "best_cv_mse": float(result.fun)},
            "train_rows": int(len(fit_idx))}
    return model, info


def _typed(params: dict) -> dict:
    return {k: (int(v) if isinstance(v, (np.integer, int)) and not isinstance(v, bool) else float(v)) for k, v in params.items()}


PREDICTORS: dict[str, Callable] = {"lightgbm": lambda m, x: m.predict(x), "svr": lambda m, x: m.predict(x.astype(np.float64)),
                                   "elasticnet": lambda m, x: m.predict(x.astype(np.float64))}
