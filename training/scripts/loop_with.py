"""`make eval-loop` with the test plan's settings changed (PlanConfig fields, values as report_seeds_with.py reads
them), for tuning the loop on the development seeds against `make eval-loop LOOP_SEEDS=dev` of the same code:

    cd training && PYTHONPATH=. python scripts/loop_with.py ../out/loop-dev-hb01 --seeds 1 2 3 \\
        --ingest-command "<repo>/.build/release/pricing-server ingest" harm_budget=0.01

Without --world: every world make eval-loop runs (both retail worlds and the seven scenario worlds)."""

from __future__ import annotations

import argparse
import logging
import shlex
from pathlib import Path

from pricing_training.loop.plan import PlanConfig
from pricing_training.loop.run import PRESETS, evaluate
from pricing_training.response_config import settings_of

WORLDS = ([f"pricing_training.loop.retail_adapter:{w}" for w in ("invoice_world", "weekly_world")]
          + [f"pricing_training.loop.scenario_world:{w}" for w in ("exp_strong", "linear_moderate",
             "logit_strong_breaks", "iso_moderate", "mixed_strong_thin", "shop_weekly", "shop_invoice")])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    ap.add_argument("--world", action="append")
    ap.add_argument("--ingest-command")
    ap.add_argument("changes", nargs="*", help="PlanConfig field=value")
    args = ap.parse_intermixed_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        plan = settings_of(PlanConfig, args.changes, "test-plan (PlanConfig)")
    except ValueError as exc:
        ap.error(str(exc))
    preset = PRESETS["full"]
    evaluate(args.world or WORLDS, args.seeds, preset["size"], args.out, cfg=plan,
             trees=preset["trees"], ingest_command=shlex.split(args.ingest_command) if args.ingest_command else None)
    print((args.out / "report.md").read_text())


if __name__ == "__main__":
    main()
