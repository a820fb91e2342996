#!/usr/bin/env bash
# Sales ingest into PostgreSQL vs SQLite in the same run (release build): LINES generated invoice lines
# (default 1,000,000; the generator of scripts/bench-ingest.sh) through `pricing-server ingest`, once into a
# fresh SQLite file and once into a fresh database of a throwaway PostgreSQL server on loopback (initdb in
# a temporary folder, default settings: fsync and synchronous_commit on, as a real server), each then
# again (every line already present). Writes OUT_DIR/ingest-postgres.json.
# initdb and postgres refuse root: as root they run as the `postgres` user.
# Usage: scripts/bench-ingest-postgres.sh SERVER_BINARY OUT_DIR [LINES]
set -euo pipefail
[[ $# -ge 2 && $# -le 3 ]] || { echo "usage: $0 SERVER_BINARY OUT_DIR [LINES]" >&2; exit 2; }
SERVER=$(realpath "$1"); OUT=$(realpath -m "$2"); LINES=${3:-1000000}
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
[ -x "$PG_BIN/initdb" ] || { echo "no PostgreSQL server binaries (apt-get install postgresql, or set PG_BIN)" >&2; exit 1; }
mkdir -p "$OUT"
cluster=$(mktemp -d /tmp/bench-postgres.XXXXXX)
run_as=()
if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$cluster"; run_as=(setpriv --reuid=postgres --regid=postgres --init-groups); fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${run_as[@]}" "$PG_BIN/initdb" -D "$cluster/data" -U postgres -A trust -E UTF8 --locale=C >/dev/null
"${run_as[@]}" "$PG_BIN/postgres" -D "$cluster/data" -p "$port" -k "$cluster" -c listen_addresses=127.0.0.1 \
  -c shared_buffers=256MB -c max_wal_size=4GB > "$cluster/server.log" 2>&1 &
pg=$!
trap 'kill -INT $pg 2>/dev/null; wait $pg 2>/dev/null; rm -rf "$cluster"' EXIT
for _ in $(seq 1 100); do "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" && break; sleep 0.1; done
psql -X -q -h 127.0.0.1 -p "$port" -U postgres -c 'CREATE DATABASE bench' postgres
exec python3 - "$SERVER" "$OUT" "$LINES" "postgres://postgres@127.0.0.1:$port/bench" "$(dirname "$0")/bench-ingest.sh" <<'PY'
import json, os, random, re, subprocess, sys, time

server, out, lines, url, bench = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
# The same generated file as scripts/bench-ingest.sh: its generator, taken from that script.
source = open(bench).read()
exec(re.search(r"^HEADER = .*?(?=^def fresh)", source, re.S | re.M).group(0))
sales = os.path.join(out, "sales.csv")
generate(sales, lines)

def ingest(database):
    start = time.monotonic()
    done = subprocess.run([server, "ingest", "--database", database, sales], capture_output=True, text=True, check=True)
    return time.monotonic() - start, done.stdout.strip()

database = os.path.join(out, "cli.sqlite")
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(database + suffix):
        os.remove(database + suffix)
result = {"lines": lines}
for name, target in (("sqlite", database), ("postgres", url)):
    first_seconds, first = ingest(target)
    again_seconds, again = ingest(target)
    print(f"{name}: {lines} lines in {first_seconds:.1f} s ({lines / first_seconds:,.0f} lines/s; {first}); "
          f"again in {again_seconds:.1f} s ({again})")
    result[name] = {"seconds": first_seconds, "again_seconds": again_seconds, "lines_per_second": lines / first_seconds}
with open(os.path.join(out, "ingest-postgres.json"), "w") as f:
    json.dump(result, f, indent=2)
os.remove(sales)
PY
