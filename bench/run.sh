#!/bin/sh
# `make bench`: callproof against nginx, in one run, on this machine (benchmarks, never tests).
#
# nginx (Debian's, our own config in a scratch directory, one worker per core, access log off)
# answers a fixed ~300-byte JSON to GET, a fixed JSON to POST after reading the body, and
# serves a file: that is the ceiling. Each workload runs wrk with the same script, connections
# and duration against nginx and then against callproof (SQLite, synchronous=FULL), each after
# a short warm-up on one connection. Three callproof servers run one after another:
#   A  empty store:      create call, post-call sealing, 1 MB recording download
#   B  100,000 calls:    get call, filtered list
#   C  1,000,000 calls:  create call, get call, filtered list
# B and C are filled by build/tools/bench_fill (the server's parsing and store ops, large
# transactions) with calls of the bench key's tenant. `perf record` (cpu-clock) samples callproof
# during each measured run; each server's RSS is read at start, idle after the load, and at its
# peak. The 200 MB recording memory bench (bench/recording_rss.sh) runs last. The report goes to
# build/bench/report.md and replaces the generated block of docs/BENCHMARKS.md.
#
# Settings (environment): BENCH_SECONDS (20) per measured run, BENCH_WARMUP_SECONDS (2),
# BENCH_CONNECTIONS (64), BENCH_WRK_THREADS (2), BENCH_CALLS (100000), BENCH_BIG_CALLS
# (1000000; 0 skips store C), BENCH_PROFILE (1; 0: no perf), BENCH_RECORDING_MB (200; 0 skips),
# BENCH_DOC (docs/BENCHMARKS.md; empty leaves it alone).
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh

SECS=${BENCH_SECONDS:-20}
WARM=${BENCH_WARMUP_SECONDS:-2}
CONNS=${BENCH_CONNECTIONS:-64}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
MID=${BENCH_CALLS:-100000}
BIG=${BENCH_BIG_CALLS:-1000000}
PROF=${BENCH_PROFILE:-1}
command -v perf >/dev/null 2>&1 || PROF=0
REC_MB=${BENCH_RECORDING_MB:-200}
DOC=${BENCH_DOC-docs/BENCHMARKS.md}
FILL=build/tools/bench_fill
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
OUT=build/bench
export BENCH_LUA="$PWD/bench/wrk"

mkdir -p "$OUT"
rm -f "$OUT"/*
bench_init
t_start=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
say() { printf '%s\n' "$*" >&2; }
fmt_int() { printf '%s' "$1" | awk '{ n = sprintf("%d", $1); s = ""; while (length(n) > 3) { s = "," substr(n, length(n) - 2) s; n = substr(n, 1, length(n) - 3) } printf "%s%s", n, s }'; }

# ---- the machine and the software ----
cores=$(nproc)
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem_gib=$(awk '/^MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)
pkgv() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo '?'; }
nginx_pkg=$(dpkg-query -W -f='${binary:Package}\n' nginx-light nginx-core nginx 2>/dev/null | head -n 1)
rev=$(git rev-parse --short HEAD 2>/dev/null || echo '?')
git diff --quiet HEAD 2>/dev/null || rev="$rev+changes"

# ---- nginx ----
ng="$work/nginx"
mkdir -p "$ng/files" "$ng/tmp"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ng_port=$(free_port)
# ~300 bytes, the size of a short call summary.
ng_json='{"id":"019a4f6e-2b1c-7d3a-9c41-5e6f7a8b9c0d","call_id":"vc_abc123","type":"phone_call","direction":"outbound","from_number":"+15551234567","to_number":"+15557654321","status":"ended","outcome":"completed","started_at":"2024-01-15T10:30:00Z","ended_at":"2024-01-15T10:35:12Z","duration":312}'
cat >"$ng/nginx.conf" <<EOF
# Written by bench/run.sh: the ceiling callproof is compared with.
worker_processes $cores;
daemon off;
pid $ng/nginx.pid;
error_log $ng/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $ng/tmp/body;
    proxy_temp_path $ng/tmp/proxy;
    fastcgi_temp_path $ng/tmp/fastcgi;
    uwsgi_temp_path $ng/tmp/uwsgi;
    scgi_temp_path $ng/tmp/scgi;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000000;
    keepalive_timeout 60s;
    client_max_body_size 2m;
    client_body_buffer_size 16k;
    default_type application/json;
    types { audio/wav wav; }
    server {
        listen 127.0.0.1:$ng_port;
        # Any path: GET gets the JSON; POST is read to the end, then gets 201 and the JSON.
        location / {
            if (\$request_method = POST) { return 201 '$ng_json'; }
            return 200 '$ng_json';
        }
        location /files/ { alias $ng/files/; }
    }
}
EOF
chmod 755 "$work" "$ng" "$ng/files" # nginx's workers run as www-data when started as root
"$NGINX" -c "$ng/nginx.conf" -e "$ng/error.log" -p "$ng" &
ng_pid=$!
bench_pids="$bench_pids $ng_pid"
ngb="http://127.0.0.1:$ng_port"
for _ in $(seq 100); do curl -sf "$ngb/" -o /dev/null && break; sleep 0.05; done
curl -sf "$ngb/" -o /dev/null || { cat "$ng/error.log" >&2; say "bench: nginx did not start"; exit 1; }
nginx_v=$("$NGINX" -v 2>&1 | sed 's|.*/||')
[ "$(curl -s -o /dev/null -w '%{http_code}' -d '{}' "$ngb/api/v1/calls")" = 201 ] ||
    { say "bench: nginx does not answer POST with 201"; exit 1; }

# What one durable write costs on this disk: 4 KiB appends, each followed by fdatasync, from one
# thread (a commit in WAL mode with synchronous=FULL is one such flush of the WAL).
fsync_rate=$(python3 - "$work/fsync.test" <<'PY'
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
n, t0 = 0, time.monotonic()
while time.monotonic() - t0 < 3:
    os.write(fd, b"x" * 4096)
    os.fdatasync(fd)
    n += 1
print(round(n / (time.monotonic() - t0)))
PY
)
rm -f "$work/fsync.test"

# ---- measuring ----
# run NAME SECS SCRIPT URL [CONNECTIONS]: one wrk run; common.lua appends its figures to
# $work/r.NAME.
run() {
    c=${5:-$CONNS}
    t=$WRK_THREADS
    [ "$c" -ge "$t" ] || t=$c
    BENCH_NONCE=$(date +%s%N) BENCH_RESULT="$work/r.$1" \
        wrk -t"$t" -c"$c" -d"$2s" --timeout 10s -s "bench/wrk/$3" "$4" >>"$work/wrk.log" 2>&1 || true
}
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
idle_ticks() { awk '/^cpu / { print $5 + $6 }' /proc/stat; }
# drain: wait (at most 120 s) until callproof ($pid) has been idle for a second. Requests that
# wrk left in flight (a slow list keeps the server busy long after wrk stops) must not spill
# into the next workload.
drain() {
    for _ in $(seq 120); do
        a=$(ticks "$pid")
        sleep 1
        [ $(($(ticks "$pid") - a)) -le $(($(getconf CLK_TCK) / 50)) ] && return 0
    done
    say "bench: callproof still busy 120 s after the load stopped"
}
# measure NAME SCRIPT URL [cp [nodrain]]: a warm-up on one connection (it warms the caches
# without leaving 64 requests queued behind it), then the measured run. For callproof ("cp"):
# the CPU it used (cores) and the machine's idle share go to $work/cpu.NAME, perf samples it
# during the run ($work/prof.NAME), and afterwards the server is drained unless "nodrain".
measure() {
    run warm "$WARM" "$2" "$3" 1
    if [ -n "${4:-}" ]; then
        drain
        if [ "$PROF" = 1 ]; then
            perf record -q -e cpu-clock -F 499 -p "$pid" -o "$work/perf.data" -- sleep "$SECS" \
                >/dev/null 2>&1 &
            perf_pid=$!
        fi
        c0=$(ticks "$pid"); i0=$(idle_ticks); t0=$(date +%s%N)
    fi
    run "$1" "$SECS" "$2" "$3"
    if [ -n "${4:-}" ]; then
        c1=$(ticks "$pid"); i1=$(idle_ticks); t1=$(date +%s%N)
        awk -v c="$((c1 - c0))" -v i="$((i1 - i0))" -v t="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" \
            -v n="$cores" 'BEGIN { s = t / 1e9; printf "%.2f %.0f\n", c / hz / s, 100 * i / hz / s / n }' \
            >"$work/cpu.$1"
        [ "$PROF" != 1 ] || { wait "$perf_pid" || true; summarise_profile "$1"; }
        [ "${5:-}" = nodrain ] || drain
    fi
    [ -s "$work/r.$1" ] || { tail -n 20 "$work/wrk.log" >&2; say "bench: wrk gave no figures for $1"; exit 1; }
    say "  $1: $(awk '{ printf "%.0f req/s, p50 %.2f ms, p99 %.2f ms, %d errors", $3, $4, $5, $7 + $8 + $9 + $10 + $11 }' "$work/r.$1")"
}
# summarise_profile NAME: the shares by library and the top functions of $work/perf.data.
summarise_profile() {
    {
        echo "dso"
        perf report -i "$work/perf.data" --stdio --no-children --sort dso 2>/dev/null |
            awk '!/^#/ && NF >= 2 && $1 ~ /%$/ { printf "%s %s\n", $1, $2 }' | head -n 6
        echo "sym"
        perf report -i "$work/perf.data" --stdio --no-children --sort dso,symbol 2>/dev/null |
            awk '!/^#/ && NF >= 4 && $1 ~ /%$/ { pct = $1; dso = $2; $1 = ""; $2 = ""; $3 = ""; sub(/^ +/, ""); sub(/( +-)+ *$/, ""); printf "%s %s %s\n", pct, dso, $0 }' |
            head -n 10
    } >"$work/prof.$1"
    rm -f "$work/perf.data"
}
rss_note() { # NAME RSS_AT_START: $work/rss.NAME gets the RSS at start and idle after the load
    sleep 2
    echo "$2 $(kb "$pid" VmRSS)" >"$work/rss.$1"
}
new_store() { # DIR: a data directory with one all-scopes key for tenant "bench"; sets token, key_id
    mkdir -m 700 "$1"
    token=$("$BIN" keys create --tenant bench --scopes all --data "$1" 2>/dev/null | tail -n 1)
    key_id=$(echo "$token" | cut -d_ -f2)
}
fill() { # DIR N NAME: bench_fill, timed; the ids go to DIR/ids
    say "  filling $(fmt_int "$2") calls ..."
    "$FILL" --database "$1/callproof.db" --key-id "$key_id" --calls "$2" --ids-out "$1/ids" \
        2>"$work/fill.err" >"$work/fill.$3" || { cat "$work/fill.err" >&2; exit 1; }
    db_mb=$(du -m "$1/callproof.db" | cut -f1)
    echo "$(cat "$work/fill.$3") -> callproof.db $db_mb MB" >"$work/fill.$3"
    say "  $(cat "$work/fill.$3")"
}
stop_store() { # NAME: the server's peak RSS goes to $work/peak.NAME, then it is stopped
    kb "$pid" VmHWM >"$work/peak.$1"
    server_stop
}
auth() { echo "Authorization: Bearer $token"; }
json='Content-Type: application/json'
list_q='/api/v1/voice-calls?state=Completed&direction=Outbound&pageSize=50'

say "bench: $cores cores, $(uname -r); ${SECS} s per run after ${WARM} s of warm-up, wrk -t$WRK_THREADS -c$CONNS"

# ---- store A: empty ----
say "store A (empty)"
new_store "$work/a"
server_start "$work/a"
export BENCH_TOKEN="$token"
rss0=$(kb "$pid" VmRSS)

measure ng.create create_call.lua "$ngb"
measure cp.create0 create_call.lua "$base" cp

curl -sf "$base/v1/consents" -H "$(auth)" -H "$json" -o /dev/null -d '{"consent_id":"cst_lx8k7n3f4g5h6j7k","phone":"+15551234567","calling_entity":"Acme Insurance LLC","type":"prior_express_written","scope":["ai_voice","telemarketing"],"captured_at":"2026-04-01T12:00:00Z"}'
curl -sf "$base/v1/capture-verbal" -H "$(auth)" -H "$json" -o /dev/null -d '{"consent_id":"cst_lx8ka1b2c3d4e5f6","call_id":"call_xyz789","phone":"+15551234567","calling_entity":"Acme Insurance LLC","captured_at":"2026-04-10T15:44:00Z","transcript":"Yes, I agree.","agent_disclosure_text":"May we text you about your policy?","consent_scope":["ai_sms"]}'
measure ng.postcall post_call.lua "$ngb"
measure cp.postcall post_call.lua "$base" cp
# The seals are real: the log holds them all, and one sealed after the load verifies offline.
log_size=$(curl -sf "$base/v1/log/checkpoint" | sed -n 2p)
ev=$(curl -sf "$base/v1/post-call" -H "$(auth)" -H "$json" -d '{"call_id":"bench_final","phone":"+15551234567","calling_entity":"Acme Insurance LLC"}' |
    sed -n 's/.*"evidence_bundle_id":"\([^"]*\)".*/\1/p')
curl -sf "$base/e/$ev.json" -o "$work/ev.json"
vkey=$(curl -sf "$base/v1/keys" | sed -n 's/.*"vkey":"\([^"]*\)".*/\1/p')
verified=no
"$BIN" verify "$work/ev.json" --pubkey "$vkey" >/dev/null 2>&1 && verified=yes
echo "$log_size $verified $(awk '{ print $1 - $10 }' "$work/r.cp.postcall")" >"$work/postcall.check"

# A 1 MB recording (WAV header, random samples), uploaded to a call; nginx serves the same file.
python3 - "$ng/files/rec.wav" 1048576 <<'PY'
import os, struct, sys
path, total = sys.argv[1], int(sys.argv[2])
data = total - 44
with open(path, "wb") as f:
    f.write(b"RIFF" + struct.pack("<I", 36 + data) + b"WAVE" + b"fmt " +
            struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16) + b"data" +
            struct.pack("<I", data) + os.urandom(data))
PY
curl -sf "$base/api/v1/calls" -H "$(auth)" -H "$json" -o /dev/null -d '{"call_id":"bench_rec","user_id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","agent_id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","type":"phone_call","from_number":"+15551234567","to_number":"+15557654321","phone_number_id":"3c90c3cc-0d44-4b50-8888-8dd25736052a"}'
curl -sf -X PUT "$base/v1/calls/bench_rec/recordings/r1/audio" -H "$(auth)" -H 'Content-Type: audio/wav' \
    --data-binary @"$ng/files/rec.wav" -o /dev/null
rec_url=$(curl -sf "$base/api/v1/voice-calls/bench_rec/recording-url" -H "$(auth)" |
    sed -n 's/.*"recordingUrl":"\([^"]*\)".*/\1/p')
curl -sf "$rec_url" | cmp -s - "$ng/files/rec.wav" || { say "bench: the recording link does not give the file"; exit 1; }
curl -sf "$ngb/files/rec.wav" | cmp -s - "$ng/files/rec.wav" || { say "bench: nginx does not serve the file"; exit 1; }
BENCH_TOKEN= # the link is the credential
measure ng.rec get.lua "$ngb/files/rec.wav"
measure cp.rec get.lua "$rec_url" cp
rss_note A "$rss0"
stop_store A
rm -rf "$work/a"

# ---- store B: 100,000 calls ----
say "store B ($(fmt_int "$MID") calls)"
new_store "$work/b"
fill "$work/b" "$MID" b
server_start "$work/b"
export BENCH_TOKEN="$token" BENCH_IDS="$work/b/ids"
rss0=$(kb "$pid" VmRSS)
measure ng.get get_call.lua "$ngb"
measure cp.get get_call.lua "$base" cp
list_total=$(curl -sf "$base$list_q" -H "$(auth)" | sed -n 's/.*"totalCount":\([0-9]*\).*/\1/p')
echo "$list_total" >"$work/list_total.b"
measure ng.list get.lua "$ngb$list_q"
measure cp.list get.lua "$base$list_q" cp
rss_note B "$rss0"
stop_store B
rm -rf "$work/b"

# ---- store C: 1,000,000 calls ----
if [ "$BIG" -gt 0 ]; then
    say "store C ($(fmt_int "$BIG") calls)"
    new_store "$work/c"
    fill "$work/c" "$BIG" c
    server_start "$work/c"
    export BENCH_TOKEN="$token" BENCH_IDS="$work/c/ids"
    rss0=$(kb "$pid" VmRSS)
    measure cp.create1m create_call.lua "$base" cp
    measure cp.get1m get_call.lua "$base" cp
    list_total=$(curl -sf "$base$list_q" -H "$(auth)" | sed -n 's/.*"totalCount":\([0-9]*\).*/\1/p')
    echo "$list_total" >"$work/list_total.c"
    rss_note C "$rss0"
    # Last on this server: draining the list's queue would take minutes; the server is stopped.
    measure cp.list1m get.lua "$base$list_q" cp nodrain
    stop_store C
    rm -rf "$work/c"
fi

# ---- a 200 MB recording through one server: memory ----
if [ "$REC_MB" -gt 0 ]; then
    say "recording memory ($REC_MB MB)"
    bench/recording_rss.sh "$REC_MB" >"$work/recording_rss" 2>&1
fi
t_end=$(date +%s)
kill "$ng_pid" 2>/dev/null || true

# ---- the report ----
# row NAME NGINX_NAME LABEL STORE TARGET_RATIO P99_TARGET_MS
row() {
    [ -s "$work/r.$1" ] || return 0
    ngf="$work/r.$2"
    awk -v label="$3" -v store="$4" -v target="$5" -v p99t="$6" -v cpu="$(cat "$work/cpu.$1" 2>/dev/null || echo '- -')" '
        function c(x,  n, s) { n = sprintf("%d", x); s = ""; while (length(n) > 3) { s = "," substr(n, length(n) - 2) s; n = substr(n, 1, length(n) - 3) } return n s }
        FNR == 1 && NR == 1 { nr = $3; n50 = $4; n99 = $5 }
        FNR == 1 && NR > 1 { r = $3; p50 = $4; p99 = $5; err = $7 + $8 + $9 + $10 + $11; req = $1 }
        END {
            ratio = r / nr
            ok = ratio >= target
            tgt = sprintf("≥ %g%%", target * 100)
            if (p99t != "") { tgt = tgt sprintf(", p99 ≤ %g ms", p99t); ok = ok && p99 <= p99t }
            split(cpu, cu, " ")
            printf "| %s | %s | %s | %.2f / %.2f | %s | %.2f / %.2f | **%.*f%%** | %s | %s | %s%s | %s |\n",
                label, store, c(nr), n50, n99, r >= 100 ? c(r) : sprintf("%.1f", r), p50, p99,
                ratio >= 0.01 ? 1 : 2, 100 * ratio, tgt, ok ? "met" : "**missed**",
                c(req), err ? " (" c(err) " errors)" : "", cu[1] " cores, " cu[2] "% idle"
        }' "$ngf" "$work/r.$1"
}
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
{
    echo "<!-- bench:begin: written by \`make bench\` (bench/run.sh); edit outside these markers -->"
    echo "### Last run: $(date -u '+%Y-%m-%d %H:%M') UTC"
    echo
    echo "- **Machine**: $cores cores ($cpu_model), $mem_gib GiB, Linux $(uname -r), Debian $(cat /etc/debian_version), this disk does $(fmt_int "$fsync_rate") fdatasync/s (4 KiB appends, one thread); load average at the start $load_start."
    echo "- **Software**: callproof $("$BIN" version | cut -d' ' -f2) (git $rev), gcc $(gcc -dumpfullversion 2>/dev/null || echo '?') \`${BENCH_CFLAGS:-?}\`;"
    echo "  SQLite $(pkgv libsqlite3-0), libmicrohttpd $(pkgv libmicrohttpd12), libsodium $(pkgv libsodium23), cJSON $(pkgv libcjson1);"
    echo "  nginx $nginx_v ($nginx_pkg, $cores workers, access log off, \`return\` of a $(printf '%s' "$ng_json" | wc -c)-byte JSON); wrk $(pkgv wrk)."
    echo "- **Command**: \`make bench\` with BENCH_SECONDS=$SECS: for each workload \`wrk -t$WRK_THREADS -c$CONNS -d${SECS}s --timeout 10s -s bench/wrk/SCRIPT URL\`, after a ${WARM} s warm-up, against nginx and then callproof (\`build/callproof serve\`, defaults: $cores HTTP threads, log level info, SQLite WAL + synchronous=FULL). wrk, nginx and callproof share the $cores cores; total time $(( (t_end - t_start) / 60 )) min $(( (t_end - t_start) % 60 )) s."
    echo "- **Stores**: A empty (fresh data directory); B $(cat "$work/fill.b"); C $(cat "$work/fill.c" 2>/dev/null || echo 'skipped (BENCH_BIG_CALLS=0)')."
    echo
    echo "| workload | store | nginx req/s | nginx p50 / p99 ms | callproof req/s | callproof p50 / p99 ms | ratio | target | met? | callproof answers | callproof CPU, machine idle |"
    echo "|---|---|---:|---:|---:|---:|---:|---|---|---:|---|"
    row cp.create0 ng.create "1. POST /api/v1/calls (1.0–1.5 KB, unique)" "A: empty" 0.10 10
    row cp.create1m ng.create "1. POST /api/v1/calls (1.0–1.5 KB, unique)" "C: $(fmt_int "$BIG")" 0.10 10
    row cp.get ng.get "2. GET /api/v1/calls/{id} (random of 10,000 ids)" "B: $(fmt_int "$MID")" 0.50 ""
    row cp.get1m ng.get "2. GET /api/v1/calls/{id} (random of 10,000 ids)" "C: $(fmt_int "$BIG")" 0.50 ""
    row cp.list ng.list "3. GET /api/v1/voice-calls?state=Completed&direction=Outbound&pageSize=50 ($(fmt_int "$(cat "$work/list_total.b")") match)" "B: $(fmt_int "$MID")" 0.05 ""
    row cp.list1m ng.list "3. same list ($(fmt_int "$(cat "$work/list_total.c" 2>/dev/null || echo 0)") match)" "C: $(fmt_int "$BIG")" 0.05 ""
    row cp.postcall ng.postcall "4. POST /v1/post-call (seed body, unique call_id)" "A" 0.05 ""
    row cp.rec ng.rec "5. GET 1 MB recording, signed link (nginx: the same file)" "A" 0.50 ""
    echo
    echo "Ratio: callproof's requests per second over nginx's for the same requests. Latencies are wrk's, over the requests answered in the run; wrk counts a request still unanswered after 10 s as a timeout error instead. Answers: requests callproof answered in the measured run (errors: status 400 or more, socket errors, timeouts). CPU: what callproof used during the run, in cores, and the share of the machine left idle (wrk and nginx run on the same cores, and so did other work)."
    echo
    for st in A B C; do
        [ -s "$work/rss.$st" ] && echo "$st $(cat "$work/rss.$st") $(cat "$work/peak.$st")"
    done | awk '
        { if ($3 > idle) idle = $3; if ($4 > peak) peak = $4
          line = line sprintf("%s%s %.1f / %.1f / %.1f MB", NR > 1 ? "; " : "", $1, $2 / 1024, $3 / 1024, $4 / 1024) }
        END {
            printf "**Memory** (callproof VmRSS at start / VmRSS idle 2 s after the load / VmHWM peak, per store): %s.\n", line
            printf "Idle after load: **%.1f MB** (target ≤ 20 MB: %s); peak under load: **%.1f MB** (target ≤ 80 MB: %s).\n",
                idle / 1024, idle <= 20480 ? "met" : "**missed**", peak / 1024, peak <= 81920 ? "met" : "**missed**"
        }'
    echo
    read -r ls ver ok <"$work/postcall.check"
    echo "**Post-call seals are real**: after the load the log holds $(fmt_int "$ls") leaves (wrk counted $(fmt_int "$ok") answers 201 in the measured run; the warm-up's seals, and requests still in flight when wrk stopped, are in the log too); a bundle sealed afterwards passes \`callproof verify\`: $ver."
    if [ -s "$work/recording_rss" ]; then
        echo
        echo "**A ${REC_MB} MB recording** (bench/recording_rss.sh, its own server): $(awk -F': *' '/idle RSS before/ { i = $2 } /peak RSS after download/ { p = $2; sub(/ *\(.*/, "", p) } /peak above idle/ { a = $2 } /identical/ { s = $2 } /upload [0-9]/ { } END { printf "idle %s, peak after upload and download %s, peak above idle %s; bytes identical: %s", i, p, a, s }' "$work/recording_rss")."
    fi
    if ls "$work"/prof.* >/dev/null 2>&1; then
        echo
        echo "#### Where callproof's CPU time goes"
        echo
        echo "\`perf record -e cpu-clock -F 499 -p <callproof>\` during each measured run (about 1% of a core): shares of callproof's own CPU samples, so time spent waiting (fsync, the write lock, the network) is not in them; the CPU column of the table says how busy callproof was. In a VM without hardware counters, kernel samples pile up where interrupts are re-enabled (\`_raw_spin_unlock_irqrestore\`, \`finish_task_switch\`, \`handle_softirqs\`): read the kernel's share as a whole."
        for p in create0 create1m get get1m list list1m postcall rec; do
            p=cp.$p
            [ -s "$work/prof.$p" ] || continue
            echo
            awk -v name="$p" '
                BEGIN { t["cp.create0"] = "create call, empty store"; t["cp.create1m"] = "create call, store C"; t["cp.get"] = "get call, store B"; t["cp.get1m"] = "get call, store C"; t["cp.list"] = "filtered list, store B"; t["cp.list1m"] = "filtered list, store C"; t["cp.postcall"] = "post-call"; t["cp.rec"] = "recording download" }
                /^dso$/ { mode = 1; next } /^sym$/ { mode = 2; next }
                mode == 1 { d = d sprintf("%s%s %s", d == "" ? "" : ", ", $2, $1) }
                mode == 2 { pct = $1; dso = $2; $1 = ""; $2 = ""; sub(/^ +/, ""); s = s sprintf("%s%s `%s` (%s)", s == "" ? "" : ", ", pct, $0, dso) }
                END { printf "- **%s**: by library: %s.\n  Top functions: %s.\n", t[name], d, s }' "$work/prof.$p"
        done
    fi
    echo "<!-- bench:end -->"
} >"$OUT/report.md"

cat "$OUT/report.md"
if [ -n "$DOC" ] && [ -f "$DOC" ]; then
    awk -v rep="$OUT/report.md" '
        /^<!-- bench:begin/ { while ((getline l < rep) > 0) print l; skip = 1; next }
        /^<!-- bench:end -->/ { skip = 0; next }
        !skip' "$DOC" >"$work/doc" && cp "$work/doc" "$DOC"
    grep -q '^<!-- bench:begin' "$DOC" || say "bench: $DOC has no bench:begin/bench:end markers; the report is in $OUT/report.md"
    say "bench: wrote $OUT/report.md and its block in $DOC"
fi
