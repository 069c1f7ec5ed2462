#!/bin/sh
# Benchmark (not a test): sealing throughput and latency of POST /v1/post-call, each request a
# new call sealed into a signed bundle, a log leaf and a signed checkpoint committed with fsync
# (SQLite, synchronous=FULL). The seed's body with the consents it names on file; wrk gives each
# request its own call_id. Afterwards the log size must equal the number of 201s, and the last
# bundle must pass `callproof verify`. Run with `make bench` (or bench/postcall_wrk.sh [SECONDS]).
set -eu
cd "$(dirname "$0")/.."
SECS=${1:-10}
. bench/lib.sh
auth="Authorization: Bearer $token"
json='Content-Type: application/json'

curl -sf "$base/v1/consents" -H "$auth" -H "$json" -o /dev/null -d '{"consent_id":"cst_lx8k7n3f4g5h6j7k","phone":"+15551234567","calling_entity":"Acme Insurance LLC","type":"prior_express_written","scope":["ai_voice","telemarketing"],"captured_at":"2026-04-01T12:00:00Z"}'
curl -sf "$base/v1/capture-verbal" -H "$auth" -H "$json" -o /dev/null -d '{"consent_id":"cst_lx8ka1b2c3d4e5f6","call_id":"call_xyz789","phone":"+15551234567","calling_entity":"Acme Insurance LLC","captured_at":"2026-04-10T15:44:00Z","transcript":"Yes, I agree.","agent_disclosure_text":"May we text you about your policy?","consent_scope":["ai_sms"]}'

cat >"$work/post.lua" <<LUA
local n = 0
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $token"
wrk.headers["Content-Type"] = "application/json"
local rest = [[,"phone":"+15551234567","calling_entity":"Acme Insurance LLC","calling_number":"+18005550100","started_at":"2026-04-10T15:42:00Z","ended_at":"2026-04-10T15:46:30Z","duration_seconds":270,"outcome":"completed","audio_recording_url":"https://storage.yourplatform.com/recordings/call_xyz789.wav","full_transcript":"...","ai_disclosures_made":[{"type":"ai_identity","at_seconds":1,"text":"Hi, this is an AI assistant calling on behalf of Acme Insurance."},{"type":"callback_number","at_seconds":4,"text":"Our callback number is 800-555-0100."},{"type":"opt_out_instructions","at_seconds":6,"text":"If you'd like to opt out at any time, just say stop or press 9."}],"consent_ids_used":["cst_lx8k7n3f4g5h6j7k"],"consent_ids_captured":["cst_lx8ka1b2c3d4e5f6"]}]]
local thread_id = 0
function setup(thread) thread:set("tid", thread_id); thread_id = thread_id + 1 end
function request()
  n = n + 1
  return wrk.format(nil, "/v1/post-call", nil, '{"call_id":"bench_' .. tid .. '_' .. n .. '"' .. rest)
end
local bad = 0
function response(status) if status ~= 201 then bad = bad + 1 end end
function done(summary, latency, requests)
  io.write(string.format("  p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
LUA

echo "post-call sealing benchmark: ${SECS} s, wrk -t2 -c8, $(nproc) cores, $(uname -r)"
wrk -t2 -c8 -d"${SECS}s" --latency -s "$work/post.lua" "$base" >"$work/wrk" 2>&1 || true
grep -E 'Requests/sec|requests in|Non-2xx|Socket errors|p50' "$work/wrk" | sed 's/^/  /'
size=$(curl -sf "$base/v1/log/checkpoint" | sed -n 2p)
echo "  log size after the run:        ${size}"
last=$((size - 1))
id=$(curl -sf "$base/v1/post-call" -H "$auth" -H "$json" -d '{"call_id":"bench_final","phone":"+15551234567","calling_entity":"Acme Insurance LLC"}' |
     python3 -c 'import json,sys; print(json.load(sys.stdin)["evidence_bundle_id"])')
curl -sf "$base/e/$id.json" -o "$work/ev.json"
vkey=$(curl -sf "$base/v1/keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["keys"][0]["vkey"])')
if "$BIN" verify "$work/ev.json" --pubkey "$vkey" >/dev/null; then v=yes; else v=NO; fi
echo "  a bundle sealed after the run verifies: ${v} (leaf ${size}; ${last} was the last under load)"
