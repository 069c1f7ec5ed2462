// Covers authentication and authorization on /api/v1/calls: missing, malformed, tampered,
// unknown and revoked tokens (401 with WWW-Authenticate), scopes (403 insufficient_scope),
// tenant isolation, and the key's last-used time and tenant in the request log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, api, cli, createKey, keyIdOf, expectError, waitFor, VALID_CALL, assertCleanExit,
} from './lib.mjs';

let srv;
let admin; // first-start token, tenant "default", all scopes
before(async () => {
  srv = await startServer();
  admin = srv.token;
  assert.ok(admin, 'first start printed a token');
});
after(async () => { await srv?.dispose(); });

const MISSING_ID = '00000000-0000-4000-8000-000000000000';

async function expect401(res, { invalidToken }) {
  const www = res.headers.get('www-authenticate') || '';
  await expectError(res, 401, 'unauthorized', { message: 'Invalid API token.' });
  assert.match(www, /^Bearer/, `WWW-Authenticate: ${www}`);
  if (invalidToken) assert.match(www, /error="invalid_token"/, `WWW-Authenticate: ${www}`);
}

/** Flip one hex character of the secret part of a token. */
function tamper(token) {
  const i = token.length - 5;
  const c = token[i] === 'a' ? 'b' : 'a';
  return token.slice(0, i) + c + token.slice(i + 1);
}

test('a request without Authorization is refused with 401 and a Bearer challenge', async () => {
  const res = await fetch(`${srv.base}/api/v1/calls`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(VALID_CALL),
  });
  await expect401(res, { invalidToken: false });
  const get = await fetch(`${srv.base}/api/v1/calls/${MISSING_ID}`);
  await expect401(get, { invalidToken: false });
});

test('malformed, tampered and unknown tokens are refused with 401 invalid_token', async () => {
  const unknownId = `cp_0123456789abcdef_${'ab'.repeat(32)}`;
  const cases = {
    'Bearer abc': 'Bearer abc',
    'Basic xyz': 'Basic xyz',
    'tampered secret': `Bearer ${tamper(admin)}`,
    'unknown key id': `Bearer ${unknownId}`,
  };
  for (const [name, header] of Object.entries(cases)) {
    const res = await fetch(`${srv.base}/api/v1/calls`, {
      method: 'POST',
      headers: { Authorization: header, 'Content-Type': 'application/json' },
      body: JSON.stringify(VALID_CALL),
    });
    try {
      await expect401(res, { invalidToken: true });
    } catch (e) {
      e.message = `case ${name}: ${e.message}`;
      throw e;
    }
  }
});

test('a key revoked with the CLI while the server runs is refused on the very next request', async () => {
  const token = createKey(srv.dataDir, 'revokeme', 'voice:read,voice:write');
  const c = api(srv.base, token);
  const ok = await c.createCall();
  const okText = await ok.text();
  assert.equal(ok.status, 201, `before revoke: ${okText}`);
  const { id } = JSON.parse(okText);
  const r = cli(['keys', 'revoke', keyIdOf(token), '--data', srv.dataDir]);
  assert.equal(r.code, 0, r.stderr);
  await expect401(await c.getCall(id), { invalidToken: true });
  await expect401(await c.createCall(), { invalidToken: true });
});

test('a voice:read key cannot create a call: 403 insufficient_scope naming voice:write', async () => {
  const reader = createKey(srv.dataDir, 'default', 'voice:read');
  const res = await api(srv.base, reader).createCall();
  const body = await expectError(res, 403, 'insufficient_scope');
  assert.match(body.message, /voice:write/);
});

test('a voice:write-only key cannot read a call: 403 insufficient_scope naming voice:read', async () => {
  const writer = createKey(srv.dataDir, 'default', 'voice:write');
  const created = await api(srv.base, writer).createCall();
  assert.equal(created.status, 201, await created.clone().text());
  const { id } = await created.json();
  const res = await api(srv.base, writer).getCall(id);
  const body = await expectError(res, 403, 'insufficient_scope');
  assert.match(body.message, /voice:read/);
});

test('a voice:read key can read a call its tenant created', async () => {
  const reader = createKey(srv.dataDir, 'default', 'voice:read');
  const created = await api(srv.base, admin).createCall();
  assert.equal(created.status, 201, await created.clone().text());
  const { id } = await created.json();
  const res = await api(srv.base, reader).getCall(id);
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal((await res.json()).id, id);
});

test("another tenant's key cannot see a call: 404 not_found", async () => {
  const created = await api(srv.base, admin).createCall();
  assert.equal(created.status, 201, await created.clone().text());
  const { id } = await created.json();
  const stranger = createKey(srv.dataDir, 'othertenant', 'all');
  await expectError(await api(srv.base, stranger).getCall(id), 404, 'not_found');
});

test('an authenticated request is logged with its tenant and the key shows a last-used time', async () => {
  const token = createKey(srv.dataDir, 'loggedtenant', 'voice:read');
  const res = await fetch(`${srv.base}/api/v1/calls/${MISSING_ID}`, {
    headers: { Authorization: `Bearer ${token}`, 'X-Request-Id': 'auth-log-1' },
  });
  await expectError(res, 404, 'not_found');
  const line = await waitFor(
    () => srv.stderr().split('\n').find((l) => l.includes('rid=auth-log-1')),
    { what: 'log line for auth-log-1' },
  );
  assert.match(line, /tenant=loggedtenant /);
  assert.match(line, / GET /);
  assert.match(line, /\/api\/v1\/calls\//);
  assert.match(line, / 404\b/);
  const list = cli(['keys', 'list', '--data', srv.dataDir]);
  const row = list.stdout.split('\n').find((l) => l.startsWith(keyIdOf(token)));
  assert.ok(row, list.stdout);
  const [, , , lastUsed] = row.trim().split(/\s+/);
  assert.match(lastUsed, /^\d{4}-\d{2}-\d{2}T/, `last used column: ${row}`);
});

test('the server shuts down cleanly (exit 0, no sanitizer report) after all of the above', async () => {
  await assertCleanExit(srv);
});
