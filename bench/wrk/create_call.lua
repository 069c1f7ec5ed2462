-- POST /api/v1/calls: a realistic Ovia create body of 1.0 to 1.5 KB, new for every request (its
-- own call_id, numbers, times, 3 to 6 transcript turns, costs, metadata), the same shape
-- tools/bench_fill.c stores.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
auth_header()

local agent_lines = {
  "Hi, this is an AI assistant calling on behalf of Acme Insurance about your policy renewal.",
  "I can confirm the new premium would start on the first of next month.",
  "Our callback number is 800-555-0100 if you would like to reach us later.",
  "If you would like to opt out at any time, just say stop or press 9.",
  "I have noted that, thank you. Is there anything else I can help you with today?",
  "Let me check the coverage details for the vehicle registered on your account.",
  "I can schedule an appointment with one of our licensed agents this week.",
}
local customer_lines = {
  "Hi, yes, I was expecting a call about that.",
  "Can you tell me how much it would cost per month?",
  "I would rather talk to a person about the deductible.",
  "That sounds fine, please go ahead and send me the details by email.",
  "No, that is everything, thanks for calling.",
  "Could you call me back on Thursday afternoon instead?",
}
local outcomes = { "completed", "completed", "completed", "voicemail", "no_answer", "busy" }
local names = { "Ava", "Max", "Nora", "Leo", "Iris", "Sam" }
local tags = { "renewal", "claims", "new_quote", "billing", "vip" }

local function uuid()
  return string.format("%08x-%04x-4%03x-8%03x-%06x%06x", math.random(0, 0x7fffffff),
    math.random(0, 0xffff), math.random(0, 0xfff), math.random(0, 0xfff),
    math.random(0, 0xffffff), math.random(0, 0xffffff))
end

local function iso(t)
  return os.date("!%Y-%m-%dT%H:%M:%SZ", t)
end

function init(args)
  seed_thread()
end

local n = 0
function request()
  n = n + 1
  local start = 1767225600 + math.random(0, 300 * 86400) -- some time in 2026
  local talk = math.random(20, 620)
  local outbound = math.random(100) <= 60
  local ours = "+1212555" .. string.format("%04d", math.random(100, 149))
  local theirs = "+1310" .. string.format("%07d", math.random(5550000, 9999999))
  local b = {
    '{"call_id":"bench-', nonce, '-', tid, '-', n, '","user_id":"', uuid(),
    '","agent_id":"', uuid(), '","type":"phone_call","direction":"',
    outbound and "outbound" or "inbound", '","from_number":"', outbound and ours or theirs,
    '","to_number":"', outbound and theirs or ours, '","phone_number_id":"', uuid(),
    '","campaign_id":"camp_', string.format("%02d", math.random(0, 23)),
    '","status":"ended","outcome":"', outcomes[math.random(#outcomes)],
    '","started_at":"', iso(start), '","ended_at":"', iso(start + talk + 10),
    '","talk_time":', talk, ',"agent":{"name":"', names[math.random(#names)],
    '"},"telephony_provider":"twilio","telephony_id":"CA',
    string.format("%08x%08x%08x%08x", math.random(0, 0x7fffffff), math.random(0, 0x7fffffff),
      math.random(0, 0x7fffffff), math.random(0, 0x7fffffff)),
    '","human_detection_result":"human","transcript_objects":[',
  }
  local turns = math.random(3, 6)
  for k = 0, turns - 1 do
    local agent = k % 2 == 0
    b[#b + 1] = string.format('%s{"role":"%s","content":"%s","timestamp":"%s"}',
      k > 0 and "," or "", agent and "agent" or "customer",
      agent and agent_lines[math.random(#agent_lines)] or customer_lines[math.random(#customer_lines)],
      iso(start + 1 + 4 * k))
  end
  local completion = math.random(100, 999)
  b[#b + 1] = string.format(
    '],"costs":{"llm":0.%02d,"stt":0.%02d,"tts":0.%02d,"total":1.%02d,"details":{' ..
    '"tts_characters":%d,"llm_prompt_tokens":%d,"llm_completion_tokens":%d,' ..
    '"stt_audio_duration_seconds":%d}},"recording_url":"https://recordings.example.com/%08x.wav",' ..
    '"metadata":{"crm_id":"A-%d","tags":["%s"]}}',
    math.random(0, 99), math.random(0, 99), math.random(0, 99), math.random(0, 99),
    completion * 4, math.random(800, 4800), completion, talk, math.random(0, 0x7fffffff),
    math.random(0, 99999), tags[math.random(#tags)])
  return wrk.format(nil, "/api/v1/calls", nil, table.concat(b))
end
