// Covers GET/HEAD /v1/health (no auth), its 405 for other methods, the X-Request-Id header on
// every response (echoed when sane, generated otherwise) and the one-line-per-request log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, expectError, rawRequest, parseResponse, waitFor, assertCleanExit, ON_PG } from './lib.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv?.dispose(); });

test('GET /v1/health answers 200 with status, versions, store and uptime without auth', async () => {
  const res = await fetch(`${srv.base}/v1/health`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  const j = await res.json();
  assert.equal(j.status, 'ok');
  assert.equal(j.version, '0.1.0');
  assert.equal(j.store, ON_PG ? 'postgres' : 'sqlite');
  assert.ok(Number.isInteger(j.schema_version) && j.schema_version >= 1, `schema_version ${j.schema_version}`);
  assert.ok(Number.isInteger(j.uptime_seconds) && j.uptime_seconds >= 0, `uptime_seconds ${j.uptime_seconds}`);
  assert.equal(j.libmicrohttpd, '0.9.75');
});

test('HEAD /v1/health gives the same status and headers as GET and an empty body', async () => {
  const get = await rawRequest(srv.port, 'GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', { untilClose: true });
  const head = await rawRequest(srv.port, 'HEAD /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', { untilClose: true });
  const g = parseResponse(get);
  const h = parseResponse(head);
  assert.equal(h.status, 200);
  assert.equal(h.status, g.status);
  // Nothing after the header block: the raw HEAD response ends right after the blank line.
  assert.ok(head.endsWith('\r\n\r\n'), `HEAD response carries a body: ${JSON.stringify(head)}`);
  assert.ok(g.body.length > 0);
  // Headers that legitimately differ between two requests: Date, X-Request-Id, and
  // Content-Length if uptime_seconds gained a digit in between.
  const strip = (hdrs) => {
    const o = { ...hdrs };
    delete o.date;
    delete o['x-request-id'];
    delete o['content-length'];
    return o;
  };
  assert.deepEqual(strip(h.headers), strip(g.headers));
  assert.ok(h.headers['x-request-id'], 'HEAD has X-Request-Id');
  assert.equal('content-length' in h.headers, 'content-length' in g.headers);
});

test('POST /v1/health is refused with 405 method_not_allowed and Allow: GET, HEAD', async () => {
  const res = await fetch(`${srv.base}/v1/health`, { method: 'POST' });
  assert.equal(res.headers.get('allow'), 'GET, HEAD');
  await expectError(res, 405, 'method_not_allowed');
});

test('a sane client X-Request-Id is echoed back', async () => {
  const res = await fetch(`${srv.base}/v1/health`, { headers: { 'X-Request-Id': 'abc-123' } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-request-id'), 'abc-123');
});

test('an unsafe client X-Request-Id is replaced by a generated req_ id', async () => {
  for (const bad of ['has spaces in it', 'semi;colon', 'x'.repeat(300), '<script>']) {
    const res = await fetch(`${srv.base}/v1/health`, { headers: { 'X-Request-Id': bad } });
    assert.equal(res.status, 200);
    const rid = res.headers.get('x-request-id');
    assert.notEqual(rid, bad);
    assert.match(rid, /^req_[0-9A-Za-z]+$/, `generated id for ${JSON.stringify(bad)}`);
  }
});

test('requests without X-Request-Id get distinct generated ids, errors included', async () => {
  const a = await fetch(`${srv.base}/v1/health`);
  const b = await fetch(`${srv.base}/v1/does-not-exist`);
  await a.text();
  await expectError(b, 404, 'not_found');
  const ra = a.headers.get('x-request-id');
  const rb = b.headers.get('x-request-id');
  assert.match(ra, /^req_/);
  assert.match(rb, /^req_/);
  assert.notEqual(ra, rb);
});

test('each request is logged on stderr with its request id, tenant, method, route and status', async () => {
  const ok = await fetch(`${srv.base}/v1/health`, { headers: { 'X-Request-Id': 'log-ok-1' } });
  await ok.text();
  const missing = await fetch(`${srv.base}/v1/nowhere`, { headers: { 'X-Request-Id': 'log-404-1' } });
  await missing.text();
  const lineFor = (rid) => srv.stderr().split('\n').find((l) => l.includes(`rid=${rid} `) || l.endsWith(`rid=${rid}`));
  const l1 = await waitFor(() => lineFor('log-ok-1'), { what: 'log line for log-ok-1' });
  // The whole line: time, level, request id, tenant, method, route, status, bytes, duration.
  assert.match(l1, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info rid=log-ok-1 tenant=- GET \/v1\/health 200 [1-9]\d*B \d+\.\d{3}ms$/);
  assert.match(l1, / GET /);
  assert.match(l1, / \/v1\/health /);
  assert.match(l1, / 200\b/);
  const l2 = await waitFor(() => lineFor('log-404-1'), { what: 'log line for log-404-1' });
  assert.match(l2, /tenant=- /);
  assert.match(l2, / GET - 404\b/, `unmatched route is logged as '-': ${l2}`);
  assert.match(l2, / 404 [1-9]\d*B \d+\.\d{3}ms err=not_found$/, l2);
});

test('the server shuts down cleanly (exit 0, no sanitizer report) after all of the above', async () => {
  await assertCleanExit(srv);
});
