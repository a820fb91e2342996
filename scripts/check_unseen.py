#!/usr/bin/env python3
"""End-to-end check of the service on logs from the second generator family (training/retail_worlds).

For each variant: generate a year's log with its truth (python -m retail_worlds generate), train a version
with `python -m pricing_training train` (its defaults, or --mode quick), start the release server on it,
ask GET /v1/recommendations/{stockcode} with the default rules for every product with >= --min-lines sale
lines, and score the answers against the true revenue curves:

- elasticity coverage: the 80% interval [elasticity_p10, elasticity_p90] holds the true elasticity at the
  service's current_price (also reported: at the truth's current price, the regular posted price);
- harm rate: share of products whose recommended price is a change from the current (regular) price and
  earns > 1% less than keeping it; also among the changes only;
- revenue regret vs the true optimum within +-20% of the current price (the default max_change rule):
  median and p90, for the service and for keeping the current price;
- revenue is the shop's: the product's own plus what its nest siblings gain or lose (docs/worlds.md);
- aggregate capture over mispriced products (best earns >= 2% more than current):
  sum(R(rec) - R(cur)) / sum(R(best) - R(cur)).

Writes <out>/<variant>-s<seed>/report.{md,json} and <out>/report.{md,json} (all variants).
Usage (from the repo root): python scripts/check_unseen.py --variants invoice weekly --seed 1 [--mode quick]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
TRAINING = ROOT / "training"
sys.path.insert(0, str(TRAINING))

from retail_worlds.generate import load_world  # noqa: E402

SERVER = ROOT / ".build" / "release" / "pricing-server"
HARM_LOSS = 0.01
MISPRICED_GAIN = 0.02
RULE_RANGE = (0.8, 1.2)


def run(cmd: list[str], log: Path, env: dict | None = None) -> float:
    """Run a command (output to `log`), fail loudly with the log's tail; return its seconds."""
    t0 = time.time()
    with open(log, "w") as f:
        proc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
    if proc.returncode != 0:
        tail = log.read_text()[-3000:]
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}); end of {log}:\n{tail}")
    return time.time() - t0


def python_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(TRAINING) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def generate(variant: str, seed: int, lines: int, folder: Path) -> float:
    meta = folder / "world.json"
    if meta.exists():
        m = json.loads(meta.read_text())
        if (m["variant"], m["seed"], m["lines_per_year"]) == (variant, seed, lines):
            return float(m.get("seconds", 0.0))  # generated before: the time it took then
    folder.mkdir(parents=True, exist_ok=True)
    return run([sys.executable, "-m", "retail_worlds", "generate", "--variant", variant, "--lines", str(lines),
                "--seed", str(seed), "--out", str(folder)], folder / "generate.log", python_env())


def train(folder: Path, mode: str) -> tuple[float, Path]:
    """Train a version into <folder>/models-<mode> unless one is there; return (training seconds, models root)."""
    models = folder / f"models-{mode}"
    timing = folder / f"train-{mode}.seconds"
    if (models / "LATEST").exists():
        return (float(timing.read_text()) if timing.exists() else 0.0), models
    shutil.rmtree(models, ignore_errors=True)
    seconds = run([sys.executable, "-m", "pricing_training", "train", "--mode", mode,
                   "--data", str(folder / "transactions.csv"), "--out", str(models)], folder / f"train-{mode}.log",
                  python_env())
    timing.write_text(f"{seconds:.1f}\n")
    return seconds, models


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(models: Path, log: Path, server: Path = SERVER, config: Path | None = None
                 ) -> tuple[subprocess.Popen, int]:
    if not server.exists():
        raise SystemExit(f"{server} is missing: swift build -c release --product pricing-server")
    port = free_port()
    env = dict(os.environ, PORT=str(port), HOST="127.0.0.1", MODELS=str(models),
               ALLOW_UNSIGNED_ARTIFACTS="true", MODELS_LOAD="eager")
    # The check asks for hundreds of rows in a burst: admission budgets are for shared clients, not this.
    env.setdefault("CLIENT_WORK_MS_PER_SECOND", "0")
    proc = subprocess.Popen([str(server), "serve"] + (["--config", str(config)] if config else []), stdout=open(log, "w"), stderr=subprocess.STDOUT, cwd=ROOT,
                            env=env, start_new_session=True)
    deadline = time.time() + 600
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited ({proc.returncode}); end of {log}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as r:
                if r.status == 200:
                    return proc, port
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1.0)
    stop_server(proc)
    raise SystemExit(f"the server was not ready within 600 s; see {log}")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def fetch(port: int, stockcode: str) -> dict | None:
    url = f"http://127.0.0.1:{port}/v1/recommendations/{urllib.parse.quote(stockcode)}"
    for attempt in range(6):
        try:
            with urllib.request.urlopen(url, timeout=60) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return None
            if e.code in (429, 503) and attempt < 5:
                time.sleep(1.0 + attempt)
                continue
            raise SystemExit(f"GET {url}: HTTP {e.code}: {e.read()[:500]!r}")
    return None


def score(folder: Path, answers: dict[str, dict]) -> tuple[dict, pd.DataFrame]:
    """Score the service's rows against the world's exact truth."""
    truth = pd.read_csv(folder / "truth_products.csv", dtype={"stockcode": str})
    world = load_world(folder)
    pos = pd.Series(np.arange(world.n), index=world.products["stockcode"].to_numpy())
    current = truth.set_index("stockcode").loc[world.products["stockcode"], "current_price"].to_numpy()
    rows = truth[truth["stockcode"].isin(answers)].copy()
    idx = pos[rows["stockcode"]].to_numpy()
    rec = np.array([answers[s]["recommended_price"] for s in rows["stockcode"]], dtype=float)
    svc_cur = np.array([answers[s]["current_price"] for s in rows["stockcode"]], dtype=float)
    lo = np.array([answers[s]["elasticity_p10"] for s in rows["stockcode"]], dtype=float)
    hi = np.array([answers[s]["elasticity_p90"] for s in rows["stockcode"]], dtype=float)

    def revenue_at(prices_subset: np.ndarray) -> np.ndarray:
        full = current.copy()
        full[idx] = prices_subset
        return world.curve(full[:, None], current)["shop_revenue"][idx, 0]

    def elasticity_at(prices_subset: np.ndarray) -> np.ndarray:
        h = 1e-4
        full = current.copy()
        full[idx] = prices_subset
        u = world.curve(full[:, None] * np.exp([-h, h])[None, :], current)["units"][idx]
        return (np.log(u[:, 1]) - np.log(u[:, 0])) / (2 * h)

    r_cur = rows["shop_revenue"].to_numpy()
    r_best = rows["best_revenue"].to_numpy()
    r_rec = revenue_at(rec)
    cur = rows["current_price"].to_numpy()
    changed = np.abs(rec / cur - 1) > 0.005
    decided = np.array([answers[s].get("decision") == "change" for s in rows["stockcode"]])
    harmful = changed & (r_rec < (1 - HARM_LOSS) * r_cur)
    e_svc = elasticity_at(svc_cur)
    e_cur = rows["elasticity"].to_numpy()
    mispriced = r_best >= (1 + MISPRICED_GAIN) * r_cur
    possible = (r_best - r_cur)[mispriced].sum()
    regret = 1 - r_rec / r_best
    regret_keep = 1 - r_cur / r_best
    rows = rows.assign(service_current=svc_cur, recommended=rec, binding_rule=[answers[s].get("binding_rule", "")
                                                                               for s in rows["stockcode"]],
                       elasticity_p10=lo, elasticity_p90=hi, true_elasticity_at_service_current=e_svc,
                       revenue_recommended=r_rec, regret=regret, regret_keep=regret_keep, changed=changed,
                       harmful=harmful, mispriced=mispriced)
    n = len(rows)

    def pct(x) -> float:
        return round(100.0 * float(x), 1) + 0.0  # no "-0.0"

    summary = {
        "products_scored": n,
        "elasticity_coverage_80_pct": pct(np.mean((e_svc >= lo) & (e_svc <= hi))),
        "elasticity_coverage_80_at_regular_price_pct": pct(np.mean((e_cur >= lo) & (e_cur <= hi))),
        "true_elasticity_median": round(float(np.median(e_svc)), 2),
        "service_elasticity_median": round(float(np.median([answers[s]["elasticity"] for s in rows["stockcode"]])), 2),
        "changed": int(changed.sum()),
        "service_decided_change": int(decided.sum()),
        "harmful_among_service_changes_pct": pct((harmful & decided).sum() / decided.sum()) if decided.any() else None,
        "harm_rate_pct": pct(harmful.mean()),
        "harmful_among_changed_pct": pct(harmful.sum() / changed.sum()) if changed.any() else None,
        "mean_promised_probability_of_gain_of_changes": round(float(np.mean(
            [answers[s]["probability_of_gain"] for s in rows.loc[decided, "stockcode"]])), 3) if decided.any() else None,
        "regret_median_pct": pct(np.median(regret)), "regret_p90_pct": pct(np.quantile(regret, 0.9)),
        "keep_regret_median_pct": pct(np.median(regret_keep)), "keep_regret_p90_pct": pct(np.quantile(regret_keep, 0.9)),
        "mispriced": int(mispriced.sum()),
        "aggregate_capture_pct": pct((r_rec - r_cur)[mispriced].sum() / possible) if possible > 0 else None,
        "wrong_direction_of_unconstrained_pct": pct(np.mean(np.sign(np.log(np.array(
            [answers[s].get("unconstrained_price", np.nan) for s in rows["stockcode"]], float) / cur))
            != np.sign(np.log(rows["best_price"].to_numpy() / cur)))),
        "service_current_differs_from_regular_pct": pct(np.mean(np.abs(svc_cur / cur - 1) > 0.005)),
        "service_current_vs_regular_median_pct": pct(np.median(svc_cur / cur) - 1),
        "harmful_keeping_service_current_pct": pct(np.mean(harmful & ~decided)),
    }
    return summary, rows


def check_variant(variant: str, args) -> dict:
    folder = args.out / f"{variant}-s{args.seed}"
    gen_s = generate(variant, args.seed, args.lines, folder)
    train_s, models = train(folder, args.mode)
    truth = pd.read_csv(folder / "truth_products.csv", dtype={"stockcode": str})
    wanted = truth.loc[truth["lines"] >= args.min_lines, "stockcode"].tolist()
    proc, port = start_server(models, folder / "server.log", args.server, args.server_config)
    try:
        t0 = time.time()
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            got = dict(zip(wanted, pool.map(lambda s: fetch(port, s), wanted)))
        query_s = time.time() - t0
    finally:
        stop_server(proc)
    answers = {s: a for s, a in got.items() if a is not None}
    summary, rows = score(folder, answers)
    summary.update({"variant": variant, "seed": args.seed, "lines": args.lines, "mode": args.mode,
                    "products_with_min_lines": len(wanted), "not_in_model": len(wanted) - len(answers),
                    "seconds": {"generate": round(gen_s, 1), "train": round(train_s, 1), "query": round(query_s, 1)}})
    rows.to_csv(folder / f"scored-{args.mode}.csv", index=False)
    (folder / f"report-{args.mode}.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


ROWS = [("products scored (>= min lines)", "products_scored"), ("80% elasticity coverage, %", "elasticity_coverage_80_pct"),
        ("  same, at the regular price, %", "elasticity_coverage_80_at_regular_price_pct"),
        ("median elasticity: true / service", None),
        ("prices differing from the regular price (> 0.5%)", "changed"), ("service decisions `change`", "service_decided_change"),
        ("harm rate (loses > 1%), % of products", "harm_rate_pct"), ("harmful among prices differing, %", "harmful_among_changed_pct"),
        ("harmful among service changes, %", "harmful_among_service_changes_pct"),
        ("mean promised P(gain) of service changes", "mean_promised_probability_of_gain_of_changes"),
        ("regret median, % (service)", "regret_median_pct"), ("regret median, % (keep current)", "keep_regret_median_pct"),
        ("regret p90, % (service)", "regret_p90_pct"), ("regret p90, % (keep current)", "keep_regret_p90_pct"),
        ("mispriced products (best >= +2%)", "mispriced"), ("aggregate capture, %", "aggregate_capture_pct"),
        ("unconstrained best price moves the wrong way, %", "wrong_direction_of_unconstrained_pct"),
        ("service's current price differs from the regular price, %", "service_current_differs_from_regular_pct"),
        ("  median service current / regular - 1, %", "service_current_vs_regular_median_pct"),
        ("harmful although the service kept its current price, % of products", "harmful_keeping_service_current_pct"),
        ("seconds: generate / train / query", None)]


def markdown(results: list[dict]) -> str:
    head = "| | " + " | ".join(f"{r['variant']} (seed {r['seed']}, {r['mode']})" for r in results) + " |"
    out = ["# The service on unseen retail worlds (training/retail_worlds)", "",
           "Trained by `python -m pricing_training train`, scored through `GET /v1/recommendations/{stockcode}` "
           "with the default rules against the world's exact revenue curves. Regret is against the best price "
           "within +-20% of the current (regular) price. Rerun: `make eval-unseen` (scripts/check_unseen.py).", "",
           head, "|" + "---|" * (len(results) + 1)]
    for label, key in ROWS:
        if key is None and label.startswith("median elasticity"):
            cells = [f"{r['true_elasticity_median']} / {r['service_elasticity_median']}" for r in results]
        elif key is None:
            cells = [" / ".join(str(r["seconds"][k]) for k in ("generate", "train", "query")) for r in results]
        else:
            cells = [str(r.get(key)) for r in results]
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--variants", nargs="+", default=["invoice", "weekly"], choices=["invoice", "weekly"])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--lines", type=int, default=300_000)
    p.add_argument("--mode", default="full", choices=["full", "quick"], help="train preset (default full: train's default)")
    p.add_argument("--min-lines", type=int, default=100, help="score products with at least this many sale lines")
    p.add_argument("--out", type=Path, default=ROOT / "out" / "unseen")
    p.add_argument("--server", type=Path, default=SERVER,
                   help="the release pricing-server binary (default: this checkout's .build/release)")
    p.add_argument("--server-config", type=Path, default=None,
                   help="the server's JSON configuration (default: config/server.json), e.g. for an older binary")
    args = p.parse_args(argv)
    args.out = args.out.resolve()
    results = [check_variant(v, args) for v in args.variants]
    (args.out / "report.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "report.md").write_text(markdown(results))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
