"""python -m retail_worlds generate --variant invoice|weekly --lines 300000 --seed N --out DIR"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .classes import VARIANTS
from .generate import write


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m retail_worlds",
                                     description="retail logs with ground truth from an independent generator")
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate", help="a year's log (transactions.csv) and its truth files")
    g.add_argument("--variant", choices=VARIANTS, required=True,
                   help="invoice: prices vary between invoices within a week; weekly: one price per product-week")
    g.add_argument("--lines", type=int, default=300_000, help="invoice lines in the year (default 300000)")
    g.add_argument("--products", type=int, help="products (default: one per 75 lines)")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--out", type=Path, required=True, help="output folder")
    args = parser.parse_args(argv)
    if args.lines < 1000:
        parser.error(f"--lines must be at least 1000, got {args.lines}")
    if args.products is not None and args.products < 10:
        parser.error(f"--products must be at least 10, got {args.products}")
    meta = write(args.variant, args.lines, args.seed, args.out, args.products)
    print(json.dumps(meta, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
