"""`python -m pricing_training train …` with the within-week code contrast switched on
(ResponseConfig.within_week_orders, a prototype that is off by default; docs/price-response.md, "Within-week
contrasts in the orders part"); every other setting is train's own. Used to score the prototype on the unseen
retail worlds next to train's default, on the same generated log:

    cd /work/main && PYTHONPATH=training .venv/bin/python training/scripts/train_within_week.py train --mode quick \\
        --data out/unseen-ww/invoice-s1/transactions.csv --out out/unseen-ww/invoice-s1/models-quick
    .venv/bin/python scripts/check_unseen.py --variants invoice --seed 1 --mode quick --out out/unseen-ww

(copy a generated `invoice-s1` folder from `make eval-unseen`'s output first: check_unseen reuses a log and a
trained version it finds)."""
import dataclasses
import sys

from pricing_training import pipeline
from pricing_training.cli import main

if __name__ == "__main__":
    default = pipeline.response_config
    pipeline.response_config = lambda cfg: dataclasses.replace(default(cfg), within_week_orders=True)
    sys.exit(main(sys.argv[1:]))
