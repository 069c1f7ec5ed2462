#!/bin/sh
# Runs the libFuzzer targets built by `make fuzz-build` (build/fuzz/fuzz_<target>), each for
# SECONDS, starting from its committed corpus (fuzz/corpus/<target>/, only read). New inputs
# go to build/fuzz/corpus/<target>/, crashes and property failures to
# build/fuzz/artifacts/<target>-crash-<sha1> (reproduce: build/fuzz/fuzz_<target> FILE), the
# full output to build/fuzz/<target>.log. Prints one line of figures per target and exits
# non-zero if any target found something.
#
#   scripts/fuzz.sh [SECONDS [TARGET...]]     default: 60 seconds, every target
set -u
cd "$(dirname "$0")/.."
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-$(ls fuzz/fuzz_*.c | sed 's|fuzz/fuzz_\(.*\)\.c|\1|')}
mkdir -p build/fuzz/artifacts
found=""
for t in $targets; do
    bin=build/fuzz/fuzz_$t
    log=build/fuzz/$t.log
    mkdir -p "build/fuzz/corpus/$t"
    # -max_len: the longest committed seed (an export) is well under 64 KiB.
    "$bin" -max_total_time="$secs" -max_len=65536 -timeout=20 -rss_limit_mb=4096 \
        -print_final_stats=1 -artifact_prefix="build/fuzz/artifacts/$t-" \
        "build/fuzz/corpus/$t" "fuzz/corpus/$t" >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    cov=$(grep -E '^#[0-9]+' "$log" | sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9]*\).*/\1 \2 \3/p' | tail -n 1)
    set -- $cov
    printf '  %-10s %6ss  %10s runs  %6s exec/s  cov %s  ft %s  corpus %s  %s\n' "$t" "$secs" \
        "${runs:-?}" "${eps:-?}" "${1:-?}" "${2:-?}" "${3:-?}" "$([ $rc -eq 0 ] && echo ok || echo FOUND)"
    if [ $rc -ne 0 ]; then
        found="$found $t"
        grep -E '==FUZZ==|ERROR: |runtime error|SUMMARY|Test unit written' "$log" | head -8
    fi
done
[ -z "$found" ] || { echo "fuzz: findings in:$found (logs in build/fuzz/)"; exit 1; }
