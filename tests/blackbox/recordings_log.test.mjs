// Covers the recording log (seed 003, "Set Call Recording Log"): POST and GET
// /v1/calls/{call_id}/recording-log.
//  - Seed 003's four examples sent as written (only host and key swapped) to a call created with
//    call_id "call_1j2kd9": the full curl body with its Idempotency-Key, the minimal curl body,
//    and the JavaScript (fetch) and TypeScript (axios) bodies; the success envelope with every
//    documented data key, and the seed's response values.
//  - Upsert semantics (201 then 200, created_at kept, updated_at moves, every log field replaced,
//    unsent fields null), Idempotency-Key replay and reuse, the list (oldest first, "N recording
//    log(s)."), data.call_id (the caller's call_id, else the server id), and the call's
//    recording_available / recordingAvailable / recording_url in the other faces.
//  - The seed's documented errors with their exact bodies (400 recording_url, 401, 404), a
//    bad-input matrix for every field (wrong type, format, range, missing → 400 naming the
//    field, nothing stored), other tenants (404) and scopes (403).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, api, createKey, expectError, assertErrorBody, VALID_CALL, UUID_RE, sleep, assertCleanExit,
} from './lib.mjs';

let srv;
let c; // the first-start (all scopes) key of the default tenant
let callA; // the call created with call_id "call_1j2kd9"
before(async () => {
  srv = await startServer();
  c = api(srv.base, srv.token);
  const res = await c.createCall({ ...VALID_CALL, call_id: 'call_1j2kd9' });
  callA = await res.json();
  assert.equal(res.status, 201, JSON.stringify(callA));
});
after(async () => { await srv?.kill(); await srv?.dispose(); });

const UTC_MS_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const DATA_KEYS = [
  'call_id', 'recording_id', 'recording_url', 'duration_seconds', 'transcription_id',
  'transcription_status', 'started_at', 'ended_at', 'metadata', 'sha256', 'size_bytes',
  'content_type', 'created_at', 'updated_at',
];

// Seed 003's full curl example body, byte for byte as in its -d '…' argument.
const SEED_CURL_BODY = `{
    "recording_id": "rec_8sj29a",
    "recording_url": "https://cdn.example-ai.com/recordings/call_1j2kd9_rec_8sj29a.mp3",
    "duration_seconds": 642,
    "transcription_id": "tr_92kd82",
    "transcription_status": "completed",
    "started_at": "2026-03-15T13:40:29Z",
    "ended_at": "2026-03-15T13:51:11Z",
    "metadata": {
      "direction": "outbound",
      "agent_id": "usr_82hd92",
      "labels": ["vip", "renewal"]
    }
  }`;
// Seed 003's minimal curl example body.
const SEED_MINIMAL_CURL_BODY = `{
    "recording_id": "rec_8sj29a",
    "recording_url": "https://cdn.example-ai.com/recordings/call_1j2kd9_rec_8sj29a.mp3",
    "duration_seconds": 642
  }`;
// The JavaScript and TypeScript examples build the same three-field object and JSON-encode it.
const SEED_SCRIPT_BODY = {
  recording_id: 'rec_8sj29a',
  recording_url:
    'https://cdn.example-ai.com/recordings/call_1j2kd9_rec_8sj29a.mp3',
  duration_seconds: 642,
};
// The data of seed 003's example response (created_at/updated_at are the server's).
const SEED_RESPONSE_DATA = {
  call_id: 'call_1j2kd9',
  recording_id: 'rec_8sj29a',
  recording_url: 'https://cdn.example-ai.com/recordings/call_1j2kd9_rec_8sj29a.mp3',
  duration_seconds: 642,
  transcription_id: 'tr_92kd82',
  transcription_status: 'completed',
  started_at: '2026-03-15T13:40:29Z',
  ended_at: '2026-03-15T13:51:11Z',
  metadata: {
    direction: 'outbound',
    agent_id: 'usr_82hd92',
    labels: ['vip', 'renewal'],
  },
};
const THREE_FIELD_NULLS = {
  transcription_id: null, transcription_status: null, started_at: null, ended_at: null, metadata: null,
};

/** Send a request; resolve {status, headers, text, json}. */
async function send(client, method, p, body, headers = {}) {
  const res = await client.request(method, p, { body, headers });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}
const logPath = (id) => `/v1/calls/${id}/recording-log`;
const postLog = (client, id, body, headers = {}) => send(client, 'POST', logPath(id), body, headers);
const listLogs = (client, id) => send(client, 'GET', logPath(id));

/** Assert a success envelope with this message and every documented data key; returns data. */
function checkLogEnvelope(r, status, where) {
  assert.equal(r.status, status, `${where}: ${r.text}`);
  assert.match(r.headers.get('content-type') || '', /^application\/json/);
  assert.deepEqual(Object.keys(r.json).sort(), ['data', 'message', 'status'], where);
  assert.equal(r.json.status, 'success');
  assert.equal(r.json.message, 'Call recording log saved successfully.');
  return checkLogData(r.json.data, where);
}

function checkLogData(d, where) {
  assert.deepEqual(Object.keys(d).sort(), [...DATA_KEYS].sort(), `${where}: data keys`);
  assert.match(d.created_at, UTC_MS_RE, `${where}: created_at`);
  assert.match(d.updated_at, UTC_MS_RE, `${where}: updated_at`);
  assert.ok(Date.parse(d.updated_at) >= Date.parse(d.created_at), `${where}: updated_at before created_at`);
  return d;
}

/** A fresh call (optionally with a call_id) of client's tenant; returns the Ovia object. */
async function newCall(client = c, extra = {}) {
  const res = await client.createCall({ ...VALID_CALL, ...extra });
  const j = await res.json();
  assert.equal(res.status, 201, JSON.stringify(j));
  return j;
}

const MINIMAL = (id = 'rec_x') => ({ recording_id: id, recording_url: 'https://cdn.example.com/a.mp3', duration_seconds: 5 });

// --- seed 003's examples, in the order a platform would send them ------------------------------

test("seed 003's curl example (with its Idempotency-Key) creates the log: 201 with the seed's response values", async () => {
  const r = await postLog(c, 'call_1j2kd9', SEED_CURL_BODY, { 'Idempotency-Key': 'rec-log-2026-03-15-01' });
  const d = checkLogEnvelope(r, 201, 'seed curl example');
  const { created_at: createdAt, updated_at: updatedAt, sha256, size_bytes: size, content_type: ct, ...rest } = d;
  assert.deepEqual(rest, SEED_RESPONSE_DATA);
  assert.equal(sha256, null, 'no audio yet');
  assert.equal(size, null);
  assert.equal(ct, null);
  assert.equal(createdAt, updatedAt, 'a new log has created_at = updated_at');
  assert.equal(r.headers.get('idempotent-replayed'), null, 'a first response is not a replay');
});

test('retrying the seed example with the same Idempotency-Key replays the first response byte for byte', async () => {
  const first = await listLogs(c, 'call_1j2kd9');
  assert.equal(first.status, 200, first.text);
  assert.equal(first.json.data.length, 1);
  const r = await postLog(c, 'call_1j2kd9', SEED_CURL_BODY, { 'Idempotency-Key': 'rec-log-2026-03-15-01' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.headers.get('idempotent-replayed'), 'true');
  assert.equal(r.text, JSON.stringify({ status: 'success', message: 'Call recording log saved successfully.', data: first.json.data[0] }),
    'the replay is the original response (same timestamps)');
  const after2 = await listLogs(c, 'call_1j2kd9');
  assert.equal(after2.text, first.text, 'the replay changed nothing');
});

test('the same Idempotency-Key with a different body is 422 idempotency_key_reused and changes nothing', async () => {
  const before1 = await listLogs(c, 'call_1j2kd9');
  const other = SEED_CURL_BODY.replace('"duration_seconds": 642', '"duration_seconds": 643');
  const res = await c.request('POST', logPath('call_1j2kd9'), { body: other, headers: { 'Idempotency-Key': 'rec-log-2026-03-15-01' } });
  await expectError(res, 422, 'idempotency_key_reused');
  assert.equal((await listLogs(c, 'call_1j2kd9')).text, before1.text);
});

test("seed 003's minimal curl body updates the same log: 200, created_at kept, updated_at moved, unsent fields null", async () => {
  const before1 = (await listLogs(c, 'call_1j2kd9')).json.data[0];
  await sleep(15); // updated_at has millisecond resolution
  const r = await postLog(c, 'call_1j2kd9', SEED_MINIMAL_CURL_BODY);
  const d = checkLogEnvelope(r, 200, 'seed minimal curl');
  assert.equal(d.call_id, 'call_1j2kd9');
  assert.equal(d.recording_id, 'rec_8sj29a');
  assert.equal(d.recording_url, SEED_SCRIPT_BODY.recording_url);
  assert.equal(d.duration_seconds, 642);
  for (const [k, v] of Object.entries(THREE_FIELD_NULLS)) assert.equal(d[k], v, `${k} is replaced by null`);
  assert.equal(d.created_at, before1.created_at, 'created_at kept');
  assert.notEqual(d.updated_at, before1.updated_at, 'updated_at moved');
  assert.ok(Date.parse(d.updated_at) > Date.parse(before1.updated_at));
  const list = await listLogs(c, 'call_1j2kd9');
  assert.equal(list.json.data.length, 1, 'an update, not a second log');
  assert.deepEqual(list.json.data[0], d);
});

test("seed 003's JavaScript (fetch) example, sent as written, answers 200 with the three fields", async () => {
  // As in the seed: fetch with Authorization and Content-Type, body JSON.stringify(body).
  const response = await fetch(`${srv.base}/v1/calls/call_1j2kd9/recording-log`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${srv.token}`,
      'Content-Type': 'application/json',
    },
    body: JSON.stringify(SEED_SCRIPT_BODY),
  });
  const text = await response.text();
  const result = JSON.parse(text);
  const d = checkLogEnvelope({ status: response.status, headers: response.headers, text, json: result }, 200, 'seed JS example');
  assert.deepEqual({ ...d, created_at: 0, updated_at: 0 }, {
    call_id: 'call_1j2kd9', ...SEED_SCRIPT_BODY, ...THREE_FIELD_NULLS,
    sha256: null, size_bytes: null, content_type: null, created_at: 0, updated_at: 0,
  });
});

test("seed 003's TypeScript (axios) example, sent as axios sends it, answers 200 with data of the documented interface", async () => {
  // axios.post(url, payload, {headers: {Authorization}}) JSON-encodes the object and adds
  // Content-Type: application/json and its default Accept header.
  const res = await fetch(`${srv.base}/v1/calls/call_1j2kd9/recording-log`, {
    method: 'POST',
    headers: {
      Accept: 'application/json, text/plain, */*',
      'Content-Type': 'application/json',
      Authorization: `Bearer ${srv.token}`,
    },
    body: JSON.stringify(SEED_SCRIPT_BODY),
  });
  const text = await res.text();
  const json = JSON.parse(text);
  const d = checkLogEnvelope({ status: res.status, headers: res.headers, text, json }, 200, 'seed TS example');
  // The seed's CallRecordingLog interface: required strings/number, optional ones absent or typed.
  assert.equal(typeof d.call_id, 'string');
  assert.equal(typeof d.recording_id, 'string');
  assert.equal(typeof d.recording_url, 'string');
  assert.equal(typeof d.duration_seconds, 'number');
  assert.ok(['pending', 'completed', 'failed', null].includes(d.transcription_status));
  assert.equal(d.recording_url, SEED_SCRIPT_BODY.recording_url);
  const list = await listLogs(c, 'call_1j2kd9');
  assert.equal(list.json.data.length, 1, 'the four examples are one recording log');
});

test('after a log the call shows its recording as available in every face, with the log URL if it had none', async () => {
  const call = await newCall();
  const before1 = await send(c, 'GET', `/api/v1/calls/${call.id}`);
  assert.equal(before1.json.recording_available, false);
  assert.equal(before1.json.recording_url, null);
  const vcBefore = await send(c, 'GET', `/api/v1/voice-calls/${call.id}`);
  assert.equal(vcBefore.json.recordingAvailable, false);

  const r = await postLog(c, call.id, MINIMAL('rec_avail'));
  assert.equal(r.status, 201, r.text);
  const ovia = await send(c, 'GET', `/api/v1/calls/${call.id}`);
  assert.equal(ovia.status, 200, ovia.text);
  assert.equal(ovia.json.recording_available, true);
  assert.equal(ovia.json.recording_url, 'https://cdn.example.com/a.mp3');
  const vc = await send(c, 'GET', `/api/v1/voice-calls/${call.id}`);
  assert.equal(vc.status, 200, vc.text);
  assert.equal(vc.json.recordingAvailable, true);

  // The seed call too (logged above through its call_id).
  const seedCall = await send(c, 'GET', '/api/v1/calls/call_1j2kd9');
  assert.equal(seedCall.json.recording_available, true);
  assert.equal(seedCall.json.recording_url, SEED_SCRIPT_BODY.recording_url);
  const seedVc = await send(c, 'GET', '/api/v1/voice-calls/call_1j2kd9');
  assert.equal(seedVc.json.recordingAvailable, true);
});

test("a call's own recording_url is kept when a log with another URL is posted", async () => {
  const call = await newCall(c, { recording_url: 'https://own.example.com/call.wav' });
  const r = await postLog(c, call.id, MINIMAL('rec_own'));
  assert.equal(r.status, 201, r.text);
  const ovia = await send(c, 'GET', `/api/v1/calls/${call.id}`);
  assert.equal(ovia.json.recording_url, 'https://own.example.com/call.wav');
  assert.equal(ovia.json.recording_available, true);
});

// --- upsert, list and call_id -------------------------------------------------------------------

test('an update replaces every log field with what was sent, metadata included', async () => {
  const call = await newCall();
  const full = {
    recording_id: 'rec_upd',
    recording_url: 'https://cdn.example.com/one.mp3',
    duration_seconds: 10,
    transcription_id: 'tr_1',
    transcription_status: 'pending',
    started_at: '2026-03-15T13:40:29Z',
    ended_at: '2026-03-15T13:40:39Z',
    metadata: { a: 1, b: { c: [true, null] } },
  };
  const r1 = await postLog(c, call.id, full);
  const d1 = checkLogEnvelope(r1, 201, 'create');
  for (const [k, v] of Object.entries(full)) assert.deepEqual(d1[k], v, k);
  assert.equal(d1.call_id, call.id, 'a call without call_id is named by its server id');

  await sleep(15);
  const second = {
    recording_id: 'rec_upd',
    recording_url: 'https://cdn.example.com/two.mp3',
    duration_seconds: 0,
    transcription_status: 'failed',
    metadata: { z: 'only' },
  };
  const r2 = await postLog(c, call.id, second);
  const d2 = checkLogEnvelope(r2, 200, 'update');
  assert.deepEqual({ ...d2, created_at: 0, updated_at: 0 }, {
    call_id: call.id,
    recording_id: 'rec_upd',
    recording_url: 'https://cdn.example.com/two.mp3',
    duration_seconds: 0,
    transcription_id: null,
    transcription_status: 'failed',
    started_at: null,
    ended_at: null,
    metadata: { z: 'only' }, // replaced, not merged
    sha256: null,
    size_bytes: null,
    content_type: null,
    created_at: 0,
    updated_at: 0,
  });
  assert.equal(d2.created_at, d1.created_at);
  assert.ok(Date.parse(d2.updated_at) > Date.parse(d1.updated_at), 'updated_at moved');

  const third = await postLog(c, call.id, { ...second, transcription_status: 'completed' });
  assert.equal(third.status, 200, third.text);
  assert.equal(third.json.data.transcription_status, 'completed');
});

test('the list is oldest first with "N recording log(s)." and is reachable by server id and by call_id', async () => {
  const call = await newCall(c, { call_id: 'call_list.1' });
  const empty = await listLogs(c, call.id);
  assert.equal(empty.status, 200, empty.text);
  assert.deepEqual(empty.json, { status: 'success', message: '0 recording logs.', data: [] });

  const ids = ['rec_c', 'rec_a', 'rec_b'];
  const created = [];
  for (const id of ids) {
    const r = await postLog(c, id === 'rec_a' ? 'call_list.1' : call.id, MINIMAL(id));
    created.push(checkLogEnvelope(r, 201, id));
    await sleep(5);
  }
  for (const d of created) assert.equal(d.call_id, 'call_list.1', "data.call_id is the caller's call_id");

  const one = await send(c, 'GET', logPath((await newCall(c, { call_id: 'call_list.2' })).id));
  assert.equal(one.json.message, '0 recording logs.');
  await postLog(c, 'call_list.2', MINIMAL('rec_only'));
  assert.equal((await listLogs(c, 'call_list.2')).json.message, '1 recording log.');

  // Updating the oldest must not move it in the list.
  const upd = await postLog(c, call.id, { ...MINIMAL('rec_c'), duration_seconds: 99 });
  assert.equal(upd.status, 200, upd.text);

  for (const ref of [call.id, 'call_list.1']) {
    const list = await listLogs(c, ref);
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(Object.keys(list.json).sort(), ['data', 'message', 'status']);
    assert.equal(list.json.status, 'success');
    assert.equal(list.json.message, '3 recording logs.');
    assert.deepEqual(list.json.data.map((d) => d.recording_id), ids, `oldest first via ${ref}`);
    list.json.data.forEach((d, i) => checkLogData(d, `list[${i}]`));
    assert.equal(list.json.data[0].duration_seconds, 99);
  }
});

test('a recording_id is per call: the same id on two calls makes two logs', async () => {
  const a = await newCall();
  const b = await newCall();
  assert.equal((await postLog(c, a.id, MINIMAL('rec_same'))).status, 201);
  assert.equal((await postLog(c, b.id, MINIMAL('rec_same'))).status, 201);
  assert.equal((await listLogs(c, a.id)).json.data.length, 1);
  assert.equal((await listLogs(c, b.id)).json.data.length, 1);
});

test('accepted edges: 128-character ids of every allowed character, duration 0 and 604800, ended_at = started_at, offsets normalised to UTC, 64 metadata members', async () => {
  const call = await newCall();
  const allowed = 'ABCXYZabcxyz0189-_.:~@+=';
  const id128 = (allowed + 'a'.repeat(128)).slice(0, 128);
  const cases = [
    { recording_id: id128 },
    { recording_id: 'a' },
    { recording_id: allowed },
    { duration_seconds: 0 },
    { duration_seconds: 604800 },
    { transcription_id: 'x'.repeat(128) },
    { transcription_id: 't' },
    { transcription_status: 'pending' },
    { started_at: '2026-03-15T13:40:29Z', ended_at: '2026-03-15T13:40:29Z' },
    { metadata: Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${i}`, i])) },
    { metadata: {} },
    { recording_url: 'https://h' },
    { recording_url: 'https://cdn.example.com:8443/path/a.mp3?x=1&y=2#frag' },
  ];
  let n = 0;
  for (const extra of cases) {
    const body = { ...MINIMAL(`ok_${n++}`), ...extra };
    const r = await postLog(c, call.id, body);
    const d = checkLogEnvelope(r, 201, JSON.stringify(extra).slice(0, 80));
    for (const [k, v] of Object.entries(extra)) assert.deepEqual(d[k], v, k);
  }
  const off = await postLog(c, call.id, {
    ...MINIMAL('ok_offset'), started_at: '2026-03-15T14:40:29+01:00', ended_at: '2026-03-15T08:51:11-05:00',
  });
  const d = checkLogEnvelope(off, 201, 'offsets');
  assert.equal(d.started_at, '2026-03-15T13:40:29Z');
  assert.equal(d.ended_at, '2026-03-15T13:51:11Z');
  assert.equal((await listLogs(c, call.id)).json.data.length, cases.length + 1);
});

// --- the seed's documented errors, exactly --------------------------------------------------------

test("a recording_url that is not an HTTPS URL is 400 with the seed's exact message", async () => {
  const call = await newCall();
  const before1 = await listLogs(c, call.id);
  const bad = [
    'http://cdn.example-ai.com/recordings/call_1j2kd9_rec_8sj29a.mp3',
    'https://',
    'https:///recordings/a.mp3',
    'https://:443/a.mp3',
    'ftp://cdn.example.com/a.mp3',
    'cdn.example.com/a.mp3',
    '//cdn.example.com/a.mp3',
    'https:/cdn.example.com/a.mp3',
    'https:cdn.example.com',
    ' https://cdn.example.com/a.mp3',
    'https://cdn.example.com/a\r\nSet-Cookie: x=y',
    'javascript:alert(1)',
  ];
  const want = JSON.stringify({
    status: 'error',
    message: "Field 'recording_url' must be a valid HTTPS URL.",
    code: 'invalid_field',
    field: 'recording_url',
    data: null,
  });
  const wrong = [];
  for (const url of bad) {
    const r = await postLog(c, call.id, { ...MINIMAL('rec_bad_url'), recording_url: url });
    if (r.status !== 400 || r.text !== want) wrong.push(`${JSON.stringify(url)} → ${r.status} ${r.text}`);
  }
  assert.deepEqual(wrong, [], `every one answers exactly ${want}`);
  assert.equal((await listLogs(c, call.id)).text, before1.text, 'nothing stored');
});

test("an empty recording_url is 400 with the same exact HTTPS URL message", async () => {
  const call = await newCall();
  const r = await postLog(c, call.id, { ...MINIMAL('rec_empty_url'), recording_url: '' });
  assert.equal(r.text, JSON.stringify({
    status: 'error',
    message: "Field 'recording_url' must be a valid HTTPS URL.",
    code: 'invalid_field',
    field: 'recording_url',
    data: null,
  }));
  assert.equal((await listLogs(c, call.id)).json.data.length, 0);
});

test("an invalid API token is 401 with the seed's message in the error envelope", async () => {
  const want = JSON.stringify({ status: 'error', message: 'Invalid API token.', code: 'unauthorized', data: null });
  const bad = [
    'Bearer sk_test_51_fakeapikey123456', // the seed's own example token
    `Bearer cp_0000000000000000_${'a'.repeat(64)}`,
    `Bearer ${srv.token.slice(0, -1)}${srv.token.endsWith('0') ? '1' : '0'}`,
  ];
  for (const auth of bad) {
    for (const [method, body] of [['POST', SEED_CURL_BODY], ['GET', undefined]]) {
      const res = await fetch(`${srv.base}${logPath('call_1j2kd9')}`, {
        method, body, headers: { Authorization: auth, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      });
      const text = await res.text();
      assert.equal(res.status, 401, `${method} ${auth}: ${text}`);
      assert.equal(text, want);
      assert.match(res.headers.get('www-authenticate') || '', /^Bearer/);
    }
  }
  const none = await fetch(`${srv.base}${logPath('call_1j2kd9')}`, { method: 'POST', body: SEED_CURL_BODY, headers: { 'Content-Type': 'application/json' } });
  assert.equal(none.status, 401);
  assert.equal(await none.text(), want);
  assert.equal((await listLogs(c, 'call_1j2kd9')).json.data.length, 1);
});

test("an unknown call is 404 with the seed's exact body, naming the id as given in the path", async () => {
  for (const id of ['call_unknown9', 'call_1j2kd8', '01a1fd6c-7f28-7156-bc5e-bd0377e75679']) {
    const want = JSON.stringify({ status: 'error', message: `Call not found: ${id}.`, code: 'not_found', data: null });
    const p = await postLog(c, id, SEED_CURL_BODY);
    assert.equal(p.status, 404, p.text);
    assert.equal(p.text, want);
    const g = await listLogs(c, id);
    assert.equal(g.status, 404, g.text);
    assert.equal(g.text, want);
  }
});

// --- the bad-input matrix -----------------------------------------------------------------------

const long = (n, ch = 'a') => ch.repeat(n);
const bigMeta = () => ({ blob: 'x'.repeat(16 * 1024) });
// [description, mutate(body) → body, field, code]
const MISSING = 'missing_field';
const INVALID = 'invalid_field';
const without = (k) => (b) => { const o = { ...b }; delete o[k]; return o; };
const set = (k, v) => (b) => ({ ...b, [k]: v });
const MATRIX = [
  ['recording_id missing', without('recording_id'), 'recording_id', MISSING],
  ['recording_id null', set('recording_id', null), 'recording_id', MISSING],
  ['recording_id a number', set('recording_id', 8), 'recording_id', INVALID],
  ['recording_id an object', set('recording_id', { id: 'x' }), 'recording_id', INVALID],
  ['recording_id empty', set('recording_id', ''), 'recording_id', INVALID],
  ['recording_id 129 characters', set('recording_id', long(129)), 'recording_id', INVALID],
  ['recording_id with a slash', set('recording_id', 'rec/1'), 'recording_id', INVALID],
  ['recording_id with a space', set('recording_id', 'rec 1'), 'recording_id', INVALID],
  ['recording_id with a percent', set('recording_id', 'rec%2F'), 'recording_id', INVALID],
  ['recording_id with a question mark', set('recording_id', 'rec?x'), 'recording_id', INVALID],
  ['recording_id with a hash', set('recording_id', 'rec#1'), 'recording_id', INVALID],
  ['recording_id non-ASCII', set('recording_id', 'récording'), 'recording_id', INVALID],
  // JSON strings with \u0000 are refused by the parser itself (invalid_json), which is also fine.
  ['recording_id with a NUL', set('recording_id', 'rec\u0000x'), 'recording_id', [INVALID, 'invalid_json']],
  ['recording_url missing', without('recording_url'), 'recording_url', MISSING],
  ['recording_url null', set('recording_url', null), 'recording_url', MISSING],
  ['recording_url a number', set('recording_url', 443), 'recording_url', INVALID],
  ['recording_url an array', set('recording_url', ['https://a.example']), 'recording_url', INVALID],
  ['recording_url http', set('recording_url', 'http://cdn.example.com/a.mp3'), 'recording_url', INVALID],
  ['recording_url without a host', set('recording_url', 'https://'), 'recording_url', INVALID],
  ['duration_seconds missing', without('duration_seconds'), 'duration_seconds', MISSING],
  ['duration_seconds null', set('duration_seconds', null), 'duration_seconds', MISSING],
  ['duration_seconds a string', set('duration_seconds', '642'), 'duration_seconds', INVALID],
  ['duration_seconds a boolean', set('duration_seconds', true), 'duration_seconds', INVALID],
  ['duration_seconds a fraction', set('duration_seconds', 1.5), 'duration_seconds', INVALID],
  ['duration_seconds negative', set('duration_seconds', -1), 'duration_seconds', INVALID],
  ['duration_seconds above 604800', set('duration_seconds', 604801), 'duration_seconds', INVALID],
  ['duration_seconds huge', set('duration_seconds', 1e15), 'duration_seconds', INVALID],
  ['transcription_id a number', set('transcription_id', 5), 'transcription_id', INVALID],
  ['transcription_id empty', set('transcription_id', ''), 'transcription_id', INVALID],
  ['transcription_id 129 characters', set('transcription_id', long(129)), 'transcription_id', INVALID],
  ['transcription_status unknown', set('transcription_status', 'done'), 'transcription_status', INVALID],
  ['transcription_status wrong case', set('transcription_status', 'Completed'), 'transcription_status', INVALID],
  ['transcription_status empty', set('transcription_status', ''), 'transcription_status', INVALID],
  ['transcription_status a number', set('transcription_status', 1), 'transcription_status', INVALID],
  ['started_at a word', set('started_at', 'yesterday'), 'started_at', INVALID],
  ['started_at a date only', set('started_at', '2026-03-15'), 'started_at', INVALID],
  ['started_at month 13', set('started_at', '2026-13-15T13:40:29Z'), 'started_at', INVALID],
  ['started_at February 30', set('started_at', '2026-02-30T13:40:29Z'), 'started_at', INVALID],
  ['started_at without an offset', set('started_at', '2026-03-15T13:40:29'), 'started_at', INVALID],
  ['started_at a number', set('started_at', 1773582029), 'started_at', INVALID],
  ['ended_at hour 25', set('ended_at', '2026-03-15T25:00:00Z'), 'ended_at', INVALID],
  ['ended_at a boolean', set('ended_at', false), 'ended_at', INVALID],
  ['ended_at before started_at', (b) => ({ ...b, started_at: '2026-03-15T13:51:11Z', ended_at: '2026-03-15T13:40:29Z' }), 'ended_at', INVALID],
  ['ended_at a millisecond before started_at', (b) => ({ ...b, started_at: '2026-03-15T13:40:29.001Z', ended_at: '2026-03-15T13:40:29Z' }), 'ended_at', INVALID],
  ['metadata an array', set('metadata', ['vip']), 'metadata', INVALID],
  ['metadata a string', set('metadata', 'vip'), 'metadata', INVALID],
  ['metadata a number', set('metadata', 1), 'metadata', INVALID],
  ['metadata with 65 members', set('metadata', Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i]))), 'metadata', INVALID],
  ['metadata over 16 KiB', set('metadata', bigMeta()), 'metadata', INVALID],
];

for (const existing of [true, false]) {
  test(`every field is validated: wrong type, format, range or missing → 400 naming the field, nothing stored (${existing ? 'update of an existing log' : 'new log'})`, async () => {
    const call = await newCall();
    const recId = existing ? 'rec_existing' : 'rec_new';
    if (existing) {
      const r = await postLog(c, call.id, { ...MINIMAL(recId), transcription_status: 'pending', metadata: { keep: 1 } });
      assert.equal(r.status, 201, r.text);
    }
    const before1 = await listLogs(c, call.id);
    const base = {
      ...MINIMAL(recId),
      transcription_id: 'tr_1',
      transcription_status: 'completed',
      started_at: '2026-03-15T13:40:29Z',
      ended_at: '2026-03-15T13:51:11Z',
      metadata: { a: 1 },
    };
    const failures = [];
    for (const [what, mutate, field, code] of MATRIX) {
      const r = await postLog(c, call.id, mutate(base));
      try {
        assert.equal(r.status, 400, r.text);
        if (Array.isArray(code)) {
          assert.ok(code.includes(r.json.code), `code ${r.json.code}`);
          assertErrorBody(r.text, r.json.code, { fieldOptional: true });
        } else {
          assertErrorBody(r.text, code, { field });
        }
      } catch (e) {
        failures.push(`${what}: ${e.message.split('\n')[0]} — got ${r.status} ${r.text.slice(0, 200)}`);
      }
    }
    assert.deepEqual(failures, []);
    const after1 = await listLogs(c, call.id);
    assert.equal(after1.text, before1.text, 'the list is unchanged');
    const ovia = await send(c, 'GET', `/api/v1/calls/${call.id}`);
    assert.equal(ovia.json.recording_available, existing, 'a refused log does not mark the recording available');
  });
}

test('undeclared and server-owned fields are refused by name, and nothing is stored', async () => {
  const call = await newCall();
  const cases = [
    ['call_id', 'x'], ['sha256', 'ab'], ['size_bytes', 1], ['content_type', 'audio/wav'],
    ['created_at', '2026-03-15T13:40:29Z'], ['updated_at', '2026-03-15T13:40:29Z'], ['recordingUrl', 'https://a.example'],
    ['duration', 5],
  ];
  for (const [k, v] of cases) {
    const r = await postLog(c, call.id, { ...MINIMAL(`rec_${k}`), [k]: v });
    assert.equal(r.status, 400, `${k}: ${r.text}`);
    const j = assertErrorBody(r.text, r.json.code, { field: k });
    assert.ok(['unknown_field', 'read_only_field'].includes(j.code), `${k}: ${j.code}`);
  }
  assert.equal((await listLogs(c, call.id)).json.data.length, 0);
});

test('a body that is not a JSON object, or not sent as JSON, is refused and nothing is stored', async () => {
  const call = await newCall();
  const p = logPath(call.id);
  await expectError(await c.request('POST', p, { body: '[1]' }), 400, 'invalid_json');
  await expectError(await c.request('POST', p, { body: '{"recording_id": "a",' }), 400, 'invalid_json');
  await expectError(await c.request('POST', p, { body: '' }), 400, 'invalid_json');
  await expectError(await c.request('POST', p, { body: '{"recording_id":"a","recording_id":"b","recording_url":"https://a.example","duration_seconds":1}' }), 400, 'invalid_json', { fieldOptional: true });
  await expectError(await c.request('POST', p, { body: JSON.stringify(MINIMAL()), headers: { 'Content-Type': 'text/plain' } }), 415, 'unsupported_media_type');
  assert.equal((await listLogs(c, call.id)).json.data.length, 0);
});

// --- tenants and scopes ----------------------------------------------------------------------------

test("another tenant's call is a plain 404, and its own call_1j2kd9 has its own logs", async () => {
  const other = api(srv.base, createKey(srv.dataDir, 'rec-log-other', 'voice:read,voice:write'));
  const before1 = await listLogs(c, 'call_1j2kd9');
  for (const id of ['call_1j2kd9', callA.id]) {
    const want = JSON.stringify({ status: 'error', message: `Call not found: ${id}.`, code: 'not_found', data: null });
    const p = await postLog(other, id, SEED_CURL_BODY);
    assert.equal(p.status, 404, p.text);
    assert.equal(p.text, want);
    const g = await listLogs(other, id);
    assert.equal(g.status, 404, g.text);
    assert.equal(g.text, want);
  }
  assert.equal((await listLogs(c, 'call_1j2kd9')).text, before1.text, 'untouched');

  // The other tenant may use the same call_id and the same recording_id (and Idempotency-Key).
  const mine = await newCall(other, { call_id: 'call_1j2kd9' });
  const r = await postLog(other, 'call_1j2kd9', SEED_CURL_BODY, { 'Idempotency-Key': 'rec-log-2026-03-15-01' });
  const d = checkLogEnvelope(r, 201, 'other tenant');
  assert.equal(r.headers.get('idempotent-replayed'), null, 'idempotency keys are per tenant');
  assert.equal(d.call_id, 'call_1j2kd9');
  assert.match(mine.id, UUID_RE);
  assert.equal((await listLogs(other, mine.id)).json.data.length, 1);
  assert.equal((await listLogs(c, 'call_1j2kd9')).text, before1.text, 'tenant A unchanged');
});

test('writing a log needs voice:write and reading the list voice:read (403 insufficient_scope otherwise)', async () => {
  const reader = api(srv.base, createKey(srv.dataDir, 'default', 'voice:read'));
  const writer = api(srv.base, createKey(srv.dataDir, 'default', 'voice:write'));
  const downloader = api(srv.base, createKey(srv.dataDir, 'default', 'audio:download'));
  const call = await newCall();
  for (const client of [reader, downloader]) {
    const r = await client.request('POST', logPath(call.id), { body: MINIMAL('rec_scope') });
    const j = await expectError(r, 403, 'insufficient_scope');
    assert.match(j.message, /voice:write/);
  }
  for (const client of [writer, downloader]) {
    const j = await expectError(await client.get(logPath(call.id)), 403, 'insufficient_scope');
    assert.match(j.message, /voice:read/);
  }
  assert.equal((await listLogs(reader, call.id)).json.data.length, 0, 'nothing stored by the refused writes');
  const w = await postLog(writer, call.id, MINIMAL('rec_scope'));
  assert.equal(w.status, 201, w.text);
  const l = await listLogs(reader, call.id);
  assert.equal(l.status, 200, l.text);
  assert.equal(l.json.data.length, 1);
});

test('the recording-log path takes only GET and POST (405 with Allow)', async () => {
  for (const method of ['PUT', 'DELETE', 'PATCH']) {
    const res = await c.request(method, logPath('call_1j2kd9'), { body: method === 'DELETE' ? undefined : MINIMAL() });
    await expectError(res, 405, 'method_not_allowed');
    assert.match(res.headers.get('allow') || '', /GET/);
    assert.match(res.headers.get('allow') || '', /POST/);
  }
});

test('the server exits cleanly (SIGTERM → exit 0, no sanitizer report)', async () => {
  await assertCleanExit(srv);
});
