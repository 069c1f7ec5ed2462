// Covers the calls resource: POST /api/v1/calls creates a call (201 with id, echoed fields and
// created_at), GET /api/v1/calls/{id} returns the same object, unknown ids are 404 and an
// unknown body field is refused with 400 unknown_field.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api, expectError, VALID_CALL, UUID_RE, assertCleanExit } from './lib.mjs';

let srv;
let c;
before(async () => {
  srv = await startServer();
  c = api(srv.base, srv.token);
});
after(async () => { await srv?.dispose(); });

test('POST /api/v1/calls creates a call: 201 with a UUID id, the given fields and created_at', async () => {
  const res = await c.createCall();
  const text = await res.text();
  assert.equal(res.status, 201, text);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  const call = JSON.parse(text);
  assert.match(call.id, UUID_RE);
  for (const [k, v] of Object.entries(VALID_CALL)) assert.equal(call[k], v, `field ${k}`);
  assert.equal(typeof call.created_at, 'string');
  assert.ok(!Number.isNaN(Date.parse(call.created_at)), `created_at parses: ${call.created_at}`);
});

test('GET /api/v1/calls/{id} returns the same object the create returned', async () => {
  const res = await c.createCall();
  const text = await res.text();
  assert.equal(res.status, 201, text);
  const created = JSON.parse(text);
  const got = await c.getCall(created.id);
  const gotText = await got.text();
  assert.equal(got.status, 200, gotText);
  assert.deepEqual(JSON.parse(gotText), created);
});

test('two creates without an Idempotency-Key make two distinct calls', async () => {
  const a = await c.createCall();
  const b = await c.createCall();
  assert.equal(a.status, 201);
  assert.equal(b.status, 201);
  assert.notEqual((await a.json()).id, (await b.json()).id);
});

test('GET of an unknown call id is 404 not_found', async () => {
  await expectError(await c.getCall('00000000-0000-4000-8000-000000000000'), 404, 'not_found');
});

test('a body with an unknown field is refused with 400 unknown_field naming it', async () => {
  const res = await c.createCall({ ...VALID_CALL, bogus: 1 });
  await expectError(res, 400, 'unknown_field', { field: 'bogus' });
});

test('the server shuts down cleanly (exit 0, no sanitizer report) after all of the above', async () => {
  await assertCleanExit(srv);
});
