"""Where the orders part's attenuation comes from: each product's orders refitted with one piece at a time replaced by
the truth (docs/price-response.md, "logit-strong-breaks' narrow intervals").

For one data set: the method's own estimation rows (price_response.own_estimates, revisions off, so the weekly fit is
alone), then per product a zero-truncated quasi-Poisson fit of its weekly orders on its observed weeks, as
price_response._product_fit does, with

    committed    the read price's residual (z1, z2) and the nuisance offset ln n̂
    loadings     the same plus the product's own loading on m̂ and ŝ
    true price   the true list price's residual on the same nuisances
    oracle       the true list price and the true demand factor as offset (no nuisance), weak prior sd 5
    oracle flat  the same with a flat prior (sd 100)
    noiseless    the log-quadratic fitted to the true expected lines at the observed prices (interval_diagnosis)

and each row's elasticity at p0 regressed on the true orders elasticity at p0 across products (products whose
standard error at p0 is under 3). The truth (the generator's weekly list prices and demand factors) is read for
this diagnosis only.

    cd training && OMP_WAIT_POLICY=PASSIVE PYTHONPATH=. python scripts/orders_refit_study.py logit-strong-breaks-twin 11
    cd training && OMP_WAIT_POLICY=PASSIVE PYTHONPATH=. python scripts/orders_refit_study.py shop-invoice-twin 11 --nuisance exogenous
"""
from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from pricing_training import interval_diagnosis, price_response, scenarios, weekly
from pricing_training.cleaning import clean
from pricing_training.response_config import legacy

MONDAY = pd.Timestamp("2010-11-29")  # the generator's and the panel's weeks matched by their Monday-based index


def truncated_poisson(units: np.ndarray, offset: np.ndarray, x: np.ndarray, prior_sd: float
                      ) -> tuple[np.ndarray, np.ndarray]:
    """(β̂, covariance) of counts ~ zero-truncated Poisson(exp(offset + α + x·β)), N(0, prior_sd²) on β (Newton)."""
    n, k = x.shape
    design = np.column_stack([np.ones(n), x])
    theta = np.zeros(k + 1)
    theta[0] = np.log(max(units.sum(), 0.5) / np.exp(offset).sum())
    ridge = np.diag([0.0] + [1.0 / prior_sd ** 2] * k)
    for _ in range(60):
        mu = np.exp(np.clip(offset + design @ theta, -30, 30))
        mean = mu / np.maximum(-np.expm1(-mu), 1e-300)
        var = np.maximum(mean * (1.0 + mu - mean), 1e-12)
        hess = (design * var[:, None]).T @ design + ridge + 1e-9 * np.eye(k + 1)
        step = np.linalg.solve(hess, design.T @ (units - mean) - ridge @ theta)
        shrink = 1.0
        while np.max(np.abs(step * shrink)) > 2.0:
            shrink /= 2.0
        theta = theta + shrink * step
        if np.max(np.abs(step)) < 1e-8:
            break
    return theta[1:], np.linalg.pinv(hess)[1:, 1:]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("name", help="scenario (NAME-twin for its twin)")
    ap.add_argument("seed", type=int)
    ap.add_argument("--nuisance", default="committed",
                    help="ResponseConfig.orders_nuisance whose offset and price residual the refits use (exogenous_nuisance.py)")
    a = ap.parse_args()
    base = a.name[: -len("-twin")] if a.name.endswith("-twin") else a.name
    scen = scenarios.SCENARIOS[base].twin() if a.name.endswith("-twin") else scenarios.SCENARIOS[base]
    data = scenarios.generate(scen, a.seed)
    panel = weekly.build(clean(data.transactions)[0])
    _, rows = price_response.own_estimates(panel, legacy(revisions=False, orders_nuisance=a.nuisance))
    rows = rows[rows["observed"].astype(bool)].copy()
    if a.nuisance != "committed":  # the orders part's nuisances as that variant has them
        rows = rows.assign(n_hat=rows["n_hat_x"], m_hat=rows["m_hat_x"], s_hat=rows["s_hat_x"], z1=rows["z1_x"],
                           z2=rows["z2_x"])
    true_weeks = data.weeks[["stockcode", "week_start", "list_price", "demand_factor"]].copy()
    true_weeks["wk"] = (true_weeks["week_start"] - MONDAY).dt.days // 7
    rows["wk"] = (rows["week_start"] - MONDAY).dt.days // 7
    rows = rows.merge(true_weeks.drop(columns="week_start"), on=["stockcode", "wk"], how="left")
    read_error = rows["log_price"] - np.log(rows["list_price"])
    print(f"{a.name} seed {a.seed}: read vs true log price, sd of the difference {np.nanstd(read_error):.3f}")
    truth, facts = data.truth, panel.products.set_index("stockcode")
    out = []
    for code, g in rows.groupby("stockcode"):
        if len(g) < 8 or not g["list_price"].notna().all():
            continue
        p0, lref = facts.loc[code, "current_price"], facts.loc[code, "log_reference_price"]
        d0 = np.log(p0) - lref
        at_p0 = np.array([1.0, 2.0 * d0])
        y = g["lines"].to_numpy(np.float64)
        nuisance = np.log(g["n_hat"].to_numpy())
        z = g[["z1", "z2"]].to_numpy()
        m_hat, s_hat = g["m_hat"].to_numpy(), g["s_hat"].to_numpy()
        d_true = np.log(g["list_price"].to_numpy()) - lref
        oracle = np.log(truth.lines(code, np.array([np.exp(lref)]))[0] * g["demand_factor"].to_numpy())
        fits = {"committed": (nuisance, z, 5.0),
                "loadings": (nuisance, np.column_stack([z, m_hat - m_hat.mean(), s_hat - s_hat.mean()]), 5.0),
                "true price": (nuisance, np.column_stack([d_true - m_hat, d_true ** 2 - s_hat]), 5.0),
                "oracle": (oracle, np.column_stack([d_true, d_true ** 2]), 5.0),
                "oracle flat": (oracle, np.column_stack([d_true, d_true ** 2]), 100.0)}
        row = {"e_true": interval_diagnosis.part_elasticities(truth, code, p0)["orders"]}
        for label, (offset, x, prior_sd) in fits.items():
            beta, cov = truncated_poisson(y, offset, x, prior_sd)
            row[label] = float(at_p0 @ beta[:2])
            row[label + " se"] = float(np.sqrt(at_p0 @ cov[:2, :2] @ at_p0))
        prices = g["list_price"].to_numpy()
        if np.unique(np.round(np.log(prices), 9)).size >= 3:
            volume = truth.lines(code, prices) * g["demand_factor"].to_numpy()
            row["noiseless"] = interval_diagnosis.family_elasticity(truth, code, lref, prices, p0, volume, "lines")
            row["noiseless se"] = 0.0
        out.append(row)
    df = pd.DataFrame(out)
    print(f"{len(df)} products; sd of the true orders elasticity at p0 {df['e_true'].std():.2f}")
    for label in ["committed", "loadings", "true price", "oracle", "oracle flat", "noiseless"]:
        ok = df[label + " se"].notna() & (df[label + " se"] < 3.0)
        slope = interval_diagnosis.attenuation_slope(df.loc[ok, label], df.loc[ok, "e_true"])
        print(f"  {label:>12}: slope on the truth {slope:.2f}, median error {np.median(df.loc[ok, label] - df.loc[ok, 'e_true']):+.2f} "
              f"({int(ok.sum())} products)")


if __name__ == "__main__":
    main()
