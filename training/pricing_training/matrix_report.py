"""The evaluation's report.md, written from its report.json document alone (evaluate.evaluate_matrix's `doc`).

Every figure is written as its value over all seeds' products together, followed, when there are several
seeds, by its range over the seeds in brackets (each seed's own figure, from `spread`): "4.1% (3.2–5.0)".
The reliability table is pooled over the seeds (each bin holds every seed's moves).
"""

from __future__ import annotations

import math

from .formatting import pct

FRONTIER_SHOWN = ("q0", "q0.5", "q0.7", "q0.9", "q0.95", "q0.99", "alpha0.02", "alpha0.05", "alpha0.2")


def _at(tree, path: tuple):
    """The value at `path` (keys and list indices) in a nested document, None when any step is missing."""
    for key in path:
        if isinstance(tree, dict):
            tree = tree.get(key)
        elif isinstance(tree, list) and isinstance(key, int) and 0 <= key < len(tree):
            tree = tree[key]
        else:
            return None
    return tree


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


class Figures:
    """One scenario's figures: `pct(...)` and `num(...)` write the figure at a path of its summary with its
    range over the seeds."""

    def __init__(self, result: dict):
        self.summary, self.spread = result["summary"], result.get("spread") or {}

    def value(self, *path):
        """The figure over all seeds (None when the summary has none there)."""
        return _at(self.summary, path)

    def _range(self, path: tuple, write) -> str:
        s = _at(self.spread, path)
        if not isinstance(s, dict) or s.get("seeds", 0) < 2:
            return ""
        return f" ({write(s['min'])}–{write(s['max'])})"

    def pct(self, *path) -> str:
        """The figure as a percentage, with its range over the seeds in points."""
        return pct(self.value(*path)) + self._range(path, lambda v: f"{100.0 * v:.1f}")

    def num(self, *path, fmt: str = ".2f") -> str:
        """The figure as a number in `fmt`, with its range over the seeds."""
        v = self.value(*path)
        return (format(v, fmt) if _finite(v) else "–") + self._range(path, lambda x: format(x, fmt))


def _seeds_passing(doc: dict, key: str, name: str, check: str | None = None) -> str:
    """How many seeds pass `check` (every check when None) on their own, from doc[key] (the checks per seed), as
    " (k/n)"; empty for one seed."""
    per_seed = doc.get(key) or {}
    if len(per_seed) < 2:
        return ""
    results = [c.get(name, {}) for c in per_seed.values()]
    passed = sum(all(r.values()) if check is None else bool(r.get(check, True)) for r in results)
    return f" ({passed}/{len(per_seed)})"


def markdown(doc: dict) -> str:
    """The whole report."""
    seeds = doc["seeds"]
    baseline = doc.get("baseline_seeds", seeds)
    spread_note = (f" Each figure is over all {len(seeds)} seeds' products together; in brackets, its range over the seeds "
                   "(each seed's own figure)." if len(seeds) > 1 else "")
    baseline_note = (" The line-level baseline (today's network and ElasticNet) ran on seed"
                     f"{'s' if len(baseline) > 1 else ''} {', '.join(map(str, baseline))} only, to keep the run within its "
                     "time budget." if baseline and baseline != seeds else
                     (" The line-level baseline was not run." if not baseline else ""))
    lines = ["# Pricing evaluation", "",
             f"Seeds {seeds} (report seeds: never used for tuning).{spread_note}{baseline_note} Regret = 1 − true revenue at "
             "the decided price / true revenue at the best price within [current/2, 2×current]. Gain capture = (R(decided) − "
             "R(current)) / (R(best) − R(current)), median over mispriced products (best earns ≥ 2% more). Harm = decided "
             "price earns over 1% less than the current one. Coverage = share of products whose true best price (within the "
             "searched range) lies in the 10–90% best-price interval. Baselines in the same run on the same data.", "",
             "| scenario | products | median regret | p90 | weighted | gain capture | harm | changed | elasticity err | coverage "
             "| keep current (median / p90) | today's network | today's ElasticNet | oracle in range |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in doc["scenarios"].items():
        f = Figures(r)
        lines.append(f"| {name} | {f.value('causal', 'products')} | {f.pct('causal', 'median_regret')} "
                     f"| {f.pct('causal', 'p90_regret')} | {f.pct('causal', 'weighted_regret')} | {f.pct('causal', 'gain_capture')} "
                     f"| {f.pct('causal', 'harm_rate')} | {f.pct('causal', 'changed')} | {f.num('causal', 'elasticity_error')} "
                     f"| {f.pct('causal', 'coverage')} | {f.pct('keep_current', 'median_regret')} / {f.pct('keep_current', 'p90_regret')} "
                     f"| {f.pct('network_today', 'median_regret')} / {f.pct('network_today', 'p90_regret')} "
                     f"| {f.pct('elasticnet_today', 'median_regret')} / {f.pct('elasticnet_today', 'p90_regret')} "
                     f"| {f.pct('oracle_in_search_range', 'median_regret')} |")
    bar = doc["bar"]
    several = len(seeds) > 1
    lines += ["", "## Against the bar", ""]
    lines += ["On the figures over all seeds; in brackets, how many seeds pass on their own.", ""] if several else []
    lines += ["| scenario | " + " | ".join(bar) + " |", "|---|" + "---|" * len(bar)]
    for name, c in doc["checks"].items():
        lines.append(f"| {name} | " + " | ".join(("pass" if c.get(k, True) else "**fail**")
                                                 + (_seeds_passing(doc, "seed_checks", name, k) if k in c else "")
                                                 for k in bar) + " |")
    lines += identification_markdown(doc)
    lines += oracle_markdown(doc)
    lines += calibration_markdown(doc)
    lines += frontier_markdown(doc)
    lines += ["", "![true vs predicted revenue curves](curves.png)", ""]
    t = doc.get("seconds")
    if t:
        lines += [f"Run time: {t['data_sets']} data sets in {t['wall'] / 60:.1f} min ({t['cpu'] / 60:.1f} min of CPU), of which "
                  f"the line-level baseline {t['baseline_wall'] / 60:.1f} min ({t['baseline_cpu'] / 60:.1f} min of CPU).", ""]
    return "\n".join(lines) + "\n"


def identification_markdown(doc: dict) -> list[str]:
    """What the data can say about each product's elasticity, next to how much products differ."""
    out = ["", "## What the data can identify", "",
           "Elasticity at the current price. Bias: median of estimate − truth. Posterior sd: the service's 80% interval "
           "width / 2.563. Own SE: median standard error of the product's own estimate before shrinkage. True spread: the "
           "standard deviation of the true elasticities across products. Signal share = spread² / (spread² + own SE²): "
           "when it is small, each product's own data barely tells it from its category, and no honest estimator can "
           "say which product is mispriced and by how much (a 70% gain capture needs an elasticity error near 0.1).", "",
           "Oracle SE: the standard error of the elasticity the information oracle (next section) reaches on the same "
           "data; information used = (oracle SE / own SE)², median over products: the share of the data's information "
           "about the product's own price response that the method's own estimate keeps.", "",
           "| scenario | median abs error | bias | posterior sd | own SE | true spread | signal share | oracle SE "
           "| information used |", "|---|---|---|---|---|---|---|---|---|"]
    for name, r in doc["scenarios"].items():
        f = Figures(r)
        oracle = (f"{f.num('causal', 'oracle_elasticity_se')} | {f.pct('causal', 'information_used')}"
                  if f.value("causal", "information_used") is not None else "– | –")
        out.append(f"| {name} | {f.num('causal', 'elasticity_error')} | {f.num('causal', 'elasticity_bias', fmt='+.2f')} "
                   f"| {f.num('causal', 'posterior_sd')} | {f.num('causal', 'own_se')} | {f.num('causal', 'true_spread')} "
                   f"| {f.pct('causal', 'signal_share')} | {oracle} |")
    return out


def oracle_markdown(doc: dict) -> list[str]:
    """The information oracle's section: what the best possible method could reach on each scenario's data, and
    how many times the data it would need to meet the decision bar."""
    if not any("information_oracle" in r["summary"] for r in doc["scenarios"].values()):
        return []
    multiples = [f"{k}x" for k in doc["oracle"]["multiples"]]
    out = ["", "## What any method could reach: the information oracle", "",
           "The oracle knows each product's demand form, segments, size noise and every week's demand factor (so no "
           "confounding fools it and every price movement is evidence), and the generator's prior over how far current "
           "prices sit from the optimum. It does not know the product's volume, nor where its curve sits on the price axis "
           "(θ = ln of the form's price scale), which it estimates as precisely as any unbiased estimator can (θ̂ ~ N(θ, 1/I), "
           "I the Fisher information of the product's year, latent line sizes included). It then picks the price of highest "
           "posterior expected revenue, either freely (Bayes) or among prices that beat the current one with posterior "
           "probability q (q = 0.50 to 0.98 in steps of 0.02). The table shows the Bayes rule and, among the rules whose harm "
           "rate is within the bar, one that meets the whole decision bar if any does, else the one with the highest gain "
           f"capture. Its figures are a floor for any method on the same data, not a target; {doc['oracle']['replicates']} "
           "draws of θ̂ per product. Multiples: the same price paths with k times the lines (k times the information). Where "
           "the oracle cannot meet the bar at 1×, no method can be expected to meet it on that data: the bar then asks for "
           "more information than the data holds." + (" With several seeds, each seed picks its own rule; the brackets "
           "give the range of those rules' figures, and “meets the bar” counts the seeds whose rule meets it."
           if len(doc["seeds"]) > 1 else ""), "",
           "| scenario | θ SE at 1× | Bayes at 1×: median / p90 / harm / capture | rule with harm ≤ 5% at 1×: q, median / p90 / capture "
           "| meets the bar at " + " | ".join(multiples) + " |",
           "|---|---|---|---|" + "---|" * len(multiples)]
    for name, r in doc["scenarios"].items():
        o = r["summary"].get("information_oracle")
        if o is None:
            continue
        f = Figures(r)
        bayes = ("information_oracle", "rules", "1x_q0")
        best = ("information_oracle", "best_within_harm_bar", "1x")
        per_seed = r.get("per_seed") or {}

        def meets(m: str) -> str:
            pooled = "yes" if o["best_within_harm_bar"][m]["meets_bar"] else "no"
            if len(per_seed) < 2:
                return pooled
            count = sum(bool(_at(s, ("information_oracle", "best_within_harm_bar", m, "meets_bar"))) for s in per_seed.values())
            return f"{pooled} ({count}/{len(per_seed)})"

        out.append(f"| {name} | {f.num('information_oracle', 'theta_se_median')} | {f.pct(*bayes, 'median_regret')} / "
                   f"{f.pct(*bayes, 'p90_regret')} / {f.pct(*bayes, 'harm_rate')} / {f.pct(*bayes, 'gain_capture')} "
                   f"| q = {f.num(*best, 'threshold', fmt='g')}: {f.pct(*best, 'median_regret')} / {f.pct(*best, 'p90_regret')} / "
                   f"{f.pct(*best, 'gain_capture')} | " + " | ".join(meets(m) for m in multiples) + " |")
    return out


def _bin_label(b: dict) -> str:
    return f"{b['lo']:g}–{b['hi']:g}"


def calibration_markdown(doc: dict) -> list[str]:
    """Calibration per scenario: interval coverage, P(gain) reliability, the honesty check on changed prices."""
    named = {n: r for n, r in doc["scenarios"].items() if "calibration" in r["summary"]}
    if not named:
        return []
    passing = " In brackets after pass/fail, how many seeds pass on their own." if len(doc.get("seed_checks") or {}) > 1 else ""
    out = ["", "## Calibration: do the posterior's statements hold?", "",
           "From the posterior draws the service uses. Elasticity coverage: share of products whose true elasticity at "
           "the current price lies in the central 50/80/95% interval of the draws' e_s = b_s + 2 c_s Δ0. Best-price "
           "coverage: the same for the true best price within the searched range and the draws' best prices (80% is the "
           "coverage column above). Changed prices: among the products whose price changes, the mean promised P(gain), the "
           "share that lose over 1% against keeping on the true curve, and what the promise allows: "
           "1.5 × (1 − mean promised P(gain)) + 2 points. Honesty bar: 80% elasticity coverage within 70–90%, the "
           f"changed prices' losses within what they allow, harm rate ≤ 5%.{passing}", "",
           "| scenario | elasticity 50 / 80 / 95% | best price 50 / 80 / 95% | changed | mean P(gain) promised | losing > 1% "
           "| allowed | honesty bar |", "|---|---|---|---|---|---|---|---|"]
    for name, r in named.items():
        f = Figures(r)
        e, b, c = ("calibration", "elasticity_coverage"), ("calibration", "best_price_coverage"), ("calibration", "changed_prices")
        check = doc.get("calibration_checks", {}).get(name, {})
        failed = [k + _seeds_passing(doc, "seed_calibration_checks", name, k) for k, ok in check.items() if not ok]
        verdict = ("pass" + _seeds_passing(doc, "seed_calibration_checks", name) if not failed
                   else "**fail**: " + ", ".join(failed))
        out.append(f"| {name} | {f.pct(*e, '50')} / {f.pct(*e, '80')} / {f.pct(*e, '95')} | {f.pct(*b, '50')} / "
                   f"{f.pct(*b, '80')} / {f.pct(*b, '95')} | {f.num(*c, 'changed', fmt='g')} | {f.pct(*c, 'mean_promised')} "
                   f"| {f.pct(*c, 'losing_share')} | {f.pct(*c, 'allowed')} | {verdict} |")
    edges = next(iter(named.values()))["summary"]["calibration"]["reliability"]
    pooled = ", pooled over the seeds" if len(doc["seeds"]) > 1 else ""
    out += ["", f"P(gain) reliability{pooled}. Every product whose best price p* is not its current price, "
            "binned by the P(gain) the service reports (at the decided price when it changes, at p* when it keeps), against "
            "the share of those moves that gain on the true curve: promised → realized (products). Calibrated: realized ≈ "
            "promised.", "", "| scenario | " + " | ".join(_bin_label(b) for b in edges) + " |", "|---|" + "---|" * len(edges)]
    for name, r in named.items():
        cells = [f"{b['promised']:.2f} → {b['realized']:.2f} ({b['count']})" if b["count"] else "–"
                 for b in r["summary"]["calibration"]["reliability"]]
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    out += ["", "![P(gain) reliability and interval coverage](calibration.png)"]
    return out


def frontier_markdown(doc: dict) -> list[str]:
    """The decision rule on its measured frontier, next to the information oracle's."""
    named = {n: r for n, r in doc["scenarios"].items() if "frontier" in r["summary"]}
    if not named:
        return []

    def point(f: Figures, path: tuple, rule: bool = False) -> str:
        p = f.value(*path)
        if p is None:
            return "none"
        head = f"{p['rule']}: " if rule else ""
        return f"{head}{f.pct(*path, 'harm_rate')} / {f.pct(*path, 'aggregate_capture')} / {f.pct(*path, 'median_capture')}"

    default_rule = next(iter(named.values()))["summary"]["frontier"]["default_rule"]
    out = ["", "## The decision frontier: harm against capture", "",
           "The same posterior draws decided under each rule: the service's (change to the price of highest expected gain "
           "among those with P(gain) ≥ q, expected gain ≥ 0.5% and a move beyond 0.5%; q = 0 keeps only those two "
           "conditions) over q, and “maximise E[gain] subject to P(loss > 1%) ≤ α” over α. Each point: harm rate / "
           "aggregate capture (Σ realized gain / Σ possible gain over mispriced products) / median capture"
           + (", over all seeds' products" if len(doc["seeds"]) > 1 else "") + ". The information oracle's rules at 1× (its q = 0 is the Bayes decision; see the section above) are "
           "scored the same way, and so is the realistic oracle's (it knows the demand form but not each week's demand "
           "level, and uses only the price variation a method could). The best rule within the harm bar is read off this run: choose a rule on development "
           "seeds, not on these.", "",
           f"| scenario | default ({default_rule}) | method: best with harm ≤ 5% "
           "| oracle Bayes (q0) | oracle: best with harm ≤ 5% | realistic oracle: best with harm ≤ 5% |",
           "|---|---|---|---|---|---|"]
    for name, r in named.items():
        f = Figures(r)
        fr = r["summary"]["frontier"]
        has_oracle = fr.get("oracle") is not None
        out.append(f"| {name} | {point(f, ('frontier', 'method', fr['default_rule']))} "
                   f"| {point(f, ('frontier', 'method_best_within_harm_bar'), True)} "
                   f"| {point(f, ('frontier', 'oracle', 'q0')) if has_oracle else '–'} "
                   f"| {point(f, ('frontier', 'oracle_best_within_harm_bar'), True) if has_oracle else '–'} "
                   f"| {point(f, ('frontier', 'realistic_oracle_best_within_harm_bar'), True) if fr.get('realistic_oracle') else '–'} |")
    out += ["", "Frontier points of the method (harm / aggregate capture); every rule is in report.json.", "",
            "| scenario | " + " | ".join(FRONTIER_SHOWN) + " |", "|---|" + "---|" * len(FRONTIER_SHOWN)]
    for name, r in named.items():
        f = Figures(r)
        m = r["summary"]["frontier"]["method"]
        out.append(f"| {name} | " + " | ".join(
            f"{f.pct('frontier', 'method', k, 'harm_rate')} / {f.pct('frontier', 'method', k, 'aggregate_capture')}"
            if k in m else "–" for k in FRONTIER_SHOWN) + " |")
    out += ["", "![harm rate against aggregate capture, method and oracle](frontier.png)"]
    return out
