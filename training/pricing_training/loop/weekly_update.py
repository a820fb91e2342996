"""This week's update on the retailer's own ledger: `python -m pricing_training weekly-update` (docs/weekly-update.md).

Stateless: every run starts from the training log the base version was trained on and replays, week by week, the
weeks the ledger holds after the log's last trading week, exactly as the closed loop runs them (run.run_learning): the loop
policy plans the week (seeded), the ledger's sale lines of that week give the units and the price actually
charged, the posterior is updated (learning.updated_posterior). Then the policy plans the next week, and the plan
becomes a new version (plan_version.write_plan_version), published when asked. Given the same log, ledger and
settings a rerun gives the same plan, byte for byte, and the same version name.

A past week whose plan the service recorded in the ledger's `plans` table is not recomputed: the replay follows the
served plan (served_plans.follow: its tests, arms, this week's arm, holdout and π), so it learns from the arms that
were posted and the weeks after continue the served programme. Only weeks with no plan recorded are recomputed.
The replay is then checked against the service's `assignments` (plan_assignments.py): a recomputed week whose
recorded plan is not the replay's stops the command unless `accept_other_plans`; other differences (a product's
price, arm or probability, weeks recorded by no plan) are reported.

The starting posterior is fit on the log as loop/start.py fits it, with the base version's own price-response
settings (manifest `training_config`); the catalogue is the log's panel, whose current prices are the posted list
prices (scale 1). It is cached under the log's sha256 and those settings.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .. import price_response, weekly
from ..checksum import sha256_file
from ..cleaning import clean
from ..loader import load_transactions
from ..response_config import legacy
from ..publish import verify_local
from . import charged as charged_mod, experiments, learning, plan_assignments, served_plans, start as start_mod, update
from .ledger_source import SalesLedger
from .plan import PlanConfig
from .plan_version import write_plan_version
from .policies import Loop

log = logging.getLogger(__name__)
# A week's price read off the ledger within this (log) distance of the plan's counts as the plan's (cents, rounding;
# the arms are δ apart: at most a third of it).
FOLLOWED_TOLERANCE = 0.03
TRADING_SHARE = 0.4  # a week of the log with fewer lines than this share of the median week's is partial (weekly.py)
PLAN_SUFFIX = re.compile(r"-plan-\d{4}W\d{2}-[0-9a-f]{8}$")


class WeeklyUpdateError(ValueError):
    """Inputs that cannot make this week's plan; the message names the file, URL or setting."""


@dataclasses.dataclass
class LogStart:
    """The starting posterior of a training log and the catalogue it came with."""

    start: start_mod.Start
    list_prices: np.ndarray  # [P] posted list price of each start product (the panel's current price)
    catalogue_size: int  # products in the log's panel: the share under test is of these
    first_week: dt.date  # the Monday the ledger's weeks start: after the log's last trading week (`first_ledger_week`)
    one_price: bool  # the shop posts one price per product-week (charged.one_price_shop)


@dataclasses.dataclass
class WeeklyResult:
    doc: dict
    weeks: list[dt.date]  # the Mondays replayed
    deviations: pd.DataFrame  # week_start, stockcode, arm, planned, charged: the retailer posted another price
    folder: Path | None = None
    reused: bool = False  # the version existed with this very plan
    published: object = None
    replayed: list[plan_assignments.WeekPlan] = dataclasses.field(default_factory=list)  # each week's plan, replayed
    check: plan_assignments.CrossCheck | None = None  # the replay against the ledger's `assignments`
    followed: list[served_plans.Followed] = dataclasses.field(default_factory=list)  # weeks that followed the record
    plans_read: bool = False  # the ledger has a `plans` table


def response_config(manifest: dict) -> price_response.ResponseConfig:
    """The price-response settings the base version was trained with: its manifest's `response_config` in full when
    it has one (versions trained since it was written), else the three its `training_config` sets with the defaults
    of that time (`response_config.legacy`). A setting this code does not know is refused: the starting posterior could not
    be refitted as the version was."""
    given_in_full = manifest.get("response_config")
    if given_in_full is not None:
        known = {f.name for f in dataclasses.fields(price_response.ResponseConfig)}
        unknown = sorted(set(given_in_full) - known)
        if unknown:
            raise WeeklyUpdateError(f"manifest.json: response_config: settings this weekly update does not know: "
                                    f"{', '.join(unknown)} (update the training code to the version's)")
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in given_in_full.items()}
        try:
            return price_response.ResponseConfig(**values)
        except (TypeError, ValueError) as error:
            raise WeeklyUpdateError(f"manifest.json: response_config: {error}") from error
    train = manifest.get("training_config") or {}
    given = {"trees": train.get("response_trees"), "draws": train.get("response_draws"), "seed": train.get("seed")}
    return legacy(**{k: v for k, v in given.items() if v is not None})


def check_log(log_path: Path, manifest: dict, base_name: str) -> str:
    """The log's sha256, refused unless it is the file the base version was trained on (its manifest's
    data_source.sha256)."""
    if not log_path.is_file():
        raise WeeklyUpdateError(f"{log_path}: no such training log")
    digest = sha256_file(log_path)
    trained_on = (manifest.get("data_source") or {}).get("sha256")
    if trained_on is None:
        log.warning("%s: the manifest names no data_source.sha256; cannot check that %s is its training log",
                    base_name, log_path)
    elif trained_on != digest:
        source = (manifest.get("data_source") or {}).get("path", "?")
        raise WeeklyUpdateError(f"{log_path}: sha256 {digest[:12]}… is not the log {base_name} was trained on "
                                f"({source}, sha256 {trained_on[:12]}…); give that version's training log")
    return digest


def start_cache_key(digest: str, cfg: price_response.ResponseConfig) -> dict:
    """What the starting posterior's cache is keyed by: the log and the settings of its fit. A setting off its
    default beyond the four always named (a version trained with a switch on) is in it; with none, the key is the one
    caches were written under before manifests gave the settings in full, so those caches still serve."""
    key = {"log_sha256": digest, "trees": cfg.trees, "draws": cfg.draws, "folds": cfg.folds, "seed": cfg.seed}
    default = dataclasses.asdict(price_response.ResponseConfig())
    switched = {k: v for k, v in dataclasses.asdict(cfg).items() if k not in key and v != default[k]}
    if switched:
        key["settings"] = {k: list(v) if isinstance(v, tuple) else v for k, v in sorted(switched.items())}
    return key


def log_start(log_path: Path, digest: str, cfg: price_response.ResponseConfig, cache: Path | None) -> LogStart:
    """The starting posterior fit on the log (module docstring), from `cache` when it holds this log's and
    settings' fit."""
    key = start_cache_key(digest, cfg)
    name = "start-" + hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    if cache is not None and (cache / f"{name}.json").is_file() and (cache / f"{name}.npz").is_file():
        meta = json.loads((cache / f"{name}.json").read_text())
        if meta.get("key") == key:
            try:
                return LogStart(start_mod.Start.load(cache / f"{name}.npz"), np.array(meta["list_prices"], np.float64),
                                int(meta["catalogue_size"]), dt.date.fromisoformat(meta["first_week"]),
                                bool(meta["one_price"]))
            except (KeyError, TypeError, ValueError):
                log.info("%s: written by an older version; fitting again", cache / name)
    raw = load_transactions(log_path)
    cleaned = clean(raw)[0]
    panel = weekly.build(cleaned)
    products = panel.products[["stockcode", "description", "category"]].reset_index(drop=True)
    current = panel.products["current_price"].to_numpy(np.float64)
    start = start_mod.fit_panel(cleaned, panel, products, current, cfg)
    result = LogStart(start, current[start.index], len(products), first_ledger_week(cleaned),
                      charged_mod.one_price_shop(cleaned))
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        tmp = cache / f".{name}.{os.getpid()}"
        start.save(Path(f"{tmp}.npz"))
        os.replace(f"{tmp}.npz", cache / f"{name}.npz")
        meta = {"key": key, "list_prices": result.list_prices.tolist(), "catalogue_size": result.catalogue_size,
                "first_week": result.first_week.isoformat(), "one_price": result.one_price}
        (cache / f"{name}.json").write_text(json.dumps(meta))
    return result


def first_ledger_week(cleaned: pd.DataFrame) -> dt.date:
    """The Monday after the log's last trading week: the last Monday-to-Sunday week with at least TRADING_SHARE of
    the median week's lines. A few lines spilling past it (a Sunday's last orders stamped after midnight, a partial
    week at the end of the export) do not make a week of their own: the ledger's weeks start after it."""
    day = cleaned["invoice_date"].dt.normalize()
    monday = day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    per_week = monday.value_counts().sort_index()
    trading = per_week[per_week >= TRADING_SHARE * per_week.median()]
    return (trading.index[-1] + pd.Timedelta(days=7)).date()


def weekly_sales(lines: pd.DataFrame, first_monday: pd.Timestamp, weeks: int, stockcodes: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """[T, P] units and [T, P] revenue per week and product from the ledger's sale lines (what
    ledger.Ledger.sales_between sums, added in the lines' order: the same bits from either database)."""
    units, revenue = np.zeros((weeks, len(stockcodes))), np.zeros((weeks, len(stockcodes)))
    column = pd.Series(np.arange(len(stockcodes)), index=stockcodes)
    known = lines[lines["stockcode"].isin(column.index)]
    week = ((known["invoice_date"] - first_monday).dt.days // 7).to_numpy()
    col = column[known["stockcode"]].to_numpy()
    np.add.at(units, (week, col), known["quantity"].to_numpy(np.float64))
    np.add.at(revenue, (week, col), (known["quantity"] * known["unit_price"]).to_numpy(np.float64))
    return units, revenue


def replay(ls: LogStart, ledger: SalesLedger, plan_monday: dt.date, cfg: PlanConfig, seed: int,
           follow_served: bool = True) -> WeeklyResult:
    """Every week of the ledger from the Monday after the log to `plan_monday` (excluded), as the loop runs them,
    then the plan for `plan_monday` (module docstring). A week whose served plan the ledger records follows it
    (`follow_served`; False: every week is recomputed, as before plan documents were recorded)."""
    start = ls.start
    first = pd.Timestamp(ls.first_week)
    mondays = [d.date() for d in pd.date_range(first, pd.Timestamp(plan_monday) - pd.Timedelta(days=1), freq="7D")]
    if not mondays:
        raise WeeklyUpdateError(f"--week-start {plan_monday}: not after the log's last week (the first week the "
                                f"ledger can tell is {first.date()})")
    p0_all = np.zeros(int(start.index.max()) + 1 if len(start.index) else 0)
    p0_all[start.index] = ls.list_prices
    policy = Loop(start, p0_all, ls.catalogue_size, cfg, seed)
    program = policy.program
    t_max, p = len(mondays), len(start.stockcodes)
    units, delta, level = np.zeros((t_max, p)), np.zeros((t_max, p)), np.full((t_max, p), np.nan)
    realized = np.zeros((t_max, p))
    lines = ledger.lines_between(first, pd.Timestamp(plan_monday))
    charged, line_count, highest = charged_mod.weekly_prices(lines, first, t_max, start.stockcodes, ls.one_price)
    sold = weekly_sales(lines, first, t_max, start.stockcodes)
    tolerance = min(FOLLOWED_TOLERANCE, program.delta / 3)
    post, history, deviations = update.starting(start, seed), experiments.PlanHistory(), []
    replayed, served_weeks = [], []
    recorded_plans = ledger.plans(mondays[0], mondays[-1]) if follow_served else None
    served = served_plans.in_force(recorded_plans)
    for t, monday in enumerate(mondays):
        posted, rows = policy.plan(t, post)
        if monday in served:  # the plan the service served that week, not the replay's own
            posted, rows, week_followed = served_plans.follow(program, served[monday], t, post)
            served_weeks.append(week_followed)
        replayed.append(plan_assignments.week_plan(program, monday))
        units[t], realized[t] = sold[0][t], sold[1][t]
        followed = ~charged_mod.departed(charged[t], line_count[t], highest[t], posted, ls.one_price, tolerance)
        effective = np.where(followed, posted, charged[t])
        for i in np.flatnonzero(~followed):
            deviations.append({"week_start": monday.isoformat(), "stockcode": str(start.stockcodes[i]),
                               "arm": str(rows["arm"].iat[i]), "planned": float(posted[i]),
                               "charged": round(float(charged[t, i]), 4)})
        delta[t] = np.log(effective / start.scale) - start.ref
        if units[t].sum() > 0:
            level[t] = update.week_levels(units[t], delta[t], start)
            # Only a week on a randomized arm tells the slope; a price the retailer chose is not one.
            level[t] = np.where(rows["arm"].isin(learning.RANDOMIZED_ARMS).to_numpy() & followed, level[t], np.nan)
        post = learning.updated_posterior(start, units[:t + 1], delta[:t + 1], level[:t + 1], cfg, program, seed)
        history.add(monday, effective, units[t], post, program)
    doc = learning.next_plan(policy, post, history, realized, t_max, plan_monday, seed)
    # The past weeks' plans are made as this one's rows would be: the one published shows they still are.
    if not plan_assignments.week_plan(program, plan_monday).matches(plan_assignments.from_document(doc)):
        raise RuntimeError("plan_assignments.week_plan no longer makes the rows experiments.plan_document writes: "
                           "update it to the document's rules")
    columns = ["week_start", "stockcode", "arm", "planned", "charged"]
    return WeeklyResult(doc, mondays, pd.DataFrame(deviations, columns=columns), replayed=replayed,
                        followed=served_weeks, plans_read=recorded_plans is not None)


def check_served(result: WeeklyResult, ledger: SalesLedger, accept_other_plans: bool) -> None:
    """Sets `result.check`, the replay against the plans the ledger records as served (plan_assignments.py); raises
    WeeklyUpdateError when a replayed week's recorded plan is another, unless `accept_other_plans`."""
    planned = plan_assignments.from_document(result.doc)
    recorded = ledger.assignments(result.weeks[0], planned.week_start)
    result.check = plan_assignments.cross_check(result.replayed, planned, recorded)
    if len(result.check.other_plans) and not accept_other_plans:
        raise WeeklyUpdateError(plan_assignments.refusal(result.check, ledger.name))


def plan_bytes(doc: dict) -> bytes:
    """experiments.json's bytes as plan_version writes them."""
    return (json.dumps(doc, separators=(",", ":")) + "\n").encode()


def version_name(base_version: str, doc: dict) -> str:
    """`<base>-plan-<ISO year>W<week>-<sha256 of the plan, 8 hex>`: the same plan gets the same name; a base that is
    itself a weekly version gives its root's name (no chain of suffixes)."""
    iso = dt.date.fromisoformat(doc["week_start"]).isocalendar()
    root = PLAN_SUFFIX.sub("", base_version)
    return f"{root}-plan-{iso[0]}W{iso[1]:02d}-{hashlib.sha256(plan_bytes(doc)).hexdigest()[:8]}"


def plan_week(ledger: SalesLedger, ls: LogStart, week_start: dt.date | None) -> dt.date:
    """The Monday the plan prices: `week_start` when given, else the week after the ledger's newest sale, which
    must be after the log's last week."""
    first = ls.first_week
    if week_start is not None:
        if week_start.weekday() != 0:
            raise WeeklyUpdateError(f"--week-start {week_start}: not a Monday")
        return week_start
    newest = ledger.last_sale()
    if newest is None or newest.date() < first:
        seen = newest.date() if newest is not None else "none"
        raise WeeklyUpdateError(f"{ledger.name}: holds no sale from {first} on (the Monday after the training log's "
                                f"last trading week; newest sale: {seen}): no week to learn from yet")
    return experiments.monday(newest.date()) + dt.timedelta(weeks=1)


def write_version(result: WeeklyResult, base: Path, out: Path, version: str | None, signing_key) -> None:
    """The plan as a version under `out` (plan_version.write_plan_version); an existing folder of that name that
    holds this very plan is kept as it is (a rerun), one with another plan is refused."""
    local = verify_local(base)
    name = version or version_name(local.version, result.doc)
    folder = out / name
    if folder.exists():
        existing = folder / experiments.PLAN_FILE
        if existing.is_file() and existing.read_bytes() == plan_bytes(result.doc):
            verify_local(folder)
            result.folder, result.reused = folder, True
            return
        raise WeeklyUpdateError(f"{folder}: already exists with another plan; a version is never rewritten "
                                "(give another --version)")
    result.folder = write_plan_version(result.doc, local.folder, out, name, signing_key)


def run(log_path: Path, ledger_location: str, base: Path, out: Path, *, version: str | None = None,
        signing_key=None, publish_to: str | None = None, seed: int = 0, cfg: PlanConfig = PlanConfig(),
        week_start: dt.date | None = None, cache: Path | None = None, catalogue: Path | None = None,
        accept_other_plans: bool = False) -> WeeklyResult:
    """The whole command (module docstring); raises WeeklyUpdateError, LedgerSourceError, LoadError, PublishError
    or PlanFormatError with a message naming what is wrong. `catalogue`: the retailer's list prices
    (list_catalogue.py; default the panel's current prices). `accept_other_plans`: plan even when the ledger shows
    the service served other plans than the replay makes (check_served)."""
    from .ledger_source import open_ledger
    from .list_catalogue import read_prices, with_list_prices

    prices = read_prices(catalogue) if catalogue is not None else None  # a bad file is refused before any work

    local = verify_local(Path(base))
    manifest = json.loads(local.manifest_bytes)
    digest = check_log(Path(log_path), manifest, str(local.folder))
    with open_ledger(ledger_location) as ledger:
        ls = log_start(Path(log_path), digest, response_config(manifest), cache)
        if prices is not None:
            ls = with_list_prices(ls, prices)
        result = replay(ls, ledger, plan_week(ledger, ls, week_start), cfg, seed)
        check_served(result, ledger, accept_other_plans)
    write_version(result, local.folder, Path(out), version, signing_key)
    if publish_to:
        from ..publish import publish

        result.published = publish(result.folder, publish_to)
    return result


def followed_lines(result: WeeklyResult, shown: int = 5) -> list[str]:
    """Which replayed weeks followed the plan the service recorded (served_plans.py) and which were recomputed."""
    if not result.plans_read:
        return ["plans: the ledger has no `plans` table (a service older than plan documents, or not a pricing-server "
                "ledger): every week was recomputed"]
    weeks = [f.week_start for f in result.followed]
    recomputed = [w.isoformat() for w in result.weeks if w not in set(weeks)]
    out = [f"plans: {len(weeks)} of {len(result.weeks)} replayed week(s) followed the plan the service served"
           + (": " + ", ".join(f"{f.week_start} {f.plan_id}" for f in result.followed[:shown])
              + (f" and {len(weeks) - shown} more" if len(weeks) > shown else "") if weeks else "")]
    if recomputed:
        out.append("weeks recomputed (no plan recorded): " + ", ".join(recomputed[:shown])
                   + (f" and {len(recomputed) - shown} more" if len(recomputed) > shown else ""))
    for f in result.followed:
        t = result.weeks.index(f.week_start)
        if f.weeks_run != t:
            out.append(f"week {f.week_start}: plan {f.plan_id} counts {f.weeks_run} week(s) run before it, the replay "
                       f"{t} (made from another log or base: its tests' weeks were read by date)")
        if f.unknown:
            out.append(f"week {f.week_start}: plan {f.plan_id} lists {len(f.unknown)} product(s) the base's catalogue "
                       f"does not have, left out: {', '.join(f.unknown[:shown])}")
    return out


def summary(result: WeeklyResult, shown: int = 5) -> list[str]:
    """What the command prints: the weeks replayed, every week where the retailer charged another price than the
    plan's (that price was used), the replay against the plans the service recorded, the plan, the version."""
    doc, out = result.doc, []
    out.append(f"replayed {len(result.weeks)} week(s) of the ledger: {result.weeks[0]} .. {result.weeks[-1]}")
    for week, group in result.deviations.groupby("week_start", sort=True):
        cases = ", ".join(f"{r.stockcode} ({r.arm}) plan {r.planned:.2f} charged {r.charged:.2f}"
                          for r in group.head(shown).itertuples())
        more = f" and {len(group) - shown} more" if len(group) > shown else ""
        out.append(f"week {week}: {len(group)} product(s) charged another price than the plan's; the ledger's price "
                   f"was used and the week does not count as a test week: {cases}{more}")
    out += followed_lines(result, shown)
    if result.check is not None:
        out += plan_assignments.describe(result.check, shown)
    status = pd.Series([t["status"] for t in doc["tests"]], dtype=object).value_counts()
    out.append(f"plan {doc['plan_id']} for the week of {doc['week_start']}: {len(doc['tests'])} test(s) ("
               + ", ".join(f"{n} {s}" for s, n in status.items()) + f"), {doc['holdout']['products']} in the holdout")
    state = "unchanged, already written" if result.reused else "written"
    out.append(f"version {result.folder} ({state})")
    if result.published is not None:
        out.append(result.published.summary())
    return out
