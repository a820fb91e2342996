"""Calibration of the method's posterior and the frontier of its decision rule, measured on ground truth.

Everything here is computed from the posterior draws of (b, c) that the service uses (decision.py,
docs/price-response.md): the elasticity at the current price e_s = b_s + 2 c_s Δ0, the per-draw best price
over the searched grid, and the gains gain_s(p) = V_s(p) − V_s(p0) that set P(gain) and the decision.

- **Interval coverage**: the share of products whose true value lies in the central 50/80/95% interval of the
  draws (NumPy's default percentiles, as the service computes its p10/p90).
- **P(gain) reliability**: products binned by the promised P(gain) of the move the service reports on (the
  decided price when it changes, its best price p* when it keeps), against the share of those moves that gain
  on the true curve. A calibrated posterior puts every bin on the diagonal.
- **The honesty check on changed prices**: among the products whose price changes, the share losing over 1%
  against keeping should be at most 1.5 × (1 − mean promised P(gain)) + 2 points.
- **The decision frontier**: the same draws decided under a sweep of the rule's parameter, the P(gain)
  threshold q of the service's rule and α of "maximise E[gain] subject to P(loss > 1%) ≤ α", each point scored
  by its harm rate and its aggregate gain capture (Σ realized gain / Σ possible gain over mispriced products).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from . import decision

LEVELS = (0.5, 0.8, 0.95)
RELIABILITY_EDGES = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)
LOSS = decision.LOSS_THRESHOLD  # a draw (or the truth) "loses" when the price earns over 1% less than the current one
# The service's rule (q) on the oracle's thresholds, plus the default 0.95 and 0.99; q = 0 keeps only the
# expected-gain and at-current conditions.
Q_THRESHOLDS = tuple(sorted({0.0, *(round(0.5 + 0.02 * i, 2) for i in range(25)), 0.95, 0.99}))
# α of the loss rule, and the default rule's own.
ALPHAS = tuple(sorted({0.0, 0.01, 0.02, 0.04, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0,
                       *([] if decision.DEFAULT_DECISION.get("max_loss_probability") is None
                         else [decision.DEFAULT_DECISION["max_loss_probability"]])}))
HONESTY_FACTOR, HONESTY_SLACK = 1.5, 0.02


def rule_key(kind: str, parameter: float) -> str:
    """The name of one rule of the frontier: "q0.95" (P(gain) ≥ q) or "alpha0.05" (P(loss > 1%) ≤ α)."""
    return f"{kind}{parameter:g}"


def default_rule(settings: dict = decision.DEFAULT_DECISION) -> str:
    """The frontier's name of the rule `settings` define: α when they bound P(loss), else q."""
    alpha = settings.get("max_loss_probability")
    return rule_key("q", settings["min_probability_of_gain"]) if alpha is None else rule_key("alpha", alpha)


DEFAULT_RULE = default_rule()


# ----------------------------------------------------------------------------------------------
# Coverage and reliability (plain arrays, so tests can feed them known distributions)

def central_interval(samples: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """The central `level` interval of each row of `samples` [N, S] (NumPy's default percentiles)."""
    lo = np.quantile(samples, (1.0 - level) / 2.0, axis=-1)
    hi = np.quantile(samples, (1.0 + level) / 2.0, axis=-1)
    return lo, hi


def interval_hits(samples: np.ndarray, truth: np.ndarray, levels=LEVELS, tol: float = 1e-9) -> dict[float, np.ndarray]:
    """For each level, whether each row's truth lies in its central interval (bounds included, to `tol`
    relative: the best price of a grid draw can sit exactly on a grid point)."""
    samples = np.atleast_2d(np.asarray(samples, np.float64))
    truth = np.asarray(truth, np.float64)
    out = {}
    for level in levels:
        lo, hi = central_interval(samples, level)
        slack = tol * np.maximum(np.abs(truth), 1.0)
        out[level] = (lo - slack <= truth) & (truth <= hi + slack)
    return out


def coverage(hits: pd.DataFrame | dict, levels=LEVELS, prefix: str = "") -> dict[str, float]:
    """Share of hits per level: {"50": 0.48, "80": ..., "95": ...}."""
    return {f"{round(100 * level):d}": float(np.mean(np.asarray(hits[f"{prefix}{round(100 * level):d}"], bool)))
            for level in levels}


def reliability(promised, realized, edges=RELIABILITY_EDGES) -> list[dict]:
    """Promised P(gain) in bins [lo, hi) (the last bin includes its upper edge) against the realized share of
    gains: per bin its edges, count, mean promised probability and realized share (None when empty)."""
    promised = np.asarray(promised, np.float64)
    realized = np.asarray(realized, bool)
    out = []
    for i, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
        last = i == len(edges) - 2
        inside = (promised >= lo) & ((promised <= hi) if last else (promised < hi))
        n = int(inside.sum())
        out.append({"lo": float(lo), "hi": float(hi), "count": n,
                    "promised": float(promised[inside].mean()) if n else None,
                    "realized": float(realized[inside].mean()) if n else None})
    return out


def changed_losses(promised, lost) -> dict:
    """The honesty check on changed prices: the share of them that lose over 1% against keeping, next to
    what their promised P(gain) allows: 1.5 × (1 − mean promised) + 2 points."""
    promised = np.asarray(promised, np.float64)
    lost = np.asarray(lost, bool)
    if len(promised) == 0:
        return {"changed": 0, "mean_promised": None, "losing_share": None, "allowed": None, "honest": True}
    mean = float(promised.mean())
    allowed = HONESTY_FACTOR * (1.0 - mean) + HONESTY_SLACK
    share = float(lost.mean())
    return {"changed": int(len(promised)), "mean_promised": mean, "losing_share": share, "allowed": allowed,
            "honest": bool(share <= allowed + 1e-12)}


# ----------------------------------------------------------------------------------------------
# The decision from the draws, under any rule

@dataclasses.dataclass(frozen=True)
class Evidence:
    """One product's evidence on the searched grid, from its draws (docs/price-response.md, steps 3-6 and 8)."""

    grid: np.ndarray  # [G]
    current_price: float
    value_now: float  # V(p0), mean over draws
    best: int  # index of p* on the grid
    expected: np.ndarray  # [G] E(p)
    probability: np.ndarray  # [G] P(gain_s(p) > 0)
    loss_probability: np.ndarray  # [G] P(V_s(p) < (1 − LOSS) V_s(p0))
    per_draw_best: np.ndarray  # [S] p*_s


def evidence(resp: decision.ProductResponse, request_min: float, request_max: float, unit_cost: float | None = None,
             settings: dict = decision.DEFAULT_DECISION, baseline_volume: float = 1.0) -> Evidence:
    """The same search range, grid, values and gains as decision.decide (the parity test holds them equal)."""
    lo, hi = resp.support
    a, b = max(lo, request_min), min(hi, request_max)
    if a > b:
        a, b = request_min, request_max
    grid = decision.log_grid(a, b, int(settings["grid_points"]))
    k = 0.0 if unit_cost is None else float(unit_cost)
    rho, p0 = resp.realized_price_ratio, resp.current_price
    value = (rho * grid[None, :] - k) * baseline_volume * decision.multipliers(resp, grid)
    value_now = (rho * p0 - k) * baseline_volume * decision.multipliers(resp, np.array([p0]))[:, 0]
    gains = value - value_now[:, None]
    return Evidence(grid=grid, current_price=p0, value_now=float(value_now.mean()),
                    best=int(np.argmax(value.mean(axis=0))), expected=gains.mean(axis=0),
                    probability=(gains > 0).mean(axis=0),
                    loss_probability=decision.loss_probability(gains, value_now),
                    per_draw_best=grid[np.argmax(value, axis=1)])


def choose(ev: Evidence, settings: dict = decision.DEFAULT_DECISION, *, min_probability: float | None = None,
           max_loss_probability: float | None = None) -> float:
    """The decided price under a rule: the service's rule with threshold `min_probability` (q), or "maximise
    E[gain] subject to P(loss > 1%) ≤ `max_loss_probability`" (α); the other conditions are the service's
    (expected gain ≥ min_expected_gain · |V(p0)|, a move beyond 0.5%, keep when p* is at the current price).
    Returns the current price when the rule keeps it."""
    p0 = ev.current_price
    if abs(ev.grid[ev.best] / p0 - 1.0) <= decision.AT_CURRENT_TOLERANCE:
        return p0
    feasible = ev.expected >= settings["min_expected_gain"] * abs(ev.value_now)
    if min_probability is not None:
        feasible &= ev.probability >= min_probability
    if max_loss_probability is not None:
        feasible &= ev.loss_probability <= max_loss_probability + 1e-12
    feasible &= np.abs(ev.grid / p0 - 1.0) > decision.AT_CURRENT_TOLERANCE
    if not feasible.any():
        return p0
    return float(ev.grid[np.flatnonzero(feasible)[np.argmax(ev.expected[feasible])]])


def rule_prices(ev: Evidence, settings: dict = decision.DEFAULT_DECISION, thresholds=Q_THRESHOLDS,
                alphas=ALPHAS) -> dict[str, float]:
    """The decided price under every rule of the frontier."""
    out = {rule_key("q", q): choose(ev, settings, min_probability=q) for q in thresholds}
    out |= {rule_key("alpha", a): choose(ev, settings, max_loss_probability=a) for a in alphas}
    return out


def product_record(truth, code: str, resp: decision.ProductResponse, chosen: dict, ev: Evidence,
                   elasticity_true: float, best_price_in_range: float, settings: dict = decision.DEFAULT_DECISION
                   ) -> tuple[dict, dict]:
    """One product's calibration columns (interval hits, the promised P(gain) of the reported move and whether
    it gains on the true curve) and its frontier row (true revenue at each rule's price)."""
    p0 = resp.current_price
    e = decision.elasticity_draws(resp)
    row = {}
    for level, hit in interval_hits(e[None, :], np.array([elasticity_true])).items():
        row[f"elasticity_in_{round(100 * level):d}"] = bool(hit[0])
    for level, hit in interval_hits(ev.per_draw_best[None, :], np.array([best_price_in_range])).items():
        row[f"best_price_in_{round(100 * level):d}"] = bool(hit[0])
    # The move the service's P(gain) describes: the decided price when changing, p* when keeping (none when p*
    # is the current price: there is no move to promise anything about).
    move = chosen["optimal_unit_price"] if chosen["decision"] == "change" else chosen["best_price"]
    has_move = abs(move / p0 - 1.0) > decision.AT_CURRENT_TOLERANCE
    default = default_rule(settings)
    alphas = tuple(sorted({*ALPHAS, *([] if settings.get("max_loss_probability") is None else [settings["max_loss_probability"]])}))
    prices = rule_prices(ev, settings, tuple(sorted({*Q_THRESHOLDS, settings["min_probability_of_gain"]})), alphas)
    keys = list(prices)
    revenue = truth.revenue(code, np.array([p0, move] + [prices[k] for k in keys], np.float64))
    row |= {"move_price": float(move) if has_move else None,
            "move_gains": bool(revenue[1] > revenue[0]) if has_move else None,
            "default_rule_matches": bool(np.isclose(prices[default], chosen["optimal_unit_price"]
                                                    if chosen["decision"] == "change" else p0, rtol=1e-12))}
    frontier_row = {"stockcode": code} | {k: float(r) for k, r in zip(keys, revenue[2:])}
    return row, frontier_row


# ----------------------------------------------------------------------------------------------
# Summaries

def aggregate_capture(revenue, revenue_now, revenue_best, mispriced) -> float:
    """Σ (R(decided) − R(now)) / Σ (R(best) − R(now)) over mispriced products (NaN when there are none)."""
    m = np.asarray(mispriced, bool)
    possible = float((np.asarray(revenue_best, np.float64)[m] - np.asarray(revenue_now, np.float64)[m]).sum())
    if not m.any() or possible <= 0:
        return float("nan")
    return float((np.asarray(revenue, np.float64)[m] - np.asarray(revenue_now, np.float64)[m]).sum() / possible)


def frontier(revenues: pd.DataFrame, revenue_now, revenue_best, mispriced, harm: float = LOSS) -> dict[str, dict]:
    """Per rule (a column of `revenues`, one row per product): harm rate (share of products losing over
    `harm` against keeping), aggregate and median gain capture on mispriced products, share changed."""
    now = np.asarray(revenue_now, np.float64)
    best = np.asarray(revenue_best, np.float64)
    m = np.asarray(mispriced, bool)
    out = {}
    for key in revenues.columns:
        r = revenues[key].to_numpy(np.float64)
        capture = (r[m] - now[m]) / (best[m] - now[m])
        out[key] = {"harm_rate": float(np.mean(r < now * (1.0 - harm))),
                    "aggregate_capture": aggregate_capture(r, now, best, m),
                    "median_capture": float(np.median(capture)) if m.any() else float("nan"),
                    "changed": float(np.mean(~np.isclose(r, now, rtol=1e-12, atol=0.0)))}
    return out


def oracle_frontier(oracle: pd.DataFrame, thresholds, multiple: int = 1) -> dict[str, dict]:
    """The information oracle's frontier at `multiple`× the data, from its per-product frame with each product's
    `revenue_best` and `revenue_now` joined: per threshold q, its harm rate (over products and replicates), the
    aggregate capture Σ_i w_i · mean_rep(capture_i) / Σ_i w_i with w_i = R(best) − R(now) over mispriced products
    (the expected aggregate capture of its decisions), and the median capture over (product, replicate)."""
    weight = (oracle["revenue_best"] - oracle["revenue_now"]).to_numpy(np.float64)
    out = {}
    for q in thresholds:
        key = f"{multiple}x_q{q:g}"
        num = den = 0.0
        captures = []
        for w, cap in zip(weight, oracle[f"capture_{key}"]):
            if cap is None or (np.ndim(cap) == 0 and np.isnan(cap)):
                continue  # not mispriced
            cap = np.asarray(cap, np.float64)
            num += w * float(cap.mean())
            den += w
            captures.append(cap)
        out[rule_key("q", q)] = {"harm_rate": float(oracle[f"harm_{key}"].mean()),
                                 "aggregate_capture": num / den if den > 0 else float("nan"),
                                 "median_capture": float(np.median(np.concatenate(captures))) if captures else float("nan")}
    return out


def best_within(points: dict[str, dict], harm_bar: float) -> tuple[str, dict] | None:
    """The point with the highest aggregate capture among those whose harm rate is within `harm_bar`."""
    within = {k: p for k, p in points.items() if p["harm_rate"] <= harm_bar and np.isfinite(p["aggregate_capture"])}
    if not within:
        return None
    key = max(within, key=lambda k: (within[k]["aggregate_capture"], -within[k]["harm_rate"]))
    return key, within[key]


def summarize(per_product: pd.DataFrame, revenues: pd.DataFrame, oracle: pd.DataFrame | None, oracle_thresholds,
              harm_bar: float, realistic: pd.DataFrame | None = None) -> dict:
    """A scenario's calibration table and frontier. `revenues` holds each product's true revenue under every
    rule (frontier rows of product_record), `oracle` the generous information oracle's per-product frame and
    `realistic` the realistic one's (information_oracle.evaluate(..., oracle="realistic")); all are joined to
    `per_product` on stockcode (and seed, when there is one)."""
    keys = ["stockcode"] + (["seed"] if "seed" in per_product and "seed" in revenues else [])
    revenues = per_product[keys].merge(revenues, on=keys, how="left", validate="one_to_one")
    changed = per_product["decision"] == "change"
    moves = per_product["move_gains"].notna()
    cal = {"elasticity_coverage": coverage(per_product, prefix="elasticity_in_"),
           "best_price_coverage": coverage(per_product, prefix="best_price_in_"),
           "reliability": reliability(per_product.loc[moves, "probability_of_gain"],
                                      per_product.loc[moves, "move_gains"].astype(bool)),
           "reliability_moves": int(moves.sum()),
           "changed_prices": changed_losses(per_product.loc[changed, "probability_of_gain"],
                                            per_product.loc[changed, "harm"])}
    method = frontier(revenues.drop(columns=keys), per_product["revenue_now"], per_product["revenue_best"],
                      per_product["mispriced"])
    best = best_within(method, harm_bar)
    out = {"calibration": cal,
           "frontier": {"method": method, "default_rule": DEFAULT_RULE,
                        "default_rule_matches_decisions": bool(per_product["default_rule_matches"].all()),
                        "method_best_within_harm_bar": None if best is None else {"rule": best[0], **best[1]}}}
    for name, frame in (("oracle", oracle), ("realistic_oracle", realistic)):
        if frame is None:
            continue
        okeys = ["stockcode"] + (["seed"] if "seed" in per_product and "seed" in frame else [])
        joined = frame.merge(per_product[okeys + ["revenue_best", "revenue_now"]], on=okeys, how="left",
                             validate="one_to_one")
        orc = oracle_frontier(joined, oracle_thresholds)
        best = best_within(orc, harm_bar)
        out["frontier"] |= {name: orc, f"{name}_best_within_harm_bar": None if best is None else {"rule": best[0], **best[1]}}
    return out
