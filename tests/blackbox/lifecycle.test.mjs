// Covers the server process: data and keys survive a SIGTERM (exit 0) and restart, a second
// serve on the same data directory is refused, SIGTERM drains (in-flight requests complete,
// new connections are refused, then exit 0), and the per-client-IP connection limit.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  BIN, SLOW, startServer, api, createKey, connect, readResponse, rawHttp, parseResponse,
  closedWithin, connectRefused, waitFor, sleep, tempDir, rmTemp, VALID_CALL, EXIT_TIMEOUT_MS,
  ON_PG,
} from './lib.mjs';

const servers = [];
const dirs = [];
async function serve(opts) {
  const s = await startServer(opts);
  servers.push(s);
  return s;
}
after(async () => {
  for (const s of servers) await s.kill();
  for (const d of dirs) rmTemp(d);
});

// Time for the server to read bytes we have just written before we signal it. Not a timing
// assertion: nothing observable from outside says "the server has parsed these headers".
const SETTLE_MS = 300 * SLOW;

test('a call and the keys survive SIGTERM (exit 0) and a restart on the same data directory', async () => {
  const dir = tempDir();
  dirs.push(dir);
  const first = await serve({ dataDir: dir });
  const token = first.token;
  const created = await api(first.base, token).createCall();
  const createdText = await created.text();
  assert.equal(created.status, 201, createdText);
  const { id } = JSON.parse(createdText);
  const before = await api(first.base, token).getCall(id);
  const beforeText = await before.text();
  assert.equal(before.status, 200, beforeText);
  const laterKey = createKey(dir, 'default', 'voice:read');
  assert.equal(await first.stop(), 0, 'SIGTERM exits 0');

  const second = await serve({ dataDir: dir });
  const after = await api(second.base, token).getCall(id);
  const afterText = await after.text();
  assert.equal(after.status, 200, `old token and call after restart: ${afterText}`);
  assert.equal(afterText, beforeText, 'same body after restart');
  assert.deepEqual(JSON.parse(afterText), JSON.parse(createdText));
  const viaLater = await api(second.base, laterKey).getCall(id);
  assert.equal(viaLater.status, 200, await viaLater.text());
  assert.equal(await second.stop(), 0);
});

// The lock is a file next to the SQLite database. On PostgreSQL several instances share one
// database by design (scale-out), so there is nothing to refuse.
test('a second serve on the same data directory refuses to start (exit 1)', {
  skip: ON_PG && 'SQLite only: on PostgreSQL several serves share a database by design',
}, async () => {
  const first = await serve();
  const proc = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--data', first.dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d) => { stderr += d; });
  const killer = setTimeout(() => proc.kill('SIGKILL'), EXIT_TIMEOUT_MS);
  const [code] = await new Promise((resolve) => proc.on('exit', (...a) => resolve(a)));
  clearTimeout(killer);
  assert.equal(code, 1, `second serve exit code; stderr: ${stderr}`);
  assert.match(stderr, /another callproof serve is using/);
  // The first server is unaffected.
  const res = await fetch(`${first.base}/v1/health`);
  assert.equal(res.status, 200);
  await res.text();
  assert.equal(await first.stop(), 0);
});

test('a request in flight at SIGTERM completes with 201 and the server then exits 0', async () => {
  const srv = await serve();
  const body = JSON.stringify(VALID_CALL);
  const half = Math.floor(body.length / 2);
  const s = await connect(srv.port);
  try {
    const response = readResponse(s, { timeoutMs: EXIT_TIMEOUT_MS });
    response.catch(() => {}); // examined below
    s.write(rawHttp('POST', '/api/v1/calls', {
      Authorization: `Bearer ${srv.token}`,
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
    }, body.slice(0, half)));
    await sleep(SETTLE_MS);
    srv.proc.kill('SIGTERM');
    // Draining has begun once the listening socket is gone.
    await waitFor(() => connectRefused(srv.port), { what: 'new connections to be refused after SIGTERM' });
    await sleep(SETTLE_MS);
    assert.ok(srv.isRunning(), 'the server waits for the in-flight request');
    if (!s.destroyed) s.write(body.slice(half));
    const r = parseResponse(await response);
    assert.equal(r.status, 201, r.body);
    assert.equal(JSON.parse(r.body).to_number, VALID_CALL.to_number);
  } finally {
    s.destroy();
  }
  assert.equal(await srv.stop(), 0, 'exit code after draining');
});

test('after SIGTERM new connections are refused while an in-flight request is still answered', async () => {
  const srv = await serve();
  const s = await connect(srv.port);
  try {
    // A complete request first, so the connection is known to be served; then the start of a
    // second request whose header block is left unfinished.
    let res = readResponse(s);
    s.write(rawHttp('GET', '/v1/health'));
    assert.equal(parseResponse(await res).status, 200);
    s.write('GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: drain-1\r\n');
    await sleep(SETTLE_MS);
    srv.proc.kill('SIGTERM');
    await waitFor(() => connectRefused(srv.port), { what: 'new connections to be refused after SIGTERM' });
    assert.ok(srv.isRunning(), 'still running while a request is in flight');
    res = readResponse(s, { timeoutMs: EXIT_TIMEOUT_MS });
    s.write('\r\n');
    const r = parseResponse(await res);
    assert.equal(r.status, 200, r.body);
    assert.equal(r.headers['x-request-id'], 'drain-1');
  } finally {
    s.destroy();
  }
  assert.equal(await srv.stop(), 0);
});

test('connections beyond --max-connections-per-ip are closed at once while the others are served', async () => {
  const srv = await serve({ args: ['--max-connections-per-ip', '4'] });
  const socks = [];
  try {
    for (let i = 0; i < 6; i++) {
      const s = await connect(srv.port);
      s.on('error', () => {}); // a reset of a refused connection is expected
      socks.push(s);
    }
    const closed = await Promise.all(socks.map((s) => closedWithin(s, 2000 * SLOW)));
    const nClosed = closed.filter(Boolean).length;
    assert.equal(nClosed, 2, `closed by the server: ${JSON.stringify(closed)}`);
    const open = socks.find((s, i) => !closed[i]);
    const res = readResponse(open);
    open.write(rawHttp('GET', '/v1/health'));
    assert.equal(parseResponse(await res).status, 200);
  } finally {
    for (const s of socks) s.destroy();
  }
  assert.equal(await srv.stop(), 0);
});

test('a client from another address is served while 127.0.0.1 is at its connection limit', async (t) => {
  const srv = await serve({ args: ['--max-connections-per-ip', '2'] });
  const socks = [];
  try {
    for (let i = 0; i < 3; i++) {
      const s = await connect(srv.port);
      s.on('error', () => {});
      socks.push(s);
    }
    const closed = await Promise.all(socks.map((s) => closedWithin(s, 2000 * SLOW)));
    assert.equal(closed.filter(Boolean).length, 1, `127.0.0.1 is at its limit: ${JSON.stringify(closed)}`);
    let other;
    try {
      other = await connect(srv.port, { localAddress: '127.0.0.2' });
    } catch (e) {
      t.skip(`cannot bind 127.0.0.2 here: ${e.message}`);
      return;
    }
    socks.push(other);
    const res = readResponse(other);
    other.write(rawHttp('GET', '/v1/health'));
    assert.equal(parseResponse(await res).status, 200);
  } finally {
    for (const s of socks) s.destroy();
  }
  assert.equal(await srv.stop(), 0);
});

test('everything the server writes in the data directory is readable by its owner only', async () => {
  const { readdirSync, statSync } = await import('node:fs');
  const { join } = await import('node:path');
  const dir = tempDir();
  dirs.push(dir);
  const s = await serve({ dataDir: dir });
  const created = await api(s.base, s.token).createCall();
  assert.equal(created.status, 201, await created.text());
  const entries = readdirSync(dir);
  if (!ON_PG) assert.ok(entries.includes('callproof.db'), `callproof.db in ${entries}`);
  for (const name of entries) {
    const mode = statSync(join(dir, name)).mode & 0o777;
    assert.equal(mode & 0o077, 0, `${name} has mode ${mode.toString(8)}`);
  }
  assert.equal(await s.stop(), 0);
});
