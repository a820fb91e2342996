#!/usr/bin/env bash
# Benchmarks the pricing service's HTTP layer on loopback (127.0.0.1 only), in under 3 minutes.
#
#   scripts/bench-http.sh SERVER_BINARY MODELS_DIR OUT_DIR
#
# Measures, with wrk, in one run:
#   a. GET /healthz requests/s on the service vs the same bytes served by nginx (-t2 -c64 -d5s,
#      twice each, alternating, best of each) and the ratio service/nginx (goal >= 50%);
#   b. 1,000 concurrent keep-alive connections on /healthz (-t2 -c1000 -d5s): requests/s, socket
#      errors, non-2xx/3xx responses and the service's peak resident memory (goal < 100 MB);
#   c. p50/p99 latency and requests/s of an uncached default predict-price request (-t2 -c8 -d5s);
#   d. the same request served from the in-process cache at 50 concurrent gzip-accepting clients (-t2 -c50 -d5s):
#      p50/p99 (goal p99 <= 1 ms) and requests/s against /healthz's; as references measured the same
#      way, /healthz at 50 clients, the hit at 4 clients, and nginx serving the hit's exact bytes;
#   e. cache hits through a real redis-server (REDIS_URL), when redis-server is installed.
# Sections a-c run a server with the cache disabled (CACHE_MAX_BYTES=0) and no per-client work budget
# (CLIENT_WORK_MS_PER_SECOND=0: one load generator is one client address); d runs a second one with the cache on.
# Writes OUT_DIR/http.json and prints a table. Installs wrk and nginx with apt-get if missing
# (never starts the system nginx service: nginx runs from a private config under OUT_DIR).
# Exits non-zero if the server (or nginx) does not start; always stops both on exit.
set -euo pipefail

usage() { echo "usage: $0 SERVER_BINARY MODELS_DIR OUT_DIR" >&2; exit 2; }
[[ $# -eq 3 ]] || usage
die() { echo "bench-http: error: $*" >&2; exit 1; }
log() { echo "bench-http: $*" >&2; }

SERVER_BINARY=$(realpath -ms -- "$1")
MODELS_DIR=$(realpath -ms -- "$2")
OUT_DIR=$(realpath -ms -- "$3")
[[ -x $SERVER_BINARY && -f $SERVER_BINARY ]] || die "server binary $SERVER_BINARY is not an executable file"
[[ -d $MODELS_DIR ]] || die "models folder $MODELS_DIR does not exist"
mkdir -p "$OUT_DIR"

HOST=127.0.0.1                     # loopback only, everywhere below
HEALTHZ_BODY='{"status":"ok"}'     # the service's /healthz body, byte for byte
PREDICT_PATH=/v1/predict-price/85123A
DURATION=5s
START_SECONDS=$SECONDS
DEADLINE=$((SECONDS + 170))        # hard budget for the whole script (< 3 minutes)

# Seconds left in the budget, capped at $1; fails when the budget is spent (use as `t=$(budget N)`
# so that set -e stops the script).
budget() {
    local left=$((DEADLINE - SECONDS))
    if ((left <= 0)); then echo "bench-http: error: time budget exhausted after $((SECONDS - START_SECONDS)) s" >&2; return 1; fi
    if ((left < $1)); then echo "$left"; else echo "$1"; fi
}

# --- 1. tools -------------------------------------------------------------------------------
have_nginx() { command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]]; }
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
have_nginx || missing+=(nginx)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    SUDO=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null 2>&1 || die "need root (or sudo) to install ${missing[*]}"
        SUDO=(sudo -n)
    fi
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install ${missing[*]} by hand"
    # Keep Debian's maintainer scripts from starting the system nginx service during install.
    POLICY=/usr/sbin/policy-rc.d
    added_policy=0
    if [[ ! -e $POLICY ]]; then
        printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$POLICY" >/dev/null
        "${SUDO[@]}" chmod 755 "$POLICY"
        added_policy=1
    fi
    rc=0
    t=$(budget 60) || rc=$?
    ((rc == 0)) && { timeout "$t" "${SUDO[@]}" apt-get update -qq || rc=$?; }
    ((rc == 0)) && { t=$(budget 90) || rc=$?; }
    ((rc == 0)) && { timeout "$t" "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq "${missing[@]}" >/dev/null || rc=$?; }
    ((added_policy)) && "${SUDO[@]}" rm -f "$POLICY"
    ((rc == 0)) || die "apt-get failed (exit $rc) installing ${missing[*]}"
fi
NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)

# wrk -c1000 and the server both need more than the usual 1024 descriptors.
ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
(($(ulimit -n) >= 2100)) || log "warning: open-file limit is $(ulimit -n); the 1,000-connection test may show connect errors"

# --- helpers --------------------------------------------------------------------------------
# A currently free TCP port on 127.0.0.1 (bind port 0 with python3, else probe with ss).
free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
        return
    fi
    local port
    for _ in $(seq 1 50); do
        port=$((20000 + RANDOM % 40000))
        # ss's output captured whole: `ss | grep -q .` can end in SIGPIPE (141) under pipefail.
        [[ -n $(ss -Hltn "sport = :$port" 2>/dev/null) ]] || { echo "$port"; return; }
    done
    die "no free port found"
}

SERVER_PID='' NGINX_PID='' BG_PID='' CACHED_PID='' REDIS_PID='' REDIS_SERVER_PID=''
stop_pid() {  # stop_pid PID NAME: TERM, wait up to 5 s, then KILL
    local pid=$1 name=$2
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        log "$name (pid $pid) did not stop on SIGTERM; killing it"
        local children
        children=$(pgrep -P "$pid" 2>/dev/null || true)
        kill -KILL "$pid" $children 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    [[ -n $BG_PID ]] && kill -TERM "$BG_PID" 2>/dev/null || true
    stop_pid "$SERVER_PID" server
    stop_pid "$CACHED_PID" "cached server"
    stop_pid "$REDIS_SERVER_PID" "redis-backed server"
    stop_pid "$REDIS_PID" redis-server
    stop_pid "$NGINX_PID" nginx
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wait_for() {  # wait_for URL PID NAME LOGFILE: until curl succeeds, up to 20 s
    local url=$1 pid=$2 name=$3 logfile=$4 limit t
    t=$(budget 20)
    limit=$((SECONDS + t))
    while ((SECONDS < limit)); do
        curl -sf -o /dev/null --max-time 1 "$url" && return 0
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 20 "$logfile" >&2 || true
            die "$name exited before answering $url (log: $logfile)"
        fi
        sleep 0.2
    done
    tail -n 20 "$logfile" >&2 || true
    die "$name did not answer $url within 20 s (log: $logfile)"
}

# Runs wrk (bounded) into OUT_DIR/wrk-NAME.txt; in the background when $BG is set (pid in BG_PID).
run_wrk() {  # run_wrk NAME wrk-args...
    local name=$1; shift
    local out="$OUT_DIR/wrk-$name.txt" t
    t=$(budget 20)
    if [[ -n ${BG:-} ]]; then
        timeout "$t" wrk "$@" >"$out" 2>&1 &
        BG_PID=$!
    else
        timeout "$t" wrk "$@" >"$out" 2>&1 || die "wrk $name failed: $(tail -n 3 "$out")"
    fi
}
rps_of() { awk '/^Requests\/sec:/ {print $2}' "$1"; }
# A wrk duration ("812.00us", "1.23ms", "1.02s", "1.50m") in milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000; else if (u != "ms") { print "null"; exit }
        printf "%.3f", n }'
}
pct_ms() { local v; v=$(awk -v p="$2" '$1 == p {print $2; exit}' "$1"); [[ -n $v ]] && to_ms "$v" || echo null; }
num_or_null() { [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]] && echo "$1" || echo null; }

# --- start nginx (static file with the same bytes as /healthz) ------------------------------
NGX="$OUT_DIR/nginx"
rm -rf "$NGX"; mkdir -p "$NGX/html" "$NGX/logs" "$NGX/temp"
printf '%s' "$HEALTHZ_BODY" >"$NGX/html/healthz"
NGINX_PORT=$(free_port)
user_line=''
((EUID == 0)) && user_line='user root;'   # workers must be able to read OUT_DIR (e.g. under /root)
cat >"$NGX/nginx.conf" <<EOF
$user_line
daemon off;
worker_processes 2;
pid $NGX/logs/nginx.pid;
error_log $NGX/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $NGX/temp/client_body;
    proxy_temp_path $NGX/temp/proxy;
    fastcgi_temp_path $NGX/temp/fastcgi;
    uwsgi_temp_path $NGX/temp/uwsgi;
    scgi_temp_path $NGX/temp/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    server {
        listen $HOST:$NGINX_PORT;
        root $NGX/html;
        location = /healthz { types { } default_type application/json; }
        # A cache hit's stored bytes (gzip'd JSON), written once the cached server below is warm.
        location = /hit { types { } default_type application/json; add_header Content-Encoding gzip; }
    }
}
EOF
"$NGINX" -p "$NGX" -e "$NGX/logs/error.log" -c "$NGX/nginx.conf" >"$NGX/logs/stdout.log" 2>&1 &
NGINX_PID=$!
wait_for "http://$HOST:$NGINX_PORT/healthz" "$NGINX_PID" nginx "$NGX/logs/error.log"

# --- start the service ----------------------------------------------------------------------
SERVER_PORT=$(free_port)
SERVER_LOG="$OUT_DIR/server.stderr.log"
LOG_LEVEL=warning SHUTDOWN_GRACE_SECONDS=2 CACHE_MAX_BYTES=0 CLIENT_WORK_MS_PER_SECOND=0 \
    "$SERVER_BINARY" serve --host "$HOST" --port "$SERVER_PORT" --models "$MODELS_DIR" \
    >"$OUT_DIR/server.stdout.log" 2>"$SERVER_LOG" &
SERVER_PID=$!
log "waiting for the server (pid $SERVER_PID) on $HOST:$SERVER_PORT"
wait_for "http://$HOST:$SERVER_PORT/readyz" "$SERVER_PID" "server $SERVER_BINARY" "$SERVER_LOG"
SVC="http://$HOST:$SERVER_PORT"

# Same bytes and content type from both?
svc_body=$(curl -sf "$SVC/healthz"); ngx_body=$(curl -sf "http://$HOST:$NGINX_PORT/healthz")
[[ $svc_body == "$ngx_body" ]] || log "warning: /healthz bodies differ: service '$svc_body' vs nginx '$ngx_body'"
ngx_ct=$(curl -sfI "http://$HOST:$NGINX_PORT/healthz" | tr -d '\r' | awk -F': ' 'tolower($1)=="content-type" {print $2}')
[[ $ngx_ct == application/json ]] || log "warning: nginx Content-Type is '$ngx_ct'"
curl -sf -o /dev/null "$SVC$PREDICT_PATH" || log "warning: GET $PREDICT_PATH did not return 2xx"

# --- a. /healthz: service vs nginx ----------------------------------------------------------
best() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { print (a + 0 >= b + 0) ? a : b }'; }
healthz_rps=0 nginx_rps=0
for round in 1 2; do
    log "a. /healthz round $round: service, then nginx (-t2 -c64 -d$DURATION)"
    run_wrk "healthz-$round" -t2 -c64 -d"$DURATION" "$SVC/healthz"
    healthz_rps=$(best "$healthz_rps" "$(rps_of "$OUT_DIR/wrk-healthz-$round.txt")")
    run_wrk "nginx-$round" -t2 -c64 -d"$DURATION" "http://$HOST:$NGINX_PORT/healthz"
    nginx_rps=$(best "$nginx_rps" "$(rps_of "$OUT_DIR/wrk-nginx-$round.txt")")
done
ratio=$(awk -v s="$healthz_rps" -v n="$nginx_rps" 'BEGIN { if (n > 0) printf "%.3f", s / n; else print "null" }')

# --- b. 1,000 keep-alive connections, with peak RSS ------------------------------------------
log "b. 1,000 connections on /healthz (-t2 -c1000 -d$DURATION), sampling VmRSS every 0.5 s"
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null || echo 0; }
max_rss_kb=$(rss_kb)
BG=1 run_wrk c1000 -t2 -c1000 -d"$DURATION" "$SVC/healthz"
while kill -0 "$BG_PID" 2>/dev/null; do
    r=$(rss_kb); ((${r:-0} > max_rss_kb)) && max_rss_kb=$r
    sleep 0.5
done
wait "$BG_PID" || die "wrk c1000 failed: $(tail -n 3 "$OUT_DIR/wrk-c1000.txt")"
BG_PID=''
r=$(rss_kb); ((${r:-0} > max_rss_kb)) && max_rss_kb=$r
kill -0 "$SERVER_PID" 2>/dev/null || die "the server died during the 1,000-connection test (log: $SERVER_LOG)"
C1000="$OUT_DIR/wrk-c1000.txt"
c1000_rps=$(rps_of "$C1000")
sock() { awk -v k="$1" '/Socket errors:/ { for (i = 1; i <= NF; i++) if ($i == k) { v = $(i + 1); sub(/,/, "", v); print v } }' "$C1000"; }
se_connect=$(sock connect); se_read=$(sock read); se_write=$(sock write); se_timeout=$(sock timeout)
c1000_non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$C1000")
max_rss_mb=$(awk -v k="$max_rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')

# --- c. predict-price latency ---------------------------------------------------------------
log "c. GET $PREDICT_PATH (-t2 -c8 -d$DURATION --latency)"
run_wrk predict -t2 -c8 -d"$DURATION" --latency "$SVC$PREDICT_PATH"
PRED="$OUT_DIR/wrk-predict.txt"
predict_rps=$(rps_of "$PRED")
predict_p50=$(pct_ms "$PRED" 50%)
predict_p99=$(pct_ms "$PRED" 99%)
predict_non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$PRED")
[[ -z $predict_non2xx ]] || log "warning: $predict_non2xx non-2xx/3xx predict responses"

# --- d. predict-price from the cache ---------------------------------------------------------
# Starts a server with a cache (extra environment in "$@"), waits until ready, and warms the entry:
# start_cached_server NAME PORT [VAR=value...]; sets STARTED_PID.
start_cached_server() {
    local name=$1 port=$2; shift 2
    env LOG_LEVEL=warning SHUTDOWN_GRACE_SECONDS=2 "$@" \
        "$SERVER_BINARY" serve --host "$HOST" --port "$port" --models "$MODELS_DIR" \
        >"$OUT_DIR/$name.stdout.log" 2>"$OUT_DIR/$name.stderr.log" &
    STARTED_PID=$!
    wait_for "http://$HOST:$port/readyz" "$STARTED_PID" "$name server" "$OUT_DIR/$name.stderr.log"
    curl -sf -o /dev/null "http://$HOST:$port$PREDICT_PATH" || log "warning: warm-up request failed"
    local hit
    hit=$(curl -sfI "http://$HOST:$port$PREDICT_PATH" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-cache" {print $2}')
    [[ $hit == HIT ]] || log "warning: the $name server answered X-Cache '$hit'"
}
CACHED_PORT=$(free_port)
start_cached_server cached "$CACHED_PORT"
CACHED_PID=$STARTED_PID
log "d. cache hits: GET $PREDICT_PATH (-t2 -c50 -d$DURATION --latency)"
# With Accept-Encoding: gzip, as browsers (the dashboard) send it: hits are served as stored.
run_wrk cached -t2 -c50 -d"$DURATION" --latency -H "Accept-Encoding: gzip" "http://$HOST:$CACHED_PORT$PREDICT_PATH"
CACHED="$OUT_DIR/wrk-cached.txt"
cached_rps=$(rps_of "$CACHED")
cached_p50=$(pct_ms "$CACHED" 50%)
cached_p99=$(pct_ms "$CACHED" 99%)
cached_vs_healthz=$(awk -v c="$cached_rps" -v h="$healthz_rps" 'BEGIN { if (h > 0) printf "%.3f", c / h; else print "null" }')
# The floor of latency at 50 closed-loop clients on this machine: /healthz (no work at all) measured the
# same way. With 50 clients, mean latency = 50 / throughput, so p99 <= 1 ms needs far more than 50k req/s.
log "d2. /healthz at c50 (latency floor) and cache hits at c4 (service time without queueing)"
run_wrk healthz-c50 -t2 -c50 -d"$DURATION" --latency "http://$HOST:$CACHED_PORT/healthz"
floor_p50=$(pct_ms "$OUT_DIR/wrk-healthz-c50.txt" 50%)
floor_p99=$(pct_ms "$OUT_DIR/wrk-healthz-c50.txt" 99%)
run_wrk cached-c4 -t1 -c4 -d"$DURATION" --latency -H "Accept-Encoding: gzip" "http://$HOST:$CACHED_PORT$PREDICT_PATH"
cached_c4_p50=$(pct_ms "$OUT_DIR/wrk-cached-c4.txt" 50%)
cached_c4_p99=$(pct_ms "$OUT_DIR/wrk-cached-c4.txt" 99%)
# The same answer from nginx: the cache hit's exact bytes as a static file, 50 clients, same run. What
# any server on this machine gets for these bytes at this concurrency, against which to judge the hit path.
curl -sf -H "Accept-Encoding: gzip" -o "$NGX/html/hit" "http://$HOST:$CACHED_PORT$PREDICT_PATH" || die "cannot fetch the cached answer"
hit_bytes=$(stat -c %s "$NGX/html/hit")
log "d3. nginx serving the cache hit's $hit_bytes bytes (-t2 -c50 -d$DURATION --latency)"
run_wrk nginx-hit -t2 -c50 -d"$DURATION" --latency "http://$HOST:$NGINX_PORT/hit"
nginx_hit_rps=$(rps_of "$OUT_DIR/wrk-nginx-hit.txt")
nginx_hit_p50=$(pct_ms "$OUT_DIR/wrk-nginx-hit.txt" 50%)
nginx_hit_p99=$(pct_ms "$OUT_DIR/wrk-nginx-hit.txt" 99%)
cached_vs_nginx_hit=$(awk -v c="$cached_rps" -v n="$nginx_hit_rps" 'BEGIN { if (n > 0) printf "%.3f", c / n; else print "null" }')

# --- e. cache hits through Redis (the shared cache of a multi-replica deployment) ------------------
redis_p50=null redis_p99=null redis_rps=''
if command -v redis-server >/dev/null 2>&1; then
    stop_pid "$CACHED_PID" "cached server"; CACHED_PID=''
    REDIS_PORT=$(free_port)
    redis-server --port "$REDIS_PORT" --bind "$HOST" --save '' --appendonly no >"$OUT_DIR/redis.log" 2>&1 &
    REDIS_PID=$!
    REDIS_SERVER_PORT=$(free_port)
    start_cached_server redis-backed "$REDIS_SERVER_PORT" REDIS_URL="redis://$HOST:$REDIS_PORT"
    REDIS_SERVER_PID=$STARTED_PID
    log "e. cache hits through Redis (-t2 -c50 -d$DURATION --latency)"
    run_wrk redis -t2 -c50 -d"$DURATION" --latency -H "Accept-Encoding: gzip" "http://$HOST:$REDIS_SERVER_PORT$PREDICT_PATH"
    redis_rps=$(rps_of "$OUT_DIR/wrk-redis.txt")
    redis_p50=$(pct_ms "$OUT_DIR/wrk-redis.txt" 50%)
    redis_p99=$(pct_ms "$OUT_DIR/wrk-redis.txt" 99%)
else
    log "redis-server is not installed (make test installs it); skipping the Redis-backed hits"
fi

# --- report ---------------------------------------------------------------------------------
cat >"$OUT_DIR/http.json" <<EOF
{
  "healthz_rps": $(num_or_null "$healthz_rps"),
  "nginx_rps": $(num_or_null "$nginx_rps"),
  "healthz_vs_nginx": $ratio,
  "c1000_rps": $(num_or_null "$c1000_rps"),
  "c1000_socket_errors": {"connect": ${se_connect:-0}, "read": ${se_read:-0}, "write": ${se_write:-0}, "timeout": ${se_timeout:-0}},
  "c1000_non2xx": ${c1000_non2xx:-0},
  "c1000_max_rss_mb": $max_rss_mb,
  "predict_p50_ms": $predict_p50,
  "predict_p99_ms": $predict_p99,
  "predict_rps": $(num_or_null "$predict_rps"),
  "cached_p50_ms": $cached_p50,
  "cached_p99_ms": $cached_p99,
  "cached_rps": $(num_or_null "$cached_rps"),
  "cached_vs_healthz": $cached_vs_healthz,
  "healthz_c50_p50_ms": $floor_p50,
  "healthz_c50_p99_ms": $floor_p99,
  "cached_c4_p50_ms": $cached_c4_p50,
  "cached_c4_p99_ms": $cached_c4_p99,
  "hit_bytes": ${hit_bytes:-null},
  "nginx_hit_p50_ms": $nginx_hit_p50,
  "nginx_hit_p99_ms": $nginx_hit_p99,
  "nginx_hit_rps": $(num_or_null "$nginx_hit_rps"),
  "cached_vs_nginx_hit": $cached_vs_nginx_hit,
  "redis_hit_p50_ms": $redis_p50,
  "redis_hit_p99_ms": $redis_p99,
  "redis_hit_rps": $(num_or_null "$redis_rps")
}
EOF

verdict() { awk -v v="$1" -v op="$2" -v g="$3" 'BEGIN { if (v == "null") print "?"; else if (op == ">=" ? v + 0 >= g : v + 0 < g) print "ok"; else print "MISSED" }'; }
errors_total=$((${se_connect:-0} + ${se_read:-0} + ${se_write:-0} + ${se_timeout:-0}))
{
    echo
    echo "HTTP benchmark (loopback, $(nproc) cores, wrk $DURATION runs; raw output in $OUT_DIR/wrk-*.txt)"
    printf '  %-34s %14s   %s\n' measurement value goal
    printf '  %-34s %14s\n' "/healthz service req/s (best of 2)" "$healthz_rps"
    printf '  %-34s %14s\n' "/healthz nginx req/s (best of 2)" "$nginx_rps"
    printf '  %-34s %14s   >= 0.50 %s\n' "service / nginx" "$ratio" "$(verdict "$ratio" '>=' 0.5)"
    printf '  %-34s %14s\n' "c1000 req/s" "$c1000_rps"
    printf '  %-34s %14s   0 %s\n' "c1000 socket errors (c/r/w/t)" "${se_connect:-0}/${se_read:-0}/${se_write:-0}/${se_timeout:-0}" \
        "$( ((errors_total == 0)) && echo ok || echo MISSED)"
    printf '  %-34s %14s   0 %s\n' "c1000 non-2xx/3xx responses" "${c1000_non2xx:-0}" "$( ((${c1000_non2xx:-0} == 0)) && echo ok || echo MISSED)"
    printf '  %-34s %14s   < 100 %s\n' "c1000 max server RSS (MB)" "$max_rss_mb" "$(verdict "$max_rss_mb" '<' 100)"
    printf '  %-34s %14s\n' "uncached predict p50 (ms)" "$predict_p50"
    printf '  %-34s %14s\n' "uncached predict p99 (ms)" "$predict_p99"
    printf '  %-34s %14s\n' "uncached predict req/s" "$predict_rps"
    printf '  %-34s %14s\n' "cache-hit predict p50 (ms, c50)" "$cached_p50"
    printf '  %-34s %14s   <= 1 %s\n' "cache-hit predict p99 (ms, c50)" "$cached_p99" "$(verdict "$cached_p99" '<' 1.0001)"
    printf '  %-34s %14s\n' "cache-hit predict req/s" "$cached_rps"
    printf '  %-34s %14s\n' "cache hits / healthz req/s" "$cached_vs_healthz"
    printf '  %-34s %14s\n' "/healthz p50 / p99 (ms, c50)" "$floor_p50 / $floor_p99"
    printf '  %-34s %14s   <= 1 %s\n' "cache-hit predict p99 (ms, c4)" "$cached_c4_p99" "$(verdict "$cached_c4_p99" '<' 1.0001)"
    printf '  %-34s %14s\n' "cache-hit predict p50 (ms, c4)" "$cached_c4_p50"
    printf '  %-34s %14s\n' "nginx, same bytes: p50 / p99 (c50)" "$nginx_hit_p50 / $nginx_hit_p99"
    printf '  %-34s %14s\n' "nginx, same bytes: req/s (c50)" "$nginx_hit_rps"
    printf '  %-34s %14s\n' "cache hits / nginx same bytes" "$cached_vs_nginx_hit"
    printf '  %-34s %14s\n' "Redis hit p50 / p99 (ms, c50)" "$redis_p50 / $redis_p99"
    printf '  %-34s %14s\n' "Redis hit req/s (c50)" "$redis_rps"
    echo "  JSON: $OUT_DIR/http.json   (took $((SECONDS - START_SECONDS)) s)"
}
