// Covers the bad-input matrix of the call endpoints:
//  - POST /api/v1/calls, PATCH /api/v1/calls/{id} and PUT /api/v1/voice-calls/{id}/epa-results:
//    every field with a wrong type, a wrong format (bad UUID, non-E.164, bad enum, bad date), an
//    out-of-range value, and (where required) missing → 400 with the documented code and a
//    `field` naming exactly that field (nested paths such as costs.details.tts_characters,
//    transcript_objects[0].content, agent.name, responses[0].score);
//  - the boundary values just inside each range are accepted;
//  - read-only fields (server-owned, and the ones fixed at creation) and unknown fields;
//  - status transitions that go backwards or leave a finished status → 409, call unchanged;
//  - after every refused write the store is unchanged: for POST the number of calls (total_count
//    of GET /api/v1/calls), for PATCH/PUT the GET of the call (and of its epa-results) is
//    identical to before;
//  - bad list query values on both list faces (/api/v1/calls and /api/v1/voice-calls) → 400
//    bad_query naming the parameter.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, VALID_CALL, UUID, assertCleanExit, send as sendAs, expectErr } from './lib.mjs';

let srv;
before(async () => {
  srv = await startServer();
});
after(async () => { await srv?.dispose(); });

const UUID2 = '6f1c2a9e-4b7d-4c10-9a4e-0123456789ab';

/** Send a request; resolve {status, text, json, headers}. */
const send = (method, path, body, headers = {}) => sendAs(srv.base, srv.token, method, path, body, headers);


async function countCalls() {
  const r = await send('GET', '/api/v1/calls?page_size=1');
  assert.equal(r.status, 200, r.text);
  return r.json.total_count;
}

async function getCall(id) {
  const r = await send('GET', `/api/v1/calls/${id}`);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

async function createCall(extra = {}) {
  const r = await send('POST', '/api/v1/calls', { ...VALID_CALL, ...extra });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

// --- the field matrix shared by POST and PATCH (optional fields) -------------------------------
// Each case: [label, partial body, code, field]. For POST the partial body is merged over a valid
// call; for PATCH it is the whole body.
const meta = (n, valueLen = 1) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v'.repeat(valueLen)]));
const OPTIONAL_FIELD_CASES = [
  // wrong type
  ['call_id number', { call_id: 7 }, 'invalid_field', 'call_id'],
  ['status number', { status: 0 }, 'invalid_field', 'status'],
  ['outcome boolean', { outcome: false }, 'invalid_field', 'outcome'],
  ['campaign_id number', { campaign_id: 5 }, 'invalid_field', 'campaign_id'],
  ['started_at number', { started_at: 1700000000 }, 'invalid_field', 'started_at'],
  ['ended_at boolean', { ended_at: true }, 'invalid_field', 'ended_at'],
  ['duration string', { duration: '60' }, 'invalid_field', 'duration'],
  ['duration fraction', { duration: 1.5 }, 'invalid_field', 'duration'],
  ['talk_time string', { talk_time: '10' }, 'invalid_field', 'talk_time'],
  ['talk_time fraction', { talk_time: 2.5 }, 'invalid_field', 'talk_time'],
  ['recording_url number', { recording_url: 5 }, 'invalid_field', 'recording_url'],
  ['transcript array', { transcript: ['a'] }, 'invalid_field', 'transcript'],
  ['transcript_objects object', { transcript_objects: {} }, 'invalid_field', 'transcript_objects'],
  ['transcript_objects string', { transcript_objects: 'hello' }, 'invalid_field', 'transcript_objects'],
  ['transcript_objects item number', { transcript_objects: [5] }, 'invalid_field', 'transcript_objects[0]'],
  ['transcript_objects content number', { transcript_objects: [{ content: 5 }] }, 'invalid_field', 'transcript_objects[0].content'],
  ['transcript_objects timestamp number', { transcript_objects: [{ content: 'a' }, { content: 'b', timestamp: 5 }] }, 'invalid_field', 'transcript_objects[1].timestamp'],
  ['transcript_objects role number', { transcript_objects: [{ content: 'a', role: 5 }] }, 'invalid_field', 'transcript_objects[0].role'],
  ['analysis number', { analysis: 1 }, 'invalid_field', 'analysis'],
  ['latency_metrics object', { latency_metrics: {} }, 'invalid_field', 'latency_metrics'],
  ['metadata array', { metadata: [] }, 'invalid_field', 'metadata'],
  ['metadata string', { metadata: 'x' }, 'invalid_field', 'metadata'],
  ['costs number', { costs: 5 }, 'invalid_field', 'costs'],
  ['costs array', { costs: [] }, 'invalid_field', 'costs'],
  ['costs.llm string', { costs: { llm: '1' } }, 'invalid_field', 'costs.llm'],
  ['costs.stt boolean', { costs: { stt: true } }, 'invalid_field', 'costs.stt'],
  ['costs.tts object', { costs: { tts: {} } }, 'invalid_field', 'costs.tts'],
  ['costs.total string', { costs: { total: '0' } }, 'invalid_field', 'costs.total'],
  ['costs.details number', { costs: { details: 5 } }, 'invalid_field', 'costs.details'],
  ['costs.details.tts_characters string', { costs: { details: { tts_characters: 'x' } } }, 'invalid_field', 'costs.details.tts_characters'],
  ['costs.details.llm_prompt_tokens string', { costs: { details: { llm_prompt_tokens: '1' } } }, 'invalid_field', 'costs.details.llm_prompt_tokens'],
  ['costs.details.llm_completion_tokens boolean', { costs: { details: { llm_completion_tokens: true } } }, 'invalid_field', 'costs.details.llm_completion_tokens'],
  ['costs.details.stt_audio_duration_seconds array', { costs: { details: { stt_audio_duration_seconds: [] } } }, 'invalid_field', 'costs.details.stt_audio_duration_seconds'],
  ['agent string', { agent: 'Clara' }, 'invalid_field', 'agent'],
  ['agent.name number', { agent: { name: 5 } }, 'invalid_field', 'agent.name'],
  ['telephony_provider number', { telephony_provider: 5 }, 'invalid_field', 'telephony_provider'],
  ['telephony_id number', { telephony_id: 5 }, 'invalid_field', 'telephony_id'],
  ['human_detection_result boolean', { human_detection_result: true }, 'invalid_field', 'human_detection_result'],
  ['do_not_call_result string', { do_not_call_result: 'true' }, 'invalid_field', 'do_not_call_result'],
  ['hipaa_compliant number', { hipaa_compliant: 1 }, 'invalid_field', 'hipaa_compliant'],
  ['on_no_human_answer number', { on_no_human_answer: 0 }, 'invalid_field', 'on_no_human_answer'],
  ['error_message number', { error_message: 5 }, 'invalid_field', 'error_message'],
  // wrong format / enum
  ['status not in the enum (the seed example says "completed")', { status: 'completed' }, 'invalid_field', 'status'],
  ['status upper case', { status: 'ENDED' }, 'invalid_field', 'status'],
  ['outcome not in the enum', { outcome: 'successful' }, 'invalid_field', 'outcome'],
  ['outcome contact-center word', { outcome: 'Successful' }, 'invalid_field', 'outcome'],
  ['human_detection_result not in the enum', { human_detection_result: 'maybe' }, 'invalid_field', 'human_detection_result'],
  ['on_no_human_answer not in the enum', { on_no_human_answer: 'wait' }, 'invalid_field', 'on_no_human_answer'],
  ['started_at date only', { started_at: '2024-01-15' }, 'invalid_field', 'started_at'],
  ['started_at month 13', { started_at: '2024-13-01T00:00:00Z' }, 'invalid_field', 'started_at'],
  ['started_at words', { started_at: 'yesterday' }, 'invalid_field', 'started_at'],
  ['started_at without offset', { started_at: '2024-01-15T10:30:00' }, 'invalid_field', 'started_at'],
  ['ended_at February 30', { ended_at: '2024-02-30T00:00:00Z' }, 'invalid_field', 'ended_at'],
  ['ended_at hour 25', { ended_at: '2024-01-15T25:00:00Z' }, 'invalid_field', 'ended_at'],
  ['recording_url ftp', { recording_url: 'ftp://example.com/a.wav' }, 'invalid_field', 'recording_url'],
  ['recording_url not a URL', { recording_url: 'not a url' }, 'invalid_field', 'recording_url'],
  ['recording_url without a host', { recording_url: 'https://' }, 'invalid_field', 'recording_url'],
  ['transcript_objects timestamp not a date', { transcript_objects: [{ content: 'a', timestamp: 'noon' }] }, 'invalid_field', 'transcript_objects[0].timestamp'],
  ['transcript_objects role not in the enum', { transcript_objects: [{ content: 'a', role: 'robot' }] }, 'invalid_field', 'transcript_objects[0].role'],
  // out of range
  ['call_id empty', { call_id: '' }, 'invalid_field', 'call_id'],
  ['call_id 129 characters', { call_id: 'c'.repeat(129) }, 'invalid_field', 'call_id'],
  ['call_id non-ASCII', { call_id: '\u00e9' }, 'invalid_field', 'call_id'],
  ['call_id with a slash (unreachable in a path)', { call_id: 'a/b' }, 'invalid_field', 'call_id'],
  ['call_id with a space', { call_id: 'a b' }, 'invalid_field', 'call_id'],
  ['duration negative', { duration: -1 }, 'invalid_field', 'duration'],
  ['duration over a week', { duration: 604801 }, 'invalid_field', 'duration'],
  ['talk_time negative', { talk_time: -1 }, 'invalid_field', 'talk_time'],
  ['metadata 65 members', { metadata: meta(65) }, 'invalid_field', 'metadata'],
  ['metadata over 16 KiB', { metadata: { big: 'x'.repeat(17 * 1024) } }, 'invalid_field', 'metadata'],
  ['costs.llm negative', { costs: { llm: -1 } }, 'invalid_field', 'costs.llm'],
  ['costs.total negative', { costs: { total: -0.01 } }, 'invalid_field', 'costs.total'],
  ['costs.details.tts_characters negative', { costs: { details: { tts_characters: -1 } } }, 'invalid_field', 'costs.details.tts_characters'],
  ['costs.details.stt_audio_duration_seconds negative', { costs: { details: { stt_audio_duration_seconds: -0.5 } } }, 'invalid_field', 'costs.details.stt_audio_duration_seconds'],
  ['ended_at before started_at', { started_at: '2024-01-15T10:30:00Z', ended_at: '2024-01-15T10:29:59Z' }, 'invalid_field', 'ended_at'],
  // required members of nested objects
  ['transcript_objects content missing', { transcript_objects: [{ role: 'agent' }] }, 'missing_field', 'transcript_objects[0].content'],
  ['transcript_objects content missing in the second turn', { transcript_objects: [{ content: 'a' }, { timestamp: null }] }, 'missing_field', 'transcript_objects[1].content'],
  // unknown nested members
  ['costs unknown member', { costs: { llm: 1, bogus: 1 } }, 'unknown_field', 'costs.bogus'],
  ['costs.details unknown member', { costs: { details: { bogus: 1 } } }, 'unknown_field', 'costs.details.bogus'],
  ['agent unknown member', { agent: { name: 'a', bogus: 1 } }, 'unknown_field', 'agent.bogus'],
  ['transcript_objects unknown member', { transcript_objects: [{ content: 'a', text: 'b' }] }, 'unknown_field', 'transcript_objects[0].text'],
];

// Fields only POST takes (PATCH refuses them as read-only).
const CREATE_ONLY_CASES = [
  ['user_id number', { user_id: 123 }, 'invalid_field', 'user_id'],
  ['agent_id boolean', { agent_id: true }, 'invalid_field', 'agent_id'],
  ['phone_number_id object', { phone_number_id: {} }, 'invalid_field', 'phone_number_id'],
  ['type number', { type: 5 }, 'invalid_field', 'type'],
  ['from_number number', { from_number: 15551234567 }, 'invalid_field', 'from_number'],
  ['to_number array', { to_number: ['+15551234567'] }, 'invalid_field', 'to_number'],
  ['direction number', { direction: 1 }, 'invalid_field', 'direction'],
  ['user_id not a UUID', { user_id: 'not-a-uuid' }, 'invalid_field', 'user_id'],
  ['user_id UUID without hyphens', { user_id: '3c90c3cc0d444b5088888dd25736052a' }, 'invalid_field', 'user_id'],
  ['agent_id UUID with a non-hex digit', { agent_id: '3c90c3cc-0d44-4b50-8888-8dd25736052g' }, 'invalid_field', 'agent_id'],
  ['phone_number_id one digit short', { phone_number_id: '3c90c3cc-0d44-4b50-8888-8dd25736052' }, 'invalid_field', 'phone_number_id'],
  ['phone_number_id empty', { phone_number_id: '' }, 'invalid_field', 'phone_number_id'],
  ['from_number without +', { from_number: '15551234567' }, 'invalid_field', 'from_number'],
  ['from_number starting with 0', { from_number: '+05551234567' }, 'invalid_field', 'from_number'],
  ['from_number 7 digits', { from_number: '+1234567' }, 'invalid_field', 'from_number'],
  ['to_number 16 digits', { to_number: '+1234567890123456' }, 'invalid_field', 'to_number'],
  ['to_number with letters', { to_number: '+1555abc4567' }, 'invalid_field', 'to_number'],
  ['to_number with spaces', { to_number: '+1 555 123 4567' }, 'invalid_field', 'to_number'],
  ['to_number empty', { to_number: '' }, 'invalid_field', 'to_number'],
  ['direction not in the enum', { direction: 'sideways' }, 'invalid_field', 'direction'],
  ['direction in contact-center case', { direction: 'Outbound' }, 'invalid_field', 'direction'],
  ['type empty', { type: '' }, 'invalid_field', 'type'],
  ['type 65 characters', { type: 't'.repeat(65) }, 'invalid_field', 'type'],
];

const REQUIRED = ['user_id', 'agent_id', 'phone_number_id', 'type', 'from_number', 'to_number'];
const SERVER_OWNED = ['id', 'created_at', 'updated_at', 'tenant', 'tenant_id', 'state', 'epa_results'];
const FIXED_AT_CREATION = {
  user_id: UUID2,
  agent_id: UUID2,
  type: 'sms',
  direction: 'inbound',
  from_number: '+15550000001',
  to_number: '+15550000002',
  phone_number_id: UUID2,
  call_id: 'another-id',
};

/** Run every case, collecting failures, then fail once listing all of them (so one server bug
 * does not hide the cases after it). */
async function runCases(cases, fn) {
  const failures = [];
  for (const cs of cases) {
    try {
      await fn(...cs);
    } catch (e) {
      failures.push(e.message.split('\n')[0]);
    }
  }
  assert.equal(failures.length, 0, `${failures.length} of ${cases.length} cases failed:\n${failures.join('\n')}`);
}

/** POST each case; every one must be refused and the number of calls stay the same. */
async function postMatrix(cases) {
  let before = await countCalls();
  await runCases(cases, async (label, partial, code, field) => {
    const body = typeof partial === 'function' ? partial() : { ...VALID_CALL, ...partial };
    const r = await send('POST', '/api/v1/calls', body);
    const after = await countCalls();
    const was = before;
    before = after;
    expectErr(r, 400, code, field, `POST ${label}`);
    assert.equal(after, was, `POST ${label}: no call was created`);
  });
}

test('POST: each required field missing or null is 400 missing_field naming it, and nothing is created', async () => {
  const cases = [];
  for (const f of REQUIRED) {
    cases.push([`${f} missing`, () => { const b = { ...VALID_CALL }; delete b[f]; return b; }, 'missing_field', f]);
    cases.push([`${f} null`, { [f]: null }, 'missing_field', f]);
  }
  await postMatrix(cases);
});

test('POST: each required field with a wrong type, format or length is 400 invalid_field naming it, and nothing is created', async () => {
  await postMatrix(CREATE_ONLY_CASES);
});

test('POST: each optional field with a wrong type, format or range is 400 naming exactly that (nested) field, and nothing is created', async () => {
  await postMatrix(OPTIONAL_FIELD_CASES);
});

test('POST: server-owned fields are 400 read_only_field naming them, and nothing is created', async () => {
  await postMatrix(SERVER_OWNED.map((f) => [f, { [f]: f === 'id' ? UUID : 'x' }, 'read_only_field', f]));
  // The seed's response example posted back as-is names its first server-owned key.
  await postMatrix([['created_at with a date', { created_at: '2023-11-07T05:31:56Z' }, 'read_only_field', 'created_at']]);
});

test('POST: undeclared fields (including the contact-center spellings and PATCH-only ones) are 400 unknown_field, and nothing is created', async () => {
  await postMatrix([
    ['bogus', { bogus: 1 }, 'unknown_field', 'bogus'],
    ['callId', { callId: 'x' }, 'unknown_field', 'callId'],
    ['durationSeconds', { durationSeconds: 3 }, 'unknown_field', 'durationSeconds'],
    ['transcript_objects_append', { transcript_objects_append: [] }, 'unknown_field', 'transcript_objects_append'],
  ]);
});

test('POST: a call_id the tenant already used is 409 conflict, and nothing is created', async () => {
  await createCall({ call_id: 'dup-call-1' });
  const before = await countCalls();
  const r = await send('POST', '/api/v1/calls', { ...VALID_CALL, call_id: 'dup-call-1', to_number: '+15559990000' });
  expectErr(r, 409, 'conflict', undefined, 'duplicate call_id');
  assert.equal(await countCalls(), before);
});

test('POST: the values just inside every range are accepted', async () => {
  const ok = [
    ['type 64 characters', { type: 't'.repeat(64) }],
    ['type 1 character', { type: 't' }],
    ['call_id 128 characters', { call_id: 'c'.repeat(128) }],
    ['call_id 1 character', { call_id: 'c' }],
    ['call_id with every allowed punctuation', { call_id: 'A-z_0.9:~@+=' }],
    ['duration 0', { duration: 0 }],
    ['duration 604800', { duration: 604800 }],
    ['talk_time 0', { talk_time: 0 }],
    ['from_number 8 digits', { from_number: '+12345678' }],
    ['to_number 15 digits', { to_number: '+123456789012345' }],
    ['from_number anonymous', { from_number: 'anonymous' }],
    ['direction inbound', { direction: 'inbound' }],
    ['direction omitted', () => { const b = { ...VALID_CALL }; delete b.direction; return b; }],
    ['metadata 64 members', { metadata: meta(64) }],
    ['metadata nested', { metadata: { a: { b: [1, null, true] } } }],
    ['costs all zero', { costs: { llm: 0, stt: 0, tts: 0, total: 0, details: { tts_characters: 0, llm_prompt_tokens: 0, llm_completion_tokens: 0, stt_audio_duration_seconds: 0 } } }],
    ['costs fractional', { costs: { llm: 0.0012, total: 1.5 } }],
    ['ended_at equal to started_at', { started_at: '2024-01-15T10:30:00Z', ended_at: '2024-01-15T10:30:00Z' }],
    ['times with an offset', { started_at: '2024-01-15T12:30:00+02:00', ended_at: '2024-01-15T10:31:00.250Z' }],
    ['turn with null role and timestamp', { transcript_objects: [{ content: '', role: null, timestamp: null }] }],
    ['every enum value', { status: 'error', outcome: 'voicemail', human_detection_result: 'no_human', on_no_human_answer: 'hangup' }],
    ['http recording_url', { recording_url: 'http://example.com/r.mp3' }],
  ];
  await runCases(ok, async (label, partial) => {
    const body = typeof partial === 'function' ? partial() : { ...VALID_CALL, ...partial };
    const r = await send('POST', '/api/v1/calls', body);
    assert.equal(r.status, 201, `${label}: ${r.text}`);
  });
});

// --- PATCH --------------------------------------------------------------------------------------
let patchTarget;
const PATCH_CALL = {
  ...VALID_CALL,
  call_id: 'patch-target-1',
  status: 'in_progress',
  campaign_id: 'camp-1',
  started_at: '2024-01-15T10:30:00Z',
  metadata: meta(60),
  costs: { llm: 0.5, details: { tts_characters: 10 } },
  agent: { name: 'Clara' },
  transcript: 'so far',
  transcript_objects: [{ role: 'agent', content: 'Hello', timestamp: '2024-01-15T10:30:01Z' }],
};

async function patchTargetId() {
  if (!patchTarget) patchTarget = (await createCall(PATCH_CALL)).id;
  return patchTarget;
}

/** PATCH each case on the target; each must be refused with the call left exactly as it was. */
async function patchMatrix(id, cases, status = 400) {
  let snapshot = await getCall(id);
  await runCases(cases, async (label, body, code, field, message) => {
    const r = await send('PATCH', `/api/v1/calls/${id}`, body);
    const now = await getCall(id);
    const was = snapshot;
    snapshot = now;
    expectErr(r, status, code, field, `PATCH ${label}`);
    if (message) assert.match(r.json.message, message, `PATCH ${label}: message`);
    assert.deepEqual(now, was, `PATCH ${label}: the call is unchanged`);
  });
}

test('PATCH: each optional field with a wrong type, format or range is 400 naming exactly that field, and the call is unchanged', async () => {
  // call_id is fixed at creation: PATCH refuses it as read-only whatever its value (tested below).
  await patchMatrix(await patchTargetId(), OPTIONAL_FIELD_CASES.filter(([, , , field]) => field !== 'call_id'));
});

test('PATCH: the fields fixed at creation are 400 read_only_field "cannot be changed after the call is created", call unchanged', async () => {
  await patchMatrix(await patchTargetId(), Object.entries(FIXED_AT_CREATION).map(([f, v]) => [
    f, { [f]: v }, 'read_only_field', f, /cannot be changed after the call is created/,
  ]));
});

test('PATCH: server-owned fields are 400 read_only_field and undeclared fields 400 unknown_field, call unchanged', async () => {
  await patchMatrix(await patchTargetId(), [
    ...SERVER_OWNED.map((f) => [f, { [f]: f === 'id' ? UUID : 'x' }, 'read_only_field', f]),
    ['bogus', { bogus: 1 }, 'unknown_field', 'bogus'],
    ['callId', { callId: 'x' }, 'unknown_field', 'callId'],
    ['a read-only field next to a valid change', { transcript: 'changed', user_id: UUID2 }, 'read_only_field', 'user_id'],
    ['an unknown field next to a valid change', { transcript: 'changed', bogus: 1 }, 'unknown_field', 'bogus'],
  ]);
});

test('PATCH: turns replace and append together, bad appended turns, null status, ended_at before the stored start and a metadata merge over 64 members are refused, call unchanged', async () => {
  const id = await patchTargetId();
  const snapshot = await getCall(id);
  const both = await send('PATCH', `/api/v1/calls/${id}`, {
    transcript_objects: [{ content: 'a' }], transcript_objects_append: [{ content: 'b' }],
  });
  expectErr(both, 400, ['bad_request', 'invalid_field'].includes(both.json?.code) ? both.json.code : 'invalid_field',
    undefined, 'replace and append at once');
  assert.ok(['transcript_objects', 'transcript_objects_append', undefined].includes(both.json.field), both.text);
  assert.deepEqual(await getCall(id), snapshot, 'replace+append: the call is unchanged');
  await patchMatrix(id, [
    ['append not an array', { transcript_objects_append: 'x' }, 'invalid_field', 'transcript_objects_append'],
    ['append turn without content', { transcript_objects_append: [{ role: 'agent' }] }, 'missing_field', 'transcript_objects_append[0].content'],
    ['append turn with a bad role', { transcript_objects_append: [{ content: 'x' }, { content: 'y', role: 'bot' }] }, 'invalid_field', 'transcript_objects_append[1].role'],
    ['append turn with a bad timestamp', { transcript_objects_append: [{ content: 'x', timestamp: '2024-01-15' }] }, 'invalid_field', 'transcript_objects_append[0].timestamp'],
    ['status null', { status: null }, 'invalid_field', 'status'],
    ['ended_at before the stored started_at', { ended_at: '2024-01-15T10:00:00Z' }, 'invalid_field', 'ended_at'],
    ['metadata merge to 65 members', { metadata: { n1: 1, n2: 2, n3: 3, n4: 4, n5: 5 } }, 'invalid_field', 'metadata'],
  ]);
  // A started_at moved after the stored ended_at is checked against it too.
  const timed = await createCall({ started_at: '2024-01-15T10:30:00Z', ended_at: '2024-01-15T10:35:00Z' });
  await patchMatrix(timed.id, [
    ['started_at after the stored ended_at', { started_at: '2024-01-15T10:40:00Z' }, 'invalid_field', 'ended_at'],
    ['ended_at before the stored started_at', { ended_at: '2024-01-15T10:29:00Z' }, 'invalid_field', 'ended_at'],
  ]);
});

test('PATCH: a body that is not a JSON object is 400 invalid_json and an unknown id is 404 "Call not found: <id>."', async () => {
  const id = await patchTargetId();
  await patchMatrix(id, [
    ['array body', [], 'invalid_json', undefined],
    ['broken JSON', '{"transcript": ', 'invalid_json', undefined],
  ]);
  const unknown = '00000000-0000-4000-8000-000000000000';
  const r = await send('PATCH', `/api/v1/calls/${unknown}`, { transcript: 'x' });
  expectErr(r, 404, 'not_found', undefined, 'unknown id');
  assert.equal(r.json.message, `Call not found: ${unknown}.`);
});

test('status transitions backwards or out of a finished status are 409 invalid_status_transition (field status) and change nothing', async () => {
  const bad = [
    ['in_progress', 'not_started'],
    ['ended', 'not_started'],
    ['ended', 'in_progress'],
    ['ended', 'error'],
    ['error', 'not_started'],
    ['error', 'in_progress'],
    ['error', 'ended'],
  ];
  for (const [from, to] of bad) {
    const call = await createCall({ status: from, transcript: 'before' });
    await patchMatrix(call.id, [
      [`${from} → ${to}`, { status: to }, 'invalid_status_transition', 'status'],
      [`${from} → ${to} together with another change`, { status: to, transcript: 'after' }, 'invalid_status_transition', 'status'],
    ], 409);
  }
});

test('status transitions forward, skipping, or to the same value are accepted', async () => {
  const good = [
    ['not_started', 'not_started'], ['not_started', 'in_progress'], ['not_started', 'ended'], ['not_started', 'error'],
    ['in_progress', 'in_progress'], ['in_progress', 'ended'], ['in_progress', 'error'],
    ['ended', 'ended'], ['error', 'error'],
  ];
  for (const [from, to] of good) {
    const call = await createCall({ status: from });
    const r = await send('PATCH', `/api/v1/calls/${call.id}`, { status: to });
    assert.equal(r.status, 200, `${from} → ${to}: ${r.text}`);
    assert.equal(r.json.status, to);
    assert.equal((await getCall(call.id)).status, to);
  }
});

// --- PUT epa-results -----------------------------------------------------------------------------
const EPA = Object.freeze({
  state: 'Completed',
  completionReason: 'AllAnswered',
  totalQuestions: 3,
  questionsAnswered: 3,
  calculatedScore: 85.5,
  responses: [{ question: 'How satisfied are you?', answer: 'Very satisfied', score: 5 }],
});
const resp = (over) => [{ ...EPA.responses[0], ...over }];

const EPA_CASES = [
  // missing / null required
  ['state missing', () => { const b = { ...EPA }; delete b.state; return b; }, 'missing_field', 'state'],
  ['totalQuestions missing', () => { const b = { ...EPA }; delete b.totalQuestions; return b; }, 'missing_field', 'totalQuestions'],
  ['questionsAnswered missing', () => { const b = { ...EPA }; delete b.questionsAnswered; return b; }, 'missing_field', 'questionsAnswered'],
  ['state null', { state: null }, 'missing_field', 'state'],
  ['question missing', { responses: [{ answer: 'a', score: 1 }] }, 'missing_field', 'responses[0].question'],
  // wrong type
  ['state number', { state: 1 }, 'invalid_field', 'state'],
  ['completionReason number', { completionReason: 5 }, 'invalid_field', 'completionReason'],
  ['totalQuestions string', { totalQuestions: '3' }, 'invalid_field', 'totalQuestions'],
  ['totalQuestions fraction', { totalQuestions: 2.5 }, 'invalid_field', 'totalQuestions'],
  ['questionsAnswered boolean', { questionsAnswered: true }, 'invalid_field', 'questionsAnswered'],
  ['calculatedScore string', { calculatedScore: '85.5' }, 'invalid_field', 'calculatedScore'],
  ['responses object', { responses: {} }, 'invalid_field', 'responses'],
  ['responses item string', { responses: ['x'] }, 'invalid_field', 'responses[0]'],
  ['question number', { responses: resp({ question: 5 }) }, 'invalid_field', 'responses[0].question'],
  ['answer number', { responses: resp({ answer: 5 }) }, 'invalid_field', 'responses[0].answer'],
  ['score string', { responses: resp({ score: '5' }) }, 'invalid_field', 'responses[0].score'],
  ['score string in the second response', { responses: [EPA.responses[0], { question: 'q2', score: 'x' }] }, 'invalid_field', 'responses[1].score'],
  // wrong enum
  ['state not in the enum', { state: 'Done' }, 'invalid_field', 'state'],
  ['state lower case', { state: 'completed' }, 'invalid_field', 'state'],
  ['completionReason not in the enum', { completionReason: 'Bored' }, 'invalid_field', 'completionReason'],
  // out of range
  ['totalQuestions negative', { totalQuestions: -1, questionsAnswered: 0 }, 'invalid_field', 'totalQuestions'],
  ['totalQuestions 1001', { totalQuestions: 1001 }, 'invalid_field', 'totalQuestions'],
  ['questionsAnswered negative', { questionsAnswered: -1 }, 'invalid_field', 'questionsAnswered'],
  ['questionsAnswered greater than totalQuestions', { questionsAnswered: 4 }, 'invalid_field', 'questionsAnswered'],
  ['questionsAnswered 1001', { totalQuestions: 1000, questionsAnswered: 1001 }, 'invalid_field', 'questionsAnswered'],
  ['question empty', { responses: resp({ question: '' }) }, 'invalid_field', 'responses[0].question'],
  ['question 2001 characters', { responses: resp({ question: 'q'.repeat(2001) }) }, 'invalid_field', 'responses[0].question'],
  ['1001 responses', { responses: Array.from({ length: 1001 }, () => EPA.responses[0]) }, 'invalid_field', 'responses'],
  // unknown
  ['unknown member', { bogus: 1 }, 'unknown_field', 'bogus'],
  ['snake_case spelling', { total_questions: 3 }, 'unknown_field', 'total_questions'],
  ['unknown member of a response', { responses: resp({ comment: 'x' }) }, 'unknown_field', 'responses[0].comment'],
];

test('PUT epa-results: each bad field is 400 naming it; stored results, the voice call, and a call without results are unchanged', async () => {
  const withEpa = await createCall({ call_id: 'epa-with', status: 'ended', outcome: 'completed' });
  const withoutEpa = await createCall({ call_id: 'epa-without', status: 'ended' });
  const stored = { ...EPA, calculatedScore: 70, responses: [] };
  const put = await send('PUT', `/api/v1/voice-calls/${withEpa.id}/epa-results`, stored);
  assert.equal(put.status, 200, put.text);
  const vcBefore = (await send('GET', `/api/v1/voice-calls/${withEpa.id}`)).json;
  assert.deepEqual(vcBefore.epaResults, stored);
  await runCases(EPA_CASES, async (label, partial, code, field) => {
    const body = typeof partial === 'function' ? partial() : { ...EPA, ...partial };
    const rs = [];
    for (const target of [withEpa.id, withoutEpa.id]) {
      rs.push(await send('PUT', `/api/v1/voice-calls/${target}/epa-results`, body));
    }
    const g = await send('GET', `/api/v1/voice-calls/${withEpa.id}/epa-results`);
    const none = await send('GET', `/api/v1/voice-calls/${withoutEpa.id}/epa-results`);
    if (g.status === 200 && JSON.stringify(g.json) !== JSON.stringify(stored)) {
      await send('PUT', `/api/v1/voice-calls/${withEpa.id}/epa-results`, stored); // restore for the next case
    }
    for (const r of rs) expectErr(r, 400, code, field, `PUT epa-results ${label}`);
    assert.equal(g.status, 200, `${label}: ${g.text}`);
    assert.deepEqual(g.json, stored, `${label}: stored results unchanged`);
    expectErr(none, 404, 'not_found', undefined, `${label}: a call without results still has none`);
  });
  assert.deepEqual((await send('GET', `/api/v1/voice-calls/${withEpa.id}`)).json, vcBefore, 'the voice call is unchanged');
  const r = await send('PUT', '/api/v1/voice-calls/no-such-call/epa-results', EPA);
  expectErr(r, 404, 'not_found', undefined, 'PUT on an unknown call');
});

test('PUT epa-results: the values just inside every range are accepted and stored as sent', async () => {
  const call = await createCall({ call_id: 'epa-bounds', status: 'ended' });
  const ok = [
    ['1000 of 1000', { totalQuestions: 1000, questionsAnswered: 1000 }],
    ['0 of 0, no responses', { totalQuestions: 0, questionsAnswered: 0, responses: [] }],
    ['nullable members null', { completionReason: null, calculatedScore: null, responses: resp({ answer: null, score: null }) }],
    ['no responses member', () => { const b = { ...EPA }; delete b.responses; return b; }],
    ['question 2000 characters', { responses: resp({ question: 'q'.repeat(2000) }) }],
    ['1000 responses', { responses: Array.from({ length: 1000 }, (_, i) => ({ question: `q${i}`, answer: null, score: i })) }],
    ['every state and reason', { state: 'Partial', completionReason: 'HangUp' }],
    ['NotStarted, Timeout', { state: 'NotStarted', completionReason: 'Timeout', questionsAnswered: 0 }],
    ['Declined', { completionReason: 'Declined' }],
    ['Error', { completionReason: 'Error' }],
  ];
  for (const [label, partial] of ok) {
    const body = typeof partial === 'function' ? partial() : { ...EPA, ...partial };
    const r = await send('PUT', `/api/v1/voice-calls/${call.id}/epa-results`, body);
    assert.equal(r.status, 200, `${label}: ${r.text}`);
    const g = await send('GET', `/api/v1/voice-calls/${call.id}/epa-results`);
    assert.equal(g.status, 200);
    assert.deepEqual(g.json, r.json, `${label}: GET returns what PUT stored`);
    assert.deepEqual(Object.keys(g.json).sort(),
      ['calculatedScore', 'completionReason', 'questionsAnswered', 'responses', 'state', 'totalQuestions'],
      `${label}: every key of the stored object`);
    for (const k of ['state', 'completionReason', 'totalQuestions', 'questionsAnswered', 'calculatedScore', 'responses']) {
      if (k in body) assert.deepEqual(g.json[k], body[k], `${label}: ${k}`);
    }
  }
});

// --- list queries --------------------------------------------------------------------------------
const SNAKE_BAD = [
  ['foo=1', 'foo'],
  ['pageSize=10', 'pageSize'],
  ['campaignId=camp', 'campaignId'],
  ['dateFrom=2024-01-01T00:00:00Z', 'dateFrom'],
  ['state=Completed', 'state'],
  ['state=ended', 'state'],
  ['state=', 'state'],
  ['direction=Outbound', 'direction'],
  ['direction=sideways', 'direction'],
  ['date_from=yesterday', 'date_from'],
  ['date_from=2024-01-15', 'date_from'],
  ['date_to=2024-13-01T00:00:00Z', 'date_to'],
  ['date_from=2024-02-01T00:00:00Z&date_to=2024-01-31T23:59:59Z', 'date_to'],
  ['page=0', 'page'],
  ['page=-1', 'page'],
  ['page=1000001', 'page'],
  ['page=abc', 'page'],
  ['page=1.5', 'page'],
  ['page=', 'page'],
  ['page=1&page=2', 'page'],
  ['page=%zz', 'page'],
  ['page_size=0', 'page_size'],
  ['page_size=501', 'page_size'],
  ['page_size=x', 'page_size'],
  ['phone=15551234567', 'phone'],
  ['phone=%2B1234', 'phone'],
  ['phone=+15551234567', 'phone'], // '+' decodes to a space
  ['outcome=great', 'outcome'],
  ['outcome=Completed', 'outcome'],
];
const CAMEL_BAD = [
  ['foo=1', 'foo'],
  ['page_size=10', 'page_size'],
  ['campaign_id=camp', 'campaign_id'],
  ['date_from=2024-01-01T00:00:00Z', 'date_from'],
  ['state=completed', 'state'],
  ['state=Ended', 'state'],
  ['state=', 'state'],
  ['direction=outbound', 'direction'],
  ['direction=Sideways', 'direction'],
  ['dateFrom=yesterday', 'dateFrom'],
  ['dateFrom=2024-01-15', 'dateFrom'],
  ['dateTo=2024-13-01T00:00:00Z', 'dateTo'],
  ['dateFrom=2024-02-01T00:00:00Z&dateTo=2024-01-31T23:59:59Z', 'dateTo'],
  ['page=0', 'page'],
  ['page=-1', 'page'],
  ['page=1000001', 'page'],
  ['page=abc', 'page'],
  ['page=1.5', 'page'],
  ['page=1&page=2', 'page'],
  ['pageSize=0', 'pageSize'],
  ['pageSize=501', 'pageSize'],
  ['pageSize=x', 'pageSize'],
  ['phone=15551234567', 'phone'],
  ['phone=%2B1234', 'phone'],
  ['phone=+15551234567', 'phone'],
  ['outcome=great', 'outcome'],
  ['outcome=Completed', 'outcome'],
];

test('GET /api/v1/calls: unknown parameters and bad values are 400 bad_query naming the parameter', async () => {
  await runCases(SNAKE_BAD, async (q, field) => {
    expectErr(await send('GET', `/api/v1/calls?${q}`), 400, 'bad_query', field, `?${q}`);
  });
});

test('GET /api/v1/voice-calls: unknown parameters and bad values are 400 bad_query naming the camelCase parameter', async () => {
  await runCases(CAMEL_BAD, async (q, field) => {
    expectErr(await send('GET', `/api/v1/voice-calls?${q}`), 400, 'bad_query', field, `?${q}`);
  });
});

test('both list faces accept every documented value of every parameter', async () => {
  const snake = ['campaign_id=camp', 'direction=inbound', 'direction=outbound', 'date_from=2024-01-01T00:00:00Z',
    'date_to=2024-01-01T00:00:00%2B02:00', 'date_from=2024-01-01T00:00:00Z&date_to=2024-01-01T00:00:00Z',
    'page=1', 'page=1000000', 'page_size=1', 'page_size=500', 'phone=%2B15551234567',
    ...['not_started', 'in_progress', 'completed', 'busy', 'no_answer', 'voicemail', 'failed'].map((s) => `state=${s}`),
    ...['completed', 'no_answer', 'busy', 'voicemail', 'failed', 'Successful', 'NoAnswer', 'Busy', 'Voicemail', 'Failed'].map((o) => `outcome=${o}`)];
  const camel = ['campaignId=camp', 'direction=Inbound', 'direction=Outbound', 'dateFrom=2024-01-01T00:00:00Z',
    'dateTo=2024-01-01T00:00:00%2B02:00', 'dateFrom=2024-01-01T00:00:00Z&dateTo=2024-01-01T00:00:00Z',
    'page=1', 'page=1000000', 'pageSize=1', 'pageSize=500', 'phone=%2B15551234567',
    ...['NotStarted', 'InProgress', 'Completed', 'Busy', 'NoAnswer', 'Voicemail', 'Failed'].map((s) => `state=${s}`),
    ...['completed', 'no_answer', 'busy', 'voicemail', 'failed', 'Successful', 'NoAnswer', 'Busy', 'Voicemail', 'Failed'].map((o) => `outcome=${o}`)];
  for (const q of snake) {
    const r = await send('GET', `/api/v1/calls?${q}`);
    assert.equal(r.status, 200, `/api/v1/calls?${q}: ${r.text}`);
  }
  for (const q of camel) {
    const r = await send('GET', `/api/v1/voice-calls?${q}`);
    assert.equal(r.status, 200, `/api/v1/voice-calls?${q}: ${r.text}`);
  }
});

test('the server shuts down cleanly (exit 0, no sanitizer report) after all of the above', async () => {
  await assertCleanExit(srv);
});
