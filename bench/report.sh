#!/bin/sh
# The report of `make bench`: reads the figures bench/run.sh left in RAW_DIR (build/bench/raw by
# default), prints the Markdown block, writes it to build/bench/report.md, and puts it between
# the bench:begin and bench:end markers of BENCH_DOC (docs/BENCHMARKS.md; empty: no doc).
# It can be run again on the same figures: bench/report.sh [RAW_DIR].
set -eu
cd "$(dirname "$0")/.."
res=${1:-build/bench/raw}
OUT=build/bench
DOC=${BENCH_DOC-docs/BENCHMARKS.md}
say() { printf '%s\n' "$*" >&2; }
fmt_int() { printf '%s' "$1" | awk '{ n = sprintf("%d", $1); s = ""; while (length(n) > 3) { s = "," substr(n, length(n) - 2) s; n = substr(n, 1, length(n) - 3) } printf "%s%s", n, s }'; }
. "$res/meta"

# ceiling NGINX_NAME: nginx's figures as one line of r.* fields ($3 req/s, $4 p50, $5 p99): the
# mean of its runs before (r.NAME) and after (r.NAME.after) callproof's, and in $13/$14 the two
# rates (the second empty when there was no run after).
ceiling() {
    cat "$res/r.$1" "$res/r.$1.after" 2>/dev/null | awk '
        NF { n++; r += $3; a += $4; b += $5; rates[n] = $3 }
        END { if (n) printf "0 0 %f %f %f 0 0 0 0 0 0 0 %s %s\n", r / n, a / n, b / n, rates[1], (n > 1 ? rates[2] : "") }'
}
# stolen NAME...: the largest share of CPU time the hypervisor took during these runs (0 if none
# was recorded).
stolen() {
    m=0
    for n in "$@"; do
        [ -s "$res/steal.$n" ] && m=$(awk -v a="$m" '{ print ($1 > a ? $1 : a) }' "$res/steal.$n")
    done
    echo "$m"
}
# A run in which the hypervisor took this share of the machine's CPU or more does not measure
# callproof or nginx: the row says so instead of met or missed.
STEAL_UNSTEADY=10
# row NAME NGINX_NAME LABEL STORE TARGET_RATIO P99_TARGET_MS
row() {
    [ -s "$res/r.$1" ] || return 0
    awk -v label="$3" -v store="$4" -v target="$5" -v p99t="$6" -v cpu="$(cat "$res/cpu.$1" 2>/dev/null || echo '- -')" -v ng="$(ceiling "$2")" -v steal="$(stolen "$1" "$2" "$2.after")" -v unsteady="$STEAL_UNSTEADY" '
        function c(x,  n, s) { n = sprintf("%d", x); s = ""; while (length(n) > 3) { s = "," substr(n, length(n) - 2) s; n = substr(n, 1, length(n) - 3) } return n s }
        BEGIN { split(ng, f, " "); nr = f[3]; n50 = f[4]; n99 = f[5]; nrs = f[14] != "" ? sprintf(" (%s, %s)", c(f[13]), c(f[14])) : "" }
        FNR == 1 { r = $3; p50 = $4; p99 = $5; err = $7 + $8 + $9 + $10 + $11; req = $1 }
        END {
            ratio = nr > 0 ? r / nr : 0
            ok = ratio >= target
            tgt = sprintf("≥ %g%%", target * 100)
            if (p99t != "") { tgt = tgt sprintf(", p99 ≤ %g ms", p99t); ok = ok && p99 <= p99t }
            split(cpu, cu, " ")
            printf "| %s | %s | %s%s | %.2f / %.2f | %s | %.2f / %.2f | **%.*f%%** | %s | %s | %s%s | %s |\n",
                label, store, c(nr), nrs, n50, n99, (r >= 100 ? c(r) : sprintf("%.1f", r)), p50, p99,
                (ratio >= 0.01 ? 1 : 2), 100 * ratio, tgt,
                (steal + 0 >= unsteady + 0 ? sprintf("unsteady: %s%% of the CPU stolen", steal) : (ok ? "met" : "**missed**")),
                c(req), (err ? " (" c(err) " errors)" : ""), cu[1] " cores, " cu[2] "% idle"
        }' "$res/r.$1"
}
{
    echo "<!-- bench:begin: written by \`make bench\` (bench/run.sh); edit outside these markers -->"
    echo "### Last run: $date_utc UTC"
    echo
    echo "- **Machine**: $cores cores ($cpu_model), $mem_gib GiB, Linux $kernel, Debian $debian, this disk does $(fmt_int "$fsync_rate") fdatasync/s (4 KiB appends, one thread); load average at the start $load_start."
    echo "- **Software**: callproof $version (git $rev), gcc $gcc \`$cflags\`;"
    echo "  $libs;"
    echo "  nginx $nginx_v ($nginx_pkg, $cores workers, access log off, \`return\` of a $ng_json_bytes-byte JSON); wrk $wrk_v."
    echo "- **Command**: \`make bench\` with BENCH_SECONDS=$SECS: for each workload \`wrk -t$WRK_THREADS -c$CONNS -d${SECS}s --timeout 10s -s bench/wrk/SCRIPT URL\`, after a ${WARM} s warm-up, against nginx, then callproof (\`build/callproof serve\`, defaults: ${threads:-?} HTTP threads, log level info, SQLite WAL + synchronous=FULL), then nginx again. wrk, nginx and callproof share the $cores cores; total time $((elapsed_s / 60)) min $((elapsed_s % 60)) s."
    echo "- **Stores**: A empty (fresh data directory); B $(cat "$res/fill.b"); C $(cat "$res/fill.c" 2>/dev/null || echo 'skipped (BENCH_BIG_CALLS=0)')."
    echo
    echo "| workload | store | nginx req/s | nginx p50 / p99 ms | callproof req/s | callproof p50 / p99 ms | ratio | target | met? | callproof answers | callproof CPU, machine idle |"
    echo "|---|---|---:|---:|---:|---:|---:|---|---|---:|---|"
    row cp.create0 ng.create "1. POST /api/v1/calls (1.0–1.5 KB, unique)" "A: empty" 0.10 10
    row cp.create1m ng.create "1. POST /api/v1/calls (1.0–1.5 KB, unique)" "C: $(fmt_int "$BIG")" 0.10 10
    row cp.get ng.get "2. GET /api/v1/calls/{id} (random of 10,000 ids)" "B: $(fmt_int "$MID")" 0.50 ""
    row cp.get1m ng.get "2. GET /api/v1/calls/{id} (random of 10,000 ids)" "C: $(fmt_int "$BIG")" 0.50 ""
    row cp.list ng.list "3. GET /api/v1/voice-calls?state=Completed&direction=Outbound&pageSize=50 ($(fmt_int "$(cat "$res/list_total.b")") match)" "B: $(fmt_int "$MID")" 0.05 ""
    row cp.list1m ng.list "3. same list ($(fmt_int "$(cat "$res/list_total.c" 2>/dev/null || echo 0)") match)" "C: $(fmt_int "$BIG")" 0.05 ""
    row cp.postcall ng.postcall "4. POST /v1/post-call (seed body, unique call_id)" "A" 0.05 ""
    row cp.rec ng.rec "5. GET 1 MB recording, signed link (nginx: the same file)" "A" 0.50 ""
    echo
    if [ -s "$res/r.pg1.create" ]; then
        echo "**PostgreSQL** $pg_v (a throwaway cluster on the same machine and disk: fsync, full_page_writes and synchronous_commit on), the same workloads and connections, next to SQLite's store A above. Two instances share the database and the data directory; wrk drives each with half the connections at once: their rates are summed, the latencies are the larger of the two."
        echo
        echo "| workload | store | nginx req/s | nginx p50 / p99 ms | callproof req/s | callproof p50 / p99 ms | ratio | target | met? | callproof answers | callproof CPU, machine idle |"
        echo "|---|---|---:|---:|---:|---:|---:|---|---|---:|---|"
        row cp.create0 ng.create "1. POST /api/v1/calls" "SQLite, 1 instance" 0.10 10
        row pg1.create ng.create "1. POST /api/v1/calls" "PostgreSQL, 1 instance" 0.10 10
        row pg2.create ng.create "1. POST /api/v1/calls" "PostgreSQL, 2 instances" 0.10 10
        row cp.postcall ng.postcall "4. POST /v1/post-call" "SQLite, 1 instance" 0.05 ""
        row pg1.postcall ng.postcall "4. POST /v1/post-call" "PostgreSQL, 1 instance" 0.05 ""
        row pg2.postcall ng.postcall "4. POST /v1/post-call" "PostgreSQL, 2 instances" 0.05 ""
        echo
        echo "After the load the PostgreSQL logs hold $(fmt_int "$(cat "$res/pg1.logsize" 2>/dev/null || echo 0)") (one instance) and $(fmt_int "$(cat "$res/pg2.logsize" 2>/dev/null || echo 0)") (two instances) leaves under their latest checkpoint; with two instances $(cat "$res/pg2.leaders" 2>/dev/null || echo '?') instance(s) took the log's lease. A post-call on PostgreSQL returns once the lease holder's checkpoint covers its leaf, so its latency includes that wait."
        echo
    fi
    echo "Ratio: callproof's requests per second over nginx's for the same requests; nginx ran just before and just after callproof (rates in brackets), and its figures are the mean of the two. Latencies are wrk's, over the requests answered in the run; wrk counts a request still unanswered after 10 s as a timeout error instead. Answers: requests callproof answered in the measured run (errors: status 400 or more, socket errors, timeouts). CPU: what callproof used during the run, in cores, and the share of the machine left idle (wrk and nginx run on the same cores, and so did other work)."
    echo
    # shellcheck disable=SC2012 # names are ours, no spaces: in the order the runs happened
    stolen=$(cd "$res" && ls -tr steal.* 2>/dev/null | while read -r f; do printf '%s %s%%, ' "${f#steal.}" "$(cat "$f")"; done)
    [ -z "$stolen" ] || { echo "**CPU stolen by the hypervisor** (the share of the machine's CPU time given to other guests during each run, from /proc/stat; a shared VM's ceiling and callproof's rate both fall with it; a row with a run at ${STEAL_UNSTEADY}% or more says \"unsteady\" instead of met or missed): ${stolen%, }."; echo; }
    for st in A B C; do
        [ -s "$res/rss.$st" ] && echo "$st $(cat "$res/rss.$st") $(cat "$res/peak.$st")"
    done | awk '
        { if ($3 > idle) idle = $3; if ($4 > peak) peak = $4
          line = line sprintf("%s%s %.1f / %.1f / %.1f MB", NR > 1 ? "; " : "", $1, $2 / 1024, $3 / 1024, $4 / 1024) }
        END {
            printf "**Memory** (callproof VmRSS at start / VmRSS idle 2 s after the load / VmHWM peak, per store): %s.\n", line
            printf "Idle after load: **%.1f MB** (target ≤ 20 MB: %s); peak under load: **%.1f MB** (target ≤ 80 MB: %s).\n",
                idle / 1024, idle <= 20480 ? "met" : "**missed**", peak / 1024, peak <= 81920 ? "met" : "**missed**"
        }'
    echo
    if ls "$res"/gc.* >/dev/null 2>&1; then
        echo "**Group commit** (each server's last log line about it): $(for st in A B C P1 P2a P2b; do [ -s "$res/gc.$st" ] && printf '%s: %s; ' "$st" "$(sed 's/^group commit: //' "$res/gc.$st")"; done | sed 's/; $//')."
        echo
    fi
    read -r ls ver ok <"$res/postcall.check"
    echo "**Post-call seals are real**: after the load the log holds $(fmt_int "$ls") leaves (wrk counted $(fmt_int "$ok") answers 201 in the measured run; the warm-up's seals, and requests still in flight when wrk stopped, are in the log too); a bundle sealed afterwards passes \`callproof verify\`: $ver."
    if [ -s "$res/recording_rss" ]; then
        echo
        echo "**A ${REC_MB} MB recording** (bench/recording_rss.sh, its own server): $(awk -F': *' '/idle RSS before/ { i = $2 } /peak RSS after download/ { p = $2; sub(/ *\(.*/, "", p) } /peak above idle/ { a = $2 } /identical/ { s = $2 } END { printf "idle %s, peak after upload and download %s, peak above idle %s; bytes identical: %s", i, p, a, s }' "$res/recording_rss")."
    fi
    if ls "$res"/prof.* >/dev/null 2>&1; then
        echo
        echo "#### Where callproof's CPU time goes"
        echo
        echo "\`perf record -e cpu-clock -F 499 -p <callproof>\` during each measured run (about 1% of a core): shares of callproof's own CPU samples, so time spent waiting (fsync, the write lock, the network) is not in them; the CPU column of the table says how busy callproof was. In a VM without hardware counters, kernel samples pile up where interrupts are re-enabled (\`_raw_spin_unlock_irqrestore\`, \`finish_task_switch\`, \`handle_softirqs\`): read the kernel's share as a whole."
        for p in cp.create0 cp.create1m cp.get cp.get1m cp.list cp.list1m cp.postcall cp.rec pg1.create pg1.postcall; do
            [ -s "$res/prof.$p" ] || continue
            echo
            awk -v name="$p" '
                BEGIN { t["cp.create0"] = "create call, empty store"; t["cp.create1m"] = "create call, store C"; t["cp.get"] = "get call, store B"; t["cp.get1m"] = "get call, store C"; t["cp.list"] = "filtered list, store B"; t["cp.list1m"] = "filtered list, store C"; t["cp.postcall"] = "post-call"; t["cp.rec"] = "recording download"; t["pg1.create"] = "create call, PostgreSQL"; t["pg1.postcall"] = "post-call, PostgreSQL" }
                /^dso$/ { mode = 1; next } /^sym$/ { mode = 2; next }
                mode == 1 { d = d sprintf("%s%s %s", d == "" ? "" : ", ", $2, $1) }
                mode == 2 { pct = $1; dso = $2; $1 = ""; $2 = ""; sub(/^ +/, ""); s = s sprintf("%s%s `%s` (%s)", s == "" ? "" : ", ", pct, $0, dso) }
                END { printf "- **%s**: by library: %s.\n  Top functions: %s.\n", t[name], d, s }' "$res/prof.$p"
        done
    fi
    echo "<!-- bench:end -->"
} >"$OUT/report.md"

cat "$OUT/report.md"
if [ -n "$DOC" ] && [ -f "$DOC" ]; then
    awk -v rep="$OUT/report.md" '
        /^<!-- bench:begin/ { while ((getline l < rep) > 0) print l; skip = 1; next }
        /^<!-- bench:end -->/ { skip = 0; next }
        !skip' "$DOC" >"$OUT/doc.tmp" && cp "$OUT/doc.tmp" "$DOC" && rm -f "$OUT/doc.tmp"
    grep -q '^<!-- bench:begin' "$DOC" || say "bench: $DOC has no bench:begin/bench:end markers; the report is in $OUT/report.md"
    say "bench: wrote $OUT/report.md and its block in $DOC"
fi
