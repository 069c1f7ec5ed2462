// "kill -9 under load": the shared logic of tests/blackbox/crash.test.mjs (3 cycles) and the
// long-form runner tests/crash/crashtest.mjs (any number of cycles). Not a test file itself.
//
// One data directory; per cycle:
//  1. load: CONCURRENCY workers post calls (POST /api/v1/calls, VALID_CALL + a unique call_id),
//     recording logs (POST /v1/calls/{call_id}/recording-log on an acknowledged call) and
//     post-call bundles (POST /v1/post-call, the econsent seed body + a unique call_id), each
//     with its own Idempotency-Key, while a poller reads the signed checkpoint;
//  2. after a random 100–600 ms (x SLOW) the server is SIGKILLed with requests in flight. A
//     request whose full 2xx answer arrived is acknowledged; one that failed (reset, refused,
//     cut-off body, 5xx) is not;
//  3. the crash image (db + WAL, copied) passes PRAGMA integrity_check; the server restarts on
//     the same directory with the same key and serves the same log key;
//  4. every acknowledged write of every cycle so far is there and equal: the call (the list of
//     all calls, compared with the 201 body), the recording log (in its call's list, equal to
//     the 201 data), the bundle (GET /v1/evidence/{id}: same id, index, score, bytes,
//     signature; not superseded); the checkpoint is no older than the one seen before the kill
//     (nor than any acknowledged log index) and consistent with it (RFC 9162 proof, in JS);
//  5. every unacknowledged request is probed (did its effect commit?) and retried with the
//     same Idempotency-Key and body: it must succeed, be a replay (Idempotent-Replayed: true)
//     exactly when its effect had committed, and a second retry replays it byte for byte;
//     acknowledged requests of this cycle (all, or a sample) replay byte for byte too;
//  6. then the whole store is exactly what was asked for: every call_id once and nothing else,
//     every recording log once in its call's list, the checkpoint size = the number of bundles
//     = the number of post-calls, log indices 0..size-1 each once, the root = the RFC 6962 tree
//     hash of the leaves recomputed from the exports, every bundle the first of its chain;
//     every new export verifies in JS and (all, or a sample) with `callproof verify --pubkey`;
//     an export from the previous cycle verifies with `--checkpoint NOW --consistency PROOF`;
//     and PRAGMA integrity_check on the live database prints ok.
// Violations are collected per cycle and thrown as one AssertionError naming the seed and the
// data directory, which is kept for inspection.
import assert from 'node:assert/strict';
import { spawnSync, execFile } from 'node:child_process';
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, cli, VALID_CALL, SLOW, BIN, sleep } from './lib.mjs';
import { SEED, WRITTEN, VERBAL } from './econsent_seed.mjs';
import { SPKI_ED25519, sha256, leafHash, mth, verifyInclusion, verifyConsistency, openCheckpoint } from './tlog.mjs';

/** A small seedable PRNG (mulberry32). A seed fixes the kill delays; the operation mix also depends on timing. */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  next.pick = (arr) => arr[Math.floor(next() * arr.length)];
  return next;
}

/** Run fn over items with at most n at a time. */
async function pMap(items, n, fn) {
  const out = new Array(items.length);
  let i = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (i < items.length) {
      const k = i++;
      out[k] = await fn(items[k], k);
    }
  }));
  return out;
}

const sample = (r, arr, n) => {
  if (n === 'all' || arr.length <= n) return arr.slice();
  const a = arr.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a.slice(0, n);
};

const REQ_TIMEOUT_MS = 20000 * SLOW;

// node:http with keep-alive, one agent per server instance: it costs the client far less CPU
// than fetch, so the server (not this process) is the bottleneck and a kill finds requests
// inside it.
const agents = new Map();
const agentFor = (base) => {
  if (!agents.has(base)) agents.set(base, new http.Agent({ keepAlive: true }));
  return agents.get(base);
};
function dropAgent(base) {
  agents.get(base)?.destroy();
  agents.delete(base);
}

/**
 * One HTTP request. Answers {status, headers: {get(name)}, text} when the whole answer
 * arrived, or {error} (connection refused or reset, answer cut off, timeout).
 */
function request(base, token, method, p, bodyText, headers = {}) {
  return new Promise((resolve) => {
    let done = false;
    const finish = (v) => { if (!done) { done = true; resolve(v); } };
    const h = { ...headers };
    if (token) h.Authorization = `Bearer ${token}`;
    if (bodyText !== undefined) {
      h['Content-Type'] = 'application/json';
      h['Content-Length'] = Buffer.byteLength(bodyText);
    }
    const u = new URL(base);
    const req = http.request({ host: u.hostname, port: u.port, method, path: p, headers: h, agent: agentFor(base) }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        if (!res.complete) return finish({ error: `status ${res.statusCode} but the answer was cut off` });
        finish({
          status: res.statusCode,
          headers: { get: (k) => { const v = res.headers[k.toLowerCase()]; return v === undefined ? null : String(v); } },
          text: Buffer.concat(chunks).toString('utf8'),
        });
      });
      res.on('error', (e) => finish({ error: `status ${res.statusCode} but the answer was cut off: ${e.code || e.message}` }));
      res.on('close', () => finish({ error: `status ${res.statusCode} but the answer was cut off (closed)` }));
    });
    req.setTimeout(REQ_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${REQ_TIMEOUT_MS} ms`)));
    req.on('error', (e) => finish({ error: e.code || e.message }));
    req.end(bodyText);
  });
}

/** GET that must answer 200 with JSON. */
async function getJson(base, token, p) {
  const r = await request(base, token, 'GET', p);
  assert.ok(!r.error, `GET ${p}: ${r.error}`);
  assert.equal(r.status, 200, `GET ${p}: ${r.text}`);
  return JSON.parse(r.text);
}

async function checkpointText(base) {
  const r = await request(base, null, 'GET', '/v1/log/checkpoint');
  assert.ok(!r.error, `GET /v1/log/checkpoint: ${r.error}`);
  if (r.status === 404) return null; // empty log
  assert.equal(r.status, 200, r.text);
  return r.text;
}

const exportLeafHash = (x) => leafHash(`callproof/evidence-leaf/v1\n${sha256(x.bundle).toString('hex')}\n${x.signature.value}\n`);

function integrityCheck(dbPath, readonly) {
  const r = spawnSync('sqlite3', [...(readonly ? ['-readonly'] : []), dbPath, 'PRAGMA integrity_check;'], { encoding: 'utf8', timeout: 60000 * SLOW });
  if (r.error) throw r.error;
  return `${r.stdout}${r.stderr}`.trim();
}

function cliAsync(args) {
  return new Promise((resolve) => {
    execFile(BIN, args, { encoding: 'utf8', timeout: 60000 * SLOW }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

// ---- the requests ----

const RUN = crypto.randomBytes(3).toString('hex');

function makeRequest(kind, n, target) {
  const key = `crash-${RUN}-${n}`;
  if (kind === 'call') {
    const callId = `cc-${RUN}-${n}`;
    return { kind, n, key, method: 'POST', path: '/api/v1/calls', callId, bodyText: JSON.stringify({ ...VALID_CALL, call_id: callId }) };
  }
  if (kind === 'rec') {
    const recordingId = `rec-${RUN}-${n}`;
    const body = {
      recording_id: recordingId,
      recording_url: `https://cdn.example-ai.com/recordings/${target}_${recordingId}.mp3`,
      duration_seconds: n % 900,
      transcription_id: `tr_${n}`,
      transcription_status: 'completed',
      started_at: '2026-03-15T13:40:29Z',
      ended_at: '2026-03-15T13:51:11Z',
      metadata: { direction: 'outbound', seq: n, labels: ['crash'] },
    };
    return { kind, n, key, method: 'POST', path: `/v1/calls/${target}/recording-log`, target, recordingId, bodyText: JSON.stringify(body) };
  }
  const callId = `pc-${RUN}-${n}`;
  return { kind, n, key, method: 'POST', path: '/v1/post-call', callId, bodyText: JSON.stringify({ ...SEED, call_id: callId }) };
}

/** Fields of a call a recording log changes (it marks the recording available, with its URL). */
const REC_TOUCHED = ['updated_at', 'recording_available', 'recording_url'];
const stripped = (obj, fields) => {
  const o = { ...obj };
  for (const f of fields) delete o[f];
  return o;
};

/**
 * Run `cycles` kill/restart cycles. Options: seed, concurrency (16), cliVerify ('all' or how
 * many new exports per cycle to check with `callproof verify`; JS checks them all),
 * replayAcked ('all' or a sample size per cycle), log (progress lines), minDelayMs/maxDelayMs
 * (the kill delay before scaling by SLOW), onKilled({cycle, dataDir}) (called while the server is
 * down; only to check that these checks catch a damaged store). Resolves to a summary; throws
 * on any violation.
 */
export async function runCrashCycles({
  cycles = 3, seed = Number(process.env.CRASH_SEED || crypto.randomInt(2 ** 31)), concurrency = 16,
  cliVerify = 8, replayAcked = 40, log = () => {}, minDelayMs = 100, maxDelayMs = 600, onKilled = null,
} = {}) {
  const t0 = Date.now();
  const r = rng(seed); // the operation mix (its use depends on timing)
  const rDelay = rng(seed ^ 0x5bd1e995); // the kill delays alone: the same for the same seed
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'callproof-crash-'));
  const scratch = path.join(dataDir, '..', `${path.basename(dataDir)}-files`);
  fs.mkdirSync(scratch);
  const where = () => `seed ${seed} (CRASH_SEED=${seed}), binary ${BIN}, data directory ${dataDir} (kept)`;
  let srv = null;
  let ok = false;
  const stats = {
    seed, cycles: 0, requests: 0, acked: 0, ackedByKind: { call: 0, rec: 0, pc: 0 }, ackChecks: 0,
    unacked: 0, unackedCommitted: 0, retries: 0, replayChecks: 0, serverErrors: 0, inflightAtKill: [],
    cliVerified: 0, jsVerified: 0, consistencyChecks: 0, integrityChecks: 0, logSize: 0, ms: 0,
  };

  // What was asked for, across every cycle.
  const calls = new Map(); // call_id -> request (kind call), once acknowledged: .ack = {status, text, json, location}
  const recs = new Map(); // recording_id -> request (kind rec)
  const pcs = new Map(); // call_id -> request (kind pc)
  const recTargets = new Set(); // call_ids that a recording log was (maybe) posted to
  const ackedCallIds = []; // pool of recording-log targets
  const bundles = new Map(); // bundle id -> {logIndex, bundle, signature, req}
  const leafAt = []; // log index -> leaf hash (from an export)
  let baselineCallIds = new Set();
  let origin;
  let pk;
  let vkey;
  let lastCp = null; // the last checkpoint seen (opened)
  let prevExportFile = null; // an export from the previous cycle, for verify --consistency
  let n = 0;

  const problems = [];
  const fail = (msg) => { problems.push(msg); };
  const flush = (cycle, phase) => {
    if (problems.length === 0) return;
    const shown = problems.slice(0, 25).map((p) => `  - ${p}`).join('\n');
    const more = problems.length > 25 ? `\n  … and ${problems.length - 25} more` : '';
    throw new assert.AssertionError({ message: `cycle ${cycle} (${phase}): ${problems.length} violation(s); ${where()}\n${shown}${more}` });
  };
  const check = (cond, msg) => { if (!cond) fail(msg); return cond; };

  const send = (req, base = srv.base) => request(base, token, req.method, req.path, req.bodyText, { 'Idempotency-Key': req.key });
  let token;

  try {
    srv = await startServer({ dataDir });
    token = srv.token;
    assert.ok(token, 'first start prints a token');
    const keys = await getJson(srv.base, null, '/v1/keys');
    origin = keys.log_origin;
    vkey = keys.keys[0].vkey;
    pk = Buffer.from(keys.keys[0].public_key, 'base64');
    // The consents the seed names, so each post-call reads them while sealing.
    for (const [p, body] of [['/v1/consents', WRITTEN], ['/v1/capture-verbal', VERBAL]]) {
      const a = await request(srv.base, token, 'POST', p, JSON.stringify(body));
      assert.equal(a.status, 201, `${p}: ${a.error || a.text}`);
    }
    // A few acknowledged calls before the first kill, as recording-log targets.
    for (let i = 0; i < 4; i++) {
      const req = makeRequest('call', n++);
      const a = await send(req);
      assert.equal(a.status, 201, a.error || a.text);
      req.ack = { status: a.status, text: a.text, json: JSON.parse(a.text), location: a.headers.get('location') };
      req.cycle = 0;
      calls.set(req.callId, req);
      ackedCallIds.push(req.callId);
      stats.requests++;
      stats.acked++;
      stats.ackedByKind.call++;
    }
    baselineCallIds = new Set((await listAllCalls()).map((c) => c.call_id).filter((id) => !calls.has(id)));

    for (let cycle = 1; cycle <= cycles; cycle++) {
      const tc = Date.now();
      // ---- 1. load, then SIGKILL mid-flight ----
      const base = srv.base;
      let stop = false;
      let inflight = 0;
      const newAcked = [];
      const unacked = [];
      const unexpected = [];
      const worker = async () => {
        while (!stop) {
          const x = r();
          let req;
          if (x < 0.4 || ackedCallIds.length === 0) req = makeRequest('call', n++);
          else if (x < 0.7) req = makeRequest('rec', n++, r.pick(ackedCallIds));
          else req = makeRequest('pc', n++);
          req.cycle = cycle;
          if (req.kind === 'call') calls.set(req.callId, req);
          else if (req.kind === 'pc') pcs.set(req.callId, req);
          else { recs.set(req.recordingId, req); recTargets.add(req.target); }
          stats.requests++;
          inflight++;
          const a = await send(req, base);
          inflight--;
          if (a.error) {
            req.failure = a.error;
            unacked.push(req);
          } else if (a.status >= 200 && a.status < 300) {
            req.ack = { status: a.status, text: a.text, json: JSON.parse(a.text), location: a.headers.get('location') };
            newAcked.push(req);
            if (req.kind === 'call') ackedCallIds.push(req.callId);
          } else if (a.status >= 500) {
            stats.serverErrors++;
            req.failure = `${a.status} ${a.text}`;
            unacked.push(req);
          } else {
            unexpected.push(`${req.method} ${req.path} (key ${req.key}) answered ${a.status}: ${a.text}`);
            req.failure = `${a.status}`;
            unacked.push(req);
          }
        }
      };
      let seen = null; // the last checkpoint read during the load
      const poller = (async () => {
        while (!stop) {
          const a = await request(base, null, 'GET', '/v1/log/checkpoint');
          if (!a.error && a.status === 200) seen = a.text; // committed, even if it arrived after the kill
          await sleep(20);
        }
      })();
      const workers = Array.from({ length: concurrency }, worker);
      const delay = rDelay.int(minDelayMs, maxDelayMs) * SLOW;
      await sleep(delay);
      stop = true;
      const inflightAtKill = inflight;
      const killed = srv.kill();
      await Promise.all([...workers, poller, killed]);
      dropAgent(base);
      stats.inflightAtKill.push(inflightAtKill);
      for (const u of unexpected) fail(`unexpected answer under load: ${u}`);
      flush(cycle, 'load');
      if (onKilled) await onKilled({ cycle, dataDir }); // (to test the checks themselves: damage the store here)

      // ---- 2. the crash image is a sound database ----
      const img = path.join(scratch, `crash-${cycle}`);
      fs.mkdirSync(img);
      for (const f of ['callproof.db', 'callproof.db-wal']) {
        if (fs.existsSync(path.join(dataDir, f))) fs.copyFileSync(path.join(dataDir, f), path.join(img, f));
      }
      const ic = integrityCheck(path.join(img, 'callproof.db'), false);
      check(ic === 'ok', `PRAGMA integrity_check on the crash image after cycle ${cycle}'s kill: ${ic}`);
      stats.integrityChecks++;
      fs.rmSync(img, { recursive: true, force: true });

      // ---- 3. restart on the same directory ----
      srv = await startServer({ dataDir });
      check(srv.token === null, 'no first-start token on restart');
      const keys2 = await getJson(srv.base, null, '/v1/keys');
      check(keys2.log_origin === origin && keys2.keys[0].vkey === vkey, 'the same log key after restart');

      // ---- 4. every acknowledged write is there and equal; the log did not go back ----
      for (const q of newAcked) {
        stats.acked++;
        stats.ackedByKind[q.kind]++;
      }
      const cpNote = await checkpointText(srv.base);
      const maxAckedIndex = Math.max(-1, ...[...pcs.values()].filter((q) => q.ack).map((q) => q.ack.json.log_index));
      let cpA = null;
      if (cpNote) cpA = openCheckpoint(cpNote, origin, pk);
      const sizeA = cpA ? cpA.size : 0;
      check(sizeA >= maxAckedIndex + 1, `checkpoint after restart has size ${sizeA}, but log index ${maxAckedIndex} was acknowledged`);
      for (const before of [lastCp, seen && openCheckpoint(seen, origin, pk)]) {
        if (!before) continue;
        if (check(sizeA >= before.size, `checkpoint went back: size ${before.size} seen before the kill, ${sizeA} after restart`)) {
          await checkConsistency(before, cpA);
        }
      }
      await checkAcked(cycle);
      flush(cycle, 'acknowledged writes after restart');

      // ---- 5. retry the unacknowledged; replay the acknowledged ----
      stats.unacked += unacked.length;
      await pMap(unacked, 8, async (req) => {
        const existed = await effectExists(req);
        if (existed) stats.unackedCommitted++;
        stats.retries++;
        const a = await send(req);
        const what = `retry of unacknowledged ${req.kind} ${req.path} (key ${req.key}, failed with: ${req.failure}; effect committed before the retry: ${existed})`;
        if (!check(!a.error && a.status >= 200 && a.status < 300, `${what}: ${a.error || `${a.status} ${a.text}`}`)) return;
        const replayed = a.headers.get('idempotent-replayed') === 'true';
        if (existed) check(replayed, `${what}: the effect had committed but the retry was not a replay (${a.status} ${a.text}): a second effect`);
        else check(!replayed, `${what}: replayed a response whose effect is not in the store`);
        check(a.status === 201, `${what}: status ${a.status}, expected 201 (${a.text})`);
        req.ack = { status: a.status, text: a.text, json: JSON.parse(a.text), location: a.headers.get('location') };
        req.retried = true;
        if (req.kind === 'call') ackedCallIds.push(req.callId);
        // A second retry replays the first byte for byte.
        await checkReplay(req, 'second retry');
      });
      for (const q of sample(r, newAcked, replayAcked)) await checkReplay(q, 'retry of an acknowledged request');
      flush(cycle, 'retries');

      // ---- 6. the store is exactly what was asked for ----
      await checkAcked(cycle);
      const cpNoteB = await checkpointText(srv.base);
      const cpB = cpNoteB ? openCheckpoint(cpNoteB, origin, pk) : null;
      const sizeB = cpB ? cpB.size : 0;
      check(sizeB === pcs.size, `checkpoint size ${sizeB} after the retries, but ${pcs.size} post-calls were made, each once`);
      check(bundles.size === pcs.size, `${bundles.size} distinct bundles for ${pcs.size} post-calls`);
      const indices = [...bundles.values()].map((b) => b.logIndex).sort((a, b) => a - b);
      check(indices.every((v, i) => v === i), `log indices of the bundles are not 0..${indices.length - 1}: ${indices.filter((v, i) => v !== i).slice(0, 5)}…`);
      // New exports: fetched, verified in JS (and some or all with the CLI); their leaves feed the root.
      const fresh = [...bundles.entries()].filter(([, b]) => !b.exported);
      const cliPick = new Set(sample(r, fresh.map(([id]) => id), cliVerify));
      for (const q of unacked) if (q.kind === 'pc' && q.ack) cliPick.add(q.ack.json.evidence_bundle_id); // every retried one
      let lastExport = null;
      await pMap(fresh, 4, async ([id, b]) => {
        const x = await getJson(srv.base, token, `/v1/evidence/${id}/export`);
        b.exported = true;
        check(x.bundle_id === id && x.log.leaf_index === b.logIndex, `export of ${id}: bundle_id ${x.bundle_id}, leaf ${x.log.leaf_index}, expected ${b.logIndex}`);
        try {
          assert.deepStrictEqual(JSON.parse(x.bundle), b.parsed);
          assert.equal(x.signature.value, b.signature);
        } catch {
          fail(`export of ${id}: the bundle or signature differs from GET /v1/evidence/${id}`);
        }
        verifyExportJs(x, id);
        leafAt[x.log.leaf_index] = exportLeafHash(x);
        if (cliPick.has(id)) {
          const f = path.join(scratch, `${id}.json`);
          fs.writeFileSync(f, JSON.stringify(x));
          const v = await cliAsync(['verify', f, '--pubkey', vkey]);
          stats.cliVerified++;
          check(v.code === 0 && /: VERIFIED\n$/.test(v.stdout), `callproof verify of ${id} (log index ${b.logIndex}, ${b.req.retried ? 'retried' : 'acknowledged'} in cycle ${b.req.cycle}) failed:\n${v.stdout}${v.stderr}`);
          fs.rmSync(f, { force: true });
        }
        lastExport = x;
      });
      if (cpB) {
        const known = leafAt.slice(0, sizeB);
        if (check(known.length === sizeB && known.every(Boolean), `leaves of the log: ${known.filter(Boolean).length} known of ${sizeB}`)) {
          check(mth(known).equals(cpB.root), `the checkpoint root (size ${sizeB}) is not the Merkle tree hash of the bundles' leaves`);
        }
      }
      if (cpA && cpB) await checkConsistency(cpA, cpB);
      // An export from the previous cycle still verifies, and its checkpoint is a prefix of today's.
      if (prevExportFile && cpB) {
        const old = JSON.parse(fs.readFileSync(prevExportFile, 'utf8'));
        const proof = await getJson(srv.base, null, `/v1/log/proof/consistency?first=${old.log.tree_size}&second=${sizeB}`);
        const cpFile = path.join(scratch, 'now.txt');
        const proofFile = path.join(scratch, 'proof.json');
        fs.writeFileSync(cpFile, cpB.note);
        fs.writeFileSync(proofFile, JSON.stringify(proof));
        const v = cli(['verify', prevExportFile, '--pubkey', vkey, '--checkpoint', cpFile, '--consistency', proofFile]);
        stats.cliVerified++;
        stats.consistencyChecks++;
        check(v.code === 0 && /tree of \d+ is a prefix of the tree of \d+/.test(v.stdout),
          `callproof verify --checkpoint --consistency (tree ${old.log.tree_size} -> ${sizeB}) failed:\n${v.stdout}${v.stderr}`);
      }
      if (lastExport) {
        prevExportFile = path.join(scratch, 'prev-export.json');
        fs.writeFileSync(prevExportFile, JSON.stringify(lastExport));
      }
      lastCp = cpB;
      const live = integrityCheck(path.join(dataDir, 'callproof.db'), true);
      check(live === 'ok', `PRAGMA integrity_check on the live database after cycle ${cycle}: ${live}`);
      stats.integrityChecks++;
      flush(cycle, 'store after retries');
      stats.cycles = cycle;
      stats.logSize = sizeB;
      log(`cycle ${cycle}/${cycles}: killed after ${delay} ms with ${inflightAtKill} request(s) in flight; ` +
        `${newAcked.length} acknowledged, ${unacked.length} unacknowledged (${unacked.filter((q) => q.existedBeforeRetry).length} had committed); ` +
        `log size ${sizeB}; ${Date.now() - tc} ms`);
    }

    // The last server stops cleanly, and the database it leaves is sound.
    const code = await srv.stop();
    assert.doesNotMatch(srv.stderr(), /AddressSanitizer|LeakSanitizer|runtime error:/, srv.stderr());
    assert.equal(code, 0, `exit code after SIGTERM; stderr tail:\n${srv.stderr().split('\n').slice(-20).join('\n')}`);
    const fin = integrityCheck(path.join(dataDir, 'callproof.db'), false);
    assert.equal(fin, 'ok', `PRAGMA integrity_check after the final stop: ${fin}`);
    stats.integrityChecks++;
    ok = true;
  } catch (e) {
    if (!String(e.message).includes(`seed ${seed} (`)) e.message = `${e.message}\n(${where()})`;
    throw e;
  } finally {
    if (srv) await srv.kill();
    for (const b of [...agents.keys()]) dropAgent(b);
    if (ok) {
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(scratch, { recursive: true, force: true });
    }
    stats.ms = Date.now() - t0;
  }
  return stats;

  // ---- helpers over the state above ----

  async function listAllCalls() {
    const out = [];
    for (let page = 1; ; page++) {
      const j = await getJson(srv.base, token, `/api/v1/calls?page=${page}&page_size=500`);
      out.push(...j.items);
      if (page >= j.total_pages) {
        assert.equal(out.length, j.total_count, 'total_count is the number of items listed');
        return out;
      }
    }
  }

  async function checkConsistency(a, b) {
    if (!a || !b) return;
    const j = await getJson(srv.base, null, `/v1/log/proof/consistency?first=${a.size}&second=${b.size}`);
    stats.consistencyChecks++;
    check(verifyConsistency(a.size, b.size, a.root, b.root, j.proof.map((h) => Buffer.from(h, 'base64'))),
      `checkpoint of size ${a.size} is not consistent with the later one of size ${b.size}`);
  }

  function verifyExportJs(x, id) {
    stats.jsVerified++;
    const pub = crypto.createPublicKey({ key: Buffer.concat([SPKI_ED25519, pk]), format: 'der', type: 'spki' });
    check(crypto.verify(null, Buffer.from(`callproof/evidence/v1\n${x.bundle}`), pub, Buffer.from(x.signature.value, 'hex')), `export ${id}: bundle signature`);
    const cp = openCheckpoint(x.log.checkpoint, origin, pk);
    check(cp.size === x.log.tree_size, `export ${id}: tree_size ${x.log.tree_size} vs checkpoint ${cp.size}`);
    check(x.log.leaf_hash === exportLeafHash(x).toString('base64'), `export ${id}: leaf_hash`);
    check(verifyInclusion(x.log.leaf_index, cp.size, exportLeafHash(x), x.log.inclusion_proof.map((h) => Buffer.from(h, 'base64')), cp.root),
      `export ${id}: inclusion of leaf ${x.log.leaf_index} in ${cp.size}`);
  }

  /** Did the request's effect commit? (Asked before retrying it.) */
  async function effectExists(req) {
    let found;
    if (req.kind === 'rec') {
      const a = await request(srv.base, token, 'GET', `/v1/calls/${req.target}/recording-log`);
      assert.ok(!a.error && a.status === 200, `GET /v1/calls/${req.target}/recording-log: ${a.error || a.text}`);
      found = JSON.parse(a.text).data.some((d) => d.recording_id === req.recordingId);
    } else {
      const a = await request(srv.base, token, 'GET', `/api/v1/calls/${req.callId}`);
      assert.ok(!a.error && (a.status === 200 || a.status === 404), `GET /api/v1/calls/${req.callId}: ${a.error || a.text}`);
      found = a.status === 200;
    }
    req.existedBeforeRetry = found;
    return found;
  }

  async function checkReplay(req, label) {
    const a = await send(req);
    stats.replayChecks++;
    const what = `${label}: ${req.kind} ${req.path} (key ${req.key}, cycle ${req.cycle})`;
    if (!check(!a.error, `${what}: ${a.error}`)) return;
    check(a.status === req.ack.status, `${what}: status ${a.status}, first answer ${req.ack.status}`);
    check(a.headers.get('idempotent-replayed') === 'true', `${what}: no Idempotent-Replayed: true (${a.status} ${a.text})`);
    check(a.text === req.ack.text, `${what}: the replay differs from the first answer:\n    first:  ${req.ack.text}\n    replay: ${a.text}`);
    check(a.headers.get('location') === req.ack.location, `${what}: Location ${a.headers.get('location')} vs ${req.ack.location}`);
  }

  /**
   * Every acknowledged write of every cycle is in the store and equal to what was answered; and
   * nothing is there twice. After the retries (every request acknowledged) the store must hold
   * exactly the requests made.
   */
  async function checkAcked(cycle) {
    // Calls (created directly, and by post-call): the full list.
    const listed = await listAllCalls();
    const byId = new Map();
    for (const c of listed) {
      if (c.call_id !== null && byId.has(c.call_id)) fail(`call_id ${c.call_id} is listed twice (ids ${byId.get(c.call_id).id}, ${c.id})`);
      byId.set(c.call_id, c);
    }
    for (const q of calls.values()) {
      if (!q.ack) continue;
      stats.ackChecks++;
      const c = byId.get(q.callId);
      if (!check(c, `acknowledged call ${q.callId} (key ${q.key}, cycle ${q.cycle}${q.retried ? ', retried' : ''}) is missing after cycle ${cycle}'s restart`)) continue;
      const skip = recTargets.has(q.callId) ? REC_TOUCHED : [];
      try {
        assert.deepStrictEqual(stripped(c, skip), stripped(q.ack.json, skip));
      } catch {
        fail(`acknowledged call ${q.callId} differs from its 201 answer:\n    answered: ${JSON.stringify(q.ack.json)}\n    stored:   ${JSON.stringify(c)}`);
      }
    }
    // Each call once more by its call_id (once: the list shows it every cycle).
    await pMap([...calls.values()].filter((q) => q.ack && !q.gotChecked), 8, async (q) => {
      q.gotChecked = true;
      const got = await request(srv.base, token, 'GET', `/api/v1/calls/${q.callId}`);
      if (!check(!got.error && got.status === 200, `GET /api/v1/calls/${q.callId} (acknowledged, key ${q.key}): ${got.error || `${got.status} ${got.text}`}`)) return;
      const skip = recTargets.has(q.callId) ? REC_TOUCHED : [];
      try {
        assert.deepStrictEqual(stripped(JSON.parse(got.text), skip), stripped(q.ack.json, skip));
      } catch {
        fail(`GET /api/v1/calls/${q.callId} differs from its 201 answer:\n    answered: ${q.ack.text}\n    stored:   ${got.text}`);
      }
    });
    for (const q of pcs.values()) {
      if (!q.ack) continue;
      const c = byId.get(q.callId);
      check(c && c.id === q.ack.json.call_id, `the call of acknowledged post-call ${q.callId} (server id ${q.ack.json.call_id}) is ${c ? `id ${c.id}` : 'missing'}`);
    }
    const allAnswered = [...calls.values(), ...pcs.values()].every((q) => q.ack);
    if (allAnswered) {
      const want = new Set([...baselineCallIds, ...calls.keys(), ...pcs.keys()]);
      const extra = [...byId.keys()].filter((id) => !want.has(id));
      const missing = [...want].filter((id) => !byId.has(id));
      check(listed.length === want.size && extra.length === 0 && missing.length === 0,
        `calls listed: ${listed.length}, made: ${want.size}; unexpected ${extra.slice(0, 5)}; missing ${missing.slice(0, 5)}`);
    }
    // Recording logs: each call's list.
    const byTarget = new Map();
    for (const q of recs.values()) {
      if (!byTarget.has(q.target)) byTarget.set(q.target, []);
      byTarget.get(q.target).push(q);
    }
    await pMap([...byTarget.entries()], 8, async ([target, qs]) => {
      if (!qs.some((q) => q.ack)) return;
      const a = await request(srv.base, token, 'GET', `/v1/calls/${target}/recording-log`);
      if (!check(!a.error && a.status === 200, `GET /v1/calls/${target}/recording-log (${qs.filter((q) => q.ack).length} acknowledged recording log(s)): ${a.error || `${a.status} ${a.text}`}`)) return;
      const j = JSON.parse(a.text);
      const seenIds = new Map();
      for (const d of j.data) {
        if (!check(!seenIds.has(d.recording_id), `recording ${d.recording_id} listed twice for call ${target}`)) continue;
        seenIds.set(d.recording_id, d);
      }
      for (const q of qs) {
        if (!q.ack) continue;
        stats.ackChecks++;
        const d = seenIds.get(q.recordingId);
        if (!check(d, `acknowledged recording log ${q.recordingId} of call ${target} (key ${q.key}, cycle ${q.cycle}) is missing after cycle ${cycle}'s restart`)) continue;
        try {
          assert.deepStrictEqual(d, q.ack.json.data);
        } catch {
          fail(`acknowledged recording log ${q.recordingId} differs from its 201 answer:\n    answered: ${JSON.stringify(q.ack.json.data)}\n    stored:   ${JSON.stringify(d)}`);
        }
      }
      if (qs.every((q) => q.ack)) {
        const mine = j.data.filter((d) => d.recording_id.startsWith(`rec-${RUN}-`));
        check(mine.length === qs.length && j.data.length === qs.length, `call ${target} lists ${j.data.length} recording logs, ${qs.length} were posted`);
      }
    });
    // Bundles: each acknowledged post-call's, unchanged and the first of its chain.
    await pMap([...pcs.values()].filter((q) => q.ack), 8, async (q) => {
      stats.ackChecks++;
      const id = q.ack.json.evidence_bundle_id;
      const a = await request(srv.base, token, 'GET', `/v1/evidence/${id}`);
      if (!check(!a.error && a.status === 200, `bundle ${id} of acknowledged post-call ${q.callId} (key ${q.key}, cycle ${q.cycle}, log index ${q.ack.json.log_index}) is missing after cycle ${cycle}'s restart: ${a.error || `${a.status} ${a.text}`}`)) return;
      const e = JSON.parse(a.text);
      const want = q.ack.json;
      check(e.evidence_bundle_id === id && e.log_index === want.log_index && e.call_id === want.call_id
        && e.compliance_score === want.compliance_score && e.retention_until === want.retention_until,
      `bundle ${id} differs from its 201 answer: answered ${JSON.stringify(want)}, stored ${JSON.stringify({ ...e, bundle: undefined })}`);
      check(e.supersedes === null && e.superseded_by === null, `bundle ${id} of post-call ${q.callId}: supersedes ${e.supersedes}, superseded_by ${e.superseded_by} (a post-call sealed twice)`);
      const prev = bundles.get(id);
      if (prev) {
        try {
          assert.deepStrictEqual(e.bundle, prev.parsed);
          assert.equal(e.signature, prev.signature);
        } catch {
          fail(`bundle ${id}: the sealed bundle or its signature changed since cycle ${prev.req.cycle}`);
        }
      } else {
        for (const [otherId, b] of bundles) {
          if (b.logIndex === e.log_index) fail(`bundles ${otherId} and ${id} both at log index ${e.log_index}`);
        }
        bundles.set(id, { parsed: e.bundle, signature: e.signature, logIndex: e.log_index, req: q, exported: false });
      }
    });
  }
}
