"""`python -m pricing_training train …` with ResponseConfig switches set (key=value before `--`; values as in
report_seeds_with.py). The version's manifest lists them (`response_config`). Used to score a candidate on the unseen
retail worlds next to train's default, on the same generated log (copy the generated folder's world.json,
transactions.csv and truth_*.csv first: scripts/check_unseen.py reuses a log and a trained version it finds):

    PYTHONPATH=training python training/scripts/train_with.py within_week_orders=True truncated_curvature=True \\
        truncated_curvature_spread=floor -- train --mode quick --data <folder>/invoice-s2/transactions.csv \\
        --out <folder>/invoice-s2/models-quick
    python scripts/check_unseen.py --variants invoice --seed 2 --mode quick --out <folder>"""
import dataclasses
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report_seeds_with import switches  # noqa: E402

from pricing_training import pipeline  # noqa: E402
from pricing_training.cli import main  # noqa: E402

def train(chosen: dict, args: list[str]) -> int:
    """The CLI (`args`, e.g. ["train", "--mode", "quick", ...]) with train's response settings plus `chosen`."""
    default = pipeline.response_config
    pipeline.response_config = lambda cfg: dataclasses.replace(default(cfg), **chosen)
    return main(args)


if __name__ == "__main__":
    if "--" not in sys.argv:
        sys.exit(__doc__)
    cut = sys.argv.index("--")
    sys.exit(train(switches(sys.argv[1:cut]), sys.argv[cut + 1:]))
