"""The shop's invoices and their lines: who buys, when, in which invoice, how many, at what price.

Invoices are drawn before and independently of prices, in blocks of (price class, week): a retail class's
invoices come from guests (~25% of lines) or registered retail customers, a trade class's from trade
customers (~10% of registered customers; with negotiated tiers each tier has its own customers, the biggest
accounts in the deepest tiers); customer activity is long-tailed and every country appears. Sale lines per
(class, product, week) are Poisson attempts, quantities floor(LogNormal + U) (zero: no order), each placed
in an invoice of its block and paying list x the class's factor x the break factor: a coupon invoice's
lines all pay its code's price. Line-level noise is counter-based (scenario_noise), so a twin shares it.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from scipy import special, stats

from .demand_truth import PriceClass, segments
from .retail_log import COUNTRIES, SEASON
from .scenario_noise import counter_uniform
from .scenario_spec import N_WEEKS, Scenario
from .shop_catalogue import week_calendar

MEAN_INVOICE_LINES = 20.0
GUEST_SHARE = 0.25


@dataclasses.dataclass
class CustomerBase:
    """The shop's customers, drawn once with the year's invoices: `ids` (CustomerID values), `country` (index
    into COUNTRIES), `activity` (how often each buys), `pools` ((price classes, customer indices) pairs: who
    buys in which class), the share of guest invoices in a retail class and the countries' weights for guests."""

    ids: np.ndarray
    country: np.ndarray
    activity: np.ndarray
    pools: list[tuple[list[int], np.ndarray]]
    guest_share: float
    country_weights: np.ndarray


@dataclasses.dataclass
class Invoices:
    """The year's invoices, drawn before and independently of prices, in blocks of (price class, week)."""

    number: np.ndarray  # InvoiceNo, in time order
    time: pd.DatetimeIndex
    guest: np.ndarray
    customer: np.ndarray  # CustomerID (NaN for guests)
    country: np.ndarray
    weight: np.ndarray  # relative size: a line lands in an invoice of its block with probability ~ weight
    block_start: np.ndarray  # first invoice of block class * N_WEEKS + week (of block class in one week's invoices)
    block_len: np.ndarray
    customers: CustomerBase | None = None  # who they were drawn from (kept to draw later weeks' invoices)

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


def draw_invoices(s: Scenario, rng: np.random.Generator, expected: np.ndarray, busiest: np.ndarray,
                  tier_rng: np.random.Generator) -> Invoices:
    """Invoices per (price class, week) from the expected and the busiest product's lines of each (classes,
    weeks): about 20 expected lines each, and enough that the week's best seller rarely needs to repeat a
    line in one invoice (at small scales invoices are then shorter). `tier_rng` assigns trade customers to
    negotiated tiers (drawn only when the scenario has them)."""
    weeks = N_WEEKS
    classes = s.price_classes()
    days, day_week, day_month, day_vol, _ = week_calendar()
    count = np.maximum(np.round(expected / MEAN_INVOICE_LINES), np.ceil(0.6 * busiest) + 2).astype(int).ravel()
    klass = np.repeat(np.repeat(np.arange(len(classes)), weeks), count)
    seg = np.array([c.segment for c in classes])[klass]
    week = np.repeat(np.tile(np.arange(weeks), len(classes)), count)
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

    customers = _customer_base(s, rng, expected, tier_rng)
    guest = (seg == 0) & (rng.random(n_inv) < customers.guest_share)
    cust = _place_customers(rng, customers, klass)
    registered_retail = np.flatnonzero((seg == 0) & ~guest)
    every_country = rng.choice(registered_retail, size=min(len(COUNTRIES), len(registered_retail)), replace=False)
    cust[every_country] = np.arange(len(every_country))  # customers 0..37 cover every country
    weight[every_country] = np.maximum(weight[every_country], 1.0)  # so they get lines
    guest_country = rng.choice(len(COUNTRIES), size=n_inv, p=customers.country_weights)
    number = np.empty(n_inv, dtype=np.int64)
    number[np.argsort(time.values, kind="stable")] = 536365 + np.arange(n_inv)
    return Invoices(number=number, time=time, guest=guest,
                     customer=np.where(guest, np.nan, customers.ids[cust].astype(np.float64)),
                     country=np.array(COUNTRIES, dtype=object)[np.where(guest, guest_country, customers.country[cust])],
                     weight=weight, block_start=np.concatenate([[0], np.cumsum(count)[:-1]]), block_len=count,
                     customers=customers)


def draw_week_invoices(s: Scenario, rng: np.random.Generator, customers: CustomerBase, expected: np.ndarray,
                       busiest: np.ndarray, days: pd.DatetimeIndex, day_weight: np.ndarray,
                       first_number: int) -> Invoices:
    """One later week's invoices, drawn as `draw_invoices` draws the year's: per price class k about 20 of the
    week's `expected` lines each and enough for its `busiest` product (both [classes]), each on one of `days`
    (the week's open days) with probability ~ `day_weight`, bought by the year's `customers`, numbered from
    `first_number` in time order. Block k holds class k's invoices (`sale_lines` with one week of prices).
    The year's rule that customers 0..37 cover every country is a property of a year, not of a week: not drawn."""
    classes = s.price_classes()
    count = np.maximum(np.round(expected / MEAN_INVOICE_LINES), np.ceil(0.6 * busiest) + 2).astype(int)
    klass = np.repeat(np.arange(len(classes)), count)
    seg = np.array([c.segment for c in classes])[klass]
    n_inv = len(klass)
    cum = np.cumsum(np.asarray(day_weight, np.float64))
    day = np.minimum(np.searchsorted(cum, rng.random(n_inv) * cum[-1], side="right"), len(days) - 1)
    minute = np.clip(rng.normal(12.5 * 60, 2.2 * 60, size=n_inv), 7 * 60, 20 * 60).astype(int)
    time = days[day] + pd.to_timedelta(minute, unit="min")
    weight = rng.lognormal(0.0, 0.7, size=n_inv)
    guest = (seg == 0) & (rng.random(n_inv) < customers.guest_share)
    cust = _place_customers(rng, customers, klass)
    guest_country = rng.choice(len(COUNTRIES), size=n_inv, p=customers.country_weights)
    number = np.empty(n_inv, dtype=np.int64)
    number[np.argsort(time.values, kind="stable")] = first_number + np.arange(n_inv)
    return Invoices(number=number, time=time, guest=guest,
                    customer=np.where(guest, np.nan, customers.ids[cust].astype(np.float64)),
                    country=np.array(COUNTRIES, dtype=object)[np.where(guest, guest_country, customers.country[cust])],
                    weight=weight, block_start=np.concatenate([[0], np.cumsum(count)[:-1]]), block_len=count,
                    customers=customers)


def _customer_base(s: Scenario, rng: np.random.Generator, expected: np.ndarray,
                   tier_rng: np.random.Generator) -> CustomerBase:
    """The shop's customers (their draws come from `rng` in the order the year's invoices have always made
    them; `tier_rng` assigns trade customers to negotiated tiers). `expected`: lines per (class, week)."""
    classes = s.price_classes()
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
    tiers = [k for k, c in enumerate(classes) if c.kind == "negotiated"]
    cust_wholesale[len(COUNTRIES): len(COUNTRIES) + len(tiers)] = True  # and one per negotiated tier
    activity = rng.lognormal(0.0, 1.0, size=n_cust)
    is_retail_class = np.array([c.segment == 0 for c in classes])
    guest_p = min(0.9, GUEST_SHARE * expected.sum() / expected[is_retail_class].sum())
    pools = list(_customer_pools(classes, cust_wholesale, activity, tier_rng))
    return CustomerBase(ids=cust_ids, country=cust_country, activity=activity, pools=pools, guest_share=guest_p,
                        country_weights=country_w)


def _place_customers(rng: np.random.Generator, customers: CustomerBase, klass: np.ndarray) -> np.ndarray:
    """Each invoice's customer (index into the base): drawn by activity from its class's pool."""
    cust = np.empty(len(klass), dtype=int)
    for members, pool in customers.pools:
        idx = np.flatnonzero(np.isin(klass, members))
        cust[idx] = rng.choice(pool, size=len(idx), p=customers.activity[pool] / customers.activity[pool].sum())
    return cust


def _customer_pools(classes: tuple[PriceClass, ...], trade: np.ndarray, activity: np.ndarray,
                    tier_rng: np.random.Generator):
    """(classes, customers) pairs: every retail class draws on the registered retail customers; the trade
    list class on every trade customer; each negotiated tier on its own trade customers (ranked by activity
    times noise, the biggest in the deepest tiers, each tier's count proportional to its share)."""
    retail = [k for k, c in enumerate(classes) if c.segment == 0]
    tiers = [k for k, c in enumerate(classes) if c.kind == "negotiated"]
    plain = [k for k, c in enumerate(classes) if c.segment == 1 and c.kind != "negotiated"]
    out = [(retail, np.flatnonzero(~trade))]
    if plain:
        out.append((plain, np.flatnonzero(trade)))
    if tiers:
        traders = np.flatnonzero(trade)
        ranked = traders[np.argsort(-activity[traders] * tier_rng.lognormal(0.0, 0.5, size=len(traders)), kind="stable")]
        deepest_first = sorted(tiers, key=lambda k: classes[k].factor)
        shares = np.cumsum([classes[k].share for k in deepest_first])
        ends = np.maximum(np.round(shares / shares[-1] * len(ranked)).astype(int), np.arange(1, len(tiers) + 1))
        ends[-1] = len(ranked)
        starts = np.concatenate([[0], ends[:-1]])
        out += [([k], ranked[a:b]) for k, a, b in zip(deepest_first, starts, ends)]
    return out


def sale_lines(prm: dict, breaks, price: np.ndarray, demand: np.ndarray, invoices: Invoices,
               noise_key: int) -> pd.DataFrame:
    """Sale lines per (price class, product, week): Poisson attempts by the inverse CDF of a counter-based
    uniform, quantities floor(LogNormal + U) (zero: no order), each placed in an invoice of its block.
    Columns: invoice (index into invoices), product, Quantity, UnitPrice and the noise keys cell, k."""
    n, weeks = price.shape
    parts = []
    for klass, (disc, h, a, lines_s, size, sigma) in enumerate(segments(prm, price)):
        lam = (lines_s * demand * h ** a).ravel()
        m_cell = (size * h ** (1.0 - a)).ravel()
        cell = ((klass * n + np.arange(n)[:, None]) * weeks + np.arange(weeks)[None, :]).ravel()
        u = counter_uniform(noise_key, cell, np.zeros(cell.size), purpose=0)
        count = np.where(lam > 0, stats.poisson.ppf(u, np.maximum(lam, 1e-300)), 0).astype(np.int64)
        flat = np.repeat(np.arange(cell.size), count)
        cell_rep = cell[flat]
        k = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
        prod, wk = flat // weeks, flat % weeks
        sig = np.broadcast_to(sigma, (n, 1))[prod, 0]
        x = m_cell[flat] * np.exp(sig * special.ndtri(counter_uniform(noise_key, cell_rep, k, purpose=1)) - sig ** 2 / 2)
        q = np.floor(x + counter_uniform(noise_key, cell_rep, k, purpose=2)).astype(np.int64)
        invoice = invoices.place(klass * weeks + wk, counter_uniform(noise_key, cell_rep, k, purpose=3))
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
