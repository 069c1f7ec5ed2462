// Covers Idempotency-Key on POST /api/v1/calls: byte-identical replay with
// Idempotent-Replayed: true, 422 on reuse with another body, 400 for bad keys, errors not
// stored, per-tenant keys, replay across a restart, and concurrent duplicates (one call,
// others replay or get 409 idempotency_in_progress).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  startServer, api, createKey, expectError, rawRequest, rawHttp, parseResponse, assertErrorBody,
  VALID_CALL, UUID_RE, assertCleanExit,
} from './lib.mjs';

let srv;
let c;
before(async () => {
  srv = await startServer();
  c = api(srv.base, srv.token);
});
after(async () => { await srv?.dispose(); });

const newKey = () => `k-${randomUUID()}`;
const BODY = JSON.stringify(VALID_CALL);

async function post(client, key, body = BODY) {
  const res = await client.request('POST', '/api/v1/calls', { body, headers: { 'Idempotency-Key': key } });
  return { res, text: await res.text() };
}

test('the same key and body twice replays the first response byte for byte', async () => {
  const key = newKey();
  const first = await post(c, key);
  assert.equal(first.res.status, 201, first.text);
  assert.equal(first.res.headers.get('idempotent-replayed'), null, 'a first response is not a replay');
  const second = await post(c, key);
  assert.equal(second.res.status, first.res.status);
  assert.equal(second.text, first.text, 'byte-identical body');
  assert.equal(second.res.headers.get('idempotent-replayed'), 'true');
  const id = JSON.parse(first.text).id;
  assert.match(id, UUID_RE);
  assert.equal(JSON.parse(second.text).id, id, 'one call, not two');
  const got = await c.getCall(id);
  assert.equal(got.status, 200, await got.clone().text());
  assert.equal((await got.json()).id, id);
});

test('the same key with a different body is 422 idempotency_key_reused', async () => {
  const key = newKey();
  const first = await post(c, key);
  assert.equal(first.res.status, 201, first.text);
  const other = JSON.stringify({ ...VALID_CALL, to_number: '+15550000000' });
  const res = await c.request('POST', '/api/v1/calls', { body: other, headers: { 'Idempotency-Key': key } });
  await expectError(res, 422, 'idempotency_key_reused');
});

test('a key of 255 characters is accepted and one of 256 is 400 bad_idempotency_key', async () => {
  const ok = await post(c, 'a'.repeat(255));
  assert.equal(ok.res.status, 201, ok.text);
  const res = await c.request('POST', '/api/v1/calls', { body: BODY, headers: { 'Idempotency-Key': 'b'.repeat(256) } });
  await expectError(res, 400, 'bad_idempotency_key', { fieldOptional: true });
});

test('a key with a control or non-ASCII character is 400 bad_idempotency_key', async () => {
  for (const [name, key] of [['tab', 'ab\tcd'], ['non-ASCII', 'caf\u00e9-key']]) {
    const text = rawHttp('POST', '/api/v1/calls', {
      Authorization: `Bearer ${srv.token}`,
      'Content-Type': 'application/json',
      'Idempotency-Key': key,
      'Content-Length': Buffer.byteLength(BODY),
    }, BODY);
    const r = parseResponse(await rawRequest(srv.port, Buffer.from(text, 'utf8')));
    assert.equal(r.status, 400, `${name}: ${r.body}`);
    try {
      assertErrorBody(r.body, 'bad_idempotency_key', { fieldOptional: true });
    } catch (e) {
      e.message = `${name}: ${e.message}`;
      throw e;
    }
  }
});

test('a failed request does not use up its key: the corrected request with the same key is 201', async () => {
  const key = newKey();
  const bad = await c.request('POST', '/api/v1/calls', {
    body: JSON.stringify({ ...VALID_CALL, bogus: 1 }), headers: { 'Idempotency-Key': key },
  });
  await expectError(bad, 400, 'unknown_field', { field: 'bogus' });
  const good = await post(c, key);
  assert.equal(good.res.status, 201, good.text);
  assert.equal(good.res.headers.get('idempotent-replayed'), null);
});

test("the same key from another tenant creates a separate call (no replay across tenants)", async () => {
  const other = api(srv.base, createKey(srv.dataDir, 'tenant-b', 'voice:read,voice:write'));
  const key = newKey();
  const a = await post(c, key);
  const b = await post(other, key);
  assert.equal(a.res.status, 201, a.text);
  assert.equal(b.res.status, 201, b.text);
  assert.equal(b.res.headers.get('idempotent-replayed'), null);
  assert.notEqual(JSON.parse(b.text).id, JSON.parse(a.text).id);
  // Each tenant's key still replays its own response.
  const b2 = await post(other, key);
  assert.equal(b2.text, b.text);
  assert.equal(b2.res.headers.get('idempotent-replayed'), 'true');
});

test('20 concurrent requests with one key create exactly one call; the rest replay it or get 409', async () => {
  const key = newKey();
  const results = await Promise.all(Array.from({ length: 20 }, () => post(c, key)));
  const created = results.filter((r) => r.res.status === 201);
  const busy = results.filter((r) => r.res.status === 409);
  assert.equal(created.length + busy.length, 20,
    `only 201 or 409 expected, got ${results.map((r) => `${r.res.status} ${r.text}`).join('\n')}`);
  assert.ok(created.length >= 1, 'at least one 201');
  for (const r of created) assert.equal(r.text, created[0].text, 'all 201 bodies identical');
  assert.match(JSON.parse(created[0].text).id, UUID_RE);
  for (const r of busy) assertErrorBody(r.text, 'idempotency_in_progress');
  // Afterwards the key replays the one stored response.
  const again = await post(c, key);
  assert.equal(again.text, created[0].text);
  assert.equal(again.res.headers.get('idempotent-replayed'), 'true');
});

test('a stored response is still replayed after a server restart on the same data directory', async () => {
  const first = await startServer();
  let second;
  try {
    const key = newKey();
    const a = await post(api(first.base, first.token), key);
    assert.equal(a.res.status, 201, a.text);
    assert.equal(await first.stop(), 0);
    second = await startServer({ dataDir: first.dataDir });
    const b = await post(api(second.base, first.token), key);
    assert.equal(b.res.status, 201, b.text);
    assert.equal(b.text, a.text);
    assert.equal(b.res.headers.get('idempotent-replayed'), 'true');
    assert.equal(await second.stop(), 0);
  } finally {
    await second?.kill();
    await first.dispose();
  }
});

test('the server shuts down cleanly (exit 0, no sanitizer report) after all of the above', async () => {
  await assertCleanExit(srv);
});
