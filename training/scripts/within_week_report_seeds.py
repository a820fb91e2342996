"""make eval's matrix for one scenario (and its twin) on the report seeds with ResponseConfig(within_week_orders=True),
without the network baselines (keep-the-price and the oracles are in the report; the committed method's figures are
make eval's). Usage: cd training && PYTHONPATH=. python scripts/within_week_report_seeds.py shop-invoice out/eval-ww-shop-invoice"""
import sys
from pathlib import Path

from pricing_training import evaluate, price_response

if __name__ == "__main__":
    cfg = price_response.ResponseConfig(within_week_orders=True)
    evaluate.evaluate_matrix([sys.argv[1]], [101, 102, 103], Path(sys.argv[2]), with_old=False, cfg=cfg)
