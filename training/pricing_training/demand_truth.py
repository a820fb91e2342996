"""The true demand of a scenario's products: the curves every scenario is drawn from and judged against.

Per product, list price p, segment s (retail, wholesale) and price class c of that segment:

    x = p / p_form                          list price in units of the form's own revenue optimum
    h_sc(p) = H(kappa_s r_c x) / H(kappa_s)  price response (kappa_retail = 1; wholesale 1.05-1.25: more elastic)
    attempted lines ~ Poisson(L_s pi_c * demand_w * h_sc(p)^a)      (a in 0.5-0.7: orders)
    quantity = floor(X + U), X ~ LogNormal(mean m_sc(p), sigma_s), U ~ U(0, 1), m_sc(p) = size_s z_c h_sc(p)^(1-a)
    a line with quantity 0 is not an order (dropped), so E[units] = L_s pi_c size_s z_c h_sc(p) exactly

with the forms (each has its pure revenue optimum at x = 1):

    exponential  H(x) = exp(-x)
    linear       H(x) = max(0, 1 - x / 2)
    logit        H(x) = 1 / (1 + exp(g * (x - x_mid))),   x_mid = 1 + ln(g - 1) / g,  g in [2.5, 6]
    isoelastic   H(x) = 1 / (1 + x^eps / (eps - 1)),      eps in [1.3, 3]

Pure isoelastic demand (eps > 1) has no interior revenue optimum, and a soft choke exp(-p/c) only makes it
more elastic, so the isoelastic form saturates instead: elasticity -eps * y / (1 + y), y = x^eps / (eps - 1),
tends to -eps above the optimum (isoelastic there) and to 0 far below it (the market is finite); it crosses
-1 at x = 1.

A price class is a fixed share pi_c of a segment's attempted lines that pays r_c times the segment's price
and responds to that price: the segment's own list price (r = 1, the only class unless a scenario adds
more), a coupon code on the invoice (r = 1 - off), or a trade customer's negotiated tier (r relative to the
trade price, with its own line-size level z_c: bigger accounts buy more and pay less). Shares, factors and
levels are constants of the scenario, so the curves stay exact: at list price p a line of class c pays
p * disc_s * r_c * f(q) (f: the quantity-break factor, 1 without breaks), and per average week of the year

    units(p)   = sum_sc L_s pi_c size_s z_c h_sc(p)
    revenue(p) = sum_sc p disc_s r_c L_s pi_c h_sc(p)^a E[q f(q) | m_sc(p)]

(E[q f(q)] in closed form from the lognormal's partial expectations). Season and shocks multiply the
attempted lines of every class alike (mean 1 over the year), so they do not move the optimum.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import special

FORMS = ("exponential", "linear", "logit", "isoelastic")
SEGMENTS = ("retail", "wholesale")
CLASS_KINDS = ("list", "coupon", "negotiated")


class PriceClass(NamedTuple):
    """A share of one segment's attempted lines that pays `factor` x the segment's price and responds to it;
    `size_level` multiplies its line sizes (a negotiated tier's own demand level). `kind` says where the
    factor comes from: "list" (none), "coupon" (a code on the invoice), "negotiated" (the customer's tier)."""

    segment: int  # index into SEGMENTS
    kind: str
    share: float
    factor: float
    size_level: float


DEFAULT_CLASSES = (PriceClass(0, "list", 1.0, 1.0, 1.0), PriceClass(1, "list", 1.0, 1.0, 1.0))


# ----------------------------------------------------------------------------------------------
# Demand curves (vectorised over products and prices; all parameters broadcast against the prices)


def form_response(form: np.ndarray, shape: np.ndarray, x: np.ndarray) -> np.ndarray:
    """H(x) for each product's form code (index into FORMS) and shape parameter."""
    x = np.maximum(np.asarray(x, dtype=np.float64), 0.0)
    form = np.asarray(form)
    shape = np.asarray(shape, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        g = np.where(form == 2, shape, 3.0)
        eps = np.where(form == 3, shape, 2.0)
        logit_mid = 1.0 + np.log(g - 1.0) / g
        out = np.select(
            [form == 0, form == 1, form == 2],
            [np.exp(-x), np.maximum(0.0, 1.0 - x / 2.0), 1.0 / (1.0 + np.exp(g * (x - logit_mid)))],
            1.0 / (1.0 + x ** eps / (eps - 1.0)))
    return out


def _tail_quantity(m: np.ndarray, sigma: np.ndarray, k: int) -> np.ndarray:
    """E[q; q >= k] for q = floor(X + U), X ~ LogNormal with mean m and log-sd sigma, U ~ U(0, 1), k >= 2.

    Given X = x: q = x on average when x >= k, and q = k with probability x - (k - 1) when k - 1 <= x < k."""
    with np.errstate(divide="ignore", invalid="ignore"):
        lm = np.log(m)
        d1_k = (lm - np.log(k) + sigma ** 2 / 2.0) / sigma
        d1_km = (lm - np.log(k - 1) + sigma ** 2 / 2.0) / sigma
        a1_k, a1_km = special.ndtr(d1_k), special.ndtr(d1_km)
        a2_k, a2_km = special.ndtr(d1_k - sigma), special.ndtr(d1_km - sigma)
        out = m * a1_k + k * (m * (a1_km - a1_k) - (k - 1) * (a2_km - a2_k))
    return np.where(m > 0, out, 0.0)


def order_probability(m: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """P(q >= 1) = E[min(X, 1)]: the share of attempted lines that become orders."""
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = (np.log(m) + sigma ** 2 / 2.0) / sigma
        out = m * (1.0 - special.ndtr(d1)) + special.ndtr(d1 - sigma)
    return np.where(m > 0, out, 0.0)


def _paid_quantity(m: np.ndarray, sigma: np.ndarray, breaks: tuple[tuple[int, float], ...]) -> np.ndarray:
    """E[q * f(q)]: expected units weighted by the break factor on the line's unit price."""
    out = np.asarray(m, dtype=np.float64) * 1.0
    previous = 1.0
    for k, factor in breaks:
        out = out - (previous - factor) * _tail_quantity(m, sigma, k)
        previous = factor
    return out


def price_classes(prm: dict) -> tuple[PriceClass, ...]:
    """The product's price classes (`prm["classes"]`; one list-price class per segment when absent)."""
    return prm.get("classes", DEFAULT_CLASSES)


def segments(prm: dict, prices: np.ndarray):
    """Yield (paid factor disc_s r_c, h, a, L_s pi_c, size_s z_c, sigma) per price class at list `prices`,
    in the order of `price_classes(prm)` (retail then wholesale with the default classes)."""
    x = np.asarray(prices, dtype=np.float64) / prm["p_form"]
    segment = (("retail", 1.0, 1.0), ("wholesale", prm["wholesale_discount"], prm["kappa"]))
    for c in price_classes(prm):
        seg, disc, kappa = segment[c.segment]
        h = form_response(prm["form"], prm["shape"], kappa * c.factor * x) / form_response(prm["form"], prm["shape"], kappa)
        yield (disc * c.factor, h, prm["split"], prm[f"{seg}_lines"] * c.share, prm[f"{seg}_size"] * c.size_level,
               prm[f"{seg}_sigma"])


def curves(prm: dict, prices: np.ndarray, breaks) -> dict[str, np.ndarray]:
    """Expected units, revenue and sale lines per (average) week at list `prices`."""
    prices = np.asarray(prices, dtype=np.float64)
    units = revenue = lines = 0.0
    for disc, h, a, lines_s, size, sigma in segments(prm, prices):
        attempts = lines_s * h ** a
        m = size * h ** (1.0 - a)
        units = units + lines_s * size * h
        revenue = revenue + prices * disc * attempts * _paid_quantity(m, sigma, breaks)
        lines = lines + attempts * order_probability(m, sigma)
    return {"units": units, "revenue": revenue, "lines": lines}


def argmax_revenue(prm: dict, lo: np.ndarray, hi: np.ndarray, breaks, points: int = 241, zoom: int = 33,
                    rtol: float = 1e-11) -> np.ndarray:
    """Continuous argmax of revenue over [lo, hi] per product: a log-spaced grid, then repeated zooms into the
    best point's neighbours (each a 32x finer grid; a vectorised stand-in for golden section, which needs one
    call per step) until the bracket is below rtol. prm values are column vectors (n, 1) or scalars."""
    lo, hi = np.atleast_1d(np.asarray(lo, np.float64)), np.atleast_1d(np.asarray(hi, np.float64))
    rows = np.arange(len(lo))
    t = np.linspace(0.0, 1.0, points)
    grid = np.exp(np.log(lo)[:, None] + t[None, :] * (np.log(hi) - np.log(lo))[:, None])
    for _ in range(20):
        rev = curves(prm, grid, breaks)["revenue"]
        i = np.argmax(rev, axis=1)
        best = grid[rows, i]
        a = grid[rows, np.maximum(i - 1, 0)]
        b = grid[rows, np.minimum(i + 1, grid.shape[1] - 1)]
        if np.all(b - a <= rtol * b):
            break
        grid = a[:, None] + (b - a)[:, None] * np.linspace(0.0, 1.0, zoom)[None, :]
    return best


# ----------------------------------------------------------------------------------------------
# Ground truth

PARAMETERS = ["form", "shape", "p_form", "split", "kappa", "wholesale_discount", "retail_lines", "retail_size",
              "retail_sigma", "wholesale_lines", "wholesale_size", "wholesale_sigma"]


class Truth:
    """The structural demand of every product. `products` has one row per product: stockcode, description,
    category, demand_form, current_price, optimal_price, far, thin, the curve's parameters and summaries.
    Curves are per average week of the year, at the retailer's posted LIST price, over all segments and price
    classes (trade prices, coupons and negotiated tiers are part of the world at that list price)."""

    def __init__(self, products: pd.DataFrame, meta: dict | None = None):
        self.products = products.reset_index(drop=True)  # read-only: the curves are cached from it
        self.meta = dict(meta or {})
        self._index = {code: i for i, code in enumerate(self.products["stockcode"])}
        self._columns = {k: self.products[k].to_numpy(np.float64) for k in PARAMETERS}
        self._breaks = [_parse_breaks(b) for b in self.products["quantity_breaks"]]
        # Written only by scenarios with invoice-level price classes; absent means the default classes.
        classes = self.products["price_classes"] if "price_classes" in self.products else [""] * len(self.products)
        self._classes = [parse_classes(c) for c in classes]

    # -- one product

    def _params(self, stockcode: str) -> tuple[dict, tuple]:
        try:
            i = self._index[stockcode]
        except KeyError:
            raise KeyError(f"no ground truth for stockcode {stockcode!r}") from None
        prm = {k: float(v[i]) for k, v in self._columns.items()}
        prm["form"] = int(prm["form"])
        prm["classes"] = self._classes[i]
        return prm, self._breaks[i]

    def parameters(self, stockcode: str) -> tuple[dict, tuple]:
        """The product's curve parameters (PARAMETERS as scalars, and "classes": its price classes) and its
        quantity breaks, for `curves`."""
        return self._params(stockcode)

    def product(self, stockcode: str) -> pd.Series:
        """The product's row of `products`."""
        self._params(stockcode)  # the same error for an unknown stockcode
        return self.products.iloc[self._index[stockcode]]

    def units(self, stockcode: str, prices) -> np.ndarray:
        """Expected units per week (all segments) at posted list prices."""
        prm, breaks = self._params(stockcode)
        return curves(prm, np.asarray(prices, np.float64), breaks)["units"]

    def revenue(self, stockcode: str, prices) -> np.ndarray:
        """Expected revenue per week: paid price (list x segment discount x class factor x break factor) x units."""
        prm, breaks = self._params(stockcode)
        return curves(prm, np.asarray(prices, np.float64), breaks)["revenue"]

    def lines(self, stockcode: str, prices) -> np.ndarray:
        """Expected sale lines per week."""
        prm, breaks = self._params(stockcode)
        return curves(prm, np.asarray(prices, np.float64), breaks)["lines"]

    def elasticity(self, stockcode: str, price) -> np.ndarray | float:
        """d ln units / d ln p at the list price (central difference, step 1e-4 in ln p)."""
        p = np.asarray(price, np.float64)
        step = 1e-4
        with np.errstate(divide="ignore", invalid="ignore"):
            e = (np.log(self.units(stockcode, p * np.exp(step))) - np.log(self.units(stockcode, p * np.exp(-step)))) \
                / (2.0 * step)
        return float(e) if np.ndim(e) == 0 else e

    def best_price(self, stockcode: str, lo: float, hi: float) -> float:
        """Argmax of revenue over [lo, hi] (a log grid of 241 points, then zooms to a relative 1e-11)."""
        if not 0.0 < lo <= hi:
            raise ValueError(f"best_price needs 0 < lo <= hi, got [{lo}, {hi}]")
        if lo == hi:
            return float(lo)
        prm, breaks = self._params(stockcode)
        return float(argmax_revenue(prm, np.array([lo]), np.array([hi]), breaks)[0])

    # -- files

    def write(self, path: Path) -> Path:
        """ground_truth.csv (floats to 17 significant digits, so curves reload exactly) and a JSON sidecar."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.products.to_csv(path, index=False, float_format="%.17g")
        path.with_suffix(".json").write_text(json.dumps(self.meta, indent=2, default=str) + "\n")
        return path

    @classmethod
    def read(cls, path: Path) -> Truth:
        path = Path(path)
        text = ["stockcode", "description", "category", "demand_form", "quantity_breaks", "price_classes"]
        products = pd.read_csv(path, dtype={c: str for c in text})
        for c in text:
            if c in products.columns:
                products[c] = products[c].fillna("")
        missing = [c for c in ["stockcode", "current_price", "optimal_price", "quantity_breaks"] + PARAMETERS
                   if c not in products.columns]
        if missing:
            raise ValueError(f"{path}: not a scenarios ground truth (missing {', '.join(missing)})")
        sidecar = path.with_suffix(".json")
        meta = json.loads(sidecar.read_text()) if sidecar.exists() else {}
        return cls(products, meta)


def format_breaks(breaks) -> str:
    return ";".join(f"{k}:{f:g}" for k, f in breaks)


def _parse_breaks(text) -> tuple[tuple[int, float], ...]:
    if not isinstance(text, str) or not text.strip():
        return ()
    return tuple((int(k), float(f)) for k, f in (part.split(":") for part in text.split(";")))


def format_classes(classes) -> str:
    """The `price_classes` column: "segment:kind:share:factor:size_level" per class, floats exact (repr)."""
    return ";".join(f"{c.segment}:{c.kind}:{c.share!r}:{c.factor!r}:{c.size_level!r}" for c in classes)


def parse_classes(text) -> tuple[PriceClass, ...]:
    """The classes a `price_classes` cell states (empty or missing: the default classes); bad cells raise."""
    if not isinstance(text, str) or not text.strip():
        return DEFAULT_CLASSES
    out = []
    for part in text.split(";"):
        seg, kind, share, factor, size = part.split(":")
        if kind not in CLASS_KINDS or int(seg) not in range(len(SEGMENTS)):
            raise ValueError(f"price class {part!r}: segment must be 0 or 1 and kind one of {', '.join(CLASS_KINDS)}")
        out.append(PriceClass(int(seg), kind, float(share), float(factor), float(size)))
    return tuple(out)
