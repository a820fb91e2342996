"""make eval's matrix for one scenario (and its twin) on the report seeds with ResponseConfig switches set, without the
network baselines (keep-the-price and the oracles are in the report; the committed method's figures are make eval's).
Values are Python literals (True, 'floor', 0.5); `seeds=(11, 12)` runs other seeds (the development ones) instead.
Usage: cd training && PYTHONPATH=. python scripts/report_seeds_with.py shop-invoice out/eval-cand-shop-invoice \\
           within_week_orders=True truncated_curvature=True truncated_curvature_spread=floor"""
import sys
from pathlib import Path

from pricing_training import evaluate, price_response
from pricing_training.response_config import setting_value


def switches(args: list[str]) -> dict:
    return {key: setting_value(text) for key, _, text in (arg.partition("=") for arg in args)}


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    settings = switches(sys.argv[3:])
    seeds = list(settings.pop("seeds", (101, 102, 103)))
    cfg = price_response.ResponseConfig(**settings)
    evaluate.evaluate_matrix([sys.argv[1]], seeds, Path(sys.argv[2]), with_old=False, cfg=cfg)
