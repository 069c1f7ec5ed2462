# Sourced by the benchmarks (from the repository root). Defines:
#   bench_init             make the scratch directory $work (under $TMPDIR or /tmp), removed on
#                          exit together with every server these functions started
#   server_start DATA      start `callproof serve` on 127.0.0.1 (a free port) with data
#                          directory DATA; sets pid, base (http://HOST:PORT), threads (its
#                          HTTP threads, from its log), and token when the server made its
#                          first-start key (else token is left alone)
#   server_stop            SIGTERM the server started last and wait for it to exit
#   kb PID FIELD           a field of /proc/PID/status in kB (VmRSS, VmHWM)
BIN=${CALLPROOF_BIN:-build/callproof}
pid=
base=
token=
bench_pids=

bench_cleanup() {
    for p in $bench_pids; do kill "$p" 2>/dev/null || true; done
    for p in $bench_pids; do wait "$p" 2>/dev/null || true; done
    [ -z "${pg_dir:-}" ] || scripts/pg_cluster.sh destroy "$pg_dir" >/dev/null 2>&1 || true
    [ -n "${work:-}" ] && rm -rf "$work"
}

bench_init() {
    work=$(mktemp -d "${TMPDIR:-/tmp}/callproof-bench.XXXXXX")
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
}

server_start() {
    log="$work/server.$$.$(date +%s%N)"
    "$BIN" serve --listen 127.0.0.1:0 --data "$1" >"$log.out" 2>"$log.err" &
    pid=$!
    bench_pids="$bench_pids $pid"
    for _ in $(seq 200); do grep -qs 'listening on' "$log.err" && break; sleep 0.05; done
    addr=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$log.err" | head -n 1)
    [ -n "$addr" ] || { cat "$log.err" >&2; echo "bench: callproof did not start" >&2; exit 1; }
    first=$(grep -o 'cp_[0-9a-f]\{16\}_[0-9a-f]\{64\}' "$log.out" | head -n 1 || true)
    [ -z "$first" ] || token=$first
    base="http://$addr"
    threads=$(sed -n 's/.*listening on .*, \([0-9]*\) threads.*/\1/p' "$log.err" | head -n 1)
}

server_stop() {
    kill -TERM "$pid" 2>/dev/null || true
    # It lets requests in flight finish (shutdown_timeout_s, 30 s); past a minute, SIGKILL.
    for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
