// The evidence page (/e/{id}) in a real browser: Debian's Chromium, headless, loads the page and
// the test reads the DOM after the page's own WebCrypto checks ran (--dump-dom with a virtual
// time budget). A sealed bundle's page shows every check passed; the same page saved to disk
// still verifies; with one byte of the embedded bundle changed it shows the signature check
// failed; a pinned key that is not the signer's fails loudly, the published vkey passes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startServer, assertCleanExit, tempDir, rmTemp, SLOW, cli } from './lib.mjs';
import { SEED } from './econsent_seed.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
let srv;
let dir;
let id;
let vkey;

before(async () => {
  dir = tempDir();
  srv = await startServer();
  const r = await fetch(`${srv.base}/v1/post-call`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${srv.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(SEED),
  });
  const j = await r.json();
  assert.equal(r.status, 201, JSON.stringify(j));
  id = j.evidence_bundle_id;
  vkey = (await (await fetch(`${srv.base}/v1/keys`)).json()).keys[0].vkey;
});
after(async () => {
  await srv?.kill();
  if (dir) rmTemp(dir);
});

/** Load url in headless Chromium; the DOM after the page's scripts settled. */
function render(url) {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: scripts/deps.sh test installs Debian's chromium`);
  const r = spawnSync(CHROMIUM, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    `--user-data-dir=${fs.mkdtempSync(path.join(dir, 'profile-'))}`,
    '--virtual-time-budget=10000', '--dump-dom', url,
  ], { encoding: 'utf8', timeout: 60000 * SLOW });
  assert.equal(r.status, 0, `chromium: ${r.stderr}`);
  const verdict = /<div id="verdict" data-result="([a-z]+)">([^<]*)/.exec(r.stdout);
  assert.ok(verdict, `no verdict in the page:\n${r.stdout.slice(0, 2000)}`);
  const checks = [...r.stdout.matchAll(/<li data-check="([^"]*)" data-ok="(true|false)"/g)].map((m) => [m[1], m[2] === 'true']);
  return { result: verdict[1], text: verdict[2], checks, dom: r.stdout };
}

const failedChecks = (p) => p.checks.filter(([, ok]) => !ok).map(([name]) => name);

test('a sealed bundle\'s page verifies in the browser: every check passed', () => {
  const p = render(`${srv.base}/e/${id}`);
  assert.equal(p.result, 'verified', p.text);
  assert.deepEqual(failedChecks(p), []);
  const names = p.checks.map(([n]) => n);
  for (const want of ['Bundle bytes are canonical JSON (RFC 8785)', 'Bundle SHA-256 matches',
    'Bundle signature (Ed25519) verifies', 'Checkpoint is signed by the key',
    'Bundle is in the log (inclusion proof to the signed root)']) {
    assert.ok(names.includes(want), `check "${want}" ran: ${names.join(' | ')}`);
  }
  // What the bundle says is shown, the phone masked to its last 4 digits.
  assert.match(p.dom, /Acme Insurance LLC/);
  assert.match(p.dom, /•••• 4567/);
  assert.doesNotMatch(p.dom.replace(/<script id="export"[\s\S]*?<\/script>/, ''), /\+15551234567/);
  assert.match(p.dom, /If you'd like to opt out at any time/);
});

test('the page saved to disk still verifies; with one byte of the bundle changed the signature check fails', async () => {
  const html = await (await fetch(`${srv.base}/e/${id}`)).text();
  const good = path.join(dir, 'saved.html');
  fs.writeFileSync(good, html);
  const p = render(`file://${good}`);
  assert.equal(p.result, 'verified', p.text);
  // callproof verify reads a saved page too.
  const v = cli(['verify', good, '--pubkey', vkey]);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.match(v.stdout, /saved\.html: VERIFIED\n$/);

  const block = html.indexOf('<script id="export"');
  const at = html.indexOf('Acme Insurance LLC', block);
  assert.ok(block > 0 && at > block);
  const bad = path.join(dir, 'tampered.html');
  fs.writeFileSync(bad, `${html.slice(0, at)}Acme Insurance LLD${html.slice(at + 18)}`);
  const q = render(`file://${bad}`);
  assert.equal(q.result, 'failed', q.text);
  const failed = failedChecks(q);
  assert.ok(failed.includes('Bundle signature (Ed25519) verifies'), failed.join(' | '));
  assert.ok(failed.includes('Bundle SHA-256 matches'), failed.join(' | '));
  assert.match(q.text, /NOT VERIFIED/);
  assert.equal(cli(['verify', bad, '--pubkey', vkey]).code, 1);
});

test('a pinned key: the published vkey verifies; another Ed25519 key fails loudly', () => {
  const p = render(`${srv.base}/e/${id}#pin=${encodeURIComponent(vkey)}`);
  assert.equal(p.result, 'verified', p.text);
  assert.match(p.dom, /\(pinned\)/);

  const other = crypto.generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(12);
  const q = render(`${srv.base}/e/${id}#pin=${encodeURIComponent(other.toString('base64'))}`);
  assert.equal(q.result, 'failed', q.text);
  const failed = failedChecks(q);
  assert.ok(failed.includes('Pinned key matches the key in the file'), failed.join(' | '));
  assert.ok(failed.includes('Bundle signature (Ed25519) verifies'), failed.join(' | '));
  assert.ok(failed.includes('Checkpoint is signed by the key'), failed.join(' | '));
  assert.match(q.dom, /MISMATCH: this evidence was not signed by the key you pinned/);
});

test('the server stops cleanly', async () => {
  await assertCleanExit(srv);
  srv = null;
});
