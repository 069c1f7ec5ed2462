// Covers verifying an evidence export without trusting callproof:
//  - GET /v1/keys (no auth): log_origin and the one Ed25519 key, whose key_id, note key name and
//    vkey (C2SP: name+hex(key id)+base64(0x01||key), key id = SHA-256(name||"\n"||0x01||key)[:4])
//    are recomputed here;
//  - the export checked in JS with node:crypto only: the Ed25519 signature over
//    "callproof/evidence/v1\n" + bundle, bundle_sha256, the leaf
//    "callproof/evidence-leaf/v1\n" + hex(sha256(bundle)) + "\n" + signature + "\n" and its hash
//    SHA-256(0x00||leaf), the checkpoint note (origin, size, root; "— name base64(keyid||sig)"
//    over the text with its final newline), the inclusion proof to that root (RFC 9162
//    §2.1.3.2), and the c2sp.org/tlog-proof@v1 receipt;
//  - `callproof verify FILE [--pubkey KEY] [--json]`: passes with PASS lines and "VERIFIED";
//    --pubkey as base64 or vkey gives no WARNING, no --pubkey gives a WARNING; --json is
//    {"ok":true,...}; reading from stdin ("-");
//  - tampering: one character of the bundle, the signature, an inclusion-proof hash, the
//    checkpoint's root, size or signature line, leaf_index +-1, a genuine checkpoint of another
//    size: exit 1 and NOT VERIFIED each time (and the JS check rejects each too); another key
//    given with --pubkey fails; a forger who re-signs everything with their own key passes only
//    the embedded-key check (with its WARNING), never --pubkey with the server's key;
//  - signed-note rules: unknown signature lines are ignored, a failing line of the log key rejects;
//  - --pubkey takes any base64 key, also one with '+' in it (an export signed here by such a key);
//  - usage errors (exit 2) and a file that is not an export (exit 1).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startServer, api, assertCleanExit, cli, tempDir, rmTemp, BIN, SLOW } from './lib.mjs';
import { SEED } from './econsent_seed.mjs';
import { SPKI_ED25519, edPublic, sha256, leafHash, verifyInclusion, openCheckpoint } from './tlog.mjs';

let srv;
let dir;
let dataDir;
let keys; // GET /v1/keys
let pk; // the server's public key (32 bytes)
let exp; // the export of the bundle at leaf 2 of a 5-leaf log
let older; // an export made when the log had 3 leaves (another genuine checkpoint)


// ---- independent verification (node:crypto only) ----

const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The first of a fixed series of Ed25519 seeds whose base64 public key satisfies ok:
 * {seed, raw (public key), privateKey}. */
function seedWhere(ok) {
  for (let i = 0; ; i++) {
    const seed = crypto.createHash('sha256').update(`callproof-evidence-verify-${i}`).digest();
    const privateKey = crypto.createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
    const raw = crypto.createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(12);
    if (ok(raw.toString('base64'))) return { seed, raw, privateKey };
  }
}
const noteKeyId = (name, raw) => sha256(name, Buffer.from([0x0a, 0x01]), raw).subarray(0, 4);

/** Check export x against the server key in JS alone; throws on the first defect. */
function jsVerify(x, key = pk, origin = keys.log_origin) {
  assert.equal(x.format, 'callproof.evidence-export.v1');
  const bundle = x.bundle;
  const bundleHex = sha256(bundle).toString('hex');
  assert.equal(x.bundle_sha256, bundleHex, 'bundle_sha256');
  assert.equal(JSON.parse(bundle).bundle_id, x.bundle_id);
  assert.ok(crypto.verify(null, Buffer.from(`callproof/evidence/v1\n${bundle}`, 'utf8'), edPublic(key),
    Buffer.from(x.signature.value, 'hex')), 'bundle signature');
  assert.match(x.signature.value, /^[0-9a-f]{128}$/);
  const leaf = `callproof/evidence-leaf/v1\n${bundleHex}\n${x.signature.value}\n`;
  const lh = leafHash(leaf);
  const cp = openCheckpoint(x.log.checkpoint, origin, key);
  assert.equal(cp.origin, origin, 'the checkpoint names the log');
  const proof = x.log.inclusion_proof.map((h) => Buffer.from(h, 'base64'));
  assert.ok(verifyInclusion(x.log.leaf_index, cp.size, lh, proof, cp.root), 'inclusion proof to the signed root');
  return { leaf, leafHash: lh, cp };
}
const jsRejects = (x, label) => assert.throws(() => jsVerify(x), undefined, `JS verification accepts: ${label}`);

// ---- the CLI ----

let fileNo = 0;
function writeExport(x, name = `export_${fileNo++}.json`) {
  const f = path.join(dir, name);
  fs.writeFileSync(f, typeof x === 'string' ? x : JSON.stringify(x, null, 2));
  return f;
}
const SANITIZER_RE = /AddressSanitizer|LeakSanitizer|runtime error:/;
/** Run the CLI; it must never trip a sanitizer (under ASan a leak aborts with no exit code). */
function cliClean(args, label = args.join(' ')) {
  const r = cli(args);
  assert.doesNotMatch(r.stderr, SANITIZER_RE, `callproof ${label}:\n${r.stderr}`);
  return r;
}
function verifyCli(x, args = []) {
  const f = writeExport(x);
  return { ...cliClean(['verify', f, ...args]), file: f };
}
function assertVerified(r, { warning }) {
  assert.equal(r.code, 0, `exit code; stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  const lines = r.stdout.trimEnd().split('\n');
  assert.ok(lines.filter((l) => l.startsWith('PASS ')).length >= 5, `PASS lines:\n${r.stdout}`);
  assert.ok(!lines.some((l) => l.startsWith('FAIL')), r.stdout);
  assert.equal(lines[lines.length - 1], `${r.file}: VERIFIED`);
  assert.equal(lines.some((l) => l.startsWith('WARNING')), warning, `WARNING line expected: ${warning}\n${r.stdout}`);
}
function assertNotVerified(r, label) {
  assert.equal(r.code, 1, `${label}: exit code; stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  assert.match(r.stdout, /^FAIL /m, `${label}: a FAIL line\n${r.stdout}`);
  assert.match(r.stdout, /: NOT VERIFIED\n$/, `${label}: NOT VERIFIED\n${r.stdout}`);
}

const clone = (x) => structuredClone(x);
const flipB64 = (b64, byte = 0) => { const b = Buffer.from(b64, 'base64'); b[byte] ^= 1; return b.toString('base64'); };
const flipHex = (hex) => hex.slice(0, -1) + (hex.endsWith('0') ? '1' : '0');

before(async () => {
  dir = tempDir('callproof-ev-verify-');
  dataDir = tempDir('callproof-ev-verify-data-');
  // The server's key is random; a base64 key with '+' in it meets a separate bug (see the test
  // "--pubkey takes a base64 key that contains '+'"), so this server gets a fixed key without one.
  fs.writeFileSync(path.join(dataDir, 'signing.key'), seedWhere((b64) => !b64.includes('+')).seed);
  srv = await startServer({ dataDir });
  const c = api(srv.base, srv.token);
  const ok = async (r) => { const t = await r.text(); assert.ok(r.status < 300, t); return JSON.parse(t); };
  await ok(await c.post('/v1/consents', { consent_id: 'cst_lx8k7n3f4g5h6j7k', phone: '+15551234567', calling_entity: 'Acme Insurance LLC',
    type: 'prior_express_written', scope: ['ai_voice', 'telemarketing'], captured_at: '2026-04-01T12:00:00Z' }));
  await ok(await c.post('/v1/capture-verbal', { consent_id: 'cst_lx8ka1b2c3d4e5f6', call_id: 'call_xyz789', phone: '+15551234567',
    calling_entity: 'Acme Insurance LLC', captured_at: '2026-04-10T15:44:00Z', transcript: 'Yes, I agree.',
    agent_disclosure_text: 'May we text you about your policy?', consent_scope: ['ai_sms'] }));
  const ids = [];
  for (let i = 0; i < 5; i++) {
    const j = await ok(await c.post('/v1/post-call', { ...SEED, call_id: `call_v${i}` }));
    assert.equal(j.log_index, i);
    ids.push(j.evidence_bundle_id);
    if (i === 2) older = await ok(await fetch(`${srv.base}/e/${j.evidence_bundle_id}.json`));
  }
  exp = await ok(await fetch(`${srv.base}/e/${ids[2]}.json`));
  keys = await ok(await fetch(`${srv.base}/v1/keys`));
  pk = Buffer.from(keys.keys[0].public_key, 'base64');
});
after(async () => {
  await srv?.kill();
  if (dir) rmTemp(dir);
  if (dataDir) rmTemp(dataDir);
});

test('GET /v1/keys needs no auth and lists the Ed25519 key with its key id, note key name and vkey, all recomputable', async () => {
  const r = await fetch(`${srv.base}/v1/keys`);
  assert.equal(r.status, 200);
  const k = await r.json();
  assert.deepEqual(Object.keys(k).sort(), ['keys', 'log_origin']);
  assert.equal(k.keys.length, 1);
  const key = k.keys[0];
  assert.deepEqual(Object.keys(key).sort(), ['algorithm', 'key_id', 'note_key_name', 'public_key', 'signs', 'status', 'valid_from', 'valid_until', 'vkey']);
  assert.equal(key.algorithm, 'Ed25519');
  const raw = Buffer.from(key.public_key, 'base64');
  assert.equal(raw.length, 32);
  assert.equal(key.key_id, sha256(raw).subarray(0, 8).toString('hex'), 'key_id: first 8 bytes of SHA-256(public key)');
  assert.equal(k.log_origin, `callproof/${key.key_id}`);
  assert.equal(key.note_key_name, k.log_origin);
  // vkey: parse by the first two '+' only (base64 has '+' too).
  const a = key.vkey.indexOf('+');
  const b = key.vkey.indexOf('+', a + 1);
  assert.equal(key.vkey.slice(0, a), key.note_key_name);
  assert.equal(key.vkey.slice(a + 1, b), noteKeyId(key.note_key_name, raw).toString('hex'));
  assert.deepEqual(Buffer.from(key.vkey.slice(b + 1), 'base64'), Buffer.concat([Buffer.from([1]), raw]));
  assert.ok(Array.isArray(key.signs) && key.signs.length >= 3);
  assert.equal(key.valid_until, null);
  // Valid since the key was made: at or before the server's start, and not in the future.
  assert.equal(key.status, 'active');
  assert.match(key.valid_from, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$/);
  assert.ok(Date.parse(key.valid_from) <= Date.now());
  // The key that signs is the one published: the export embeds the same.
  assert.equal(exp.signature.public_key, key.public_key);
  assert.equal(exp.signature.key_id, key.key_id);
  assert.equal(exp.log.origin, k.log_origin);
});

test('the export verifies in JS alone: signature, leaf, leaf hash, signed checkpoint and inclusion proof', () => {
  const { leaf, leafHash: lh, cp } = jsVerify(exp);
  assert.equal(exp.log.leaf, leaf, 'the export states the leaf recomputed here');
  assert.equal(exp.log.leaf_hash, lh.toString('base64'));
  assert.equal(exp.log.leaf_index, 2);
  assert.equal(cp.size, 5);
  assert.equal(exp.log.tree_size, cp.size);
  assert.ok(exp.log.inclusion_proof.length >= 2, 'a proof with several steps');
  // The older export verifies against its own (smaller) checkpoint.
  const o = jsVerify(older);
  assert.equal(o.cp.size, 3);
  assert.equal(older.log.tree_size, 3);
});

test('the tlog_proof receipt is c2sp.org/tlog-proof@v1: the index, the proof hashes, a blank line, then the checkpoint verbatim', () => {
  const t = exp.log.tlog_proof;
  const lines = t.split('\n');
  assert.equal(lines[0], 'c2sp.org/tlog-proof@v1');
  assert.equal(lines[1], `index ${exp.log.leaf_index}`);
  const n = exp.log.inclusion_proof.length;
  assert.deepEqual(lines.slice(2, 2 + n), exp.log.inclusion_proof);
  assert.equal(lines[2 + n], '');
  assert.equal(lines.slice(3 + n).join('\n'), exp.log.checkpoint);
});

test('callproof verify passes with --pubkey (base64 or vkey): PASS lines, VERIFIED, exit 0, no WARNING', () => {
  const key = keys.keys[0];
  assertVerified(verifyCli(exp, ['--pubkey', key.public_key]), { warning: false });
  assertVerified(verifyCli(exp, ['--pubkey', key.vkey]), { warning: false });
  assertVerified(verifyCli(exp, [`--pubkey=${key.vkey}`]), { warning: false });
  assertVerified(verifyCli(older, ['--pubkey', key.public_key]), { warning: false });
});

test('callproof verify without --pubkey passes on the embedded key, with a WARNING line', () => {
  const r = verifyCli(exp);
  assertVerified(r, { warning: true });
  assert.match(r.stdout, /^WARNING .*--pubkey/m);
});

test('callproof verify --json answers {"ok":true,...} with each check, and the warning only without --pubkey', () => {
  const a = verifyCli(exp, ['--json', '--pubkey', keys.keys[0].public_key]);
  assert.equal(a.code, 0, a.stdout + a.stderr);
  const j = JSON.parse(a.stdout);
  assert.equal(j.ok, true);
  assert.equal(j.failed, 0);
  assert.equal(j.warning, null);
  assert.ok(Array.isArray(j.checks) && j.checks.length >= 5);
  for (const c of j.checks) {
    assert.equal(typeof c.check, 'string');
    assert.equal(c.ok, true, JSON.stringify(c));
  }
  const b = JSON.parse(verifyCli(exp, ['--json']).stdout);
  assert.equal(b.ok, true);
  assert.match(b.warning, /pubkey/);
  const bad = clone(exp);
  bad.signature.value = flipHex(bad.signature.value);
  const c = verifyCli(bad, ['--json', '--pubkey', keys.keys[0].public_key]);
  assert.equal(c.code, 1);
  const cj = JSON.parse(c.stdout);
  assert.equal(cj.ok, false);
  assert.ok(cj.failed >= 1);
  assert.ok(cj.checks.some((x) => x.ok === false));
});

test('callproof verify reads the export from standard input with "-"', () => {
  const r = spawnSync(BIN, ['verify', '-', '--pubkey', keys.keys[0].public_key], { input: JSON.stringify(exp), encoding: 'utf8', timeout: 60000 * SLOW });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.doesNotMatch(r.stderr, SANITIZER_RE);
  assert.match(r.stdout, /^-: VERIFIED$/m);
});

test('any tampering is caught: exit 1 and NOT VERIFIED, and the JS check rejects it too', () => {
  const key = keys.keys[0].public_key;
  const tampered = [];
  const add = (label, fn) => { const x = clone(exp); fn(x); tampered.push([label, x]); };
  add('one character of the bundle (with bundle_sha256 and leaf updated to match)', (x) => {
    assert.ok(x.bundle.includes('Acme Insurance LLC'));
    x.bundle = x.bundle.replace('Acme Insurance LLC', 'Acme Insurance LLD');
    x.bundle_sha256 = sha256(x.bundle).toString('hex');
    x.log.leaf = `callproof/evidence-leaf/v1\n${x.bundle_sha256}\n${x.signature.value}\n`;
    x.log.leaf_hash = leafHash(x.log.leaf).toString('base64');
  });
  add('one character of the bundle, nothing else', (x) => { x.bundle = x.bundle.replace('"score":100', '"score":101'); });
  add('the bundle re-encoded with whitespace', (x) => { x.bundle = JSON.stringify(JSON.parse(x.bundle), null, 1); });
  add('one hex digit of signature.value', (x) => { x.signature.value = flipHex(x.signature.value); });
  add('one bit of the first inclusion_proof hash', (x) => { x.log.inclusion_proof[0] = flipB64(x.log.inclusion_proof[0]); });
  add('one bit of the last inclusion_proof hash', (x) => {
    const p = x.log.inclusion_proof;
    p[p.length - 1] = flipB64(p[p.length - 1], 31);
  });
  add('an inclusion_proof hash dropped', (x) => { x.log.inclusion_proof.pop(); });
  add('one bit of the checkpoint root line', (x) => {
    const l = x.log.checkpoint.split('\n');
    l[2] = flipB64(l[2], 5);
    x.log.checkpoint = l.join('\n');
  });
  add('the checkpoint size line', (x) => {
    const l = x.log.checkpoint.split('\n');
    l[1] = String(Number(l[1]) + 1);
    x.log.checkpoint = l.join('\n');
  });
  add('one bit of the checkpoint signature line', (x) => {
    x.log.checkpoint = x.log.checkpoint.replace(/(\u2014 \S+ )(\S+)\n$/, (m, pre, sig) => `${pre}${flipB64(sig, 20)}\n`);
  });
  add('leaf_index + 1', (x) => { x.log.leaf_index += 1; });
  add('leaf_index - 1', (x) => { x.log.leaf_index -= 1; });
  add('a genuine checkpoint of another size (3) in place of the one the proof is for', (x) => { x.log.checkpoint = older.log.checkpoint; });
  for (const [label, x] of tampered) {
    assert.notDeepEqual(x, exp, `${label} changes the file`);
    assertNotVerified(verifyCli(x, ['--pubkey', key]), label);
    assertNotVerified(verifyCli(x), `${label} (embedded key)`);
    jsRejects(x, label);
  }
});

test('signed-note rules: a signature line of an unknown key is ignored, a second line of the log key that does not verify rejects the note', () => {
  const key = keys.keys[0].public_key;
  const extra = clone(exp);
  extra.log.checkpoint += `\u2014 witness.example/w1 ${crypto.randomBytes(68).toString('base64')}\n`;
  assertVerified(verifyCli(extra, ['--pubkey', key]), { warning: false });
  jsVerify(extra);
  const dup = clone(exp);
  const line = dup.log.checkpoint.split('\n').find((l) => l.startsWith('\u2014 '));
  dup.log.checkpoint += `${line.replace(/ (\S+)$/, (m, b) => ` ${flipB64(b, 40)}`)}\n`;
  assertNotVerified(verifyCli(dup, ['--pubkey', key]), 'a bad second signature of the log key');
  jsRejects(dup, 'a bad second signature of the log key');
});

test('another key given with --pubkey (base64 or vkey) fails verification', () => {
  const { publicKey } = crypto.generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519.length);
  assertNotVerified(verifyCli(exp, ['--pubkey', raw.toString('base64')]), 'throwaway key');
  const name = keys.log_origin;
  const vkey = `${name}+${noteKeyId(name, raw).toString('hex')}+${Buffer.concat([Buffer.from([1]), raw]).toString('base64')}`;
  assertNotVerified(verifyCli(exp, ['--pubkey', vkey]), 'throwaway vkey');
  assert.throws(() => jsVerify(exp, raw));
});

/** exp with its bundle changed by edit, re-signed with (raw, privateKey) and placed alone in a
 * one-leaf log whose checkpoint that key signs: a self-consistent export under that key. */
/** RFC 8785 for the integer-only JSON of bundles: keys in UTF-16 order, ES JSON strings. */
const canonical = (v) => (Array.isArray(v) ? `[${v.map(canonical).join(',')}]`
  : v !== null && typeof v === 'object'
    ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`
    : JSON.stringify(v));

function resign(edit, raw, privateKey) {
  const x = clone(exp);
  x.bundle = edit(x.bundle);
  x.bundle_sha256 = sha256(x.bundle).toString('hex');
  x.signature.value = crypto.sign(null, Buffer.from(`callproof/evidence/v1\n${x.bundle}`), privateKey).toString('hex');
  x.signature.public_key = raw.toString('base64');
  x.log.leaf = `callproof/evidence-leaf/v1\n${x.bundle_sha256}\n${x.signature.value}\n`;
  const lh = leafHash(x.log.leaf);
  x.log.leaf_hash = lh.toString('base64');
  x.log.leaf_index = 0;
  x.log.tree_size = 1;
  x.log.inclusion_proof = [];
  const text = `${x.log.origin}\n1\n${lh.toString('base64')}\n`;
  const sig = crypto.sign(null, Buffer.from(text), privateKey);
  x.log.checkpoint = `${text}\n\u2014 ${x.log.origin} ${Buffer.concat([noteKeyId(x.log.origin, raw), sig]).toString('base64')}\n`;
  x.log.tlog_proof = `c2sp.org/tlog-proof@v1\nindex 0\n\n${x.log.checkpoint}`;
  return x;
}

test('a forger who re-signs a changed bundle and a one-leaf checkpoint with their own key passes only on the embedded key (WARNING), never with the server key', () => {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519.length);
  // (The change leaves the compliance inputs alone: a changed score alone is caught by the
  // recomputation, see below.)
  const x = resign((b) => b.replace('"tenant":"default"', '"tenant":"forged"'), raw, privateKey);
  assert.notEqual(x.bundle, exp.bundle, 'the forgery changed the bundle');
  // Self-consistent under the forger's key (checked in JS too)...
  jsVerify(x, raw, x.log.origin);
  assertVerified(verifyCli(x), { warning: true });
  // ...but not under the key the server publishes.
  assertNotVerified(verifyCli(x, ['--pubkey', keys.keys[0].public_key]), 'forgery with the server key');
  assertNotVerified(verifyCli(x, ['--pubkey', keys.keys[0].vkey]), 'forgery with the server vkey');
  jsRejects(x, 'forgery');
});

test('verify recomputes the compliance result from the sealed inputs: a re-signed bundle whose score, findings or inputs were changed fails even under its own key', () => {
  // The genuine export: recomputed and equal.
  const good = verifyCli(exp, ['--pubkey', keys.keys[0].vkey]);
  assertVerified(good, { warning: false });
  assert.match(good.stdout, /^PASS compliance result recomputed from the bundle: score \d+, \d+ finding\(s\), \d+ note\(s\) under rules-/m);
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519.length);
  const b = JSON.parse(exp.bundle);
  const edits = [
    ['score raised', (t) => t.replace(`"score":${b.compliance.score}`, `"score":${b.compliance.score === 100 ? 99 : 100}`), /sealed score/],
    ['a disclosure dropped from the inputs', (t) => {
      const o = JSON.parse(t);
      o.disclosures = o.disclosures.slice(1);
      return canonical(o);
    }, /sealed score|findings differ/],
    ['the caller id changed', (t) => {
      const o = JSON.parse(t);
      o.call.calling_number = '+12025550143';
      return canonical(o);
    }, /findings differ|sealed score/],
    ['a parameter removed', (t) => {
      const o = JSON.parse(t);
      delete o.compliance.parameters.calling_hours_end;
      return canonical(o);
    }, /missing or malformed/],
  ];
  for (const [label, edit, why] of edits) {
    const x = resign(edit, raw, privateKey);
    assert.notEqual(x.bundle, exp.bundle, label);
    const r = verifyCli(x);
    assertNotVerified(r, label);
    const failed = r.stdout.split('\n').filter((l) => l.startsWith('FAIL '));
    assert.equal(failed.length, 1, `${label}: only the recomputation fails\n${r.stdout}`);
    assert.match(failed[0], /^FAIL compliance result recomputed from the bundle: /, label);
    assert.match(failed[0], why, label);
  }
  // A bundle sealed under other rules is not compared: SKIP, not a failure.
  const other = resign((t) => t.replace(b.compliance.rules_version, 'rules-1999-01-v1'), raw, privateKey);
  const r = verifyCli(other);
  assertVerified(r, { warning: true });
  assert.match(r.stdout, /^SKIP compliance result recomputed from the bundle: sealed under rules-1999-01-v1; this verifier has rules-/m);
  const j = verifyCli(other, ['--json']);
  assert.equal(j.code, 0, j.stdout);
  const skipped = JSON.parse(j.stdout).checks.find((c) => c.check === 'compliance result recomputed from the bundle');
  assert.equal(skipped.ok, null);
});

test("--pubkey takes a base64 key that contains '+' (base64 has '+'; only a vkey has the name+id+key form)", () => {
  // An export signed by a key whose base64 has a '+': with the key as published in base64 it
  // must verify, just as with its vkey. (About half of all random keys have a '+'.)
  const { raw, privateKey } = seedWhere((b64) => b64.includes('+'));
  const b64 = raw.toString('base64');
  assert.ok(b64.includes('+'));
  const x = resign((b) => b, raw, privateKey);
  jsVerify(x, raw, x.log.origin);
  const name = x.log.origin;
  const vkey = `${name}+${noteKeyId(name, raw).toString('hex')}+${Buffer.concat([Buffer.from([1]), raw]).toString('base64')}`;
  assertVerified(verifyCli(x, ['--pubkey', vkey]), { warning: false });
  assertVerified(verifyCli(x, ['--pubkey', b64]), { warning: false });
  assertVerified(verifyCli(x, [`--pubkey=${b64}`]), { warning: false });
});

test('usage errors and an unreadable file exit 2 (cleanly: no sanitizer report); a file that is not an export is NOT VERIFIED (exit 1)', () => {
  const usage = [['verify'], ['verify', path.join(dir, 'missing.json')], ['verify', path.join(dir, 'missing.json'), '--json'],
    ['verify', writeExport(exp), '--frobnicate'], ['verify', writeExport(exp), writeExport(exp)]];
  for (const args of usage) {
    const r = cliClean(args);
    assert.equal(r.code, 2, `callproof ${args.join(' ')}: exit ${r.code}\n${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /usage|cannot read|unknown option/);
  }
  for (const [label, text] of [['{}', '{}'], ['not JSON', 'hello'], ['an array', '[]'], ['no log', JSON.stringify({ ...exp, log: undefined })]]) {
    const f = writeExport(text, `not_export_${fileNo++}.json`);
    assertNotVerified({ ...cliClean(['verify', f, '--pubkey', keys.keys[0].public_key]), file: f }, label);
  }
});

test('the server shuts down cleanly (exit 0, no sanitizer report) after all of the above', async () => {
  await assertCleanExit(srv);
});
