"""`python -m pricing_training train …` with the within-week code contrast switched on
(ResponseConfig.within_week_orders, a prototype that is off by default; docs/price-response.md, "Within-week
contrasts in the orders part"); every other setting is train's own. Used to score the prototype on the unseen
retail worlds next to train's default, on the same generated log:

    cd /work/main && PYTHONPATH=training .venv/bin/python training/scripts/train_within_week.py train --mode quick \\
        --data out/unseen-ww/invoice-s1/transactions.csv --out out/unseen-ww/invoice-s1/models-quick
    .venv/bin/python scripts/check_unseen.py --variants invoice --seed 1 --mode quick --out out/unseen-ww

(copy a generated `invoice-s1` folder from `make eval-unseen`'s output first: check_unseen reuses a log and a
trained version it finds)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_with import train  # noqa: E402

if __name__ == "__main__":
    sys.exit(train({"within_week_orders": True}, sys.argv[1:]))
