#!/usr/bin/env bash
# The API contract check: starts the release server on a free loopback port with the committed models and
# an admin token, runs Schemathesis over every operation of its /openapi.json (every phase, every check,
# the hooks and configuration in scripts/api-contract/), and stops the server whatever happens.
# Usage: scripts/check-api-contract.sh SERVER_BINARY SCHEMATHESIS SECONDS SEED [OUT_DIR]
#   SECONDS is the whole budget: server start, Schemathesis's start and its run (--max-time gets the rest).
set -euo pipefail
binary=$(readlink -f "$1") schemathesis=$(readlink -f "$2") seconds=$3 seed=$4
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${5:-$repo/out/api-contract}
fail() { echo "check-api-contract: FAIL: $*" >&2; exit 1; }
[ -x "$binary" ] || fail "$1 is missing (make build)"
[ -x "$schemathesis" ] || fail "$2 is missing (make python-deps)"
mkdir -p "$out"
out=$(cd "$out" && pwd)
started=$(date +%s)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ADMIN_TOKEN=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
export ADMIN_TOKEN
rm -f "$out/ledger.sqlite" "$out/ledger.sqlite-wal" "$out/ledger.sqlite-shm"
# The service-wide cap on new repricing runs (60 a minute by default) is lifted: on a fast machine Schemathesis
# asks for more distinct runs than that, POST /v1/recommendations then answers mostly 429 and Schemathesis fails
# the run for it ("rate_limited"), its logic untested. The cap has its own tests (AdmissionTests).
(cd "$repo" && exec env HOST=127.0.0.1 PORT="$port" MODELS=models ADMIN_TOKEN="$ADMIN_TOKEN" RELOAD_INTERVAL_SECONDS=0 \
   MAX_NEW_RUNS_PER_MINUTE=100000 LEDGER_PATH="$out/ledger.sqlite" DATABASE_URL= REDIS_URL= LOG_LEVEL=warning "$binary" serve) > "$out/server.log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do
  curl -fsS "http://127.0.0.1:$port/readyz" > /dev/null 2>&1 && break
  kill -0 $pid 2>/dev/null || { cat "$out/server.log" >&2; fail "the server exited"; }
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/readyz" > /dev/null || fail "the server is not ready after 20 s"

# Schemathesis's own start (imports, loading the schema) takes a few seconds of the budget too.
budget=$(( seconds - ($(date +%s) - started) - 5 ))
[ "$budget" -ge 10 ] || budget=10
cd "$out"
set +e
SCHEMATHESIS_HOOKS="$repo/scripts/api-contract/hooks.py" "$schemathesis" --config-file "$repo/scripts/api-contract/schemathesis.toml" \
  run "http://127.0.0.1:$port/openapi.json" --seed "$seed" --max-time "$budget" \
  --report junit --report-dir "$out/report"
status=$?
set -e
kill -0 $pid 2>/dev/null || { tail -n 50 "$out/server.log" >&2; fail "the server died during the run"; }
echo "check-api-contract: $(( $(date +%s) - started )) s in all (server log: $out/server.log, reports: $out/report)"
exit $status
