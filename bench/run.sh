#!/bin/sh
# `make bench`: callproof against nginx, in one run, on this machine (benchmarks, never tests).
#
# nginx (Debian's, our own config in a scratch directory, one worker per core, access log off)
# answers a fixed ~300-byte JSON to GET, a fixed JSON to POST after reading the body, and
# serves a file: that is the ceiling. Each workload runs wrk with the same script, connections
# and duration against nginx, then against callproof (SQLite, synchronous=FULL), then against
# nginx again (the ceiling is the mean of the two nginx runs: on a shared VM it drifts within
# minutes), each after a short warm-up on one connection. Three callproof servers run one after another:
#   A  empty store:      create call, post-call sealing, 1 MB recording download
#   B  100,000 calls:    get call, filtered list
#   C  1,000,000 calls:  create call, get call, filtered list
# B and C are filled by build/tools/bench_fill (the server's parsing and store ops, large
# transactions) with calls of the bench key's tenant. `perf record` (cpu-clock) samples callproof
# during each measured run; each server's RSS is read at start, idle after the load, and at its
# peak. The 200 MB recording memory bench (bench/recording_rss.sh) runs last. The report goes to
# build/bench/report.md and replaces the generated block of docs/BENCHMARKS.md (bench/report.sh,
# from the figures left in build/bench/raw).
#
# Settings (environment): BENCH_SECONDS (20) per measured run, BENCH_WARMUP_SECONDS (2),
# BENCH_CONNECTIONS (64), BENCH_WRK_THREADS (2), BENCH_CALLS (100000), BENCH_BIG_CALLS
# (1000000; 0 skips store C), BENCH_PROFILE (1; 0: no perf), BENCH_RECORDING_MB (200; 0 skips),
# BENCH_PG (1: the create and post-call workloads on PostgreSQL, one and two instances; 0 skips),
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
PG=${BENCH_PG:-1}
command -v psql >/dev/null 2>&1 || PG=0
DOC=${BENCH_DOC-docs/BENCHMARKS.md}
FILL=build/tools/bench_fill
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
OUT=build/bench
res=$OUT/raw # the figures, kept for bench/report.sh
export BENCH_LUA="$PWD/bench/wrk"

rm -rf "$res"
mkdir -p "$res"
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
# The bench rewrites docs/BENCHMARKS.md itself: only other changes mark the tree as changed.
git diff --quiet HEAD -- . ':(exclude)docs/BENCHMARKS.md' 2>/dev/null || rev="$rev+changes"

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
# $res/r.NAME.
run() {
    c=${5:-$CONNS}
    t=$WRK_THREADS
    [ "$c" -ge "$t" ] || t=$c
    BENCH_NONCE=$(date +%s%N) BENCH_RESULT="$res/r.$1" \
        wrk -t"$t" -c"$c" -d"$2s" --timeout 10s -s "bench/wrk/$3" "$4" >>"$res/wrk.log" 2>&1 || true
}
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
idle_ticks() { awk '/^cpu / { print $5 + $6 }' /proc/stat; }
# all_ticks: the machine's CPU time so far and the part of it the hypervisor gave to others
# ("steal"): on a shared VM a run's ceiling and rate both move with it.
all_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9, $9 }' /proc/stat; }
# steal_since "ALL_TICKS_BEFORE" NAME: the stolen share since then, in percent, to $res/steal.NAME.
steal_since() {
    echo "$1 $(all_ticks)" | awk '{ t = $3 - $1; printf "%.1f\n", (t > 0 ? 100 * ($4 - $2) / t : 0) }' >"$res/steal.$2"
}
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
# the CPU it used (cores) and the machine's idle share go to $res/cpu.NAME, perf samples it
# during the run ($res/prof.NAME), and afterwards the server is drained unless "nodrain". For
# every run, the share of the machine's CPU time stolen by the hypervisor goes to $res/steal.NAME.
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
    a0=$(all_ticks)
    run "$1" "$SECS" "$2" "$3"
    steal_since "$a0" "$1"
    if [ -n "${4:-}" ]; then
        c1=$(ticks "$pid"); i1=$(idle_ticks); t1=$(date +%s%N)
        awk -v c="$((c1 - c0))" -v i="$((i1 - i0))" -v t="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" \
            -v n="$cores" 'BEGIN { s = t / 1e9; printf "%.2f %.0f\n", c / hz / s, 100 * i / hz / s / n }' \
            >"$res/cpu.$1"
        [ "$PROF" != 1 ] || { wait "$perf_pid" || true; summarise_profile "$1"; }
        [ "${5:-}" = nodrain ] || drain
    fi
    [ -s "$res/r.$1" ] || { tail -n 20 "$res/wrk.log" >&2; say "bench: wrk gave no figures for $1"; exit 1; }
    say "  $1: $(awk '{ printf "%.0f req/s, p50 %.2f ms, p99 %.2f ms, %d errors", $3, $4, $5, $7 + $8 + $9 + $10 + $11 }' "$res/r.$1")"
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
    } >"$res/prof.$1"
    rm -f "$work/perf.data"
}
rss_note() { # NAME RSS_AT_START: $res/rss.NAME gets the RSS at start and idle after the load
    sleep 2
    echo "$2 $(kb "$pid" VmRSS)" >"$res/rss.$1"
}
new_store() { # DIR: a data directory with one all-scopes key for tenant "bench"; sets token, key_id
    mkdir -m 700 "$1"
    token=$("$BIN" keys create --tenant bench --scopes all --data "$1" 2>/dev/null | tail -n 1)
    key_id=$(echo "$token" | cut -d_ -f2)
}
fill() { # DIR N NAME: bench_fill, timed; the ids go to DIR/ids
    say "  filling $(fmt_int "$2") calls ..."
    "$FILL" --database "$1/callproof.db" --key-id "$key_id" --calls "$2" --ids-out "$1/ids" \
        2>"$res/fill.err" >"$res/fill.$3" || { cat "$res/fill.err" >&2; exit 1; }
    db_mb=$(du -m "$1/callproof.db" | cut -f1)
    echo "$(cat "$res/fill.$3") -> callproof.db $db_mb MB" >"$res/fill.$3"
    say "  $(cat "$res/fill.$3")"
}
stop_store() { # NAME: the server's peak RSS goes to $res/peak.NAME, then it is stopped; the
    # line its log ends with about group commit (write transactions per commit) to $res/gc.NAME
    kb "$pid" VmHWM >"$res/peak.$1"
    server_stop
    grep -o 'group commit: .*' "$log.err" >"$res/gc.$1" || true
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
measure ng.create.after create_call.lua "$ngb"

curl -sf "$base/v1/consents" -H "$(auth)" -H "$json" -o /dev/null -d '{"consent_id":"cst_lx8k7n3f4g5h6j7k","phone":"+15551234567","calling_entity":"Acme Insurance LLC","type":"prior_express_written","scope":["ai_voice","telemarketing"],"captured_at":"2026-04-01T12:00:00Z"}'
curl -sf "$base/v1/capture-verbal" -H "$(auth)" -H "$json" -o /dev/null -d '{"consent_id":"cst_lx8ka1b2c3d4e5f6","call_id":"call_xyz789","phone":"+15551234567","calling_entity":"Acme Insurance LLC","captured_at":"2026-04-10T15:44:00Z","transcript":"Yes, I agree.","agent_disclosure_text":"May we text you about your policy?","consent_scope":["ai_sms"]}'
measure ng.postcall post_call.lua "$ngb"
measure cp.postcall post_call.lua "$base" cp
measure ng.postcall.after post_call.lua "$ngb"
# The seals are real: the log holds them all, and one sealed after the load verifies offline.
log_size=$(curl -sf "$base/v1/log/checkpoint" | sed -n 2p)
ev=$(curl -sf "$base/v1/post-call" -H "$(auth)" -H "$json" -d '{"call_id":"bench_final","phone":"+15551234567","calling_entity":"Acme Insurance LLC"}' |
    sed -n 's/.*"evidence_bundle_id":"\([^"]*\)".*/\1/p')
curl -sf "$base/e/$ev.json" -o "$work/ev.json"
vkey=$(curl -sf "$base/v1/keys" | sed -n 's/.*"vkey":"\([^"]*\)".*/\1/p')
verified=no
"$BIN" verify "$work/ev.json" --pubkey "$vkey" >/dev/null 2>&1 && verified=yes
echo "$log_size $verified $(awk '{ print $1 - $10 }' "$res/r.cp.postcall")" >"$res/postcall.check"

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
measure ng.rec.after get.lua "$ngb/files/rec.wav"
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
measure ng.get.after get_call.lua "$ngb"
list_total=$(curl -sf "$base$list_q" -H "$(auth)" | sed -n 's/.*"totalCount":\([0-9]*\).*/\1/p')
echo "$list_total" >"$res/list_total.b"
measure ng.list get.lua "$ngb$list_q"
measure cp.list get.lua "$base$list_q" cp
measure ng.list.after get.lua "$ngb$list_q"
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
    echo "$list_total" >"$res/list_total.c"
    rss_note C "$rss0"
    # Last on this server: draining the list's queue would take minutes; the server is stopped.
    measure cp.list1m get.lua "$base$list_q" cp nodrain
    stop_store C
    rm -rf "$work/c"
fi

# ---- PostgreSQL: create call and post-call with one and with two instances ----
# A throwaway cluster (scripts/pg_cluster.sh: durable settings, on this machine's disk), one
# schema per case. Two instances share the database and a data directory (keys), as README's
# "Scaling out" says; wrk drives both at once with half the connections each, and the figures
# are the sum of their rates and the larger of their latencies.
# measure2 NAME SCRIPT: that, for instances $pid1/$base1 and $pid2/$base2.
measure2() {
    run warm "$WARM" "$2" "$base1" 1
    run warm "$WARM" "$2" "$base2" 1
    pid=$pid1 && drain && pid=$pid2 && drain
    c0=$(($(ticks "$pid1") + $(ticks "$pid2"))); i0=$(idle_ticks); t0=$(date +%s%N)
    a0=$(all_ticks)
    run "$1.i1" "$SECS" "$2" "$base1" $((CONNS / 2)) &
    w1=$!
    run "$1.i2" "$SECS" "$2" "$base2" $((CONNS - CONNS / 2))
    wait "$w1"
    steal_since "$a0" "$1"
    c1=$(($(ticks "$pid1") + $(ticks "$pid2"))); i1=$(idle_ticks); t1=$(date +%s%N)
    awk -v c="$((c1 - c0))" -v i="$((i1 - i0))" -v t="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" \
        -v n="$cores" 'BEGIN { s = t / 1e9; printf "%.2f %.0f\n", c / hz / s, 100 * i / hz / s / n }' \
        >"$res/cpu.$1"
    [ -s "$res/r.$1.i1" ] && [ -s "$res/r.$1.i2" ] ||
        { tail -n 20 "$res/wrk.log" >&2; say "bench: wrk gave no figures for $1"; exit 1; }
    cat "$res/r.$1.i1" "$res/r.$1.i2" | awk '
        { for (k = 1; k <= NF; k++) { if (k == 2 || k == 4 || k == 5 || k == 6) { if ($k > v[k]) v[k] = $k } else v[k] += $k }; n = NF }
        END { for (k = 1; k <= n; k++) printf "%s%s", (k > 1 ? " " : ""), v[k]; printf "\n" }' >"$res/r.$1"
    pid=$pid1 && drain && pid=$pid2 && drain
    say "  $1: $(awk '{ printf "%.0f req/s, p50 %.2f ms, p99 %.2f ms, %d errors", $3, $4, $5, $7 + $8 + $9 + $10 + $11 }' "$res/r.$1")"
}
consents() { # the consents the seed's post-call names, so its score is that of store A
    curl -sf "$base/v1/consents" -H "$(auth)" -H "$json" -o /dev/null -d '{"consent_id":"cst_lx8k7n3f4g5h6j7k","phone":"+15551234567","calling_entity":"Acme Insurance LLC","type":"prior_express_written","scope":["ai_voice","telemarketing"],"captured_at":"2026-04-01T12:00:00Z"}'
    curl -sf "$base/v1/capture-verbal" -H "$(auth)" -H "$json" -o /dev/null -d '{"consent_id":"cst_lx8ka1b2c3d4e5f6","call_id":"call_xyz789","phone":"+15551234567","calling_entity":"Acme Insurance LLC","captured_at":"2026-04-10T15:44:00Z","transcript":"Yes, I agree.","agent_disclosure_text":"May we text you about your policy?","consent_scope":["ai_sms"]}'
}
if [ "$PG" = 1 ]; then
    say "PostgreSQL (a throwaway cluster; one, then two instances)"
    pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/callproof-bench-pg.XXXXXX")
    pg_url=$(scripts/pg_cluster.sh start "$pg_dir" | tail -n 1) || { say "bench: no PostgreSQL cluster"; exit 1; }
    pg_v=$(psql "$pg_url" -Atc 'SHOW server_version' | cut -d' ' -f1)
    for n in 1 2; do
        psql "$pg_url" -qc "CREATE SCHEMA bench$n" >/dev/null
        export CALLPROOF_DATABASE="$pg_url?options=-csearch_path%3Dbench$n"
        new_store "$work/p$n"
        server_start "$work/p$n"
        pid1=$pid base1=$base log1=$log
        export BENCH_TOKEN="$token"
        consents
        if [ "$n" = 1 ]; then
            measure pg1.create create_call.lua "$base" cp
            measure pg1.postcall post_call.lua "$base" cp
        else
            server_start "$work/p$n"
            pid2=$pid base2=$base log2=$log
            measure2 pg2.create create_call.lua
            measure2 pg2.postcall post_call.lua
            cat "$log1.err" "$log2.err" | grep -c 'integrates the log now' >"$res/pg2.leaders" || true
        fi
        # The log's size under its latest checkpoint: every seal answered 201 is in it.
        curl -sf "$base1/v1/log/checkpoint" | sed -n 2p >"$res/pg$n.logsize" || true
        if [ "$n" = 1 ]; then
            stop_store P1
        else
            pid=$pid2 log=$log2 && stop_store P2b
            pid=$pid1 log=$log1 && stop_store P2a
        fi
        unset CALLPROOF_DATABASE
    done
    scripts/pg_cluster.sh destroy "$pg_dir" >/dev/null 2>&1 || true
    pg_dir=
fi

# ---- a 200 MB recording through one server: memory ----
if [ "$REC_MB" -gt 0 ]; then
    say "recording memory ($REC_MB MB)"
    bench/recording_rss.sh "$REC_MB" >"$res/recording_rss" 2>&1
fi
t_end=$(date +%s)
kill "$ng_pid" 2>/dev/null || true

# ---- the report ----
cat >"$res/meta" <<EOF
cores='$cores'
cpu_model='$cpu_model'
mem_gib='$mem_gib'
kernel='$(uname -r)'
debian='$(cat /etc/debian_version)'
fsync_rate='$fsync_rate'
load_start='$load_start'
version='$("$BIN" version | cut -d' ' -f2)'
rev='$rev'
gcc='$(gcc -dumpfullversion 2>/dev/null || echo '?')'
cflags='${BENCH_CFLAGS:-?}'
libs='SQLite $(pkgv libsqlite3-0), libmicrohttpd $(pkgv libmicrohttpd12), libsodium $(pkgv libsodium23), cJSON $(pkgv libcjson1)'
nginx_v='$nginx_v'
nginx_pkg='$nginx_pkg'
ng_json_bytes='$(printf '%s' "$ng_json" | wc -c)'
wrk_v='$(pkgv wrk)'
threads='$threads'
SECS='$SECS'
WARM='$WARM'
CONNS='$CONNS'
WRK_THREADS='$WRK_THREADS'
MID='$MID'
BIG='$BIG'
REC_MB='$REC_MB'
PG='$PG'
pg_v='${pg_v:-}'
PROF='$PROF'
date_utc='$(date -u '+%Y-%m-%d %H:%M')'
elapsed_s='$((t_end - t_start))'
EOF
BENCH_DOC="$DOC" bench/report.sh "$res"
