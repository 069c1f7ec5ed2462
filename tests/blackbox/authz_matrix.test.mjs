// The authorization matrix, generated from the route table.
//
// src/http/routes.c is parsed at test time (every R(...) / RS(...) line: method, path pattern,
// required scope), so a new route is covered automatically, and this file fails until the route
// is given a way to be instantiated in ROUTES below (a real object of tenant A for each path
// parameter, and what "another tenant" means for it). Stale entries fail too.
//
// Tenant A ("default", the first-start all-scope key) gets one of everything in setup: calls,
// EPA results, a recording log with uploaded audio, a consent, a revocation and a sealed
// evidence bundle, each carrying a unique MARK string. Then every protected route is requested
// with real ids of those objects under each case:
//
//   no key        no Authorization header (and HEAD for GET routes)  → 401 unauthorized
//   bad key       unknown key id (all zeros), and a known id with a wrong secret → 401
//   revoked key   an all-scope key of tenant A revoked with `callproof keys revoke` → 401
//   missing scope a key of tenant A with every scope except the route's → 403 insufficient_scope
//   other tenant  an all-scope key of tenant B:
//                   object routes (an id in the path or ?id=) → 404 not_found;
//                   list routes → 200 without any of tenant A's ids or data;
//                   create routes → succeed in B's own tenant without touching or revealing A's.
//
// Write routes get the body {} in the 401/403 cases: authentication and scope must be decided
// before the body is looked at. In the other-tenant case they get a valid body, so the only
// reason left to refuse is tenancy. Error answers must be the plain error envelope (data null)
// and hold none of tenant A's data. Public routes (CP_SCOPE_PUBLIC) are not in the auth cases,
// but must answer without any key. After the matrix, tenant A's objects must be unchanged, and
// no response of the whole run may contain a token secret, a key hash, the data directory's
// path, "SQLITE" or a stack trace.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  REPO, VALID_CALL, startServer, createKey, cli, keyIdOf, assertErrorBody, assertCleanExit,
} from './lib.mjs';

// --- the route table, read from the source ------------------------------------------------------

const ROUTES_C = path.join(REPO, 'src/http/routes.c');
const APIKEY_H = path.join(REPO, 'src/domain/apikey.h');

/** CP_SCOPE_VOICE_READ → "voice:read"; CP_SCOPE_PUBLIC → null. */
function scopeName(constant) {
  if (constant === 'CP_SCOPE_PUBLIC') return null;
  const m = /^CP_SCOPE_([A-Z]+)_([A-Z_]+)$/.exec(constant);
  assert.ok(m, `unexpected scope constant ${constant}`);
  return `${m[1].toLowerCase()}:${m[2].toLowerCase().replace(/_/g, '-')}`;
}

/** Every route of cp_routes[]: {method, pattern, scopeConst, scope, key}. */
function parseRouteTable() {
  const src = fs.readFileSync(ROUTES_C, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const start = src.indexOf('cp_routes[]');
  assert.ok(start >= 0, 'cp_routes[] not found in routes.c');
  const table = src.slice(start, src.indexOf('};', start));
  const entries = table.match(/\bRS?\s*\(/g) || [];
  const re = /\bRS?\s*\(\s*([A-Z]+)\s*,\s*"([^"]+)"\s*,\s*(CP_SCOPE_[A-Z_]+)\s*,/g;
  const routes = [];
  for (const m of table.matchAll(re)) {
    const [, method, pattern, scopeConst] = m;
    routes.push({ method, pattern, scopeConst, scope: scopeName(scopeConst), key: `${method} ${pattern}` });
  }
  assert.equal(routes.length, entries.length,
    `routes.c has ${entries.length} R()/RS() entries but only ${routes.length} parse as (METHOD, "pattern", CP_SCOPE_X, ...)`);
  return routes;
}

/** Every scope bit of enum cp_scope, by name ("voice:read", ...). */
function parseScopes() {
  const src = fs.readFileSync(APIKEY_H, 'utf8');
  const names = [...src.matchAll(/\b(CP_SCOPE_[A-Z_]+)\s*=\s*1u\s*<</g)].map((m) => scopeName(m[1]));
  assert.ok(names.length >= 5, `scopes parsed from apikey.h: ${names}`);
  return names;
}

const ROUTE_TABLE = parseRouteTable();
const ALL_SCOPES = parseScopes();

// --- tenant A's fixtures ------------------------------------------------------------------------

const RUN = crypto.randomBytes(4).toString('hex');
const MARK = `authz-secret-data-${RUN}`; // appears only in tenant A's objects
const PHONE_A = '+15551230199';
const ENTITY_A = 'Authz Matrix A LLC';
const WAV = fs.readFileSync(path.join(REPO, 'tests/blackbox/fixtures/one-second.wav'));

// 555 is no real area code: calling hours are a note, not a verdict, so only consent decides.
const PRECALL = { phone: PHONE_A, calling_entity: ENTITY_A, purpose: 'telemarketing', call_type: 'ai_voice' };
const EPA = {
  state: 'Completed', completionReason: 'AllAnswered', totalQuestions: 1, questionsAnswered: 1,
  calculatedScore: 5, responses: [{ question: `Q ${MARK}`, answer: 'yes', score: 5 }],
};

// Tenant A's objects (filled in by setup): o.callId is the main call's server id, o.callRef its
// call_id, o.delId a call kept only as a DELETE target, o.recId a recording with audio,
// o.consentId, o.revocationId, o.bundleId (sealing o.sealedRef / o.sealedId), o.link the path
// and query of a signed download link.
const o = {};

// How each route is instantiated. kind: 'object' (addresses one of A's objects), 'list',
// 'create' or 'public'. path(o) is the concrete target. otherBody(o) is the valid body the
// other tenant sends; otherCheck(r, o) returns what is wrong with a create's answer for B.
const ROUTES = {
  'GET /v1/health': { kind: 'public', path: () => '/v1/health' },

  'POST /api/v1/calls': {
    kind: 'create', path: () => '/api/v1/calls',
    // B may use the call_id tenant A uses: call_ids are unique per tenant. A 409 would reveal A's.
    otherBody: (x) => ({ ...VALID_CALL, call_id: x.callRef }),
    otherCheck: (r, x) => (r.status !== 201 ? `expected 201 (call_id is per tenant), got ${r.status}`
      : r.json?.id === x.callId ? 'answered with tenant A\'s call' : null),
  },
  'GET /api/v1/calls': { kind: 'list', path: () => '/api/v1/calls?page_size=500' },
  'GET /api/v1/calls/{id}': { kind: 'object', path: (x) => `/api/v1/calls/${x.callId}` },
  'PATCH /api/v1/calls/{id}': {
    kind: 'object', path: (x) => `/api/v1/calls/${x.callId}`, otherBody: () => ({ transcript: 'B was here' }),
  },
  'DELETE /api/v1/calls/{id}': { kind: 'object', path: (x) => `/api/v1/calls/${x.delId}` },

  'POST /v1/calls/end': { kind: 'object', path: (x) => `/v1/calls/end?id=${x.callId}` },

  'GET /api/v1/voice-calls': { kind: 'list', path: () => '/api/v1/voice-calls?pageSize=500' },
  'GET /api/v1/voice-calls/{id}': { kind: 'object', path: (x) => `/api/v1/voice-calls/${x.callRef}` },
  'GET /api/v1/voice-calls/{id}/epa-results': {
    kind: 'object', path: (x) => `/api/v1/voice-calls/${x.callRef}/epa-results`,
  },
  'PUT /api/v1/voice-calls/{id}/epa-results': {
    kind: 'object', path: (x) => `/api/v1/voice-calls/${x.callRef}/epa-results`,
    otherBody: () => ({ ...EPA, responses: [{ question: 'B', answer: 'no', score: 1 }] }),
  },

  'POST /v1/calls/{call_id}/recording-log': {
    kind: 'object', path: (x) => `/v1/calls/${x.callRef}/recording-log`,
    otherBody: (x) => ({ recording_id: x.recId, recording_url: 'https://b.example/b.mp3', duration_seconds: 2 }),
  },
  'GET /v1/calls/{call_id}/recording-log': { kind: 'object', path: (x) => `/v1/calls/${x.callRef}/recording-log` },
  'PUT /v1/calls/{call_id}/recordings/{recording_id}/audio': {
    kind: 'object', path: (x) => `/v1/calls/${x.callId}/recordings/${x.recId}/audio`,
    otherBody: () => WAV, otherType: 'audio/wav',
  },
  'GET /api/v1/voice-calls/{id}/recording-url': {
    kind: 'object', path: (x) => `/api/v1/voice-calls/${x.callId}/recording-url`,
  },
  'GET /v1/recordings/{tenant}/{call_id}/{recording_id}': { kind: 'public', path: (x) => x.link },

  'POST /v1/consents': {
    kind: 'create', path: () => '/v1/consents',
    otherBody: () => ({ phone: PHONE_A, calling_entity: ENTITY_A, type: 'prior_express_written',
      scope: ['ai_voice'], captured_at: '2026-01-01T00:00:00Z' }),
  },
  'GET /v1/consents': { kind: 'list', path: () => `/v1/consents?phone=${encodeURIComponent(PHONE_A)}` },
  'GET /v1/consents/{id}': { kind: 'object', path: (x) => `/v1/consents/${x.consentId}` },
  'POST /v1/capture-verbal': {
    kind: 'create', path: () => '/v1/capture-verbal',
    otherBody: (x) => ({ call_id: x.callRef, phone: PHONE_A, calling_entity: ENTITY_A,
      transcript: 'Yes, I agree.', consent_scope: ['ai_voice'] }),
  },
  'POST /v1/revoke': {
    kind: 'create', path: () => '/v1/revoke',
    otherBody: (x) => ({ phone: PHONE_A, calling_entity: ENTITY_A, trigger: 'manual',
      captured_at: '2026-01-02T00:00:00Z', call_id: x.callRef, scope: 'all' }),
  },
  'GET /v1/revocations': { kind: 'list', path: () => `/v1/revocations?phone=${encodeURIComponent(PHONE_A)}` },
  'POST /v1/precall': {
    kind: 'create', path: () => '/v1/precall', otherFirst: true,
    // Sent by B before B has any consent: the same request allows A's call on A's consent
    // (checked in setup), so B must get no_consent, never A's consent.
    otherBody: () => PRECALL,
    otherCheck: (r) => (r.status !== 200 ? `expected 200, got ${r.status}`
      : r.json?.allowed !== false || r.json?.reason !== 'no_consent' || r.json?.consent !== null
        ? `decided on tenant A's consent: allowed ${r.json?.allowed}, reason ${r.json?.reason}` : null),
  },

  'POST /v1/post-call': {
    kind: 'create', path: () => '/v1/post-call',
    // The same call_id as A's sealed call: a separate call of B, superseding nothing of A's.
    otherBody: (x) => ({ call_id: x.sealedRef, phone: PHONE_A, calling_entity: ENTITY_A }),
    otherCheck: (r, x) => (r.status !== 201 ? `expected 201, got ${r.status}`
      : r.json?.supersedes !== null ? `supersedes ${r.json?.supersedes} (tenant A's bundle?)`
        : r.json?.call_id === x.sealedId ? 'sealed tenant A\'s call' : null),
  },
  'GET /v1/evidence/{id}': { kind: 'object', path: (x) => `/v1/evidence/${x.bundleId}` },
  'GET /v1/evidence/{id}/export': { kind: 'object', path: (x) => `/v1/evidence/${x.bundleId}/export` },
  'DELETE /v1/evidence/{id}': { kind: 'object', path: (x) => `/v1/evidence/${x.bundleId}` },
  'GET /e/{id}': { kind: 'public', path: (x) => `/e/${x.bundleId}` },
  'GET /v1/log/checkpoint': { kind: 'public', path: () => '/v1/log/checkpoint' },
  'GET /v1/log/proof/inclusion': { kind: 'public', path: () => '/v1/log/proof/inclusion?index=0&size=1' },
  'GET /v1/log/proof/consistency': { kind: 'public', path: () => '/v1/log/proof/consistency?first=1&second=1' },
  'GET /v1/keys': { kind: 'public', path: () => '/v1/keys' },
};

const PROTECTED = ROUTE_TABLE.filter((r) => r.scope !== null);
const PUBLIC = ROUTE_TABLE.filter((r) => r.scope === null);
// A route missing from ROUTES still gets the 401/403 cases, with placeholder ids (the first
// test fails until it is given real ones); the other-tenant case needs the real thing.
const spec = (r) => ROUTES[r.key] || { kind: 'unknown', path: () => r.pattern.replace(/\{[^}]+\}/g, 'unknown-id') };
const hasBody = (method) => method === 'POST' || method === 'PUT' || method === 'PATCH';

// --- the server, keys and requests ----------------------------------------------------------------

let srv;
const keys = {}; // admin, revoked, other, lacking[scope]
const secrets = []; // every token, its secret and its at-rest hash: never in a response
let responses = 0;
const leaks = [];

before(async () => {
  srv = await startServer();
  assert.ok(srv.token, 'first start printed a token');
  keys.admin = srv.token;
  keys.other = createKey(srv.dataDir, `authz-b-${RUN}`, 'all');
  keys.revoked = createKey(srv.dataDir, 'default', 'all');
  keys.lacking = {};
  for (const s of ALL_SCOPES) keys.lacking[s] = createKey(srv.dataDir, 'default', ALL_SCOPES.filter((x) => x !== s).join(','));
  for (const t of [keys.admin, keys.other, keys.revoked, ...Object.values(keys.lacking)]) rememberSecret(t);
  await setupTenantA();
  const rv = cli(['keys', 'revoke', keyIdOf(keys.revoked), '--data', srv.dataDir]);
  assert.equal(rv.code, 0, `keys revoke: ${rv.stderr}`);
});
after(async () => { await srv?.dispose(); });

/** The token, its secret half and the key's at-rest hash (src/domain/apikey.c) in hex and base64. */
function rememberSecret(token) {
  const id = keyIdOf(token);
  const secret = token.slice(20);
  const h = crypto.createHash('sha256').update('callproof/apikey/v1\0').update(`${id}\0`)
    .update(Buffer.from(secret, 'hex')).digest();
  secrets.push(token, secret, h.toString('hex'), h.toString('base64'));
}

/** One request; {method, path, status, headers, ct, text, json}. auth: a token, or null for no
 * Authorization header. body: JSON-encoded unless bytes (then type is the Content-Type).
 * Every answer except audio is checked for leaks. */
async function request(method, p, { auth = null, body, type } = {}) {
  const headers = {};
  if (auth) headers.Authorization = `Bearer ${auth}`;
  let b = body;
  if (b !== undefined && !(b instanceof Uint8Array)) {
    b = JSON.stringify(b);
    headers['Content-Type'] = 'application/json';
  }
  if (type) headers['Content-Type'] = type;
  const res = await fetch(srv.base + p, { method, headers, body: b, redirect: 'manual' });
  const buf = Buffer.from(await res.arrayBuffer());
  const ct = res.headers.get('content-type') || '';
  const text = buf.toString('utf8');
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  const r = { method, path: p, status: res.status, headers: res.headers, ct, text, json };
  responses++;
  if (!ct.startsWith('audio/')) {
    for (const why of leakProblems(text)) leaks.push(`${method} ${p} → ${res.status}: ${why}`);
  }
  return r;
}

const STACK_RE = /AddressSanitizer|LeakSanitizer|runtime error:|Traceback|backtrace|#\d+ 0x[0-9a-f]+|\b[\w/-]+\.[ch]:\d+\b|\bat [\w.<>]+ \([^)]*:\d+:\d+\)/;

function leakProblems(text) {
  const found = [];
  for (const s of secrets) if (text.includes(s)) found.push(`contains a key secret or hash (${s.slice(0, 8)}…)`);
  for (const d of new Set([srv.dataDir, fs.realpathSync(srv.dataDir)])) {
    if (text.includes(d)) found.push(`contains the data directory ${d}`);
  }
  if (/SQLITE|sqlite3_/.test(text)) found.push('mentions SQLITE');
  const st = STACK_RE.exec(text);
  if (st) found.push(`looks like a stack trace or source location: ${st[0]}`);
  return found;
}

const short = (t) => (t.length > 300 ? `${t.slice(0, 300)}…` : t);

async function ok(method, p, body, status = [200, 201]) {
  const r = await request(method, p, { auth: keys.admin, body });
  assert.ok(status.includes(r.status), `setup ${method} ${p}: ${r.status} ${r.text}`);
  return r.json;
}

async function setupTenantA() {
  const call = await ok('POST', '/api/v1/calls', {
    ...VALID_CALL, call_id: `authz-a-${RUN}`, status: 'in_progress', started_at: '2026-01-05T10:00:00Z',
    transcript: `T ${MARK}`, metadata: { note: MARK },
  });
  o.callId = call.id;
  o.callRef = call.call_id;
  o.delId = (await ok('POST', '/api/v1/calls', { ...VALID_CALL, call_id: `authz-del-${RUN}`, metadata: { note: MARK } })).id;
  await ok('PUT', `/api/v1/voice-calls/${o.callRef}/epa-results`, EPA);
  o.recId = `rec-a-${RUN}`;
  await ok('POST', `/v1/calls/${o.callRef}/recording-log`, {
    recording_id: o.recId, recording_url: 'https://a.example/a.mp3', duration_seconds: 1, metadata: { note: MARK },
  });
  const up = await request('PUT', `/v1/calls/${o.callRef}/recordings/${o.recId}/audio`, { auth: keys.admin, body: WAV, type: 'audio/wav' });
  assert.equal(up.status, 201, `setup audio upload: ${up.text}`);
  const link = await ok('GET', `/api/v1/voice-calls/${o.callRef}/recording-url`);
  const u = new URL(link.recordingUrl);
  o.link = u.pathname + u.search;
  o.consentId = (await ok('POST', '/v1/consents', {
    phone: PHONE_A, calling_entity: ENTITY_A, type: 'prior_express_written', scope: ['ai_voice', 'telemarketing'],
    captured_at: '2025-12-01T12:00:00Z', evidence_text: MARK,
  })).consent_id;
  // A revocation of another entity's calls: listed for the number, but A's consent stays valid.
  o.revocationId = (await ok('POST', '/v1/revoke', {
    phone: PHONE_A, calling_entity: `${ENTITY_A} Other`, trigger: 'manual', captured_at: '2025-12-20T00:00:00Z', transcript: MARK,
  })).revocation_id;
  o.sealedRef = `authz-sealed-${RUN}`;
  const sealed = await ok('POST', '/v1/post-call', {
    call_id: o.sealedRef, phone: PHONE_A, calling_entity: ENTITY_A, started_at: '2025-12-10T15:00:00Z',
    ended_at: '2025-12-10T15:05:00Z', full_transcript: `Hello ${MARK}`, consent_ids_used: [o.consentId],
  });
  o.bundleId = sealed.evidence_bundle_id;
  o.sealedId = sealed.call_id;
  const pre = await ok('POST', '/v1/precall', PRECALL);
  assert.equal(pre.allowed, true, `setup: tenant A's precall is allowed on its consent: ${JSON.stringify(pre)}`);
  assert.equal(pre.consent?.consent_id, o.consentId);
  for (const [k, v] of Object.entries(o)) assert.ok(v, `setup produced ${k}`);
}

/** Tenant A's ids and data that must not appear in an answer to someone else (ids that the
 * request itself named are echoed legitimately, e.g. "Call not found: <id>."). */
function aDataIn(text, requestPath) {
  const ids = [o.callId, o.delId, o.consentId, o.revocationId, o.bundleId, o.sealedId];
  return [MARK, ...ids.filter((id) => !requestPath.includes(id))].filter((s) => text.includes(s));
}

/** What is wrong with r as the error answer (status, code) to a request; null if nothing. */
function errorProblem(r, status, code, { message, www } = {}) {
  if (r.status !== status) return `expected ${status} ${code}, got ${r.status}: ${short(r.text)}`;
  if (!/^application\/json/.test(r.ct)) return `Content-Type ${r.ct}`;
  try {
    assertErrorBody(r.text, code, { message, fieldOptional: status === 404 });
  } catch (e) {
    return `${e.message.split('\n').map((l) => l.trim()).filter(Boolean).join(' ')} in ${short(r.text)}`;
  }
  const wa = r.headers.get('www-authenticate') || '';
  if (www && !www.test(wa)) return `WWW-Authenticate "${wa}" does not match ${www}`;
  const data = aDataIn(r.text, r.path);
  return data.length ? `error body holds tenant A's data: ${data.join(', ')}` : null;
}

/** Run fn(route) for every protected route (it returns a list of problems), then fail listing
 * them all, each labelled with route and case; t.diagnostic reports the number of requests. */
async function matrix(t, caseName, fn, routes = PROTECTED) {
  const problems = [];
  const first = responses;
  for (const route of routes) {
    for (const p of await fn(route)) problems.push(`${route.key} [${caseName}]: ${p}`);
  }
  t.diagnostic(`${caseName}: ${routes.length} routes, ${responses - first} requests`);
  if (problems.length) assert.fail(`${problems.length} wrong answer(s):\n  ${problems.join('\n  ')}`);
}

/** The auth-case request of a route: the body {} on writes (auth comes before the body). */
function authRequest(route, auth) {
  return request(route.method, spec(route).path(o), { auth, body: hasBody(route.method) ? {} : undefined });
}

const ZERO_KEY = `cp_${'0'.repeat(16)}_${'0'.repeat(64)}`;
const withWrongSecret = (t) => t.slice(0, -1) + (t.endsWith('0') ? '1' : '0');
const INVALID_TOKEN = /^Bearer realm="callproof", error="invalid_token"$/;
const UNAUTH = { message: 'Invalid API token.' };

// --- the matrix ---------------------------------------------------------------------------------

test('every route of routes.c is known to the matrix, with ids that match its pattern', () => {
  assert.ok(ROUTE_TABLE.length >= 30, `parsed ${ROUTE_TABLE.length} routes`);
  const unknown = ROUTE_TABLE.filter((r) => !ROUTES[r.key]).map((r) => `${r.key} (${r.scopeConst})`);
  assert.deepEqual(unknown, [], 'routes this matrix cannot instantiate: add them to ROUTES in authz_matrix.test.mjs');
  const inTable = new Set(ROUTE_TABLE.map((r) => r.key));
  assert.deepEqual(Object.keys(ROUTES).filter((k) => !inTable.has(k)), [], 'ROUTES entries no longer in routes.c');
  for (const r of ROUTE_TABLE) {
    const s = spec(r);
    assert.equal(s.kind === 'public', r.scope === null, `${r.key}: kind ${s.kind} but scope ${r.scopeConst}`);
    const re = new RegExp(`^${r.pattern.replace(/\{[^}]+\}/g, '[^/?]+')}(\\?.*)?$`);
    assert.match(s.path(o), re, `${r.key}: the instantiated path`);
    if (r.scope) assert.ok(ALL_SCOPES.includes(r.scope), `${r.key}: scope ${r.scope} is not in enum cp_scope`);
  }
});

test('tenant A\'s owner reaches every instantiated GET route (the ids are real)', async () => {
  const problems = [];
  for (const route of ROUTE_TABLE.filter((r) => r.method === 'GET' && ['object', 'list'].includes(spec(r).kind))) {
    const r = await request('GET', spec(route).path(o), { auth: keys.admin });
    if (r.status !== 200) problems.push(`${route.key}: ${r.status} ${short(r.text)}`);
  }
  assert.deepEqual(problems, []);
});

test('public routes answer without any key', async () => {
  const problems = [];
  for (const route of PUBLIC) {
    const r = await request(route.method, spec(route).path(o));
    if (r.status < 200 || r.status > 299) problems.push(`${route.key}: ${r.status} ${short(r.text)}`);
  }
  assert.deepEqual(problems, []);
});

let snapshot;
test('snapshot of tenant A\'s objects before the matrix', async () => {
  snapshot = await readTenantA();
});

test('no Authorization header → 401 unauthorized on every protected route (HEAD too)', async (t) => {
  await matrix(t, 'no key', async (route) => {
    const out = [];
    const r = await authRequest(route, null);
    const p = errorProblem(r, 401, 'unauthorized', { ...UNAUTH, www: /^Bearer realm="callproof"$/ });
    if (p) out.push(p);
    if (route.method === 'GET') {
      const h = await request('HEAD', spec(route).path(o));
      if (h.status !== 401) out.push(`HEAD: expected 401, got ${h.status}`);
    }
    return out;
  });
});

test('an unknown key, or a known key id with a wrong secret → 401 unauthorized', async (t) => {
  await matrix(t, 'bad key', async (route) => {
    const out = [];
    for (const [what, token] of [['all-zero key', ZERO_KEY], ['wrong secret', withWrongSecret(keys.admin)]]) {
      const p = errorProblem(await authRequest(route, token), 401, 'unauthorized', { ...UNAUTH, www: INVALID_TOKEN });
      if (p) out.push(`${what}: ${p}`);
    }
    return out;
  });
});

test('a revoked all-scope key → 401 unauthorized', async (t) => {
  await matrix(t, 'revoked key', async (route) => {
    const p = errorProblem(await authRequest(route, keys.revoked), 401, 'unauthorized', { ...UNAUTH, www: INVALID_TOKEN });
    return p ? [p] : [];
  });
});

test('a key of the same tenant with every scope but the route\'s → 403 insufficient_scope naming it', async (t) => {
  await matrix(t, 'missing scope', async (route) => {
    const p = errorProblem(await authRequest(route, keys.lacking[route.scope]), 403, 'insufficient_scope', {
      message: new RegExp(`'${route.scope}'`),
      www: new RegExp(`error="insufficient_scope", scope="${route.scope}"`),
    });
    return p ? [p] : [];
  });
});

test('another tenant\'s all-scope key: 404 for A\'s objects, lists without A\'s data, creates kept apart', async (t) => {
  // Object and list routes first, creates last (they add B's own objects), precall first of those.
  const order = (r) => (spec(r).kind !== 'create' ? 0 : spec(r).otherFirst ? 1 : 2);
  const routes = [...PROTECTED].sort((a, b) => order(a) - order(b));
  await matrix(t, 'other tenant', async (route) => {
    const s = spec(route);
    if (s.kind === 'unknown') return ['not in ROUTES: cannot be instantiated'];
    const body = hasBody(route.method) && s.otherBody ? s.otherBody(o) : undefined;
    const r = await request(route.method, s.path(o), { auth: keys.other, body, type: s.otherType });
    const out = [];
    if (s.kind === 'object') {
      const e = errorProblem(r, 404, 'not_found');
      if (e) out.push(e);
      return out;
    }
    if (s.kind === 'list' && r.status !== 200) out.push(`expected 200, got ${r.status}: ${short(r.text)}`);
    if (s.kind === 'create') {
      if (r.status < 200 || r.status > 299) out.push(`expected 2xx in B's own tenant, got ${r.status}: ${short(r.text)}`);
      const check = s.otherCheck && s.otherCheck(r, o);
      if (check) out.push(check);
    }
    const data = aDataIn(r.text, '');
    if (data.length) out.push(`answer holds tenant A's data: ${data.join(', ')}`);
    return out;
  }, routes);
});

/** Everything of tenant A the matrix might have changed, read with the owner's key. */
async function readTenantA() {
  const get = async (p) => {
    const r = await request('GET', p, { auth: keys.admin });
    return `${r.status} ${r.text}`;
  };
  const ids = (text) => [...text.matchAll(/"(?:id|consent_id|revocation_id)":"([^"]+)"/g)].map((m) => m[1]).sort();
  return {
    call: await get(`/api/v1/calls/${o.callId}`),
    del: await get(`/api/v1/calls/${o.delId}`),
    epa: await get(`/api/v1/voice-calls/${o.callRef}/epa-results`),
    recordingLog: await get(`/v1/calls/${o.callRef}/recording-log`),
    consent: await get(`/v1/consents/${o.consentId}`),
    bundle: await get(`/v1/evidence/${o.bundleId}`),
    calls: ids(await get('/api/v1/calls?page_size=500')),
    consents: ids(await get(`/v1/consents?phone=${encodeURIComponent(PHONE_A)}`)),
    revocations: ids(await get(`/v1/revocations?phone=${encodeURIComponent(PHONE_A)}`)),
  };
}

test('tenant A\'s objects are unchanged after the whole matrix', async () => {
  assert.ok(snapshot, 'snapshot taken');
  const now = await readTenantA();
  for (const k of Object.keys(snapshot)) assert.deepEqual(now[k], snapshot[k], `tenant A's ${k} changed`);
});

test('no answer in the matrix holds a key secret or hash, the data directory, SQLITE or a stack trace', (t) => {
  assert.ok(responses > 6 * PROTECTED.length, `only ${responses} responses checked`);
  t.diagnostic(`${responses} responses checked (${ROUTE_TABLE.length} routes: ${PROTECTED.length} protected, ${PUBLIC.length} public)`);
  if (leaks.length) assert.fail(`${leaks.length} leaking answer(s):\n  ${leaks.join('\n  ')}`);
});

test('the server exits cleanly after the matrix', async () => {
  await assertCleanExit(srv);
});
