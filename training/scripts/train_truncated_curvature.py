"""`python -m pricing_training train …` with the sum's curvature population learned truncated to c <= 0
(ResponseConfig.truncated_curvature, off by default; pricing_training/curvature_prior.py); `--within-week` (first
argument) also switches the within-week code contrast on (ResponseConfig.within_week_orders). Every other setting is
train's own. Used to score the switch on the unseen retail worlds next to train's default, on the same generated log:

    cd /work/wt-trunc && PYTHONPATH=training .venv/bin/python training/scripts/train_truncated_curvature.py train \\
        --mode quick --data out/unseen-trunc/invoice-s2/transactions.csv --out out/unseen-trunc/invoice-s2/models-quick
    .venv/bin/python scripts/check_unseen.py --variants invoice --seed 2 --mode quick --out out/unseen-trunc

(copy the generated `invoice-s2` folder's log and world first: check_unseen reuses a log and a trained version it
finds)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_with import train  # noqa: E402

if __name__ == "__main__":
    args = sys.argv[1:]
    chosen = {"truncated_curvature": True}
    if args and args[0] == "--within-week":
        args, chosen = args[1:], {**chosen, "within_week_orders": True}
    sys.exit(train(chosen, args))
