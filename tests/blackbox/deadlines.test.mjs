// Connection deadlines and over-limit bodies, on one server with short limits:
//  - a client trickling its header bytes is cut off once --header-timeout-s has passed since
//    it connected (libmicrohttpd's idle timeout alone restarts at every byte);
//  - a kept-alive connection gets --idle-timeout-s plus --header-timeout-s for its next request,
//    so an ordinary idle pause is not cut short;
//  - SIGTERM does not wait --shutdown-timeout-s for connections that never sent their headers;
//  - a client that sends a whole over-limit body without waiting reads the 413 envelope (the
//    body is read and discarded up to a bound, not answered with a reset), every time;
//  - an endless over-limit chunked body is cut off after that bound, long before the body
//    deadline.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  SLOW, startServer, connect, readResponse, parseResponse, assertErrorBody, rawHttp, closedWithin,
  send, sleep, assertCleanExit, VALID_CALL,
} from './lib.mjs';

const HEADER_S = 2 * SLOW;
const IDLE_S = 4 * SLOW;
const BODY_S = 60;
const srv = await startServer({
  args: ['--header-timeout-s', String(HEADER_S), '--idle-timeout-s', String(IDLE_S),
    '--body-timeout-s', String(BODY_S), '--max-body-bytes', '65536', '--shutdown-timeout-s', '60'],
});
const auth = { Authorization: `Bearer ${srv.token}` };

// Write text one byte every ms milliseconds (the first `at_once` bytes at once) until the
// socket closes or the text is sent.
function trickle(s, text, ms, at_once = 0) {
  if (at_once > 0) s.write(text.slice(0, at_once));
  let i = at_once;
  const timer = setInterval(() => {
    if (s.destroyed || i >= text.length) {
      clearInterval(timer);
      return;
    }
    s.write(text[i++]);
  }, ms);
  return () => clearInterval(timer);
}

test('a connection trickling its headers is cut off at the header deadline', async () => {
  const s = await connect(srv.port);
  const start = Date.now();
  const stop = trickle(s, rawHttp('GET', '/v1/health', { 'X-Pad': 'p'.repeat(2000) }), 100);
  const closed = await closedWithin(s, (HEADER_S + 5) * 1000);
  const ms = Date.now() - start;
  stop();
  s.destroy();
  assert.ok(closed, `still open after ${HEADER_S + 5} s of trickling`);
  assert.ok(ms >= HEADER_S * 1000 - 200, `cut after ${ms} ms, before the ${HEADER_S} s deadline`);
});

test('a kept-alive connection may idle without being cut before the idle timeout', async () => {
  const s = await connect(srv.port);
  try {
    const first = readResponse(s);
    s.write(rawHttp('GET', '/v1/health'));
    assert.equal(parseResponse(await first).status, 200);
    // Longer than the header deadline, shorter than idle + header.
    await sleep((HEADER_S + 0.5) * 1000);
    assert.ok(!s.destroyed && !s.readableEnded, 'closed while idle between requests');
    const second = readResponse(s);
    s.write(rawHttp('GET', '/v1/health'));
    assert.equal(parseResponse(await second).status, 200);
  } finally {
    s.destroy();
  }
});

test('a whole over-limit body sent without waiting gets its 413, every time', async () => {
  // Larger than the socket buffers, so that the client is still sending when the answer is
  // ready; within the discard bound.
  const body = JSON.stringify({ ...VALID_CALL, transcript: 'x'.repeat(6 * 1024 * 1024) });
  for (let i = 0; i < 10; i++) {
    const s = await connect(srv.port);
    try {
      const res = readResponse(s, { untilClose: true });
      s.write(rawHttp('POST', '/api/v1/calls', { ...auth, 'Content-Type': 'application/json',
        'Content-Length': String(Buffer.byteLength(body)) }, body));
      const text = await res;
      const r = parseResponse(text);
      assert.equal(r.status, 413, `attempt ${i}: ${text.slice(0, 200)}`);
      assertErrorBody(r.body, 'body_too_large');
      assert.equal(r.headers.connection, 'close');
    } finally {
      s.destroy();
    }
  }
  // Chunked, no declared length: the same answer.
  const s = await connect(srv.port);
  try {
    const res = readResponse(s, { untilClose: true });
    const chunk = (d) => `${Buffer.byteLength(d).toString(16)}\r\n${d}\r\n`;
    s.write(rawHttp('POST', '/api/v1/calls', { ...auth, 'Content-Type': 'application/json',
      'Transfer-Encoding': 'chunked' }, `${chunk(body.slice(0, 100000))}${chunk(body.slice(100000))}0\r\n\r\n`));
    const r = parseResponse(await res);
    assert.equal(r.status, 413);
    assertErrorBody(r.body, 'body_too_large');
  } finally {
    s.destroy();
  }
});

test('an endless over-limit chunked body is cut off long before the body deadline', async () => {
  const s = await connect(srv.port);
  const start = Date.now();
  s.write(rawHttp('POST', '/api/v1/calls', { ...auth, 'Content-Type': 'application/json',
    'Transfer-Encoding': 'chunked' }));
  const data = 'a'.repeat(65536);
  const chunk = `${data.length.toString(16)}\r\n${data}\r\n`;
  let sent = 0;
  let closed = false;
  s.on('close', () => { closed = true; });
  while (!closed && !s.destroyed && Date.now() - start < BODY_S * 1000) {
    if (!s.write(chunk)) await new Promise((r) => { s.once('drain', r); setTimeout(r, 100); });
    sent += chunk.length;
  }
  const ms = Date.now() - start;
  s.destroy();
  assert.ok(closed, 'never cut off');
  assert.ok(ms < (BODY_S / 2) * 1000, `cut off only after ${ms} ms (${sent} bytes)`);
  assert.ok(sent < 64 * 1024 * 1024, `${sent} bytes were accepted before the cut`);
});

test('SIGTERM does not wait for connections that never sent their headers', async () => {
  const s = await connect(srv.port);
  // The request line and a first header at once: the request is under way when SIGTERM comes.
  const stop = trickle(s, rawHttp('GET', '/v1/health', { 'X-Pad': 'p'.repeat(5000) }), 200, 40);
  await sleep(300);
  // And a normal request still completes before the drain.
  const ok = await send(srv.base, srv.token, 'GET', '/api/v1/calls?page_size=1');
  assert.equal(ok.status, 200);
  const start = Date.now();
  await assertCleanExit(srv);
  const ms = Date.now() - start;
  stop();
  s.destroy();
  assert.ok(ms < 20000 * SLOW, `shutdown took ${ms} ms with a trickling client (shutdown timeout 60 s)`);
});
