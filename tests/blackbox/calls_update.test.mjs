// Covers changing calls after creation:
//  - PATCH /api/v1/calls/{id}: metadata merges per RFC 7396, transcript_objects replaces the
//    turns and transcript_objects_append appends, null clears a nullable field while absent
//    fields stay, duration is derived from started_at/ended_at when not sent, updated_at moves
//    and created_at never does;
//  - POST /v1/calls/end?id=…: status ended, end_time now when unset (never before the start),
//    duration = end − start, ending twice changes nothing, ending an errored call is 409, id
//    by server id or call_id, missing/unknown id, agent_phone_number by direction;
//  - Idempotency-Key on PATCH (and PUT epa-results): a replay returns the first body byte for
//    byte even after the call changed, and does not apply the change again;
//  - another tenant's call is 404 on every {id} endpoint, by id and by call_id, and is left
//    untouched; call_id is unique per tenant only;
//  - a voice:read key gets 403 on every write and a voice:write-only key 403 on every read.
// The end requests are sent like seed 001's curl example (no body, no Content-Length) so that
// these semantics are checked independently of how the server treats `Content-Length: 0`
// (which calls_seeds.test.mjs checks).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  startServer, api, createKey, assertErrorBody, rawRequest, rawHttp, parseResponse,
  VALID_CALL, sleep, assertCleanExit,
} from './lib.mjs';

// The Ovia face always shows the four metadata keys seed 004 documents (rule_id, call_tag,
// call_id_full, sip_trunk_id), null when never set: compare what the tenant stored.
const DOCUMENTED_META = ['rule_id', 'call_tag', 'call_id_full', 'sip_trunk_id'];
function stored(meta) {
  if (meta === null) return null;
  const out = { ...meta };
  for (const k of DOCUMENTED_META) if (out[k] === null) delete out[k];
  return out;
}

let srv;
let c; // tenant default, every scope
let b; // tenant-b, voice:read + voice:write
let ro; // tenant default, voice:read only
let wo; // tenant default, voice:write only
let tokens;
before(async () => {
  srv = await startServer();
  tokens = {
    a: srv.token,
    b: createKey(srv.dataDir, 'tenant-b', 'voice:read,voice:write'),
    ro: createKey(srv.dataDir, 'default', 'voice:read'),
    wo: createKey(srv.dataDir, 'default', 'voice:write'),
  };
  c = api(srv.base, tokens.a);
  b = api(srv.base, tokens.b);
  ro = api(srv.base, tokens.ro);
  wo = api(srv.base, tokens.wo);
});
after(async () => { await srv?.dispose(); });

async function send(client, method, path, body, headers = {}) {
  const res = await client.request(method, path, { body, headers });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

async function create(extra = {}, client = c) {
  const r = await send(client, 'POST', '/api/v1/calls', { ...VALID_CALL, ...extra });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

async function get(id, client = c) {
  const r = await send(client, 'GET', `/api/v1/calls/${encodeURIComponent(id)}`);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

async function patch(id, body, client = c) {
  const r = await send(client, 'PATCH', `/api/v1/calls/${encodeURIComponent(id)}`, body);
  assert.equal(r.status, 200, `PATCH ${JSON.stringify(body)}: ${r.text}`);
  assert.deepEqual(await get(id, client), r.json, 'the PATCH response is the stored call');
  return r.json;
}

/** POST /v1/calls/end as seed 001's curl sends it (no body, no Content-Length). */
async function end(id, token = tokens.a, headers = {}) {
  const target = id === undefined ? '/v1/calls/end' : `/v1/calls/end?id=${encodeURIComponent(id)}`;
  const r = parseResponse(await rawRequest(srv.port, rawHttp('POST', target, { Authorization: `Bearer ${token}`, ...headers })));
  let json;
  try { json = JSON.parse(r.body); } catch { json = undefined; }
  return { status: r.status, headers: r.headers, text: r.body, json };
}

const isoSec = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const floorSec = (ms) => Math.floor(ms / 1000) * 1000;

// --- PATCH semantics ----------------------------------------------------------------------------
test('PATCH merges metadata per RFC 7396: keys are set, null deletes, nested objects merge, arrays and scalars replace', async () => {
  const call = await create({
    metadata: { a: 1, b: { x: 1, y: 2 }, c: 'keep-or-delete', e: { deep: { k: 1 } }, arr: [1, 2], s: { o: 1 }, keep: true },
  });
  const p = await patch(call.id, {
    metadata: { a: 2, b: { y: null, z: 3 }, c: null, d: [1, 2], e: { deep: { k2: 2 } }, arr: [3], s: 'now a string', missing: null },
  });
  assert.deepEqual(stored(p.metadata), { a: 2, b: { x: 1, z: 3 }, d: [1, 2], e: { deep: { k: 1, k2: 2 } }, arr: [3], s: 'now a string', keep: true });
  // An object replaces a scalar, and an empty patch object changes nothing.
  const p2 = await patch(call.id, { metadata: { s: { back: 1 } } });
  assert.deepEqual(p2.metadata.s, { back: 1 });
  const p3 = await patch(call.id, { metadata: {} });
  assert.deepEqual(stored(p3.metadata), stored(p2.metadata));
  // metadata: null clears it.
  const cleared = await patch(call.id, { metadata: null });
  assert.ok(cleared.metadata === null || JSON.stringify(stored(cleared.metadata)) === '{}', `cleared metadata: ${JSON.stringify(cleared.metadata)}`);
});

test('PATCH metadata: nulls inside a new or replaced subtree are dropped too (RFC 7396 applies recursively)', async () => {
  // RFC 7396: a patch object under a key whose target value is absent or not an object is
  // merged into {}, so its null members are removed, at every depth.
  const call = await create({ metadata: { a: 1, s: 5 } });
  const p = await patch(call.id, { metadata: { x: { y: null, z: 1 }, s: { t: null, u: 2 } } });
  assert.deepEqual(stored(p.metadata), { a: 1, x: { z: 1 }, s: { u: 2 } });
  // A call without metadata gets the patch minus its nulls.
  const bare = await create();
  const q = await patch(bare.id, { metadata: { n: 1, m: null, o: { p: null, q: 1, r: { s: null } } } });
  assert.deepEqual(stored(q.metadata), { n: 1, o: { q: 1, r: {} } });
});

test('PATCH transcript_objects replaces the turns and transcript_objects_append appends them in order', async () => {
  const t = (content, role = null, timestamp = null) => ({ role, content, timestamp });
  const call = await create({
    started_at: '2024-01-15T10:30:00Z',
    transcript_objects: [{ role: 'agent', content: 'one', timestamp: '2024-01-15T10:30:01Z' }, { content: 'two' }],
  });
  assert.deepEqual(call.transcript_objects, [t('one', 'agent', '2024-01-15T10:30:01Z'), t('two')]);
  let p = await patch(call.id, { transcript_objects_append: [{ role: 'customer', content: 'three', timestamp: '2024-01-15T10:30:05Z' }, { content: 'four' }] });
  assert.deepEqual(p.transcript_objects, [t('one', 'agent', '2024-01-15T10:30:01Z'), t('two'), t('three', 'customer', '2024-01-15T10:30:05Z'), t('four')]);
  p = await patch(call.id, { transcript_objects_append: [] });
  assert.equal(p.transcript_objects.length, 4, 'appending nothing changes nothing');
  p = await patch(call.id, { transcript_objects: [{ role: 'agent', content: 'fresh' }] });
  assert.deepEqual(p.transcript_objects, [t('fresh', 'agent')]);
  p = await patch(call.id, { transcript_objects_append: [{ content: 'after' }] });
  assert.deepEqual(p.transcript_objects, [t('fresh', 'agent'), t('after')]);
  p = await patch(call.id, { transcript_objects: [] });
  assert.deepEqual(p.transcript_objects, []);
  p = await patch(call.id, { transcript_objects_append: [{ content: 'first again' }] });
  assert.deepEqual(p.transcript_objects, [t('first again')]);
  // The contact-center face shows the same turns, timestamps as offsets from the start.
  await patch(call.id, { transcript_objects_append: [{ role: 'customer', content: 'late', timestamp: '2024-01-15T11:31:02Z' }] });
  const vc = (await send(c, 'GET', `/api/v1/voice-calls/${call.id}`)).json;
  assert.deepEqual(vc.transcript, [
    { role: null, text: 'first again', timestamp: null },
    { role: 'customer', text: 'late', timestamp: '01:01:02' },
  ]);
  // Without a call start there is no offset to show.
  const noStart = await create({ transcript_objects: [{ role: 'agent', content: 'hi', timestamp: '2024-01-15T10:30:01Z' }] });
  const vc2 = (await send(c, 'GET', `/api/v1/voice-calls/${noStart.id}`)).json;
  assert.deepEqual(vc2.transcript, [{ role: 'agent', text: 'hi', timestamp: null }]);
});

test('concurrent PATCHes lose nothing: 30 parallel appends and metadata merges all land; parallel ends agree', async () => {
  const call = await create({ status: 'in_progress', started_at: '2024-01-15T10:30:00Z' });
  const rs = await Promise.all(Array.from({ length: 30 }, (_, i) => send(c, 'PATCH', `/api/v1/calls/${call.id}`, {
    transcript_objects_append: [{ content: `turn ${i}` }], metadata: { [`k${i}`]: i },
  })));
  for (const r of rs) assert.equal(r.status, 200, r.text);
  const g = await get(call.id);
  assert.deepEqual(g.transcript_objects.map((t) => t.content).sort(), Array.from({ length: 30 }, (_, i) => `turn ${i}`).sort());
  assert.deepEqual(stored(g.metadata), Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, i])));
  const ends = await Promise.all(Array.from({ length: 10 }, () => end(call.id)));
  for (const e of ends) assert.equal(e.status, 200, e.text);
  assert.equal(new Set(ends.map((e) => e.json.end_time)).size, 1, 'one end_time');
  assert.equal((await get(call.id)).ended_at, ends[0].json.end_time);
});

test('PATCH with null clears every nullable field, and fields absent from the body stay as they were', async () => {
  const full = {
    call_id: `clear-${randomUUID()}`,
    status: 'in_progress',
    outcome: 'busy',
    campaign_id: 'camp-1',
    started_at: '2024-01-15T10:30:00Z',
    ended_at: '2024-01-15T10:31:00Z',
    duration: 60,
    talk_time: 50,
    recording_url: 'https://r.example.com/1.wav',
    transcript: 'hello',
    analysis: 'fine',
    latency_metrics: 'p50=1',
    metadata: { a: 1 },
    costs: { llm: 1, stt: 2, tts: 3, total: 6, details: { tts_characters: 1, llm_prompt_tokens: 2, llm_completion_tokens: 3, stt_audio_duration_seconds: 4 } },
    agent: { name: 'Clara' },
    telephony_provider: 'twilio',
    telephony_id: 'CA1',
    human_detection_result: 'human',
    do_not_call_result: false,
    on_no_human_answer: 'hangup',
    error_message: 'oops',
  };
  const call = await create(full);
  // One field at a time: only it changes.
  const p1 = await patch(call.id, { transcript: null });
  assert.equal(p1.transcript, null);
  const { transcript: _a, updated_at: _b, ...rest1 } = p1;
  const { transcript: _c, updated_at: _d, ...rest0 } = call;
  assert.deepEqual(rest1, rest0, 'nothing else changed');
  // Everything nullable at once.
  const nullable = ['outcome', 'campaign_id', 'started_at', 'ended_at', 'duration', 'talk_time', 'recording_url',
    'analysis', 'latency_metrics', 'telephony_provider', 'telephony_id', 'human_detection_result',
    'do_not_call_result', 'on_no_human_answer', 'error_message'];
  const p = await patch(call.id, Object.fromEntries([...nullable, 'agent', 'costs'].map((k) => [k, null])));
  for (const k of nullable) assert.equal(p[k], null, `${k} cleared`);
  assert.deepEqual(p.agent, { name: null }, 'agent cleared');
  const costsEmpty = p.costs === null || (p.costs.llm === null && p.costs.stt === null && p.costs.tts === null
    && p.costs.total === null && Object.values(p.costs.details || {}).every((v) => v === null));
  assert.ok(costsEmpty, `costs cleared: ${JSON.stringify(p.costs)}`);
  assert.equal(p.recording_available, false, 'no recording_url, no recording');
  // What the body did not name is untouched.
  for (const k of ['call_id', 'user_id', 'agent_id', 'type', 'direction', 'from_number', 'to_number', 'phone_number_id', 'status', 'created_at']) {
    assert.equal(p[k], call[k], `${k} unchanged`);
  }
  assert.deepEqual(stored(p.metadata), { a: 1 });
  assert.deepEqual(p.transcript_objects, call.transcript_objects);
  // A fresh value after a clear is taken.
  assert.equal((await patch(call.id, { outcome: 'completed' })).outcome, 'completed');
});

test('duration is derived from started_at and ended_at when not sent; an explicit duration wins; times come back in UTC', async () => {
  const a = await create({ started_at: '2024-01-15T10:30:00Z', ended_at: '2024-01-15T10:35:12Z' });
  assert.equal(a.duration, 312);
  const b2 = await create({ started_at: '2024-01-15T10:30:00Z', ended_at: '2024-01-15T10:35:12Z', duration: 10 });
  assert.equal(b2.duration, 10, 'an explicit duration is kept');
  const off = await create({ started_at: '2024-01-15T12:30:00+02:00', ended_at: '2024-01-15T05:31:40-05:00' });
  assert.equal(off.started_at, '2024-01-15T10:30:00Z');
  assert.equal(off.ended_at, '2024-01-15T10:31:40Z');
  assert.equal(off.duration, 100);
  const startOnly = await create({ started_at: '2024-01-15T10:30:00Z' });
  assert.equal(startOnly.duration, null, 'no end, no duration');
  const p = await patch(startOnly.id, { ended_at: '2024-01-15T10:30:45Z' });
  assert.equal(p.duration, 45, 'derived when ended_at arrives by PATCH');
  const endOnly = await create({ ended_at: '2024-01-15T10:30:45Z' });
  assert.equal(endOnly.duration, null, 'no start, no duration');
  assert.equal((await patch(endOnly.id, { started_at: '2024-01-15T10:30:00Z' })).duration, 45, 'derived when started_at arrives by PATCH');
  const explicit = await create({ started_at: '2024-01-15T10:30:00Z' });
  assert.equal((await patch(explicit.id, { ended_at: '2024-01-15T10:31:00Z', duration: 7 })).duration, 7);
  // The contact-center face shows the same numbers.
  const vc = (await send(c, 'GET', `/api/v1/voice-calls/${a.id}`)).json;
  assert.equal(vc.durationSeconds, 312);
  assert.equal(vc.startTime, '2024-01-15T10:30:00Z');
  assert.equal(vc.endTime, '2024-01-15T10:35:12Z');
});

test('updated_at moves on a change and created_at never changes', async () => {
  const call = await create({ status: 'in_progress' });
  assert.equal(call.updated_at, call.created_at);
  await sleep(1100); // timestamps have one-second resolution
  const p = await patch(call.id, { transcript: 'changed' });
  assert.equal(p.created_at, call.created_at, 'created_at fixed');
  assert.ok(Date.parse(p.updated_at) > Date.parse(call.updated_at), `updated_at moved: ${call.updated_at} → ${p.updated_at}`);
  const e = await end(call.id);
  assert.equal(e.status, 200, e.text);
  const g = await get(call.id);
  assert.equal(g.created_at, call.created_at, 'created_at fixed after end');
  assert.ok(Date.parse(g.updated_at) >= Date.parse(p.updated_at));
  const vc = (await send(c, 'GET', `/api/v1/voice-calls/${call.id}`)).json;
  assert.equal(vc.createdAt, call.created_at);
  assert.equal(vc.updatedAt, g.updated_at);
});

// --- Vocode end ---------------------------------------------------------------------------------
test('end sets status ended and end_time to now, and duration becomes end − start', async () => {
  const startMs = floorSec(Date.now()) - 90000;
  const call = await create({ status: 'in_progress', started_at: isoSec(startMs) });
  const t0 = floorSec(Date.now());
  const e = await end(call.id);
  const t1 = Date.now();
  assert.equal(e.status, 200, e.text);
  assert.equal(e.json.status, 'ended');
  assert.equal(e.json.start_time, isoSec(startMs));
  const endMs = Date.parse(e.json.end_time);
  assert.ok(endMs >= t0 && endMs <= t1 + 1000, `end_time ${e.json.end_time} is the time of the request`);
  const g = await get(call.id);
  assert.equal(g.status, 'ended');
  assert.equal(g.ended_at, e.json.end_time);
  assert.equal(g.duration, Math.floor((endMs - startMs) / 1000), 'duration = end − start, whole seconds');
  const vc = (await send(c, 'GET', `/api/v1/voice-calls/${call.id}`)).json;
  assert.equal(vc.state, 'Completed', 'ended without outcome is Completed');
  assert.equal(vc.durationSeconds, g.duration);
});

test('end of a call that already has an ended_at keeps it; end of a call without a start leaves duration unknown', async () => {
  const call = await create({ status: 'in_progress', started_at: '2024-01-15T10:30:00Z', ended_at: '2024-01-15T10:32:00Z' });
  const e = await end(call.id);
  assert.equal(e.status, 200, e.text);
  assert.equal(e.json.end_time, '2024-01-15T10:32:00Z');
  assert.equal((await get(call.id)).duration, 120);
  const noStart = await create();
  const e2 = await end(noStart.id);
  assert.equal(e2.status, 200, e2.text);
  assert.equal(e2.json.status, 'ended', 'not_started may skip to ended');
  assert.equal(e2.json.start_time, null);
  assert.ok(e2.json.end_time);
  assert.equal((await get(noStart.id)).duration, null);
});

test('end_time is never before the start: a call whose start is in the future ends at its start', async () => {
  const call = await create({ status: 'in_progress', started_at: '2099-01-01T00:00:00Z' });
  const e = await end(call.id);
  assert.equal(e.status, 200, e.text);
  assert.ok(Date.parse(e.json.end_time) >= Date.parse(e.json.start_time), `${e.json.end_time} ≥ ${e.json.start_time}`);
  assert.equal(e.json.end_time, '2099-01-01T00:00:00Z');
  assert.equal((await get(call.id)).duration, 0);
});

test('ending an already ended call is 200 with the same object, and changes nothing', async () => {
  const call = await create({ status: 'in_progress', started_at: isoSec(floorSec(Date.now()) - 5000) });
  const first = await end(call.id);
  assert.equal(first.status, 200, first.text);
  const stored = await get(call.id);
  await sleep(1100); // so that a second end_time or updated_at would differ
  const second = await end(call.id);
  assert.equal(second.status, 200, second.text);
  assert.deepEqual(second.json, first.json, 'same object, same end_time');
  assert.deepEqual(await get(call.id), stored, 'the call is unchanged');
  // A call created already ended is also left alone.
  const done = await create({ status: 'ended', started_at: '2024-01-15T10:30:00Z', ended_at: '2024-01-15T10:31:00Z', outcome: 'voicemail' });
  const e = await end(done.id);
  assert.equal(e.status, 200, e.text);
  assert.equal(e.json.end_time, '2024-01-15T10:31:00Z');
  assert.deepEqual(await get(done.id), done);
});

test('ending a call whose status is error is 409 invalid_status_transition and changes nothing', async () => {
  const call = await create({ status: 'error', error_message: 'SIP 503' });
  const e = await end(call.id);
  assert.equal(e.status, 409, e.text);
  assertErrorBody(e.text, 'invalid_status_transition', { fieldOptional: true });
  assert.deepEqual(await get(call.id), call);
});

test('end accepts the call_id; a missing id is 400 bad_query field id, an unknown one 404', async () => {
  const callId = `end-by-ref-${randomUUID()}`;
  const call = await create({ call_id: callId, status: 'in_progress' });
  const e = await end(callId);
  assert.equal(e.status, 200, e.text);
  assert.equal(e.json.id, call.id);
  assert.equal(e.json.status, 'ended');
  const twice = parseResponse(await rawRequest(srv.port, rawHttp('POST', `/v1/calls/end?id=${call.id}&id=${call.id}`, { Authorization: `Bearer ${tokens.a}` })));
  for (const [label, r] of [['no id', await end(undefined)], ['empty id', await end('')], ['id twice', { status: twice.status, text: twice.body }]]) {
    assert.equal(r.status, 400, `${label}: ${r.text}`);
    assertErrorBody(r.text, 'bad_query', { field: 'id' });
  }
  const unknown = await end('00000000-0000-4000-8000-000000000000');
  assert.equal(unknown.status, 404, unknown.text);
  assertErrorBody(unknown.text, 'not_found');
  const unknownRef = await end('no-such-call-id');
  assert.equal(unknownRef.status, 404, unknownRef.text);
});

test('agent_phone_number is from_number for outbound calls and to_number for inbound ones', async () => {
  const out = await create({ direction: 'outbound', from_number: '+15550001111', to_number: '+15550002222' });
  const inb = await create({ direction: 'inbound', from_number: '+15550003333', to_number: '+15550004444' });
  const eo = await end(out.id);
  const ei = await end(inb.id);
  assert.equal(eo.json.agent_phone_number, '+15550001111');
  assert.equal(ei.json.agent_phone_number, '+15550004444');
});

// --- idempotency ----------------------------------------------------------------------------------
test('a PATCH replayed with its Idempotency-Key returns the first body byte for byte, even after the call changed, and does not re-apply', async () => {
  const call = await create({ status: 'in_progress' });
  const key = `patch-${randomUUID()}`;
  const body = JSON.stringify({ transcript: 'v1', metadata: { n: 1 } });
  const first = await send(c, 'PATCH', `/api/v1/calls/${call.id}`, body, { 'Idempotency-Key': key });
  assert.equal(first.status, 200, first.text);
  assert.equal(first.headers.get('idempotent-replayed'), null);
  const changed = await patch(call.id, { transcript: 'v2', metadata: { n: 2 }, status: 'ended' });
  const replay = await send(c, 'PATCH', `/api/v1/calls/${call.id}`, body, { 'Idempotency-Key': key });
  assert.equal(replay.status, 200, replay.text);
  assert.equal(replay.text, first.text, 'byte-identical replay');
  assert.equal(replay.headers.get('idempotent-replayed'), 'true');
  assert.deepEqual(await get(call.id), changed, 'the replay did not apply the PATCH again');
  const reused = await send(c, 'PATCH', `/api/v1/calls/${call.id}`, JSON.stringify({ transcript: 'v3' }), { 'Idempotency-Key': key });
  assert.equal(reused.status, 422, reused.text);
  assertErrorBody(reused.text, 'idempotency_key_reused');
  assert.deepEqual(await get(call.id), changed);
});

test('a PUT of epa-results replayed with its Idempotency-Key returns the first body and keeps the later results', async () => {
  const call = await create({ status: 'ended' });
  const key = `epa-${randomUUID()}`;
  const v1 = { state: 'Partial', completionReason: 'HangUp', totalQuestions: 3, questionsAnswered: 1, calculatedScore: null, responses: [] };
  const v2 = { ...v1, state: 'Completed', completionReason: 'AllAnswered', questionsAnswered: 3 };
  const path = `/api/v1/voice-calls/${call.id}/epa-results`;
  const first = await send(c, 'PUT', path, JSON.stringify(v1), { 'Idempotency-Key': key });
  assert.equal(first.status, 200, first.text);
  assert.equal((await send(c, 'PUT', path, v2)).status, 200);
  const replay = await send(c, 'PUT', path, JSON.stringify(v1), { 'Idempotency-Key': key });
  assert.equal(replay.text, first.text);
  assert.equal(replay.headers.get('idempotent-replayed'), 'true');
  assert.deepEqual((await send(c, 'GET', path)).json, v2);
});

// --- tenancy and scopes ---------------------------------------------------------------------------
const EPA = { state: 'Completed', completionReason: 'AllAnswered', totalQuestions: 1, questionsAnswered: 1, calculatedScore: 9, responses: [{ question: 'q', answer: 'a', score: 9 }] };

/** Everything observable about a call of tenant A, to check nothing changed. */
async function observe(id) {
  return {
    ovia: await get(id),
    vc: (await send(c, 'GET', `/api/v1/voice-calls/${id}`)).json,
    epa: (await send(c, 'GET', `/api/v1/voice-calls/${id}/epa-results`)).text,
  };
}

test("another tenant's call is 404 not_found on every {id} endpoint, by id and by call_id, reveals nothing and stays untouched", async () => {
  const ref = `secret-ref-${randomUUID()}`;
  const call = await create({ call_id: ref, status: 'in_progress', from_number: '+15557770001', to_number: '+15557770002', transcript: 'confidential' });
  assert.equal((await send(c, 'PUT', `/api/v1/voice-calls/${call.id}/epa-results`, EPA)).status, 200);
  const before = await observe(call.id);
  for (const key of [call.id, ref]) {
    const k = encodeURIComponent(key);
    const attempts = [
      ['GET ovia', await send(b, 'GET', `/api/v1/calls/${k}`)],
      ['PATCH ovia', await send(b, 'PATCH', `/api/v1/calls/${k}`, { transcript: 'stolen' })],
      ['end', await end(key, tokens.b)],
      ['GET voice-call', await send(b, 'GET', `/api/v1/voice-calls/${k}`)],
      ['GET epa', await send(b, 'GET', `/api/v1/voice-calls/${k}/epa-results`)],
      ['PUT epa', await send(b, 'PUT', `/api/v1/voice-calls/${k}/epa-results`, EPA)],
    ];
    for (const [label, r] of attempts) {
      assert.equal(r.status, 404, `${label} ${key}: ${r.text}`);
      assertErrorBody(r.text, 'not_found');
      for (const secret of ['+15557770001', '+15557770002', 'confidential', ...(key === ref ? [call.id] : [])]) {
        assert.ok(!r.text.includes(secret), `${label} ${key}: the body reveals ${secret}`);
      }
    }
    assert.equal(attempts[0][1].json.message, `Call not found: ${key}.`);
  }
  assert.deepEqual(await observe(call.id), before, "tenant A's call is untouched");
});

test('call_id is unique per tenant only: another tenant may reuse it and each tenant resolves it to its own call', async () => {
  const ref = `shared-${randomUUID()}`;
  const mine = await create({ call_id: ref, transcript: 'tenant A' });
  const theirs = await create({ call_id: ref, transcript: 'tenant B' }, b);
  assert.notEqual(mine.id, theirs.id);
  assert.equal((await get(ref)).id, mine.id);
  assert.equal((await get(ref, b)).id, theirs.id);
  const e = await end(ref, tokens.b);
  assert.equal(e.status, 200, e.text);
  assert.equal(e.json.id, theirs.id);
  assert.equal((await get(ref)).status, 'not_started', "ending B's call did not touch A's");
  const dup = await send(b, 'POST', '/api/v1/calls', { ...VALID_CALL, call_id: ref });
  assert.equal(dup.status, 409, dup.text);
  assertErrorBody(dup.text, 'conflict', { fieldOptional: true });
});

test('a voice:read key gets 403 insufficient_scope on every write, and nothing changes', async () => {
  const call = await create({ status: 'in_progress', call_id: `scoped-${randomUUID()}` });
  assert.equal((await send(c, 'PUT', `/api/v1/voice-calls/${call.id}/epa-results`, EPA)).status, 200);
  const before = await observe(call.id);
  const count = (await send(c, 'GET', '/api/v1/calls?page_size=1')).json.total_count;
  const attempts = [
    ['POST calls', await send(ro, 'POST', '/api/v1/calls', VALID_CALL)],
    ['PATCH', await send(ro, 'PATCH', `/api/v1/calls/${call.id}`, { transcript: 'x' })],
    ['end', await end(call.id, tokens.ro)],
    ['PUT epa', await send(ro, 'PUT', `/api/v1/voice-calls/${call.id}/epa-results`, { ...EPA, calculatedScore: 1 })],
  ];
  for (const [label, r] of attempts) {
    assert.equal(r.status, 403, `${label}: ${r.text}`);
    assertErrorBody(r.text, 'insufficient_scope', { fieldOptional: true });
    assert.match(r.json.message, /voice:write/, `${label}: the message names the scope`);
  }
  assert.deepEqual(await observe(call.id), before);
  assert.equal((await send(c, 'GET', '/api/v1/calls?page_size=1')).json.total_count, count, 'no call created');
  // The same key reads fine.
  assert.equal((await send(ro, 'GET', `/api/v1/calls/${call.id}`)).status, 200);
  assert.equal((await send(ro, 'GET', `/api/v1/voice-calls/${call.id}`)).status, 200);
});

test('a voice:write-only key gets 403 insufficient_scope on every read', async () => {
  const call = await create({ status: 'ended' });
  assert.equal((await send(c, 'PUT', `/api/v1/voice-calls/${call.id}/epa-results`, EPA)).status, 200);
  for (const path of [`/api/v1/calls/${call.id}`, '/api/v1/calls', `/api/v1/voice-calls/${call.id}`, '/api/v1/voice-calls',
    `/api/v1/voice-calls/${call.id}/epa-results`]) {
    const r = await send(wo, 'GET', path);
    assert.equal(r.status, 403, `${path}: ${r.text}`);
    assertErrorBody(r.text, 'insufficient_scope', { fieldOptional: true });
    assert.match(r.json.message, /voice:read/);
  }
  // ...and may write.
  const p = await send(wo, 'PATCH', `/api/v1/calls/${call.id}`, { transcript: 'w' });
  assert.equal(p.status, 200, p.text);
});

test('the server shuts down cleanly (exit 0, no sanitizer report) after all of the above', async () => {
  await assertCleanExit(srv);
});
