"""A year of a shop's log: the world stepped over 53 weeks under the shop's own pricing policy, plus the truth.

Files written to the output folder:

- `transactions.csv`: the log, UCI Online Retail columns (InvoiceDate as m/d/Y H:M, like the UCI file).
- `truth_products.csv`: per product the current (regular) price at the end of the log, expected units and
  revenue per average week at it, the true elasticity there, the revenue-optimal price within +-20% of it
  (the service's default rule range) and over 0.5x-2x, the shop's revenue at each, and the log's sale lines.
  "The shop's revenue" (`shop_revenue`, `best_revenue`) is the product's own revenue plus what its nest
  siblings gain or lose when its price moves (equal to its own revenue outside nests): the objective a
  retailer prices a colour variant by.
- `truth_curves.csv`: per product expected units, own revenue and shop revenue per week on a log grid of
  list prices (0.5x-2x the current price), nest siblings at their current prices.
- `world.json`: what rebuilds the world (variant, seed, products, lines) and how the files were made.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from . import calendar
from .policy import ShopPolicy
from .world import RetailWorld

RULE_RANGE = (0.8, 1.2)
CURVE_POINTS = 81
FORMAT_VERSION = 1


def simulate(world: RetailWorld, weeks: int = calendar.YEAR_WEEKS, collect: bool = True):
    """Step `world` under the shop's policy for `weeks` weeks; return (policy, lines frame or None)."""
    policy = ShopPolicy(world)
    frames = []
    for _ in range(weeks):
        result = world.step(policy.prices())
        policy.observe(result.units)
        if collect:
            frames.append(result.lines)
    return policy, (pd.concat(frames, ignore_index=True) if collect else None)


def truth_table(world: RetailWorld, current: np.ndarray, log_lines: pd.DataFrame | None = None) -> pd.DataFrame:
    """The per-product truth at the `current` prices (see the module docstring)."""
    at = world.expected(current)
    rule = world.optimal_prices(current, *RULE_RANGE, points=401)
    wide = world.optimal_prices(current)
    products = world.products
    out = pd.DataFrame({
        "stockcode": products["stockcode"], "description": products["description"],
        "category": products["category"], "form": products["form"], "nest": products["nest"],
        "launch_week": products["launch_week"], "competitor_matched": products["competitor_matched"],
        "current_price": current, "expected_units": at["units"], "expected_revenue": at["revenue"],
        "shop_revenue": at["shop_revenue"],
        "elasticity": world.elasticity(current),
        "best_price": rule, "best_revenue": _revenue_at(world, rule, current),
        "best_price_wide": wide, "best_revenue_wide": _revenue_at(world, wide, current),
    })
    if log_lines is not None:
        sale = log_lines[~log_lines["InvoiceNo"].astype(str).str.startswith("C")]
        counts = sale["StockCode"].value_counts()
        out["lines"] = out["stockcode"].map(counts).fillna(0).astype(np.int64)
    return out


def _revenue_at(world: RetailWorld, prices: np.ndarray, base: np.ndarray) -> np.ndarray:
    """The shop's revenue (own + nest siblings') with each product at `prices`, the others at `base`."""
    return world.curve(prices[:, None], base)["shop_revenue"][:, 0]


def truth_curves(world: RetailWorld, current: np.ndarray, points: int = CURVE_POINTS) -> pd.DataFrame:
    mult = np.exp(np.linspace(np.log(0.5), np.log(2.0), points))
    grid = current[:, None] * mult[None, :]
    c = world.curve(grid, current)
    return pd.DataFrame({
        "stockcode": np.repeat(world.products["stockcode"].to_numpy(), points),
        "price_multiplier": np.tile(np.round(mult, 6), world.n),
        "price": grid.ravel().round(6), "units": c["units"].ravel().round(6), "revenue": c["revenue"].ravel().round(6),
        "shop_revenue": c["shop_revenue"].ravel().round(6),
    })


def write(variant: str, lines: int, seed: int, out: Path, n_products: int | None = None) -> dict:
    """Generate one log and its truth into `out`; return the world.json contents."""
    t0 = time.time()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    world = RetailWorld(variant=variant, seed=seed, n_products=n_products, lines_per_year=lines)
    policy, log = simulate(world)
    current = policy.regular.copy()
    csv = log.copy()
    csv["InvoiceDate"] = pd.to_datetime(csv["InvoiceDate"]).dt.strftime("%m/%d/%Y %H:%M")
    csv["UnitPrice"] = csv["UnitPrice"].map(lambda v: f"{v:.2f}")
    csv["CustomerID"] = csv["CustomerID"].map(lambda v: "" if pd.isna(v) else f"{v:.1f}")
    csv.to_csv(out / "transactions.csv", index=False)
    truth = truth_table(world, current, log)
    truth["price_revisions"] = policy.revisions
    truth.to_csv(out / "truth_products.csv", index=False, float_format="%.10g")
    truth_curves(world, current).to_csv(out / "truth_curves.csv", index=False)
    meta = {
        "format_version": FORMAT_VERSION, "generator": "retail_worlds", "variant": variant, "seed": seed,
        "n_products": world.n, "lines_per_year": lines, "weeks": calendar.YEAR_WEEKS,
        "first_week": str(calendar.week_start(0).date()), "lines_written": int(len(log)),
        "rule_range": list(RULE_RANGE), "seconds": round(time.time() - t0, 1),
        "truth_definition": "expected per week in an average week of the log's year, over the demand shocks; "
                            "current_price = the regular posted price at the end of the log",
    }
    (out / "world.json").write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def load_world(folder: Path) -> RetailWorld:
    """The world behind a generated folder, at the start of its log (week 0): its truth is exact at any price.

    To continue after the log (a closed loop), use `replay(folder)`.
    """
    meta = json.loads((Path(folder) / "world.json").read_text())
    return RetailWorld(variant=meta["variant"], seed=meta["seed"], n_products=meta["n_products"],
                       lines_per_year=meta["lines_per_year"])


def replay(folder: Path) -> tuple[RetailWorld, ShopPolicy]:
    """The world and the shop's policy just after the generated year (the state the log ends in)."""
    world = load_world(folder)
    meta = json.loads((Path(folder) / "world.json").read_text())
    policy, _ = simulate(world, meta["weeks"], collect=False)
    return world, policy
