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
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from . import scenarios

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
            for _disc, h, a, lines, _size, sigma in scenarios.segments(local, prices)]


def fisher_information(prm: dict, prices: np.ndarray, demand: np.ndarray) -> float:
    """Information about θ in one product's year: weekly list `prices` and demand factors `demand`.

    Per segment s, the week's attempted lines are Poisson(L_s D_w h_s^a) and each attempted line's log size
    is normal with mean ln(size_s h_s^(1-a)) and sd σ_s. With g_w = ∂ ln h_s / ∂θ and the level unknown, the
    information is Σ_w λ_w a² (g_w − ḡ)² + Σ_w λ_w (1−a)² (g_w − ḡ)² / σ_s², ḡ the λ-weighted mean of g
    (profiling the level out leaves only the variation of g across weeks)."""
    up = _log_h(prm, prices, np.log(prm["p_form"]) + THETA_STEP)
    down = _log_h(prm, prices, np.log(prm["p_form"]) - THETA_STEP)
    info = 0.0
    for (lh_up, a, sigma, lines), (lh_dn, *_) in zip(up, down):
        g = (lh_up - lh_dn) / (2.0 * THETA_STEP)
        h = np.exp(lh_up + lh_dn) ** 0.5  # h at θ itself, to the step's accuracy
        lam = lines * demand * h ** a
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
    def tabulate(cls, truth: scenarios.Truth, code: str, p_now: float, far_share: float) -> _Candidates:
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
        f = scenarios.curves(dict(prm, p_form=1.0), xs, breaks)["revenue"] / xs
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


def evaluate(data: scenarios.ScenarioData, now: dict[str, float], *, mispriced: float, harm: float,
             multiples=(1, 3, 10, 30, 100), replicates: int = 25, seed: int = 0, thresholds=THRESHOLDS) -> pd.DataFrame:
    """Per product and data multiple: the oracle's regret and gain capture for each replicate, its harm rate
    over replicates, and the information at 1× as standard errors: of θ̂, and of the elasticity at the
    current price that θ̂ implies.

    `now` maps each scored stockcode to the current price the report scores against; `mispriced` and
    `harm` are the report's thresholds (best earns that share more than now; decided earns that share less)."""
    truth, weeks = data.truth, data.weeks
    far_share = float(data.scenario.far_share)
    rng = np.random.default_rng(seed)
    rows = []
    by_code = {c: g for c, g in weeks.groupby("stockcode", sort=False)}
    for code, p_now in now.items():
        g = by_code[code]
        prm, _ = truth.parameters(code)
        info = fisher_information(prm, g["list_price"].to_numpy(), g["demand_factor"].to_numpy())
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
        for k in multiples:
            for q, chosen in decide(candidates, k * info, rng, replicates, thresholds).items():
                r = truth.revenue(code, chosen)
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
