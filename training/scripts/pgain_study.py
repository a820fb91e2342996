"""P(gain) honesty study: the method's posterior variants decided and scored from cached own estimates.

`evaluate.run_dataset` spends almost all of its time on the products' own estimates (the cross-fitted LightGBM
nuisances and the per-product fits, `price_response.own_estimates`); everything after them (the posterior, the
supported range, the decision and its scoring) takes seconds. This script caches the own estimates of each data
set once and then runs any number of posterior configurations on them, each exactly as `run_dataset` runs the
method (price_response.posterior, evidence_support, decision.decide, scoring.score_product,
calibration.product_record, evaluate.scenario_summary), so that "before" and "after" are compared on the same
data in the same run.

    cd training && OMP_WAIT_POLICY=PASSIVE PYTHONPATH=. nice -n 10 python scripts/pgain_study.py cache out/pgain 11 shop-invoice shop-weekly
    cd training && PYTHONPATH=. python scripts/pgain_study.py run out/pgain 11,12 shop-invoice shop-weekly --variants default cap1

`cache` writes out/pgain/<data set>-<seed>.pkl (the twin of each scenario too; with the size part's revision
evidence); `run` prints each variant's summary and reliability per data set and the pooled reliability table with its
breakdowns (direction, move size, thin/thick, elasticity error), and writes out/pgain/run-<label>.json. `--alphas
0.04,0.1` decides one posterior under several α (max_loss_probability); `--no-fresh` skips the 2,048 fresh draws. The
truth is read for scoring and diagnosis only (and by the `truthshift` diagnosis); the `right*`, `recal*` and
`*extra*` variants are fixed transforms that map the frontier, not methods learned from the data."""
from __future__ import annotations

import argparse
import dataclasses
import json
import pickle
import time
import types
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from pricing_training import calibration, decision, evaluate, price_response, recentred, scenarios, shrinkage, weekly
from pricing_training.cleaning import clean
from pricing_training.price_response import ResponseConfig
from pricing_training.response_config import legacy

LEGACY = legacy()  # the committed method these studies measured against (before 2026-12-07)
from pricing_training.scoring import score_product


FRESH_DRAWS = 2048
# Variants whose posterior shrinks the slope at the current price (recentred.posterior) instead of at p_ref.
RECENTRED = {"recentre", "recentre-rho0.9"}
_recentre = False


def _scenario(name: str) -> scenarios.Scenario:
    if name.endswith("-twin"):
        return scenarios.SCENARIOS[name[: -len("-twin")]].twin()
    return scenarios.SCENARIOS[name]


def cache(directory: Path, seed: int, name: str, cfg: ResponseConfig = LEGACY) -> Path:
    """Generate one data set, build its panel and its own estimates, and pickle what the posterior stage needs."""
    path = directory / f"{name}-{seed}.pkl"
    if path.exists():
        return path
    t = time.time()
    scen = _scenario(name)
    data = scenarios.generate(scen, seed)
    cleaned, _ = clean(data.transactions)
    panel = weekly.build(cleaned)
    products = panel.products.copy()  # support before evidence_support narrows it
    own, rows = _memoized_own_estimates(panel, cfg, directory / f"{name}-{seed}.nuis.pkl")
    history = cleaned.groupby("stockcode")["unit_price"].agg(["min", "max"])
    observed = rows[rows["observed"].astype(bool)]
    spread = observed.groupby("stockcode")["delta"].agg(["std", "min", "max"])
    directory.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        pickle.dump({"name": name, "seed": seed, "own": own, "products": products, "truth": data.truth,
                     "history": history, "delta_spread": spread,
                     "observed_delta": observed[["stockcode", "week", "delta"]].reset_index(drop=True),
                     "seconds": time.time() - t}, fh)
    print(f"cached {name} seed {seed} in {time.time() - t:.0f} s", flush=True)
    return path


def cache_third_term(directory: Path, seed: int, name: str) -> Path:
    """Add the own estimates with the third shape term (ResponseConfig.third_term, curve_family.py) to a cached data
    set as "own_third", the data regenerated and the cached nuisances reused: the `third*` variants read them, so
    that the committed curve and the extended one are compared on the same data in the same run."""
    path = cache(directory, seed, name)
    with open(path, "rb") as fh:
        data = pickle.load(fh)
    if "own_third" in data:
        return path
    t = time.time()
    cleaned, _ = clean(scenarios.generate(_scenario(name), seed).transactions)
    cfg = dataclasses.replace(LEGACY, size_revisions=True, third_term=True)
    data["own_third"], _ = _memoized_own_estimates(weekly.build(cleaned), cfg, directory / f"{name}-{seed}.nuis.pkl")
    with open(path.with_suffix(".tmp"), "wb") as fh:
        pickle.dump(data, fh)
    path.with_suffix(".tmp").replace(path)
    print(f"cached the third term of {name} seed {seed} in {time.time() - t:.0f} s", flush=True)
    return path


def _memoized_own_estimates(panel, cfg: ResponseConfig, memo_path: Path):
    """price_response.own_estimates with its cross-fitted nuisances kept in `memo_path` (keyed by the targets'
    names and the rows' count): the nuisances do not depend on the curve family, so a second family's own
    estimates on the same data set (curve_family.py) refit only the per-product stages and the new term's
    nuisance. LightGBM is deterministic here (`deterministic=True`, fixed seed), so a memo equals a refit."""
    memo = pickle.loads(memo_path.read_bytes()) if memo_path.exists() else {}
    original = price_response.cross_fit

    def cached(x, targets, folds, cfg_, fit_mask=None):
        key = (tuple(sorted(targets)), len(x))
        if key not in memo:
            memo[key] = original(x, targets, folds, cfg_, fit_mask)
        return {k: v.copy() for k, v in memo[key].items()}

    price_response.cross_fit = cached
    try:
        result = price_response.own_estimates(panel, cfg)
    finally:
        price_response.cross_fit = original
    memo_path.parent.mkdir(parents=True, exist_ok=True)
    memo_path.write_bytes(pickle.dumps(memo))
    return result


def evaluate_variant(data: dict, cfg: ResponseConfig, settings: dict = decision.DEFAULT_DECISION,
                     transform=None, light: bool = True, prepared=None) -> tuple[pd.DataFrame, dict, dict]:
    """The method on one cached data set under `cfg` (and `transform(response, products)` of the posterior, when
    given), every product decided and scored as evaluate.run_dataset does. Returns (per product with the
    diagnosis columns, the scenario summary, the posterior's summary). `prepared` (from `prepare`) reuses one
    posterior for several decision settings."""
    truth = data["truth"]
    response, fresh, products = prepared if prepared is not None else prepare(data, cfg, transform)
    return _decide_and_score(data, cfg, settings, light, response, fresh, products, transform, truth)


def prepare(data: dict, cfg: ResponseConfig, transform=None):
    """The posterior of one cached data set under `cfg`, its fresh draws and its products with the supported range."""
    own = data["own_third"] if cfg.third_term else data["own"]
    if getattr(own, "delta0", None) is None:  # caches from before OwnEstimates kept it
        own = dataclasses.replace(own, delta0=price_response._current_delta(data["products"], own.stockcodes))
    captured = []
    original = shrinkage.draws

    def capture(prior, count, seed):
        captured.append(prior)
        return original(prior, count, seed)

    shrinkage.draws = capture
    try:
        response = (recentred.posterior if _recentre else price_response.posterior)(own, cfg)
    finally:
        shrinkage.draws = original
    # Many more draws of the same posterior (another seed): P(gain) at the decided move without the selection
    # on the 64 draws that chose it.
    # (Not for the recentred variants: their captured prior is in (b', c), the slope at p0.)
    fresh = original(captured[-1], FRESH_DRAWS, cfg.seed + 1) if captured and FRESH_DRAWS and not _recentre else None
    products = data["products"].copy()
    if transform is not None:
        response = transform(response, products, data)
    lo, hi = price_response.evidence_support(products, response, cfg.max_curve_sd)
    products["support_min"], products["support_max"] = lo, hi
    return response, fresh, products


def _decide_and_score(data, cfg, settings, light, response, fresh, products, transform, truth):
    responses = evaluate._responses(types.SimpleNamespace(products=products), response)
    known = set(truth.products["stockcode"])
    facts = products.set_index("stockcode")
    tp = truth.products.set_index("stockcode")
    own_se = dict(zip(response.stockcodes, response.raw_sd))
    rows, revenues = [], []
    for code, resp in responses.items():
        if code not in known:
            continue
        lo_r, hi_r = decision.default_range(float(data["history"].loc[code, "min"]),
                                            float(data["history"].loc[code, "max"]), resp)
        chosen = decision.decide(resp, 1.0, lo_r, hi_r, None, settings)
        scored = score_product(truth, code, chosen, resp)
        if light:
            cal = _light_record(truth, code, resp, chosen, scored["elasticity_true"])
            rev = None
        else:
            ev = calibration.evidence(resp, lo_r, hi_r, None, settings)
            cal, rev = calibration.product_record(truth, code, resp, chosen, ev, scored["elasticity_true"],
                                                  scored["best_price_in_range"], settings)
        move = cal["move_price"]
        extra = {"lines": int(facts.loc[code, "lines"]), "own_se": float(own_se[code]),
                 "far": bool(tp.loc[code, "far"]) if "far" in tp else None,
                 "form": tp.loc[code, "demand_form"] if "demand_form" in tp else None,
                 "move_log": float(np.log(move / resp.current_price)) if move is not None else np.nan,
                 "best_log": float(np.log(scored["best_price_in_range"] / resp.current_price)),
                 "delta0": float(np.log(resp.current_price) - resp.reference_log_price),
                 "price_sd": float(data["delta_spread"]["std"].get(code, np.nan)),
                 "expected_gain_pct": chosen["expected_gain_pct"]}
        if move is not None:
            r = truth.revenue(code, np.array([resp.current_price, move]))
            extra["true_gain_pct"] = float(r[1] / r[0] - 1.0)
            if fresh is not None and transform is None:
                i = response.stockcodes.index(code)
                other = dataclasses.replace(resp, draws=fresh[i])
                m = decision.multipliers(other, np.array([resp.current_price, move]))
                extra["fresh_probability"] = float(np.mean(move * m[:, 1] > resp.current_price * m[:, 0]))
        rows.append(scored | cal | extra)
        revenues.append(rev)
    pp = pd.DataFrame(rows)
    pp["seed"] = data["seed"]
    if light:
        summary = {"causal": evaluate.summarize(pp), "keep_current": evaluate.median_p90(pp["regret_keep"])}
        moves = pp["move_gains"].notna()
        changed = pp["decision"] == "change"
        summary["calibration"] = {
            "elasticity_coverage": calibration.coverage(pp, prefix="elasticity_in_"),
            "reliability": calibration.reliability(pp.loc[moves, "probability_of_gain"], pp.loc[moves, "move_gains"].astype(bool)),
            "changed_prices": calibration.changed_losses(pp.loc[changed, "probability_of_gain"], pp.loc[changed, "harm"])}
    else:
        summary = evaluate.scenario_summary(pp, None, pd.DataFrame(revenues).assign(seed=data["seed"]))
    return pp, summary, response.summary


def _light_record(truth, code: str, resp: decision.ProductResponse, chosen: dict, elasticity_true: float) -> dict:
    """calibration.product_record's calibration columns without the frontier (elasticity hits, the reported move)."""
    p0 = resp.current_price
    e = decision.elasticity_draws(resp)
    row = {f"elasticity_in_{round(100 * level):d}": bool(hit[0])
           for level, hit in calibration.interval_hits(e[None, :], np.array([elasticity_true])).items()}
    move = chosen["optimal_unit_price"] if chosen["decision"] == "change" else chosen["best_price"]
    has_move = abs(move / p0 - 1.0) > decision.AT_CURRENT_TOLERANCE
    revenue = truth.revenue(code, np.array([p0, move], np.float64))
    return row | {"move_price": float(move) if has_move else None,
                  "move_gains": bool(revenue[1] > revenue[0]) if has_move else None}


def headline(summary: dict) -> dict:
    c, cal = summary["causal"], summary["calibration"]
    ch = cal["changed_prices"]
    capture = (summary["frontier"]["method"][summary["frontier"]["default_rule"]]["aggregate_capture"]
               if "frontier" in summary else c["aggregate_capture"])
    return {"cov50": cal["elasticity_coverage"]["50"], "cov80": cal["elasticity_coverage"]["80"],
            "cov95": cal["elasticity_coverage"]["95"], "harm": c["harm_rate"],
            "agg_capture": capture, "changed": c["changed"],
            "median_regret": c["median_regret"], "p90_regret": c["p90_regret"],
            "keep_median": summary["keep_current"]["median_regret"], "keep_p90": summary["keep_current"]["p90_regret"],
            "bias": c["elasticity_bias"] if "elasticity_bias" in c else float("nan"),
            "losing": ch["losing_share"], "allowed": ch["allowed"]}


def reliability_line(pp: pd.DataFrame, edges=calibration.RELIABILITY_EDGES) -> str:
    moves = pp[pp["move_gains"].notna()]
    rel = calibration.reliability(moves["probability_of_gain"], moves["move_gains"].astype(bool), edges)
    return ", ".join(f"{b['promised']:.2f}→{100 * b['realized']:.0f}% ({b['count']})" for b in rel if b["count"])


def gap(pp: pd.DataFrame) -> str:
    """Mean promised minus realized over the moves, and their count."""
    m = pp[pp["move_gains"].notna()]
    if not len(m):
        return "no moves"
    fresh = f" fresh draws {m['fresh_probability'].mean():.2f}" if "fresh_probability" in m else ""
    return (f"promised {m['probability_of_gain'].mean():.2f}{fresh} realized {m['move_gains'].astype(float).mean():.2f} "
            f"(n {len(m)}); changed: promised {m.loc[m['decision'] == 'change', 'probability_of_gain'].mean():.2f} "
            f"realized {m.loc[m['decision'] == 'change', 'move_gains'].astype(float).mean():.2f}")


def breakdown(pp: pd.DataFrame) -> list[str]:
    """Promised vs realized P(gain) by direction, move size, thin/thick, elasticity error, decision."""
    m = pp[pp["move_gains"].notna()].copy()
    out = []
    m["direction"] = np.where(m["move_log"] > 0, "up", "down")
    m["size"] = pd.cut(m["move_log"].abs(), [0, 0.03, 0.07, 0.15, 0.3, 1.0])
    m["thick"] = np.where(m["lines"] >= m["lines"].median(), "thick", "thin")
    err = m["elasticity"] - m["elasticity_true"]
    m["err"] = pd.cut(err, [-99, -0.5, -0.15, 0.15, 0.5, 99])
    m["right_dir"] = np.sign(m["move_log"]) == np.sign(m["best_log"])
    m["decided"] = m["decision"]
    for col in ("direction", "size", "thick", "err", "right_dir", "decided", "far", "form"):
        if col not in m or m[col].isna().all():
            continue
        parts = []
        for key, g in m.groupby(col, observed=True):
            parts.append(f"{key}: {g['probability_of_gain'].mean():.2f}→{g['move_gains'].astype(float).mean():.2f} (n {len(g)})")
        out.append(f"  by {col}: " + "; ".join(parts))
    return out


def _capped(cap: float):
    return {"max_curvature_spread": cap}


def _stratified_normal(p: int, s: int, seed: int) -> np.ndarray:
    """[p, s] standard normal strata (i + 0.5) / s, permuted per product."""
    rng = np.random.default_rng(seed)
    z = stats.norm.ppf((np.arange(s) + 0.5) / s)
    return np.stack([rng.permutation(z) for _ in range(p)])


def _truth_shift(response, products, data):
    """DIAGNOSIS ONLY (reads the truth): every product's b moved by the data set's median elasticity error, to
    see how much of the over-promise a shared bias explains. Never a method."""
    truth = data["truth"]
    facts = products.set_index("stockcode")
    e_est, e_true = [], []
    for i, code in enumerate(response.stockcodes):
        if code not in set(truth.products["stockcode"]):
            continue
        p0 = float(facts.loc[code, "current_price"])
        d0 = np.log(p0) - float(facts.loc[code, "log_reference_price"])
        e_est.append(float(np.mean(response.draws[i, :, 0] + 2 * response.draws[i, :, 1] * d0)))
        e_true.append(float(truth.elasticity(code, p0)))
    bias = float(np.median(np.array(e_est) - np.array(e_true)))
    draws = response.draws.copy()
    draws[:, :, 0] -= bias
    return dataclasses.replace(response, draws=draws, mean=draws.mean(axis=1))


def _widen_b(sd: float):
    def transform(response, products, data):
        draws = response.draws.copy()
        draws[:, :, 0] += sd * _stratified_normal(draws.shape[0], draws.shape[1], 7)
        return dataclasses.replace(response, draws=draws, mean=draws.mean(axis=1))
    return transform


def _recalibrate(lam: float, tau: float):
    """Every product's draws of (b, c) pulled toward its category's mean posterior mean by the factor `lam` (the
    slope of the truth on the centres) and b widened by `tau` (stratified normal): a fixed recalibration of the
    total's posterior, to map the frontier (not learned)."""
    def transform(response, products, data):
        groups = data["own"].groups
        means = response.draws.mean(axis=1)
        centre = np.zeros_like(means)
        for g in np.unique(groups):
            centre[groups == g] = means[groups == g].mean(axis=0)
        draws = centre[:, None, :] + lam * (response.draws - centre[:, None, :])
        draws[:, :, 1] = np.minimum(draws[:, :, 1], 0.0)
        draws[:, :, 0] += tau * _stratified_normal(draws.shape[0], draws.shape[1], 7)
        return dataclasses.replace(response, draws=draws, mean=draws.mean(axis=1))
    return transform


def _priced_right(share: float, sd: float):
    """A fixed share of every product's draws replaced by draws whose elasticity at the current price is -1 (the
    revenue optimum) give or take `sd`, keeping their c: the hypothesis that a retailer's current price is near its
    optimum, as a mixture component of fixed weight, to map the frontier (not learned)."""
    def transform(response, products, data):
        facts = products.set_index("stockcode").loc[response.stockcodes]
        d0 = np.log(facts["current_price"].to_numpy(np.float64)) - facts["log_reference_price"].to_numpy(np.float64)
        draws = response.draws.copy()
        p, s, _ = draws.shape
        k = int(round(share * s))
        rng = np.random.default_rng(11)
        z = _stratified_normal(p, k, 13) if k else np.zeros((p, 0))
        for i in range(p):
            pick = rng.permutation(s)[:k]
            draws[i, pick, 0] = -1.0 - 2.0 * draws[i, pick, 1] * d0[i] + sd * z[i]
        return dataclasses.replace(response, draws=draws, mean=draws.mean(axis=1))
    return transform


VARIANTS: dict[str, tuple[dict, object]] = {
    "right0.5": ({}, _priced_right(0.5, 0.15)),
    "priced-right": ({"priced_right": True}, None),
    "priced-right-nosplit": ({"priced_right": True, "prior_split_check": False}, None),
    "right0.3": ({}, _priced_right(0.3, 0.15)),
    "recal0.4-0.7": ({}, _recalibrate(0.4, 0.7)),
    "recal0.4-0.5": ({}, _recalibrate(0.4, 0.5)),
    "recal0.6-0.5": ({}, _recalibrate(0.6, 0.5)),
    "revcheck": ({"revision_check": True}, None),
    "pool": ({"pool_parts": True}, None),
    "rho0.9": ({"part_correlation": 0.9}, None),
    "tail": ({"error_scales": (1.0, 4.0, 16.0)}, None),
    "revcheck-tail": ({"revision_check": True, "error_scales": (1.0, 4.0, 16.0)}, None),
    "revcheck-curv": ({"revision_check": True, "revision_curvature_check": True}, None),
    "revcheck-curv-rho0.9": ({"revision_check": True, "revision_curvature_check": True, "part_correlation": 0.9}, None),
    "revcheck-rho0.9": ({"revision_check": True, "part_correlation": 0.9}, None),
    "revcheck-rho0.99": ({"revision_check": True, "part_correlation": 0.99}, None),
    "nosplit-rho0.9": ({"prior_split_check": False, "part_correlation": 0.9}, None),
    "pool-cap1": ({"pool_parts": True, "max_curvature_spread": 1.0}, None),
    "revcheck-cap1": ({"revision_check": True, "max_curvature_spread": 1.0}, None),
    "truthshift": ({}, _truth_shift),
    "widen0.2": ({}, _widen_b(0.2)),
    "widen0.4": ({}, _widen_b(0.4)),
    "default": ({}, None),
    "third": ({"third_term": True}, None),  # g = b Δ + c Δ² + d φ(Δ) (curve_family), from the cache's own_third
    "third-category": ({"third_term": True, "third_term_by_product": False}, None),  # d: one per category
    "recentre": ({}, None),
    "recentre-rho0.9": ({"part_correlation": 0.9}, None),
    "weak25": ({"weak_prior_sd": 25.0}, None),  # with estimates cached under the same weak prior
    "widthcheck": ({"revision_width_check": True}, None),
    "revcheck-widthcheck": ({"revision_check": True, "revision_width_check": True}, None),
    "revcheck-extra0.3": ({"revision_check": True, "extra_spread": 0.3}, None),
    "revcheck-extra0.5": ({"revision_check": True, "extra_spread": 0.5}, None),
    "revcheck-extra0.7": ({"revision_check": True, "extra_spread": 0.7}, None),
    "revcheck-extra0.9": ({"revision_check": True, "extra_spread": 0.9}, None),
    "cap1": (_capped(1.0), None),
    "cap0.5": (_capped(0.5), None),
    "cap2": (_capped(2.0), None),
    "mix3": ({"prior_components": 3}, None),
    "mix3-cap1": ({"prior_components": 3, "max_curvature_spread": 1.0}, None),
    "nosplit": ({"prior_split_check": False}, None),
    "nosplit-cap1": ({"prior_split_check": False, "max_curvature_spread": 1.0}, None),
    "nosplit-widen0.4": ({"prior_split_check": False}, _widen_b(0.4)),
    "nosplit-widen0.6": ({"prior_split_check": False}, _widen_b(0.6)),
}


def run(directory: Path, seeds: list[int], names: list[str], variants: list[str], label: str, detail: bool,
        alphas: list[float] = (decision.DEFAULT_DECISION["max_loss_probability"],)) -> None:
    global _recentre
    results = []
    for variant in variants:
        overrides, transform = VARIANTS[variant]
        _recentre = variant in RECENTRED
        cfg = dataclasses.replace(LEGACY, **overrides)
        pooled: dict[str, list[pd.DataFrame]] = {}
        for name in names:
            for scen in (name, name + "-twin"):
                for seed in seeds:
                    path = directory / f"{scen}-{seed}.pkl"
                    if not path.exists():
                        print(f"missing {path}", flush=True)
                        continue
                    with open(path, "rb") as fh:
                        data = pickle.load(fh)
                    t = time.time()
                    prepared = prepare(data, cfg, transform)
                    for alpha in alphas:
                        settings = decision.DEFAULT_DECISION | {"max_loss_probability": alpha}
                        tag = variant if alpha == decision.DEFAULT_DECISION["max_loss_probability"] else f"{variant}@{alpha:g}"
                        pp, summary, post = evaluate_variant(data, cfg, settings, transform=transform, prepared=prepared)
                        h = headline(summary)
                        pooled.setdefault((tag, scen), []).append(pp)
                        results.append({"variant": tag, "scenario": scen, "seed": seed, **h,
                                        "reliability": summary["calibration"]["reliability"], "posterior": post})
                        print(f"{tag:>10} {scen:>18} {seed:>4}: cov {100 * h['cov50']:.0f}/{100 * h['cov80']:.1f}/"
                            f"{100 * h['cov95']:.0f} bias {h['bias']:+.2f} harm {100 * h['harm']:.1f}% capture "
                            f"{100 * h['agg_capture']:.1f}% changed {100 * h['changed']:.0f}% regret "
                            f"{100 * h['median_regret']:.2f}/{100 * h['p90_regret']:.1f} (keep {100 * h['keep_median']:.2f}/"
                            f"{100 * h['keep_p90']:.1f}) losing {100 * (h['losing'] or 0):.1f}/{100 * (h['allowed'] or 0):.1f} "
                            f"extra {post.get('extra_spread', 0.0):.2f} right {post.get('priced_right', {})} orders scale "
                            f"{post.get('orders', {}).get('prior_information_scale', float('nan')):.2f} "
                            f"[{time.time() - t:.0f}s]\n    reliability: {reliability_line(pp)}; {gap(pp)}", flush=True)
        for (tag, scen), frames in pooled.items():
            pp = pd.concat(frames, ignore_index=True)
            print(f"{tag} {scen} pooled: {gap(pp)}\n  reliability: {reliability_line(pp)}", flush=True)
            if detail:
                print("\n".join(breakdown(pp)), flush=True)
            pp.to_pickle(directory / f"pp-{label}-{tag}-{scen}.pkl")
    (directory / f"run-{label}.json").write_text(json.dumps(results, default=float, indent=1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["cache", "cache-third", "run"])
    ap.add_argument("directory", type=Path)
    ap.add_argument("seeds", help="comma-separated seeds")
    ap.add_argument("names", nargs="+", help="scenarios (their twins are included)")
    ap.add_argument("--variants", nargs="+", default=["default"], choices=list(VARIANTS))
    ap.add_argument("--label", default="study")
    ap.add_argument("--detail", action="store_true", help="reliability by direction, size, thickness, error")
    ap.add_argument("--alphas", default=None, help="comma-separated max_loss_probability values (default: the rule's)")
    ap.add_argument("--no-fresh", action="store_true", help="skip the 2,048 fresh draws' P(gain) (faster)")
    a = ap.parse_args()
    if a.no_fresh:
        global FRESH_DRAWS
        FRESH_DRAWS = 0
    seeds = [int(s) for s in a.seeds.split(",")]
    if a.command in ("cache", "cache-third"):
        for seed in seeds:
            for name in a.names:
                for scen in (name, name + "-twin"):
                    if a.command == "cache":
                        cache(a.directory, seed, scen, dataclasses.replace(LEGACY, size_revisions=True))
                    else:
                        cache_third_term(a.directory, seed, scen)
    else:
        alphas = ([float(x) for x in a.alphas.split(",")] if a.alphas
                  else [decision.DEFAULT_DECISION["max_loss_probability"]])
        run(a.directory, seeds, a.names, a.variants, a.label, a.detail, alphas)


if __name__ == "__main__":
    main()
