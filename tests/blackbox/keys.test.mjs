// Covers the command line: --version and --help, the first-start token (shown once), and
// `callproof keys create|list|revoke` on a data directory (exit codes, output, no secrets).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cli, createKey, keyIdOf, startServer, tempDir, rmTemp, TOKEN_RE } from './lib.mjs';

const dirs = [];
const freshDir = () => { const d = tempDir(); dirs.push(d); return d; };
after(() => { for (const d of dirs) rmTemp(d); });

/** keys list as rows: {id, tenant, created, lastUsed, revoked, scopes}. */
function listKeys(dir) {
  const r = cli(['keys', 'list', '--data', dir]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n').filter((l) => l.trim() !== '');
  assert.ok(lines.length >= 1, 'keys list prints a header line');
  assert.match(lines[0], /KEY ID/i);
  const rows = lines.slice(1).map((l) => {
    const [id, tenant, created, lastUsed, revoked, ...scopes] = l.trim().split(/\s+/);
    return { id, tenant, created, lastUsed, revoked, scopes: scopes.join(' '), line: l };
  });
  return { rows, stdout: r.stdout };
}

test('--version prints callproof 0.1.0', () => {
  const r = cli(['--version']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout.trim(), 'callproof 0.1.0');
});

test('--help works at the top level and on serve and keys', () => {
  const top = cli(['--help']);
  assert.equal(top.code, 0);
  assert.match(top.stdout, /usage/i);
  assert.match(top.stdout, /serve/);
  assert.match(top.stdout, /keys/);
  const serve = cli(['serve', '--help']);
  assert.equal(serve.code, 0);
  assert.match(serve.stdout, /--max-body-bytes/);
  assert.match(serve.stdout, /CALLPROOF_MAX_BODY_BYTES/);
  const keys = cli(['keys', '--help']);
  assert.equal(keys.code, 0);
  assert.match(keys.stdout, /create/);
  assert.match(keys.stdout, /revoke/);
});

test('first start of an empty store prints an all-scope token and a curl line; a second start prints none', async () => {
  const dir = freshDir();
  const first = await startServer({ dataDir: dir });
  try {
    assert.match(first.stdout(), TOKEN_RE);
    assert.match(first.stdout(), /curl .*Authorization: Bearer cp_/);
    assert.equal(await first.stop(), 0);
  } finally {
    await first.kill();
  }
  const firstToken = TOKEN_RE.exec(first.stdout())[0];
  const { rows } = listKeys(dir);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].id, keyIdOf(firstToken));
  assert.equal(rows[0].tenant, 'default');

  const second = await startServer({ dataDir: dir });
  try {
    assert.equal(await second.stop(), 0);
  } finally {
    await second.kill();
  }
  // The process has exited, so its stdout is complete.
  assert.doesNotMatch(second.stdout(), /cp_[0-9a-f]{16}_/);
  assert.equal(listKeys(dir).rows.length, 1, 'no second key created');
});

test('keys create prints the token as the last line and keys list shows it without the secret', () => {
  const dir = freshDir();
  const t1 = createKey(dir, 'acme', 'voice:read,voice:write');
  const t2 = createKey(dir, 'globex', 'all');
  assert.notEqual(t1, t2);
  const { rows, stdout } = listKeys(dir);
  const r1 = rows.find((r) => r.id === keyIdOf(t1));
  const r2 = rows.find((r) => r.id === keyIdOf(t2));
  assert.ok(r1, `key ${keyIdOf(t1)} listed:\n${stdout}`);
  assert.ok(r2, `key ${keyIdOf(t2)} listed:\n${stdout}`);
  assert.match(r1.id, /^[0-9a-f]{16}$/);
  assert.equal(r1.tenant, 'acme');
  assert.equal(r2.tenant, 'globex');
  assert.match(r1.scopes, /voice:read/);
  assert.match(r1.scopes, /voice:write/);
  assert.doesNotMatch(r1.scopes, /audio:download/);
  assert.equal(r1.lastUsed, '-', 'never used');
  assert.equal(r1.revoked, '-', 'active');
  assert.match(r1.created, /^\d{4}-\d{2}-\d{2}T/);
  // No secret, nor any token-shaped string, ever appears.
  for (const t of [t1, t2]) assert.ok(!stdout.includes(t.slice(20)), 'secret printed by keys list');
  assert.doesNotMatch(stdout, TOKEN_RE);
  assert.doesNotMatch(stdout, /[0-9a-f]{64}/);
});

test('keys create with an unknown scope exits 2 and creates nothing', () => {
  const dir = freshDir();
  createKey(dir, 'acme', 'voice:read');
  const r = cli(['keys', 'create', '--tenant', 'acme', '--scopes', 'voice:read,voice:fly', '--data', dir]);
  assert.equal(r.code, 2);
  assert.doesNotMatch(r.stdout, TOKEN_RE);
  assert.equal(listKeys(dir).rows.length, 1);
});

test('keys create without a tenant exits 2 and creates nothing', () => {
  const dir = freshDir();
  createKey(dir, 'acme', 'voice:read');
  const r = cli(['keys', 'create', '--scopes', 'voice:read', '--data', dir]);
  assert.equal(r.code, 2);
  assert.doesNotMatch(r.stdout, TOKEN_RE);
  assert.equal(listKeys(dir).rows.length, 1);
});

test('keys revoke marks the key revoked in keys list; an unknown key id exits 1', () => {
  const dir = freshDir();
  const keep = createKey(dir, 'acme', 'voice:read');
  const gone = createKey(dir, 'acme', 'voice:read');
  const r = cli(['keys', 'revoke', keyIdOf(gone), '--data', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /revoked/);
  const { rows } = listKeys(dir);
  const revoked = rows.find((x) => x.id === keyIdOf(gone));
  const active = rows.find((x) => x.id === keyIdOf(keep));
  assert.match(revoked.revoked, /^\d{4}-\d{2}-\d{2}T/, `revoked column: ${revoked.line}`);
  assert.equal(active.revoked, '-');

  const unknown = cli(['keys', 'revoke', '0123456789abcdef', '--data', dir]);
  assert.equal(unknown.code, 1);
  assert.equal(listKeys(dir).rows.filter((x) => x.revoked !== '-').length, 1);
});
