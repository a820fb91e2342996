"""The price response's calibration and decision rules on development seeds, without the information oracle.

For each scenario and its twin: evaluate.run_dataset (the method exactly as `make eval` runs it), then, from the
same posterior draws, for several rules (P(gain) >= q, and P(loss > 1%) <= α): the harm rate, median / p90
regret, and the honesty check on changed prices (the share losing over 1% against what their promised P(gain)
allows). The information oracle is skipped: it does not change the method's figures and takes most of the time.

    cd training && OMP_WAIT_POLICY=PASSIVE PYTHONPATH=. python scripts/rule_honesty.py out.json 11 linear-moderate logit-strong-breaks

(OMP_WAIT_POLICY=PASSIVE: on a loaded machine LightGBM's spinning threads slow it down many times.)"""
import json
import sys
import time

import numpy as np
import pandas as pd

from pricing_training import calibration, decision, evaluate, information_oracle, scenarios
from pricing_training.cleaning import clean


def _no_oracle(data, now, **_):
    """Stands in for information_oracle.evaluate (skipped: see the module doc)."""
    return pd.DataFrame({"stockcode": list(now), "theta_se": np.nan, "elasticity_se": np.nan})


information_oracle.evaluate = _no_oracle
RULES = [("q", q) for q in (0.7, 0.8, 0.85, 0.9, 0.92, 0.95)] + [("alpha", a) for a in (0.02, 0.05, 0.1)]


def rule_honesty(pp, meta):
    """Per rule: the changed prices' honesty check, harm rate and median / p90 regret, from the same draws."""
    out = {}
    history = pp.set_index("stockcode")
    truth = meta["truth"]
    for kind, par in RULES:
        promised, lost, harm, regret = [], [], [], []
        for code, resp in meta["responses"].items():
            if code not in history.index:
                continue
            lo, hi = meta["ranges"][code]
            ev = calibration.evidence(resp, lo, hi)
            price = calibration.choose(ev, min_probability=par if kind == "q" else None,
                                       max_loss_probability=par if kind == "alpha" else None)
            r_now = float(truth.revenue(code, np.array([resp.current_price]))[0])
            r = float(truth.revenue(code, np.array([price]))[0])
            harm.append(r < r_now * 0.99)
            regret.append(1.0 - r / float(history.loc[code, "revenue_best"]))
            if price != resp.current_price:
                g = int(np.argmin(np.abs(ev.grid - price)))
                promised.append(ev.probability[g])
                lost.append(r < r_now * 0.99)
        ch = calibration.changed_losses(promised, lost)
        out[f"{kind}{par:g}"] = {**ch, "harm": float(np.mean(harm)), "median_regret": float(np.median(regret)),
                                 "p90_regret": float(np.quantile(regret, 0.9))}
    return out


out, seed, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
rows = []
for name in names:
    base = scenarios.SCENARIOS[name]
    for scen in [base, base.twin()]:
        t = time.time()
        pp, meta = evaluate.run_dataset(scen, seed, with_old=False)
        pp["seed"] = seed
        secs = time.time() - t
        # The request range run_dataset used: the line-price history widened to the support.
        data = scenarios.generate(scen, seed)
        cleaned, _ = clean(data.transactions)
        hist = cleaned.groupby("stockcode")["unit_price"].agg(["min", "max"])
        meta["ranges"] = {c: decision.default_range(float(hist.loc[c, "min"]), float(hist.loc[c, "max"]), r)
                          for c, r in meta["responses"].items() if c in hist.index}
        s = evaluate.scenario_summary(pp, None, meta["rule_revenues"].assign(seed=seed))
        c, f = s["causal"], s["frontier"]
        cal = s["calibration"]
        ch = cal["changed_prices"]
        row = {"scenario": scen.name, "seed": seed, "cov80": cal["elasticity_coverage"]["80"],
               "cov50": cal["elasticity_coverage"]["50"], "cov95": cal["elasticity_coverage"]["95"],
               "changed": ch["changed"], "losing": ch["losing_share"], "allowed": ch["allowed"],
               "harm": c["harm_rate"], "agg_capture": f["method"][f["default_rule"]]["aggregate_capture"],
               "median_regret": c["median_regret"], "p90_regret": c["p90_regret"],
               "keep_median": s["keep_current"]["median_regret"], "keep_p90": s["keep_current"]["p90_regret"],
               "elasticity_err": c["elasticity_error"], "bias": c["elasticity_bias"], "seconds": secs,
               "default_rule": f["default_rule"], "frontier": f["method"], "reliability": cal["reliability"],
               "rules": rule_honesty(pp, meta)}
        rows.append(row)
        print(json.dumps({k: v for k, v in row.items() if k not in ("frontier", "reliability", "rules")}, default=float), flush=True)
        json.dump(rows, open(out, "w"), default=float)
