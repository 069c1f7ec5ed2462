#!/bin/sh
# Regenerates the fuzzers' seed corpora (fuzz/corpus/<target>/) from the test suites: runs the
# black-box suite against the release build while tests/blackbox/lib.mjs records every request
# and answer, turns the recording into seeds (scripts/fuzz_seeds.mjs), then keeps of each
# corpus only the inputs that add coverage (libFuzzer's -merge=1 with the fuzz build).
# Reproducer inputs of past findings live in fuzz/corpus/<target>/regress-* and are kept.
# Takes a few minutes. Commit the result.
set -eu
cd "$(dirname "$0")/.."
make --no-print-directory build/callproof fuzz-build
rec=$(mktemp -d)
keep=$(mktemp -d)
trap 'rm -rf "$rec" "$keep"' EXIT
for t in fuzz/corpus/*/; do
    t=$(basename "$t")
    mkdir -p "$keep/$t"
    cp fuzz/corpus/"$t"/regress-* "$keep/$t/" 2>/dev/null || true
done
CALLPROOF_FUZZ_RECORD="$rec" CALLPROOF_BIN=build/callproof \
    node --test --test-reporter=dot --test-concurrency=1 tests/blackbox/ >/dev/null
node scripts/fuzz_seeds.mjs "$rec" "$rec/all"
for t in $(ls fuzz/fuzz_*.c | sed 's|fuzz/fuzz_\(.*\)\.c|\1|'); do
    rm -rf "fuzz/corpus/$t"
    mkdir -p "fuzz/corpus/$t"
    build/fuzz/fuzz_"$t" -merge=1 -max_len=65536 "fuzz/corpus/$t" "$rec/all/$t" >"$rec/merge-$t.log" 2>&1
    cp "$keep/$t"/regress-* "fuzz/corpus/$t/" 2>/dev/null || true
    echo "  $t: $(ls "fuzz/corpus/$t" | wc -l) seeds, $(cat "fuzz/corpus/$t"/* | wc -c) bytes"
done
