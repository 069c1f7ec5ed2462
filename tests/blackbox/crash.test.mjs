// Covers "kill -9 under load" (the short form; tests/crash/crashtest.mjs runs the same for any
// number of cycles): 16 connections write calls, recording logs and post-call bundles, each
// with its own Idempotency-Key, and the server is SIGKILLed mid-flight 3 times, restarting on
// the same data directory each time. After each restart: every acknowledged write is there and
// equal (calls, recording logs, bundles; exports verify in JS and with `callproof verify`);
// every unacknowledged request retried with the same key and body succeeds with exactly one
// effect (a replay exactly when its effect had committed), and acknowledged ones replay byte
// for byte; the store holds each request's effect once and nothing else; the log's checkpoint
// size is the number of bundles, its root their Merkle tree hash, and it is consistent with the
// checkpoint seen before the kill (RFC 9162 proof in JS, and `verify --checkpoint
// --consistency`); PRAGMA integrity_check is ok on the crash image and on the live database.
// The logic is in crash_lib.mjs; the seed is printed (CRASH_SEED=N reproduces the mix and the
// kill delays).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCrashCycles } from './crash_lib.mjs';
import { ON_PG } from './lib.mjs';

// SQLite only: it copies the database and WAL files as the crash image and runs PRAGMA
// integrity_check on them; a PostgreSQL server's own crash safety is not callproof's to test.
test('kill -9 under load, 3 times: no acknowledged write lost, retries take effect once, the store and the log stay sound', {
  skip: ON_PG && 'SQLite only: checks the database files (crash image, PRAGMA integrity_check)',
}, async (t) => {
  const s = await runCrashCycles({ cycles: 3, log: (line) => t.diagnostic(line) });
  t.diagnostic(`seed ${s.seed}: ${s.requests} requests, ${s.acked} acknowledged (${s.ackChecks} checks), ${s.unacked} retried `
    + `(${s.unackedCommitted} had committed), ${s.replayChecks} replays, ${s.cliVerified} callproof verify runs, ${s.ms} ms`);
  assert.equal(s.cycles, 3);
  assert.ok(s.inflightAtKill.every((k) => k > 0), `requests in flight at each kill: ${s.inflightAtKill}`);
});
