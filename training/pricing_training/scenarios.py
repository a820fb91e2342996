"""Varied retail logs with ground truth, for judging pricing methods honestly.

`synth.py` draws every product from one demand form with one kind of confounding; a method tuned on it can
win by matching the generator. This module draws a matrix of scenarios instead: four demand forms (or a mix),
confounding from off to strong with an unconfounded *twin* built from the same draws, products priced near
and far from their revenue optimum, optional quantity breaks, thin and thick products. Every scenario writes
the UCI schema (same CSV conventions as `synth.write`) and a `Truth` that states, per product, expected
units and revenue per week at any posted list price, the elasticity and the optimum.

The generative process, per product i, week w (7-day blocks from 2010-12-01, 54 of them) and segment s:

    x = p / p_form                       list price in units of the form's own revenue optimum
    h_s(p) = H(kappa_s * x) / H(kappa_s)  price response (kappa_retail = 1; wholesale 1.05-1.25: more elastic)
    attempted lines ~ Poisson(L_s * season_iw * shock_iw * h_s(p)^a)       (a in 0.5-0.7: orders)
    quantity = floor(X + U), X ~ LogNormal(mean m_s(p), sigma_s), U ~ U(0, 1), m_s(p) = size_s * h_s(p)^(1-a)
    a line with quantity 0 is not an order (dropped), so E[units] = L_s * size_s * h_s(p) exactly

with the forms (each has its pure revenue optimum at x = 1):

    exponential  H(x) = exp(-x)
    linear       H(x) = max(0, 1 - x / 2)
    logit        H(x) = 1 / (1 + exp(g * (x - x_mid))),   x_mid = 1 + ln(g - 1) / g,  g in [2.5, 6]
    isoelastic   H(x) = 1 / (1 + x^eps / (eps - 1)),      eps in [1.3, 3]

Pure isoelastic demand (eps > 1) has no interior revenue optimum, and a soft choke exp(-p/c) only makes it
more elastic, so the isoelastic form saturates instead: elasticity -eps * y / (1 + y), y = x^eps / (eps - 1),
tends to -eps above the optimum (isoelastic there) and to 0 far below it (the market is finite); it crosses
-1 at x = 1.

Retail lines pay the list price; wholesale lines (registered trade customers, ~10% of customers) pay
WHOLESALE_DISCOUNT x list and buy 5-10x bigger lines. The trade discount applies at every confounding level:
it is part of the revenue truth, so a twin keeps it. With quantity breaks a line of >= 12 (>= 48) units pays
90% (80%) of its segment price: the realized UnitPrice depends on the line's own quantity. Breaks change
revenue, not demand. The season (per product; Christmas items peak hardest) and the AR(1) demand shock
multiply the number of orders at every price alike and have mean 1 over the year, so they do not move the
optimum; weekdays only decide the day an invoice falls on. The truth, per average week of the year, is

    units(p)   = sum_s L_s * size_s * h_s(p)                                 (expected units per week)
    revenue(p) = sum_s p * disc_s * L_s * h_s(p)^a * E[q * f(q) | m_s(p)]   (f: the break factor; 1 without)

(E[q f(q)] in closed form from the lognormal's partial expectations) and `optimal_price` is the continuous
argmax of revenue over [current / 3, 3 * current]. The current (base) list price is a retail price point;
the optimum is placed at current / (1 +- d), d ~ U(0.2, 0.4) for the far share, U(0, 0.05) otherwise.

The list-price process, per product and week:

    P = current * revision * exp(A * season_w + K * signal_{w-1}) * (1 - discount)

revisions (two per year, the last one sets the current price) are exogenous at every level. At "moderate"
the markup follows the shop's season (A: 10-15% in the November peak), K (~0.3) follows last week's demand
shock, and promotions (15-35% off, ~6% of weeks) are likelier when last week was weak. "Strong" has a 25-35%
peak markup, K ~0.6, promotions concentrated in weeks the retailer expects to be weak (it partly foresees
this week's shock) and clearance markdowns (20-30%) after runs of weak weeks (stock piling up). "Off" (the
twin) runs the same price process on fake drivers drawn from the price stream (a smooth random series with
the season's mean and spread, an independent AR(1) shock with the same dynamics): prices vary as much, but
independently of demand. Products, customers, invoices, shocks and every noise draw come from separate
streams, and line-level noise is a counter-based hash of (product, week, segment, line), so a twin shares
every draw except the prices.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special, stats

from .synth import (ADJECTIVES, CATEGORIES, COUNTRIES, END, SEASON, START, WEEKDAY_VOLUME, SynthConfig,
                    _calendar, _cancellations, _non_product_lines, _stockcodes)

log = logging.getLogger(__name__)

FORMS = ("exponential", "linear", "logit", "isoelastic")
CONFOUNDING = ("off", "moderate", "strong")
N_WEEKS = (END - START).days // 7 + 1  # 54 weeks of 7 days from 2010-12-01; the last is partial
WHOLESALE_DISCOUNT = 0.80
QUANTITY_BREAKS = ((12, 0.90), (48, 0.80))  # (minimum line quantity, factor on the unit price)
FLAGSHIP = ("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 2.55)
MEAN_INVOICE_LINES = 20.0
GUEST_SHARE = 0.25
CANCELLATION_SHARE = 0.017
THIN_LINES = (30.0, 120.0)
THICK_CAP = 5000.0
SHOCK_AR = 0.7

# Strength of the list-price process per level (the twin uses its original's level on fake drivers).
PRICE_LEVELS = {
    "moderate": {"markup": (0.10, 0.15), "shock": (0.25, 0.35), "promo_tilt": 0.8, "foresight": 0.0,
                 "clearance": False},
    "strong": {"markup": (0.25, 0.35), "shock": (0.50, 0.70), "promo_tilt": 2.0, "foresight": 0.5,
               "clearance": True},
}
PROMO_SHARE = 0.06
CLEARANCE_SHARE = 0.04
REVISION_SD = 0.06


@dataclasses.dataclass(frozen=True)
class Scenario:
    """One cell of the evaluation matrix. `price_variation` is the amplitude of the list-price process
    (default: that of `confounding`, "moderate" for "off"); `twin()` keeps it so the twin's prices vary as
    much as the original's."""

    name: str
    demand_form: str  # "exponential" | "linear" | "logit" | "isoelastic" | "mixed"
    confounding: str  # "off" | "moderate" | "strong"
    lines: int = 60_000
    products: int = 300
    far_share: float = 0.5
    quantity_breaks: bool = False
    thin_share: float = 0.3
    price_variation: str | None = None

    def __post_init__(self):
        if self.demand_form not in FORMS + ("mixed",):
            raise ValueError(f"scenario {self.name!r}: demand_form {self.demand_form!r} is not one of "
                             f"{', '.join(FORMS + ('mixed',))}")
        if self.confounding not in CONFOUNDING:
            raise ValueError(f"scenario {self.name!r}: confounding {self.confounding!r} is not one of "
                             f"{', '.join(CONFOUNDING)}")
        if self.price_variation is not None and self.price_variation not in PRICE_LEVELS:
            raise ValueError(f"scenario {self.name!r}: price_variation {self.price_variation!r} is not one of "
                             f"{', '.join(PRICE_LEVELS)}")
        if self.products < 10 or self.lines < 40 * self.products:
            raise ValueError(f"scenario {self.name!r}: {self.lines} lines for {self.products} products is too few "
                             "(at least 10 products and 40 lines per product)")
        if not (0.0 <= self.far_share <= 1.0 and 0.0 <= self.thin_share < 1.0):
            raise ValueError(f"scenario {self.name!r}: far_share and thin_share must be shares")

    def variation(self) -> str:
        """The amplitude level of the list-price process."""
        if self.price_variation is not None:
            return self.price_variation
        return "moderate" if self.confounding == "off" else self.confounding

    def twin(self) -> Scenario:
        """The same scenario with exogenous prices of the same amplitude: same products, customers, shocks
        and noise for a given seed."""
        return dataclasses.replace(self, name=self.name + "-twin", confounding="off",
                                   price_variation=self.variation())


SCENARIOS: dict[str, Scenario] = {s.name: s for s in [
    Scenario("exp-strong", "exponential", "strong"),
    Scenario("linear-moderate", "linear", "moderate"),
    Scenario("logit-strong-breaks", "logit", "strong", quantity_breaks=True),
    Scenario("iso-moderate", "isoelastic", "moderate"),
    Scenario("mixed-strong-thin", "mixed", "strong", thin_share=0.6, quantity_breaks=True),
    Scenario("retail", "mixed", "moderate", lines=540_000, products=4_000, quantity_breaks=True),
]}
DEFAULT_SCENARIO = "retail"


# ----------------------------------------------------------------------------------------------
# Demand curves (vectorised over products and prices; all parameters broadcast against the prices)


def _form_response(form: np.ndarray, shape: np.ndarray, x: np.ndarray) -> np.ndarray:
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


def _order_probability(m: np.ndarray, sigma: np.ndarray) -> np.ndarray:
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


def segments(prm: dict, prices: np.ndarray):
    """Yield (discount, h, a, L, size, sigma) for retail and wholesale at list `prices`."""
    x = np.asarray(prices, dtype=np.float64) / prm["p_form"]
    for seg, disc, kappa in (("retail", 1.0, 1.0), ("wholesale", prm["wholesale_discount"], prm["kappa"])):
        h = _form_response(prm["form"], prm["shape"], kappa * x) / _form_response(prm["form"], prm["shape"], kappa)
        yield disc, h, prm["split"], prm[f"{seg}_lines"], prm[f"{seg}_size"], prm[f"{seg}_sigma"]


def curves(prm: dict, prices: np.ndarray, breaks) -> dict[str, np.ndarray]:
    """Expected units, revenue and sale lines per (average) week at list `prices`."""
    prices = np.asarray(prices, dtype=np.float64)
    units = revenue = lines = 0.0
    for disc, h, a, lines_s, size, sigma in segments(prm, prices):
        attempts = lines_s * h ** a
        m = size * h ** (1.0 - a)
        units = units + lines_s * size * h
        revenue = revenue + prices * disc * attempts * _paid_quantity(m, sigma, breaks)
        lines = lines + attempts * _order_probability(m, sigma)
    return {"units": units, "revenue": revenue, "lines": lines}


def _argmax_revenue(prm: dict, lo: np.ndarray, hi: np.ndarray, breaks, points: int = 241, zoom: int = 33,
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
    Curves are per average week of the year, at the retailer's posted LIST price (all segments)."""

    def __init__(self, products: pd.DataFrame, meta: dict | None = None):
        self.products = products.reset_index(drop=True)  # read-only: the curves are cached from it
        self.meta = dict(meta or {})
        self._index = {code: i for i, code in enumerate(self.products["stockcode"])}
        self._columns = {k: self.products[k].to_numpy(np.float64) for k in PARAMETERS}
        self._breaks = [_parse_breaks(b) for b in self.products["quantity_breaks"]]

    # -- one product

    def _params(self, stockcode: str) -> tuple[dict, tuple]:
        try:
            i = self._index[stockcode]
        except KeyError:
            raise KeyError(f"no ground truth for stockcode {stockcode!r}") from None
        prm = {k: float(v[i]) for k, v in self._columns.items()}
        prm["form"] = int(prm["form"])
        return prm, self._breaks[i]

    def parameters(self, stockcode: str) -> tuple[dict, tuple]:
        """The product's curve parameters (PARAMETERS, scalars) and its quantity breaks, for `curves`."""
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
        """Expected revenue per week: paid price (list x segment discount x break factor) x units."""
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
        return float(_argmax_revenue(prm, np.array([lo]), np.array([hi]), breaks)[0])

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
        text = ["stockcode", "description", "category", "demand_form", "quantity_breaks"]
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


def _format_breaks(breaks) -> str:
    return ";".join(f"{k}:{f:g}" for k, f in breaks)


def _parse_breaks(text) -> tuple[tuple[int, float], ...]:
    if not isinstance(text, str) or not text.strip():
        return ()
    return tuple((int(k), float(f)) for k, f in (part.split(":") for part in text.split(";")))


# ----------------------------------------------------------------------------------------------
# Counter-based noise: a draw is a function of (key, cell, line, purpose), so twins share it.

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _splitmix(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        x = x + _GOLDEN
        x = (x ^ (x >> np.uint64(30))) * _MIX1
        x = (x ^ (x >> np.uint64(27))) * _MIX2
        return x ^ (x >> np.uint64(31))


def _uniform(key: int, cell: np.ndarray, line: np.ndarray, purpose: int) -> np.ndarray:
    """Uniform in (0, 1), a deterministic function of its arguments."""
    h = _splitmix(np.uint64(key) ^ _splitmix(np.asarray(cell, np.uint64) * np.uint64(8) + np.uint64(purpose)))
    h = _splitmix(h ^ (np.asarray(line, np.uint64) * _GOLDEN))
    return ((h >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53)


# ----------------------------------------------------------------------------------------------
# Generator


@dataclasses.dataclass
class ScenarioData:
    """One generated data set: the transaction log a method sees, the truth it is judged against, and the
    latent weekly panel (for tests and diagnostics; a method must not read it)."""

    transactions: pd.DataFrame  # UCI schema, like synth.generate's first output
    truth: Truth
    # The latent product-week panel: stockcode, week, week_start, list_price, season (demand factor of the
    # time of year, mean 1), shock (log AR(1) demand shock), demand_factor (season x shock multiplier),
    # promotion, clearance, expected_units, expected_revenue (truth at list_price x demand_factor).
    weeks: pd.DataFrame | None = None
    scenario: Scenario | None = None
    seed: int | None = None


def _structure_key(s: Scenario) -> int:
    """What the twin shares: every field but the name and the price process."""
    text = f"{s.demand_form}|{s.lines}|{s.products}|{s.far_share!r}|{s.thin_share!r}|{s.quantity_breaks}"
    return zlib.crc32(text.encode())


def _price_point(p: np.ndarray) -> np.ndarray:
    """Retail price points: pennies below £1, multiples of 5p above."""
    return np.where(p < 1.0, np.maximum(np.round(p, 2), 0.12), np.round(p * 20.0) / 20.0)


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


def _week_calendar():
    """Open days, their week, and the volume each week has per month (weekday weights of open days)."""
    days = _calendar()
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


def _catalogue(s: Scenario, streams: list[np.random.Generator], per_month: np.ndarray, n_sale: float):
    """Products and their structural demand: returns (truth products frame, parameter dict of column
    vectors, quantity breaks, weekly season factors (n, weeks) with mean 1, shock innovation sd per product)."""
    rng_cat, rng_dem, rng_pop = streams
    n = s.products
    codes = _stockcodes(rng_cat, n)
    cat_idx = rng_cat.integers(0, len(CATEGORIES), size=n)
    cat_idx[0] = 0  # HOLDER
    descriptions = _descriptions(rng_cat, cat_idx)
    typical = np.array([CATEGORIES[c][2] for c in cat_idx]) * rng_cat.lognormal(0.0, 0.35, size=n)
    current = _price_point(typical)
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
    prm = {"form": form[:, None], "shape": col(shape), "p_form": col(np.ones(n)), "split": col(split),
           "kappa": col(kappa), "wholesale_discount": col(np.full(n, WHOLESALE_DISCOUNT)),
           "retail_lines": col(1.0 - wholesale_share), "retail_size": col(retail_size),
           "retail_sigma": col(retail_sigma),
           "wholesale_lines": col(wholesale_share), "wholesale_size": col(wholesale_size),
           "wholesale_sigma": col(wholesale_sigma)}
    # Optimum in units of p_form, then scale: current = optimum * (1 + sign * distance).
    unit_opt = _argmax_revenue(prm, np.full(n, 0.05), np.full(n, 5.0), breaks)
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
    optimal = _argmax_revenue(prm, current / 3.0, current * 3.0, breaks)
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
        "quantity_breaks": _format_breaks(breaks),
        "season_exponent": season_exp,
        "shock_sd": shock_sd,
        "expected_lines": target,
        "units_at_current": at_current["units"][:, 0],
        "revenue_at_current": at_current["revenue"][:, 0],
        "revenue_at_optimum": at_optimum["revenue"][:, 0],
        "elasticity_at_current": elasticity,
    })
    return products, prm, breaks, wf, shock_sd


def _ar1(rng: np.random.Generator, sd: np.ndarray, n_cols: int) -> np.ndarray:
    """Stationary AR(1) (coefficient SHOCK_AR, innovation sd per row), shape (rows, n_cols)."""
    rows = len(sd)
    eps = rng.normal(0.0, 1.0, size=(rows, n_cols)) * sd[:, None]
    z = np.empty((rows, n_cols))
    z[:, 0] = eps[:, 0] / np.sqrt(1.0 - SHOCK_AR ** 2)
    for w in range(1, n_cols):
        z[:, w] = SHOCK_AR * z[:, w - 1] + eps[:, w]
    return z


def _list_prices(s: Scenario, rng: np.random.Generator, current: np.ndarray, shock_full: np.ndarray,
                 shock_sd: np.ndarray, season_m: np.ndarray):
    """Weekly posted list price (n, weeks), promotion and clearance flags. shock_full has one extra
    leading column (the week before the first)."""
    n, weeks = len(current), N_WEEKS
    level = PRICE_LEVELS[s.variation()]
    # Every draw is made whatever the level, so the twin and its original consume the stream alike.
    revision_weeks = np.sort(rng.integers(6, weeks - 8, size=(n, 2)), axis=1)
    revision_dev = rng.normal(0.0, REVISION_SD, size=(n, 2))
    markup = rng.uniform(*level["markup"], size=n)
    reaction = rng.uniform(*level["shock"], size=n)
    promo_u = rng.random((n, weeks))
    promo_depth = rng.uniform(0.15, 0.35, size=(n, weeks))
    clearance_depth = rng.uniform(0.20, 0.30, size=(n, weeks))
    fake_season = _ar1(rng, np.ones(n), weeks)
    fake_shock = _ar1(rng, shock_sd, weeks + 1)

    if s.confounding == "off":
        f = fake_season - fake_season.mean(axis=1, keepdims=True)
        f = f / f.std(axis=1, keepdims=True)
        season_driver = season_m.mean() + season_m.std() * f
        z_full = fake_shock
    else:
        season_driver = np.broadcast_to(season_m, (n, weeks))
        z_full = shock_full
    z_prev, z_now = z_full[:, :-1], z_full[:, 1:]
    stationary_sd = shock_sd / np.sqrt(1.0 - SHOCK_AR ** 2)

    # What the retailer believes about this week's demand: last week's shock, plus (strong) part of this
    # week's innovation (it plans promotions for weeks it expects to be weak).
    innovation = z_now - SHOCK_AR * z_prev
    belief = SHOCK_AR * z_prev + level["foresight"] * innovation
    belief_sd = np.sqrt(SHOCK_AR ** 2 * stationary_sd ** 2 + level["foresight"] ** 2 * shock_sd ** 2)
    weakness = -belief / belief_sd[:, None]
    tilt = level["promo_tilt"]
    promo_p = stats.norm.cdf(stats.norm.ppf(PROMO_SHARE) * np.sqrt(1.0 + tilt ** 2) + tilt * weakness)
    promotion = promo_u < promo_p
    if level["clearance"]:
        stock = np.zeros((n, weeks))  # piles up after weak weeks
        standardized = z_prev / stationary_sd[:, None]
        for w in range(weeks):
            stock[:, w] = (0.7 * stock[:, w - 1] if w else 0.0) - standardized[:, w]
        clearance = stock > np.quantile(stock, 1.0 - CLEARANCE_SHARE)
    else:
        clearance = np.zeros((n, weeks), bool)

    week = np.arange(weeks)[None, :]
    revision = np.where(week < revision_weeks[:, :1], np.exp(revision_dev[:, :1]),
                        np.where(week < revision_weeks[:, 1:], np.exp(revision_dev[:, 1:]), 1.0))
    level_price = current[:, None] * revision * np.exp(markup[:, None] * season_driver + reaction[:, None] * z_prev)
    discount = np.maximum(np.where(promotion, promo_depth, 0.0), np.where(clearance, clearance_depth, 0.0))
    price = np.maximum(np.round(level_price * (1.0 - discount), 2), 0.01)
    return price, promotion, clearance


@dataclasses.dataclass
class _Invoices:
    """The year's invoices, drawn before and independently of prices, in blocks of (segment, week)."""

    number: np.ndarray  # InvoiceNo, in time order
    time: pd.DatetimeIndex
    guest: np.ndarray
    customer: np.ndarray  # CustomerID (NaN for guests)
    country: np.ndarray
    weight: np.ndarray  # relative size: a line lands in an invoice of its block with probability ~ weight
    block_start: np.ndarray  # first invoice of block seg * N_WEEKS + week
    block_len: np.ndarray

    def block_of(self, invoice: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.block_start, invoice, side="right") - 1

    def place(self, block: np.ndarray, u: np.ndarray) -> np.ndarray:
        """The invoice of `block` that uniform `u` picks, with probability proportional to weight."""
        cum = np.cumsum(self.weight)
        base = np.where(self.block_start > 0, cum[np.maximum(self.block_start - 1, 0)], 0.0)
        total = np.add.reduceat(self.weight, self.block_start)
        end = self.block_start + self.block_len - 1
        inv = np.searchsorted(cum, base[block] + u * total[block], side="right")
        return np.clip(inv, self.block_start[block], end[block])

    def spread(self, invoice: np.ndarray, product: np.ndarray, quantity: np.ndarray) -> np.ndarray:
        """Move a line that repeats an earlier one of its invoice (same product and quantity, hence the same
        price) to the block's next invoice: cleaning drops exact repeats, and the truth counts every line.
        Lines stay in their week and segment; a product may still appear twice in an invoice with different
        quantities."""
        invoice = invoice.copy()
        block = self.block_of(invoice)
        start, length = self.block_start[block], self.block_len[block]
        for _ in range(int(self.block_len.max())):
            dup = pd.DataFrame({"i": invoice, "p": product, "q": quantity}).duplicated().to_numpy()
            if not dup.any():
                break
            invoice[dup] = start[dup] + (invoice[dup] - start[dup] + 1) % length[dup]
        return invoice


def _invoices(s: Scenario, rng: np.random.Generator, expected: np.ndarray, busiest: np.ndarray) -> _Invoices:
    """Invoices per (segment, week): about 20 expected lines each, and enough that the week's best seller
    rarely needs to repeat a line in one invoice (at small scales invoices are then shorter). Retail invoices
    are ~25%-of-lines guests or registered retail customers; wholesale ones come from trade customers
    (~10% of registered customers); customer activity is long-tailed; every country appears."""
    weeks = N_WEEKS
    days, day_week, day_month, day_vol, _ = _week_calendar()
    count = np.maximum(np.round(expected / MEAN_INVOICE_LINES), np.ceil(0.6 * busiest) + 2).astype(int).ravel()
    seg = np.repeat(np.repeat([0, 1], weeks), count)
    week = np.repeat(np.tile(np.arange(weeks), 2), count)
    n_inv = len(seg)
    day_w = day_vol * np.array([SEASON[m] for m in day_month])
    cum = np.cumsum(day_w)
    week_first = np.searchsorted(day_week, np.arange(weeks))
    week_base = np.where(week_first > 0, cum[np.maximum(week_first - 1, 0)], 0.0)
    week_total = np.bincount(day_week, weights=day_w, minlength=weeks)
    day = np.minimum(np.searchsorted(cum, week_base[week] + rng.random(n_inv) * week_total[week], side="right"),
                     len(days) - 1)
    minute = np.clip(rng.normal(12.5 * 60, 2.2 * 60, size=n_inv), 7 * 60, 20 * 60).astype(int)
    time = days[day] + pd.to_timedelta(minute, unit="min")
    weight = rng.lognormal(0.0, 0.7, size=n_inv)

    n_cust = max(80, round(4300 * min(1.0, s.lines / 540_000) ** 0.6))
    cust_ids = rng.choice(np.arange(12346, 18288), size=n_cust, replace=False)
    country_w = np.array([0.0] + [1.0 / (i + 1) ** 1.3 for i in range(len(COUNTRIES) - 1)])
    country_w = 0.11 * country_w / country_w.sum()
    country_w[0] = 0.89
    cust_country = rng.choice(len(COUNTRIES), size=n_cust, p=country_w)
    cust_country[: len(COUNTRIES)] = np.arange(len(COUNTRIES))
    cust_wholesale = rng.random(n_cust) < 0.10
    cust_wholesale[: len(COUNTRIES)] = False
    cust_wholesale[len(COUNTRIES)] = True  # at least one trade customer
    activity = rng.lognormal(0.0, 1.0, size=n_cust)
    guest_p = min(0.9, GUEST_SHARE * expected.sum() / expected[0].sum())
    guest = (seg == 0) & (rng.random(n_inv) < guest_p)
    cust = np.empty(n_inv, dtype=int)
    for sg, pool in ((0, np.flatnonzero(~cust_wholesale)), (1, np.flatnonzero(cust_wholesale))):
        idx = np.flatnonzero(seg == sg)
        cust[idx] = rng.choice(pool, size=len(idx), p=activity[pool] / activity[pool].sum())
    registered_retail = np.flatnonzero((seg == 0) & ~guest)
    every_country = rng.choice(registered_retail, size=min(len(COUNTRIES), len(registered_retail)), replace=False)
    cust[every_country] = np.arange(len(every_country))  # customers 0..37 cover every country
    weight[every_country] = np.maximum(weight[every_country], 1.0)  # so they get lines
    guest_country = rng.choice(len(COUNTRIES), size=n_inv, p=country_w)
    number = np.empty(n_inv, dtype=np.int64)
    number[np.argsort(time.values, kind="stable")] = 536365 + np.arange(n_inv)
    return _Invoices(number=number, time=time, guest=guest,
                     customer=np.where(guest, np.nan, cust_ids[cust].astype(np.float64)),
                     country=np.array(COUNTRIES, dtype=object)[np.where(guest, guest_country, cust_country[cust])],
                     weight=weight, block_start=np.concatenate([[0], np.cumsum(count)[:-1]]), block_len=count)


def _sale_lines(prm: dict, breaks, price: np.ndarray, demand: np.ndarray, invoices: _Invoices,
                noise_key: int) -> pd.DataFrame:
    """Sale lines per (segment, product, week): Poisson attempts by the inverse CDF of a counter-based
    uniform, quantities floor(LogNormal + U) (zero: no order), each placed in an invoice of its block.
    Columns: invoice (index into invoices), product, Quantity, UnitPrice and the noise keys cell, k."""
    n, weeks = price.shape
    parts = []
    for seg, (disc, h, a, lines_s, size, sigma) in enumerate(segments(prm, price)):
        lam = (lines_s * demand * h ** a).ravel()
        m_cell = (size * h ** (1.0 - a)).ravel()
        cell = ((seg * n + np.arange(n)[:, None]) * weeks + np.arange(weeks)[None, :]).ravel()
        u = _uniform(noise_key, cell, np.zeros(cell.size), purpose=0)
        count = np.where(lam > 0, stats.poisson.ppf(u, np.maximum(lam, 1e-300)), 0).astype(np.int64)
        flat = np.repeat(np.arange(cell.size), count)
        cell_rep = cell[flat]
        k = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
        prod, wk = flat // weeks, flat % weeks
        sig = np.broadcast_to(sigma, (n, 1))[prod, 0]
        x = m_cell[flat] * np.exp(sig * special.ndtri(_uniform(noise_key, cell_rep, k, purpose=1)) - sig ** 2 / 2)
        q = np.floor(x + _uniform(noise_key, cell_rep, k, purpose=2)).astype(np.int64)
        invoice = invoices.place(seg * weeks + wk, _uniform(noise_key, cell_rep, k, purpose=3))
        factor = np.ones(len(q))
        for threshold, f in breaks:
            factor = np.where(q >= threshold, f, factor)
        paid = np.round(price[prod, wk] * np.broadcast_to(disc, (n, 1))[prod, 0] * factor, 2)
        keep = q >= 1
        parts.append(pd.DataFrame({"invoice": invoice[keep], "product": prod[keep], "cell": cell_rep[keep],
                                   "k": k[keep], "Quantity": q[keep], "UnitPrice": np.maximum(paid[keep], 0.01)}))
    lines = pd.concat(parts, ignore_index=True)
    lines["invoice"] = invoices.spread(lines["invoice"].to_numpy(), lines["product"].to_numpy(),
                                       lines["Quantity"].to_numpy())
    return lines


def generate(scenario: Scenario, seed: int) -> ScenarioData:
    """Draw one year of transactions (UCI schema) and the truth that produced them."""
    s = scenario
    ss = np.random.SeedSequence([int(seed), _structure_key(s)])
    (cat_ss, dem_ss, pop_ss, cust_ss, shock_ss, noise_ss, price_ss, extra_ss) = ss.spawn(8)
    noise_key = int(np.random.default_rng(noise_ss).integers(0, 2 ** 63))

    *_, per_month = _week_calendar()
    n_sale = s.lines * (1.0 - CANCELLATION_SHARE - 0.006 * 4 / 3)
    products, prm, breaks, season, shock_sd = _catalogue(
        s, [np.random.default_rng(x) for x in (cat_ss, dem_ss, pop_ss)], per_month, n_sale)
    n, weeks = len(products), N_WEEKS
    current = products["current_price"].to_numpy()

    # Demand shocks: AR(1) in log demand, one column before the first week (the retailer's "last week").
    shock_full = _ar1(np.random.default_rng(shock_ss), shock_sd, weeks + 1)
    stationary_var = shock_sd ** 2 / (1.0 - SHOCK_AR ** 2)
    demand = season * np.exp(shock_full[:, 1:] - stationary_var[:, None] / 2.0)  # mean 1 over the year
    season_arr = np.array([SEASON[m] for m in range(1, 13)])
    shop_season = (per_month @ season_arr) / per_month.sum(axis=1)
    season_m = (shop_season - 1.0) / (max(SEASON.values()) - 1.0)  # 1 in the November peak
    price, promotion, clearance = _list_prices(s, np.random.default_rng(price_ss), current, shock_full, shock_sd,
                                               season_m)

    expected, busiest = np.zeros((2, weeks)), np.zeros((2, weeks))
    for seg, (disc, h, a, lines_s, size, sigma) in enumerate(segments(prm, current[:, None])):
        per_week = lines_s * h ** a * _order_probability(size * h ** (1.0 - a), sigma) * season  # (n, weeks)
        expected[seg], busiest[seg] = per_week.sum(axis=0), per_week.max(axis=0)
    invoices = _invoices(s, np.random.default_rng(cust_ss), expected, busiest)
    lines = _sale_lines(prm, breaks, price, demand, invoices, noise_key)
    inv, prod = lines["invoice"].to_numpy(), lines["product"].to_numpy()
    sales = pd.DataFrame({
        "InvoiceNo": invoices.number[inv].astype(str),
        "StockCode": products["stockcode"].to_numpy()[prod],
        "Description": products["description"].to_numpy()[prod],
        "Quantity": lines["Quantity"].to_numpy(),
        "InvoiceDate": invoices.time[inv],
        "UnitPrice": lines["UnitPrice"].to_numpy(),
        "CustomerID": invoices.customer[inv],
        "Country": invoices.country[inv],
    })
    order = np.lexsort((lines["k"].to_numpy(), lines["cell"].to_numpy(), invoices.number[inv]))
    sales = sales.iloc[order].reset_index(drop=True)

    rng_extra = np.random.default_rng(extra_ss)
    cfg = SynthConfig(lines=s.lines, cancellation_share=CANCELLATION_SHARE)
    df = pd.concat([sales, _cancellations(sales, cfg, rng_extra),
                    _non_product_lines(sales, cfg, rng_extra, len(invoices.number))], ignore_index=True)
    df = df.sort_values(["InvoiceDate", "InvoiceNo"], kind="stable").reset_index(drop=True)

    week_curves = curves(prm, price, breaks)
    weeks_df = pd.DataFrame({
        "stockcode": np.repeat(products["stockcode"].to_numpy(), weeks),
        "week": np.tile(np.arange(weeks), n),
        "week_start": np.tile(START + pd.to_timedelta(7 * np.arange(weeks), unit="D"), n),
        "list_price": price.ravel(),
        "season": season.ravel(),
        "shock": shock_full[:, 1:].ravel(),
        "demand_factor": demand.ravel(),
        "promotion": promotion.ravel(),
        "clearance": clearance.ravel(),
        "expected_units": (week_curves["units"] * demand).ravel(),
        "expected_revenue": (week_curves["revenue"] * demand).ravel(),
    })
    meta = {"generator": "pricing_training.scenarios", "scenario": dataclasses.asdict(s), "seed": int(seed),
            "lines": len(df), "sale_lines": len(sales), "products": n, "weeks": weeks, "start": str(START.date()), "end": str(END.date()),
            "wholesale_discount": WHOLESALE_DISCOUNT, "quantity_breaks": [list(b) for b in breaks],
            "forms": {"exponential": "exp(-x)", "linear": "max(0, 1 - x/2)",
                      "logit": "1/(1+exp(g(x - 1 - ln(g-1)/g)))", "isoelastic": "1/(1 + x^eps/(eps-1))"},
            "curve": "x = p/p_form; h_s = H(kappa_s x)/H(kappa_s) (kappa_retail = 1); units = sum_s L_s size_s h_s; "
                     "revenue = sum_s p disc_s L_s h_s^a E[q f(q) | mean size_s h_s^(1-a), sigma_s]; "
                     "q = floor(LogNormal + U(0,1)), lines with q = 0 dropped; per average week of the year"}
    log.info("scenario %s seed %d: %d rows (%d sale lines), %d products, %d invoices", s.name, seed, len(df),
             len(sales), n, int(np.unique(inv).size))
    return ScenarioData(transactions=df, truth=Truth(products, meta), weeks=weeks_df, scenario=s, seed=int(seed))


# ----------------------------------------------------------------------------------------------
# Files


def write(data: ScenarioData, out_dir: Path) -> tuple[Path, Path]:
    """transactions.csv (UCI CSV conventions, as synth.write) and ground_truth.csv + ground_truth.json."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data_path = out_dir / "transactions.csv"
    gt_path = out_dir / "ground_truth.csv"
    out = data.transactions.copy()
    t = out["InvoiceDate"]
    out["InvoiceDate"] = (t.dt.month.astype(str) + "/" + t.dt.day.astype(str) + "/" + t.dt.year.astype(str) + " "
                          + t.dt.hour.astype(str) + ":" + t.dt.minute.map("{:02d}".format))
    out["UnitPrice"] = out["UnitPrice"].map(lambda v: f"{v:.3f}".rstrip("0").rstrip("."))
    out.to_csv(data_path, index=False)
    data.truth.write(gt_path)
    log.info("wrote %s (%d lines, %d products) and %s", data_path, len(out), len(data.truth.products), gt_path)
    return data_path, gt_path
