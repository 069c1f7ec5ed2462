// Covers the transparency log behind the evidence bundles:
//  - an empty log: GET /v1/log/checkpoint is 404, proofs are 400 bad_query;
//  - 21 bundles sealed (two tenants, one log): each log_index is the next leaf; the checkpoint
//    (text/plain C2SP note, signed by the published key) grows by one each time, its size is the
//    number sealed, and its root equals the RFC 6962 Merkle tree hash recomputed here from the
//    leaves of the exports (SHA-256(0x00||leaf), SHA-256(0x01||l||r));
//  - every export verifies (in JS, and with `callproof verify --pubkey`);
//  - GET /v1/log/proof/inclusion?index=&size= and /v1/log/proof/consistency?first=&second= for
//    every pair up to 21 verify in JS (RFC 9162 §2.1.3.2 and §2.1.4.2) against the roots of the
//    checkpoints of those sizes, taken from exports made when the log had that size; bad
//    parameters (missing, malformed, out of range, repeated, unknown) are 400 bad_query;
//  - restart: the server stops with exit 0, starts again on the same data directory with the same
//    key, an export made before still verifies, a new post-call continues the log, and the old
//    export's checkpoint is consistent with the new one;
//  - posts sealed concurrently get distinct consecutive leaves and a consistent log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, api, assertErrorBody, assertCleanExit, cli, createKey, tempDir, rmTemp } from './lib.mjs';
import { SPKI_ED25519, sha256, leafHash, mth, verifyInclusion, verifyConsistency, openCheckpoint as openSignedCheckpoint } from './tlog.mjs';
import { SEAL_CALL } from './econsent_seed.mjs';

/** A checkpoint note of this log, verified with its published key: {size, root, ...}. */
const openCheckpoint = (note) => openSignedCheckpoint(note, origin, pk);

const N = 21;
let srv;
let srv2;
let dataDir;
let scratch;
let key; // the published key: {public_key, vkey, ...}
let pk; // its 32 bytes
let origin;
const exportsAtSize = []; // exportsAtSize[i]: the export of bundle i made right after sealing it (log size i + 1)
const roots = []; // roots[n]: the signed root of the checkpoint of size n

before(async () => {
  dataDir = tempDir('callproof-ev-log-');
  scratch = tempDir('callproof-ev-log-files-');
  srv = await startServer({ dataDir });
});
after(async () => {
  await srv?.kill();
  await srv2?.kill();
  if (dataDir) rmTemp(dataDir);
  if (scratch) rmTemp(scratch);
});

const CALL = SEAL_CALL;

// ---- independent Merkle and note code (node:crypto only) ----

/** The leaf hash of an export, computed here from its bundle and signature. */
const exportLeafHash = (x) => leafHash(`callproof/evidence-leaf/v1\n${sha256(x.bundle).toString('hex')}\n${x.signature.value}\n`);

function verifyExportJs(x) {
  const pub = crypto.createPublicKey({ key: Buffer.concat([SPKI_ED25519, pk]), format: 'der', type: 'spki' });
  assert.ok(crypto.verify(null, Buffer.from(`callproof/evidence/v1\n${x.bundle}`), pub, Buffer.from(x.signature.value, 'hex')), 'bundle signature');
  const cp = openCheckpoint(x.log.checkpoint);
  assert.equal(cp.size, x.log.tree_size);
  assert.ok(verifyInclusion(x.log.leaf_index, cp.size, exportLeafHash(x), x.log.inclusion_proof.map((h) => Buffer.from(h, 'base64')), cp.root),
    `inclusion of leaf ${x.log.leaf_index} in ${cp.size}`);
  return cp;
}

function verifyWithCli(x, name) {
  const f = path.join(scratch, name);
  fs.writeFileSync(f, JSON.stringify(x));
  const r = cli(['verify', f, '--pubkey', key.vkey]);
  assert.equal(r.code, 0, `callproof verify ${name}:\n${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /: VERIFIED\n$/);
  assert.doesNotMatch(r.stdout, /^WARNING/m);
}

async function getJson(base, p) {
  const r = await fetch(base + p);
  const text = await r.text();
  assert.equal(r.status, 200, `GET ${p}: ${text}`);
  return JSON.parse(text);
}

async function checkpointText(base = srv.base) {
  const r = await fetch(`${base}/v1/log/checkpoint`);
  const text = await r.text();
  assert.equal(r.status, 200, text);
  assert.match(r.headers.get('content-type'), /^text\/plain/);
  return text;
}

const b64s = (arr) => arr.map((h) => Buffer.from(h, 'base64'));

test('an empty log has no checkpoint (404) and no proofs (400 bad_query)', async () => {
  const r = await fetch(`${srv.base}/v1/log/checkpoint`);
  assert.equal(r.status, 404);
  assertErrorBody(await r.text(), 'not_found');
  for (const [q, field] of [['inclusion?index=0&size=1', 'size'], ['consistency?first=1&second=1', 'second']]) {
    const x = await fetch(`${srv.base}/v1/log/proof/${q}`);
    assert.equal(x.status, 400, q);
    assertErrorBody(await x.text(), 'bad_query', { field }); // the parameter past the log
  }
  key = (await getJson(srv.base, '/v1/keys')).keys[0];
  origin = (await getJson(srv.base, '/v1/keys')).log_origin;
  pk = Buffer.from(key.public_key, 'base64');
});

test(`${N} sealed bundles are leaves 0..${N - 1}; after each the signed checkpoint grows by one and its root is the Merkle tree hash of the leaves`, async () => {
  const other = createKey(dataDir, 'logtenant', 'all');
  const leaves = [];
  for (let i = 0; i < N; i++) {
    const token = i % 3 === 2 ? other : srv.token; // one log for every tenant
    const r = await api(srv.base, token).post('/v1/post-call', { ...CALL, call_id: `call_log_${i}` });
    const j = JSON.parse(await r.text());
    assert.equal(r.status, 201, JSON.stringify(j));
    assert.equal(j.log_index, i, 'the next leaf');
    const x = await getJson(srv.base, `/e/${j.evidence_bundle_id}.json`);
    assert.equal(x.log.leaf_index, i);
    assert.equal(x.log.tree_size, i + 1, 'exported while the log had i + 1 leaves');
    const note = await checkpointText();
    assert.equal(x.log.checkpoint, note, 'the export carries the latest checkpoint');
    const cp = openCheckpoint(note);
    assert.equal(cp.size, i + 1, 'the checkpoint size is the number sealed');
    leaves.push(exportLeafHash(x));
    assert.equal(x.log.leaf_hash, leaves[i].toString('base64'));
    assert.ok(cp.root.equals(mth(leaves)), `root of size ${i + 1} = MTH of the leaves`);
    roots[i + 1] = cp.root;
    exportsAtSize.push(x);
    verifyExportJs(x);
  }
});

test('every export, made now against the full log, verifies in JS and with callproof verify --pubkey', async () => {
  for (let i = 0; i < N; i++) {
    const x = await getJson(srv.base, `/e/${exportsAtSize[i].bundle_id}.json`);
    assert.equal(x.log.tree_size, N);
    assert.equal(x.bundle, exportsAtSize[i].bundle, 'the sealed bytes never change');
    const cp = verifyExportJs(x);
    assert.ok(cp.root.equals(roots[N]));
    verifyWithCli(x, `full_${i}.json`);
    // The export made when the log was smaller still verifies on its own checkpoint.
    verifyWithCli(exportsAtSize[i], `at_size_${i + 1}.json`);
  }
});

test('inclusion proofs for every (index, size) verify against the signed root of that size', async () => {
  for (let size = 1; size <= N; size++) {
    for (let index = 0; index < size; index++) {
      const j = await getJson(srv.base, `/v1/log/proof/inclusion?index=${index}&size=${size}`);
      assert.deepEqual(Object.keys(j).sort(), ['index', 'proof', 'size']);
      assert.equal(j.index, index);
      assert.equal(j.size, size);
      const leaf = exportLeafHash(exportsAtSize[index]);
      assert.ok(verifyInclusion(index, size, leaf, b64s(j.proof), roots[size]), `inclusion ${index} in ${size}`);
      if (index > 0) assert.ok(!verifyInclusion(index - 1, size, leaf, b64s(j.proof), roots[size]), 'not at another index');
      if (index === size - 1) assert.deepEqual(j.proof, exportsAtSize[index].log.inclusion_proof, 'the same proof as the export of that size');
    }
  }
});

test('consistency proofs for every (first, second) verify against the signed roots of both sizes', async () => {
  for (let second = 1; second <= N; second++) {
    for (let first = 1; first <= second; first++) {
      const j = await getJson(srv.base, `/v1/log/proof/consistency?first=${first}&second=${second}`);
      assert.deepEqual(Object.keys(j).sort(), ['first', 'proof', 'second']);
      assert.equal(j.first, first);
      assert.equal(j.second, second);
      const p = b64s(j.proof);
      assert.ok(verifyConsistency(first, second, roots[first], roots[second], p), `consistency ${first} -> ${second}: ${JSON.stringify(j.proof)}`);
      if (first < second && first > 1) {
        assert.ok(!verifyConsistency(first, second, roots[first - 1], roots[second], p), 'not with another old root');
      }
    }
  }
});

test('bad proof parameters are 400 bad_query', async () => {
  const bad = [
    'inclusion', 'inclusion?index=0', 'inclusion?size=1', 'inclusion?index=-1&size=2', 'inclusion?index=a&size=2',
    'inclusion?index=1.5&size=2', 'inclusion?index=0&size=0', `inclusion?index=${N}&size=${N}`, `inclusion?index=0&size=${N + 1}`,
    'inclusion?index=0&size=99999999999999999999', 'inclusion?index=+1&size=2', 'inclusion?index=&size=2', 'inclusion?index=1&size=1',
    'consistency', 'consistency?first=1', 'consistency?second=2', 'consistency?first=0&second=2', 'consistency?first=3&second=2',
    `consistency?first=1&second=${N + 1}`, 'consistency?first=x&second=2', 'consistency?first=1&second=-2', 'consistency?first=1e1&second=20',
  ];
  for (const q of bad) {
    const r = await fetch(`${srv.base}/v1/log/proof/${q}`);
    const text = await r.text();
    assert.equal(r.status, 400, `${q}: ${text}`);
    assertErrorBody(text, 'bad_query', { fieldOptional: true });
  }
  // Repeated and unknown parameters are bad_query naming the parameter, as everywhere else in
  // the API (docs/ERRORS.md: "is repeated, or is not known; `field` names it").
  for (const [q, field] of [['inclusion?index=0&index=1&size=2', 'index'], ['consistency?first=1&second=2&first=1', 'first'],
    ['inclusion?index=0&size=2&foo=1', 'foo'], ['consistency?first=1&second=2&old=1', 'old']]) {
    const r = await fetch(`${srv.base}/v1/log/proof/${q}`);
    const text = await r.text();
    assert.equal(r.status, 400, `${q}: ${text}`);
    assertErrorBody(text, 'bad_query', { field });
  }
});

test('restart: exit 0, then the same data directory serves the same key, old exports still verify, the log continues and stays consistent', async () => {
  const old = exportsAtSize[4]; // a checkpoint of size 5
  const lastOld = await checkpointText();
  const code = await srv.stop();
  assert.equal(code, 0, srv.stderr());
  assert.doesNotMatch(srv.stderr(), /AddressSanitizer|LeakSanitizer|runtime error:/);
  srv2 = await startServer({ dataDir });
  assert.equal(srv2.token, null, 'no first-start token on an existing store');
  const k2 = await getJson(srv2.base, '/v1/keys');
  assert.equal(k2.keys[0].public_key, key.public_key, 'the same signing key');
  assert.equal(k2.log_origin, origin);
  assert.equal(await checkpointText(srv2.base), lastOld, 'the latest checkpoint survives');
  verifyWithCli(old, 'before_restart.json');
  // A new post-call continues the log.
  const token = createKey(dataDir, 'default', 'all');
  const r = await api(srv2.base, token).post('/v1/post-call', { ...CALL, call_id: 'call_after_restart' });
  const j = JSON.parse(await r.text());
  assert.equal(r.status, 201, JSON.stringify(j));
  assert.equal(j.log_index, N);
  const note = await checkpointText(srv2.base);
  const cp = openCheckpoint(note);
  assert.equal(cp.size, N + 1);
  const x = await getJson(srv2.base, `/e/${j.evidence_bundle_id}.json`);
  verifyExportJs(x);
  verifyWithCli(x, 'after_restart.json');
  // The old export's checkpoint is consistent with the new one.
  const oldCp = openCheckpoint(old.log.checkpoint);
  const c = await getJson(srv2.base, `/v1/log/proof/consistency?first=${oldCp.size}&second=${cp.size}`);
  const c2 = await getJson(srv2.base, `/v1/log/proof/consistency?first=${N}&second=${N + 1}`);
  assert.ok(verifyConsistency(oldCp.size, cp.size, oldCp.root, cp.root, b64s(c.proof)), 'old checkpoint consistent with the new');
  // And callproof verify says so offline, from the old export, the newer checkpoint and the proof.
  const oldFile = path.join(scratch, 'old_export.json');
  const newerFile = path.join(scratch, 'newer_checkpoint.txt');
  const proofFile = path.join(scratch, 'consistency.json');
  fs.writeFileSync(oldFile, JSON.stringify(old));
  fs.writeFileSync(newerFile, note);
  fs.writeFileSync(proofFile, JSON.stringify(c));
  const v = cli(['verify', oldFile, '--pubkey', key.vkey, '--checkpoint', newerFile, '--consistency', proofFile]);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.match(v.stdout, new RegExp(`PASS the export's checkpoint is consistent with the newer one: tree of ${oldCp.size} is a prefix of the tree of ${cp.size}`));
  // A proof for other sizes, a flipped proof hash, or a newer checkpoint with a bad signature fail.
  const bad = [
    ['proof for other sizes', () => fs.writeFileSync(proofFile, JSON.stringify(c2))],
    ['flipped proof hash', () => {
      const p2 = structuredClone(c);
      const h = Buffer.from(p2.proof[0], 'base64'); h[0] ^= 1; p2.proof[0] = h.toString('base64');
      fs.writeFileSync(proofFile, JSON.stringify(p2));
    }],
    ['bad newer signature', () => {
      fs.writeFileSync(proofFile, JSON.stringify(c));
      fs.writeFileSync(newerFile, note.replace(/(\u2014 \S+ )(\S{8})/, (m, a, b) => a + (b[7] === 'A' ? `${b.slice(0, 7)}B` : `${b.slice(0, 7)}A`)));
    }],
  ];
  for (const [label, make] of bad) {
    make();
    const w = cli(['verify', oldFile, '--pubkey', key.vkey, '--checkpoint', newerFile, '--consistency', proofFile]);
    assert.equal(w.code, 1, `${label}: ${w.stdout}`);
    assert.match(w.stdout, /NOT VERIFIED/, label);
  }
  assert.ok(verifyConsistency(N, N + 1, roots[N], cp.root, b64s(c2.proof)));
  // And the root is still the Merkle tree hash of all the leaves.
  const leaves = exportsAtSize.map(exportLeafHash).concat([exportLeafHash(x)]);
  assert.ok(cp.root.equals(mth(leaves)));
  afterRestart.leaves = leaves;
  afterRestart.token = token;
});

const afterRestart = {};

test('posts sealed concurrently get distinct consecutive leaves, all verify, and the log stays consistent', async () => {
  const base = N + 1;
  const P = 8;
  const answers = await Promise.all(Array.from({ length: P }, async (_, i) => {
    const r = await api(srv2.base, afterRestart.token).post('/v1/post-call', { ...CALL, call_id: `call_parallel_${i}` });
    const text = await r.text();
    assert.equal(r.status, 201, text);
    return JSON.parse(text);
  }));
  const indices = answers.map((a) => a.log_index).sort((a, b) => a - b);
  assert.deepEqual(indices, Array.from({ length: P }, (_, i) => base + i));
  const cp = openCheckpoint(await checkpointText(srv2.base));
  assert.equal(cp.size, base + P);
  const leaves = [...afterRestart.leaves];
  for (const a of answers) {
    const x = await getJson(srv2.base, `/e/${a.evidence_bundle_id}.json`);
    verifyExportJs(x);
    leaves[a.log_index] = exportLeafHash(x);
  }
  assert.ok(cp.root.equals(mth(leaves)), 'the root covers every leaf once, in log order');
  // Each intermediate size has its own signed checkpoint, consistent with the final one.
  for (let size = base; size < base + P; size++) {
    const c = await getJson(srv2.base, `/v1/log/proof/consistency?first=${size}&second=${base + P}`);
    assert.ok(verifyConsistency(size, base + P, mth(leaves.slice(0, size)), cp.root, b64s(c.proof)), `consistency ${size}`);
  }
});

test('the restarted server shuts down cleanly (exit 0, no sanitizer report)', async () => {
  await assertCleanExit(srv2);
});
