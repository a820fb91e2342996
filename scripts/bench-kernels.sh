#!/usr/bin/env bash
# The dense kernel on each layer shape of the reference network against NumPy's sgemm on the same
# shape, as `make bench` compares them, but only those rows and ROUNDS times, alternately (Swift's
# `bench --kernels-only`, then `bench-reference --layers-only`), so that each pair sees the same state
# of a shared machine. Prints every round's ratio and the median per shape and variant.
# NumPy runs OpenBLAS with its default thread count and the Swift kernel splits rows across all cores.
# Usage: scripts/bench-kernels.sh SERVER_BINARY REFERENCE_DIR [ROUNDS] [extra bench flags, e.g. --no-huge-pages]
# (REFERENCE_DIR: python -m pricing_training reference-network, e.g. out/bench/reference-network.)
set -euo pipefail
[[ $# -ge 2 ]] || { echo "usage: $0 SERVER_BINARY REFERENCE_DIR [ROUNDS] [bench flags...]" >&2; exit 2; }
SERVER=$(realpath "$1"); REFERENCE=$(realpath "$2"); ROUNDS=${3:-5}; shift $(( $# < 3 ? $# : 3 ))
HERE=$(cd "$(dirname "$0")/.." && pwd)
PY=${PY:-$HERE/.venv/bin/python}
OUT=$(mktemp -d /tmp/pricing-bench-kernels.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
for i in $(seq 1 "$ROUNDS"); do
  "$SERVER" bench --models "$HERE/models" --reference "$REFERENCE" --kernels-only "$@" --json "$OUT/swift-$i.json" > /dev/null
  PYTHONPATH="$HERE/training" "$PY" -m pricing_training bench-reference --models "$REFERENCE" --layers-only \
    --json "$OUT/numpy-$i.json" > /dev/null
done
python3 - "$OUT" "$ROUNDS" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
runs = [(json.load(open(f"{out}/swift-{i}.json")), json.load(open(f"{out}/numpy-{i}.json"))) for i in range(1, rounds + 1)]
swift0 = runs[0][0]
selected = next(n for n in swift0["notes"] if n.startswith("dense kernel variant: ")).split(" ")[3]
variants = [selected] + [s["stage"].split(":")[0][len("variant "):] for s in swift0["rows"]
                         if s["stage"].startswith("variant ") and s["stage"].endswith("x1")]
print(f"GFLOP/s, median of {rounds} alternating rounds (ratio = Swift / NumPy per round, then the median); "
      + next(n for n in swift0["notes"] if n.startswith("kernel rows:")))
for layer in runs[0][1]["numpy_sgemm"]:
    shape = f"{layer['rows']}x{layer['inputs']} · {layer['inputs']}x{layer['outputs']}"
    numpy = [next(l for l in n["numpy_sgemm"] if l["shape"] == layer["shape"])["gflops"] for _, n in runs]
    line = f"{shape:24s} NumPy {statistics.median(numpy):6.1f}"
    for v in variants:
        name = f"kernel: {shape}" if v == selected else f"variant {v}: kernel: {shape}"
        swift = [next(r for r in s["rows"] if r["stage"] == name)["gflops"] for s, _ in runs]
        ratios = [a / b for a, b in zip(swift, numpy)]
        line += (f" | {v} {statistics.median(swift):6.1f} = {100 * statistics.median(ratios):4.0f}%"
                 f" ({' '.join(f'{100 * r:.0f}' for r in ratios)})")
    print(line)
PY
