// Disk full: the data directory on a small tmpfs, filled up with a ballast file while the
// server runs. Writes that cannot be stored answer 507 insufficient_storage in the error envelope
// (calls and post-call bundles through SQLite, audio through the recordings directory); nothing
// acknowledged is lost; reads keep working; once the ballast is removed, writes work again,
// including the very requests that were refused (same Idempotency-Key), and a restart finds
// every acknowledged object.
//
// Needs a tmpfs mount (root, as in CI). Where mounting is not allowed the test is skipped and
// says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';

import { REPO, startServer, send, expectErr, tempDir, rmTemp, VALID_CALL, assertCleanExit, ON_PG } from './lib.mjs';
import { SEED } from './econsent_seed.mjs';

const WAV = fs.readFileSync(path.join(REPO, 'tests/blackbox/fixtures/one-second.wav'));

function tryMount(dir, size) {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
    return null;
  } catch (e) {
    return String(e.stderr || e.message).trim();
  }
}

// Fill the filesystem holding dir: write 64 KB chunks, then smaller ones, until ENOSPC.
function fillUp(file) {
  const fd = fs.openSync(file, 'a');
  let written = 0;
  try {
    for (const size of [65536, 4096, 512, 1]) {
      const chunk = Buffer.alloc(size, 0x55);
      for (;;) {
        try {
          fs.writeSync(fd, chunk);
          written += size;
        } catch (e) {
          if (e.code !== 'ENOSPC') throw e;
          break;
        }
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return written;
}

const mnt = tempDir('callproof-full-');
// On PostgreSQL the calls and bundles are not in the data directory, so filling it refuses no
// store write: the test is about SQLite (and the recordings next to it).
const why = ON_PG ? null : tryMount(mnt, '6m');
const skip = ON_PG ? 'SQLite only: on PostgreSQL the store is not in the data directory'
  : why === null ? false : `cannot mount a tmpfs here (${why}): run as root to test a full disk`;

test('a full disk answers 507, loses nothing acknowledged, and recovers when space is back', { skip }, async (t) => {
  const dataDir = path.join(mnt, 'data');
  let srv = null;
  // Whatever happens, the server goes first (a failure must not leave it running and the file
  // hanging), then the mount.
  t.after(async () => {
    if (srv) await srv.kill();
    try { execFileSync('umount', ['-l', mnt]); } catch { /* not mounted */ }
    rmTemp(mnt);
  });
  srv = await startServer({ dataDir });
  const tok = srv.token;
  const acked = new Map(); // call_id -> the 201 body
  const callBody = (id) => ({ ...VALID_CALL, call_id: id, transcript: 'x'.repeat(1000) });

  // Some writes before the disk fills.
  for (let i = 0; i < 20; i++) {
    const id = `before-${i}`;
    const r = await send(srv.base, tok, 'POST', '/api/v1/calls', callBody(id), { 'Idempotency-Key': `k-${id}` });
    assert.equal(r.status, 201, r.text);
    acked.set(id, r.json);
  }
  const rec = await send(srv.base, tok, 'POST', '/v1/calls/before-0/recording-log',
    { recording_id: 'rec-full', recording_url: 'https://rec.example/full.wav', duration_seconds: 1 });
  assert.equal(rec.status, 201, rec.text);

  const ballast = path.join(mnt, 'ballast');
  const filled = fillUp(ballast);
  assert.ok(filled > 0, 'the ballast took the free space');

  // Write until the store refuses: SQLite still has free pages in its WAL at first.
  let refused = null;
  let refusedId = null;
  for (let i = 0; i < 3000 && refused === null; i++) {
    const id = `during-${i}`;
    const r = await send(srv.base, tok, 'POST', '/api/v1/calls', callBody(id), { 'Idempotency-Key': `k-${id}` });
    if (r.status === 201) {
      acked.set(id, r.json);
    } else {
      refused = r;
      refusedId = id;
    }
  }
  assert.ok(refused, 'a write was refused before 3000 calls filled the store');
  expectErr(refused, 507, 'insufficient_storage', undefined, 'call on a full disk');
  assert.equal(refused.headers.get('retry-after'), '60');

  // Audio goes to the recordings directory: also 507, and no temporary file stays behind.
  const audio = await send(srv.base, tok, 'PUT', '/v1/calls/before-0/recordings/rec-full/audio', WAV,
    { 'Content-Type': 'audio/wav' });
  expectErr(audio, 507, 'insufficient_storage', undefined, 'audio on a full disk');
  const tmpLeft = fs.readdirSync(path.join(dataDir, 'recordings', 'tmp'));
  assert.deepEqual(tmpLeft, [], 'no temporary audio file is left');

  // A post-call bundle (rules, signature, log leaf, checkpoint) is refused whole.
  const pc = await send(srv.base, tok, 'POST', '/v1/post-call', { ...SEED, call_id: 'sealed-full' },
    { 'Idempotency-Key': 'k-seal' });
  expectErr(pc, 507, 'insufficient_storage', undefined, 'post-call on a full disk');

  // Reads still work, and every acknowledged call is there.
  for (const [id, body] of [...acked].slice(0, 5)) {
    const g = await send(srv.base, tok, 'GET', `/api/v1/calls/${id}`);
    assert.equal(g.status, 200, g.text);
    assert.equal(g.json.id, body.id);
  }
  assert.equal(srv.isRunning(), true, 'the server is still running');

  // Space comes back: the refused requests succeed with their keys, once.
  fs.unlinkSync(ballast);
  const again = await send(srv.base, tok, 'POST', '/api/v1/calls', callBody(refusedId), { 'Idempotency-Key': `k-${refusedId}` });
  assert.equal(again.status, 201, again.text);
  acked.set(refusedId, again.json);
  const replay = await send(srv.base, tok, 'POST', '/api/v1/calls', callBody(refusedId), { 'Idempotency-Key': `k-${refusedId}` });
  assert.equal(replay.status, 201);
  assert.equal(replay.text, again.text, 'the retry took effect once; the second send replays it');
  const audio2 = await send(srv.base, tok, 'PUT', '/v1/calls/before-0/recordings/rec-full/audio', WAV,
    { 'Content-Type': 'audio/wav' });
  assert.equal(audio2.status, 201, audio2.text);
  const pc2 = await send(srv.base, tok, 'POST', '/v1/post-call', { ...SEED, call_id: 'sealed-full' },
    { 'Idempotency-Key': 'k-seal' });
  assert.equal(pc2.status, 201, pc2.text);
  const fresh = await send(srv.base, tok, 'POST', '/api/v1/calls', callBody(`after-${randomUUID()}`));
  assert.equal(fresh.status, 201, fresh.text);

  // A restart finds every acknowledged call, equal to what was acknowledged.
  await assertCleanExit(srv);
  srv = await startServer({ dataDir });
  for (const [id, body] of acked) {
    const g = await send(srv.base, tok, 'GET', `/api/v1/calls/${id}`);
    assert.equal(g.status, 200, `${id}: ${g.text}`);
    assert.equal(g.json.id, body.id);
    assert.equal(g.json.transcript, body.transcript);
  }
  // Nothing else was stored: the acknowledged calls, the fresh one and the sealed call.
  const listed = await send(srv.base, tok, 'GET', '/api/v1/calls?page_size=1');
  const total = Number(/"total_count":(\d+)/.exec(listed.text)?.[1]);
  assert.equal(total, acked.size + 2, listed.text);
  await assertCleanExit(srv);
  t.diagnostic(`ballast ${filled} bytes; ${acked.size} calls acknowledged, first refusal at ${refusedId}`);
});
