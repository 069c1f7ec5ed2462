// Covers the database going away under a running server (PostgreSQL only; tests/run.sh's
// postgres stage): while the cluster is stopped, every request that needs the store is answered
// quickly (never a hang) with 503 `unavailable` and a Retry-After header, whichever path meets
// the outage first (the API key check, the Idempotency-Key lookup, a handler's transaction);
// /v1/health, which needs no store, still answers. When the cluster is back the server resumes
// by itself, without a restart, and what was written before the outage is still there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import {
  REPO, SLOW, ON_PG, PG_DIR, startServer, api, expectError, waitFor, assertCleanExit,
} from './lib.mjs';

function cluster(cmd) {
  const r = spawnSync(path.join(REPO, 'scripts', 'pg_cluster.sh'), [cmd, PG_DIR], {
    encoding: 'utf8',
    timeout: 120000,
  });
  assert.equal(r.status, 0, `pg_cluster.sh ${cmd}: ${r.stderr}`);
}

test('PostgreSQL stopped mid-run: 503 with Retry-After, never a hang; back: service resumes, data intact', {
  skip: !ON_PG && 'PostgreSQL only (tests/run.sh runs it in the postgres stage)',
}, async () => {
  assert.ok(PG_DIR, 'CALLPROOF_TEST_PG_DIR names the cluster to stop (tests/run.sh sets it)');
  const srv = await startServer();
  const a = api(srv.base, srv.token);
  const created = await a.createCall();
  assert.equal(created.status, 201, await created.clone().text());
  const call = await created.json();

  let down = false;
  try {
    cluster('stop');
    down = true;
    const attempts = [
      ['create a call', () => a.createCall()],
      ['create a call with an Idempotency-Key', () => a.createCall(undefined, { 'Idempotency-Key': 'outage-1' })],
      ['get a call', () => a.getCall(call.id)],
      ['list calls', () => a.get('/api/v1/calls')],
    ];
    for (const [what, send] of attempts) {
      const t0 = Date.now();
      const res = await send();
      const ms = Date.now() - t0;
      await expectError(res, 503, 'unavailable');
      assert.match(res.headers.get('retry-after') || '', /^\d+$/, `${what}: Retry-After`);
      assert.ok(ms < 10000 * SLOW, `${what}: answered in ${ms} ms`);
    }
    const health = await fetch(`${srv.base}/v1/health`);
    assert.equal(health.status, 200);
    await health.text();

    cluster('resume');
    down = false;
    const again = await waitFor(async () => {
      const res = await a.createCall(undefined, { 'Idempotency-Key': 'outage-1' });
      if (res.status === 201) return res;
      await res.text();
      return null;
    }, { timeoutMs: 30000 * SLOW, intervalMs: 200, what: 'a 201 after the database came back' });
    await again.text();
    const got = await a.getCall(call.id);
    assert.equal(got.status, 200);
    assert.equal((await got.json()).id, call.id);
  } finally {
    if (down) cluster('resume');
  }
  await assertCleanExit(srv);
});
