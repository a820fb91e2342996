"""The true demand: expected lines, units and revenue of every product at any posted list price.

For product i, class k (classes.py) and posted list price p, the class's customers react to the log
price x = ln(p * multiplier_k / p_ref,i) + perception_k through the product's purchase rate P_i(x),
normalized to P_i(0) = 1. Expected lines per week are

    lines_ik = lambda_i * share_k * season_i(t) * P_i(x_ik)

(lambda_i: lines per week at p_ref in an average week), units are lines x mean packs of the class x the
product's pack size, and revenue is units x the price the class pays (list x multiplier x the quantity
break's factor). The demand forms, none of them exponential, linear, plain logit or isoelastic:

- mixed_logit: three groups of shoppers whose reservation prices are logistic around their own centre:
  P = sum_j w_j sigma((mu_j - x) / s_j)  (heterogeneous customers, a smooth S-curve with shoulders).
- kinked_reference: loss aversion around the market's reference price (x = 0): elasticity b_lo below it,
  b_hi above it, joined over a narrow width (the optimum often sits at the kink).
- loglog_choke: constant elasticity e far below a choke price, falling off steeply (e + kappa) past it.
- nested_logit: colour variants of one design share a nest with an outside option: a product's share
  falls with its own price and rises with its siblings' prices (cross-effects). What a product's price
  change takes from or gives to its siblings is `sibling_revenue`; the shop's objective (`shop_revenue`)
  is own + siblings' revenue, the same as own revenue outside nests.
"""

from __future__ import annotations

import numpy as np

from .catalog import FORMS, Catalog
from .classes import PriceClass

MIXED, KINKED, CHOKE, NESTED = (FORMS.index(f) for f in FORMS)
_TINY = 1e-12


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _softplus(z: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, z)


def purchase_rate(cat: Catalog, x: np.ndarray, nest_others: np.ndarray) -> np.ndarray:
    """P_i(x) for every product (rows of x; x is [N] or [N, G]); nest_others[i] is the sum over i's nest
    siblings of exp(alpha_j - beta x_j) at their own prices (0 outside nests)."""
    p = cat.params
    form = cat.products["form_id"].to_numpy()
    out = np.empty_like(x, dtype=np.float64)
    for f, rate in ((MIXED, _mixed), (KINKED, _kinked), (CHOKE, _choke), (NESTED, _nested)):
        rows = np.flatnonzero(form == f)
        if len(rows):
            sub = {k: v[rows] for k, v in p.items()}
            xs = x[rows]
            if xs.ndim == 2:
                sub = {k: (v[:, None] if v.ndim == 1 else v[:, None, :]) for k, v in sub.items()}
            out[rows] = rate(sub, xs, nest_others[rows] if xs.ndim == 1 else nest_others[rows][:, None],
                             _nest_sum0(cat)[rows] if xs.ndim == 1 else _nest_sum0(cat)[rows][:, None])
    return np.maximum(out, _TINY)


def _mixed(p: dict, x: np.ndarray, _others, _sum0) -> np.ndarray:
    mu, s, w = p["mu"], p["s"], p["omega"]
    num = sum(w[..., j] * _sigmoid((mu[..., j] - x) / s[..., j]) for j in range(mu.shape[-1]))
    den = sum(w[..., j] * _sigmoid(mu[..., j] / s[..., j]) for j in range(mu.shape[-1]))
    return num / den


def _kinked(p: dict, x: np.ndarray, _others, _sum0) -> np.ndarray:
    w = p["kink_width"]
    return np.exp(-p["b_lo"] * x - (p["b_hi"] - p["b_lo"]) * w * (_softplus(x / w) - np.log(2.0)))


def _choke(p: dict, x: np.ndarray, _others, _sum0) -> np.ndarray:
    # Constant elasticity e below the choke price; past it demand falls off at e + kappa (a smooth choke).
    return np.exp(-p["e"] * x - _softplus(p["kappa"] * (x - p["x_choke"])) + _softplus(-p["kappa"] * p["x_choke"]))


def _nested(p: dict, x: np.ndarray, others: np.ndarray, sum0: np.ndarray) -> np.ndarray:
    own = np.exp(p["alpha"] - p["beta"] * x)
    share = own / (np.exp(p["outside"]) + others + own)
    share0 = np.exp(p["alpha"]) / (np.exp(p["outside"]) + sum0)
    return share / share0


def _nest_sum0(cat: Catalog) -> np.ndarray:
    """Per product: the sum of exp(alpha_j) over its whole nest (itself included), all at x = 0."""
    nests = cat.nests
    ea = np.exp(cat.params["alpha"])
    total = np.zeros(len(nests))
    inside = nests >= 0
    if inside.any():
        sums = np.bincount(nests[inside], weights=ea[inside])
        total[inside] = sums[nests[inside]]
    return np.where(inside, total, ea)


def effective_log_price(cat: Catalog, cls: PriceClass, list_prices: np.ndarray) -> np.ndarray:
    """x for class `cls` at posted `list_prices` ([N] or [N, G])."""
    log_ref = np.log(cat.products["p_ref"].to_numpy())
    lr = log_ref[:, None] if np.ndim(list_prices) == 2 else log_ref
    return np.log(list_prices) + np.log(cls.multiplier) + cls.perception - lr


def nest_others(cat: Catalog, x_base: np.ndarray) -> np.ndarray:
    """Per product: sum over its nest siblings (not itself) of exp(alpha_j - beta_j x_j) at x_base ([N])."""
    nests = cat.nests
    u = np.exp(cat.params["alpha"] - cat.params["beta"] * x_base)
    out = np.zeros(len(nests))
    inside = nests >= 0
    if inside.any():
        sums = np.bincount(nests[inside], weights=u[inside])
        out[inside] = sums[nests[inside]] - u[inside]
    return out


def expected(cat: Catalog, lam: np.ndarray, breaks: list[float], list_prices: np.ndarray,
             base_prices: np.ndarray | None = None, season: np.ndarray | float = 1.0) -> dict[str, np.ndarray]:
    """Expected lines, units and revenue per week.

    `list_prices` [N]: every product at its own price (siblings at theirs). `list_prices` [N, G]: a curve per
    product, its own price varying along the row while its nest siblings stay at `base_prices` [N].
    `season`: demand level of the week relative to an average week (scalar or [N]); 1 = an average week.
    """
    list_prices = np.asarray(list_prices, dtype=np.float64)
    if np.any(~np.isfinite(list_prices)) or np.any(list_prices <= 0):
        raise ValueError("list prices must be positive and finite")
    two_d = list_prices.ndim == 2
    if two_d and base_prices is None:
        raise ValueError("a price grid [N, G] needs base_prices [N] for the nest siblings")
    base = np.asarray(base_prices if two_d else list_prices, dtype=np.float64)
    pack = cat.products["pack"].to_numpy().astype(np.float64)
    scale = lam * season
    scale = scale[:, None] if two_d else scale
    pack = pack[:, None] if two_d else pack
    lines = np.zeros_like(list_prices)
    units = np.zeros_like(list_prices)
    revenue = np.zeros_like(list_prices)
    siblings = np.zeros_like(list_prices)
    for cls, brk in zip(cat.classes, breaks):
        if cls.share <= 0:
            continue
        x = effective_log_price(cat, cls, list_prices)
        x_base = effective_log_price(cat, cls, base)
        others = nest_others(cat, x_base)
        l_k = scale * cls.share * purchase_rate(cat, x, others)
        u_k = l_k * cls.packs * pack
        lines += l_k
        units += u_k
        revenue += u_k * list_prices * cls.multiplier * brk
        siblings += cls.share * cls.packs * cls.multiplier * brk * _sibling_revenue(cat, lam * season, base, x_base,
                                                                                    x, others)
    return {"lines": lines, "units": units, "revenue": revenue, "sibling_revenue": siblings,
            "shop_revenue": revenue + siblings}


def _sibling_revenue(cat: Catalog, scale: np.ndarray, base: np.ndarray, x_base: np.ndarray, x: np.ndarray,
                     others: np.ndarray) -> np.ndarray:
    """Revenue of a product's nest siblings (at `base`) per unit of class share, packs and multiplier, as the
    product's own effective log price moves along `x` ([N] or [N, G]): they gain what it loses to them."""
    nests = cat.nests
    inside = nests >= 0
    if not inside.any():
        return np.zeros_like(x)
    p = cat.params
    scale = np.broadcast_to(np.asarray(scale, dtype=np.float64), nests.shape)
    share0 = np.exp(p["alpha"]) / (np.exp(p["outside"]) + _nest_sum0(cat))
    u_base = np.exp(p["alpha"] - p["beta"] * x_base)
    v = np.where(inside, scale * cat.products["pack"].to_numpy() * base * u_base / share0, 0.0)
    total = np.zeros(len(nests))
    total[inside] = np.bincount(nests[inside], weights=v[inside])[nests[inside]]
    c = np.where(inside, total - v, 0.0)
    col = (lambda a: a[:, None]) if x.ndim == 2 else (lambda a: a)
    own = np.exp(col(p["alpha"]) - col(p["beta"]) * x)
    return col(c) / (col(np.exp(p["outside"])) + col(others) + own)
