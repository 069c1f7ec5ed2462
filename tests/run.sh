#!/bin/sh
# Runs every test callproof has, twice: against the release build and against the ASan+UBSan
# build (unit tests and the black-box suite with the sanitized server), then a short pass of
# every fuzz target (its committed corpus, then a few seconds of fuzzing). Prints one line per
# stage and ends with the summary line "N passed, M failed". Exit status is non-zero if any
# test failed or any stage could not run. Called by `make test` after the builds.
set -u
cd "$(dirname "$0")/.."

passed=0
failed=0
broken=""
log_dir=build/test-logs
mkdir -p "$log_dir"

# cmocka prints "[  PASSED  ] N test(s)." and "[  FAILED  ] M test(s), listed below:".
run_unit() { # $1 = label, rest = command
    label=$1
    shift
    out="$log_dir/$(echo "$label" | tr '/ ' '__').log"
    "$@" >"$out" 2>&1
    rc=$?
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n 1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n 1)
    p=${p:-0}
    f=${f:-0}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1 # crashed (sanitizer report, abort) without cmocka counting a failure
        broken="$broken $label"
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    printf '  %-40s %3d passed, %d failed\n' "$label" "$p" "$f"
    [ "$f" -eq 0 ] || sed -n '1,200p' "$out" | grep -E 'FAILED|ERROR|error|runtime error|Sanitizer' | head -20
}

# node --test with the TAP reporter ends with "# pass N" and "# fail M".
run_node() { # $1 = label, rest = env assignments
    label=$1
    shift
    out="$log_dir/$(echo "$label" | tr '/ ' '__').log"
    env "$@" node --test --test-reporter=tap --test-concurrency=1 tests/blackbox/ >"$out" 2>&1
    rc=$?
    p=$(sed -n 's/^# pass \([0-9]*\)/\1/p' "$out" | tail -n 1)
    f=$(sed -n 's/^# fail \([0-9]*\)/\1/p' "$out" | tail -n 1)
    p=${p:-0}
    f=${f:-0}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
        broken="$broken $label"
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    printf '  %-40s %3d passed, %d failed\n' "$label" "$p" "$f"
    [ "$f" -eq 0 ] || grep -E '^not ok|# Subtest|error:|Sanitizer|runtime error' "$out" | head -40
}

echo "== docs"
if build/tools/errors_md | cmp -s - docs/ERRORS.md; then
    passed=$((passed + 1))
    echo "  docs/ERRORS.md matches src/core/errors.def   1 passed, 0 failed"
else
    failed=$((failed + 1))
    echo "  docs/ERRORS.md is stale: run 'make docs' and commit it   0 passed, 1 failed"
fi

# Every setting `serve --help` lists must be in README's configuration table.
missing=""
for flag in $(build/callproof serve --help | sed -n 's/^  \(--[a-z0-9-]*\).*/\1/p'); do
    grep -q -- "\`$flag" README.md || missing="$missing $flag"
done
if [ -z "$missing" ]; then
    passed=$((passed + 1))
    echo "  README documents every serve setting       1 passed, 0 failed"
else
    failed=$((failed + 1))
    echo "  README lacks settings:$missing   0 passed, 1 failed"
fi

echo "== unit (release)"
for t in build/unit/test_*; do
    [ -x "$t" ] && run_unit "unit/$(basename "$t")" "$t"
done
echo "== black-box (release)"
run_node "blackbox/release" CALLPROOF_BIN=build/callproof

SAN_ENV="ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"
echo "== unit (ASan+UBSan)"
for t in build/asan/unit/test_*; do
    # shellcheck disable=SC2086
    [ -x "$t" ] && run_unit "asan-unit/$(basename "$t")" env $SAN_ENV "$t"
done
echo "== black-box (ASan+UBSan)"
# shellcheck disable=SC2086
run_node "blackbox/asan" CALLPROOF_BIN=build/asan/callproof $SAN_ENV

# libFuzzer: every input of the committed corpus once (past findings included), then
# FUZZ_CI_SECONDS of fuzzing; exit status 0 when nothing was found. One pass per target.
FUZZ_CI_SECONDS=${FUZZ_CI_SECONDS:-8}
run_fuzz() { # $1 = target
    label="fuzz/$1"
    out="$log_dir/fuzz_$1.log"
    work=build/fuzz/ci/$1
    rm -rf "$work"
    mkdir -p "$work"
    "build/fuzz/fuzz_$1" -max_total_time="$FUZZ_CI_SECONDS" -max_len=65536 -timeout=20 \
        -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$log_dir/fuzz_$1-" \
        "$work" "fuzz/corpus/$1" >"$out" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out")
    if [ "$rc" -eq 0 ] && [ -n "$runs" ]; then
        passed=$((passed + 1))
        printf '  %-40s %3d passed, 0 failed (%s runs)\n' "$label" 1 "$runs"
    else
        failed=$((failed + 1))
        broken="$broken $label"
        printf '  %-40s %3d passed, 1 failed\n' "$label" 0
        grep -E '==FUZZ==|ERROR: |runtime error|SUMMARY|Test unit written' "$out" | head -10
    fi
}
echo "== fuzz (corpus + ${FUZZ_CI_SECONDS}s each, ASan+UBSan)"
for src in fuzz/fuzz_*.c; do
    t=$(basename "$src" .c)
    run_fuzz "${t#fuzz_}"
done

[ -z "$broken" ] || echo "stages that crashed or failed outside a test:$broken (logs in $log_dir)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
