#!/usr/bin/env bash
# Hot reload under load (release build, loopback): uncached predict-price requests from wrk for 12 s,
# once without a reload (the baseline) and once with POST /admin/reload swapping to a second version
# 4 s in. Reports how long the reload took inside the service, and what the load saw: failed
# requests, latency percentiles and throughput, against the baseline measured in the same run.
# Usage: scripts/bench-reload.sh SERVER_BINARY MODELS_ROOT OUT_DIR
set -euo pipefail
[[ $# -eq 3 ]] || { echo "usage: $0 SERVER_BINARY MODELS_ROOT OUT_DIR" >&2; exit 2; }
SERVER=$(realpath "$1"); MODELS=$(realpath "$2"); OUT=$(realpath -m "$3")
mkdir -p "$OUT"
log() { echo "bench-reload: $*" >&2; }
command -v wrk >/dev/null || { log "wrk is missing (make bench installs it via scripts/bench-http.sh)"; exit 1; }

root=$(mktemp -d /tmp/pricing-bench-reload.XXXXXX)
server_pid=
cleanup() { [[ -n $server_pid ]] && kill -TERM "$server_pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$root"; }
trap cleanup EXIT
version=$(cat "$MODELS/LATEST")
cp -R "$MODELS/$version" "$root/$version"
cp -R "$MODELS/$version" "$root/$version-next"
python3 - "$root/$version-next/manifest.json" "$version-next" <<'PY'
import json, sys
path, name = sys.argv[1], sys.argv[2]
manifest = json.load(open(path))
manifest["model_version"] = name
json.dump(manifest, open(path, "w"))
PY
echo "$version" > "$root/LATEST"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
token=bench-$RANDOM$RANDOM
LOG_LEVEL=notice CACHE_MAX_BYTES=0 CLIENT_WORK_MS_PER_SECOND=0 ADMIN_TOKEN=$token "$SERVER" serve --host 127.0.0.1 --port "$port" --models "$root" \
  2> "$OUT/server.log" &
server_pid=$!
for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/readyz" && break; sleep 0.2; done
url="http://127.0.0.1:$port/v1/predict-price/85123A?num_price_bins=100"

log "baseline: wrk -t2 -c16 -d12s (no reload)"
wrk -t2 -c16 -d12s --latency "$url" > "$OUT/wrk-baseline.txt"
log "with a reload 4 s in"
wrk -t2 -c16 -d12s --latency "$url" > "$OUT/wrk-reload.txt" &
wrk_pid=$!
sleep 4
echo "$version-next" > "$root/LATEST.tmp" && mv "$root/LATEST.tmp" "$root/LATEST"
answer=$(curl -s -X POST -H "Authorization: Bearer $token" "http://127.0.0.1:$port/admin/reload")
wait "$wrk_pid"
serving=$(curl -s "http://127.0.0.1:$port/readyz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["model_version"])')

python3 - "$OUT" "$answer" "$serving" "$version-next" <<'PY'
import json, re, sys
out, answer, serving, expected = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4]
def ms(text):
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]
def parse(path):
    text = open(path).read()
    pct = {p: ms(v) for p, v in re.findall(r"^\s+(50|90|99)%\s+(\S+)", text, re.M)}
    maximum = ms(re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", text).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    requests = int(re.search(r"(\d+) requests in", text).group(1))
    non2xx = int((re.search(r"Non-2xx or 3xx responses: (\d+)", text) or [0, 0])[1])
    errors = sum(int(n) for n in (re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text) or [0]).groups()) \
        if "Socket errors" in text else 0
    return {"requests": requests, "rps": rps, "p50_ms": pct["50"], "p99_ms": pct["99"], "max_ms": maximum, "failed": non2xx + errors}
base, reload = parse(f"{out}/wrk-baseline.txt"), parse(f"{out}/wrk-reload.txt")
result = {"reload_seconds": answer.get("seconds"), "reload_result": answer.get("result"), "serving_after": serving,
          "baseline": base, "with_reload": reload,
          "rps_ratio": round(reload["rps"] / base["rps"], 3), "p99_ratio": round(reload["p99_ms"] / base["p99_ms"], 3)}
json.dump(result, open(f"{out}/reload.json", "w"), indent=2)
print(f"\nHot reload under load (release, loopback, wrk -t2 -c16 12 s, uncached predict-price, 100 prices)")
print(f"  reload of the default set inside the service   {answer.get('seconds', float('nan')):.3f} s ({answer.get('result')}, now serving {serving})")
print(f"  failed requests during the reload run          {reload['failed']} of {reload['requests']}")
print(f"  req/s        baseline {base['rps']:8.0f}   with reload {reload['rps']:8.0f}   ratio {result['rps_ratio']}")
print(f"  p50 ms       baseline {base['p50_ms']:8.2f}   with reload {reload['p50_ms']:8.2f}")
print(f"  p99 ms       baseline {base['p99_ms']:8.2f}   with reload {reload['p99_ms']:8.2f}   ratio {result['p99_ratio']}")
print(f"  max ms       baseline {base['max_ms']:8.2f}   with reload {reload['max_ms']:8.2f}")
print(f"  JSON: {out}/reload.json")
ok = answer.get("result") == "swapped" and serving == expected and reload["failed"] == 0
sys.exit(0 if ok else 1)
PY
