// Retention: a sealed bundle, and the call it seals, cannot be deleted before retention_until
// (409 under_retention, nothing changes); a call without evidence can be deleted (and its
// recordings' files with it); another tenant's objects are 404.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, createKey, VALID_CALL, assertCleanExit } from './lib.mjs';

let srv;
after(async () => { if (srv) await srv.kill(); });

async function send(method, p, body, token = srv.token, type = 'application/json') {
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers['Content-Type'] = type;
  const r = await fetch(`${srv.base}${p}`, {
    method, headers, body: body === undefined ? undefined : (typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body)),
  });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, json, text };
}

test('a sealed bundle and its call are refused deletion until retention_until, and stay intact', async () => {
  srv = await startServer();
  const sealed = await send('POST', '/v1/post-call', {
    call_id: 'ret-1', phone: '+15551234567', calling_entity: 'Acme Insurance LLC',
    started_at: '2026-04-10T15:42:00Z', ended_at: '2026-04-10T15:46:30Z', duration_seconds: 270,
  });
  assert.equal(sealed.status, 201, sealed.text);
  assert.equal(sealed.json.retention_until, '2030-04-10T15:46:30Z');
  const id = sealed.json.evidence_bundle_id;
  const before = await send('GET', `/v1/evidence/${id}`);
  for (const [p, what] of [[`/v1/evidence/${id}`, 'bundle'], ['/api/v1/calls/ret-1', 'call']]) {
    const r = await send('DELETE', p);
    assert.equal(r.status, 409, `${what}: ${r.text}`);
    assert.equal(r.json.code, 'under_retention');
    assert.match(r.json.message, /2030-04-10T15:46:30Z/);
  }
  const afterTry = await send('GET', `/v1/evidence/${id}`);
  assert.equal(afterTry.status, 200);
  assert.deepEqual(afterTry.json.bundle, before.json.bundle);
  assert.equal((await send('GET', '/api/v1/calls/ret-1')).status, 200);
  assert.equal((await fetch(`${srv.base}/e/${id}.json`)).status, 200);
});

test('a call without evidence is deleted with its recordings, files included', async () => {
  const c = await send('POST', '/api/v1/calls', { ...VALID_CALL, call_id: 'plain-1' });
  assert.equal(c.status, 201, c.text);
  const wav = Buffer.concat([Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1'), Buffer.alloc(32, 1)]);
  const up = await send('PUT', '/v1/calls/plain-1/recordings/r1/audio', wav, srv.token, 'audio/wav');
  assert.equal(up.status, 201, up.text);
  const dir = path.join(srv.dataDir, 'recordings');
  const files = () => fs.readdirSync(dir, { recursive: true }).filter((f) => f.endsWith('.wav'));
  assert.equal(files().length, 1);
  const d = await send('DELETE', '/api/v1/calls/plain-1');
  assert.equal(d.status, 200, d.text);
  assert.deepEqual(d.json, { deleted: true, id: c.json.id });
  assert.equal((await send('GET', '/api/v1/calls/plain-1')).status, 404);
  assert.equal((await send('GET', '/v1/calls/plain-1/recording-log')).status, 404);
  assert.equal(files().length, 0);
});

test('deletes need their scope, and another tenant gets 404', async () => {
  const sealed = await send('POST', '/v1/post-call', { call_id: 'ret-2', phone: '+15551234567', calling_entity: 'Acme' });
  assert.equal(sealed.status, 201, sealed.text);
  const reader = createKey(srv.dataDir, 'default', 'voice:read');
  assert.equal((await send('DELETE', `/v1/evidence/${sealed.json.evidence_bundle_id}`, undefined, reader)).status, 403);
  assert.equal((await send('DELETE', '/api/v1/calls/ret-2', undefined, reader)).status, 403);
  const other = createKey(srv.dataDir, 'globex', 'all');
  assert.equal((await send('DELETE', `/v1/evidence/${sealed.json.evidence_bundle_id}`, undefined, other)).status, 404);
  assert.equal((await send('DELETE', '/api/v1/calls/ret-2', undefined, other)).status, 404);
});

test('after retention_until a bundle can be deleted (its log leaf stays), then its call', async () => {
  const s2 = await startServer({ args: ['--retention-years', '1'] });
  try {
    const post = (body) => fetch(`${s2.base}/v1/post-call`, {
      method: 'POST', headers: { Authorization: `Bearer ${s2.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    });
    const auth = { headers: { Authorization: `Bearer ${s2.token}` } };
    const r = await post({ call_id: 'old-1', phone: '+15551234567', calling_entity: 'Acme Insurance LLC',
      started_at: '2020-01-02T15:00:00Z', ended_at: '2020-01-02T15:04:00Z' });
    const j = await r.json();
    assert.equal(r.status, 201, JSON.stringify(j));
    assert.equal(j.retention_until, '2021-01-02T15:04:00Z');
    const sizeOf = async () => (await (await fetch(`${s2.base}/v1/log/checkpoint`)).text()).split('\n')[1];
    const size = await sizeOf();
    const d = await fetch(`${s2.base}/v1/evidence/${j.evidence_bundle_id}`, { method: 'DELETE', ...auth });
    assert.equal(d.status, 200, await d.text());
    assert.equal((await fetch(`${s2.base}/v1/evidence/${j.evidence_bundle_id}`, auth)).status, 404);
    assert.equal((await fetch(`${s2.base}/e/${j.evidence_bundle_id}`)).status, 404);
    assert.equal(await sizeOf(), size, 'the log keeps the leaf');
    const dc = await fetch(`${s2.base}/api/v1/calls/old-1`, { method: 'DELETE', ...auth });
    assert.equal(dc.status, 200, await dc.text());
    assert.equal((await fetch(`${s2.base}/api/v1/calls/old-1`, auth)).status, 404);
  } finally {
    await assertCleanExit(s2);
  }
});

test('the server shuts down cleanly after all of the above', async () => {
  await assertCleanExit(srv);
  srv = null;
});
