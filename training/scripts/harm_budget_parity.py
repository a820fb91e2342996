"""The service's `harm_budget` repricing rule against the learning loop's `batch_decision.budgeted`, on the same draws.

Runs the release CLI (`pricing-server recommend`) over every product of a model version with the rules
{"harm_budget": B, "harm_budget_spread": F} (and the default max_change_pct, 20), then prices the same catalogue
with Python's `budgeted` on the version's stored draws (price_response.safetensors), widened as the service widens
them (each draw's deviation from the draws' mean × √F, curvature kept ≤ 0), with the service's weights (each row's
expected objective at today's price: revenue_current, to the output's 4 decimals) and its grids (today's price
± the default max_change_pct, 20%; no catalogue file, so no floor, ceiling or cost). Reports, per (budget, spread): how many products move in each, the share of
products whose prices agree (to the CSV's 4 decimals), the catalogue's mean P(loss > 2%) at each side's prices
(recomputed here from the widened draws), and the CLI's wall and CPU seconds
against a run of the same CLI without the budget (both include loading the version).

Rows the service posts for another reason (binding_rule experiment: a running price test's arm) are left out of
the price comparison (the budget counted them as both sides do).

    cd training && PYTHONPATH=. ../.venv/bin/python scripts/harm_budget_parity.py \
        --binary ../.build/release/pricing-server --models ../models [--budgets 0.002 0.01 1] [--spreads 1 2]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file

from pricing_training.decision import DEFAULT_DECISION
from pricing_training.loop import batch_decision

LOSS = 0.02
MAX_CHANGE = 20.0  # the service's default max_change_pct


def widen(draws: np.ndarray, spread: float) -> np.ndarray:
    """The service's widening (HarmBudget.fillRow): deviations from each product's draws' mean × √spread, c ≤ 0."""
    if spread == 1.0:
        return draws
    mean = draws.mean(axis=1, keepdims=True)
    out = mean + np.sqrt(spread) * (draws - mean)
    out[:, :, 1] = np.minimum(out[:, :, 1], 0.0)
    return out


def service_run(binary: Path, models: Path, rules: dict, folder: Path) -> tuple[list[dict], float, float]:
    """The run's rows, its wall seconds and its CPU seconds (user + sys; loading the version included)."""
    rules_file, out = folder / "rules.json", folder / "run.json"
    rules_file.write_text(json.dumps(rules))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([str(binary), "recommend", "--rules", str(rules_file), "--out", str(out), "--models", str(models)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return json.loads(out.read_text())["rows"], seconds, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", type=Path, required=True)
    parser.add_argument("--models", type=Path, required=True)
    parser.add_argument("--budgets", type=float, nargs="+", default=[0.002, 0.0005, 0.01, 1.0])
    parser.add_argument("--spreads", type=float, nargs="+", default=[1.0, 2.0])
    parser.add_argument("--out", type=Path, help="write the report as JSON here")
    args = parser.parse_args()

    version = args.models / (args.models / "LATEST").read_text().strip()
    table = load_file(str(version / "price_response.safetensors"))
    draws = table["draws"].astype(np.float64)  # the service widens the file's float32 draws to doubles the same way
    ref = table["reference_log_price"]
    report = []
    with tempfile.TemporaryDirectory() as tmp:
        _, baseline_seconds, baseline_cpu = service_run(args.binary, args.models, {}, Path(tmp))
        for spread in args.spreads:
            for budget in args.budgets:
                rows, seconds, cpu = service_run(args.binary, args.models, {"harm_budget": budget, "harm_budget_spread": spread},
                                            Path(tmp))
                if len(rows) != len(ref):
                    print(f"the service priced {len(rows)} of {len(ref)} products: rows cannot be matched", file=sys.stderr)
                    return 1
                # Today's price and the band as the service has them (no catalogue file: the version's current
                # price, max_change_pct 20 as RuleBand computes it); the CSV's 4 decimals would move the grid.
                p0 = table["current_price"]
                if np.abs(np.array([r["current_price"] for r in rows]) - p0).max() > 1e-4:
                    print("the service's current prices are not the table's: rows cannot be matched", file=sys.stderr)
                    return 1
                lo, hi = p0 * (1 - MAX_CHANGE / 100), p0 * (1 + MAX_CHANGE / 100)
                weight = np.array([r["revenue_current"] for r in rows])
                wide = widen(draws, spread)
                price, moved = batch_decision.budgeted(wide, ref, p0, lo, hi, weight, budget,
                                                       min_expected_gain=DEFAULT_DECISION["min_expected_gain"])
                service = np.array([r["recommended_price"] for r in rows])
                compared = np.array([r["binding_rule"] != "experiment" for r in rows])
                agree = np.abs(service - price) <= 1e-4 * np.maximum(1.0, price) + 1e-9
                _, loss_service = batch_decision.arm_risk(wide, ref, p0, service[:, None], LOSS)
                _, loss_python = batch_decision.arm_risk(wide, ref, p0, price[:, None], LOSS)
                changed = np.array([r["decision"] == "change" for r in rows])
                entry = {
                    "budget": budget, "spread": spread, "products": len(rows), "compared": int(compared.sum()),
                    "agree": int((agree & compared).sum()), "agree_share": float((agree & compared).sum() / compared.sum()),
                    "moves_service": int(changed.sum()), "moves_python": int(moved.sum()),
                    "harm_service": float(np.where(changed, loss_service[:, 0], 0.0).mean()),
                    "harm_python": float(np.where(moved, loss_python[:, 0], 0.0).mean()),
                    "binding_harm_budget": int(sum(r["binding_rule"] == "harm_budget" for r in rows)),
                    "seconds": round(seconds, 2), "seconds_without_budget": round(baseline_seconds, 2),
                    "cpu_seconds": round(cpu, 2), "cpu_seconds_without_budget": round(baseline_cpu, 2),
                    "disagreements": [{"stockcode": r["stockcode"], "service": s, "python": float(p)}
                                      for r, s, p, a, c in zip(rows, service, price, agree, compared) if c and not a][:10],
                }
                report.append(entry)
                print(f"budget {budget:g} spread {spread:g}: prices agree on {entry['agree']}/{entry['compared']} "
                      f"({100 * entry['agree_share']:.2f}%); moves service {entry['moves_service']} python "
                      f"{entry['moves_python']}; mean P(loss>2%) service {entry['harm_service']:.5f} python "
                      f"{entry['harm_python']:.5f}; CLI run {seconds:.2f} s wall, {cpu:.2f} s CPU (without the budget "
                      f"{baseline_seconds:.2f} s, {baseline_cpu:.2f} s)")
    if args.out:
        args.out.write_text(json.dumps(report, indent=1))
    return 0 if all(e["agree_share"] >= 0.999 for e in report) else 1


if __name__ == "__main__":
    sys.exit(main())
