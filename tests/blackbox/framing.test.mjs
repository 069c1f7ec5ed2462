// Covers HTTP/1.1 message framing over raw sockets: duplicate Content-Length, Content-Length
// with Transfer-Encoding, and unsupported transfer codings are answered (never left hanging)
// with 400 bad_framing in the JSON envelope, and nothing after them on the connection runs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, rawRequest, parseResponse, assertErrorBody, SLOW, assertCleanExit } from './lib.mjs';

// A few seconds to answer; more for the (much slower) ASan build.
const ANSWER_MS = 5000 * SLOW;

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv?.dispose(); });

const head = (extra) => `POST /api/v1/calls HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}\r\n`;

async function expectBadFraming(text) {
  const raw = await rawRequest(srv.port, text, { timeoutMs: ANSWER_MS, untilClose: false });
  const r = parseResponse(raw);
  assert.match(r.statusLine, /^HTTP\/1\.1 400 /, raw);
  assert.match(r.headers['content-type'], /^application\/json/);
  assert.ok(r.headers['x-request-id'], 'X-Request-Id present');
  assertErrorBody(r.body, 'bad_framing');
  return r;
}

test('two Content-Length headers (5 and 50) are 400 bad_framing', async () => {
  await expectBadFraming(`${head('Content-Length: 5\r\nContent-Length: 50\r\n')}hello`);
});

test('two equal Content-Length headers are 400 bad_framing too', async () => {
  await expectBadFraming(`${head('Content-Length: 5\r\nContent-Length: 5\r\n')}hello`);
});

test('Content-Length together with Transfer-Encoding: chunked is 400 bad_framing', async () => {
  await expectBadFraming(`${head('Content-Length: 5\r\nTransfer-Encoding: chunked\r\n')}5\r\nhello\r\n0\r\n\r\n`);
});

test('Transfer-Encoding: gzip is answered with 400 bad_framing, not left hanging', async () => {
  await expectBadFraming(`${head('Transfer-Encoding: gzip\r\n')}hello`);
});

test('Transfer-Encoding: gzip, chunked is 400 bad_framing', async () => {
  await expectBadFraming(`${head('Transfer-Encoding: gzip, chunked\r\n')}5\r\nhello\r\n0\r\n\r\n`);
});

test('a request smuggled after a badly framed one on the same connection is never answered', async () => {
  const smuggled = 'GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
  const text = `${head(`Content-Length: 5\r\nContent-Length: ${5 + smuggled.length}\r\n`)}hello${smuggled}`;
  const raw = await rawRequest(srv.port, text, { timeoutMs: ANSWER_MS, untilClose: true });
  const statusLines = raw.match(/HTTP\/1\.1 \d{3}/g) || [];
  assert.deepEqual(statusLines, ['HTTP/1.1 400'], `exactly one response, got: ${JSON.stringify(raw)}`);
  const r = parseResponse(raw);
  assert.match(r.headers.connection || '', /close/i, 'the server closes the connection');
  assertErrorBody(r.body, 'bad_framing');
});

test('the server shuts down cleanly (exit 0, no sanitizer report) after all of the above', async () => {
  await assertCleanExit(srv);
});
