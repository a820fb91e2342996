"""A scenario's catalogue: its products, the true demand of each, and how much each sells.

Every product gets a description and a retail price point (the current list price), a demand form and its
shape, the curve's parameters (demand_truth), a season and a shock size; the curve is scaled so its revenue
optimum sits near the current price (within 5%) or far from it (20-40% either side, the scenario's
`far_share`), and its volume so the product's expected sale lines over the year are thin (30-120) or thick
(120 and a long tail up to 5,000; 85123A the best seller).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from .demand_truth import DEFAULT_CLASSES, FORMS, PARAMETERS, argmax_revenue, curves, format_breaks, format_classes
from .list_prices import price_point
from .retail_log import ADJECTIVES, CATEGORIES, SEASON, START, WEEKDAY_VOLUME, stockcodes, trading_days
from .scenario_spec import N_WEEKS, QUANTITY_BREAKS, Scenario

log = logging.getLogger(__name__)

FLAGSHIP = ("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 2.55)
THIN_LINES = (30.0, 120.0)
THICK_CAP = 5000.0


def _descriptions(rng: np.random.Generator, cat_idx: np.ndarray) -> list[str]:
    seen = {FLAGSHIP[1]}
    out = [FLAGSHIP[1]]
    for c in cat_idx[1:]:
        for attempt in range(20):
            words = rng.choice(ADJECTIVES, size=rng.integers(1, 4), replace=False)
            desc = " ".join(words) + " " + CATEGORIES[c][0]
            if attempt >= 10:
                desc = f"{desc} {rng.integers(2, 100)}"
            if desc not in seen:
                break
        seen.add(desc)
        out.append(desc)
    return out


def week_calendar():
    """Open days, their week, and the volume each week has per month (weekday weights of open days)."""
    days = trading_days()
    week = np.asarray((days - START).days // 7)
    month = np.asarray(days.month)
    weekday = np.asarray(days.day_of_week)
    vol = np.array([WEEKDAY_VOLUME[d] for d in weekday])
    per_month = np.zeros((N_WEEKS, 12))
    np.add.at(per_month, (week, month - 1), vol)
    return days, week, month, vol, per_month


def _line_targets(rng: np.random.Generator, s: Scenario, n_sale: float) -> tuple[np.ndarray, np.ndarray]:
    """Expected sale lines over the year per product: thin ones U(30, 120), thick ones 120 + a lognormal tail
    (85123A the largest, 5,000 at most), summing to about n_sale."""
    n = s.products
    order = rng.permutation(np.arange(1, n))
    thin = np.zeros(n, bool)
    thin[order[: int(round(s.thin_share * n))]] = True
    target = np.where(thin, rng.uniform(*THIN_LINES, size=n), 0.0)
    r = rng.lognormal(0.0, 1.8, size=n)
    r[0] = 1.3 * r[~thin].max()
    thick = ~thin
    cap = np.where(np.arange(n) == 0, THICK_CAP, 0.8 * THICK_CAP)
    budget = n_sale - target[thin].sum()
    lo, hi = -20.0, 20.0
    for _ in range(100):
        mid = (lo + hi) / 2.0
        total = np.minimum(THIN_LINES[1] + np.exp(mid) * r[thick], cap[thick]).sum()
        lo, hi = (mid, hi) if total < budget else (lo, mid)
    target[thick] = np.minimum(THIN_LINES[1] + np.exp(lo) * r[thick], cap[thick])
    others = np.delete(target, 0)
    target[0] = min(THICK_CAP, max(target[0], 1.25 * others.max()))
    if abs(target.sum() - n_sale) > 0.05 * n_sale:
        log.warning("scenario %s: %d products cannot share %d lines as thin/thick asks (got %d)",
                    s.name, n, int(n_sale), int(target.sum()))
    return target, thin


def catalogue(s: Scenario, streams: list[np.random.Generator], per_month: np.ndarray, n_sale: float):
    """Products and their structural demand: returns (truth products frame, parameter dict of column
    vectors, quantity breaks, weekly season factors (n, weeks) with mean 1, shock innovation sd per product)."""
    rng_cat, rng_dem, rng_pop = streams
    n = s.products
    codes = stockcodes(rng_cat, n)
    cat_idx = rng_cat.integers(0, len(CATEGORIES), size=n)
    cat_idx[0] = 0  # HOLDER
    descriptions = _descriptions(rng_cat, cat_idx)
    typical = np.array([CATEGORIES[c][2] for c in cat_idx]) * rng_cat.lognormal(0.0, 0.35, size=n)
    current = price_point(typical)
    current[0] = FLAGSHIP[2]

    # Demand parameters (all drawn for every product, whatever the form, so streams stay aligned).
    form_draw = rng_dem.integers(0, len(FORMS), size=n)
    form = form_draw if s.demand_form == "mixed" else np.full(n, FORMS.index(s.demand_form))
    logit_g = rng_dem.uniform(2.5, 6.0, size=n)
    iso_eps = rng_dem.uniform(1.3, 3.0, size=n)
    shape = np.where(form == 2, logit_g, np.where(form == 3, iso_eps, np.nan))
    far = rng_dem.random(n) < s.far_share
    distance = np.where(far, rng_dem.uniform(0.20, 0.40, size=n), rng_dem.uniform(0.0, 0.05, size=n))
    sign = np.where(rng_dem.random(n) < 0.5, -1.0, 1.0)
    split = rng_dem.uniform(0.5, 0.7, size=n)
    kappa = rng_dem.uniform(1.05, 1.25, size=n)
    wholesale_share = rng_dem.uniform(0.05, 0.12, size=n)  # of attempted lines at p_form
    retail_size = np.clip(5.0 * np.sqrt(1.5 / typical) * rng_dem.lognormal(0.0, 0.35, size=n), 1.3, 25.0)
    wholesale_size = retail_size * rng_dem.uniform(5.0, 10.0, size=n)
    retail_sigma = rng_dem.uniform(0.6, 0.8, size=n)
    wholesale_sigma = rng_dem.uniform(0.5, 0.7, size=n)
    season_exp = rng_dem.uniform(0.4, 1.3, size=n)
    christmas = np.array(["CHRISTMAS" in d for d in descriptions])
    season_exp = np.where(christmas, rng_dem.uniform(2.0, 3.0, size=n), season_exp)
    shock_sd = rng_dem.uniform(0.10, 0.20, size=n)

    breaks = QUANTITY_BREAKS if s.quantity_breaks else ()
    col = lambda v: np.asarray(v, np.float64)[:, None]  # noqa: E731
    classes = s.price_classes()
    prm = {"form": form[:, None], "shape": col(shape), "p_form": col(np.ones(n)), "split": col(split),
           "kappa": col(kappa), "wholesale_discount": col(np.full(n, s.trade_discount)),
           "retail_lines": col(1.0 - wholesale_share), "retail_size": col(retail_size),
           "retail_sigma": col(retail_sigma),
           "wholesale_lines": col(wholesale_share), "wholesale_size": col(wholesale_size),
           "wholesale_sigma": col(wholesale_sigma), "classes": classes}
    # Optimum in units of p_form, then scale: current = optimum * (1 + sign * distance).
    unit_opt = argmax_revenue(prm, np.full(n, 0.05), np.full(n, 5.0), breaks)
    optimum = current / (1.0 + sign * distance)
    prm["p_form"] = col(optimum / unit_opt)

    # Volume: expected sale lines over the year at the current price hit the thin/thick targets.
    target, thin = _line_targets(rng_pop, s, n_sale)
    per_week = curves(prm, col(current), breaks)["lines"][:, 0]
    scale = target / (N_WEEKS * per_week)
    prm["retail_lines"] = prm["retail_lines"] * scale[:, None]
    prm["wholesale_lines"] = prm["wholesale_lines"] * scale[:, None]

    # Season factor per product and week (mean 1 over the year's weeks).
    season_arr = np.array([SEASON[m] for m in range(1, 13)])
    wf = (season_arr[None, :] ** season_exp[:, None]) @ per_month.T
    wf = wf / wf.mean(axis=1, keepdims=True)

    # The stated optimum: the continuous argmax over [current / 3, 3 * current] of the final curve.
    optimal = argmax_revenue(prm, current / 3.0, current * 3.0, breaks)
    at_current = curves(prm, col(current), breaks)
    at_optimum = curves(prm, col(optimal), breaks)
    step = 1e-4
    with np.errstate(divide="ignore"):
        elasticity = (np.log(curves(prm, col(current * np.exp(step)), breaks)["units"][:, 0])
                      - np.log(curves(prm, col(current * np.exp(-step)), breaks)["units"][:, 0])) / (2 * step)
    products = pd.DataFrame({
        "stockcode": codes,
        "description": descriptions,
        "category": [CATEGORIES[c][0] for c in cat_idx],
        "demand_form": [FORMS[f] for f in form],
        "current_price": current,
        "optimal_price": optimal,
        "far": far,
        "thin": thin,
        "form": form,
        **{k: prm[k][:, 0] for k in PARAMETERS if k != "form"},
        "quantity_breaks": format_breaks(breaks),
        # Only scenarios with coupons or negotiated tiers state their classes (older truths stay as they were).
        **({} if classes == DEFAULT_CLASSES else {"price_classes": format_classes(classes)}),
        "season_exponent": season_exp,
        "shock_sd": shock_sd,
        "expected_lines": target,
        "units_at_current": at_current["units"][:, 0],
        "revenue_at_current": at_current["revenue"][:, 0],
        "revenue_at_optimum": at_optimum["revenue"][:, 0],
        "elasticity_at_current": elasticity,
    })
    return products, prm, breaks, wf, shock_sd
