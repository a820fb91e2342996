#!/usr/bin/env bash
# Sales ingest (release build): LINES generated invoice lines in the UCI schema (default 1,000,000; a
# few lines per invoice, 4,000 products) through `pricing-server ingest` into a fresh ledger, then the
# same file again (every line already present), then the first 200,000 lines over HTTP as POST
# /v1/sales bodies of 10,000 lines (about 0.8 MB, under the 1 MiB body limit), one after another on
# loopback into another fresh ledger. Targets (issue 21): 1M lines through the CLI in 60 s or less,
# 20,000 lines/s or more over HTTP. Writes OUT_DIR/ingest.json.
# Usage: scripts/bench-ingest.sh SERVER_BINARY MODELS OUT_DIR [LINES]
set -euo pipefail
[[ $# -ge 3 && $# -le 4 ]] || { echo "usage: $0 SERVER_BINARY MODELS OUT_DIR [LINES]" >&2; exit 2; }
SERVER=$(realpath "$1"); MODELS=$(realpath "$2"); OUT=$(realpath -m "$3"); LINES=${4:-1000000}
mkdir -p "$OUT"
exec python3 - "$SERVER" "$MODELS" "$OUT" "$LINES" <<'PY'
import json, os, random, socket, subprocess, sys, time, urllib.request

server, models, out, lines = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"

def generate(path, n):
    rng = random.Random(7)
    with open(path, "w") as f:
        f.write(HEADER)
        invoice, written = 536365, 0
        while written < n:
            customer = rng.randint(12000, 18000)
            date = f"{rng.randint(1, 12)}/{rng.randint(1, 28)}/2011 {rng.randint(7, 20)}:{rng.randint(0, 59):02d}"
            for _ in range(min(rng.randint(1, 20), n - written)):
                code = rng.randint(20000, 23999)
                f.write(f'{invoice},{code},"PRODUCT {code}, SIZE L",{rng.randint(1, 24)},{date},{rng.randint(10, 2000) / 100},'
                        f"{customer}.0,United Kingdom\n")
                written += 1
            invoice += 1

def fresh(path):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    return path

def ingest(database, sales):
    start = time.monotonic()
    done = subprocess.run([server, "ingest", "--database", database, sales], capture_output=True, text=True, check=True)
    return time.monotonic() - start, done.stdout.strip()

sales = os.path.join(out, "sales.csv")
generate(sales, lines)
database = fresh(os.path.join(out, "cli.sqlite"))
first_seconds, first = ingest(database, sales)
again_seconds, again = ingest(database, sales)
print(f"CLI: {lines} lines in {first_seconds:.1f} s ({first}); again in {again_seconds:.1f} s ({again})")

with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
token = os.urandom(16).hex()
env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in ("MODELS", "REDIS_URL", "DATABASE_URL")}
env.update(HOST="127.0.0.1", PORT=str(port), ADMIN_TOKEN=token, LOG_LEVEL="warning",
           LEDGER_PATH=fresh(os.path.join(out, "http.sqlite")), MODELS=models)
proc = subprocess.Popen([server, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    with open(sales) as f:
        body_lines = f.read().splitlines(keepends=True)[1:200_001]
    bodies = [(HEADER + "".join(body_lines[i:i + 10_000])).encode() for i in range(0, len(body_lines), 10_000)]
    added = 0
    start = time.monotonic()
    for body in bodies:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/sales", data=body, method="POST",
                                         headers={"Content-Type": "text/csv", "Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=120) as answer:
            added += json.load(answer)["added"] + 0
    http_seconds = time.monotonic() - start
finally:
    proc.terminate()
    proc.wait(timeout=30)
rate = len(body_lines) / http_seconds
print(f"HTTP: {len(body_lines)} lines in {len(bodies)} bodies in {http_seconds:.1f} s: {rate:,.0f} lines/s ({added} added)")
with open(os.path.join(out, "ingest.json"), "w") as f:
    json.dump({"lines": lines, "cli_seconds": first_seconds, "cli_again_seconds": again_seconds,
               "http_lines": len(body_lines), "http_seconds": http_seconds, "http_lines_per_second": rate}, f, indent=2)
os.remove(sales)
PY
