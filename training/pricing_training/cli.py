"""Command line: `python -m pricing_training {synth,evaluate,loop,weekly-update,train,reference-network,bench-reference,publish,keygen,sign}`."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from pathlib import Path

from . import scenarios
from .config import PRESETS
from .loader import LoadError
from .publish import PublishError  # boto3 loads only when an s3:// target is built
from .signing import ENV_KEY, SigningError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pricing-training", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    s = sub.add_parser("synth", help="write a synthetic Online Retail file and its ground truth")
    s.add_argument("--scenario", default=scenarios.DEFAULT_SCENARIO, choices=sorted(scenarios.SCENARIOS),
                   help=f"generator scenario (default {scenarios.DEFAULT_SCENARIO}; see scenarios.py)")
    s.add_argument("--lines", type=int, help="approximate number of invoice lines (default: the scenario's)")
    s.add_argument("--products", type=int, help="number of products (default: the scenario's)")
    s.add_argument("--seed", type=int, default=7)
    s.add_argument("--out", type=Path, required=True, help="output folder")

    e = sub.add_parser("evaluate", help="score price decisions against ground truth over the scenario matrix",
                       description="Generates every scenario (and its unconfounded twin) for each seed, fits the price "
                                   "response as train does, decides every product as the service does, and scores the "
                                   "decisions against the true revenue curves next to baselines measured in the same run.")
    e.add_argument("--scenarios", nargs="+", default=[n for n in scenarios.SCENARIOS if n != scenarios.DEFAULT_SCENARIO],
                   help="scenario names (default: the whole matrix but the full-size one)")
    e.add_argument("--seeds", nargs="+", type=int, help="seeds (default: the report seeds)")
    e.add_argument("--dev", action="store_true", help="use the development seeds (for tuning)")
    e.add_argument("--lines", type=int, help="override every scenario's line count (a smaller, faster run)")
    e.add_argument("--products", type=int, help="override every scenario's product count")
    e.add_argument("--no-baselines", action="store_true", help="skip today's network and ElasticNet (faster)")
    e.add_argument("--baseline-seeds", type=int, metavar="N",
                   help="run today's network and ElasticNet on the first N seeds only (default: 1 with the report "
                        "seeds, every seed with --seeds or --dev)")
    e.add_argument("--out", type=Path, default=Path("out/eval"), help="report folder (default out/eval)")

    t = sub.add_parser("train", help="train, evaluate and export one artifact version")
    t.add_argument("--data", type=Path, required=True, help="Online Retail (I or II) file: .csv, .xlsx or .parquet")
    t.add_argument("--ground-truth", type=Path, help="ground_truth.csv of a synthetic file (enables the regret report)")
    t.add_argument("--out", type=Path, default=Path("models"), help="artifact root (default models/)")
    t.add_argument("--mode", choices=sorted(PRESETS), default="full", help="budget preset (default full)")
    t.add_argument("--version", help="version id (default: derived from the data and settings)")
    t.add_argument("--nn-trials", type=int, help="Optuna trials for the network")
    t.add_argument("--seed", type=int)
    t.add_argument("--publish-to", metavar="LOCATION",
                   help="then publish the new version there (folder, http(s):// base URL or s3://bucket/prefix)")
    t.add_argument("--signing-key", type=Path, metavar="FILE",
                   help=f"sign the new version's manifest with this ed25519 key (default ${ENV_KEY}; unsigned without)")
    r = sub.add_parser("reference-network", help="copy a version with the benchmark's reference network (256-128-64-32, batch norm)")
    r.add_argument("--models", type=Path, default=Path("models"), help="version folder or models root to copy")
    r.add_argument("--out", type=Path, required=True)

    b = sub.add_parser("bench-reference", help="time PyTorch's forward pass and NumPy's sgemm on the reference workload")
    b.add_argument("--models", type=Path, required=True, help="folder written by reference-network")
    b.add_argument("--repeats", type=int, default=7)
    b.add_argument("--json", type=Path, help="also write the numbers here")
    b.add_argument("--layers-only", action="store_true", help="only NumPy's sgemm on each layer's shape")
    p = sub.add_parser("publish", help="publish a version folder: its files, then manifest.json, then LATEST",
                       description="Verifies the version against its manifest, uploads every file it lists, then "
                                   "manifest.json, then overwrites LATEST (last) so readers never see a "
                                   "half-published version. Objects already identical on the target are skipped.")
    p.add_argument("--version-dir", type=Path, required=True,
                   help="version folder, e.g. models/v1-synthetic-full-931efe3e (a models root means its LATEST)")
    p.add_argument("--to", required=True, metavar="LOCATION",
                   help="a models root folder, an http(s):// base URL (HTTP PUT per object) or s3://bucket/prefix")
    p.add_argument("--no-latest", action="store_true", help="upload the version but leave LATEST as it is")
    p.add_argument("--endpoint-url", help="S3-compatible endpoint (MinIO, moto...); default AWS_ENDPOINT_URL_S3 or "
                                          "AWS_ENDPOINT_URL; path-style addressing when set")
    p.add_argument("--header", action="append", default=[], metavar="'NAME: VALUE'",
                   help="extra HTTP header for http(s) targets, e.g. 'Authorization: Bearer ...' (repeatable)")
    p.add_argument("--timeout", type=float, default=30.0, help="per-request timeout in seconds (default 30)")
    p.add_argument("--retries", type=int, default=3, help="retries per request on network errors and 5xx (default 3)")
    p.add_argument("--signing-key", type=Path, metavar="FILE",
                   help=f"ed25519 private key (PEM) to sign manifest.json with (default ${ENV_KEY}); without one the "
                        "version's own manifest.json.sig is published, and the service refuses a version that has none")

    k = sub.add_parser("keygen", help="make an ed25519 key pair for signing versions; prints the public key",
                       description="Writes a new private key (PEM, mode 0600; never overwrites one) and prints its "
                                   "public key in base64: pin that in config/server.json's artifact_public_keys "
                                   "(or ARTIFACT_PUBLIC_KEYS). Keep the private key out of git and off the servers.")
    k.add_argument("--out", type=Path, required=True, help="private key file to create")

    g = sub.add_parser("sign", help="sign a version folder's manifest.json (writes manifest.json.sig next to it)")
    g.add_argument("--version-dir", type=Path, required=True, help="version folder (a models root means its LATEST)")
    g.add_argument("--signing-key", type=Path, metavar="FILE", help=f"ed25519 private key (default ${ENV_KEY})")
    lp = sub.add_parser("loop", help="the closed learning loop: planned price tests over simulated weeks vs baselines",
                        description="After each world's training year, simulates --weeks weeks per seed: each week the "
                                    "test plan posts prices, the world sells, the lines are ingested into a SQLite "
                                    "ledger and the posterior is updated; baselines (keep, static decision, greedy, "
                                    "A/B then commit, clairvoyant) run on the same weeks (docs/learning-loop.md).")
    lp.add_argument("--world", action="append", metavar="MODULE:FACTORY",
                    help="a world factory by module path (repeatable; default both retail_worlds variants)")
    lp.add_argument("--preset", choices=["quick", "full"], default="full",
                    help="quick: development seed 1 of a 30k-line world; full: report seeds 4-6 of a 60k-line world (default)")
    lp.add_argument("--seeds", nargs="+", type=int, help="override the preset's seeds")
    lp.add_argument("--size", choices=["tiny", "quick", "full"], help="override the preset's world size")
    lp.add_argument("--weeks", type=int, default=26, help="loop weeks after the training year (at least 4; default 26)")
    lp.add_argument("--delta", type=float, help="test arms at ±delta around the current price (default 0.10)")
    lp.add_argument("--share", type=float, help="at most this share of the catalogue under test (default 0.20)")
    lp.add_argument("--ingest-command", help="run this command as '<cmd> --database F file.csv' to ingest each week "
                                             "(e.g. 'pricing-server ingest'); default: the Python ledger")
    lp.add_argument("--response", action="append", metavar="FIELD=VALUE", default=[],
                    help="a price-response setting for the starting posterior (ResponseConfig's field and a Python "
                         "literal or bare word, e.g. truncated_curvature_spread=supported; repeatable)")
    lp.add_argument("--out", type=Path, default=Path("out/loop"))
    wu = sub.add_parser("weekly-update",
                        help="this week's price-test plan from the retailer's sales ledger, as a new version",
                        description="Replays the weeks the ledger holds after the training log (plan, what sold, "
                                    "posterior update, as the closed loop does), plans the next week and writes the "
                                    "plan as a new version of --base under --out (docs/weekly-update.md). A rerun on "
                                    "the same inputs gives the same plan and version.")
    wu.add_argument("--log", type=Path, required=True,
                    help="the training transactions file the base version was trained on")
    wu.add_argument("--ledger", required=True, metavar="FILE|URL",
                    help="the service's sales ledger: its SQLite file or postgres://user:pw@host:port/db")
    wu.add_argument("--base", type=Path, required=True,
                    help="the version to build on: a version folder or a models root (its LATEST)")
    wu.add_argument("--out", type=Path, required=True, help="models root the new version is written into")
    wu.add_argument("--version", help="the new version's name (default <base>-plan-<year>W<week>-<plan hash>)")
    wu.add_argument("--signing-key", type=Path, metavar="FILE",
                    help=f"ed25519 private key to sign with (default ${ENV_KEY})")
    wu.add_argument("--publish", metavar="LOCATION", help="then publish the version there (as the publish command)")
    wu.add_argument("--seed", type=int, default=0,
                    help="the plan's random seed: keep it the same every week (default 0)")
    wu.add_argument("--delta", type=float, help="test arms at ±delta around the current price (default 0.10)")
    wu.add_argument("--share", type=float, help="at most this share of the catalogue under test (default 0.20)")
    wu.add_argument("--week-start", type=_monday, metavar="YYYY-MM-DD",
                    help="the Monday the plan prices (default the week after the ledger's newest sale)")
    wu.add_argument("--cache", type=Path, help="where the starting posterior is cached (default <out>/.weekly-start)")
    wu.add_argument("--catalogue", type=Path, metavar="CSV",
                    help="the list prices to test around: stockcode, current_price (the service's catalogue file; "
                         "default the training log's current prices)")
    wu.add_argument("--accept-other-plans", action="store_true",
                    help="plan even when the ledger's assignments show the service served other plans than the replay "
                         "makes (they are listed; docs/weekly-update.md)")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "keygen":
            from .signing import generate_key

            print(generate_key(args.out))
            print(f"private key written to {args.out} (mode 0600); pin the public key above in artifact_public_keys",
                  file=sys.stderr)
            return 0
        if args.command == "sign":
            from .publish import verify_local
            from .signing import key_path, load_key, public_key_b64, sign_version

            path = key_path(args.signing_key)
            if path is None:
                parser.error(f"sign: give --signing-key or set {ENV_KEY}")
            key = load_key(path)
            local = verify_local(args.version_dir)  # a damaged version is not signed
            print(f"{sign_version(local.folder, key)} (public key {public_key_b64(key)})")
            return 0
        if args.command == "publish":
            from .publish import publish
            from .signing import key_path, load_key

            headers = {}
            for h in args.header:
                name, sep, value = h.partition(":")
                if not sep or not name.strip():
                    parser.error(f"--header {h!r}: expected 'NAME: VALUE'")
                headers[name.strip()] = value.strip()
            path = key_path(args.signing_key)
            result = publish(args.version_dir, args.to, latest=not args.no_latest, endpoint_url=args.endpoint_url,
                             headers=headers, timeout=args.timeout, retries=max(args.retries, 0),
                             signing_key=load_key(path) if path else None)
            print(result.summary())
            return 0
        if args.command == "synth":
            scen = scenarios.SCENARIOS[args.scenario]
            scen = dataclasses.replace(scen, **{k: v for k, v in (("lines", args.lines), ("products", args.products)) if v})
            scenarios.write(scenarios.generate(scen, args.seed), args.out)
            return 0
        if args.command == "evaluate":
            from .evaluate import BASELINE_SEEDS, DEV_SEEDS, REPORT_SEEDS, evaluate_matrix

            unknown = [n for n in args.scenarios if n not in scenarios.SCENARIOS]
            if unknown:
                parser.error(f"--scenarios: unknown scenario {', '.join(unknown)}; known: {', '.join(scenarios.SCENARIOS)}")
            if args.seeds and args.dev:
                parser.error("--seeds and --dev: give one or the other")
            if args.baseline_seeds is not None and args.baseline_seeds < 1:
                parser.error("--baseline-seeds: give at least 1 (--no-baselines skips the baseline)")
            seeds = args.seeds or (DEV_SEEDS if args.dev else REPORT_SEEDS)
            baseline_seeds = args.baseline_seeds or (BASELINE_SEEDS if seeds is REPORT_SEEDS else None)
            overrides = {k: v for k, v in (("lines", args.lines), ("products", args.products)) if v}
            doc = evaluate_matrix(args.scenarios, seeds, args.out, with_old=not args.no_baselines, overrides=overrides,
                                  baseline_seeds=baseline_seeds)
            print((args.out / "report.md").read_text())
            failed = [f"{name}: {k}" for name, c in doc["checks"].items() for k, ok in c.items() if not ok]
            dishonest = [f"{name}: {k}" for name, c in doc.get("calibration_checks", {}).items() for k, ok in c.items()
                         if not ok]
            print(f"report: {args.out / 'report.md'}, {args.out / 'report.json'}, {args.out / 'curves.png'}, "
                  f"{args.out / 'calibration.png'}, {args.out / 'frontier.png'}")
            if failed:
                print("below the bar: " + "; ".join(failed))
            if dishonest:
                print("below the honesty bar: " + "; ".join(dishonest))
            return 0
        if args.command == "loop":
            import shlex

            if args.weeks < 4:
                # The report's checkpoints (cumulative gain at or above keep, revenue at risk) start at week 4.
                parser.error(f"loop: --weeks must be at least 4, got {args.weeks}")

            from .loop.run import DEFAULT_WORLDS, PRESETS as LOOP_PRESETS, evaluate as evaluate_loop
            from .loop.world import WorldError

            from .loop.plan import PlanConfig
            from .response_config import with_settings as response_settings

            preset = LOOP_PRESETS[args.preset]
            plan = PlanConfig(**{k: v for k, v in (("delta", args.delta), ("share", args.share)) if v is not None})
            if not (0 < plan.delta <= plan.max_change and 0 < plan.share <= 1):
                parser.error(f"--delta must be in (0, {plan.max_change}] and --share in (0, 1]")
            if args.weeks < 2:
                parser.error("--weeks: give at least 2")
            try:
                response = response_settings(args.response, trees=preset["trees"])
            except ValueError as exc:
                parser.error(f"--response: {exc}")
            try:
                evaluate_loop(args.world or DEFAULT_WORLDS, args.seeds or preset["seeds"], args.size or preset["size"],
                              args.out, args.weeks, plan, trees=preset["trees"],
                              ingest_command=shlex.split(args.ingest_command) if args.ingest_command else None,
                              response=response)
            except WorldError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
            print((args.out / "report.md").read_text())
            print(f"report: {args.out / 'report.md'}, {args.out / 'report.json'}, {args.out / 'cumulative.png'}")
            return 0
        if args.command == "weekly-update":
            from .loop import weekly_update
            from .loop.experiments import PlanFormatError
            from .loop.ledger_source import LedgerSourceError
            from .loop.list_catalogue import CatalogueError
            from .loop.plan import PlanConfig
            from .signing import key_path, load_key

            plan = PlanConfig(**{k: v for k, v in (("delta", args.delta), ("share", args.share)) if v is not None})
            if not (0 < plan.delta <= plan.max_change and 0 < plan.share <= 1):
                parser.error(f"--delta must be in (0, {plan.max_change}] and --share in (0, 1]")
            path = key_path(args.signing_key)
            try:
                result = weekly_update.run(args.log, args.ledger, args.base, args.out, version=args.version,
                                           signing_key=load_key(path) if path else None, publish_to=args.publish,
                                           seed=args.seed, cfg=plan, week_start=args.week_start,
                                           cache=args.cache or args.out / ".weekly-start", catalogue=args.catalogue,
                                           accept_other_plans=args.accept_other_plans)
            except (weekly_update.WeeklyUpdateError, LedgerSourceError, PlanFormatError, CatalogueError) as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
            print("\n".join(weekly_update.summary(result)))
            return 0
        if args.command == "reference-network":
            from .reference_bench import export_reference_network

            try:
                print(export_reference_network(args.models, args.out))
            except ValueError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
            return 0
        if args.command == "bench-reference":
            import json

            from .reference_bench import measure, measure_layers_only

            result = (measure_layers_only if args.layers_only else measure)(args.models, args.repeats)
            if args.json:
                args.json.write_text(json.dumps(result, indent=1) + "\n")
            print(json.dumps(result, indent=1))
            return 0
        from . import pipeline  # torch and friends load only for training
        from .signing import key_path, load_key, sign_version

        path = key_path(args.signing_key)
        signing_key = load_key(path) if path else None  # read before hours of training, not after

        cfg = PRESETS[args.mode]
        overrides = {"nn_trials": args.nn_trials, "seed": args.seed}
        cfg = dataclasses.replace(cfg, **{k: v for k, v in overrides.items() if v is not None})
        try:
            folder = pipeline.run(args.data, args.out, cfg, ground_truth=args.ground_truth, version=args.version)
        except pipeline.SelfCheckError as exc:
            print(f"error: the exported models failed their self-check: {exc}", file=sys.stderr)
            return 2
        if signing_key is not None:
            sign_version(folder, signing_key)
        print(folder)
        if args.publish_to:
            from .publish import publish

            print(publish(folder, args.publish_to).summary())
        return 0
    except LoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except PublishError as exc:
        print(f"error: publish failed: {exc}", file=sys.stderr)
        return 2
    except SigningError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _monday(text: str):
    """A --week-start value: a date YYYY-MM-DD that is a Monday."""
    import datetime as dt

    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None
    if day.weekday() != 0:
        raise argparse.ArgumentTypeError(f"{text} is not a Monday")
    return day


if __name__ == "__main__":
    sys.exit(main())
