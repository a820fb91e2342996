"""The price response's settings (`ResponseConfig`): the nuisances' boosting, the draws, the prior across products,
and every measured switch with its default. Each switch's comment says what it does and where its measurement is
(docs/price-response.md); a switch left off was measured and not adopted. price_response.py re-exports it."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class ResponseConfig:
    """Settings of price_response.fit (defaults are the committed method; `LEGACY_DEFAULTS` are the ones versions
    trained before 2026-12-07 used)."""
    folds: int = 5
    trees: int = 300
    learning_rate: float = 0.05
    leaves: int = 31
    min_child: int = 40
    draws: int = 64
    category_strength: float = 3.0  # κ: a category mean counts as κ products' worth of prior toward the global mean
    weak_prior_sd: float = 5.0  # keeps a product without price variation solvable; negligible otherwise
    # Components of the prior's scale mixture (shrinkage.py): 1 is the normal prior. A 3-component mixture was
    # measured on the development seeds and did not improve coverage or error (docs/price-response.md).
    prior_components: int = 1
    # Shrink the sum of the parts' estimates under one prior instead of each part under its own (posterior):
    # narrower intervals, which were overconfident on the exponential and isoelastic twins (docs/price-response.md).
    pool_parts: bool = False
    # The supported range ends where the posterior sd of ln(demand(p) / demand(p0)) exceeds this (evidence_support).
    max_curve_sd: float = 0.35
    # The units-per-order part reads each line's own invoice discount (codes) as well as the week's posted price.
    line_discounts: bool = True
    # The orders part also learns from list-price revisions, before against after (revisions.py).
    revisions: bool = True
    # The size part's own standard errors are checked on the data itself: fit on alternate blocks of weeks, the
    # two halves' estimates must differ by what their standard errors say (calibrate_information); widened if not.
    split_calibration: bool = True
    # The orders part's prior is learned with its errors checked the same way (posterior): its quasi-Poisson errors
    # are too large (halves agree 5-8x better in variance than they say), which made the learned spread between
    # products far too narrow and the posterior overconfident at the tails. Each product keeps its stated errors.
    prior_split_check: bool = True
    # Treat the split check's factor as an upper bound only (off by default: measured, not adopted). A product's
    # two halves share part of their error (persistent confounding, the nuisances' error), which their agreement
    # reads as signal, so the factor (5-9 on the shop scenarios) leaves the learned spread of the orders b far too
    # wide (sd 1.5 against about 0.4 true, development seed 11) and each posterior's centre follows its own noise.
    # With the check on, the scale is the one in [1, factor] whose weekly-fit posterior best predicts the
    # revisions' own estimates (revisions_prior_scale): on the development seeds it chose 1.0 on shop-invoice (the
    # spread near the truth) but the narrower posterior then missed the heterogeneity of the elasticity at p0 that
    # b's spread does not carry (curvature, position): 80% coverage 68.7% on shop-invoice and 73.7% on
    # shop-weekly, harm up to 10% on a seed, P(gain) no better (docs/price-response.md, "Why P(gain) over-promises").
    revision_check: bool = False
    # At most this between-product sd of the curvature c in each part's prior (None: as learned). Off by default:
    # on the development seeds 11-12 a cap of 1.0 took shop-weekly's bias from -0.29 to -0.07 but raised its harm
    # (seed 11: 5.3 -> 6.0%), lowered its 80% coverage (78.0 -> 73.7%) and made P(gain) less reliable (0.69
    # promised: 53 -> 46% realized); shop-invoice unchanged (docs/price-response.md, "Why P(gain) over-promises").
    # Where a product's prices barely move, its own c says almost nothing, and a wide learned spread of c (the
    # size part's reached 4.3-6.4 on the unseen retail worlds, whose true c has an sd near 0.5) leaves each
    # posterior of c wide; conditioned on c <= 0 its mean goes far below 0 (-4.7 against -0.67 true) and pulls b
    # with it (their errors are correlated when the prices lie on one side of the reference), so the elasticities
    # come out far too negative. Capped at 1.0 on the weekly world, seed 1 (own estimates cached, decided as the
    # service decides): median elasticity -2.25 -> -1.55 (true -1.12), 80% coverage 81.5 -> 85.7%, harm 5.9 ->
    # 5.0%, capture 16.9 -> 13.9%; invoice world -1.59 -> -1.14 (true -1.10), harm 4.9 -> 4.8%, capture 21.9 ->
    # 19.4% (docs/price-response.md).
    max_curvature_spread: float | None = None
    # The correlation of a product's deviations from its category between the two parts' priors (orders, size),
    # 0 = independent parts (the default). In the scenarios' truth a product's orders and size responses move together
    # across products (correlation 0.80-0.87 at development seed 11), so the total elasticity varies more between
    # products than two independent priors allow (sd 0.77 against 0.57 from the parts' own spreads); the size part's
    # own estimates are nearly pure noise, so the data cannot identify the correlation: a value here is an
    # assumption, not learned (measured, not adopted: docs/price-response.md, "Why P(gain) over-promises").
    part_correlation: float = 0.0
    # The orders prior's spread of c multiplied by what best predicts the revisions' own estimates
    # (revisions_curvature_ratio; measured, not adopted: docs/price-response.md, "Why P(gain) over-promises").
    revision_curvature_check: bool = False
    # Heavy-tailed errors for each part's prior (shrinkage.fit's error_scales): a product's error covariance is its
    # stated one times one of these (weights learned), so estimates far off their category by more than their
    # errors say are read as error, not as spread. None: normal errors (measured, not adopted: docs/price-response.md).
    error_scales: tuple[float, ...] | None = None
    # The posterior's width checked on the revisions (prior_checks.revisions_extra_spread): the sd of b added to
    # every product's posterior under which the orders part's posterior from the weekly fit alone best predicts the
    # revisions' own estimates. `extra_spread` adds a fixed sd instead (a measurement knob, for the frontier). Off: the
    # check finds the orders part about as wide as its held-out evidence says (0-0.3), not the total's missing spread.
    revision_width_check: bool = False
    # Also read the line sizes around each list-price revision (revisions.size_estimates; OwnEstimates.revisions_raw_s,
    # revisions_info_s): held-out evidence on the size part, for measurement only (the posterior does not use it: on
    # shop-invoice its noise is about twelve times the signal per product; docs/price-response.md).
    size_revisions: bool = False
    extra_spread: float = 0.0
    # Some of the shop's prices are already right (priced_right.py): each product's posterior is a mixture of its
    # posterior as learned and the same conditioned on an elasticity of -1 at its current price (the revenue
    # optimum), the share of such products and their spread learned from the data (EM over the products' Bayes
    # factors). Off: on the shop scenarios a fixed share of 0.5 makes P(gain) hold (all moves 0.49-0.52 promised, 46-58%
    # realized, development seeds) but halves capture, and learned, the share follows the prior's width, not the data
    # (0.30-0.98 against a true 0.5): a product's own data cannot tell a right price from a wrong one
    # (docs/price-response.md, "Making P(gain) hold").
    priced_right: bool = False
    # g(Δ) = b Δ + c Δ² + d φ(Δ) (curve_family; draws [P, S, 3]; not with pool_parts, priced_right, part_correlation).
    # Off: measured on the development seeds, not adopted (docs/price-response.md, "A third shape term").
    third_term: bool = False
    third_term_by_product: bool = True  # False: d's between-product spread held at 0, one d per category (worse)
    # The orders part also reads the codes within a week (within_week_orders.py). On since 2026-12-07 together with the
    # floored truncated curvature population below (docs/price-response.md, "A candidate default", now the default):
    # alone it raised harm on the unseen family by dragging the elasticities further too negative.
    within_week_orders: bool = True
    # The sum's curvature population relearned truncated to c <= 0, as its posterior is (curvature_prior.py). On (with
    # the "floor" spread and the within-week codes): it removes the too-elastic drift (development seeds: median bias
    # -0.11 -> +0.03). Alone, with the "mle" spread, it collapsed onto c = 0 on shop-weekly 11 (harm 5.3 -> 9.3%)
    # (docs/price-response.md, "The curvature population on c <= 0" and "Keeping the population off the boundary").
    truncated_curvature: bool = True
    truncated_curvature_slope: bool = False  # ... and b's regression on c relearned with it
    # ... and how its sd of c is chosen (curvature_prior.fit_spread): "mle" (the maximum, may collapse onto c = 0),
    # "floor" (no smaller than the data's detection floor), "integrated" (the posterior mean of s over the data's
    # range, flat in log s), "supported" (the floor lowered until a likelihood-ratio test accepts it) or "plausible"
    # (the floor capped at the curvature linear demand has at the population's slope). "plausible" since 2026-12-08:
    # on small logs the detection floor is far wider than any demand form's curvature and dragged the elasticities
    # too negative (docs/price-response.md, "A floor the data support, and a plausible one"); "floor" from
    # 2026-12-07 ("Keeping the population off the boundary"). Read only with truncated_curvature.
    truncated_curvature_spread: str = "plausible"
    # The orders part's offset and price residual: "committed" (the nuisances above), or from exogenous controls only,
    # "exogenous", or those and the product's own de-priced demand shock, "shock", or the committed ones less some of
    # the price controls (exogenous_nuisance.VARIANTS: prototypes and diagnoses; measured, not adopted: harm 5-70% on
    # the markup scenarios, docs/price-response.md, "An orders nuisance with exogenous controls only").
    orders_nuisance: str = "committed"
    seed: int = 42

    def __post_init__(self) -> None:
        # Settings that cannot work together are refused here, before hours of cross-fitting, not at the step that
        # would use them.
        from .curvature_prior import SPREAD_MODES  # here too: its scipy import must not run at config import
        from .exogenous_nuisance import VARIANTS  # here: that module's imports must not run at config import

        if self.orders_nuisance != "committed" and self.orders_nuisance not in VARIANTS:
            raise ValueError(f"orders_nuisance must be 'committed' or one of {VARIANTS}, got {self.orders_nuisance!r}")
        if self.truncated_curvature_spread not in SPREAD_MODES:
            *first, last = (repr(m) for m in SPREAD_MODES)
            raise ValueError(f"truncated_curvature_spread must be {', '.join(first)} or {last}, got "
                             f"{self.truncated_curvature_spread!r}")
        if self.truncated_curvature_slope and not self.truncated_curvature:
            raise ValueError("truncated_curvature_slope needs truncated_curvature")
        if self.truncated_curvature and (self.part_correlation or self.priced_right or self.third_term
                                         or self.prior_components != 1
                                         or (self.error_scales is not None and len(self.error_scales) > 1)):
            raise ValueError("truncated_curvature (on by default) needs independent normal priors for the parts: no "
                             "part_correlation, priced_right or third_term, prior_components = 1, no error_scales; "
                             "set truncated_curvature=False to use them")
        if self.extra_spread < 0.0:
            raise ValueError(f"extra_spread must be >= 0, got {self.extra_spread}")


# The settings that were defaults before the within-week codes and the truncated curvature population were adopted
# (2026-12-07): a version whose manifest does not name its settings was trained with these (weekly_update).
LEGACY_DEFAULTS = {"within_week_orders": False, "truncated_curvature": False, "truncated_curvature_spread": "mle"}


def legacy(**changes) -> ResponseConfig:
    """The method before 2026-12-07 (LEGACY_DEFAULTS) with `changes`: what a version without `response_config` in its
    manifest was trained with, and the base the studies documented before then measured against."""
    return ResponseConfig(**(LEGACY_DEFAULTS | changes))


def setting_value(text: str):
    """A command-line setting's value: a Python literal (True, 0.5, (11, 12)) or else a bare word (a string)."""
    import ast

    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def settings_of(cls, settings: list[str], what: str, **base):
    """The dataclass `cls(**base)` with `settings` ("field=value", the value as `setting_value` reads it) applied, for
    the command line; raises ValueError naming an unknown field (as a `what` setting) or a malformed setting."""
    fields = {f.name for f in dataclasses.fields(cls)}
    changes = dict(base)
    for setting in settings:
        name, sep, text = setting.partition("=")
        if not sep or not name:
            raise ValueError(f"{setting!r} is not FIELD=VALUE")
        if name not in fields:
            raise ValueError(f"{name!r} is not a {what} setting (one of {', '.join(sorted(fields))})")
        changes[name] = setting_value(text)
    return cls(**changes)


def with_settings(settings: list[str], **base) -> ResponseConfig:
    """ResponseConfig(**base) with `settings` applied (settings_of)."""
    return settings_of(ResponseConfig, settings, "price-response", **base)
