#!/bin/sh
# Runs every test callproof has, twice: against the release build and against the ASan+UBSan
# build (unit tests and the black-box suite with the sanitized server), then a short pass of
# every fuzz target (its committed corpus, then a few seconds of fuzzing). Both store
# backends: a throwaway PostgreSQL cluster (scripts/pg_cluster.sh) is started first and
# removed at the end, also on failure or interrupt; the store contract test runs its postgres
# group on it (CALLPROOF_TEST_PG_URL), and the black-box suite runs a third time, release build
# on PostgreSQL. A backend that could not be tested counts as a failure, never as a skip.
# Prints one line per stage and ends with the summary line "N passed, M failed". Exit status
# is non-zero if any test failed or any stage could not run. Called by `make test` after the
# builds.
set -u
cd "$(dirname "$0")/.."

passed=0
failed=0
broken=""
log_dir=build/test-logs
mkdir -p "$log_dir"

# A throwaway PostgreSQL cluster for the postgres stages; destroyed on every way out.
pg_dir=$(mktemp -d /tmp/callproof-pg-XXXXXX)
pg_url=""
pg_cleanup() { scripts/pg_cluster.sh destroy "$pg_dir" >/dev/null 2>&1 || true; }
trap pg_cleanup EXIT
trap 'pg_cleanup; trap - EXIT; exit 130' INT TERM HUP

# cmocka prints "[  PASSED  ] N test(s)." and "[  FAILED  ] M test(s), listed below:" once
# per group (test_store runs two groups: one per backend), so the counts are summed.
run_unit() { # $1 = label, rest = command
    label=$1
    shift
    out="$log_dir/$(echo "$label" | tr '/ ' '__').log"
    "$@" >"$out" 2>&1
    rc=$?
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | awk '{s += $1} END {print s + 0}')
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | awk '{s += $1} END {print s + 0}')
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

# node --test with the TAP reporter ends with "# pass N", "# fail M" and "# skipped K"
# (skips are shown, and the tests that skip say why in the log).
run_node() { # $1 = label, rest = env assignments
    label=$1
    shift
    out="$log_dir/$(echo "$label" | tr '/ ' '__').log"
    env "$@" node --test --test-reporter=tap --test-concurrency=1 tests/blackbox/ >"$out" 2>&1
    rc=$?
    p=$(sed -n 's/^# pass \([0-9]*\)/\1/p' "$out" | tail -n 1)
    f=$(sed -n 's/^# fail \([0-9]*\)/\1/p' "$out" | tail -n 1)
    k=$(sed -n 's/^# skipped \([0-9]*\)/\1/p' "$out" | tail -n 1)
    p=${p:-0}
    f=${f:-0}
    k=${k:-0}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
        broken="$broken $label"
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$k" -eq 0 ]; then
        printf '  %-40s %3d passed, %d failed\n' "$label" "$p" "$f"
    else
        printf '  %-40s %3d passed, %d failed (%d skipped: see %s)\n' "$label" "$p" "$f" "$k" "$out"
    fi
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

echo "== postgres"
if pg_url=$(scripts/pg_cluster.sh start "$pg_dir" 2>"$log_dir/pg_cluster.log"); then
    echo "  throwaway cluster at $(echo "$pg_url" | sed 's|//\([^:]*\):[^@]*@|//\1:***@|')"
else
    # The postgres group of test_store then fails (no URL) and the postgres black-box stage
    # counts as failed: the backend is not tested, and that is a failure.
    pg_url=""
    failed=$((failed + 1))
    broken="$broken postgres-cluster"
    echo "  could not start PostgreSQL (log: $log_dir/pg_cluster.log)   0 passed, 1 failed"
    tail -n 5 "$log_dir/pg_cluster.log"
fi
export CALLPROOF_TEST_PG_URL="$pg_url"

echo "== unit (release)"
for t in build/unit/test_*; do
    [ -x "$t" ] && run_unit "unit/$(basename "$t")" "$t"
done
echo "== black-box (release)"
run_node "blackbox/release" CALLPROOF_BIN=build/callproof
echo "== black-box (release, PostgreSQL)"
if [ -n "$pg_url" ]; then
    run_node "blackbox/release-postgres" CALLPROOF_BIN=build/callproof \
        CALLPROOF_TEST_DATABASE="$pg_url" CALLPROOF_TEST_PG_DIR="$pg_dir"
else
    failed=$((failed + 1))
    echo "  blackbox/release-postgres                  not run: no cluster   0 passed, 1 failed"
fi

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
