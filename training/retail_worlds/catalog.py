"""The shop's catalogue and customers, drawn once from a seed.

Products belong to categories (the last word of the description, as in real gift-shop logs), have a pack
size, a price scale, a popularity with a long tail (a few products sell thousands of lines a year, many a
few dozen), a demand form with its parameters (demand.py) and, for some, a launch week during the year.
Colour variants of one design (85123A, 85123B, ...) form a nest whose members take sales from each other.
Customers belong to a segment (retail, trade on a negotiated tier, wholesale), a country, an activity
level and an order-size multiplier (normalized to mean 1 within each class, weighted by activity).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .classes import PriceClass

# Category noun -> (median price scale in GBP, Christmas peak strength, summer bump strength).
CATEGORIES = {
    "HOLDER": (2.6, 0.9, 0.0), "BAG": (1.9, 0.5, 0.2), "MUG": (1.6, 0.6, 0.0), "CANDLE": (1.2, 1.6, 0.0),
    "SIGN": (2.9, 0.5, 0.0), "BOX": (1.4, 0.9, 0.0), "CARD": (0.45, 2.2, 0.0), "LANTERN": (4.9, 1.2, 0.3),
    "ORNAMENT": (0.85, 2.8, 0.0), "TIN": (2.1, 0.9, 0.0), "CUSHION": (3.9, 0.4, 0.0), "FRAME": (2.5, 0.5, 0.0),
    "CLOCK": (7.5, 0.7, 0.0), "PLATE": (1.7, 0.5, 0.1), "BOTTLE": (4.2, 0.8, 0.0), "UMBRELLA": (5.9, 0.1, 0.6),
    "NAPKINS": (0.85, 0.7, 0.4), "WRAP": (0.42, 2.0, 0.0), "STICKERS": (0.65, 0.7, 0.1), "PURSE": (2.3, 0.6, 0.1),
    "BUNTING": (3.0, 0.3, 0.8), "DOORSTOP": (4.4, 0.3, 0.0), "TEAPOT": (6.5, 0.6, 0.0), "SPOON": (1.1, 0.3, 0.1),
    "GLOVES": (2.9, 1.4, 0.0), "PARASOL": (3.0, 0.0, 0.9), "GARLAND": (1.6, 1.5, 0.2), "JAR": (1.3, 0.4, 0.2),
}
ADJECTIVES = ["VINTAGE", "RETRO", "HEART", "STAR", "REGENCY", "PAISLEY", "SPOTTY", "FLORAL", "BIRD", "DOILY",
              "WOODLAND", "ANTIQUE", "GINGHAM", "POLKADOT", "SCANDI", "ENAMEL", "GLASS", "WOODEN", "LACE",
              "PARTY", "KITCHEN", "GARDEN", "BAROQUE", "FAIRY", "SWEETHEART", "ROSE", "OWL", "DOG", "CAT"]
COLOURS = ["RED", "PINK", "BLUE", "GREEN", "IVORY", "BLACK", "WHITE", "CREAM", "YELLOW", "PURPLE"]
PACKS = np.array([1, 2, 3, 4, 6, 12, 24])
PACK_P = np.array([0.42, 0.10, 0.06, 0.12, 0.13, 0.14, 0.03])
COUNTRIES = ["United Kingdom", "Germany", "France", "EIRE", "Spain", "Netherlands", "Belgium", "Switzerland",
             "Portugal", "Norway", "Italy", "Australia", "Sweden", "Denmark"]
COUNTRY_P = np.array([0.86, 0.03, 0.025, 0.02, 0.01, 0.01, 0.008, 0.007, 0.006, 0.005, 0.005, 0.004, 0.004, 0.006])

FORMS = ("mixed_logit", "kinked_reference", "loglog_choke", "nested_logit")
FORM_P = np.array([0.36, 0.25, 0.25, 0.14])


@dataclasses.dataclass
class Catalog:
    """Everything about products and customers that does not change week to week."""

    products: pd.DataFrame       # one row per product (index 0..N-1), columns below
    params: dict[str, np.ndarray]  # demand-form parameters, arrays of length N (some [N, 3])
    nests: np.ndarray            # nest id per product (-1: not in a nest)
    customers: pd.DataFrame      # one row per registered customer
    classes: list[PriceClass]
    class_customers: list[np.ndarray]  # per class: indices into `customers` who place its invoices
    class_activity: list[np.ndarray]   # per class: their relative activity (sums to 1)


def _stockcodes(rng: np.random.Generator, nest_sizes: list[int]) -> list[str]:
    """Five-digit codes; members of a nest share the digits and take letter suffixes A, B, C..."""
    bases = rng.choice(np.arange(10000, 99999), size=len(nest_sizes), replace=False)
    codes = []
    for base, size in zip(bases, nest_sizes):
        if size == 1:
            codes.append(f"{base}" if rng.random() < 0.75 else f"{base}{'ABCDEFGL'[rng.integers(8)]}")
        else:
            codes.extend(f"{base}{'ABCDEFGH'[j]}" for j in range(size))
    return codes


def build(rng: np.random.Generator, n_products: int, classes: list[PriceClass]) -> Catalog:
    """Draw a catalogue of about `n_products` products and the customers of every class."""
    if n_products < 10:
        raise ValueError(f"n_products must be at least 10, got {n_products}")
    # Designs: a nested design is 2-4 colour variants of one product; other forms stand alone.
    forms, nest_sizes = [], []
    while sum(nest_sizes) < n_products:
        f = int(rng.choice(len(FORMS), p=FORM_P))
        size = int(rng.integers(2, 5)) if FORMS[f] == "nested_logit" else 1
        size = min(size, n_products - sum(nest_sizes))
        if FORMS[f] == "nested_logit" and size == 1:
            f = 0
        forms.append(f)
        nest_sizes.append(size)
    n = sum(nest_sizes)
    design = np.repeat(np.arange(len(nest_sizes)), nest_sizes)
    form = np.repeat(np.array(forms), nest_sizes)
    nests = np.where(np.array([FORMS[f] == "nested_logit" for f in form]), design, -1)

    cat_names = list(CATEGORIES)
    cat_of_design = rng.integers(len(cat_names), size=len(nest_sizes))
    cat = cat_of_design[design]
    adjective = np.array(ADJECTIVES)[rng.integers(len(ADJECTIVES), size=len(nest_sizes))][design]
    colour = np.array(COLOURS)[rng.integers(len(COLOURS), size=n)]
    descriptions = []
    for i in range(n):
        noun = cat_names[cat[i]]
        if nests[i] >= 0 or rng.random() < 0.3:
            descriptions.append(f"{colour[i]} {adjective[i]} {noun}")
        else:
            descriptions.append(f"{adjective[i]} {noun}")
    descriptions = _unique(descriptions)

    scale = np.array([CATEGORIES[c][0] for c in cat_names])[cat]
    p_ref = np.exp(np.log(scale) + rng.normal(0, 0.45, size=len(nest_sizes))[design] + rng.normal(0, 0.05, n))
    p_ref = np.clip(p_ref, 0.19, 60.0)
    pack = rng.choice(PACKS, size=n, p=PACK_P)
    pack = np.where(p_ref > 6, 1, pack)  # dear items sell singly
    # Popularity: log-normal lines per year with a floor, so thin products still sell a few dozen lines.
    popularity = np.exp(rng.normal(0, 1.15, size=n)) + 0.35
    # New products: launched during the year, most before the peak (weeks 30-46).
    launch = np.zeros(n, dtype=np.int64)
    new = rng.random(len(nest_sizes)) < 0.12
    launch_design = np.where(rng.random(len(nest_sizes)) < 0.75, rng.integers(30, 47, len(nest_sizes)),
                             rng.integers(4, 30, len(nest_sizes)))
    launch = np.where(new, launch_design, 0)[design]
    matched = (rng.random(n) < 0.3)  # the shop matches a competitor's price on these
    # The demand shocks' size and persistence differ by product.
    shock_sd = rng.uniform(0.12, 0.38, n)

    products = pd.DataFrame({
        "stockcode": _stockcodes(rng, nest_sizes), "description": descriptions,
        "category": np.array(cat_names)[cat], "category_id": cat, "form": np.array(FORMS)[form],
        "form_id": form, "nest": nests, "design": design, "pack": pack, "p_ref": p_ref,
        "popularity": popularity, "launch_week": launch, "competitor_matched": matched, "shock_sd": shock_sd,
        "christmas": np.array([CATEGORIES[c][1] for c in cat_names])[cat],
        "summer": np.array([CATEGORIES[c][2] for c in cat_names])[cat],
    })
    params = _demand_params(rng, form, nests, design)
    customers, class_customers, class_activity = _customers(rng, classes)
    return Catalog(products, params, nests, customers, classes, class_customers, class_activity)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        k = seen.get(name, 0)
        seen[name] = k + 1
        out.append(name if k == 0 else f"{name.rsplit(' ', 1)[0]} SET {k + 1} {name.rsplit(' ', 1)[1]}")
    return out


def _demand_params(rng: np.random.Generator, form: np.ndarray, nests: np.ndarray, design: np.ndarray) -> dict:
    """Parameters of every form for every product (each product uses its own form's)."""
    n = len(form)
    # Mixed logit: three groups of shoppers with reservation log prices around mu0 (relative to p_ref).
    mu0 = rng.uniform(-0.1, 0.5, n)
    mu = mu0[:, None] + np.array([-0.55, 0.0, 0.6])[None, :] + rng.normal(0, 0.1, (n, 3))
    s = rng.uniform(0.12, 0.4, (n, 3))
    omega = rng.dirichlet([2.0, 2.0, 1.2], size=n)
    # Kinked reference price: gentle below the market's reference price, steep above it.
    b_lo = rng.uniform(0.15, 0.95, n)
    b_hi = rng.uniform(1.4, 4.0, n)
    kink_width = rng.uniform(0.03, 0.1, n)
    # Log-log with a choke price: constant elasticity far below the choke, steeply falling past it.
    e = rng.uniform(0.1, 0.9, n)  # below 1: revenue peaks near the choke, not at the lowest price
    kappa = rng.uniform(2.0, 5.0, n)
    x_choke = rng.uniform(0.1, 0.8, n)
    # Nested logit within a design's colour variants: own utility and the nest's outside option.
    n_designs = int(design.max()) + 1
    beta_design = rng.uniform(1.4, 3.6, n_designs)
    outside_design = rng.uniform(0.0, 1.5, n_designs)
    alpha = rng.normal(0, 0.45, n)
    return {"mu": mu, "s": s, "omega": omega, "b_lo": b_lo, "b_hi": b_hi, "kink_width": kink_width,
            "e": e, "kappa": kappa, "x_choke": x_choke, "beta": beta_design[design],
            "outside": outside_design[design], "alpha": alpha}


def _customers(rng: np.random.Generator, classes: list[PriceClass]):
    """Registered customers per segment; each class draws its invoices' customers from its segment."""
    sizes = {"retail": 3300, "trade": 900, "wholesale": 70}
    rows = []
    for segment, count in sizes.items():
        activity = np.exp(rng.normal(0, 1.0, count))
        size = np.exp(rng.normal(0, 0.45, count))
        if segment != "retail":  # bigger trade buyers are busier too (their size and activity correlate)
            activity = activity * size ** 0.8
        country = rng.choice(len(COUNTRIES), size=count, p=COUNTRY_P / COUNTRY_P.sum())
        rows.append(pd.DataFrame({"segment": segment, "activity": activity, "size": size,
                                  "country": np.array(COUNTRIES)[country]}))
    customers = pd.concat(rows, ignore_index=True)
    customers["customer_id"] = rng.choice(np.arange(12346, 18288), size=len(customers), replace=False).astype(float)
    # Trade customers sit on one tier for good: the tier is negotiated, bigger buyers get the deeper one.
    trade = np.flatnonzero(customers["segment"].to_numpy() == "trade")
    deep = trade[customers["size"].to_numpy()[trade] > np.quantile(customers["size"].to_numpy()[trade], 0.6)]
    tier = np.full(len(customers), "", dtype=object)
    tier[trade] = "trade_tier1"
    tier[deep] = "trade_tier2"
    customers["tier"] = tier
    class_customers, class_activity = [], []
    for c in classes:
        if c.segment == "trade":
            idx = np.flatnonzero(customers["tier"].to_numpy() == c.name)
        else:
            idx = np.flatnonzero(customers["segment"].to_numpy() == c.segment)
        act = customers["activity"].to_numpy()[idx]
        act = act / act.sum()
        # Order size normalized per class (activity-weighted mean 1), so the class's mean packs are exact.
        size = customers["size"].to_numpy().copy()
        size[idx] = size[idx] / float((act * size[idx]).sum()) if c.share > 0 else size[idx]
        customers["size"] = size
        class_customers.append(idx)
        class_activity.append(act)
    return customers, class_customers, class_activity
