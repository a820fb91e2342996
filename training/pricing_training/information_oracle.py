"""What any method could reach on a scenario: the information oracle.

The oracle in the report's last column knows each product's true curve and only shows what the search range
costs. This one knows everything *but* where the product's curve sits on the price axis, and then decides as
well as anything can from the data a real method sees:

- it knows the demand form and its shape, the segments, the split into orders and line sizes, the size noise,
  and every week's demand factor (season x shock): no confounding can fool it, and all of the product's
  price movement, the markups and promotions included, is evidence;
- it does not know the product's volume (a separate unknown level for each segment's orders and line sizes,
  as every real method must estimate) nor θ = ln p_form, the scale of the price axis that places the
  optimum;
- its estimate of θ is as precise as any unbiased estimator can be: θ̂ ~ N(θ, 1/I), where I is the Fisher
  information of the product's year of data about θ with the levels profiled out (expected attempted lines
  per week as Poisson counts, and every attempted line's latent lognormal size observed: more than the log
  shows, which drops zero-quantity lines and rounds sizes down);
- it knows the generator's prior over where current prices sit (far from the optimum with the scenario's
  share, ±20-40%, near otherwise), and picks the price that maximises the posterior expected revenue.

Its regret is a floor for any method on that data at that size, not a target: a method that reaches it has
used all of the data's information with a perfect model. `multiples` repeats the calculation as if every
product had k times its lines with the same price path (information grows k-fold), which answers how much
data a bar needs.

The *realistic* oracle (`evaluate(..., oracle="realistic")`) knows as much about the curve (form, shape,
segments, split, size noise, price classes, the generator's prior) but not each week's demand, and uses only
the price variation a method could use. Its θ̂ has the information left when, besides each level group's
volume (a segment; a negotiated trade tier on its own, since its level moves with its price across
customers), a level for the week is unknown too:

- at "off" and "moderate" confounding the week's level is season and last week's shock (both visible to a
  method: the season from all products, last week's demand from the log) plus this week's innovation,
  which only adds noise (the counts are overdispersed by exp(shock_sd²) - 1); once those controls are
  profiled out, what is left of the price variation is independent of this week's demand;
- at "strong" the retailer foresees part of this week's shock, so no control removes the confounding: the
  week's level is a free parameter and only variation within the week (trade, coupon and negotiated
  prices against the same week's list price) is evidence.

Line sizes carry the same nuisance (a method does not know that shocks move only the number of orders).
Its information is never above the generous oracle's, so its capture is what a method with a perfect
model could realistically reach; it is still an upper bound (the controls are known exactly, every
attempted line's latent size is observed).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from . import demand_truth, scenarios

THETA_STEP = 1e-4
PRIOR_POINTS = 161
PRICE_POINTS = 241
X_POINTS = 4001
# The Bayes rule (0) and evidence thresholds fine enough that the report's best rule under the harm bar is
# not an artefact of a coarse grid (a step of 0.1 missed rules that meet the bar).
THRESHOLDS = (0.0,) + tuple(round(0.5 + 0.02 * i, 2) for i in range(25))  # 0.50, 0.52, ..., 0.98


def _log_h(prm: dict, prices: np.ndarray, theta: float) -> list[tuple[np.ndarray, float, float, float]]:
    """ln h_s at `prices` for p_form = e^θ, per segment: (ln h, split a, size log-sd, lines L_s)."""
    local = dict(prm, p_form=float(np.exp(theta)))
    return [(np.log(np.maximum(h, 1e-300)), a, sigma, lines)
            for _disc, h, a, lines, _size, sigma in demand_truth.segments(local, prices)]


def _cells(prm: dict, prices: np.ndarray, demand: np.ndarray):
    """Per price class: (g = ∂ ln h / ∂θ per week, λ = expected attempted lines per week, a, σ)."""
    up = _log_h(prm, prices, np.log(prm["p_form"]) + THETA_STEP)
    down = _log_h(prm, prices, np.log(prm["p_form"]) - THETA_STEP)
    out = []
    for (lh_up, a, sigma, lines), (lh_dn, *_) in zip(up, down):
        g = (lh_up - lh_dn) / (2.0 * THETA_STEP)
        h = np.exp(lh_up + lh_dn) ** 0.5  # h at θ itself, to the step's accuracy
        out.append((g, lines * demand * h ** a, a, sigma))
    return out


def _level_groups(prm: dict) -> list[int]:
    """The level group of each price class for the realistic oracle: its segment, or a group of its own for
    a negotiated tier (whose volume moves with its price across customers)."""
    classes = demand_truth.price_classes(prm)
    return [c.segment if c.kind != "negotiated" else len(demand_truth.SEGMENTS) + k for k, c in enumerate(classes)]


def realistic_information(prm: dict, prices: np.ndarray, demand: np.ndarray, controls: np.ndarray | None,
                          overdispersion: float = 0.0) -> float:
    """Information about θ in one product's year when the week's demand level is unknown too.

    `controls` (weeks, k) are what a method sees of the week's level (e.g. log season, last week's shock):
    the week's log level is a linear function of them, and `overdispersion` (exp(innovation var) - 1) widens
    the weekly counts by the rest. `controls=None` makes the week's level a free parameter (only within-week
    variation informs). The information is the weighted residual sum of squares of g after projecting out
    the nuisance (level groups and the week part), for the counts (weights λ a² / (1 + λ τ²)) and the line
    sizes (weights λ (1 - a)² / σ²)."""
    cells = _cells(prm, prices, demand)
    groups = _level_groups(prm)
    weeks = len(prices)
    labels = sorted(set(groups))
    g = np.concatenate([c[0] for c in cells])
    lam = np.concatenate([c[1] for c in cells])
    a = np.concatenate([np.full(weeks, c[2]) for c in cells])
    sigma = np.concatenate([np.full(weeks, float(np.squeeze(c[3]))) for c in cells])
    group = np.concatenate([np.full(weeks, labels.index(gr)) for gr in groups])
    week = np.tile(np.arange(weeks), len(cells))
    columns = [(group == k).astype(np.float64) for k in range(len(labels))]
    if controls is None:
        columns += [(week == w).astype(np.float64) for w in range(weeks)]
    else:
        controls = np.asarray(controls, np.float64).reshape(weeks, -1)
        columns += [controls[week, j] for j in range(controls.shape[1])]
    x = np.stack(columns, axis=1)
    keep = lam > 0
    info = 0.0
    count_dispersion = 0.0 if controls is None else overdispersion
    for weight in (lam * a ** 2 / (1.0 + lam * count_dispersion), lam * (1.0 - a) ** 2 / sigma ** 2):
        w = np.sqrt(weight[keep])
        coef, *_ = np.linalg.lstsq(x[keep] * w[:, None], g[keep] * w, rcond=None)
        info += float(((g[keep] - x[keep] @ coef) ** 2 * weight[keep]).sum())
    return info


def fisher_information(prm: dict, prices: np.ndarray, demand: np.ndarray) -> float:
    """Information about θ in one product's year: weekly list `prices` and demand factors `demand`.

    Per segment s (and price class c), the week's attempted lines are Poisson(L_s π_c D_w h_sc^a) and each
    attempted line's log size is normal with mean ln(size_s z_c h_sc^(1-a)) and sd σ_s. With g = ∂ ln h / ∂θ
    and the segment's level unknown, the information is Σ λ a² (g − ḡ)² + Σ λ (1−a)² (g − ḡ)² / σ_s² over
    the segment's weeks and classes, ḡ the λ-weighted mean of g (profiling the level out leaves only the
    variation of g across weeks and classes)."""
    cells = _cells(prm, prices, demand)
    segment_of = [c.segment for c in demand_truth.price_classes(prm)]
    info = 0.0
    for segment in sorted(set(segment_of)):
        # A segment's price classes (coupon codes, negotiated tiers) share its one unknown level.
        mine = [cell for cell, seg in zip(cells, segment_of) if seg == segment]
        g = np.concatenate([cell[0] for cell in mine])
        lam = np.concatenate([cell[1] for cell in mine])
        a, sigma = mine[0][2], mine[0][3]
        if lam.sum() <= 0:
            continue
        g_bar = float((lam * g).sum() / lam.sum())
        spread = float((lam * (g - g_bar) ** 2).sum())
        info += a ** 2 * spread + (1.0 - a) ** 2 * spread / sigma ** 2
    return info


def _prior(far_share: float) -> tuple[np.ndarray, np.ndarray]:
    """ln(optimum / current) under the generator: far with probability far_share (distance U(0.2, 0.4),
    either side), near otherwise (U(0, 0.05)); optimum = current / (1 ± d). Grid points and weights."""
    per = PRIOR_POINTS // 4
    far_d = np.linspace(0.20, 0.40, per)
    near_d = np.linspace(0.0, 0.05, per)
    u = np.concatenate([-np.log1p(far_d), -np.log1p(-far_d), -np.log1p(near_d), -np.log1p(-near_d)])
    w = np.concatenate([np.full(2 * per, far_share / (2 * per)), np.full(2 * per, (1.0 - far_share) / (2 * per))])
    return u, w


@dataclasses.dataclass(frozen=True)
class _Candidates:
    """One product's candidate curves under the prior, tabulated once for every data multiple: θ values,
    their prior log-weights, the price grid, the revenue of each (θ, price), the true θ."""

    thetas: np.ndarray  # [K]
    log_prior: np.ndarray  # [K]
    prices: np.ndarray  # [P], log-symmetric around p_now
    revenue: np.ndarray  # [K, P]
    theta: float

    @classmethod
    def tabulate(cls, truth: demand_truth.Truth, code: str, p_now: float, far_share: float) -> _Candidates:
        prm, breaks = truth.parameters(code)
        row = truth.product(code)
        theta = float(np.log(prm["p_form"]))
        # θ relative to the log optimum is a known constant of the curve's shape.
        offset = theta - float(np.log(row["optimal_price"]))
        u, w = _prior(far_share)
        thetas = float(np.log(row["current_price"])) + u + offset  # candidate θ under the prior
        prices = p_now * np.exp(np.linspace(np.log(0.5), np.log(2.0), PRICE_POINTS))
        # Revenue is p·F(p/p_form): tabulate F once on a log grid of x and interpolate for every (θ_k, price).
        x_lo = prices[0] * np.exp(-thetas.max()) * 0.99
        x_hi = prices[-1] * np.exp(-thetas.min()) * 1.01
        xs = np.exp(np.linspace(np.log(x_lo), np.log(x_hi), X_POINTS))
        f = demand_truth.curves(dict(prm, p_form=1.0), xs, breaks)["revenue"] / xs
        x = prices[None, :] * np.exp(-thetas[:, None])
        revenue = prices[None, :] * np.interp(np.log(x), np.log(xs), f)
        return cls(thetas, np.log(w), prices, revenue, theta)


def decide(candidates: _Candidates, info: float, rng: np.random.Generator, replicates: int,
           thresholds=THRESHOLDS) -> dict[float, np.ndarray]:
    """The oracle's chosen prices for `replicates` independent draws of its estimate θ̂ ~ N(θ, 1/info), per
    evidence threshold q: the price of highest posterior expected revenue among those that earn at least the
    current price's revenue with posterior probability q (q = 0: the plain Bayes decision)."""
    c = candidates
    se = 1.0 / np.sqrt(max(info, 1e-12))
    estimates = c.theta + se * rng.standard_normal(replicates)
    log_post = c.log_prior[None, :] - 0.5 * ((estimates[:, None] - c.thetas[None, :]) / se) ** 2
    post = np.exp(log_post - log_post.max(axis=1, keepdims=True))
    post /= post.sum(axis=1, keepdims=True)
    expected = post @ c.revenue  # [R, P]
    now = len(c.prices) // 2  # the log grid is symmetric around p_now: its middle point is p_now
    p_gain = post @ (c.revenue >= c.revenue[:, now:now + 1]).astype(np.float64)  # [R, P]
    out = {}
    for q in thresholds:
        allowed = np.where(p_gain >= q - 1e-12, expected, -np.inf)
        allowed[:, now] = expected[:, now]  # keeping is always allowed
        out[q] = c.prices[np.argmax(allowed, axis=1)]
    return out


ORACLES = ("generous", "realistic")


def information(data: scenarios.ScenarioData, code: str, oracle: str = "generous") -> float:
    """The information about θ the named oracle has in the product's year of `data`."""
    g = data.weeks[data.weeks["stockcode"] == code]
    return _information(data, code, g, oracle)


def _information(data: scenarios.ScenarioData, code: str, g: pd.DataFrame, oracle: str) -> float:
    prm, _ = data.truth.parameters(code)
    prices, demand = g["list_price"].to_numpy(), g["demand_factor"].to_numpy()
    generous = fisher_information(prm, prices, demand)
    if oracle == "generous":
        return generous
    if data.scenario.confounding == "strong":
        realistic = realistic_information(prm, prices, demand, None)
    else:
        shock = g["shock"].to_numpy()
        last_week = np.concatenate([[0.0], shock[:-1]])  # the week before the first: its stationary mean
        shock_sd = float(data.truth.product(code)["shock_sd"])
        controls = np.stack([np.log(g["season"].to_numpy()), last_week], axis=1)
        realistic = realistic_information(prm, prices, demand, controls, overdispersion=float(np.expm1(shock_sd ** 2)))
    # More nuisance and noisier counts never add information; the cap only removes least-squares round-off
    # where the price never moved (both are then ~0).
    return min(realistic, generous)


def evaluate(data: scenarios.ScenarioData, now: dict[str, float], *, mispriced: float, harm: float,
             multiples=(1, 3, 10, 30, 100), replicates: int = 25, seed: int = 0, thresholds=THRESHOLDS,
             oracle: str = "generous") -> pd.DataFrame:
    """Per product and data multiple: the oracle's regret and gain capture for each replicate, its harm rate
    over replicates, and the information at 1× as standard errors: of θ̂, and of the elasticity at the
    current price that θ̂ implies.

    `now` maps each scored stockcode to the current price the report scores against; `mispriced` and
    `harm` are the report's thresholds (best earns that share more than now; decided earns that share less).
    `oracle` is "generous" (knows every week's demand) or "realistic" (see the module's doc); `summarize`
    reads either frame."""
    if oracle not in ORACLES:
        raise ValueError(f"oracle {oracle!r} is not one of {', '.join(ORACLES)}")
    truth, weeks = data.truth, data.weeks
    far_share = float(data.scenario.far_share)
    rng = np.random.default_rng(seed)
    rows = []
    by_code = {c: g for c, g in weeks.groupby("stockcode", sort=False)}
    for code, p_now in now.items():
        g = by_code[code]
        info = _information(data, code, g, oracle)
        best = truth.best_price(code, p_now / 2.0, 2.0 * p_now)
        r_best = float(truth.revenue(code, np.array([best]))[0])
        r_now = float(truth.revenue(code, np.array([p_now]))[0])
        is_mispriced = r_best / r_now - 1.0 >= mispriced
        theta_se = 1.0 / np.sqrt(max(info, 1e-12))
        # Shifting θ slides the curve along ln p, so the elasticity at p_now moves by its slope in ln p.
        step = 1e-3
        slope = (truth.elasticity(code, p_now * np.exp(step)) - truth.elasticity(code, p_now * np.exp(-step))) / (2 * step)
        row = {"stockcode": code, "theta_se": theta_se, "elasticity_se": abs(slope) * theta_se}
        candidates = _Candidates.tabulate(truth, code, p_now, far_share)
        rules = [(k, q, chosen) for k in multiples
                 for q, chosen in decide(candidates, k * info, rng, replicates, thresholds).items()]
        # One curve evaluation for every rule's prices (the curve is elementwise in the price: the same numbers
        # as one call per rule, without a hundred calls' overhead per product).
        revenues = np.split(truth.revenue(code, np.concatenate([chosen for _, _, chosen in rules])),
                            np.cumsum([len(chosen) for _, _, chosen in rules])[:-1])
        for (k, q, _), r in zip(rules, revenues):
            key = f"{k}x_q{q:g}"
            row[f"regret_{key}"] = (1.0 - r / r_best).tolist()
            row[f"harm_{key}"] = float(np.mean(r < r_now * (1.0 - harm)))
            row[f"capture_{key}"] = ((r - r_now) / (r_best - r_now)).tolist() if is_mispriced else None
        rows.append(row)
    return pd.DataFrame(rows)


def summarize(frame: pd.DataFrame, multiples=(1, 3, 10, 30, 100), thresholds=THRESHOLDS) -> dict:
    """Per multiple and threshold: median and p90 regret over every (product, replicate), harm rate, and the
    median gain capture over every (mispriced product, replicate)."""
    out = {"theta_se_median": float(np.median(frame["theta_se"]))}
    for k in multiples:
        for q in thresholds:
            key = f"{k}x_q{q:g}"
            regret = np.concatenate([np.asarray(v, np.float64) for v in frame[f"regret_{key}"]])
            capture = [np.asarray(v, np.float64) for v in frame[f"capture_{key}"] if v is not None]
            capture = np.concatenate(capture) if capture else np.array([np.nan])
            out[key] = {"median_regret": float(np.median(regret)), "p90_regret": float(np.quantile(regret, 0.9)),
                        "harm_rate": float(frame[f"harm_{key}"].mean()), "gain_capture": float(np.median(capture))}
    return out
