"""Parse a repricing CSV (the CLI's file or the API's text/csv answer) with Python's csv module and
pandas, as a retailer's spreadsheet pipeline would, and print what both saw as JSON; exit 1 if they
disagree or a numeric column does not parse as numbers. Used by the Swift tests."""
import csv
import json
import sys

import pandas as pd

NUMERIC = ["current_price", "recommended_price", "change_pct", "unconstrained_price", "allowed_min", "allowed_max",
           "unit_cost", "floor", "ceiling", "units_current", "units_recommended", "revenue_current", "revenue_recommended",
           "profit_current", "profit_recommended", "expected_gain", "gain_p10", "gain_p90", "expected_gain_pct",
           "probability_of_gain", "elasticity", "elasticity_p10", "elasticity_p90"]


def main(path: str) -> int:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    frame = pd.read_csv(path, dtype={"stockcode": str})
    problems = []
    if len(rows) != len(frame):
        problems.append(f"csv saw {len(rows)} rows, pandas {len(frame)}")
    for column in NUMERIC:
        if column not in frame.columns:
            problems.append(f"missing column {column}")
        elif not pd.api.types.is_numeric_dtype(frame[column]):
            problems.append(f"{column} is not numeric in pandas ({frame[column].dtype})")
    if rows and list(frame["stockcode"]) != [r["stockcode"] for r in rows]:
        problems.append("stockcodes differ between csv and pandas")
    print(json.dumps({"rows": len(rows), "columns": list(frame.columns), "problems": problems,
                      "stockcodes": [r["stockcode"] for r in rows], "descriptions": [r["description"] for r in rows]}))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
