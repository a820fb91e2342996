"""The orders part's evidence from prices that differ within a week: which lines were bought at a discount.

Prototype, OFF by default (ResponseConfig.within_week_orders; docs/price-response.md, "Within-week contrasts in
the orders part"). The orthogonal weekly fit of price_response.py regresses a product's order lines per week on the
week's posted price, so a coupon code or a negotiated trade tier (a different price for some buyers in the same
week) tells the orders part nothing. This module reads it (by default the retail codes only: POOLS).

**The model.** Split a product's lines of week t by the price their buyer faced: the pool of buyers (retail: guests
and customers whose usual discount is about 0; trade: customers with a standing discount) and, inside the pool, the
discount level k of the line's invoice (invoice_prices.py: a code, a tier), binned to LEVEL_WIDTH in log price, d_k
the level's mean discount. If each (pool, level) class of buyers sends order lines at the rate

    E[y_itk] = exp(η_it + γ_kt + g_i(Δ_it + d_k)),   g_i(Δ) = b_i Δ + c_i Δ²,

with η_it the product-week's demand (its shock, its posted price, its trade/retail mix), γ_kt the class's reach in
the shop that week (how many invoices carry that code, how many accounts are in that tier), then given the pool's
lines of the product-week, N_itp, the lines are multinomial over the pool's classes with

    P(k | i, t, p) ∝ exp(γ_kt + b_i d_k + c_i (2 Δ_it d_k + d_k²)):

η_it cancels (the week's demand shock, the posted price and whatever confounds it), and so does the product's
retail/trade mix (each pool is conditioned on separately). This is a conditional (multinomial) logit, the
within-week analogue of revisions.py's binomial before/after contrast.

**What it identifies.** A level's d_k is the same for every product, so γ_kt and b̄ d_k (the shop's average
response to that discount) cannot be told apart: the contrast says how much MORE or LESS a product's lines move to
the discounted classes than the shop's do, i.e. b_i − b̄; c_i enters also through 2 Δ_it d_k, which varies between
products and weeks. The shop's level is taken from the orders part's own pooled estimate (`anchor`: its
information-weighted mean (b, c) over products): γ_kt is solved with every product at the anchor, then each
product's (b_i, c_i) is fitted with γ fixed. The evidence so moves products away from one another (what the
shrinkage lacks: the own estimates are too noisy to move a product off its category), not the shop's mean.

**Its information** is the multinomial Fisher information of (b, c) at the fit, divided by the Pearson dispersion
of all cells about the anchor fit (at least 1): lines that share an invoice are not independent, and product
differences count as dispersion too, which errs on the side of less information.

**No double counting** with the weekly fit and the revisions: both read the product-week's total lines (or their
sums over windows); this contrast conditions on those totals and reads only how they split, which for Poisson
classes is independent of the totals. The one shared piece is the anchor (the mean, common to all products).

A product whose lines all pay one price within a pool (every weekly scenario; exp-strong's trade customers, who
always pay the trade price) has one class per pool: no contrast, zero information.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

# Discount levels are read to this width in log price (codes 10/15/20/30% off and trade tiers 6% apart are distinct).
LEVEL_WIDTH = 0.05
# A customer whose usual discount is deeper than this is a trade buyer (pool 1): retail customers usually pay list.
TRADE_USUAL = -0.05
# A (pool, level) class with fewer lines than this in the shop over the year is merged into its pool's list level.
MIN_CLASS_LINES = 30
# The pools read by default: the retail codes only. The trade tiers (pool 1) were measured worse on the development
# seeds 11-12 (shop-invoice and its twin: more harm, lower coverage, less capture on 3 of 4): a tier is a set of
# accounts, not a random share of invoices, and a deeper tier goes with bigger lines (NEGOTIATED_SIZE_POWER in the
# simulation), so a product's share of tier lines carries its line sizes' chance of an order, not only its price
# response; and trade buyers answer at their own point of the curve (the trade price).
POOLS = (0,)


@dataclasses.dataclass
class Cells:
    """The multinomial cells: one row per (product-week-pool group, class of that pool present that week)."""

    group: np.ndarray  # [C] group index (product, week, pool)
    product: np.ndarray  # [C] product index into stockcodes
    gamma_key: np.ndarray  # [C] index of (pool, level, week): the class's shop-wide reach that week
    y: np.ndarray  # [C] lines of the group in the class
    x: np.ndarray  # [C, 2] (d_k, 2 Δ_it d_k + d_k²)
    n_groups: int
    n_gamma: int


def classify(lines: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per line (columns customer_discount, line_discount): its pool (0 retail, 1 trade), its level index (the
    discount binned to LEVEL_WIDTH; rare levels merged into the pool's most common one) and its level's mean
    discount in log price."""
    usual = lines["customer_discount"].to_numpy(np.float64)
    disc = lines["line_discount"].to_numpy(np.float64)
    pool = (usual < TRADE_USUAL).astype(np.int64)
    level = np.round(disc / LEVEL_WIDTH).astype(np.int64)
    key = pd.Series(pool * 1000 - level)
    counts = key.map(key.value_counts()).to_numpy()
    common = {p: int(key[pool == p].mode().iloc[0]) for p in np.unique(pool)}
    key = np.where(counts >= MIN_CLASS_LINES, key.to_numpy(), np.array([common[p] for p in pool]))
    level_index = pd.factorize(key)[0]
    mean_d = pd.Series(disc).groupby(level_index).mean().to_numpy()
    return pool, level_index, mean_d[level_index]


def cells(lines: pd.DataFrame, rows: pd.DataFrame, stockcodes: list[str], pools: tuple[int, ...] = POOLS
          ) -> Cells | None:
    """The cells of the conditional logit from the panel's lines (stockcode, week, customer_discount, line_discount)
    and its weekly rows (stockcode, week, delta: the posted price relative to the reference). Every class present in
    the pool's shop-wide lines that week is a cell of each of that pool's product-week groups (zero lines included).
    Only the `pools` listed (0 retail: codes; 1 trade: tiers). None when no pool has two classes in any week."""
    pool, level, d = classify(lines)
    position = {c: i for i, c in enumerate(stockcodes)}
    prod = lines["stockcode"].map(position).to_numpy()
    keep = pd.notna(prod) & np.isin(pool, pools)
    table = pd.DataFrame({"i": prod[keep].astype(np.int64), "t": lines["week"].to_numpy()[keep], "p": pool[keep],
                          "k": level[keep], "d": d[keep]})
    counts = table.groupby(["i", "t", "p", "k"]).size().rename("y").reset_index()
    classes = table.drop_duplicates(["t", "p", "k"])[["t", "p", "k", "d"]]
    n_classes = classes.groupby(["t", "p"])["k"].transform("size")
    classes = classes[n_classes.to_numpy() >= 2]
    if classes.empty:
        return None
    groups = counts[["i", "t", "p"]].drop_duplicates()
    grid = groups.merge(classes, on=["t", "p"], how="inner")
    grid = grid.merge(counts, on=["i", "t", "p", "k"], how="left").fillna({"y": 0.0})
    delta = rows.assign(i=rows["stockcode"].map(position)).dropna(subset=["i"])
    delta = delta.assign(i=delta["i"].astype(np.int64))[["i", "week", "delta"]].rename(columns={"week": "t"})
    grid = grid.merge(delta, on=["i", "t"], how="inner")
    dd, dk = grid["delta"].to_numpy(np.float64), grid["d"].to_numpy(np.float64)
    group = pd.factorize(pd.MultiIndex.from_frame(grid[["i", "t", "p"]]))[0]
    gamma_key = pd.factorize(pd.MultiIndex.from_frame(grid[["t", "p", "k"]]))[0]
    return Cells(group, grid["i"].to_numpy(np.int64), gamma_key, grid["y"].to_numpy(np.float64),
                 np.column_stack([dk, 2.0 * dd * dk + dk ** 2]), int(group.max()) + 1, int(gamma_key.max()) + 1)


def _probabilities(c: Cells, eta: np.ndarray) -> np.ndarray:
    """Each cell's multinomial probability within its group, from its linear predictor."""
    top = np.full(c.n_groups, -np.inf)
    np.maximum.at(top, c.group, eta)
    w = np.exp(eta - top[c.group])
    return w / np.bincount(c.group, w, c.n_groups)[c.group]


def solve_reach(c: Cells, beta: np.ndarray, rounds: int = 200) -> np.ndarray:
    """γ (per class-week) with every product at `beta` [P, 2]: the classes' expected lines over the shop's groups
    match their observed lines (iterative proportional fitting; γ is defined up to a constant per pool-week)."""
    gamma = np.zeros(c.n_gamma)
    lin = np.einsum("cj,cj->c", c.x, beta[c.product])
    n_group = np.bincount(c.group, c.y, c.n_groups)
    observed = np.bincount(c.gamma_key, c.y, c.n_gamma)
    for _ in range(rounds):
        p = _probabilities(c, gamma[c.gamma_key] + lin)
        expected = np.bincount(c.gamma_key, n_group[c.group] * p, c.n_gamma)
        step = np.log(np.maximum(observed, 1e-3) / np.maximum(expected, 1e-12))
        gamma += step
        if np.max(np.abs(step)) < 1e-8:
            break
    return gamma


def _score_and_information(c: Cells, eta: np.ndarray, n_products: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per product: the multinomial log-likelihood's gradient in (b, c) [P, 2] and Fisher information [P, 2, 2];
    and the cells' fitted probabilities."""
    p = _probabilities(c, eta)
    n_group = np.bincount(c.group, c.y, c.n_groups)[c.group]
    mean_x = np.stack([np.bincount(c.group, p * c.x[:, j], c.n_groups) for j in range(2)], axis=1)[c.group]
    xc = c.x - mean_x  # the cell's regressors centred on its group's expectation
    grad = np.stack([np.bincount(c.product, (c.y - n_group * p) * xc[:, j], n_products) for j in range(2)], axis=1)
    info = np.zeros((n_products, 2, 2))
    for a in range(2):
        for b in range(2):
            info[:, a, b] = np.bincount(c.product, n_group * p * xc[:, a] * xc[:, b], n_products)
    return grad, info, p


def anchor(raw: np.ndarray, info: np.ndarray) -> np.ndarray:
    """The shop's level of the orders response: the information-weighted mean of the products' own (b, c)."""
    total = info.sum(axis=0)
    return np.linalg.solve(total + 1e-9 * np.eye(total.shape[0]), np.einsum("pij,pj->i", info, raw))


def estimates(c: Cells | None, n_products: int, level: np.ndarray, prior_sd: float, slope_only: bool = False
              ) -> tuple[np.ndarray, np.ndarray, dict]:
    """Per product: (b, c) of the orders part from its within-week contrasts, anchored at the shop `level` (b, c),
    and its information (zero where the product has no contrast); with a summary (cells, lines in contrasted groups,
    dispersion). Newton's method with a weak N(level, prior_sd²) prior on each product, then the information without
    the prior, divided by the cells' Pearson dispersion about the anchor fit. `slope_only`: c held at the anchor's
    and the information on b alone (the contrast read as the slope near the posted prices; a variant measured)."""
    raw, info = np.tile(level, (n_products, 1)), np.zeros((n_products, 2, 2))
    if c is None:
        return np.zeros((n_products, 2)), info, {"cells": 0}
    gamma = solve_reach(c, np.tile(level, (n_products, 1)))
    offset = gamma[c.gamma_key]
    ridge = np.eye(2) / prior_sd ** 2
    beta = raw.copy()
    for _ in range(50):
        grad, fisher, _ = _score_and_information(c, offset + np.einsum("cj,cj->c", c.x, beta[c.product]), n_products)
        step = np.linalg.solve(fisher + ridge[None], (grad - (beta - level) @ ridge)[..., None])[..., 0]
        if slope_only:
            step = np.stack([(grad[:, 0] - (beta[:, 0] - level[0]) / prior_sd ** 2)
                             / (fisher[:, 0, 0] + 1.0 / prior_sd ** 2), np.zeros(n_products)], axis=1)
        beta = beta + np.clip(step, -2.0, 2.0)
        if np.max(np.abs(step)) < 1e-8:
            break
    _, fisher, _ = _score_and_information(c, offset + np.einsum("cj,cj->c", c.x, beta[c.product]), n_products)
    p0 = _probabilities(c, offset + np.einsum("cj,cj->c", c.x, np.tile(level, (n_products, 1))[c.product]))
    n_group = np.bincount(c.group, c.y, c.n_groups)[c.group]
    used = n_group > 0
    expected = n_group * p0
    pearson = float(np.sum((c.y[used] - expected[used]) ** 2 / np.maximum(expected[used], 1e-9)))
    groups_used = len(np.unique(c.group[used]))
    dof = max(int(used.sum()) - groups_used - c.n_gamma, 1)
    dispersion = max(1.0, pearson / dof)
    has = fisher[:, 0, 0] > 1e-9
    if slope_only:
        fisher = fisher * np.array([[1.0, 0.0], [0.0, 0.0]])
    raw = np.where(has[:, None], beta, 0.0)
    summary = {"cells": int(len(c.y)), "lines": float(c.y.sum()), "dispersion": dispersion,
               "products": int(has.sum()), "information_b": float(fisher[:, 0, 0].sum() / dispersion)}
    return raw, np.where(has[:, None, None], fisher, 0.0) / dispersion, summary


def augment(own, lines: pd.DataFrame, rows: pd.DataFrame, prior_sd: float, pools: tuple[int, ...] = POOLS,
            slope_only: bool = False):
    """`own` (price_response.OwnEstimates) with the within-week evidence added to the orders part in information
    form. It is also folded into the revisions' share (revisions_raw_n / revisions_info_n), the evidence the orders
    prior's split check leaves unscaled (orders_prior_evidence): the weekly fit's halves never saw it."""
    k = own.raw_n.shape[1]
    level = anchor(own.raw_n[:, :2], own.info_n[:, :2, :2])
    c = cells(lines, rows, own.stockcodes, pools)
    raw_w, info_w, summary = estimates(c, len(own.stockcodes), level, prior_sd, slope_only)
    if k > 2:  # the third term (curve_family): the contrast says nothing about it
        raw_w = np.concatenate([raw_w, np.zeros((len(raw_w), k - 2))], axis=1)
        info_w = np.pad(info_w, ((0, 0), (0, k - 2), (0, k - 2)))
    log.info("within-week orders: %s; anchor (b, c) %s", summary, np.round(level, 3).tolist())
    ridge = 1e-9 * np.eye(k)[None]
    total = own.info_n + info_w
    raw_n = np.linalg.solve(total + ridge, (np.einsum("pij,pj->pi", own.info_n, own.raw_n)
                                            + np.einsum("pij,pj->pi", info_w, raw_w))[..., None])[..., 0]
    if own.revisions_info_n is None:
        rev_raw, rev_info = raw_w, info_w
    else:
        rev_info = own.revisions_info_n + info_w
        rev_raw = np.linalg.solve(rev_info + ridge, (np.einsum("pij,pj->pi", own.revisions_info_n, own.revisions_raw_n)
                                                     + np.einsum("pij,pj->pi", info_w, raw_w))[..., None])[..., 0]
    return dataclasses.replace(own, raw_n=raw_n, info_n=total, revisions_raw_n=rev_raw, revisions_info_n=rev_info)
