// Covers the two list endpoints over a bulk data set: GET /api/v1/voice-calls (contact-center
// face, camelCase) and GET /api/v1/calls (Ovia face, snake_case). 1,000 calls are created across
// two tenants (700 for A, 300 for B) with varied campaigns, directions (including none),
// status/outcome pairs, start times (many identical, some absent) and phone numbers. For every
// filter and a few combinations, on both tenants and both faces:
//  - totalCount/total_count equals the count computed locally from what was created;
//  - the rows come in the documented order (startTime descending, then id descending; calls
//    without a start time last) and walking every page yields each matching id exactly once;
//  - no row of the other tenant ever appears;
//  - the derived contact-center state of every row is the documented one;
//  - the camelCase and snake_case faces return the same ids in the same order.
// Page edges: first page and defaults, the last partial page, a page beyond the end (empty
// items, right totals), pageSize 1 and 500, pageSize 501 → 400.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, api, createKey, expectError, assertCleanExit,
} from './lib.mjs';

let srv;
const tenants = {}; // name -> { client, calls: [{id, ...model}] }

const USER = '3c90c3cc-0d44-4b50-8888-8dd25736052a';
const CAMPAIGNS = ['camp_a', 'camp_b', 'camp_c', null];
const DIRECTIONS = ['outbound', 'inbound', null];
const COMBOS = [
  ['not_started', null], ['in_progress', null], ['in_progress', 'no_answer'],
  ['ended', 'completed'], ['ended', 'busy'], ['ended', 'no_answer'], ['ended', 'voicemail'], ['ended', 'failed'],
  ['ended', null], ['error', null], ['error', 'busy'], ['error', 'completed'],
];
// +15550000003 is both a caller and a callee number, to check that phone matches either side.
const FROMS = ['+15550000001', '+15550000002', '+15550000003', '+442071838750', 'anonymous'];
const TOS = ['+15550000003', '+15550000004', '+15550000005', '+33612345678', '+15550000006', '+15550000007', '+4915123456789'];
const BASE_MS = Date.parse('2024-03-01T08:00:00Z');
const SLOTS = 120; // distinct start times, 15 minutes apart: about 8 calls share each one
const slotTime = (k) => new Date(BASE_MS + k * 15 * 60 * 1000).toISOString().replace('.000Z', 'Z');

function model(i) {
  const [status, outcome] = COMBOS[Math.floor(i / 7) % COMBOS.length];
  const started = i % 13 === 0 ? null : slotTime((i * 7) % SLOTS);
  return {
    campaign_id: CAMPAIGNS[i % CAMPAIGNS.length],
    direction: DIRECTIONS[i % DIRECTIONS.length],
    status,
    outcome,
    started_at: started,
    ended_at: started && (status === 'ended' || status === 'error') ? new Date(Date.parse(started) + 60000).toISOString().replace('.000Z', 'Z') : null,
    from_number: FROMS[i % FROMS.length],
    to_number: TOS[(i * 3) % TOS.length],
  };
}

/** The same instant written with another UTC offset (e.g. +05:30), as a client abroad would. */
function withOffset(iso, minutes) {
  const local = new Date(Date.parse(iso) + minutes * 60000).toISOString().slice(0, 19);
  const sign = minutes < 0 ? '-' : '+';
  const a = Math.abs(minutes);
  return `${local}${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

function bodyOf(m, i, tenant) {
  const b = {
    user_id: USER, agent_id: USER, phone_number_id: USER, type: 'phone_call',
    call_id: `${tenant}-${i}`, from_number: m.from_number, to_number: m.to_number, status: m.status,
  };
  for (const k of ['campaign_id', 'direction', 'outcome', 'started_at', 'ended_at']) if (m[k] !== null) b[k] = m[k];
  // Some times are sent with a non-UTC offset; order and filters must use the instant.
  if (b.started_at && i % 17 === 1) b.started_at = withOffset(b.started_at, 330);
  if (b.started_at && i % 17 === 2) b.started_at = withOffset(b.started_at, -480);
  return b;
}

const CC_STATE = {
  not_started: 'NotStarted', in_progress: 'InProgress', completed: 'Completed', busy: 'Busy',
  no_answer: 'NoAnswer', voicemail: 'Voicemail', failed: 'Failed',
};
const CC_OUTCOME = { completed: 'Successful', no_answer: 'NoAnswer', busy: 'Busy', voicemail: 'Voicemail', failed: 'Failed' };
const OUTCOME_FROM_CC = Object.fromEntries(Object.entries(CC_OUTCOME).map(([k, v]) => [v, k]));

/** The documented derived state, as a snake word. */
function derivedState(m) {
  if (m.status === 'not_started' || m.status === 'in_progress') return m.status;
  if (m.outcome) return m.outcome;
  return m.status === 'ended' ? 'completed' : 'failed';
}

/** Documented order: start descending, calls without start last, then id descending. */
function compareCalls(a, b) {
  if (a.started_at !== b.started_at) {
    if (a.started_at === null) return 1;
    if (b.started_at === null) return -1;
    return Date.parse(b.started_at) - Date.parse(a.started_at);
  }
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/**
 * A filter in neutral form: {campaign, state (snake word), direction (snake), from, to,
 * phone, outcome (snake word or contact-center word)}.
 */
function matches(m, f) {
  if (f.campaign !== undefined && m.campaign_id !== f.campaign) return false;
  if (f.state !== undefined && derivedState(m) !== f.state) return false;
  if (f.direction !== undefined && m.direction !== f.direction) return false;
  if (f.from !== undefined && (m.started_at === null || Date.parse(m.started_at) < Date.parse(f.from))) return false;
  if (f.to !== undefined && (m.started_at === null || Date.parse(m.started_at) > Date.parse(f.to))) return false;
  if (f.phone !== undefined && m.from_number !== f.phone && m.to_number !== f.phone) return false;
  if (f.outcome !== undefined && m.outcome !== (OUTCOME_FROM_CC[f.outcome] ?? f.outcome)) return false;
  return true;
}

function camelQuery(f) {
  const q = [];
  const add = (k, v) => q.push(`${k}=${encodeURIComponent(v)}`);
  if (f.campaign !== undefined) add('campaignId', f.campaign);
  if (f.state !== undefined) add('state', CC_STATE[f.state]);
  if (f.direction !== undefined) add('direction', f.direction === 'inbound' ? 'Inbound' : 'Outbound');
  if (f.from !== undefined) add('dateFrom', f.from);
  if (f.to !== undefined) add('dateTo', f.to);
  if (f.phone !== undefined) add('phone', f.phone);
  if (f.outcome !== undefined) add('outcome', f.outcome);
  return q;
}

function snakeQuery(f) {
  const q = [];
  const add = (k, v) => q.push(`${k}=${encodeURIComponent(v)}`);
  if (f.campaign !== undefined) add('campaign_id', f.campaign);
  if (f.state !== undefined) add('state', f.state);
  if (f.direction !== undefined) add('direction', f.direction);
  if (f.from !== undefined) add('date_from', f.from);
  if (f.to !== undefined) add('date_to', f.to);
  if (f.phone !== undefined) add('phone', f.phone);
  if (f.outcome !== undefined) add('outcome', f.outcome);
  return q;
}

async function getJson(client, path) {
  const res = await client.get(path);
  const text = await res.text();
  assert.equal(res.status, 200, `${path}: ${text}`);
  return JSON.parse(text);
}

/** Walk every page of one face; returns {ids, pages, items}. Checks the envelope of each page. */
async function walk(client, face, query, pageSize) {
  const camel = face === 'camel';
  const path = camel ? '/api/v1/voice-calls' : '/api/v1/calls';
  const ps = camel ? 'pageSize' : 'page_size';
  const items = [];
  let total;
  let totalPages;
  for (let page = 1; ; page++) {
    const url = `${path}?${[...query, `page=${page}`, `${ps}=${pageSize}`].join('&')}`;
    const j = await getJson(client, url);
    const keys = camel ? ['items', 'page', 'pageSize', 'totalCount', 'totalPages'] : ['items', 'page', 'page_size', 'total_count', 'total_pages'];
    assert.deepEqual(Object.keys(j).sort(), keys, url);
    const tc = camel ? j.totalCount : j.total_count;
    const tp = camel ? j.totalPages : j.total_pages;
    assert.equal(j.page, page, `${url}: page`);
    assert.equal(camel ? j.pageSize : j.page_size, pageSize, `${url}: page size`);
    if (total === undefined) { total = tc; totalPages = tp; }
    assert.equal(tc, total, `${url}: the total does not change between pages`);
    assert.equal(tp, Math.ceil(total / pageSize), `${url}: total pages`);
    const expectedLen = Math.max(0, Math.min(pageSize, total - (page - 1) * pageSize));
    assert.equal(j.items.length, expectedLen, `${url}: items on this page`);
    items.push(...j.items);
    if (page >= totalPages) break;
  }
  return { ids: items.map((it) => it.id), total, items };
}

/** Check one filter on one tenant on both faces against the local model. */
async function checkFilter(tenantName, f, pageSize = 500) {
  const t = tenants[tenantName];
  const other = Object.keys(tenants).find((n) => n !== tenantName);
  const otherIds = new Set(tenants[other].calls.map((x) => x.id));
  const expected = t.calls.filter((m) => matches(m, f)).sort(compareCalls);
  const byId = new Map(t.calls.map((m) => [m.id, m]));
  const label = `${tenantName} ${JSON.stringify(f)}`;
  const camel = await walk(t.client, 'camel', camelQuery(f), pageSize);
  const snake = await walk(t.client, 'snake', snakeQuery(f), pageSize);
  for (const [face, r] of [['camel', camel], ['snake', snake]]) {
    assert.equal(r.total, expected.length, `${label} ${face}: total count`);
    const leaked = r.ids.filter((id) => otherIds.has(id));
    assert.deepEqual(leaked, [], `${label} ${face}: rows of tenant ${other}`);
    assert.equal(new Set(r.ids).size, r.ids.length, `${label} ${face}: every id once`);
    assert.deepEqual(r.ids, expected.map((m) => m.id), `${label} ${face}: the matching ids in documented order`);
  }
  for (const it of camel.items) {
    const m = byId.get(it.id);
    assert.equal(it.state, CC_STATE[derivedState(m)], `${label}: derived state of ${m.call_id} (${m.status}/${m.outcome})`);
    assert.equal(it.startTime, m.started_at, `${label}: startTime of ${m.call_id}`);
    assert.equal(it.outcome, m.outcome === null ? null : CC_OUTCOME[m.outcome], `${label}: outcome of ${m.call_id}`);
    assert.equal(it.direction, m.direction === null ? null : m.direction === 'inbound' ? 'Inbound' : 'Outbound', `${label}: direction of ${m.call_id}`);
    assert.equal(it.campaignId, m.campaign_id, `${label}: campaignId of ${m.call_id}`);
    assert.equal(it.callId, m.call_id, `${label}: callId`);
  }
  for (const it of snake.items) {
    const m = byId.get(it.id);
    assert.equal(it.status, m.status, `${label}: status of ${m.call_id}`);
    assert.equal(it.started_at, m.started_at, `${label}: started_at of ${m.call_id}`);
  }
  assert.deepEqual(snake.ids, camel.ids, `${label}: both faces agree`);
  return expected.length;
}

before(async () => {
  srv = await startServer();
  tenants.A = { client: api(srv.base, srv.token), calls: [] };
  tenants.B = { client: api(srv.base, createKey(srv.dataDir, 'tenant-b', 'voice:read,voice:write')), calls: [] };
  const jobs = Array.from({ length: 1000 }, (_, i) => {
    const tenant = i < 700 ? 'A' : 'B';
    return { i, tenant, m: model(i) };
  });
  // Parallel batches of 32 over keep-alive fetch.
  for (let k = 0; k < jobs.length; k += 32) {
    await Promise.all(jobs.slice(k, k + 32).map(async ({ i, tenant, m }) => {
      const res = await tenants[tenant].client.createCall(bodyOf(m, i, tenant));
      const text = await res.text();
      assert.equal(res.status, 201, text);
      const call = JSON.parse(text);
      tenants[tenant].calls.push({ ...m, id: call.id, call_id: call.call_id });
    }));
  }
});
after(async () => { await srv?.dispose(); });

test('the data set is what the filters are checked against: 700 calls for A, 300 for B, every state, shared start times and missing ones', () => {
  assert.equal(tenants.A.calls.length, 700);
  assert.equal(tenants.B.calls.length, 300);
  for (const t of ['A', 'B']) {
    const states = new Set(tenants[t].calls.map(derivedState));
    assert.equal(states.size, 7, `tenant ${t} has every derived state`);
    assert.ok(tenants[t].calls.some((m) => m.started_at === null), 'some calls have no start time');
    const perStart = new Map();
    for (const m of tenants[t].calls) perStart.set(m.started_at, (perStart.get(m.started_at) || 0) + 1);
    assert.ok([...perStart.values()].some((n) => n > 3), 'several calls share a start time');
  }
});

test('unfiltered: each tenant sees exactly its own calls, in startTime-then-id descending order, on both faces', async () => {
  assert.equal(await checkFilter('A', {}), 700);
  assert.equal(await checkFilter('B', {}), 300);
});

test('campaignId / campaign_id filters: counts, order and isolation match the local model', async () => {
  for (const t of ['A', 'B']) {
    for (const campaign of ['camp_a', 'camp_b', 'camp_c']) assert.ok(await checkFilter(t, { campaign }) > 0);
    assert.equal(await checkFilter(t, { campaign: 'camp_none' }), 0);
  }
});

test('state filters use the derived state (ended/error by outcome; ended without outcome is Completed, error without outcome Failed)', async () => {
  for (const t of ['A', 'B']) {
    for (const state of Object.keys(CC_STATE)) assert.ok(await checkFilter(t, { state }) > 0, `${t} ${state}`);
  }
});

test('direction filters: Inbound and Outbound; calls without a direction match neither', async () => {
  for (const t of ['A', 'B']) {
    const out = await checkFilter(t, { direction: 'outbound' });
    const inb = await checkFilter(t, { direction: 'inbound' });
    assert.ok(out > 0 && inb > 0);
    assert.ok(out + inb < tenants[t].calls.length, 'calls without a direction exist and are in neither list');
  }
});

test('date filters are inclusive at both ends, accept any offset, and exclude calls without a start time', async () => {
  const from = slotTime(30);
  const to = slotTime(60);
  const plus2 = withOffset(from, 120);
  assert.equal(Date.parse(plus2), Date.parse(from), 'the +02:00 form is the same instant');
  for (const t of ['A', 'B']) {
    await checkFilter(t, { from });
    await checkFilter(t, { to });
    await checkFilter(t, { from, to });
    await checkFilter(t, { from: plus2, to });
    const exact = await checkFilter(t, { from: slotTime(45), to: slotTime(45) });
    assert.ok(exact > 0, 'a range of one instant includes the calls starting at it');
    assert.equal(await checkFilter(t, { from: '2030-01-01T00:00:00Z' }), 0);
  }
});

test('phone filter matches the caller or the callee number', async () => {
  for (const t of ['A', 'B']) {
    const both = await checkFilter(t, { phone: '+15550000003' });
    const onlyFrom = tenants[t].calls.filter((m) => m.from_number === '+15550000003').length;
    const onlyTo = tenants[t].calls.filter((m) => m.to_number === '+15550000003').length;
    assert.ok(both > onlyFrom && both > onlyTo, 'matches on both sides');
    await checkFilter(t, { phone: '+442071838750' });
    await checkFilter(t, { phone: '+4915123456789' });
    assert.equal(await checkFilter(t, { phone: '+19999999999' }), 0);
  }
});

test('outcome filters accept the snake words and the contact-center words, and agree', async () => {
  for (const t of ['A', 'B']) {
    for (const [snake, cc] of Object.entries(CC_OUTCOME)) {
      const a = await checkFilter(t, { outcome: snake });
      const b = await checkFilter(t, { outcome: cc });
      assert.equal(a, b, `${snake} and ${cc} match the same calls`);
      assert.ok(a > 0);
    }
  }
});

test('combined filters intersect', async () => {
  for (const t of ['A', 'B']) {
    await checkFilter(t, { campaign: 'camp_a', state: 'completed', direction: 'outbound' });
    await checkFilter(t, { from: slotTime(10), to: slotTime(90), outcome: 'busy' });
    await checkFilter(t, { phone: '+15550000003', direction: 'inbound', state: 'no_answer' });
    await checkFilter(t, { campaign: 'camp_b', from: slotTime(0), state: 'failed', outcome: 'failed' });
  }
});

test('walking small pages (pageSize 37, and 7 on a filter) yields every matching id exactly once, in order', async () => {
  await checkFilter('A', {}, 37);
  await checkFilter('B', { state: 'completed' }, 7);
});

test('page edges: defaults, first page, last partial page, beyond the end, pageSize 1 and 500, 501 refused', async () => {
  const { client, calls } = tenants.A;
  const order = [...calls].sort(compareCalls).map((m) => m.id);

  const d = await getJson(client, '/api/v1/voice-calls');
  assert.deepEqual({ page: d.page, pageSize: d.pageSize, totalCount: d.totalCount, totalPages: d.totalPages },
    { page: 1, pageSize: 50, totalCount: 700, totalPages: 14 });
  assert.deepEqual(d.items.map((x) => x.id), order.slice(0, 50));
  const s = await getJson(client, '/api/v1/calls');
  assert.deepEqual({ page: s.page, page_size: s.page_size, total_count: s.total_count, total_pages: s.total_pages },
    { page: 1, page_size: 50, total_count: 700, total_pages: 14 });
  assert.deepEqual(s.items.map((x) => x.id), order.slice(0, 50));

  const last = await getJson(client, '/api/v1/voice-calls?page=2&pageSize=500');
  assert.equal(last.items.length, 200, 'the last page is partial');
  assert.deepEqual(last.items.map((x) => x.id), order.slice(500));
  assert.equal(last.totalPages, 2);

  for (const [path, tc, tp] of [
    ['/api/v1/voice-calls?page=3&pageSize=500', 'totalCount', 'totalPages'],
    ['/api/v1/calls?page=3&page_size=500', 'total_count', 'total_pages'],
  ]) {
    const beyond = await getJson(client, path);
    assert.deepEqual(beyond.items, [], `${path}: no items beyond the end`);
    assert.equal(beyond.page, 3);
    assert.equal(beyond[tc], 700);
    assert.equal(beyond[tp], 2);
  }
  const far = await getJson(client, '/api/v1/voice-calls?page=1000000');
  assert.deepEqual(far.items, []);
  assert.equal(far.totalCount, 700);
  assert.equal(far.totalPages, 14);

  const one = await getJson(client, '/api/v1/voice-calls?page=700&pageSize=1');
  assert.deepEqual(one.items.map((x) => x.id), [order[699]]);
  assert.equal(one.totalPages, 700);
  const oneBeyond = await getJson(client, '/api/v1/calls?page=701&page_size=1');
  assert.deepEqual(oneBeyond.items, []);
  assert.equal(oneBeyond.total_pages, 700);
  const first = await getJson(client, '/api/v1/calls?page_size=1');
  assert.deepEqual(first.items.map((x) => x.id), [order[0]]);

  const full = await getJson(client, '/api/v1/voice-calls?pageSize=500');
  assert.deepEqual(full.items.map((x) => x.id), order.slice(0, 500));

  await expectError(await client.get('/api/v1/voice-calls?pageSize=501'), 400, 'bad_query', { field: 'pageSize' });
  await expectError(await client.get('/api/v1/calls?page_size=501'), 400, 'bad_query', { field: 'page_size' });

  // A filtered empty result has zero pages.
  const empty = await getJson(client, '/api/v1/voice-calls?campaignId=camp_none');
  assert.deepEqual({ items: empty.items, totalCount: empty.totalCount, totalPages: empty.totalPages }, { items: [], totalCount: 0, totalPages: 0 });
});

test('list items are the same objects as the single-call GETs of each face', async () => {
  const { client, calls } = tenants.B;
  const camel = await getJson(client, '/api/v1/voice-calls?pageSize=5');
  const snake = await getJson(client, '/api/v1/calls?page_size=5');
  for (const it of camel.items) assert.deepEqual(await getJson(client, `/api/v1/voice-calls/${it.id}`), it);
  for (const it of snake.items) assert.deepEqual(await getJson(client, `/api/v1/calls/${it.id}`), it);
  assert.ok(calls.length === 300);
});

test("a call with every field set is the same object in each face's list as in its GET (the contact-center list reads only what it shows)", async () => {
  const client = api(srv.base, createKey(srv.dataDir, 'tenant-full', 'voice:read,voice:write'));
  const body = {
    call_id: 'full-1', user_id: USER, agent_id: USER, phone_number_id: USER, type: 'phone_call',
    direction: 'outbound', from_number: '+15550000001', to_number: '+15550000004', status: 'ended',
    outcome: 'completed', campaign_id: 'camp_full', started_at: '2024-05-01T10:00:00Z',
    ended_at: '2024-05-01T10:04:10Z', duration: 250, talk_time: 231, agent: { name: 'Ava' },
    transcript: 'agent: Hello "there"\ncustomer: Hi \u2028 é',
    transcript_objects: [
      { role: 'agent', content: 'Hello "there", a \\ and a tab\t', timestamp: '2024-05-01T10:00:01Z' },
      { role: 'customer', content: 'Hi \u2028 é 😀', timestamp: '2024-05-01T10:00:04Z' },
    ],
    recording_url: 'https://recordings.example.com/full-1.wav', telephony_provider: 'twilio',
    telephony_id: 'CA0123456789abcdef', human_detection_result: 'human',
    costs: { llm: 0.12, stt: 0.03, tts: 0.05, total: 0.2, details: { llm_prompt_tokens: 1200 } },
    latency_metrics: 'llm_ttft_ms=310', analysis: 'Renewal confirmed.',
    metadata: { crm_id: 'A-1', tags: ['vip'] },
  };
  const cr = await client.createCall(body);
  assert.equal(cr.status, 201, await cr.text());
  const epa = {
    state: 'Completed', completionReason: 'AllAnswered', totalQuestions: 1, questionsAnswered: 1,
    calculatedScore: 90, responses: [{ question: 'Satisfied?', answer: 'Yes', score: 5 }],
  };
  const put = await client.request('PUT', '/api/v1/voice-calls/full-1/epa-results', { body: epa });
  assert.equal(put.status, 200, await put.text());

  const camel = await getJson(client, '/api/v1/voice-calls?state=Completed&direction=Outbound&campaignId=camp_full');
  const snake = await getJson(client, '/api/v1/calls?campaign_id=camp_full');
  assert.equal(camel.items.length, 1);
  assert.equal(snake.items.length, 1);
  const vc = await getJson(client, `/api/v1/voice-calls/${camel.items[0].id}`);
  assert.deepEqual(camel.items[0], vc);
  assert.deepEqual(vc.epaResults, epa);
  assert.equal(vc.recordingAvailable, true);
  assert.equal(vc.transcript.length, 2);
  assert.deepEqual(snake.items[0], await getJson(client, `/api/v1/calls/${snake.items[0].id}`));
  for (const k of ['costs', 'metadata', 'telephony_id', 'recording_url', 'agent_id']) {
    assert.ok(snake.items[0][k] !== null && snake.items[0][k] !== undefined, `the Ovia list shows ${k}`);
  }
});

test('the server shuts down cleanly (exit 0, no sanitizer report) after all of the above', async () => {
  await assertCleanExit(srv);
});
