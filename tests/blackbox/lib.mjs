// Shared helpers for the black-box API tests: start/stop a real `callproof serve` on a fresh
// data directory, run the CLI, speak raw HTTP over node:net, and small JSON/assert helpers.
// The binary comes from CALLPROOF_BIN (default <repo>/build/callproof) so the same suite runs
// against the ASan build.
//
// With CALLPROOF_TEST_DATABASE set to a PostgreSQL URL (tests/run.sh's postgres stage sets it
// to its throwaway cluster), every data directory gets its own fresh store on that server: a
// new schema, named in the URL's search_path, that every `serve` and CLI run on that directory
// uses (passed as CALLPROOF_DATABASE). A schema, not a database: CREATE SCHEMA takes
// milliseconds where CREATE DATABASE takes most of a second, and one test run starts over a
// hundred servers. Tests that only make sense on SQLite skip on PG, saying why (ON_PG).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.resolve(REPO, process.env.CALLPROOF_BIN || 'build/callproof');
export const TOKEN_RE = /cp_[0-9a-f]{16}_[0-9a-f]{64}/;

// Everything slow (server start, exit, polling) is bounded by these generous limits; under
// ASan on a loaded 2-core machine start-up alone can take a few seconds.
export const SLOW = /asan/i.test(BIN) ? 3 : 1;
export const START_TIMEOUT_MS = 20000 * SLOW;
export const EXIT_TIMEOUT_MS = 20000 * SLOW;

/** The PostgreSQL server the suite runs against, or '' for SQLite (the default). */
export const PG_URL = process.env.CALLPROOF_TEST_DATABASE || '';
export const ON_PG = PG_URL !== '';
/** The cluster's directory for scripts/pg_cluster.sh stop|resume (the outage test). */
export const PG_DIR = process.env.CALLPROOF_TEST_PG_DIR || '';

export const UUID = '3c90c3cc-0d44-4b50-8888-8dd25736052a';
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const VALID_CALL = Object.freeze({
  user_id: UUID,
  agent_id: UUID,
  type: 'phone_call',
  direction: 'outbound',
  from_number: '+15551234567',
  to_number: '+15557654321',
  phone_number_id: UUID,
});

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// With CALLPROOF_FUZZ_RECORD=DIR every request the suite sends (through fetch or rawRequest)
// and its answer are appended to DIR/<pid>.jsonl: scripts/fuzz_seeds.mjs makes the fuzzers'
// seed corpora from them. Off by default; it changes nothing the tests see.
const RECORD_DIR = process.env.CALLPROOF_FUZZ_RECORD;
function record(entry) {
  fs.appendFileSync(path.join(RECORD_DIR, `${process.pid}.jsonl`), `${JSON.stringify(entry)}\n`);
}
const b64 = (v) => Buffer.from(v).toString('base64');
if (RECORD_DIR) {
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (url, opts = {}) => {
    const res = await realFetch(url, opts);
    const clone = res.clone();
    const u = new URL(url);
    const body = opts.body === undefined ? '' : opts.body;
    record({
      method: opts.method || 'GET',
      target: u.pathname + u.search,
      headers: Object.entries(opts.headers || {}),
      body: typeof body === 'string' || body instanceof Uint8Array ? b64(body) : '',
      status: res.status,
      type: res.headers.get('content-type') || '',
      response: b64(Buffer.from(await clone.arrayBuffer())),
    });
    return res;
  };
}

/** Poll fn() until it returns a truthy value; throws with `what` after timeoutMs. */
export async function waitFor(fn, { timeoutMs = 10000 * SLOW, intervalMs = 25, what = 'condition' } = {}) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

const tempDirs = new Set();
/** A fresh temporary directory, removed at process exit (and by rmTemp). */
export function tempDir(prefix = 'callproof-bb-') {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(d);
  return d;
}
export function rmTemp(d) {
  tempDirs.delete(d);
  fs.rmSync(d, { recursive: true, force: true });
  dropDatabaseOf(d);
}

/** psql on the test server: {code, stdout, stderr}. */
export function psql(sql) {
  const r = spawnSync('psql', [PG_URL, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql], {
    encoding: 'utf8',
    timeout: 30000,
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// data directory (resolved) -> {schema, url} of its store on PG_URL
const pgStores = new Map();
let pgSeq = 0;

/**
 * The database URL of a data directory's store when the suite runs on PostgreSQL (null on
 * SQLite): a fresh schema the first time a directory is used, the same one after that.
 */
export function databaseFor(dataDir) {
  if (!ON_PG) return null;
  const key = path.resolve(dataDir);
  let s = pgStores.get(key);
  if (!s) {
    const schema = `cp_bb_${process.pid}_${++pgSeq}`;
    const r = psql(`CREATE SCHEMA ${schema}`);
    assert.equal(r.code, 0, `CREATE SCHEMA ${schema}: ${r.stderr}`);
    const sep = PG_URL.includes('?') ? '&' : '?';
    s = { schema, url: `${PG_URL}${sep}options=-csearch_path%3D${schema}` };
    pgStores.set(key, s);
  }
  return s.url;
}

function dropDatabaseOf(dataDir) {
  const key = path.resolve(dataDir);
  const s = pgStores.get(key);
  if (!s) return;
  pgStores.delete(key);
  psql(`DROP SCHEMA IF EXISTS ${s.schema} CASCADE`); // best effort: the cluster is thrown away
}

/** Whether a data directory's store exists yet (a SQLite file, or a schema on PG). */
function storeExists(dataDir) {
  if (ON_PG) return pgStores.has(path.resolve(dataDir));
  return fs.existsSync(path.join(dataDir, 'callproof.db'));
}

/** The environment that points a callproof run on dataDir at its store (none on SQLite). */
function storeEnv(dataDir, args, env) {
  if (!ON_PG || !dataDir || args.includes('--database') || 'CALLPROOF_DATABASE' in env) return {};
  return { CALLPROOF_DATABASE: databaseFor(dataDir) };
}

const liveServers = new Set();
function cleanupAll() {
  for (const s of liveServers) {
    try { s.proc.kill('SIGKILL'); } catch { /* already gone */ }
  }
  for (const d of tempDirs) {
    try { fs.rmSync(d, { recursive: true, force: true }); } catch { /* ignore */ }
  }
  for (const d of [...pgStores.keys()]) {
    try { dropDatabaseOf(d); } catch { /* ignore */ }
  }
}
process.on('exit', cleanupAll);

function childEnv(extra) {
  const env = { ...process.env, ...extra };
  // Settings from the caller's environment must not change what these tests configure.
  for (const k of Object.keys(env)) {
    if (k.startsWith('CALLPROOF_') && k !== 'CALLPROOF_BIN' && !(extra && k in extra)) delete env[k];
  }
  return env;
}

/**
 * Start `callproof serve --listen 127.0.0.1:0 --data DIR ...args` and wait for its
 * "listening on" line. Returns {port, base, token, dataDir, proc, stdout(), stderr(),
 * exited (promise of the exit code), stop(), kill()}. token is the first-start token, or null.
 */
export async function startServer({ dataDir, args = [], env = {} } = {}) {
  const ownDir = !dataDir;
  const dir = dataDir || tempDir();
  const firstStart = !storeExists(dir);
  const storeVars = storeEnv(dir, args, env);
  const proc = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--data', dir, ...args], {
    env: childEnv({ ...storeVars, ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { err += d; });
  let exitCode;
  const exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      exitCode = code === null ? `signal ${signal}` : code;
      liveServers.delete(srv);
      resolve(exitCode);
    });
  });
  const srv = {
    proc,
    dataDir: dir,
    exited,
    stdout: () => out,
    stderr: () => err,
    isRunning: () => exitCode === undefined,
    /** SIGTERM and wait for exit; resolves to the exit code. */
    async stop() {
      if (exitCode !== undefined) return exitCode;
      proc.kill('SIGTERM');
      const t = setTimeout(() => { try { proc.kill('SIGKILL'); } catch { /* gone */ } }, EXIT_TIMEOUT_MS);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
    async kill() {
      if (exitCode !== undefined) return exitCode;
      proc.kill('SIGKILL');
      return exited;
    },
    /** Stop (SIGTERM, SIGKILL if it hangs) and remove the data directory if this helper
     * created it. Resolves to the exit code. */
    async dispose() {
      const code = await srv.stop();
      if (ownDir) rmTemp(dir);
      return code;
    },
  };
  liveServers.add(srv);
  let port;
  try {
    port = await waitFor(() => {
      if (exitCode !== undefined) {
        throw new Error(`callproof serve exited (${exitCode}) before listening; stderr:\n${err}`);
      }
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(err);
      return m ? Number(m[1]) : null;
    }, { timeoutMs: START_TIMEOUT_MS, what: 'the "listening on" log line' });
  } catch (e) {
    await srv.kill();
    throw e;
  }
  srv.port = port;
  srv.base = `http://127.0.0.1:${port}`;
  // On an empty store the first-start block follows the "listening" line (a separate pipe):
  // wait for it. On an existing store no token is expected (tests check the full stdout
  // after stop()).
  if (firstStart) {
    await waitFor(() => TOKEN_RE.test(out) && /curl /.test(out), { timeoutMs: START_TIMEOUT_MS, what: 'first-start token on stdout' });
  }
  const m = TOKEN_RE.exec(out);
  srv.token = m ? m[0] : null;
  return srv;
}

/** Run the CLI synchronously: {code, stdout, stderr}. */
export function cli(args, { env = {} } = {}) {
  const i = args.indexOf('--data');
  const storeVars = i >= 0 && i + 1 < args.length ? storeEnv(args[i + 1], args, env) : {};
  const r = spawnSync(BIN, args, { env: childEnv({ ...storeVars, ...env }), encoding: 'utf8', timeout: 60000 * SLOW });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Create a key with the CLI; returns the token (the last line of stdout). */
export function createKey(dataDir, tenant, scopes) {
  const r = cli(['keys', 'create', '--tenant', tenant, '--scopes', scopes, '--data', dataDir]);
  assert.equal(r.code, 0, `keys create failed: ${r.stderr}`);
  const lines = r.stdout.trimEnd().split('\n');
  const token = lines[lines.length - 1].trim();
  assert.match(token, new RegExp(`^${TOKEN_RE.source}$`));
  return token;
}

export const keyIdOf = (token) => token.slice(3, 19);

/**
 * Open a TCP connection to 127.0.0.1:port. Resolves with the socket once connected.
 * opts.localAddress binds the client side.
 */
export function connect(port, opts = {}) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, ...opts });
    s.once('connect', () => {
      s.removeListener('error', reject);
      // Resets of connections the server closes are examined through readResponse or
      // closedWithin; a stray one must not crash the test process.
      s.on('error', () => {});
      resolve(s);
    });
    s.once('error', reject);
  });
}

/**
 * Collect everything the server sends on socket s until it closes, or until a complete HTTP
 * response (by Content-Length) has arrived. Rejects after timeoutMs with no complete answer.
 */
export function readResponse(s, { timeoutMs = 10000 * SLOW, untilClose = false } = {}) {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (err) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.removeListener('data', onData);
      s.removeListener('end', onEnd);
      s.removeListener('close', onEnd);
      s.removeListener('error', onError);
      if (err) reject(err);
      else resolve(buf.toString('latin1'));
    };
    const complete = () => {
      const text = buf.toString('latin1');
      const i = text.indexOf('\r\n\r\n');
      if (i < 0) return false;
      const m = /\r\ncontent-length:\s*(\d+)/i.exec(text.slice(0, i + 2));
      return m ? text.length - (i + 4) >= Number(m[1]) : false;
    };
    const onData = (d) => {
      buf = Buffer.concat([buf, d]);
      if (!untilClose && complete()) finish();
    };
    const onEnd = () => {
      if (buf.length > 0) finish();
      else finish(new Error('connection closed with no response'));
    };
    const onError = (e) => {
      if (buf.length > 0) finish();
      else finish(e);
    };
    const timer = setTimeout(() => {
      s.destroy();
      const what = untilClose ? 'connection not closed' : 'no complete response';
      finish(new Error(`${what} within ${timeoutMs} ms; got: ${JSON.stringify(buf.toString('latin1'))}`));
    }, timeoutMs);
    s.on('data', onData);
    s.on('end', onEnd);
    s.on('close', onEnd);
    s.on('error', onError);
  });
}

/**
 * Send raw bytes (string or Buffer) on a new connection and return the raw response text.
 * Fails (rejects) if no complete response arrives within timeoutMs.
 */
export async function rawRequest(port, text, { timeoutMs = 10000 * SLOW, untilClose = false } = {}) {
  const s = await connect(port);
  try {
    const p = readResponse(s, { timeoutMs, untilClose });
    s.write(text);
    const answer = await p;
    if (RECORD_DIR) record({ raw: b64(text), response: b64(Buffer.from(answer, 'latin1')) });
    return answer;
  } finally {
    s.destroy();
  }
}

/** Parse a raw HTTP/1.1 response text: {status, statusLine, headers (lowercase names; arrays
 * joined with ", "), body}. Only Content-Length framing (what callproof sends). */
export function parseResponse(text) {
  const i = text.indexOf('\r\n\r\n');
  assert.ok(i >= 0, `not an HTTP response: ${JSON.stringify(text)}`);
  const lines = text.slice(0, i).split('\r\n');
  const statusLine = lines[0];
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  assert.ok(m, `bad status line: ${statusLine}`);
  const headers = {};
  for (const l of lines.slice(1)) {
    const c = l.indexOf(':');
    const k = l.slice(0, c).trim().toLowerCase();
    const v = l.slice(c + 1).trim();
    headers[k] = k in headers ? `${headers[k]}, ${v}` : v;
  }
  let body = text.slice(i + 4);
  if (headers['content-length'] !== undefined) body = body.slice(0, Number(headers['content-length']));
  return { status: Number(m[1]), statusLine, headers, body };
}

/** Assert body text is exactly the error envelope with this code (and field, if given). */
/** opts.field: the `field` value required; opts.fieldOptional: `field` may be absent. */
export function assertErrorBody(bodyText, code, { field, fieldOptional = false, message } = {}) {
  let j;
  try {
    j = JSON.parse(bodyText);
  } catch {
    assert.fail(`error body is not JSON: ${JSON.stringify(bodyText)}`);
  }
  const keys = Object.keys(j).sort();
  const withField = field !== undefined || (fieldOptional && 'field' in j);
  const want = withField ? ['code', 'data', 'field', 'message', 'status'] : ['code', 'data', 'message', 'status'];
  assert.deepEqual(keys, want, `error envelope keys for ${bodyText}`);
  if (withField) assert.equal(typeof j.field, 'string');
  assert.equal(j.status, 'error');
  assert.equal(j.code, code, `error code in ${bodyText}`);
  assert.equal(j.data, null);
  assert.equal(typeof j.message, 'string');
  assert.ok(j.message.length > 0, 'message is not empty');
  if (field !== undefined) assert.equal(j.field, field);
  if (message instanceof RegExp) assert.match(j.message, message);
  else if (message !== undefined) assert.equal(j.message, message);
  return j;
}

/** Assert a fetch Response is an error with this status and code; returns the parsed body. */
export async function expectError(res, status, code, opts = {}) {
  const text = await res.text();
  assert.equal(res.status, status, `status for ${res.url}: body ${text}`);
  assert.match(res.headers.get('content-type') || '', /^application\/json/);
  assert.ok(res.headers.get('x-request-id'), 'X-Request-Id header present');
  return assertErrorBody(text, code, opts);
}

/** Thin fetch wrappers bound to a base URL and a token. */
export function api(base, token) {
  const auth = token ? { Authorization: `Bearer ${token}` } : {};
  const request = (method, p, { body, headers = {}, json = true } = {}) => {
    const h = { ...auth, ...headers };
    let b = body;
    if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) b = JSON.stringify(body);
    if (b !== undefined && json && !Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) {
      h['Content-Type'] = 'application/json';
    }
    return fetch(base + p, { method, headers: h, body: b });
  };
  return {
    request,
    get: (p, o) => request('GET', p, o),
    post: (p, body, o = {}) => request('POST', p, { ...o, body }),
    createCall: (body = VALID_CALL, headers = {}) => request('POST', '/api/v1/calls', { body, headers }),
    getCall: (id) => request('GET', `/api/v1/calls/${id}`),
  };
}

/** One request through api(); answers {status, headers, text, json} (json undefined if not JSON). */
export async function send(base, token, method, p, body, headers = {}) {
  const res = await api(base, token).request(method, p, { body, headers });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

/** Assert a send() answer is the error envelope with this status, code and field (if given);
 * failures are prefixed with label. */
export function expectErr(r, status, code, field, label) {
  try {
    assert.equal(r.status, status, `status; body ${r.text}`);
    assertErrorBody(r.text, code, field === undefined ? { fieldOptional: true } : { field });
  } catch (e) {
    e.message = `${label}: ${e.message}`;
    throw e;
  }
}

/** Build the text of a raw HTTP/1.1 request with a Host header. */
export function rawHttp(method, target, headers = {}, body = '') {
  const lines = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1'];
  for (const [k, v] of Object.entries(headers)) {
    for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${one}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** Resolve true if the server closes socket s (end/close/reset) within ms without us sending. */
export function closedWithin(s, ms) {
  return new Promise((resolve) => {
    if (s.destroyed || s.readableEnded) return resolve(true);
    const done = (v) => {
      clearTimeout(t);
      s.removeListener('end', onClose);
      s.removeListener('close', onClose);
      s.removeListener('error', onClose);
      resolve(v);
    };
    const onClose = () => done(true);
    const t = setTimeout(() => done(false), ms);
    s.on('end', onClose);
    s.on('close', onClose);
    s.on('error', onClose);
    s.resume();
  });
}

/** Resolve true if a new TCP connection to port is refused (or reset before use). */
export function connectRefused(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => { s.destroy(); resolve(false); });
    s.once('error', () => resolve(true));
  });
}

/**
 * The closing test of a file that shares one server: SIGTERM must end it with exit 0 and no
 * sanitizer report (under ASan, leaks and memory errors surface only here).
 */
export async function assertCleanExit(srv) {
  const code = await srv.stop();
  const err = srv.stderr();
  assert.doesNotMatch(err, /AddressSanitizer|LeakSanitizer|runtime error:/, err);
  assert.equal(code, 0, `exit code; stderr tail:\n${err.split('\n').slice(-30).join('\n')}`);
}
