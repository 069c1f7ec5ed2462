// Covers request validation before any handler runs: 404 for unknown paths, 405 with Allow,
// 400 bad_path / bad_query, 413 body_too_large (Content-Length and chunked), 414 url_too_long
// (flag and env), 415 unsupported_media_type, 400 invalid_json, 431 headers_too_large (count
// and bytes), with the limits' exact boundaries, and the idle and body timeouts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, api, expectError, rawRequest, rawHttp, parseResponse, assertErrorBody, VALID_CALL, assertCleanExit,
  connect, closedWithin, readResponse, sleep, SLOW,
} from './lib.mjs';

const MAX_BODY = 2048;
const MAX_URL = 512;
const MAX_HEADERS = 16;
const MAX_HEADER_BYTES = 2048;

let srv;
let c;
before(async () => {
  srv = await startServer({
    args: ['--max-body-bytes', String(MAX_BODY), '--max-url-bytes', String(MAX_URL), '--max-headers', String(MAX_HEADERS),
      '--max-header-bytes', String(MAX_HEADER_BYTES)],
  });
  c = api(srv.base, srv.token);
});
after(async () => { await srv?.dispose(); });

async function raw(text) {
  return parseResponse(await rawRequest(srv.port, text));
}

test('an unknown path is 404 not_found', async () => {
  await expectError(await fetch(`${srv.base}/v1/nothing-here`), 404, 'not_found');
  await expectError(await fetch(`${srv.base}/api/v1/nothing`), 404, 'not_found');
  await expectError(await fetch(`${srv.base}/`), 404, 'not_found');
});

test('an unsupported method on a known path is 405 with an Allow header', async () => {
  const del = await fetch(`${srv.base}/v1/health`, { method: 'DELETE' });
  assert.equal(del.headers.get('allow'), 'GET, HEAD');
  await expectError(del, 405, 'method_not_allowed');
  const put = await c.request('PUT', '/api/v1/calls', { body: VALID_CALL });
  assert.match(put.headers.get('allow') || '', /\bPOST\b/);
  await expectError(put, 405, 'method_not_allowed');
});

test('dot-dot, NUL, encoded-slash and invalid escapes in the path are 400 bad_path', async () => {
  for (const target of ['/v1/%2e%2e/x', '/v1/health%00', '/v1/a%2Fb', '/v1/%zz', '/v1/../v1/health']) {
    const r = await raw(rawHttp('GET', target));
    assert.equal(r.status, 400, `${target}: ${r.body}`);
    assert.match(r.headers['content-type'], /^application\/json/);
    assertErrorBody(r.body, 'bad_path');
  }
});

test('a repeated query parameter is 400 bad_query naming it', async () => {
  await expectError(await fetch(`${srv.base}/v1/health?a=1&a=2`), 400, 'bad_query', { field: 'a' });
});

test('a body larger than --max-body-bytes with Content-Length is 413 body_too_large', async () => {
  const body = JSON.stringify({ ...VALID_CALL, pad: 'x'.repeat(MAX_BODY) });
  assert.ok(body.length > MAX_BODY);
  await expectError(await c.createCall(body), 413, 'body_too_large');
});

test('a body of exactly --max-body-bytes is accepted', async () => {
  const json = JSON.stringify(VALID_CALL);
  const body = json + ' '.repeat(MAX_BODY - json.length); // trailing whitespace is valid JSON
  assert.equal(Buffer.byteLength(body), MAX_BODY);
  const res = await c.createCall(body);
  assert.equal(res.status, 201, await res.text());
});

test('a chunked body larger than --max-body-bytes is 413 body_too_large', async () => {
  const chunk = 'x'.repeat(1000);
  const chunks = `${Array(4).fill(`3e8\r\n${chunk}\r\n`).join('')}0\r\n\r\n`;
  const r = await raw(rawHttp('POST', '/api/v1/calls', {
    Authorization: `Bearer ${srv.token}`,
    'Content-Type': 'application/json',
    'Transfer-Encoding': 'chunked',
  }, chunks));
  assert.equal(r.status, 413, r.body);
  assertErrorBody(r.body, 'body_too_large');
});

test('a chunked body within the limit is accepted', async () => {
  const json = JSON.stringify(VALID_CALL);
  const half = Math.floor(json.length / 2);
  const parts = [json.slice(0, half), json.slice(half)];
  const body = `${parts.map((p) => `${Buffer.byteLength(p).toString(16)}\r\n${p}\r\n`).join('')}0\r\n\r\n`;
  const r = await raw(rawHttp('POST', '/api/v1/calls', {
    Authorization: `Bearer ${srv.token}`,
    'Content-Type': 'application/json',
    'Transfer-Encoding': 'chunked',
  }, body));
  assert.equal(r.status, 201, r.body);
  assert.equal(JSON.parse(r.body).from_number, VALID_CALL.from_number);
});

test('a URL longer than --max-url-bytes is 414 url_too_long; one of exactly the limit is not', async () => {
  const exact = `/v1/${'a'.repeat(MAX_URL - 4)}`;
  assert.equal(exact.length, MAX_URL);
  const ok = await raw(rawHttp('GET', exact));
  assert.equal(ok.status, 404, 'a URL at the limit is routed (and not found)');
  const long = await raw(rawHttp('GET', `${exact}b`));
  assert.equal(long.status, 414, long.body);
  assertErrorBody(long.body, 'url_too_long');
  const q = await fetch(`${srv.base}/v1/health?x=${'q'.repeat(MAX_URL)}`);
  await expectError(q, 414, 'url_too_long');
});

test('the URL limit can be set with the CALLPROOF_MAX_URL_BYTES environment variable', async () => {
  const envSrv = await startServer({ env: { CALLPROOF_MAX_URL_BYTES: '300' } });
  try {
    const short = await fetch(`${envSrv.base}/v1/health`);
    assert.equal(short.status, 200);
    await short.text();
    await expectError(await fetch(`${envSrv.base}/v1/${'a'.repeat(400)}`), 414, 'url_too_long');
  } finally {
    await envSrv.dispose();
  }
});

test('a JSON endpoint refuses Content-Type text/plain with 415 unsupported_media_type', async () => {
  const res = await c.request('POST', '/api/v1/calls', {
    body: JSON.stringify(VALID_CALL), headers: { 'Content-Type': 'text/plain' },
  });
  await expectError(res, 415, 'unsupported_media_type');
});

test('malformed JSON is 400 invalid_json with the line and column in the message', async () => {
  const body = await expectError(await c.createCall('{\n  "a":'), 400, 'invalid_json');
  assert.match(body.message, /line\s*\d+/i);
  assert.match(body.message, /col(umn)?\s*\d+/i);
});

test('a JSON array body is 400 invalid_json', async () => {
  await expectError(await c.createCall('[1,2]'), 400, 'invalid_json');
});

test('a JSON object with a duplicate key is 400 invalid_json', async () => {
  const body = await expectError(await c.createCall('{"type":"a","type":"b"}'), 400, 'invalid_json', { fieldOptional: true });
  if ('field' in body) assert.equal(body.field, 'type');
});

test('more headers than --max-headers is 431 headers_too_large; exactly the limit is fine', async () => {
  const extra = (n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`X-Filler-${i}`, 'v']));
  // rawHttp always sends Host, so Host + (MAX_HEADERS - 1) fillers = exactly the limit.
  const atLimit = await raw(rawHttp('GET', '/v1/health', extra(MAX_HEADERS - 1)));
  assert.equal(atLimit.status, 200, atLimit.body);
  const over = await raw(rawHttp('GET', '/v1/health', extra(MAX_HEADERS)));
  assert.equal(over.status, 431, over.body);
  assertErrorBody(over.body, 'headers_too_large');
});

test('headers larger in total than --max-header-bytes are 431 headers_too_large', async () => {
  const ok = await raw(rawHttp('GET', '/v1/health', { 'X-Big': 'v'.repeat(MAX_HEADER_BYTES / 2) }));
  assert.equal(ok.status, 200, ok.body);
  const over = await raw(rawHttp('GET', '/v1/health', { 'X-Big': 'v'.repeat(MAX_HEADER_BYTES + 100) }));
  assert.equal(over.status, 431, over.body);
  assertErrorBody(over.body, 'headers_too_large');
});

test('a connection left idle longer than --idle-timeout-s is closed by the server', async () => {
  const s2 = await startServer({ args: ['--idle-timeout-s', '1'] });
  try {
    const sock = await connect(s2.port);
    try {
      const res = readResponse(sock);
      sock.write(rawHttp('GET', '/v1/health'));
      assert.equal(parseResponse(await res).status, 200);
      // Then send nothing: the server must hang up on its own.
      assert.equal(await closedWithin(sock, 30000 * SLOW), true, 'idle connection closed');
    } finally {
      sock.destroy();
    }
  } finally {
    await s2.dispose();
  }
});

test('a body still arriving after --body-timeout-s is cut off and never processed', async () => {
  const s2 = await startServer({ args: ['--body-timeout-s', '1'] });
  try {
    const body = JSON.stringify(VALID_CALL);
    const sock = await connect(s2.port);
    try {
      let got = '';
      sock.on('data', (d) => { got += d.toString('latin1'); });
      sock.write(rawHttp('POST', '/api/v1/calls', {
        Authorization: `Bearer ${s2.token}`,
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body),
      }, body.slice(0, 10)));
      await sleep(2500); // inherent: let the 1 s deadline pass
      if (!sock.destroyed) sock.write(body.slice(10));
      assert.equal(await closedWithin(sock, 30000 * SLOW), true, 'late request closed');
      assert.doesNotMatch(got, /HTTP\/1\.1 2\d\d/, `a late body must not be processed: ${got}`);
    } finally {
      sock.destroy();
    }
  } finally {
    await s2.dispose();
  }
});

test('the server shuts down cleanly (exit 0, no sanitizer report) after all of the above', async () => {
  await assertCleanExit(srv);
});
