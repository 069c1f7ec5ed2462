// Covers recording audio and its signed download links (seed 002's "Recording Download Flow"):
//  - PUT /v1/calls/{call_id}/recordings/{recording_id}/audio: a 6 MB WAV streamed up and
//    downloaded again byte-identical (SHA-256), WAV duration, every accepted type and alias with
//    its canonical Content-Type, 415 for a contradicting first bytes / short body / non-audio
//    type, 413 over --max-audio-bytes with nothing left on disk (Content-Length, chunked, and an
//    aborted upload), 409 for other bytes, 200 for the same bytes, Idempotency-Key replay and
//    reuse, the file layout and modes, tenants and scopes.
//  - GET /api/v1/voice-calls/{id}/recording-url: link shape, expiry, which recording it picks,
//    ?recordingId=, bad query, 404s and scopes.
//  - GET/HEAD /v1/recordings/...?exp&kid&sig without auth: full body, Range (206/416), HEAD,
//    a tampering matrix (every change → 403 link_forbidden, never file bytes), path traversal,
//    expiry (410), external recordings (302), and links surviving a restart (url-signing.key).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  REPO, startServer, api, createKey, expectError, assertErrorBody, VALID_CALL, tempDir, rmTemp,
  rawRequest, rawHttp, parseResponse, connect, readResponse, waitFor, sleep, assertCleanExit,
} from './lib.mjs';

const servers = [];
const dirs = [];
let srv; // the shared server (default limits)
let c; // its first-start, all-scope key (tenant "default")
before(async () => {
  srv = await serve();
  c = api(srv.base, srv.token);
});
after(async () => {
  for (const s of servers) await s.kill();
  for (const d of dirs) rmTemp(d);
  for (const s of servers) if (fs.existsSync(s.dataDir)) rmTemp(s.dataDir);
});

async function serve(opts = {}) {
  const s = await startServer(opts);
  servers.push(s);
  return s;
}

// --- audio made in memory -----------------------------------------------------------------------

const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');

/** A PCM WAV: 44-byte header + dataBytes random bytes (rate Hz, channels, bits per sample);
 * extraChunk (a Buffer) goes between "fmt " and "data". */
function makeWav(dataBytes, { rate = 16000, channels = 1, bits = 16, extraChunk = Buffer.alloc(0) } = {}) {
  const fmt = Buffer.alloc(24);
  fmt.write('fmt ', 0);
  fmt.writeUInt32LE(16, 4);
  fmt.writeUInt16LE(1, 8);
  fmt.writeUInt16LE(channels, 10);
  fmt.writeUInt32LE(rate, 12);
  fmt.writeUInt32LE(rate * channels * (bits / 8), 16);
  fmt.writeUInt16LE(channels * (bits / 8), 20);
  fmt.writeUInt16LE(bits, 22);
  const dataHdr = Buffer.alloc(8);
  dataHdr.write('data', 0);
  dataHdr.writeUInt32LE(dataBytes, 4);
  const riff = Buffer.alloc(12);
  riff.write('RIFF', 0);
  riff.writeUInt32LE(4 + fmt.length + extraChunk.length + dataHdr.length + dataBytes, 4);
  riff.write('WAVE', 8);
  return Buffer.concat([riff, fmt, extraChunk, dataHdr, crypto.randomBytes(dataBytes)]);
}

const rnd = (n) => crypto.randomBytes(n);
// One body per type whose first bytes match it, and how the server must name the type.
const SAMPLES = {
  wav: () => makeWav(400, { rate: 8000, bits: 8 }),
  mpegId3: () => Buffer.concat([Buffer.from('ID3\x04\x00\x00', 'latin1'), rnd(400)]),
  mpegSync: () => Buffer.concat([Buffer.from([0xff, 0xfb, 0x90, 0x64]), rnd(400)]),
  mpegSyncE: () => Buffer.concat([Buffer.from([0xff, 0xe3, 0x18, 0xc4]), rnd(400)]),
  ogg: () => Buffer.concat([Buffer.from('OggS\x00\x02', 'latin1'), rnd(400)]),
  webm: () => Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), rnd(400)]),
  flac: () => Buffer.concat([Buffer.from('fLaC'), rnd(400)]),
};
const ACCEPTED = [
  // [sample, declared Content-Type, canonical Content-Type]
  ['wav', 'audio/wav', 'audio/wav'],
  ['wav', 'audio/x-wav', 'audio/wav'],
  ['mpegId3', 'audio/mpeg', 'audio/mpeg'],
  ['mpegSync', 'audio/mpeg', 'audio/mpeg'],
  ['mpegSyncE', 'audio/mp3', 'audio/mpeg'],
  ['mpegId3', 'audio/mp3', 'audio/mpeg'],
  ['ogg', 'audio/ogg', 'audio/ogg'],
  ['webm', 'audio/webm', 'audio/webm'],
  ['flac', 'audio/flac', 'audio/flac'],
];

// --- small helpers ----------------------------------------------------------------------------------

/** Send a request; resolve {status, headers, text, json}. */
async function send(client, method, p, body, headers = {}) {
  const res = await client.request(method, p, { body, headers });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

/** PUT raw audio bytes (no Content-Type added unless given). */
async function putAudio(client, callRef, recId, bytes, contentType = 'audio/wav', headers = {}) {
  const h = { ...headers };
  if (contentType !== null) h['Content-Type'] = contentType;
  const res = await client.request('PUT', `/v1/calls/${callRef}/recordings/${recId}/audio`, { body: bytes, headers: h, json: false });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

async function newCall(client = c, extra = {}) {
  const res = await client.createCall({ ...VALID_CALL, ...extra });
  const j = await res.json();
  assert.equal(res.status, 201, JSON.stringify(j));
  return j;
}

const logs = async (client, callRef) => {
  const r = await send(client, 'GET', `/v1/calls/${callRef}/recording-log`);
  assert.equal(r.status, 200, r.text);
  return r.json.data;
};

/** GET the signed link; returns {status, json, text}. */
const linkFor = (client, callRef, query = '') => send(client, 'GET', `/api/v1/voice-calls/${callRef}/recording-url${query}`);

async function okLink(client, callRef, query = '') {
  const r = await linkFor(client, callRef, query);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(Object.keys(r.json).sort(), ['expiresAt', 'recordingUrl']);
  return r.json;
}

const LINK_RE = /^(http:\/\/127\.0\.0\.1:\d+)\/v1\/recordings\/([^/?]+)\/([^/?]+)\/([^/?]+)\?exp=(\d+)&kid=([0-9a-f]{16})&sig=([0-9a-f]{64})$/;
function parseLink(url) {
  const m = LINK_RE.exec(url);
  assert.ok(m, `link shape: ${url}`);
  const [, origin, tenant, call, rec, exp, kid, sig] = m;
  return { origin, tenant, call, rec, exp: Number(exp), expText: exp, kid, sig, pathAndQuery: url.slice(origin.length) };
}

/** Download without Authorization; never follows redirects. Resolves {status, headers, body}. */
async function download(url, { method = 'GET', headers = {} } = {}) {
  const res = await fetch(url, { method, headers, redirect: 'manual' });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body };
}

/** Every regular file under dir, relative to it. */
function filesUnder(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true }).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

const recDir = (s) => path.join(s.dataDir, 'recordings');
const tmpFiles = (s) => (fs.existsSync(path.join(recDir(s), 'tmp')) ? fs.readdirSync(path.join(recDir(s), 'tmp')) : []);

/** The stored file of a recording (asserting there is exactly one). */
function storedFile(s, tenant, callId, recId, sha) {
  const dir = path.join(recDir(s), tenant, callId);
  const names = fs.readdirSync(dir).filter((n) => n.startsWith(`${recId}-`));
  assert.equal(names.length, 1, `one file for ${recId} in ${dir}: ${names}`);
  assert.match(names[0], new RegExp(`^${recId.replace(/[.+]/g, '\\$&')}-${sha.slice(0, 16)}\\.[a-z0-9]+$`));
  return path.join(dir, names[0]);
}

const DATA_KEYS = [
  'call_id', 'recording_id', 'recording_url', 'duration_seconds', 'transcription_id',
  'transcription_status', 'started_at', 'ended_at', 'metadata', 'sha256', 'size_bytes',
  'content_type', 'created_at', 'updated_at',
].sort();

function checkStored(r, status, message, bytes, contentType) {
  assert.equal(r.status, status, r.text);
  assert.deepEqual(Object.keys(r.json).sort(), ['data', 'message', 'status']);
  assert.equal(r.json.status, 'success');
  assert.equal(r.json.message, message);
  const d = r.json.data;
  assert.deepEqual(Object.keys(d).sort(), DATA_KEYS);
  assert.equal(d.sha256, sha256(bytes));
  assert.equal(d.size_bytes, bytes.length);
  assert.equal(d.content_type, contentType);
  return d;
}

// --- the big upload and its download -----------------------------------------------------------------

const BIG_DATA = 6_000_000; // bytes of PCM: 187.5 s at 32000 B/s
let big; // {bytes, sha, call, tenant, link}
/** The 6 MB recording of the first test (later tests download and tamper with its link). */
function needBig() {
  assert.ok(big, 'the 6 MB upload of the first test failed; see that test');
  return big;
}

test('a 6 MB WAV uploads (201) with its SHA-256, size, canonical type and duration, into a 0600 file', async () => {
  const call = await newCall(c, { call_id: 'call_big' });
  const bytes = makeWav(BIG_DATA, { rate: 16000, channels: 1, bits: 16 });
  const r = await putAudio(c, 'call_big', 'rec_big', bytes, 'audio/wav');
  const d = checkStored(r, 201, 'Recording audio stored.', bytes, 'audio/wav');
  assert.equal(d.duration_seconds, 187, 'data bytes / byte rate, whole seconds');
  assert.equal(d.call_id, 'call_big');
  assert.equal(d.recording_id, 'rec_big');
  assert.equal(d.recording_url, null, 'a recording created by its upload has no external URL');
  const link = await okLink(c, 'call_big');
  const p = parseLink(link.recordingUrl);
  assert.equal(p.call, call.id, 'the link names the call by its server id');
  assert.equal(p.rec, 'rec_big');
  const file = storedFile(srv, p.tenant, call.id, 'rec_big', d.sha256);
  assert.equal(path.extname(file), '.wav');
  const st = fs.statSync(file);
  assert.equal(st.mode & 0o777, 0o600, `mode of ${file}`);
  assert.equal(st.size, bytes.length);
  assert.equal(sha256(fs.readFileSync(file)), d.sha256, 'the file holds exactly the uploaded bytes');
  assert.deepEqual(tmpFiles(srv), [], 'nothing left in recordings/tmp');
  const list = await logs(c, 'call_big');
  assert.equal(list.length, 1);
  assert.equal(list[0].sha256, d.sha256);
  big = { bytes, sha: d.sha256, call, tenant: p.tenant, link };
});

test('the signed link downloads without Authorization: 200, byte-identical, with type, length and Accept-Ranges', async () => {
  needBig();
  const dl = await download(big.link.recordingUrl);
  assert.equal(dl.status, 200);
  assert.equal(dl.body.length, big.bytes.length);
  assert.equal(sha256(dl.body), big.sha);
  assert.equal(dl.headers.get('content-type'), 'audio/wav');
  assert.equal(dl.headers.get('content-length'), String(big.bytes.length));
  assert.equal(dl.headers.get('accept-ranges'), 'bytes');
});

test('the link endpoint answers {recordingUrl, expiresAt}: this server, the call, exp about now + 900 s, expiresAt = exp', async () => {
  needBig();
  const { recordingUrl, expiresAt } = await okLink(c, big.call.id);
  const p = parseLink(recordingUrl);
  assert.equal(p.origin, srv.base);
  assert.equal(p.call, big.call.id);
  assert.equal(p.rec, 'rec_big');
  assert.match(expiresAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  assert.equal(expiresAt, new Date(p.exp * 1000).toISOString().replace('.000Z', 'Z'));
  const ahead = p.exp - Date.now() / 1000;
  assert.ok(ahead > 900 - 120 && ahead <= 900 + 2, `exp is ${ahead} s ahead`);
  // The same via the call_id, and the link works.
  const again = parseLink((await okLink(c, 'call_big')).recordingUrl);
  assert.equal(again.kid, p.kid, 'one signing key');
  assert.equal((await download(recordingUrl, { headers: { Range: 'bytes=0-3' } })).body.toString(), 'RIFF');
});

test('ranges: first 100 bytes, a middle slice, a suffix, an open end and a clipped end give 206 with Content-Range', async () => {
  needBig();
  const size = big.bytes.length;
  const cases = [
    ['bytes=0-99', 0, 99],
    ['bytes=3000000-3000999', 3000000, 3000999],
    ['bytes=-100', size - 100, size - 1],
    [`bytes=${size - 50}-`, size - 50, size - 1],
    ['bytes=0-0', 0, 0],
    [`bytes=${size - 1}-${size - 1}`, size - 1, size - 1],
    [`bytes=${size - 10}-${size + 1000}`, size - 10, size - 1],
  ];
  for (const [range, a, b] of cases) {
    const dl = await download(big.link.recordingUrl, { headers: { Range: range } });
    assert.equal(dl.status, 206, range);
    assert.equal(dl.headers.get('content-range'), `bytes ${a}-${b}/${size}`, range);
    assert.equal(dl.headers.get('content-length'), String(b - a + 1), range);
    assert.equal(dl.headers.get('content-type'), 'audio/wav', range);
    assert.ok(dl.body.equals(big.bytes.subarray(a, b + 1)), `${range}: the right bytes`);
  }
});

test('a range past the end is 416 with Content-Range bytes */size and no file bytes', async () => {
  needBig();
  const size = big.bytes.length;
  for (const range of [`bytes=${size}-`, `bytes=${size}-${size + 10}`, `bytes=${size + 5000}-`]) {
    const dl = await download(big.link.recordingUrl, { headers: { Range: range } });
    assert.equal(dl.status, 416, range);
    assert.equal(dl.headers.get('content-range'), `bytes */${size}`, range);
    assert.ok(!dl.body.includes(Buffer.from('RIFF')), 'no audio in the 416 body');
    if (dl.body.length) assertErrorBody(dl.body.toString(), 'range_not_satisfiable');
  }
});

test('HEAD gives the same headers as GET and no body', async () => {
  needBig();
  const h = await download(big.link.recordingUrl, { method: 'HEAD' });
  assert.equal(h.status, 200);
  assert.equal(h.headers.get('content-type'), 'audio/wav');
  assert.equal(h.headers.get('content-length'), String(big.bytes.length));
  assert.equal(h.headers.get('accept-ranges'), 'bytes');
  // On the wire: whatever follows the HEAD answer's headers must be the next response (a
  // pipelined health check), never body bytes.
  const p = parseLink(big.link.recordingUrl);
  const text = rawHttp('HEAD', p.pathAndQuery) + rawHttp('GET', '/v1/health', { Connection: 'close' });
  const raw = await rawRequest(srv.port, text, { untilClose: true });
  const i = raw.indexOf('\r\n\r\n');
  assert.match(raw, /^HTTP\/1\.1 200/);
  assert.match(raw.slice(0, i), new RegExp(`\r\ncontent-length: ${big.bytes.length}(\r|$)`, 'i'));
  const rest = raw.slice(i + 4);
  assert.ok(rest === '' || rest.startsWith('HTTP/1.1 200'), `after the HEAD headers: ${JSON.stringify(rest.slice(0, 40))}`);
});

// --- tampering ---------------------------------------------------------------------------------------

/** Flip one character of s at index i to another of the same alphabet. */
function flip(s, i) {
  const ch = s[i];
  const repl = /[0-9]/.test(ch) ? String((Number(ch) + 1) % 10) : ch === 'a' ? 'b' : ch === 'f' ? 'e' : ch === 'z' ? 'y' : String.fromCharCode(ch.charCodeAt(0) + 1);
  return s.slice(0, i) + repl + s.slice(i + 1);
}

function tamperedVariants(url, { duplicates = false } = {}) {
  const p = parseLink(url);
  const base = `${p.origin}/v1/recordings`;
  const q = (exp = p.expText, kid = p.kid, sig = p.sig) => `exp=${exp}&kid=${kid}&sig=${sig}`;
  const at = (t = p.tenant, cl = p.call, r = p.rec) => `${base}/${t}/${cl}/${r}`;
  const v = [
    ['tenant +1', `${at(String(Number(p.tenant) + 1))}?${q()}`],
    ['tenant with a leading zero', `${at(`0${p.tenant}`)}?${q()}`],
    ['tenant with a digit appended', `${at(`${p.tenant}0`)}?${q()}`],
    ['call: first character changed', `${at(p.tenant, flip(p.call, 0))}?${q()}`],
    ['call: last character changed', `${at(p.tenant, flip(p.call, p.call.length - 1))}?${q()}`],
    ['call: upper case', `${at(p.tenant, p.call.toUpperCase())}?${q()}`],
    ['call: the call_id instead of the server id', `${at(p.tenant, 'call_big')}?${q()}`],
    ['recording: a character changed', `${at(p.tenant, p.call, flip(p.rec, p.rec.length - 1))}?${q()}`],
    ['recording: a character appended', `${at(p.tenant, p.call, `${p.rec}x`)}?${q()}`],
    ['recording: a character removed', `${at(p.tenant, p.call, p.rec.slice(0, -1))}?${q()}`],
    ['recording: the stored file name', `${at(p.tenant, p.call, `${p.rec}-${big.sha.slice(0, 16)}.wav`)}?${q()}`],
    ['exp + 1', `${at()}?${q(String(p.exp + 1))}`],
    ['exp - 1', `${at()}?${q(String(p.exp - 1))}`],
    ['exp with a leading zero', `${at()}?${q(`0${p.expText}`)}`],
    ['exp a year later', `${at()}?${q(String(p.exp + 31536000))}`],
    ['exp with a fraction', `${at()}?${q(`${p.expText}.0`)}`],
    ['exp empty', `${at()}?${q('')}`],
    ['kid: first character changed', `${at()}?${q(p.expText, flip(p.kid, 0))}`],
    ['kid: upper case', `${at()}?${q(p.expText, p.kid.toUpperCase())}`],
    ['kid: one character short', `${at()}?${q(p.expText, p.kid.slice(0, -1))}`],
    ['kid empty', `${at()}?${q(p.expText, '')}`],
    ['sig: first character changed', `${at()}?${q(p.expText, p.kid, flip(p.sig, 0))}`],
    ['sig: middle character changed', `${at()}?${q(p.expText, p.kid, flip(p.sig, 32))}`],
    ['sig: last character changed', `${at()}?${q(p.expText, p.kid, flip(p.sig, 63))}`],
    ['sig: upper case', `${at()}?${q(p.expText, p.kid, p.sig.toUpperCase())}`],
    ['sig: one character short', `${at()}?${q(p.expText, p.kid, p.sig.slice(0, -1))}`],
    ['sig: a character appended', `${at()}?${q(p.expText, p.kid, `${p.sig}0`)}`],
    ['sig: first half only', `${at()}?${q(p.expText, p.kid, p.sig.slice(0, 32))}`],
    ['sig empty', `${at()}?${q(p.expText, p.kid, '')}`],
    ['sig all zeros', `${at()}?${q(p.expText, p.kid, '0'.repeat(64))}`],
    ['a parameter added', `${at()}?${q()}&x=1`],
    ['a parameter added first', `${at()}?a=1&${q()}`],
    ['exp removed', `${at()}?kid=${p.kid}&sig=${p.sig}`],
    ['kid removed', `${at()}?exp=${p.expText}&sig=${p.sig}`],
    ['sig removed', `${at()}?exp=${p.expText}&kid=${p.kid}`],
    ['no query at all', at()],
    ['exp renamed Exp', `${at()}?Exp=${p.expText}&kid=${p.kid}&sig=${p.sig}`],
    ['exp renamed expires', `${at()}?expires=${p.expText}&kid=${p.kid}&sig=${p.sig}`],
    ['kid renamed key', `${at()}?exp=${p.expText}&key=${p.kid}&sig=${p.sig}`],
    ['sig renamed SIG', `${at()}?exp=${p.expText}&kid=${p.kid}&SIG=${p.sig}`],
    ['sig renamed signature', `${at()}?exp=${p.expText}&kid=${p.kid}&signature=${p.sig}`],
    ['names and values swapped', `${at()}?exp=${p.kid}&kid=${p.expText}&sig=${p.sig}`],
  ];
  const dups = [
    ['exp duplicated', `${at()}?${q()}&exp=${p.expText}`],
    ['kid duplicated', `${at()}?${q()}&kid=${p.kid}`],
    ['sig duplicated', `${at()}?${q()}&sig=${p.sig}`],
    ['sig duplicated with another value', `${at()}?${q()}&sig=${'0'.repeat(64)}`],
    ['exp duplicated first', `${at()}?exp=${p.expText}&${q()}`],
  ];
  return duplicates ? dups : v;
}

async function expectAllForbidden(variants, { malformedIs400 = false } = {}) {
  const wrong = [];
  for (const [what, url] of variants) {
    assert.notEqual(url, big.link.recordingUrl, what);
    for (const method of ['GET', 'HEAD']) {
      const dl = await download(url, { method });
      const leaked = dl.body.includes(big.bytes.subarray(44, 76));
      // A repeated parameter is a malformed query, refused before the link is even read.
      const code = malformedIs400 && dl.status === 400 ? 'bad_query' : 'link_forbidden';
      let ok = (dl.status === 403 || (malformedIs400 && dl.status === 400)) && !leaked;
      if (ok && method === 'GET') {
        try { assertErrorBody(dl.body.toString(), code, { fieldOptional: true }); } catch { ok = false; }
      }
      if (!ok) wrong.push(`${method} ${what}: ${dl.status} ${leaked ? '(FILE BYTES)' : dl.body.toString().slice(0, 160)}`);
    }
  }
  assert.deepEqual(wrong, [], 'every tampered link is refused with 403 link_forbidden');
  // The untouched link still works afterwards.
  assert.equal((await download(big.link.recordingUrl, { headers: { Range: 'bytes=0-3' } })).status, 206);
}

test('any change to the link (path, exp, kid, sig, parameters added, removed or renamed) is 403 link_forbidden, never the file', async () => {
  needBig();
  await expectAllForbidden(tamperedVariants(big.link.recordingUrl));
});

test('a duplicated exp, kid or sig parameter is refused (400 bad_query: a malformed query) and never serves the file', async () => {
  needBig();
  await expectAllForbidden(tamperedVariants(big.link.recordingUrl, { duplicates: true }), { malformedIs400: true });
});

// Forms of the same URL that a signature over the decoded values need not tell apart. What matters
// is that none of them reaches anything but this very recording (observed: a trailing '&',
// reordered parameters and a percent-encoded unreserved character download it; a trailing slash is
// another route, 404).
test('equivalent spellings of a link (trailing &, reordered parameters, %-encoded letters, trailing slash) never reach anything else', async () => {
  needBig();
  const p = parseLink(big.link.recordingUrl);
  const base = `${p.origin}/v1/recordings/${p.tenant}/${p.call}`;
  const variants = [
    `${base}/${p.rec}?exp=${p.expText}&kid=${p.kid}&sig=${p.sig}&`,
    `${base}/${p.rec}?kid=${p.kid}&exp=${p.expText}&sig=${p.sig}`,
    `${base}/${p.rec}?sig=${p.sig}&kid=${p.kid}&exp=${p.expText}`,
    `${base}/%72ec_big?exp=${p.expText}&kid=${p.kid}&sig=${p.sig}`,
    `${base}/${p.rec}/?exp=${p.expText}&kid=${p.kid}&sig=${p.sig}`,
  ];
  for (const url of variants) {
    const dl = await download(url, { headers: { Range: 'bytes=0-1023' } });
    if (dl.status === 206) assert.ok(dl.body.equals(big.bytes.subarray(0, 1024)), url);
    else assert.ok([403, 404].includes(dl.status), `${url}: ${dl.status}`);
  }
});

test("one recording's signature does not open another recording, call or tenant", async () => {
  needBig();
  const other = await newCall();
  const bytes = SAMPLES.wav();
  assert.equal((await putAudio(c, other.id, 'rec_big', bytes)).status, 201);
  const mine = parseLink((await okLink(c, other.id)).recordingUrl);
  const theirs = parseLink(big.link.recordingUrl);
  // The other call's path with the big recording's query, and the reverse.
  const swaps = [
    `${mine.origin}/v1/recordings/${mine.tenant}/${mine.call}/${mine.rec}?exp=${theirs.expText}&kid=${theirs.kid}&sig=${theirs.sig}`,
    `${theirs.origin}/v1/recordings/${theirs.tenant}/${theirs.call}/${theirs.rec}?exp=${mine.expText}&kid=${mine.kid}&sig=${mine.sig}`,
    `${theirs.origin}/v1/recordings/${theirs.tenant}/${mine.call}/${theirs.rec}?exp=${theirs.expText}&kid=${theirs.kid}&sig=${theirs.sig}`,
  ];
  for (const url of swaps) {
    const dl = await download(url);
    assert.equal(dl.status, 403, url);
    assertErrorBody(dl.body.toString(), 'link_forbidden');
  }
  assert.equal(sha256((await download(`${mine.origin}${mine.pathAndQuery}`)).body), sha256(bytes));
});

test('path traversal in the link path (.., %2e%2e, %2F, NUL) is 400 bad_path or 403, never a file', async () => {
  needBig();
  const p = parseLink(big.link.recordingUrl);
  const q = `exp=${p.expText}&kid=${p.kid}&sig=${p.sig}`;
  const keyBytes = fs.readFileSync(path.join(srv.dataDir, 'url-signing.key'));
  const targets = [
    `/v1/recordings/${p.tenant}/${p.call}/..%2F..%2F..%2Furl-signing.key?${q}`,
    `/v1/recordings/${p.tenant}/${p.call}/%2e%2e/%2e%2e/%2e%2e/url-signing.key?${q}`,
    `/v1/recordings/${p.tenant}/%2e%2e/%2e%2e/url-signing.key?${q}`,
    `/v1/recordings/${p.tenant}/${p.call}/../${p.rec}?${q}`,
    `/v1/recordings/${p.tenant}/${p.call}/./${p.rec}?${q}`,
    `/v1/recordings/../../url-signing.key?${q}`,
    `/v1/recordings/${p.tenant}/${p.call}/${p.rec}/..?${q}`,
    `/v1/recordings/${p.tenant}/${p.call}/%2e%2e?${q}`,
    `/v1/recordings/%2e%2e/${p.call}/${p.rec}?${q}`,
    `/v1/recordings/${p.tenant}%2F${p.call}/${p.rec}?${q}`,
    `/v1/recordings/${p.tenant}/${p.call}%2F${p.rec}?${q}`,
    `/v1/recordings/${p.tenant}/${p.call}/${p.rec}%2F..%2F..%2F..%2Furl-signing.key?${q}`,
    `/v1/recordings/${p.tenant}/${p.call}/${p.rec}%00.wav?${q}`,
    `/v1/recordings/${p.tenant}/${p.call}/${p.rec}-${big.sha.slice(0, 16)}.wav?${q}`,
    `/v1/recordings/tmp/x/y?${q}`,
    `/v1/recordings/${p.tenant}/${p.call}/%5C..%5C..%5Curl-signing.key?${q}`,
  ];
  const wrong = [];
  for (const target of targets) {
    const r = parseResponse(await rawRequest(srv.port, rawHttp('GET', target, { Connection: 'close' })));
    const body = Buffer.from(r.body, 'latin1');
    const leaked = body.includes(keyBytes) || body.includes(big.bytes.subarray(44, 76)) || /^RIFF/.test(r.body);
    let ok = !leaked && (r.status === 400 || r.status === 403);
    if (ok) {
      try { assertErrorBody(r.body, r.status === 400 ? 'bad_path' : 'link_forbidden', { fieldOptional: true }); } catch { ok = false; }
    }
    if (!ok) wrong.push(`${target}: ${r.status} ${leaked ? '(LEAKED BYTES)' : r.body.slice(0, 160)}`);
  }
  assert.deepEqual(wrong, []);
});

// --- the link endpoint: which recording, queries, errors ---------------------------------------------

test('the link picks the newest recording with audio, else the newest with a recording_url, else the call\'s own URL', async () => {
  const call = await newCall(c, { recording_url: 'https://own.example.com/call.wav' });
  // Only the call's own recording_url.
  const own = await download((await okLink(c, call.id)).recordingUrl);
  assert.equal(own.status, 302);
  assert.equal(own.headers.get('location'), 'https://own.example.com/call.wav');

  const log = (id, url) => send(c, 'POST', `/v1/calls/${call.id}/recording-log`, { recording_id: id, recording_url: url, duration_seconds: 3 });
  assert.equal((await log('r1', 'https://cdn.example.com/r1.mp3')).status, 201);
  await sleep(5);
  assert.equal((await log('r2', 'https://cdn.example.com/r2.mp3')).status, 201);
  let p = parseLink((await okLink(c, call.id)).recordingUrl);
  assert.equal(p.rec, 'r2', 'newest with a recording_url');
  let dl = await download(`${p.origin}${p.pathAndQuery}`);
  assert.equal(dl.status, 302);
  assert.equal(dl.headers.get('location'), 'https://cdn.example.com/r2.mp3');

  const a1 = SAMPLES.ogg();
  assert.equal((await putAudio(c, call.id, 'r1', a1, 'audio/ogg')).status, 201);
  p = parseLink((await okLink(c, call.id)).recordingUrl);
  assert.equal(p.rec, 'r1', 'a recording with audio wins over a newer one without');
  dl = await download(`${p.origin}${p.pathAndQuery}`);
  assert.equal(dl.status, 200, 'callproof serves the audio it holds, not the external URL');
  assert.equal(dl.headers.get('content-type'), 'audio/ogg');
  assert.equal(sha256(dl.body), sha256(a1));

  await sleep(5);
  const a3 = SAMPLES.flac();
  assert.equal((await putAudio(c, call.id, 'r3', a3, 'audio/flac')).status, 201);
  p = parseLink((await okLink(c, call.id)).recordingUrl);
  assert.equal(p.rec, 'r3', 'the newest with audio');

  // ?recordingId= picks one.
  for (const [id, status, where] of [['r1', 200, null], ['r2', 302, 'https://cdn.example.com/r2.mp3'], ['r3', 200, null]]) {
    const lp = parseLink((await okLink(c, call.id, `?recordingId=${id}`)).recordingUrl);
    assert.equal(lp.rec, id);
    const d = await download(`${lp.origin}${lp.pathAndQuery}`);
    assert.equal(d.status, status, id);
    if (where) assert.equal(d.headers.get('location'), where);
  }
});

test('?recordingId= of an unknown recording is 404, other query parameters 400 bad_query, and a call without recordings 404', async () => {
  needBig();
  await expectError((await c.get(`/api/v1/voice-calls/${big.call.id}/recording-url?recordingId=nope`)), 404, 'not_found');
  for (const [q, field] of [['?foo=1', 'foo'], ['?recordingid=rec_big', 'recordingid'], ['?recordingId=rec_big&x=1', 'x'], ['?recording_id=rec_big', 'recording_id']]) {
    await expectError(await c.get(`/api/v1/voice-calls/${big.call.id}/recording-url${q}`), 400, 'bad_query', { field });
  }
  await expectError(await c.get(`/api/v1/voice-calls/${big.call.id}/recording-url?recordingId=rec_big&recordingId=rec_big`), 400, 'bad_query', { field: 'recordingId' });
  const bare = await newCall();
  await expectError(await c.get(`/api/v1/voice-calls/${bare.id}/recording-url`), 404, 'not_found');
  await expectError(await c.get('/api/v1/voice-calls/no_such_call/recording-url'), 404, 'not_found');
});

test('a logged recording without audio answers its link with 302 to the external recording_url', async () => {
  const call = await newCall();
  const url = 'https://cdn.example-ai.com/recordings/call_1j2kd9_rec_8sj29a.mp3';
  const r = await send(c, 'POST', `/v1/calls/${call.id}/recording-log`, { recording_id: 'rec_ext', recording_url: url, duration_seconds: 642 });
  assert.equal(r.status, 201, r.text);
  const link = await okLink(c, call.id);
  const dl = await download(link.recordingUrl);
  assert.equal(dl.status, 302);
  assert.equal(dl.headers.get('location'), url);
  assert.ok(!dl.body.includes(Buffer.from('RIFF')));
  // A tampered link to an external recording does not reveal where it points.
  const t = await download(link.recordingUrl.replace(/sig=(.)/, (m, ch) => `sig=${ch === '0' ? '1' : '0'}`));
  assert.equal(t.status, 403);
  assert.equal(t.headers.get('location'), null);
});

// --- upload rules ---------------------------------------------------------------------------------------

test('every accepted type and alias is stored under its canonical Content-Type and served with it', async () => {
  const call = await newCall();
  let n = 0;
  for (const [sample, declared, canonical] of ACCEPTED) {
    const bytes = SAMPLES[sample]();
    const id = `t${n++}_${sample}`;
    const r = await putAudio(c, call.id, id, bytes, declared);
    checkStored(r, 201, 'Recording audio stored.', bytes, canonical);
    const lp = parseLink((await okLink(c, call.id, `?recordingId=${id}`)).recordingUrl);
    const dl = await download(`${lp.origin}${lp.pathAndQuery}`);
    assert.equal(dl.status, 200, id);
    assert.equal(dl.headers.get('content-type'), canonical, id);
    assert.equal(sha256(dl.body), sha256(bytes), id);
    const file = storedFile(srv, lp.tenant, call.id, id, sha256(bytes));
    assert.equal(fs.statSync(file).mode & 0o777, 0o600, file);
  }
});

test('a 12-byte body with the right magic is enough; WAV duration comes from the data chunk even after other chunks', async () => {
  const call = await newCall();
  const tiny = await putAudio(c, call.id, 'tiny', Buffer.from('RIFF\x04\x00\x00\x00WAVE', 'latin1'), 'audio/wav');
  checkStored(tiny, 201, 'Recording audio stored.', Buffer.from('RIFF\x04\x00\x00\x00WAVE', 'latin1'), 'audio/wav');
  const list = Buffer.alloc(34);
  list.write('LIST', 0);
  list.writeUInt32LE(26, 4);
  list.write('INFOISFT', 8);
  const wav = makeWav(24000, { rate: 8000, channels: 1, bits: 8, extraChunk: list }); // 8000 B/s
  const r = await putAudio(c, call.id, 'listchunk', wav);
  assert.equal(checkStored(r, 201, 'Recording audio stored.', wav, 'audio/wav').duration_seconds, 3);
  const stereo = makeWav(44100 * 4 * 2 + 100, { rate: 44100, channels: 2, bits: 16 }); // 2.0006 s
  assert.equal((await putAudio(c, call.id, 'stereo', stereo)).json.data.duration_seconds, 2);
  const fixture = fs.readFileSync(path.join(REPO, 'tests/blackbox/fixtures/one-second.wav'));
  const fr = await putAudio(c, call.id, 'fixture', fixture);
  assert.equal(checkStored(fr, 201, 'Recording audio stored.', fixture, 'audio/wav').duration_seconds, 1);
});

test('first bytes contradicting the declared type, bodies under 12 bytes and non-audio types are 415, and nothing is stored', async () => {
  needBig();
  const call = await newCall();
  const wrong = [];
  const expect415 = async (what, bytes, ct) => {
    const r = await putAudio(c, call.id, 'bad', bytes, ct);
    if (r.status !== 415 || r.json?.code !== 'unsupported_media_type') wrong.push(`${what} (${ct}): ${r.status} ${r.text.slice(0, 160)}`);
    else assertErrorBody(r.text, 'unsupported_media_type', { fieldOptional: true });
  };
  const byType = {
    'audio/wav': ['wav'], 'audio/x-wav': ['wav'],
    'audio/mpeg': ['mpegId3', 'mpegSync', 'mpegSyncE'], 'audio/mp3': ['mpegId3', 'mpegSync', 'mpegSyncE'],
    'audio/ogg': ['ogg'], 'audio/webm': ['webm'], 'audio/flac': ['flac'],
  };
  for (const [ct, own] of Object.entries(byType)) {
    for (const [name, make] of Object.entries(SAMPLES)) {
      if (!own.includes(name)) await expect415(`${name} bytes`, make(), ct);
    }
    await expect415('random bytes', rnd(1000), ct);
    await expect415('zero bytes of content', Buffer.alloc(1000), ct);
    await expect415('an empty body', Buffer.alloc(0), ct);
    // The right magic, but fewer than 12 bytes.
    await expect415('11 bytes', SAMPLES[own[0]]().subarray(0, 11), ct);
  }
  // Near misses of each magic.
  await expect415('RIFF without WAVE', Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVX'), rnd(100)]), 'audio/wav');
  await expect415('RIFX', Buffer.concat([Buffer.from('RIFX\0\0\0\0WAVE'), rnd(100)]), 'audio/wav');
  await expect415('RIFF....AVI ', Buffer.concat([Buffer.from('RIFF\0\0\0\0AVI '), rnd(100)]), 'audio/wav');
  await expect415('0xFF 0xD0 (no frame sync)', Buffer.concat([Buffer.from([0xff, 0xd0]), rnd(100)]), 'audio/mpeg');
  await expect415('0xFE 0xFB', Buffer.concat([Buffer.from([0xfe, 0xfb]), rnd(100)]), 'audio/mpeg');
  await expect415('ID2', Buffer.concat([Buffer.from('ID2'), rnd(100)]), 'audio/mpeg');
  await expect415('Oggs', Buffer.concat([Buffer.from('Oggs'), rnd(100)]), 'audio/ogg');
  await expect415('1A 45 DF A4', Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa4]), rnd(100)]), 'audio/webm');
  await expect415('flaC', Buffer.concat([Buffer.from('flaC'), rnd(100)]), 'audio/flac');
  await expect415('magic after a leading byte', Buffer.concat([Buffer.from(' fLaC'), rnd(100)]), 'audio/flac');
  // Types that are not audio, or audio types callproof does not take.
  for (const ct of ['application/octet-stream', 'application/json', 'text/plain', 'video/webm', 'audio/aac', 'audio/mp4', 'audio/*', 'audio', 'multipart/form-data; boundary=x']) {
    await expect415('valid WAV bytes', SAMPLES.wav(), ct);
  }
  await expect415('valid WAV bytes', SAMPLES.wav(), null);
  assert.deepEqual(wrong, []);
  assert.deepEqual(await logs(c, call.id), [], 'no recording was created');
  assert.deepEqual(filesUnder(path.join(recDir(srv), big.tenant, call.id)), [], 'no file for the call');
  assert.deepEqual(tmpFiles(srv), []);
  await expectError(await c.get(`/api/v1/voice-calls/${call.id}/recording-url`), 404, 'not_found');
});

test('the same bytes again are 200 "Recording audio already stored."; other bytes are 409 and the stored audio is unchanged', async () => {
  const call = await newCall();
  const a = makeWav(100000);
  const first = checkStored(await putAudio(c, call.id, 'rec_ev', a), 201, 'Recording audio stored.', a, 'audio/wav');
  const again = checkStored(await putAudio(c, call.id, 'rec_ev', a), 200, 'Recording audio already stored.', a, 'audio/wav');
  assert.equal(again.created_at, first.created_at);
  // The same bytes under an alias are the same audio.
  checkStored(await putAudio(c, call.id, 'rec_ev', a, 'audio/x-wav'), 200, 'Recording audio already stored.', a, 'audio/wav');

  for (const [bytes, ct] of [[makeWav(100000), 'audio/wav'], [Buffer.concat([a, Buffer.from([0])]), 'audio/wav'], [a.subarray(0, a.length - 1), 'audio/wav'], [SAMPLES.flac(), 'audio/flac']]) {
    const r = await putAudio(c, call.id, 'rec_ev', bytes, ct);
    assert.equal(r.status, 409, r.text);
    assertErrorBody(r.text, 'conflict', { fieldOptional: true });
  }
  const list = await logs(c, call.id);
  assert.equal(list.length, 1);
  assert.equal(list[0].sha256, sha256(a));
  assert.equal(list[0].size_bytes, a.length);
  const p = parseLink((await okLink(c, call.id)).recordingUrl);
  const dl = await download(`${p.origin}${p.pathAndQuery}`);
  assert.equal(sha256(dl.body), sha256(a), 'the download is still the first audio');
  const names = fs.readdirSync(path.join(recDir(srv), p.tenant, call.id));
  assert.deepEqual(names, [path.basename(storedFile(srv, p.tenant, call.id, 'rec_ev', sha256(a)))], 'no second file');
  assert.deepEqual(tmpFiles(srv), []);
});

test('uploading audio creates the recording when it was never logged; a later log keeps the audio facts', async () => {
  const call = await newCall(c, { call_id: 'call_upfirst' });
  const bytes = makeWav(32000); // 1 s
  const d = checkStored(await putAudio(c, 'call_upfirst', 'rec_up', bytes), 201, 'Recording audio stored.', bytes, 'audio/wav');
  assert.equal(d.recording_url, null);
  assert.equal(d.call_id, 'call_upfirst');
  assert.equal(d.duration_seconds, 1);
  const list = await logs(c, call.id);
  assert.equal(list.length, 1);
  assert.deepEqual(list[0], d);
  const vc = await send(c, 'GET', `/api/v1/voice-calls/${call.id}`);
  assert.equal(vc.json.recordingAvailable, true);

  const log = await send(c, 'POST', '/v1/calls/call_upfirst/recording-log', { recording_id: 'rec_up', recording_url: 'https://cdn.example.com/up.wav', duration_seconds: 1 });
  assert.equal(log.status, 200, log.text);
  assert.equal(log.json.data.sha256, d.sha256, 'audio facts are not log fields');
  assert.equal(log.json.data.size_bytes, d.size_bytes);
  assert.equal(log.json.data.content_type, 'audio/wav');
  assert.equal(log.json.data.recording_url, 'https://cdn.example.com/up.wav');
  // The link still serves the audio, not a redirect.
  const dl = await download((await okLink(c, 'call_upfirst')).recordingUrl);
  assert.equal(dl.status, 200);
  assert.equal(sha256(dl.body), d.sha256);
});

test('Idempotency-Key on an upload: same key and bytes replay the first answer, same key with other bytes is 422', async () => {
  const call = await newCall();
  const a = makeWav(50000);
  const key = `up-${crypto.randomUUID()}`;
  const first = await putAudio(c, call.id, 'rec_idem', a, 'audio/wav', { 'Idempotency-Key': key });
  checkStored(first, 201, 'Recording audio stored.', a, 'audio/wav');
  assert.equal(first.headers.get('idempotent-replayed'), null);
  const replay = await putAudio(c, call.id, 'rec_idem', a, 'audio/wav', { 'Idempotency-Key': key });
  assert.equal(replay.status, 201);
  assert.equal(replay.text, first.text, 'byte-identical');
  assert.equal(replay.headers.get('idempotent-replayed'), 'true');
  const other = await putAudio(c, call.id, 'rec_idem', makeWav(50000), 'audio/wav', { 'Idempotency-Key': key });
  await expectError(new Response(other.text, { status: other.status, headers: other.headers }), 422, 'idempotency_key_reused');
  const elsewhere = await putAudio(c, call.id, 'rec_idem2', a, 'audio/wav', { 'Idempotency-Key': key });
  assert.equal(elsewhere.status, 422, elsewhere.text);
  const list = await logs(c, call.id);
  assert.deepEqual(list.map((d) => [d.recording_id, d.sha256]), [['rec_idem', sha256(a)]]);
});

test('uploads need voice:write on a call of the key\'s tenant: 401, 403 and 404 answers store nothing', async () => {
  const call = await newCall(c, { call_id: 'call_guard' });
  const reader = api(srv.base, createKey(srv.dataDir, 'default', 'voice:read'));
  const downloader = api(srv.base, createKey(srv.dataDir, 'default', 'audio:download'));
  const stranger = api(srv.base, createKey(srv.dataDir, 'rec-audio-other', 'all'));
  const bytes = SAMPLES.wav();
  for (const client of [reader, downloader]) {
    const r = await putAudio(client, call.id, 'rec_g', bytes);
    assert.equal(r.status, 403, r.text);
    assertErrorBody(r.text, 'insufficient_scope');
    assert.match(r.json.message, /voice:write/);
  }
  for (const ref of [call.id, 'call_guard']) {
    const r = await putAudio(stranger, ref, 'rec_g', bytes);
    assert.equal(r.status, 404, r.text);
    assert.equal(r.text, JSON.stringify({ status: 'error', message: `Call not found: ${ref}.`, code: 'not_found', data: null }));
  }
  const unknown = await putAudio(c, 'call_nowhere', 'rec_g', bytes);
  assert.equal(unknown.text, JSON.stringify({ status: 'error', message: 'Call not found: call_nowhere.', code: 'not_found', data: null }));
  const anon = await putAudio(api(srv.base, null), call.id, 'rec_g', bytes);
  assert.equal(anon.status, 401);
  assert.equal(anon.text, JSON.stringify({ status: 'error', message: 'Invalid API token.', code: 'unauthorized', data: null }));
  assert.deepEqual(await logs(c, call.id), []);
  assert.deepEqual(tmpFiles(srv), []);
});

test('an upload with an invalid recording_id in the path is 400 and stores nothing', async () => {
  const call = await newCall();
  for (const id of ['a'.repeat(129), 'rec%20x', 'rec%2Fx', 'r%C3%A9c', 'rec%3Fx']) {
    const r = await putAudio(c, call.id, id, SAMPLES.wav());
    assert.equal(r.status, 400, `${id}: ${r.text}`);
    assert.ok(['invalid_field', 'bad_path', 'bad_request'].includes(r.json.code), r.text);
  }
  assert.deepEqual(await logs(c, call.id), []);
});

test('the link endpoint needs audio:download on a call of the key\'s tenant (voice:read alone is 403; another tenant 404)', async () => {
  needBig();
  const reader = api(srv.base, createKey(srv.dataDir, 'default', 'voice:read'));
  const writer = api(srv.base, createKey(srv.dataDir, 'default', 'voice:write,voice:read'));
  const dl = api(srv.base, createKey(srv.dataDir, 'default', 'audio:download'));
  for (const client of [reader, writer]) {
    const j = await expectError(await client.get(`/api/v1/voice-calls/${big.call.id}/recording-url`), 403, 'insufficient_scope');
    assert.match(j.message, /audio:download/);
  }
  const ok = await okLink(dl, big.call.id);
  assert.equal(parseLink(ok.recordingUrl).rec, 'rec_big');
  const strangerToken = createKey(srv.dataDir, 'rec-audio-other', 'all');
  const stranger = api(srv.base, strangerToken);
  for (const ref of [big.call.id, 'call_big']) {
    await expectError(await stranger.get(`/api/v1/voice-calls/${ref}/recording-url`), 404, 'not_found');
  }
  await expectError(await api(srv.base, null).get(`/api/v1/voice-calls/${big.call.id}/recording-url`), 401, 'unauthorized');

  // The other tenant's own recording lives under its own tenant directory and link segment.
  const theirs = await newCall(stranger, { call_id: 'call_big' });
  const bytes = SAMPLES.webm();
  assert.equal((await putAudio(stranger, 'call_big', 'rec_big', bytes, 'audio/webm')).status, 201);
  const tp = parseLink((await okLink(stranger, 'call_big')).recordingUrl);
  assert.notEqual(tp.tenant, parseLink(big.link.recordingUrl).tenant);
  assert.equal(tp.call, theirs.id);
  storedFile(srv, tp.tenant, theirs.id, 'rec_big', sha256(bytes));
  const got = await download(`${tp.origin}${tp.pathAndQuery}`);
  assert.equal(sha256(got.body), sha256(bytes));
  // Tenant A's big recording is untouched.
  assert.equal(sha256((await download(big.link.recordingUrl)).body), big.sha);
});

test('the shared server exits cleanly (SIGTERM → exit 0, no sanitizer report)', async () => {
  await assertCleanExit(srv);
});

// --- servers of their own: size limit, expiry, restart --------------------------------------------------

test('over --max-audio-bytes is 413 body_too_large and nothing is left in recordings/tmp or for that recording', async () => {
  const LIMIT = 65536;
  const s = await serve({ args: ['--max-audio-bytes', String(LIMIT)] });
  const cs = api(s.base, s.token);
  const call = await newCall(cs);
  assert.equal((await send(cs, 'POST', `/v1/calls/${call.id}/recording-log`, { recording_id: 'logged', recording_url: 'https://a.example/x.wav', duration_seconds: 1 })).status, 201);
  const nothingFor = (rec) => filesUnder(recDir(s)).filter((f) => path.basename(f).startsWith(`${rec}-`));
  const head = (rec, extra) => `PUT /v1/calls/${call.id}/recordings/${rec}/audio HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${s.token}\r\nContent-Type: audio/wav\r\n${extra}\r\n`;

  // Exactly the limit is fine.
  const exact = makeWav(LIMIT - 44);
  checkStored(await putAudio(cs, call.id, 'exact', exact), 201, 'Recording audio stored.', exact, 'audio/wav');

  // One byte over, with Content-Length, for a new and for a logged recording.
  for (const rec of ['over1', 'logged']) {
    const body = makeWav(LIMIT - 43);
    const r = parseResponse(await rawRequest(s.port, Buffer.concat([Buffer.from(head(rec, `Content-Length: ${body.length}\r\n`)), body])));
    assert.equal(r.status, 413, r.body);
    assertErrorBody(r.body, 'body_too_large');
    assert.deepEqual(tmpFiles(s), [], 'recordings/tmp is empty');
    assert.deepEqual(nothingFor(rec), [], `no file for ${rec}`);
  }
  // Much more, chunked (no Content-Length): the limit is found while streaming.
  {
    const sock = await connect(s.port);
    const p = readResponse(sock);
    sock.write(head('over2', 'Transfer-Encoding: chunked\r\n'));
    const first = makeWav(8000);
    for (let i = 0; i < 40; i++) {
      const chunk = i === 0 ? first : rnd(8000);
      if (sock.destroyed) break;
      sock.write(`${chunk.length.toString(16)}\r\n`);
      sock.write(chunk);
      sock.write('\r\n');
    }
    if (!sock.destroyed) sock.write('0\r\n\r\n');
    const r = parseResponse(await p);
    sock.destroy();
    assert.equal(r.status, 413, r.body);
    assertErrorBody(r.body, 'body_too_large');
  }
  await waitFor(() => tmpFiles(s).length === 0, { what: 'recordings/tmp to be empty after the chunked 413' });
  assert.deepEqual(nothingFor('over2'), []);

  // An upload the client abandons half-way leaves nothing either.
  {
    const sock = await connect(s.port);
    sock.write(head('aborted', 'Content-Length: 60000\r\n'));
    sock.write(makeWav(20000));
    // Wait (bounded) until the partial body is being written to recordings/tmp.
    await waitFor(() => tmpFiles(s).length > 0, { timeoutMs: 3000, what: 'the upload to start' }).catch(() => {});
    sock.destroy();
  }
  await waitFor(() => tmpFiles(s).length === 0, { what: 'the abandoned upload to be cleaned up' });
  assert.deepEqual(nothingFor('aborted'), []);

  const list = await logs(cs, call.id);
  assert.deepEqual(list.map((d) => d.recording_id).sort(), ['exact', 'logged'], 'the refused uploads created no recording');
  assert.equal(list.find((d) => d.recording_id === 'logged').sha256, null, 'the logged recording still has no audio');
  const files = filesUnder(recDir(s));
  assert.equal(files.length, 1, `only the exact-limit file: ${files}`);
  await assertCleanExit(s);
});

test('a link is refused with 410 link_expired after its TTL (--recording-url-ttl-s 1); a tampered expired link stays 403', async () => {
  const s = await serve({ args: ['--recording-url-ttl-s', '1'] });
  const cs = api(s.base, s.token);
  const call = await newCall(cs);
  const bytes = SAMPLES.wav();
  assert.equal((await putAudio(cs, call.id, 'rec_ttl', bytes)).status, 201);
  const link = await okLink(cs, call.id);
  const p = parseLink(link.recordingUrl);
  const ahead = p.exp - Date.now() / 1000;
  assert.ok(ahead <= 2 && ahead > -1, `exp is ${ahead} s ahead with a 1 s TTL`);
  assert.equal(link.expiresAt, new Date(p.exp * 1000).toISOString().replace('.000Z', 'Z'));
  const fresh = await download(link.recordingUrl);
  if (fresh.status === 200) assert.equal(sha256(fresh.body), sha256(bytes));
  else assert.equal(fresh.status, 410, 'only expiry may refuse a fresh link');

  await sleep(Math.max(0, p.exp * 1000 - Date.now()) + 1200); // well past exp
  for (const method of ['GET', 'HEAD']) {
    const dl = await download(link.recordingUrl, { method });
    assert.equal(dl.status, 410, method);
    assert.ok(!dl.body.includes(bytes.subarray(20, 60)));
    if (method === 'GET') assertErrorBody(dl.body.toString(), 'link_expired');
  }
  const ranged = await download(link.recordingUrl, { headers: { Range: 'bytes=0-3' } });
  assert.equal(ranged.status, 410);
  // Signature first: an expired link with a changed sig, or its exp pushed forward, is 403.
  const badSig = link.recordingUrl.replace(/sig=([0-9a-f])/, (m, ch) => `sig=${ch === '0' ? '1' : '0'}`);
  const pushed = link.recordingUrl.replace(`exp=${p.expText}`, `exp=${p.exp + 3600}`);
  for (const url of [badSig, pushed]) {
    const dl = await download(url);
    assert.equal(dl.status, 403, url);
    assertErrorBody(dl.body.toString(), 'link_forbidden');
  }
  // A new link works again (until it expires in turn).
  const again = await okLink(cs, call.id);
  assert.ok(parseLink(again.recordingUrl).exp > p.exp);
  await assertCleanExit(s);
});

test('links survive a restart: the signing key is kept in url-signing.key (0600, 32 bytes) and old links still download', async () => {
  const dir = tempDir();
  dirs.push(dir);
  const s1 = await serve({ dataDir: dir });
  const c1 = api(s1.base, s1.token);
  const call = await newCall(c1);
  const bytes = makeWav(200000);
  assert.equal((await putAudio(c1, call.id, 'rec_keep', bytes)).status, 201);
  const link = await okLink(c1, call.id);
  const p1 = parseLink(link.recordingUrl);
  assert.equal((await download(link.recordingUrl)).status, 200);
  await assertCleanExit(s1);

  const keyFile = path.join(dir, 'url-signing.key');
  const st = fs.statSync(keyFile);
  assert.equal(st.mode & 0o777, 0o600, 'url-signing.key mode');
  assert.equal(st.size, 32, 'url-signing.key holds 32 bytes');
  const keyBefore = fs.readFileSync(keyFile);
  const file = storedFile({ dataDir: dir }, p1.tenant, call.id, 'rec_keep', sha256(bytes));
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);

  const s2 = await serve({ dataDir: dir });
  const c2 = api(s2.base, s1.token);
  // Only the origin changes (a new port); the signed path and query are exactly the old ones.
  const old = await download(`${s2.base}${p1.pathAndQuery}`);
  assert.equal(old.status, 200);
  assert.equal(sha256(old.body), sha256(bytes));
  const ranged = await download(`${s2.base}${p1.pathAndQuery}`, { headers: { Range: 'bytes=-100' } });
  assert.equal(ranged.status, 206);
  assert.ok(ranged.body.equals(bytes.subarray(bytes.length - 100)));
  const p2 = parseLink((await okLink(c2, call.id)).recordingUrl);
  assert.equal(p2.kid, p1.kid, 'the same signing key id after a restart');
  assert.ok(fs.readFileSync(keyFile).equals(keyBefore), 'the key file is unchanged');
  // Tampering is still caught after the restart.
  const bad = await download(`${s2.base}${p1.pathAndQuery.replace(`exp=${p1.expText}`, `exp=${p1.exp + 1}`)}`);
  assert.equal(bad.status, 403);
  await assertCleanExit(s2);
});
