#!/usr/bin/env bash
# Checks an installed image tree (make install DESTDIR=...) the way the container runs it:
#   1. every shared library the binary links directly comes from deploy/runtime-packages.txt (or the
#      slim base: libc6, libgcc-s1), so the runtime stage's package list is complete;
#   2. the Dockerfile really runs these steps (make install, that package list, user, paths, healthcheck);
#   3. the service starts from the tree as an unprivileged user with the image's environment, the
#      HEALTHCHECK command passes, the API and the dashboard answer, and SIGTERM exits 0.
# Usage: scripts/check-image.sh out/image-root/opt/pricing
set -euo pipefail
tree=$(cd "$1" && pwd)
repo=$(cd "$(dirname "$0")/.." && pwd)
binary="$tree/bin/pricing-server"
fail() { echo "check-image: FAIL: $*" >&2; exit 1; }
[ -x "$binary" ] || fail "$binary is missing"

# 1. Runtime libraries. Each tool's output is captured whole before it is filtered: with pipefail, a
#    filter that stops reading early (awk's exit, head, grep -q) makes the writer die of SIGPIPE (141).
allowed=" libc6 libgcc-s1 $(tr '\n' ' ' < "$repo/deploy/runtime-packages.txt") "
dynamic_section=$(readelf -d "$binary")
library_cache=$(ldconfig -p)
for lib in $(sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' <<<"$dynamic_section"); do
  path=$(awk -v l="$lib" '$1 == l && /x86-64/ && !found { print $NF; found = 1 }' <<<"$library_cache")
  [ -n "$path" ] || fail "$lib (needed by the binary) is not installed here"
  owners=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null || dpkg -S "$path" 2>/dev/null || true)
  package=$(awk -F: 'NR == 1 { print $1 }' <<<"$owners")
  case "$allowed" in *" $package "*) echo "  $lib <- $package" ;; *) fail "$lib comes from '$package', which deploy/runtime-packages.txt does not list" ;; esac
done
if grep -q 'libswiftCore' <<<"$dynamic_section"; then fail "the Swift runtime is linked dynamically (build with --static-swift-stdlib)"; fi

# 2. The Dockerfile runs the same steps.
dockerfile="$repo/Dockerfile"
for expected in 'RUN make build-deps' 'RUN make install PREFIX=/opt/pricing' 'deploy/runtime-packages.txt' 'USER pricing' \
                'WORKDIR /opt/pricing' '"healthcheck", "--path", "/healthz"' 'FROM debian:bookworm-slim' '--uid 10001'; do
  grep -qF -- "$expected" "$dockerfile" || fail "the Dockerfile no longer has: $expected"
done
grep -qE '^(COPY|ADD) .*(\.env|credentials|\.aws)' "$dockerfile" && fail "the Dockerfile copies credentials"
for secret in .env .aws credentials .venv data out .build; do
  grep -qxF -- "$secret" "$repo/.dockerignore" || grep -qxF -- "**/$secret" "$repo/.dockerignore" || fail ".dockerignore does not exclude $secret"
done

# 3. Run it as the image does: WORKDIR /opt/pricing, its ENV, an unprivileged user.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
run_as=()
# As the image's `pricing` user (uid 10001, see the Dockerfile), when we may switch users.
if [ "$(id -u)" = 0 ]; then run_as=(setpriv --reuid=10001 --regid=10001 --clear-groups); fi
(cd "$tree" && exec env -i PATH=/usr/bin:/bin HOST=127.0.0.1 PORT="$port" MODELS_CACHE_DIR=/tmp/pricing-image-check-cache \
   "${run_as[@]}" "$binary" serve) 2> "$log" &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true; rm -f "$log"' EXIT
healthy=
for _ in $(seq 1 100); do
  if (cd "$tree" && PORT="$port" "${run_as[@]}" "$binary" healthcheck --path /readyz 2>/dev/null); then healthy=1; break; fi
  kill -0 $pid 2>/dev/null || { cat "$log" >&2; fail "the service exited"; }
  sleep 0.2
done
[ -n "$healthy" ] || { cat "$log" >&2; fail "not ready after 20 s"; }
PORT="$port" "$binary" healthcheck || fail "the HEALTHCHECK command fails"
curl -fsS "http://127.0.0.1:$port/v1/predict-price/85123A?num_price_bins=5" | python3 -c 'import json,sys; rows=json.load(sys.stdin); assert len(rows) == 5, rows' \
  || fail "predict-price does not answer 5 rows"
page=$(curl -fsS "http://127.0.0.1:$port/") || fail "GET / failed"
grep -qi '<!doctype html>' <<<"$page" || fail "the dashboard page is not served"
kill -TERM $pid
wait $pid || fail "SIGTERM did not exit 0"
echo "check-image: OK ($tree runs as uid $( [ ${#run_as[@]} -gt 0 ] && echo 10001 || id -u ), libraries from deploy/runtime-packages.txt)"
