// Slow-client abuse on loopback, bounded in time and count (docs/RELIABILITY.md, "not yet
// proven"): 1,000 slow-header (slowloris) connections, slow bodies and slow readers must not
// stop a normal client from getting its answers, and each kind of abuser is cut off in bounded
// time; oversized headers, URLs and bodies get 431/414/413 and the connection is closed; the
// per-address connection limit refuses the 21st connection from 127.0.0.2 while 127.0.0.3 and
// 127.0.0.1 are still served.
//
// Linux routes all of 127.0.0.0/8 to the loopback interface, so binding the client side of a
// connection to 127.0.0.x (net.connect's localAddress) makes the server see distinct addresses
// without any network setup.
//
// Figures (latencies, counts, cut-off times) are printed as test diagnostics (`# ...` lines).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  startServer, connect, readResponse, rawHttp, parseResponse, assertErrorBody, assertCleanExit,
  waitFor, sleep, SLOW, VALID_CALL,
} from './lib.mjs';

// Short timeouts so every abuser is cut off within the test. The body deadline is longer than
// the idle timeout so the slow bodies (which send a byte a second and so are never idle) can
// only be cut off by the body deadline, and they are still open while the normal client's
// latency is measured.
const IDLE_S = 3;
const BODY_S = 5;

// --- bookkeeping: every socket this file opens is destroyed at the end, pass or fail --------

const sockets = new Set();
const timers = new Set();
const servers = [];
after(async () => {
  for (const t of timers) clearInterval(t);
  for (const s of sockets) s.destroy();
  for (const s of servers) await s.kill();
});

/** Connect from localAddress (default 127.0.0.1); the socket records when the server closed
 * it (closedAt, ms since the epoch) and what it sent (got). */
async function open(port, localAddress = '127.0.0.1') {
  const s = await connect(port, { localAddress });
  sockets.add(s);
  s.closedAt = null;
  s.got = 0;
  s.text = '';
  const closed = () => { if (s.closedAt === null) s.closedAt = Date.now(); };
  s.on('end', closed);
  s.on('close', () => { closed(); sockets.delete(s); });
  return s;
}

/** Keep the first bytes the server sends on s (the abusers are not expected to get more). */
function record(s) {
  s.on('data', (d) => {
    s.got += d.length;
    if (s.text.length < 4096) s.text += d.toString('latin1');
  });
}

function destroy(s) {
  s.destroy();
  sockets.delete(s);
}

/** One request on a keep-alive socket; resolves {res, ms}. */
async function request(s, method, target, { headers = {}, body = '' } = {}) {
  const h = { ...headers };
  if (body) h['Content-Length'] = String(Buffer.byteLength(body));
  const p = readResponse(s, { timeoutMs: 10000 * SLOW });
  const t0 = process.hrtime.bigint();
  s.write(rawHttp(method, target, h, body));
  const text = await p;
  return { res: parseResponse(text), ms: Number(process.hrtime.bigint() - t0) / 1e6 };
}

/** A request on a fresh connection (connect included in the time), closed afterwards. */
async function freshRequest(port, target, headers = {}, localAddress = '127.0.0.1') {
  const t0 = process.hrtime.bigint();
  const s = await open(port, localAddress);
  try {
    const p = readResponse(s, { timeoutMs: 10000 * SLOW });
    s.write(rawHttp('GET', target, { ...headers, Connection: 'close' }));
    const res = parseResponse(await p);
    return { res, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
  } finally {
    destroy(s);
  }
}

const quantile = (xs, q) => {
  const v = [...xs].sort((a, b) => a - b);
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1))];
};
const fmt = (ms) => `${ms.toFixed(2)} ms`;

/**
 * The normal client: 100 sequential GET /api/v1/calls/{id} with a token on one keep-alive
 * connection, and 100 sequential GET /v1/health each on a new connection (so the accept path,
 * which is what slot exhaustion would block, is measured too). Every answer must be 200.
 */
async function measure(srv, callId, n = 100) {
  const auth = { Authorization: `Bearer ${srv.token}` };
  const s = await open(srv.port);
  const keepAlive = [];
  const fresh = [];
  try {
    for (let i = 0; i < 5; i++) await request(s, 'GET', `/api/v1/calls/${callId}`, { headers: auth }); // warm-up
    for (let i = 0; i < n; i++) {
      const { res, ms } = await request(s, 'GET', `/api/v1/calls/${callId}`, { headers: auth });
      assert.equal(res.status, 200, `GET /api/v1/calls/{id} #${i}: ${res.body}`);
      keepAlive.push(ms);
    }
  } finally {
    destroy(s);
  }
  for (let i = 0; i < n; i++) {
    const { res, ms } = await freshRequest(srv.port, '/v1/health');
    assert.equal(res.status, 200, `GET /v1/health #${i}: ${res.body}`);
    fresh.push(ms);
  }
  const stats = (xs) => ({ p50: quantile(xs, 0.5), p99: quantile(xs, 0.99), max: Math.max(...xs) });
  return { keepAlive: stats(keepAlive), fresh: stats(fresh) };
}

/**
 * Trickle one byte a second to each of conns ({sock, next() -> next byte}), spread evenly over
 * the second (a 20 ms tick writes to 1/50 of them) so the test's own event loop, which also
 * times the normal client, never stalls on a burst of 1,000 writes. Returns stop().
 */
function trickle(conns) {
  const TICK_MS = 20;
  const perTick = Math.max(1, Math.ceil((conns.length * TICK_MS) / 1000));
  let i = 0;
  const t = setInterval(() => {
    for (let k = 0; k < perTick; k++) {
      const c = conns[i++ % conns.length];
      if (c.sock.closedAt === null && !c.sock.destroyed) {
        c.sock.write(c.next());
        c.lastByteAt = Date.now();
      }
    }
  }, TICK_MS);
  timers.add(t);
  return () => { clearInterval(t); timers.delete(t); };
}

/** A byte source: `script` first, then `filler` forever. */
function bytes(script, filler = 'a') {
  let pos = 0;
  return () => (pos < script.length ? script[pos++] : filler);
}

// The fd limit cannot be raised from node. Node raises its soft RLIMIT_NOFILE to the hard
// limit at start and the server inherits it; a shell started from here reports that value.
// Both this process and the server need one descriptor per slow connection plus some spare.
function fdLimit() {
  const r = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' });
  const v = r.stdout.trim();
  return v === 'unlimited' ? Infinity : Number(v) || 1024;
}

test('1,000 slow-header connections, slow bodies and slow readers do not starve a normal client, and each is cut off in bounded time', async (t) => {
  // How many slowloris connections, and from where. The issue asks for 1,000. The defaults are
  // --max-connections 1024 and --max-connections-per-ip 128, so from 127.0.0.1 alone only 128
  // would be held. Raising the per-address limit for the test would test a configuration
  // nobody runs; instead 8 source addresses (127.0.0.10-17) hold 125 connections each, just
  // under the default per-address limit, as 8 attacking hosts would. That fills 1,000 of the
  // default 1,024 slots: the worst case, where the per-address limit does not help and only
  // the total limit and the event loop keep the normal client (127.0.0.1) served. Slow bodies
  // (127.0.0.20), slow readers (127.0.0.21), late headers (127.0.0.22) and the normal client
  // take 12 of the 24 left. (At 1,024 the server accepts no more: a new connection waits in
  // the listen backlog, unanswered, until a slot frees, so a normal client would stall; that is
  // the documented bound, see docs/DESIGN.md "Slow headers".)
  const ADDRS = 8;
  const limit = fdLimit();
  const perAddr = Math.max(1, Math.min(125, Math.floor((limit - 200) / ADDRS)));
  const N = perAddr * ADDRS;
  t.diagnostic(`ulimit -n (as inherited by the server): ${limit}; slow-header connections: ${N} (${ADDRS} addresses x ${perAddr})`);

  const srv = await startServer({ args: ['--idle-timeout-s', String(IDLE_S), '--body-timeout-s', String(BODY_S)] });
  servers.push(srv);
  const auth = { Authorization: `Bearer ${srv.token}`, 'Content-Type': 'application/json' };

  // Setup, over keep-alive raw connections (fetch's pool would hold extra slots): one small call
  // for the normal client, and 100 calls with 10 KB of metadata, so a page of 100 is ~1 MB.
  let callId;
  {
    const s = await open(srv.port);
    const { res } = await request(s, 'POST', '/api/v1/calls', { headers: auth, body: JSON.stringify(VALID_CALL) });
    assert.equal(res.status, 201, res.body);
    callId = JSON.parse(res.body).id;
    destroy(s);
  }
  const pad = 'p'.repeat(10000);
  await Promise.all(Array.from({ length: 4 }, async () => {
    const s = await open(srv.port);
    for (let i = 0; i < 25; i++) {
      const { res } = await request(s, 'POST', '/api/v1/calls', { headers: auth, body: JSON.stringify({ ...VALID_CALL, metadata: { pad } }) });
      assert.equal(res.status, 201, res.body);
    }
    destroy(s);
  }));
  const LIST = '/api/v1/calls?page_size=100';
  let pageBytes;
  {
    const s = await open(srv.port);
    const { res } = await request(s, 'GET', LIST, { headers: auth });
    assert.equal(res.status, 200);
    pageBytes = Buffer.byteLength(res.body, 'latin1');
    destroy(s);
  }

  const base = await measure(srv, callId);
  t.diagnostic(`unloaded: keep-alive GET /api/v1/calls/{id} p50 ${fmt(base.keepAlive.p50)} p99 ${fmt(base.keepAlive.p99)} max ${fmt(base.keepAlive.max)}; `
    + `new-connection GET /v1/health p50 ${fmt(base.fresh.p50)} p99 ${fmt(base.fresh.p99)} max ${fmt(base.fresh.max)}`);

  // --- the abuse -----------------------------------------------------------------------------
  // Slowloris: half send the request line and Host at once and then trickle a header that
  // never ends; half trickle from the first byte of the request line (the server has not even
  // seen a URL for those). Neither ever completes its headers.
  const slow = [];
  const tOpen = Date.now();
  for (let a = 0; a < ADDRS; a++) {
    const addr = `127.0.0.${10 + a}`;
    for (let b = 0; b < perAddr; b += 25) {
      const batch = await Promise.all(Array.from({ length: Math.min(25, perAddr - b) }, () => open(srv.port, addr)));
      for (const sock of batch) {
        record(sock);
        const k = slow.length;
        let next;
        if (k % 2 === 0) {
          sock.write(`GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow-${k}: `);
          next = bytes('');
        } else {
          next = bytes(`GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow-${k}: `);
        }
        slow.push({ sock, next, addr });
      }
    }
  }
  const openMs = Date.now() - tOpen;

  // Slow bodies: headers complete, a declared Content-Length, the body a byte a second.
  const body = JSON.stringify(VALID_CALL);
  const slowBodies = [];
  for (let i = 0; i < 4; i++) {
    const sock = await open(srv.port, '127.0.0.20');
    record(sock);
    sock.write(rawHttp('POST', '/api/v1/calls', { ...auth, 'Content-Length': String(body.length) }));
    slowBodies.push({ sock, next: bytes(body, ' '), startedAt: Date.now() });
  }

  // Slow readers: PIPELINED requests for a ~1 MB page each, and never read (the socket is
  // paused, so the kernel buffers fill: ~3.3 MB on this loopback, where the server's send
  // buffer may grow to net.ipv4.tcp_wmem's 4 MB; far less than the ~11 MB asked for).
  const PIPELINED = 10;
  const slowReaders = [];
  for (let i = 0; i < 4; i++) {
    const sock = await open(srv.port, '127.0.0.21');
    sock.pause();
    sock.write(rawHttp('GET', LIST, { Authorization: auth.Authorization }).repeat(PIPELINED));
    slowReaders.push(sock);
  }
  // Late headers: the request line at once, then a header a byte a second for longer than the
  // body deadline, then the end of the headers. The deadline runs from the request line, so
  // the completed request must be closed, never answered.
  const lateHeaders = [];
  for (let i = 0; i < 2; i++) {
    const sock = await open(srv.port, '127.0.0.22');
    record(sock);
    sock.write(`GET /api/v1/calls/${callId} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${auth.Authorization}\r\nX-Late: `);
    lateHeaders.push({ sock, next: bytes(''), startedAt: Date.now() });
  }
  const t0 = Date.now();
  const stopSlow = trickle(slow);
  const stopBodies = trickle([...slowBodies, ...lateHeaders]);

  // The default per-address limit holds at this scale too: 127.0.0.10 already has perAddr
  // connections; 5 more leave exactly 128 open (when perAddr is 125). Checked at once, before
  // the idle timeout closes the extra ones (they send nothing).
  if (perAddr + 5 > 128) {
    const extra = [];
    for (let i = 0; i < 5; i++) {
      const sock = await open(srv.port, '127.0.0.10');
      record(sock);
      extra.push(sock);
    }
    const from10 = [...slow.filter((c) => c.addr === '127.0.0.10').map((c) => c.sock), ...extra];
    const held10 = () => from10.filter((s) => s.closedAt === null).length;
    await waitFor(() => held10() <= 128, { timeoutMs: 5000 * SLOW, what: 'connections over the per-address limit closed' });
    await sleep(200);
    t.diagnostic(`127.0.0.10: ${perAddr} + 5 more opened, ${held10()} held (default --max-connections-per-ip 128)`);
    assert.equal(held10(), 128, 'open connections from 127.0.0.10 with the default per-address limit');
    for (const s of extra) assert.equal(s.got, 0, `a connection over the limit got an answer: ${s.text}`);
    for (const s of extra) destroy(s);
  }

  await sleep(1000); // every slowloris has sent at least one more byte
  const heldAtStart = slow.filter((c) => c.sock.closedAt === null).length;
  const loaded = await measure(srv, callId);
  const tMeasured = Date.now();
  const bodiesOpenDuringMeasure = slowBodies.filter((c) => c.sock.closedAt === null || c.sock.closedAt > tMeasured).length;
  t.diagnostic(`opened ${N} slow-header connections in ${openMs} ms; ${heldAtStart} held by the server when the measurement began; `
    + `${bodiesOpenDuringMeasure}/4 slow bodies still open when it ended (${tMeasured - t0} ms after the abuse began)`);
  t.diagnostic(`under abuse: keep-alive GET /api/v1/calls/{id} p50 ${fmt(loaded.keepAlive.p50)} p99 ${fmt(loaded.keepAlive.p99)} max ${fmt(loaded.keepAlive.max)}; `
    + `new-connection GET /v1/health p50 ${fmt(loaded.fresh.p50)} p99 ${fmt(loaded.fresh.p99)} max ${fmt(loaded.fresh.max)}`);

  // The bound: p99 under abuse <= 3 x unloaded p99 + 500 ms (x SLOW). The absolute floor is
  // needed because the unloaded p99 is a few milliseconds on loopback: a pure ratio would fail
  // on scheduler and disk hiccups of this 2-core VM (the server's threads, this process writing
  // to 1,000 sockets and timing the client share two cores), which are not starvation. With a
  // 20 ms floor a clean-clone CI run failed once on new-connection p99 240.58 ms (max 435 ms;
  // unloaded 3.74 ms) while the disk here was down to ~1,000 fdatasync/s; the run 20 minutes
  // before, on nearly the same code, passed. Starvation (a worker stuck on a slow client, slots
  // exhausted) shows as seconds, or as no answer at all.
  for (const kind of ['keepAlive', 'fresh']) {
    const bound = 3 * base[kind].p99 + 500 * SLOW;
    assert.ok(loaded[kind].p99 <= bound,
      `${kind}: p99 under abuse ${fmt(loaded[kind].p99)} > 3 x unloaded p99 ${fmt(base[kind].p99)} + ${500 * SLOW} ms`);
  }

  // --- oversized requests, still under the slowloris load: the error, then the connection is
  // closed. Each is one write and the client then only reads: a client still writing when the
  // server closes may get a reset instead of the answer (the server does not linger to drain
  // what it did not read), which is the client's race, not what is tested here.
  async function oversized(text, { status, code, label }) {
    const sock = await open(srv.port);
    record(sock);
    const tStart = Date.now();
    sock.write(text);
    await waitFor(() => sock.closedAt !== null, { timeoutMs: 5000 * SLOW, what: `${label}: connection closed` });
    destroy(sock);
    const res = parseResponse(sock.text);
    assert.equal(res.status, status, `${label}: ${sock.text.slice(0, 300)}`);
    assert.match(res.headers.connection || '', /close/i, `${label}: Connection: close`);
    // Up to the server's per-connection memory, callproof answers with the envelope; past it,
    // libmicrohttpd answers itself, in HTML (docs/DESIGN.md).
    if (res.headers['content-type']?.startsWith('application/json')) assertErrorBody(res.body, code);
    return sock.closedAt - tStart;
  }
  // 20 KB of headers (over --max-header-bytes, within the server's per-connection memory), and
  // 256 KB of a header that never ends (past that memory: answered before the headers end).
  const r431 = await oversized(rawHttp('GET', '/v1/health', { 'X-Big': 'v'.repeat(20000) }),
    { status: 431, code: 'headers_too_large', label: '20 KB header' });
  const r431s = await oversized(`GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'v'.repeat(256 * 1024)}`,
    { status: 431, code: 'headers_too_large', label: 'unterminated 256 KB header' });
  const r414 = await oversized(rawHttp('GET', `/v1/${'a'.repeat(9000)}`),
    { status: 414, code: 'url_too_long', label: '9 KB URL' });
  const r414s = await oversized(`GET /v1/${'a'.repeat(256 * 1024)}`,
    { status: 414, code: 'url_too_long', label: 'unterminated 256 KB URL' });
  // A declared 100 MB body is answered from the headers, without waiting for a byte of it.
  const r413 = await oversized(rawHttp('POST', '/api/v1/calls', { ...auth, 'Content-Length': String(100 * 1024 * 1024) }),
    { status: 413, code: 'body_too_large', label: '100 MB declared body' });
  t.diagnostic(`oversized, answered and closed after: 431 (20 KB header) ${r431} ms; 431 (unterminated 256 KB header) ${r431s} ms; `
    + `414 (9 KB URL) ${r414} ms; 414 (unterminated 256 KB URL) ${r414s} ms; 413 (100 MB declared, none sent) ${r413} ms`);

  // An over-limit chunked body that never ends cannot be answered 413 mid-body by
  // libmicrohttpd 0.9.75 (docs/DESIGN.md): it is read and discarded until the body deadline
  // closes the connection. It must be cut off by then and never be processed.
  const chunked = await open(srv.port);
  record(chunked);
  const chunkedStart = Date.now();
  chunked.write(rawHttp('POST', '/api/v1/calls', { ...auth, 'Transfer-Encoding': 'chunked' }));
  const chunk = `4000\r\n${'x'.repeat(0x4000)}\r\n`;
  let chunkedSent = 0;
  const chunkedDone = (async () => {
    while (chunked.closedAt === null && !chunked.destroyed && Date.now() - chunkedStart < (BODY_S + 5 * SLOW) * 1000) {
      if (!chunked.write(chunk)) await new Promise((r) => { chunked.once('drain', r); setTimeout(r, 50); });
      chunkedSent += chunk.length;
      await sleep(10);
    }
  })();

  // Stop the slowloris bytes: from its last byte, each must be closed within the idle timeout.
  stopSlow();
  const tStop = Date.now();
  const lastByte = Math.max(...slow.map((c) => c.lastByteAt || tOpen));

  await waitFor(() => slow.every((c) => c.sock.closedAt !== null),
    { timeoutMs: (IDLE_S + 5 * SLOW) * 1000, intervalMs: 100, what: 'every slow-header connection closed by the server' });
  const cut = slow.map((c) => c.sock.closedAt - (c.lastByteAt || tOpen));
  const cutEarly = slow.filter((c) => c.sock.closedAt < tStop).length;
  t.diagnostic(`slow-header: ${N} cut off, ${cutEarly} of them while still trickling; after their last byte: `
    + `min ${Math.min(...cut)} ms, median ${quantile(cut, 0.5)} ms, max ${Math.max(...cut)} ms (idle timeout ${IDLE_S} s); `
    + `all closed ${Math.max(...slow.map((c) => c.sock.closedAt)) - lastByte} ms after the very last byte`);
  for (const c of slow) assert.equal(c.sock.got, 0, `a slowloris connection got an answer: ${c.sock.text}`);
  assert.ok(Math.max(...cut) <= (IDLE_S + 2 * SLOW) * 1000, `slow-header connections closed within ${IDLE_S} s + ${2 * SLOW} s of their last byte`);

  // Slow bodies are never idle (a byte a second): only the body deadline cuts them off.
  await waitFor(() => slowBodies.every((c) => c.sock.closedAt !== null),
    { timeoutMs: (BODY_S + 5 * SLOW) * 1000, intervalMs: 100, what: 'every slow body closed by the server' });
  const bodyCut = slowBodies.map((c) => c.sock.closedAt - c.startedAt);
  t.diagnostic(`slow bodies: 4 cut off ${Math.min(...bodyCut)}-${Math.max(...bodyCut)} ms after their headers (body timeout ${BODY_S} s)`);
  for (const c of slowBodies) {
    assert.doesNotMatch(c.sock.text, /^HTTP\/1\.1 2/, `a slow body was processed: ${c.sock.text}`);
    assert.ok(c.sock.closedAt - c.startedAt <= (BODY_S + 1 + 2 * SLOW) * 1000, 'slow body cut off near the body deadline');
  }

  // The late headers, still trickling past the body deadline, now end their headers.
  await sleep(Math.max(0, t0 + (BODY_S + 1) * 1000 - Date.now()));
  stopBodies();
  const tLate = Date.now();
  for (const c of lateHeaders) if (c.sock.closedAt === null) c.sock.write('\r\n\r\n');
  await waitFor(() => lateHeaders.every((c) => c.sock.closedAt !== null),
    { timeoutMs: 5000 * SLOW, what: 'requests whose headers ended after the body deadline closed' });
  t.diagnostic(`late headers: headers completed ${tLate - lateHeaders[0].startedAt} ms after the request line; `
    + `closed ${lateHeaders.map((c) => c.sock.closedAt - tLate).join(', ')} ms later with ${lateHeaders.map((c) => (c.sock.got ? JSON.stringify(c.sock.text.split('\r\n')[0]) : 'no answer')).join(', ')}`);
  for (const c of lateHeaders) assert.doesNotMatch(c.sock.text, /^HTTP\/1\.1 2/, `a request older than the body deadline was answered: ${c.sock.text}`);

  await chunkedDone;
  const chunkedMs = chunked.closedAt === null ? null : chunked.closedAt - chunkedStart;
  t.diagnostic(`endless over-limit chunked body: ${chunkedSent} B sent, cut off after ${chunkedMs} ms with ${chunked.got ? JSON.stringify(chunked.text.split('\r\n')[0]) : 'no answer'}`);
  assert.ok(chunkedMs !== null && chunkedMs <= (BODY_S + 2 * SLOW) * 1000, 'endless chunked body cut off by the body deadline');
  assert.doesNotMatch(chunked.text, /^HTTP\/1\.1 2/, 'an over-limit body was processed');
  destroy(chunked);

  // Slow readers: by now (idle timeout long past) the server has given up on them. Reading now
  // yields what the kernel buffered and then the close, less than the pages asked for.
  await sleep(Math.max(0, t0 + (IDLE_S + 1) * 1000 - Date.now()));
  const tRead = Date.now();
  for (const sock of slowReaders) { record(sock); sock.resume(); }
  await waitFor(() => slowReaders.every((s) => s.closedAt !== null),
    { timeoutMs: 5000 * SLOW, what: 'slow readers closed by the server' });
  const readerGot = slowReaders.map((s) => s.got);
  t.diagnostic(`slow readers: asked for ${PIPELINED} x ${pageBytes} B each; got ${readerGot.join(', ')} B before the server's close `
    + `(read from ${tRead - t0} ms after the abuse began, closed within ${Math.max(...slowReaders.map((s) => s.closedAt)) - tRead} ms of reading)`);
  for (const got of readerGot) assert.ok(got < PIPELINED * pageBytes, `a slow reader was not cut off: it got all ${got} B`);
  // When the server gave up on them is only in its log (one line per request, with the
  // duration and libmicrohttpd's termination code; 2 is "timeout reached"): informational.
  const stuck = [...srv.stderr().matchAll(/GET \/api\/v1\/calls \d+ \d+B ([\d.]+)ms term=(\d+)/g)];
  t.diagnostic(`server log, slow readers' unfinished responses: ${stuck.map((m) => `${Math.round(Number(m[1]))} ms term=${m[2]}`).join('; ') || 'none found'}`);

  // Afterwards the server answers as before, and stops cleanly.
  const after1 = await freshRequest(srv.port, `/api/v1/calls/${callId}`, { Authorization: auth.Authorization });
  assert.equal(after1.res.status, 200);
  for (const s of [...sockets]) destroy(s);
  await assertCleanExit(srv);
});

test('the per-address limit refuses the 21st connection from 127.0.0.2, while 127.0.0.3 and 127.0.0.1 are served', async (t) => {
  const PER_IP = 20;
  const srv = await startServer({ args: ['--max-connections-per-ip', String(PER_IP), '--idle-timeout-s', String(IDLE_S)] });
  servers.push(srv);
  const auth = { Authorization: `Bearer ${srv.token}` };
  let callId;
  {
    const s = await open(srv.port);
    const { res } = await request(s, 'POST', '/api/v1/calls', { headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify(VALID_CALL) });
    assert.equal(res.status, 201, res.body);
    callId = JSON.parse(res.body).id;
    destroy(s);
  }

  // 20 slow-header connections from 127.0.0.2, kept alive by a byte a second.
  const held = [];
  for (let i = 0; i < PER_IP; i++) {
    const sock = await open(srv.port, '127.0.0.2');
    record(sock);
    sock.write(`GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow-${i}: `);
    held.push({ sock, next: bytes('') });
  }
  const stop = trickle(held);
  await sleep(300);
  assert.equal(held.filter((c) => c.sock.closedAt !== null).length, 0, 'the first 20 connections are held');

  // The 21st (and a few more) from 127.0.0.2: accepted by the kernel, closed by the server
  // without an answer, even to a complete request.
  const tries = [];
  for (let i = 0; i < 3; i++) {
    const tStart = Date.now();
    let sock;
    try {
      sock = await open(srv.port, '127.0.0.2');
    } catch {
      tries.push({ refused: 'at connect', ms: Date.now() - tStart });
      continue;
    }
    record(sock);
    sock.write(rawHttp('GET', '/v1/health'));
    await waitFor(() => sock.closedAt !== null, { timeoutMs: 5000 * SLOW, what: `connection ${PER_IP + 1 + i} from 127.0.0.2 closed` });
    assert.equal(sock.got, 0, `over the per-address limit but answered: ${sock.text}`);
    tries.push({ refused: 'closed by the server', ms: sock.closedAt - tStart });
    destroy(sock);
  }
  t.diagnostic(`connections ${PER_IP + 1}-${PER_IP + 3} from 127.0.0.2: ${tries.map((x) => `${x.refused} after ${x.ms} ms`).join('; ')}`);

  // Other addresses are still served: 127.0.0.3 and the normal client on 127.0.0.1.
  const other = await freshRequest(srv.port, '/v1/health', {}, '127.0.0.3');
  assert.equal(other.res.status, 200, other.res.body);
  const normal = await freshRequest(srv.port, `/api/v1/calls/${callId}`, auth);
  assert.equal(normal.res.status, 200, normal.res.body);
  t.diagnostic(`while 127.0.0.2 is at its limit: 127.0.0.3 answered in ${fmt(other.ms)}, 127.0.0.1 in ${fmt(normal.ms)}`);

  // The limit counts open connections: when one from 127.0.0.2 goes, 127.0.0.2 is served again.
  destroy(held[0].sock);
  await waitFor(async () => {
    try {
      return (await freshRequest(srv.port, '/v1/health', {}, '127.0.0.2')).res.status === 200;
    } catch {
      return false;
    }
  }, { timeoutMs: 5000 * SLOW, what: '127.0.0.2 served again after one of its connections closed' });
  assert.equal(held.slice(1).filter((c) => c.sock.got > 0).length, 0, 'the held connections got no answer');

  stop();
  for (const s of [...sockets]) destroy(s);
  await assertCleanExit(srv);
});

test('at --max-connections a new connection is closed at once, not left waiting in the listen queue; a freed slot serves again', async (t) => {
  const MAX = 30;
  const srv = await startServer({ args: ['--max-connections', String(MAX), '--idle-timeout-s', String(IDLE_S)] });
  servers.push(srv);
  // MAX slow-header connections (from two addresses, under the per-address limit), kept alive.
  const held = [];
  for (let i = 0; i < MAX; i++) {
    const sock = await open(srv.port, i % 2 ? '127.0.0.20' : '127.0.0.21');
    record(sock);
    sock.write(`GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow-${i}: `);
    held.push({ sock, next: bytes('') });
  }
  const stop = trickle(held);
  await sleep(300);
  assert.equal(held.filter((c) => c.sock.closedAt !== null).length, 0, 'the first MAX connections are held');

  // One more, from a third address: closed without an answer well before any idle timeout.
  const t0 = Date.now();
  const sock = await open(srv.port, '127.0.0.1');
  record(sock);
  sock.write(rawHttp('GET', '/v1/health'));
  await waitFor(() => sock.closedAt !== null, { timeoutMs: 1000 * SLOW, what: 'the connection over the total limit is closed at once' });
  assert.equal(sock.got, 0, `over the limit but answered: ${sock.text}`);
  t.diagnostic(`connection ${MAX + 1}: closed after ${sock.closedAt - t0} ms`);
  destroy(sock);

  // When a held connection goes, a new client is served.
  destroy(held[0].sock);
  await waitFor(async () => {
    try {
      return (await freshRequest(srv.port, '/v1/health')).res.status === 200;
    } catch {
      return false;
    }
  }, { timeoutMs: 5000 * SLOW, what: 'served again once a slot is free' });
  stop();
  for (const s of [...sockets]) destroy(s);
  await assertCleanExit(srv);
});
