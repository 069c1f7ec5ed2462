# Sourced by the benchmarks (from the repository root): starts `callproof serve` on a fresh data
# directory in $work and sets pid, base (http://HOST:PORT) and token (the first-start key). The
# server is killed and $work removed on exit.
BIN=${CALLPROOF_BIN:-build/callproof}
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

"$BIN" serve --listen 127.0.0.1:0 --data "$work/data" >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 100); do grep -q 'listening on' "$work/err" && break; sleep 0.05; done
addr=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$work/err" | head -n 1)
token=$(grep -o 'cp_[0-9a-f]\{16\}_[0-9a-f]\{64\}' "$work/out" | head -n 1)
base="http://$addr"
