#!/usr/bin/env bash
# Runs every fuzz target and prints, per target, executions, coverage (edges: libFuzzer's "cov"),
# features and what it found; exits non-zero if any target crashed, leaked or broke a property.
#
#   run-fuzzers.sh fuzz  SECONDS   the budget split evenly over the targets; each grows its corpus
#                                  in out/fuzz/corpus/<target> from the committed seeds
#   run-fuzzers.sh smoke SECONDS   each target replays its seeds and regression inputs, then fuzzes
#                                  for SECONDS (make test); nothing is kept
#
# A crash, leak, timeout or property failure leaves its input in out/fuzz/crashes/<target>/ and the
# fuzzer's output in out/fuzz/logs/<target>.log. Run from the repository root after building the
# targets (make fuzz-build).
set -uo pipefail

mode=${1:?usage: run-fuzzers.sh fuzz|smoke SECONDS}
seconds=${2:?usage: run-fuzzers.sh fuzz|smoke SECONDS}
bin=${FUZZ_BIN:-.build/fuzz/debug}
out=out/fuzz
targets=(fuzz-http-head fuzz-chunked-body fuzz-query fuzz-lambda-event fuzz-manifest fuzz-safetensors
         fuzz-gzip fuzz-feature-store fuzz-price-response fuzz-lightgbm)

dictionary() {
    case $1 in
        fuzz-http-head|fuzz-chunked-body) echo Fuzz/dictionaries/http.dict ;;
        fuzz-query) echo Fuzz/dictionaries/query.dict ;;
        fuzz-lightgbm) echo Fuzz/dictionaries/lightgbm.dict ;;
        fuzz-gzip) echo "" ;;
        *) echo Fuzz/dictionaries/json.dict ;;
    esac
}

if [ "$mode" = fuzz ]; then
    per_target=$(( seconds / ${#targets[@]} ))
    (( per_target < 1 )) && per_target=1
else
    per_target=$seconds
fi

# The Swift runtime's own crash handler would race libFuzzer's and AddressSanitizer's reports.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
mkdir -p "$out/logs"
# The table also goes to out/fuzz/summary-<mode>.txt.
exec > >(tee "$out/summary-$mode.txt")

printf '%-20s %12s %9s %7s %9s %7s %8s %6s %10s\n' target executions exec/s edges features corpus crashes leaks properties
total_execs=0; total_crashes=0; total_leaks=0; total_properties=0; status=0; failures=()
for target in "${targets[@]}"; do
    crashes_dir="$out/crashes/$target"
    mkdir -p "$crashes_dir"
    if [ "$mode" = fuzz ]; then
        corpus="$out/corpus/$target"
    else
        corpus="$out/smoke/$target"
        rm -rf "$corpus"
    fi
    mkdir -p "$corpus"
    regressions=()
    [ -d "Fuzz/regressions/$target" ] && regressions=("Fuzz/regressions/$target")
    dict=$(dictionary "$target")
    before=$(ls "$crashes_dir" | wc -l)
    log="$out/logs/$target.log"
    # -malloc_limit_mb: a parser that sizes a buffer from a number in the file, not from the bytes
    # that are there, shows up as a malloc over 256 MB; -timeout: an endless walk as a 10 s unit.
    "$bin/$target" "$corpus" "Fuzz/corpus/$target" "${regressions[@]}" \
        -max_total_time="$per_target" -timeout=10 -rss_limit_mb=2560 -malloc_limit_mb=256 \
        -detect_leaks=1 -print_final_stats=1 ${dict:+-dict=$dict} \
        -artifact_prefix="$crashes_dir/" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    status_line=$(grep -E '^#[0-9]+' "$log" | grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9]*' | tail -1)
    edges=$(echo "$status_line" | awk '{print $2}')
    features=$(echo "$status_line" | awk '{print $4}')
    corpus_size=$(echo "$status_line" | awk '{print $6}')
    leaks=$(grep -c 'ERROR: LeakSanitizer' "$log")
    properties=$(grep -c '^PROPERTY FAILURE' "$log")
    new=$(( $(ls "$crashes_dir" | wc -l) - before ))
    crashes=$(( new > leaks ? new - leaks : 0 ))
    if (( rc != 0 && new == 0 )); then crashes=1; fi  # e.g. a crash while replaying the corpus
    printf '%-20s %12s %9s %7s %9s %7s %8s %6s %10s\n' "$target" "${execs:-?}" "${speed:-?}" "${edges:-?}" \
        "${features:-?}" "${corpus_size:-?}" "$crashes" "$leaks" "$properties"
    total_execs=$(( total_execs + ${execs:-0} ))
    total_crashes=$(( total_crashes + crashes )); total_leaks=$(( total_leaks + leaks ))
    total_properties=$(( total_properties + properties ))
    if (( rc != 0 )); then
        status=1
        failures+=("$target")
    fi
done
printf '%-20s %12s %9s %7s %9s %7s %8s %6s %10s\n' total "$total_execs" "" "" "" "" "$total_crashes" "$total_leaks" "$total_properties"
for target in "${failures[@]}"; do
    echo "$target failed: see $out/logs/$target.log; its input is in $out/crashes/$target/"
    grep -m3 -E 'PROPERTY FAILURE|ERROR: |Fatal error' "$out/logs/$target.log" | cut -c1-400 | sed 's/^/    /'
done
exit $status
