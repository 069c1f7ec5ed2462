// Covers the three seed documents the call endpoints implement, each example sent as written
// (only host and key swapped, `<string>` placeholders filled with valid values of their type):
//  - seed 004 (Ovia): the POST /api/v1/calls request body exactly as in the seed (it has no
//    `direction`) → 201 with every key of the seed's response example, each of its documented
//    type; the response example itself (server-owned keys dropped) round-trips its values.
//  - seed 001 (Vocode): POST /v1/calls/end?id=… → every top-level key and every `agent` key of
//    the seed's response, with the documented types and enums, and the values the call carries.
//  - seed 002 (contact center): step 1 of the "Recording Download Flow", and the seed's Voice
//    Call Object reproduced value for value by GET /api/v1/voice-calls/vc_abc123 and its
//    epaResults by GET …/epa-results. (Steps 2 and 3, the recording SAS URL, are not part of
//    the implemented contract and are not exercised here.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, api, UUID_RE, assertCleanExit, rawRequest, rawHttp, parseResponse,
} from './lib.mjs';

let srv;
let c;
before(async () => {
  srv = await startServer();
  c = api(srv.base, srv.token);
});
after(async () => { await srv?.dispose(); });

const SEED_UUID = '3c90c3cc-0d44-4b50-8888-8dd25736052a';
const UTC_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const UUIDV7_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Send a request; resolve {status, headers, text, json}. */
async function send(client, method, path, body, headers = {}) {
  const res = await client.request(method, path, { body, headers });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

// --- type predicates for the documented response schemas -------------------------------------
const isStr = (v) => typeof v === 'string';
const isStrOrNull = (v) => v === null || typeof v === 'string';
const isIntOrNull = (v) => v === null || Number.isInteger(v);
const isNumOrNull = (v) => v === null || typeof v === 'number';
const isBoolOrNull = (v) => v === null || typeof v === 'boolean';
const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isObjOrNull = (v) => v === null || isObj(v);
const isDateTime = (v) => isStr(v) && UTC_RE.test(v) && !Number.isNaN(Date.parse(v));
const isDateTimeOrNull = (v) => v === null || isDateTime(v);
const isUuid = (v) => isStr(v) && UUID_RE.test(v);
const oneOf = (...vals) => (v) => vals.includes(v);

/**
 * POST /v1/calls/end?id=… exactly as seed 001's curl example sends it: no body, no Content-Type
 * and no Content-Length (a raw request, since fetch always adds Content-Length: 0).
 */
async function endAsCurl(id, token = srv.token) {
  const text = rawHttp('POST', `/v1/calls/end?id=${encodeURIComponent(id)}`, { Authorization: `Bearer ${token}` });
  const r = parseResponse(await rawRequest(srv.port, text));
  let json;
  try { json = JSON.parse(r.body); } catch { json = undefined; }
  return { status: r.status, headers: r.headers, text: r.body, json };
}

/** The problems of obj against schema ({key: predicate}), as readable lines. */
function typeProblems(obj, schema, where) {
  const out = [];
  if (!isObj(obj)) return [`${where}: not an object: ${JSON.stringify(obj)}`];
  for (const [k, pred] of Object.entries(schema)) {
    if (!Object.hasOwn(obj, k)) out.push(`${where}: key '${k}' is missing`);
    else if (!pred(obj[k])) out.push(`${where}: key '${k}' has an undocumented type/value: ${JSON.stringify(obj[k])}`);
  }
  return out;
}

function checkTypes(obj, schema, where) {
  const p = typeProblems(obj, schema, where);
  assert.equal(p.length, 0, p.join('\n'));
}

// Seed 004's response example: every key with its documented type (id is the server's UUIDv7).
const OVIA_SEED_SCHEMA = {
  user_id: isUuid,
  agent_id: isUuid,
  type: isStr,
  from_number: isStr,
  to_number: isStr,
  phone_number_id: isUuid,
  id: (v) => isStr(v) && UUIDV7_RE.test(v),
  status: isStr,
  started_at: isDateTimeOrNull,
  ended_at: isDateTimeOrNull,
  recording_url: isStrOrNull,
  transcript: isStrOrNull,
  duration: isIntOrNull,
  analysis: isStrOrNull,
  latency_metrics: isStrOrNull,
  created_at: isDateTime,
  updated_at: isDateTime,
  agent: isObj,
  metadata: isObj,
  costs: isObj,
  transcript_objects: Array.isArray,
};
// The keys the contract adds to the seed's example (null where unknown, never missing).
const OVIA_EXTRA_SCHEMA = {
  direction: oneOf(null, 'inbound', 'outbound'),
  call_id: isStrOrNull,
  outcome: oneOf(null, 'completed', 'no_answer', 'busy', 'voicemail', 'failed'),
  campaign_id: isStrOrNull,
  talk_time: isIntOrNull,
  recording_available: (v) => typeof v === 'boolean',
  telephony_provider: isStrOrNull,
  telephony_id: isStrOrNull,
  human_detection_result: oneOf(null, 'human', 'no_human'),
  do_not_call_result: isBoolOrNull,
  hipaa_compliant: isBoolOrNull,
  on_no_human_answer: oneOf(null, 'continue', 'hangup'),
  error_message: isStrOrNull,
};
const COSTS_SCHEMA = { llm: isNumOrNull, stt: isNumOrNull, tts: isNumOrNull, total: isNumOrNull, details: isObj };
const COSTS_DETAILS_SCHEMA = {
  tts_characters: isNumOrNull,
  llm_prompt_tokens: isNumOrNull,
  llm_completion_tokens: isNumOrNull,
  stt_audio_duration_seconds: isNumOrNull,
};

function checkOviaCall(call, where) {
  const p = [
    ...typeProblems(call, OVIA_SEED_SCHEMA, where),
    ...typeProblems(call, OVIA_EXTRA_SCHEMA, where),
    ...typeProblems(call.agent, { name: isStrOrNull }, `${where} agent`),
    ...typeProblems(call.costs, COSTS_SCHEMA, `${where} costs`),
  ];
  if (isObj(call.costs)) p.push(...typeProblems(call.costs.details, COSTS_DETAILS_SCHEMA, `${where} costs.details`));
  for (const [i, t] of (Array.isArray(call.transcript_objects) ? call.transcript_objects : []).entries()) {
    p.push(...typeProblems(t, { role: oneOf(null, 'agent', 'customer'), content: isStr, timestamp: isDateTimeOrNull },
      `${where} transcript_objects[${i}]`));
  }
  assert.equal(p.length, 0, p.join('\n'));
}

// Seed 004's request example, as written; only the `<string>` placeholders are filled.
const OVIA_SEED_REQUEST = {
  user_id: '3c90c3cc-0d44-4b50-8888-8dd25736052a',
  agent_id: '3c90c3cc-0d44-4b50-8888-8dd25736052a',
  type: 'phone_call',
  from_number: '+15551234567',
  to_number: '+15557654321',
  phone_number_id: '3c90c3cc-0d44-4b50-8888-8dd25736052a',
};

test('seed 004: the Ovia create example as written (no direction) is 201 with Location and every documented key of its documented type', async () => {
  const r = await send(c, 'POST', '/api/v1/calls', JSON.stringify(OVIA_SEED_REQUEST));
  assert.equal(r.status, 201, r.text);
  assert.match(r.headers.get('content-type') || '', /^application\/json/);
  const call = r.json;
  checkOviaCall(call, 'create response');
  assert.equal(r.headers.get('location'), `/api/v1/calls/${call.id}`);
  for (const [k, v] of Object.entries(OVIA_SEED_REQUEST)) assert.equal(call[k], v, `echoed ${k}`);
  assert.equal(call.direction, null, 'direction was not sent: null');
  assert.equal(call.status, 'not_started', 'default status');
  assert.equal(call.recording_available, false);
  assert.deepEqual(call.transcript_objects, []);
  assert.equal(call.created_at, call.updated_at);
  // Unsent costs members are null inside the documented costs shape.
  assert.deepEqual(call.costs, {
    llm: null, stt: null, tts: null, total: null,
    details: { tts_characters: null, llm_prompt_tokens: null, llm_completion_tokens: null, stt_audio_duration_seconds: null },
  });
  // The GET of the same call is the same object.
  const g = await send(c, 'GET', `/api/v1/calls/${call.id}`);
  assert.equal(g.status, 200, g.text);
  assert.deepEqual(g.json, call);
});

test("seed 004: a call carrying every field of the seed's response example round-trips its values", async () => {
  // The seed's response example minus what the server owns (id, created_at, updated_at), with
  // placeholders filled; direction added since the response documents it.
  const body = {
    user_id: SEED_UUID,
    agent_id: SEED_UUID,
    type: 'phone_call',
    direction: 'outbound',
    from_number: '+33612345678',
    to_number: '+442071838750',
    phone_number_id: SEED_UUID,
    status: 'ended',
    started_at: '2023-11-07T05:31:56Z',
    ended_at: '2023-11-07T05:31:56Z',
    recording_url: 'https://recordings.example.com/calls/1.wav',
    transcript: 'Agent: Bonjour. Client: Bonjour.',
    duration: 123,
    analysis: 'The customer booked an appointment.',
    latency_metrics: '{"p50_ms":420}',
    agent: { name: 'Clara' },
    metadata: { rule_id: 'rule-7', call_tag: 'vip', call_id_full: 'full-123', sip_trunk_id: 'trunk-9' },
    costs: {
      llm: 123, stt: 123, tts: 123, total: 123,
      details: { tts_characters: 123, llm_prompt_tokens: 123, llm_completion_tokens: 123, stt_audio_duration_seconds: 123 },
    },
    transcript_objects: [{ content: 'Bonjour', timestamp: '2023-11-07T05:31:56Z' }],
  };
  const r = await send(c, 'POST', '/api/v1/calls', body);
  assert.equal(r.status, 201, r.text);
  const call = r.json;
  checkOviaCall(call, 'create response');
  for (const k of ['user_id', 'agent_id', 'type', 'direction', 'from_number', 'to_number', 'phone_number_id',
    'status', 'started_at', 'ended_at', 'recording_url', 'transcript', 'duration', 'analysis', 'latency_metrics']) {
    assert.equal(call[k], body[k], `value of ${k}`);
  }
  assert.deepEqual(call.agent, { name: 'Clara' });
  assert.deepEqual(call.metadata, body.metadata);
  assert.deepEqual(call.costs, body.costs);
  assert.deepEqual(call.transcript_objects, [{ role: null, content: 'Bonjour', timestamp: '2023-11-07T05:31:56Z' }]);
  assert.equal(call.recording_available, true, 'a recording_url makes recording_available true');
  const g = await send(c, 'GET', `/api/v1/calls/${call.id}`);
  assert.equal(g.status, 200, g.text);
  assert.deepEqual(g.json, call);
});

// --- seed 001, Vocode ---------------------------------------------------------------------------
const VOCODE_SCHEMA = {
  agent: isObj,
  agent_phone_number: isStr,
  context: isObjOrNull,
  do_not_call_result: isBoolOrNull,
  end_time: isDateTimeOrNull,
  error_message: isStrOrNull,
  from_number: isStr,
  hipaa_compliant: isBoolOrNull,
  human_detection_result: oneOf(null, 'human', 'no_human'),
  id: isStr,
  on_no_human_answer: oneOf(null, 'continue', 'hangup'),
  recording_available: isBoolOrNull,
  run_do_not_call_detection: isBoolOrNull,
  start_time: isDateTimeOrNull,
  status: oneOf('not_started', 'in_progress', 'error', 'ended'),
  telephony_account_connection: isObjOrNull,
  telephony_id: isStrOrNull,
  telephony_provider: isStrOrNull,
  to_number: isStr,
  transcript: isStrOrNull,
  user_id: isStr,
};
const VOCODE_AGENT_KEYS = ['actions', 'context_endpoint', 'conversation_speed', 'endpointing_sensitivity', 'id',
  'initial_message', 'initial_message_delay', 'interrupt_sensitivity', 'ivr_navigation_mode', 'language',
  'noise_suppression', 'openai_account_connection', 'openai_model_name_override', 'prompt', 'user_id',
  'vector_database', 'voice', 'webhook'];

function checkVocodeCall(v, where) {
  checkTypes(v, VOCODE_SCHEMA, where);
  for (const k of VOCODE_AGENT_KEYS) assert.ok(Object.hasOwn(v.agent, k), `${where}: agent.${k} missing`);
  assert.deepEqual(v.agent.actions, []);
  for (const k of VOCODE_AGENT_KEYS) {
    if (!['actions', 'id', 'user_id'].includes(k)) assert.equal(v.agent[k], null, `${where}: agent.${k} is null`);
  }
}

test('seed 001: ending the seed-004 call (no body, as in the curl example) returns every documented key with documented types', async () => {
  const cr = await send(c, 'POST', '/api/v1/calls', JSON.stringify(OVIA_SEED_REQUEST));
  assert.equal(cr.status, 201, cr.text);
  const id = cr.json.id;
  const r = await endAsCurl(id);
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers['content-type'] || '', /^application\/json/);
  const v = r.json;
  checkVocodeCall(v, 'end response');
  assert.equal(v.id, id);
  assert.equal(v.status, 'ended');
  assert.ok(isDateTime(v.end_time), 'end_time set');
  assert.equal(v.user_id, SEED_UUID);
  assert.equal(v.agent.id, SEED_UUID, 'agent.id is the agent_id');
  assert.equal(v.agent.user_id, SEED_UUID);
  assert.equal(v.from_number, OVIA_SEED_REQUEST.from_number);
  assert.equal(v.to_number, OVIA_SEED_REQUEST.to_number);
});

test("seed 001: a call carrying the seed's Vocode values ends with those values in every key", async () => {
  const body = {
    user_id: SEED_UUID,
    agent_id: SEED_UUID,
    type: 'phone_call',
    direction: 'outbound',
    from_number: '+15551230001',
    to_number: '+15557650002',
    phone_number_id: SEED_UUID,
    status: 'in_progress',
    started_at: '2023-11-07T05:31:56Z',
    do_not_call_result: true,
    error_message: 'none',
    hipaa_compliant: true,
    human_detection_result: 'human',
    on_no_human_answer: 'continue',
    recording_url: 'https://recordings.example.com/a.wav',
    telephony_id: 'CA0123456789abcdef',
    telephony_provider: 'vonage',
    transcript: 'Hello there.',
  };
  const cr = await send(c, 'POST', '/api/v1/calls', body);
  assert.equal(cr.status, 201, cr.text);
  const r = await endAsCurl(cr.json.id);
  assert.equal(r.status, 200, r.text);
  const v = r.json;
  checkVocodeCall(v, 'end response');
  assert.equal(v.status, 'ended');
  assert.equal(v.start_time, '2023-11-07T05:31:56Z');
  assert.ok(Date.parse(v.end_time) >= Date.parse(v.start_time), 'end_time not before start_time');
  assert.equal(v.agent_phone_number, body.from_number, 'outbound: the agent dials from from_number');
  for (const k of ['do_not_call_result', 'error_message', 'hipaa_compliant', 'human_detection_result',
    'on_no_human_answer', 'telephony_id', 'telephony_provider', 'transcript', 'from_number', 'to_number', 'user_id']) {
    assert.equal(v[k], body[k], `value of ${k}`);
  }
  assert.equal(v.recording_available, true);
});

test('seed 001: the end request from an HTTP client that sends Content-Length: 0 (fetch) is accepted like the bodiless one', async () => {
  const cr = await send(c, 'POST', '/api/v1/calls', JSON.stringify(OVIA_SEED_REQUEST));
  assert.equal(cr.status, 201, cr.text);
  // fetch() sends `Content-Length: 0` for a POST without a body; an empty body is no body.
  const r = await send(c, 'POST', `/v1/calls/end?id=${cr.json.id}`);
  assert.equal(r.status, 200, r.text);
  checkVocodeCall(r.json, 'end response');
  assert.equal(r.json.status, 'ended');
});

// --- seed 002, contact center -------------------------------------------------------------------
const SEED_VOICE_CALL = {
  id: 'vc_abc123',
  campaignId: 'camp_456',
  direction: 'Outbound',
  state: 'Completed',
  startTime: '2024-01-15T10:30:00Z',
  endTime: '2024-01-15T10:35:12Z',
  durationSeconds: 312,
  talkTimeSeconds: 287,
  outcome: 'Successful',
  transcript: [
    { role: 'agent', text: 'Hello, this is...', timestamp: '00:00:01' },
    { role: 'customer', text: 'Hi, yes...', timestamp: '00:00:04' },
  ],
  epaResults: {
    state: 'Completed',
    completionReason: 'AllAnswered',
    totalQuestions: 3,
    questionsAnswered: 3,
    calculatedScore: 85.5,
    responses: [
      { question: 'How satisfied are you?', answer: 'Very satisfied', score: 5 },
    ],
  },
  createdAt: '2024-01-15T10:30:00Z',
};

function checkListEnvelopeCamel(j, where) {
  assert.deepEqual(Object.keys(j).sort(), ['items', 'page', 'pageSize', 'totalCount', 'totalPages'], where);
  assert.ok(Array.isArray(j.items));
  for (const k of ['page', 'pageSize', 'totalCount', 'totalPages']) assert.ok(Number.isInteger(j[k]), `${where}: ${k}`);
}

test('seed 002 step 1: GET /api/v1/voice-calls?state=Completed&direction=Outbound is 200 with the list envelope', async () => {
  const r = await send(c, 'GET', '/api/v1/voice-calls?state=Completed&direction=Outbound');
  assert.equal(r.status, 200, r.text);
  checkListEnvelopeCamel(r.json, 'list');
  assert.equal(r.json.page, 1);
  for (const it of r.json.items) {
    assert.equal(it.state, 'Completed');
    assert.equal(it.direction, 'Outbound');
  }
});

test("seed 002: the Voice Call Object is reproduced value for value, its callId works in the path, and its epaResults match", async () => {
  const seed = SEED_VOICE_CALL;
  const create = {
    ...OVIA_SEED_REQUEST,
    call_id: seed.id,
    campaign_id: seed.campaignId,
    direction: 'outbound',
    status: 'ended',
    outcome: 'completed',
    started_at: seed.startTime,
    ended_at: seed.endTime,
    duration: seed.durationSeconds,
    talk_time: seed.talkTimeSeconds,
    transcript_objects: [
      { role: 'agent', content: 'Hello, this is...', timestamp: '2024-01-15T10:30:01Z' },
      { role: 'customer', content: 'Hi, yes...', timestamp: '2024-01-15T10:30:04Z' },
    ],
  };
  const cr = await send(c, 'POST', '/api/v1/calls', create);
  assert.equal(cr.status, 201, cr.text);
  const uuid = cr.json.id;

  const none = await send(c, 'GET', `/api/v1/voice-calls/${seed.id}/epa-results`);
  assert.equal(none.status, 404, `no survey yet: ${none.text}`);

  const put = await send(c, 'PUT', `/api/v1/voice-calls/${seed.id}/epa-results`, seed.epaResults);
  assert.equal(put.status, 200, put.text);
  assert.deepEqual(put.json, seed.epaResults);

  const g = await send(c, 'GET', `/api/v1/voice-calls/${seed.id}`);
  assert.equal(g.status, 200, g.text);
  const vc = g.json;
  for (const k of Object.keys(seed)) assert.ok(Object.hasOwn(vc, k), `key ${k} present`);
  for (const k of ['callId', 'fromNumber', 'toNumber', 'recordingAvailable', 'updatedAt']) {
    assert.ok(Object.hasOwn(vc, k), `key ${k} present`);
  }
  assert.equal(vc.id, uuid, 'id is the server UUID');
  assert.equal(vc.callId, seed.id, 'the seed id is our callId');
  assert.ok(isDateTime(vc.createdAt), 'createdAt is a date-time');
  assert.ok(isDateTime(vc.updatedAt), 'updatedAt is a date-time');
  const { id: _i, createdAt: _c, ...seedValues } = seed;
  const { id: _j, createdAt: _d, callId: _e, fromNumber: _f, toNumber: _g, recordingAvailable: _h, updatedAt: _k, ...got } = vc;
  assert.deepEqual(got, seedValues);

  const byUuid = await send(c, 'GET', `/api/v1/voice-calls/${uuid}`);
  assert.equal(byUuid.status, 200, byUuid.text);
  assert.deepEqual(byUuid.json, vc, 'the UUID and the callId address the same object');

  const epa = await send(c, 'GET', `/api/v1/voice-calls/${seed.id}/epa-results`);
  assert.equal(epa.status, 200, epa.text);
  assert.deepEqual(epa.json, seed.epaResults);

  // Step 1 of the seed's flow now lists it.
  const list = await send(c, 'GET', '/api/v1/voice-calls?state=Completed&direction=Outbound');
  assert.equal(list.status, 200, list.text);
  const item = list.json.items.find((it) => it.id === uuid);
  assert.ok(item, 'the seed call appears in the Completed/Outbound list');
  assert.deepEqual(item, vc, 'list items are the same object as the GET');
});

test('the server shuts down cleanly (exit 0, no sanitizer report) after all of the above', async () => {
  await assertCleanExit(srv);
});
