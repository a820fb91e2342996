"""Noiseless misfit of the curve families at the current price (issue 19; docs/price-response.md, "A third shape term").

For every product of a generated data set: the true log units (and log lines) at the weeks' observed list prices
(the prices the fit actually visits, one a week), fitted by volume-weighted least squares with the log-quadratic
and with each candidate third term (curve_family.TERMS); the fitted slope at p0 against the true elasticity at p0.
No noise, no nuisance, no prior: what the family alone can say where the decision is read. Reads the generator's
truth (a measurement, never a method).

    cd training && OMP_WAIT_POLICY=PASSIVE PYTHONPATH=. python scripts/curve_family_study.py out/cf 11 logit-strong-breaks logit-strong-breaks-twin

Prints, per data set and demand form, the rms and sd of the error at p0 and the slope of the fitted on the true
elasticity across products; writes <out>/noiseless-<data set>-<seed>.csv (one row per product).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from pricing_training import curve_family, interval_diagnosis, scenarios, weekly
from pricing_training.cleaning import clean

FAMILIES = [("quadratic", 2, None)] + [(name, 3, name) for name in curve_family.TERMS]


def _scenario(name: str) -> scenarios.Scenario:
    if name.endswith("-twin"):
        return scenarios.SCENARIOS[name[: -len("-twin")]].twin()
    return scenarios.SCENARIOS[name]


def observed_prices(name: str, seed: int, cache_dir: Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame, object]:
    """(the observed weeks' stockcode and Δ, the products with reference price and current price, the truth), from
    a pgain_study cache when it holds them, else generated."""
    path = None if cache_dir is None else cache_dir / f"{name}-{seed}.pkl"
    if path is not None and path.exists():
        data = pd.read_pickle(path)
        if "observed_delta" in data:
            return data["observed_delta"], data["products"], data["truth"]
    data = scenarios.generate(_scenario(name), seed)
    panel = weekly.build(clean(data.transactions)[0])
    rows = weekly.estimation_rows(panel)
    rows = rows[rows["observed"].astype(bool)]
    return rows[["stockcode", "week", "delta"]].reset_index(drop=True), panel.products, data.truth


def misfit(observed: pd.DataFrame, products: pd.DataFrame, truth) -> pd.DataFrame:
    """One row per product: the true elasticity at p0 of units and lines and each family's noiseless fit there."""
    facts = products.set_index("stockcode")
    tp = truth.products.set_index("stockcode")
    out = []
    for code, g in observed.groupby("stockcode", sort=True):
        if code not in tp.index or g["delta"].round(9).nunique() < 4:
            continue
        lref = float(facts.loc[code, "log_reference_price"])
        p0 = float(facts.loc[code, "current_price"])
        d = g["delta"].to_numpy(np.float64)
        prices = np.exp(lref + d)
        d0 = float(np.log(p0) - lref)
        true = interval_diagnosis.part_elasticities(truth, code, p0)
        row = {"stockcode": code, "form": tp.loc[code, "demand_form"], "delta0": d0, "weeks": len(d),
               "price_sd": float(d.std()), "e_units": true["units"], "e_lines": true["orders"]}
        for quantity, curve in (("units", truth.units), ("lines", truth.lines)):
            level = np.log(np.maximum(curve(code, prices), 1e-300))
            for family, k, term in FAMILIES:
                row[f"{family}_{quantity}"] = curve_family.noiseless_elasticity(
                    level, d, d0, k, term=term or curve_family.THIRD_TERM)
        out.append(row)
    return pd.DataFrame(out)


def table(frame: pd.DataFrame, label: str) -> list[str]:
    lines = []
    for form, g in [("all", frame)] + list(frame.groupby("form")):
        for quantity in ("units", "lines"):
            parts = []
            for family, _, _ in FAMILIES:
                err = g[f"{family}_{quantity}"] - g[f"e_{quantity}"]
                slope = (interval_diagnosis.attenuation_slope(g[f"{family}_{quantity}"], g[f"e_{quantity}"])
                         if g[f"e_{quantity}"].std() > 1e-9 else float("nan"))
                parts.append(f"{family} rms {np.sqrt(np.mean(err ** 2)):.3f} sd {err.std():.3f} "
                             f"p90|e| {np.quantile(err.abs(), 0.9):.3f} slope {slope:.2f}")
            lines.append(f"{label} {form:>12} {quantity:>5} (n {len(g)}, true sd {g[f'e_{quantity}'].std():.2f}): "
                         + " | ".join(parts))
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("seeds")
    ap.add_argument("names", nargs="+", help="data sets (a twin as NAME-twin)")
    ap.add_argument("--cache", type=Path, default=None, help="a pgain_study cache directory to read prices from")
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    for seed in (int(s) for s in a.seeds.split(",")):
        for name in a.names:
            frame = misfit(*observed_prices(name, seed, a.cache))
            frame.to_csv(a.out / f"noiseless-{name}-{seed}.csv", index=False)
            print("\n".join(table(frame, f"{name} {seed}")), flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
