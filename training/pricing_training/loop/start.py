"""The loop's starting point: the price-response posterior fit on the world's training year, cached.

The method is fit exactly as `train` fits it (cleaning, the weekly panel, price_response's own estimates and
posterior); only the products the world still sells and the panel knows are carried. Prices inside the loop
are posted list prices; the posterior lives in the panel's price units (the panel's current price can differ
from the list price, e.g. customer classes pay less), so each product keeps `scale` = list / panel price.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from .. import curvature_prior, price_response, weekly
from ..cleaning import clean

log = logging.getLogger(__name__)
RECENT_WEEKS = 13
SEASON_WEEKS = 26  # the training year's first weeks: the loop's season a year earlier (the holdout's pre-period)


@dataclasses.dataclass
class Start:
    """Per product with a posterior (P of them): its row in the world, the posterior, and its recent sales.

    The posterior is a normal truncated to c <= 0 (price_response.PriceResponse): `mean` is its own mean (the
    service's draws' mean, the point estimate), `cov` the covariance of the unconstrained parent normal and
    `parent_mean` that normal's mean. The loop updates the parent (a Gaussian update of a truncated normal is the
    truncated Gaussian update of its parent) and truncates only when it draws (`normal`, `moments`). `parent_mean`
    None (a posterior that is no one normal, or a Start built by hand): (mean, cov) is taken as the parent, as
    before the parent was carried, which truncates an already truncated mean a second time."""

    index: np.ndarray  # [P] row in world.products
    stockcodes: np.ndarray  # [P]
    mean: np.ndarray  # [P, 2] posterior mean of (b, c) (the truncated posterior's: the service's point estimate)
    cov: np.ndarray  # [P, 2, 2] the parent normal's covariance
    ref: np.ndarray  # [P] reference log price (panel units)
    delta0: np.ndarray  # [P] Δ at the current price: ln(panel current price) − ref
    scale: np.ndarray  # [P] posted list price / panel current price
    units: np.ndarray  # [P] mean weekly units over the training year's last RECENT_WEEKS weeks
    revenue: np.ndarray  # [P] mean weekly revenue over the same weeks
    season_revenue: np.ndarray  # [P] revenue over the training year's first SEASON_WEEKS weeks
    season_listed: np.ndarray  # [P] bool: on sale from the start of those weeks (a launch inside them has no full season)
    groups: np.ndarray  # [P] category index
    # The training year's sales by calendar week (Monday to Sunday), every week from its first to its last, closed
    # weeks included: the year-earlier season of the loop's weeks (run.predicted_units, experiments.holdout_lift).
    week_monday: np.ndarray  # [W] each week's Monday as days since 1970-01-01
    weekly_units: np.ndarray  # [P, W]
    weekly_revenue: np.ndarray  # [P, W]
    parent_mean: np.ndarray | None = None  # [P, 2] the parent normal's mean (class docstring)

    def normal(self) -> tuple[np.ndarray, np.ndarray]:
        """The parent normal (mean [P, 2], covariance [P, 2, 2]) the loop updates and truncates to c <= 0 to draw."""
        return (self.mean if self.parent_mean is None else self.parent_mean), self.cov

    def moments(self) -> tuple[np.ndarray, np.ndarray]:
        """The starting posterior's own mean [P, 2] and covariance [P, 2, 2] (the truncated normal's): what a point
        estimate or a spread of (b, c) reads. Without a parent, (mean, cov) as before."""
        if self.parent_mean is None:
            return self.mean, self.cov
        return curvature_prior.truncated_mean_cov(self.parent_mean, self.cov)

    def save(self, path: Path) -> None:
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        if fields["parent_mean"] is None:  # NaN stands for "no parent" (allow_pickle=False cannot store None)
            fields["parent_mean"] = np.full_like(self.mean, np.nan)
        np.savez(path, **fields)

    @classmethod
    def load(cls, path: Path) -> "Start":
        """A saved Start; a file without `parent_mean` (written before it was carried) raises KeyError, so the
        caches (`cached`, weekly_update.log_start) fit again rather than read its truncated mean as the parent's."""
        with np.load(path, allow_pickle=False) as z:
            fields = {f.name: z[f.name] for f in dataclasses.fields(cls)}
        if np.isnan(fields["parent_mean"]).all():
            fields["parent_mean"] = None
        return cls(**fields)


def fit(world, cfg: price_response.ResponseConfig) -> Start:
    """Fit the posterior on `world.training_lines()` (module docstring)."""
    cleaned, _ = clean(world.training_lines())
    return fit_panel(cleaned, weekly.build(cleaned), world.products, world.current_prices, cfg)


def fit_panel(cleaned: pd.DataFrame, panel: weekly.WeeklyPanel, products: pd.DataFrame, current_prices: np.ndarray,
              cfg: price_response.ResponseConfig) -> Start:
    """Fit the posterior on the training log's clean lines `cleaned` and their weekly panel, for the products of a
    catalogue: `products` (one row per product, index 0..N-1, with `stockcode` and `category`) and their posted list
    prices `current_prices` [N]. The closed loop passes its world's; the weekly update (weekly_update.py) the panel's
    own products and current prices, so that there scale = 1."""
    own, _ = price_response.own_estimates(panel, cfg)
    post = price_response.posterior(own, cfg)
    facts = panel.products.set_index("stockcode")
    rows = panel.rows
    last = rows["week"].max()
    recent = rows[rows["week"] > last - RECENT_WEEKS].groupby("stockcode")[["units", "revenue"]].sum() / RECENT_WEEKS
    first = rows["week"].min()
    season = rows[rows["week"] < first + SEASON_WEEKS].groupby("stockcode")["revenue"].sum()
    listed_early = rows.groupby("stockcode")["week"].min() <= first + 4
    position = pd.Series(np.arange(len(products)), index=products["stockcode"].to_numpy())
    codes = [c for c in post.stockcodes if c in position.index]
    keep = np.array([post.stockcodes.index(c) for c in codes], dtype=np.int64)
    index = position[codes].to_numpy()
    categories = products["category"].astype(str).to_numpy()[index]
    groups = np.unique(categories, return_inverse=True)[1]
    current = facts.loc[codes, "current_price"].to_numpy(np.float64)
    week_monday, weekly_units, weekly_revenue = calendar_weeks(cleaned, codes)
    log.info("starting posterior: %d of %d catalogue products", len(codes), len(products))
    return Start(index=index, stockcodes=np.array(codes), mean=post.mean[keep], cov=post.cov[keep],
                 ref=facts.loc[codes, "log_reference_price"].to_numpy(np.float64),
                 delta0=np.log(current) - facts.loc[codes, "log_reference_price"].to_numpy(np.float64),
                 scale=np.asarray(current_prices, np.float64)[index] / current,
                 units=recent["units"].reindex(codes).fillna(0.0).to_numpy(),
                 revenue=recent["revenue"].reindex(codes).fillna(0.0).to_numpy(),
                 season_revenue=season.reindex(codes).fillna(0.0).to_numpy(),
                 season_listed=listed_early.reindex(codes).fillna(False).to_numpy(bool), groups=groups,
                 week_monday=week_monday, weekly_units=weekly_units, weekly_revenue=weekly_revenue,
                 parent_mean=None if post.parent_mean is None else post.parent_mean[keep])


def calendar_weeks(cleaned: pd.DataFrame, codes: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The clean sale lines' units and revenue per product (rows in `codes`' order) and calendar week (Monday to
    Sunday, every week from the first line's to the last's, weeks without a line 0), and each week's Monday as days
    since 1970-01-01. Calendar weeks, not the panel's trading weeks: a week the shop was closed is a season too."""
    day = pd.to_datetime(cleaned["invoice_date"]).to_numpy().astype("datetime64[D]").astype(np.int64)
    monday = day - (day + 3) % 7  # 1970-01-01 was a Thursday
    first = int(monday.min())
    week = (monday - first) // 7
    n_weeks = int(week.max()) + 1
    position = pd.Series(np.arange(len(codes)), index=codes)
    row = position.reindex(cleaned["stockcode"].to_numpy()).to_numpy()
    ok = ~np.isnan(row)
    flat = row[ok].astype(np.int64) * n_weeks + week[ok]
    quantity = cleaned["quantity"].to_numpy(np.float64)[ok]
    paid = quantity * cleaned["unit_price"].to_numpy(np.float64)[ok]
    size = len(codes) * n_weeks
    units = np.bincount(flat, quantity, size).reshape(len(codes), n_weeks)
    revenue = np.bincount(flat, paid, size).reshape(len(codes), n_weeks)
    return first + 7 * np.arange(n_weeks, dtype=np.int64), units, revenue


def cached(world, folder: Path, cfg: price_response.ResponseConfig, key: dict) -> Start:
    """The starting posterior from `folder/start.npz` when it was fit with the same `key`, else fit and cache it."""
    folder.mkdir(parents=True, exist_ok=True)
    path, meta = folder / "start.npz", folder / "start.json"
    if path.exists() and meta.exists() and json.loads(meta.read_text()) == key:
        try:
            return Start.load(path)
        except (KeyError, TypeError):  # written by an older version of Start: fit again
            log.info("%s lacks fields of this version: fitting again", path)
    start = fit(world, cfg)
    start.save(path)
    meta.write_text(json.dumps(key))
    return start
