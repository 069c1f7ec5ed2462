-- POST /v1/post-call: the econsent seed's example body, exactly, but for call_id, which is new
-- for every request (bench_<nonce>_<thread>_<n>), so each request seals a new call.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
auth_header()

local rest = [[,
"phone": "+15551234567",
"calling_entity": "Acme Insurance LLC",
"calling_number": "+18005550100",
"started_at": "2026-04-10T15:42:00Z",
"ended_at": "2026-04-10T15:46:30Z",
"duration_seconds": 270,
"outcome": "completed",
"audio_recording_url": "https://storage.yourplatform.com/recordings/call_xyz789.wav",
"full_transcript": "...",
"ai_disclosures_made": [
{
"type": "ai_identity",
"at_seconds": 1,
"text": "Hi, this is an AI assistant calling on behalf of Acme Insurance."
},
{
"type": "callback_number",
"at_seconds": 4,
"text": "Our callback number is 800-555-0100."
},
{
"type": "opt_out_instructions",
"at_seconds": 6,
"text": "If you'd like to opt out at any time, just say stop or press 9."
}
],
"consent_ids_used": ["cst_lx8k7n3f4g5h6j7k"],
"consent_ids_captured": ["cst_lx8ka1b2c3d4e5f6"]
}]]

local n = 0
function request()
  n = n + 1
  return wrk.format(nil, "/v1/post-call", nil,
    '{\n"call_id": "bench_' .. nonce .. '_' .. tid .. '_' .. n .. '"' .. rest)
end
