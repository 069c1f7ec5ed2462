// Keeps docs/openapi.json true:
//  - its (method, path) set is exactly the route table's (src/http/routes.c), each operation's
//    security matches the route's scope (public <=> none) and its request body matches whether
//    the route takes one (JSON, audio stream, or none);
//  - every $ref resolves, every operation has a 2xx, every error response is the Error schema,
//    and the Error schema's codes are docs/ERRORS.md's;
//  - against a real server, a scenario that calls every operation (the seed documents' requests
//    among them) checks each answer's status is documented for that operation, its media type
//    is one documented, its required headers are there, and its JSON body validates against
//    the documented schema (a small JSON-schema checker below: type, required, properties,
//    additionalProperties, items, enum, anyOf/oneOf, lengths, ranges, patterns, date-time and
//    uuid formats). Every JSON request body sent is validated against the documented request
//    schema too, so the documented requests are ones the server takes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO, startServer, createKey, assertCleanExit } from './lib.mjs';

const SPEC = JSON.parse(fs.readFileSync(path.join(REPO, 'docs/openapi.json'), 'utf8'));
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

// ---- the route table ------------------------------------------------------------------------

/** The routes of src/http/routes.c: [{method, path, scope, body: 'none'|'json'|'stream'|'raw'}]. */
function routeTable() {
  const src = fs.readFileSync(path.join(REPO, 'src/http/routes.c'), 'utf8');
  const routes = [];
  // R(METHOD, "pattern", CP_SCOPE_X, limit, json, handler) and RS(METHOD, "pattern", CP_SCOPE_X, ops)
  const re = /\b(R|RS)\(\s*(GET|POST|PUT|PATCH|DELETE)\s*,\s*"([^"]+)"\s*,\s*(CP_SCOPE_[A-Z_]+)\s*,\s*([^,)]+)(?:,\s*(true|false))?/g;
  let m;
  while ((m = re.exec(src)) !== null) {
    const [, kind, method, p, scopeName, limit, isJson] = m;
    const scope = scopeName === 'CP_SCOPE_PUBLIC'
      ? 'public'
      : scopeName.replace(/^CP_SCOPE_/, '').toLowerCase().replace('_', ':');
    let body;
    if (kind === 'RS') body = 'stream';
    else if (limit.trim() === '-1') body = 'none';
    else body = isJson === 'true' ? 'json' : 'raw';
    routes.push({ method: method.toLowerCase(), path: p, scope, body });
  }
  return routes;
}

function operations() {
  const ops = [];
  for (const [p, item] of Object.entries(SPEC.paths)) {
    for (const m of Object.keys(item)) {
      if (METHODS.includes(m) || ['head', 'options', 'trace'].includes(m)) ops.push({ method: m, path: p, op: item[m] });
    }
  }
  return ops;
}

// ---- $ref and the schema checker ------------------------------------------------------------

function resolvePointer(refStr) {
  assert.ok(refStr.startsWith('#/'), `only local refs: ${refStr}`);
  let cur = SPEC;
  for (const raw of refStr.slice(2).split('/')) {
    const k = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object' || !(k in cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}
const deref = (x) => {
  let seen = 0;
  while (x && x.$ref) {
    x = resolvePointer(x.$ref);
    assert.ok(++seen < 20, 'ref loop');
  }
  return x;
};

const typeOf = (v) => {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
};
const DATE_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const UUID_FMT_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Validate value against schema; push "where: what" strings into errs. */
function check(schema, value, where, errs) {
  const s = deref(schema);
  if (s === undefined) {
    errs.push(`${where}: unresolvable schema ${JSON.stringify(schema)}`);
    return;
  }
  if (s === true || (typeof s === 'object' && Object.keys(s).length === 0)) return;
  if (s.anyOf || s.oneOf) {
    const alts = s.anyOf || s.oneOf;
    const results = alts.map((alt) => {
      const e = [];
      check(alt, value, where, e);
      return e;
    });
    const passing = results.filter((e) => e.length === 0).length;
    if (s.anyOf && passing === 0) errs.push(`${where}: matches none of anyOf (${results.map((e) => e[0]).join(' | ')})`);
    if (s.oneOf && passing !== 1) errs.push(`${where}: matches ${passing} of oneOf, need exactly 1 (${results.map((e) => e[0] || 'ok').join(' | ')})`);
  }
  const t = typeOf(value);
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? s.type : [s.type];
    const okType = types.includes(t) || (t === 'integer' && types.includes('number'));
    if (!okType) {
      errs.push(`${where}: is ${t} ${JSON.stringify(value)?.slice(0, 80)}, schema says ${types.join('|')}`);
      return;
    }
  }
  if (s.enum !== undefined && !s.enum.some((e) => e === value)) {
    errs.push(`${where}: ${JSON.stringify(value)} is not one of ${JSON.stringify(s.enum)}`);
  }
  if ('const' in s && s.const !== value) errs.push(`${where}: ${JSON.stringify(value)} is not ${JSON.stringify(s.const)}`);
  if (t === 'string') {
    if (s.minLength !== undefined && value.length < s.minLength) errs.push(`${where}: shorter than ${s.minLength}`);
    if (s.maxLength !== undefined && value.length > s.maxLength) errs.push(`${where}: longer than ${s.maxLength}`);
    if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(value)) errs.push(`${where}: ${JSON.stringify(value)} does not match ${s.pattern}`);
    if (s.format === 'date-time' && !(DATE_TIME_RE.test(value) && !Number.isNaN(Date.parse(value)))) errs.push(`${where}: ${JSON.stringify(value)} is not a date-time`);
    if (s.format === 'uuid' && !UUID_FMT_RE.test(value)) errs.push(`${where}: ${JSON.stringify(value)} is not a uuid`);
  }
  if (t === 'integer' || t === 'number') {
    if (s.minimum !== undefined && value < s.minimum) errs.push(`${where}: ${value} < minimum ${s.minimum}`);
    if (s.maximum !== undefined && value > s.maximum) errs.push(`${where}: ${value} > maximum ${s.maximum}`);
  }
  if (t === 'array') {
    if (s.minItems !== undefined && value.length < s.minItems) errs.push(`${where}: fewer than ${s.minItems} items`);
    if (s.maxItems !== undefined && value.length > s.maxItems) errs.push(`${where}: more than ${s.maxItems} items`);
    if (s.uniqueItems && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) errs.push(`${where}: items not unique`);
    if (s.items !== undefined) value.forEach((v, i) => check(s.items, v, `${where}[${i}]`, errs));
  }
  if (t === 'object') {
    for (const k of s.required || []) if (!(k in value)) errs.push(`${where}: required member '${k}' is missing`);
    const props = s.properties || {};
    for (const [k, v] of Object.entries(value)) {
      if (k in props) check(props[k], v, `${where}.${k}`, errs);
      else if (s.additionalProperties === false) errs.push(`${where}: member '${k}' is not in the schema (additionalProperties: false)`);
      else if (s.additionalProperties && typeof s.additionalProperties === 'object') check(s.additionalProperties, v, `${where}.${k}`, errs);
    }
    if (s.maxProperties !== undefined && Object.keys(value).length > s.maxProperties) errs.push(`${where}: more than ${s.maxProperties} members`);
  }
}

function assertValid(schema, value, label) {
  const errs = [];
  check(schema, value, '$', errs);
  assert.deepEqual(errs, [], `${label} does not match its documented schema:\n  ${errs.join('\n  ')}\nbody: ${JSON.stringify(value).slice(0, 2000)}`);
}

// ---- the static checks ----------------------------------------------------------------------

test('docs/openapi.json has exactly the routes of src/http/routes.c, with their scopes and bodies', () => {
  assert.match(SPEC.openapi, /^3\.1\./);
  const routes = routeTable();
  assert.ok(routes.length >= 30, `parsed ${routes.length} routes from routes.c`);
  const key = (m, p) => `${m.toUpperCase()} ${p}`;
  const fromC = new Map(routes.map((r) => [key(r.method, r.path), r]));
  assert.equal(fromC.size, routes.length, 'routes.c lists a (method, path) twice');
  const ops = operations();
  const fromSpec = new Map(ops.map((o) => [key(o.method, o.path), o]));
  assert.deepEqual([...fromSpec.keys()].sort(), [...fromC.keys()].sort(), 'operations in docs/openapi.json vs routes in src/http/routes.c');

  const schemes = SPEC.components.securitySchemes;
  for (const [k, r] of fromC) {
    const o = fromSpec.get(k).op;
    assert.ok(Array.isArray(o.security), `${k}: security is stated explicitly`);
    if (r.scope === 'public') {
      assert.deepEqual(o.security, [], `${k} is public: no security requirement`);
    } else {
      assert.ok(o.security.length >= 1, `${k} needs scope ${r.scope}: a security requirement`);
      for (const req of o.security) {
        const names = Object.keys(req);
        assert.ok(names.length >= 1, `${k}: an empty security requirement would make it optional`);
        for (const n of names) {
          assert.ok(schemes[n], `${k}: security scheme ${n} is defined`);
          assert.equal(schemes[n].type, 'http');
          assert.equal(schemes[n].scheme, 'bearer');
        }
        assert.deepEqual(Object.values(req).flat(), [r.scope], `${k}: the requirement names scope ${r.scope}`);
      }
    }
    assert.equal(o['x-scope'], r.scope, `${k}: x-scope`);
    assert.ok(o.description.includes(r.scope === 'public' ? 'No authentication' : `\`${r.scope}\``), `${k}: the description states the scope`);
    // The body: none where the route takes none, JSON where it takes JSON, audio on the stream.
    const rb = o.requestBody ? deref(o.requestBody) : undefined;
    if (r.body === 'none') assert.equal(rb, undefined, `${k} takes no body: no requestBody`);
    if (r.body === 'json') {
      assert.ok(rb && rb.required === true, `${k} takes a JSON body: requestBody required`);
      assert.deepEqual(Object.keys(rb.content), ['application/json'], `${k}: the body is JSON`);
      assert.equal(deref(rb.content['application/json'].schema).type, 'object', `${k}: the body is an object`);
    }
    if (r.body === 'stream') {
      assert.ok(rb && Object.keys(rb.content).length > 0, `${k} streams a body: requestBody`);
      for (const t of Object.keys(rb.content)) assert.match(t, /^audio\//, `${k}: audio body`);
    }
  }
});

test('every $ref resolves, every operation is complete, and every error response is the Error schema', () => {
  const refs = [];
  (function walk(node, where) {
    if (Array.isArray(node)) node.forEach((v, i) => walk(v, `${where}[${i}]`));
    else if (node && typeof node === 'object') {
      if (typeof node.$ref === 'string') refs.push([node.$ref, where]);
      for (const [k, v] of Object.entries(node)) walk(v, `${where}.${k}`);
    }
  })(SPEC, '$');
  assert.ok(refs.length > 50, `found ${refs.length} refs`);
  for (const [r, where] of refs) assert.notEqual(resolvePointer(r), undefined, `${where}: $ref ${r} does not resolve`);

  const errorRef = '#/components/schemas/Error';
  const ids = new Set();
  for (const { method, path: p, op } of operations()) {
    const k = `${method.toUpperCase()} ${p}`;
    assert.ok(op.operationId && /^[a-z][A-Za-z0-9]+$/.test(op.operationId), `${k}: operationId`);
    assert.ok(!ids.has(op.operationId), `${k}: operationId ${op.operationId} is unique`);
    ids.add(op.operationId);
    assert.ok(op.summary, `${k}: summary`);
    // Path parameters: exactly the template's.
    const params = (op.parameters || []).map(deref);
    const inPath = params.filter((x) => x.in === 'path').map((x) => x.name).sort();
    const templ = [...p.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
    assert.deepEqual(inPath, templ, `${k}: path parameters`);
    for (const x of params) {
      assert.ok(x.schema, `${k}: parameter ${x.name} has a schema`);
      if (x.in === 'path') assert.equal(x.required, true, `${k}: path parameter ${x.name} is required`);
    }
    if (['post', 'put', 'patch'].includes(method)) {
      assert.ok(params.some((x) => x.in === 'header' && x.name === 'Idempotency-Key'), `${k}: takes Idempotency-Key`);
    }
    const statuses = Object.keys(op.responses);
    assert.ok(statuses.some((s) => /^2\d\d$/.test(s)), `${k}: at least one 2xx response`);
    for (const s of statuses) {
      assert.match(s, /^[1-5]\d\d$/, `${k}: explicit status codes only`);
      const res = deref(op.responses[s]);
      assert.ok(res.description, `${k} ${s}: description`);
      assert.ok(deref(res.headers?.['X-Request-Id'])?.schema, `${k} ${s}: documents X-Request-Id`);
      if (Number(s) >= 400) {
        const jsonContent = res.content?.['application/json'];
        assert.ok(jsonContent, `${k} ${s}: an error answers JSON`);
        assert.equal(jsonContent.schema.$ref, errorRef, `${k} ${s}: the error is the Error schema`);
      } else if (res.content?.['application/json']) {
        assert.ok(deref(res.content['application/json'].schema), `${k} ${s}: JSON schema`);
      }
    }
    if (op.security?.length) {
      assert.ok(op.responses['401'] && op.responses['403'], `${k}: an authenticated route documents 401 and 403`);
    }
  }

  // The Error schema is the envelope of docs/ERRORS.md, with its codes.
  const md = fs.readFileSync(path.join(REPO, 'docs/ERRORS.md'), 'utf8');
  const codes = [...md.matchAll(/^\| (\d{3}) \| `([a-z_]+)` \|/gm)].map((m) => m[2]);
  assert.ok(codes.length > 20);
  const err = SPEC.components.schemas.Error;
  assert.deepEqual([...err.properties.code.enum].sort(), [...codes].sort(), 'Error.code enum vs docs/ERRORS.md');
  assert.deepEqual(err.required.slice().sort(), ['code', 'data', 'message', 'status']);
  assert.equal(err.additionalProperties, false);
});

// ---- the live scenario ----------------------------------------------------------------------

let srv;
let readOnlyToken;
const covered = new Map(); // operationId -> Set of statuses seen and validated

before(async () => {
  srv = await startServer();
  readOnlyToken = createKey(srv.dataDir, 'default', 'voice:read');
});
after(async () => { await srv?.kill(); });

/** The operation whose path template matches this concrete path and method. */
function findOperation(method, concretePath) {
  const p = concretePath.split('?')[0];
  const matches = [];
  for (const [tmpl, item] of Object.entries(SPEC.paths)) {
    if (!item[method]) continue;
    const re = new RegExp(`^${tmpl.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}$`);
    if (re.test(p)) matches.push({ tmpl, op: item[method], literal: !tmpl.includes('{') });
  }
  // A literal path wins over a template (as in the router: /v1/calls/end is not /v1/calls/{id}).
  matches.sort((a, b) => Number(b.literal) - Number(a.literal));
  assert.ok(matches.length > 0, `no documented operation for ${method.toUpperCase()} ${p}`);
  return matches[0];
}

/**
 * Send one request and check the answer against the operation's documentation. opts: body
 * (object → JSON, or Buffer/string as is), headers, token (default the all-scope key; null for
 * none), expect (the status the scenario expects). Resolves {status, headers, text, json, buf}.
 */
async function call(method, p, { body, headers = {}, token, expect, redirect } = {}) {
  const { tmpl, op } = findOperation(method, p);
  const label = `${method.toUpperCase()} ${p} (${op.operationId})`;
  const h = { ...headers };
  const tok = token === undefined ? srv.token : token;
  if (tok) h.Authorization = `Bearer ${tok}`;
  let b;
  if (body !== undefined) {
    if (typeof body === 'object' && !(body instanceof Uint8Array)) {
      b = JSON.stringify(body);
      h['Content-Type'] ||= 'application/json';
      // What we send as a documented request must be a documented request.
      if (expect === undefined || expect < 400) {
        const rb = deref(op.requestBody);
        assert.ok(rb?.content?.['application/json'], `${label}: sends JSON, which is not documented`);
        assertValid(rb.content['application/json'].schema, body, `${label} request body`);
      }
    } else {
      b = body;
    }
  }
  const res = await fetch(srv.base + p, { method: method.toUpperCase(), headers: h, body: b, redirect: redirect || 'follow' });
  const buf = Buffer.from(await res.arrayBuffer());
  const text = buf.toString('utf8');
  if (expect !== undefined) assert.equal(res.status, expect, `${label}: status; body ${text.slice(0, 500)}`);
  const doc = op.responses[String(res.status)];
  assert.ok(doc, `${label}: answered ${res.status}, which ${tmpl} does not document; body ${text.slice(0, 500)}`);
  const rdoc = deref(doc);
  // Headers: every required documented one, and X-Request-Id always.
  assert.ok(res.headers.get('x-request-id'), `${label}: X-Request-Id`);
  for (const [name, hd] of Object.entries(rdoc.headers || {})) {
    if (deref(hd).required) assert.ok(res.headers.get(name) !== null, `${label} ${res.status}: documented header ${name} is missing`);
  }
  // Media type and body.
  const ctype = (res.headers.get('content-type') || '').split(';')[0].trim();
  const documented = Object.keys(rdoc.content || {});
  if (buf.length > 0 || documented.length > 0) {
    assert.ok(documented.includes(ctype), `${label} ${res.status}: Content-Type ${ctype} is not one of ${documented.join(', ')}`);
  }
  let json;
  if (ctype === 'application/json') {
    json = JSON.parse(text);
    assertValid(rdoc.content['application/json'].schema, json, `${label} ${res.status}`);
  }
  if (!covered.has(op.operationId)) covered.set(op.operationId, new Set());
  covered.get(op.operationId).add(res.status);
  return { status: res.status, headers: res.headers, text, json, buf };
}

const SEED_UUID = '3c90c3cc-0d44-4b50-8888-8dd25736052a';
// Seed 004's request example, its `<string>` placeholders filled with values of their type.
const OVIA_SEED = {
  user_id: SEED_UUID,
  agent_id: SEED_UUID,
  type: 'phone_call',
  from_number: '+15551234567',
  to_number: '+15557654321',
  phone_number_id: SEED_UUID,
};
// docs/API.md's create example.
const API_CREATE = {
  call_id: 'vc_abc123', user_id: SEED_UUID, agent_id: SEED_UUID, type: 'phone_call', direction: 'outbound',
  from_number: '+15551234567', to_number: '+15557654321', phone_number_id: SEED_UUID, campaign_id: 'camp_456',
  status: 'in_progress', started_at: '2024-01-15T10:30:00Z',
  transcript_objects: [{ role: 'agent', content: 'Hello, this is...', timestamp: '2024-01-15T10:30:01Z' }],
  costs: { llm: 0.12, total: 0.31 }, metadata: { crm_id: 'A-17' },
};
// Seed 003's full example request.
const REC_LOG_SEED = {
  recording_id: 'rec_8sj29a',
  recording_url: 'https://cdn.example-ai.com/recordings/call_1j2kd9_rec_8sj29a.mp3',
  duration_seconds: 642,
  transcription_id: 'tr_92kd82',
  transcription_status: 'completed',
  started_at: '2026-03-15T13:40:29Z',
  ended_at: '2026-03-15T13:51:11Z',
  metadata: { direction: 'outbound', agent_id: 'usr_82hd92', labels: ['vip', 'renewal'] },
};
// Seed 000's request, verbatim.
const POST_CALL_SEED = {
  call_id: 'call_xyz789',
  phone: '+15551234567',
  calling_entity: 'Acme Insurance LLC',
  calling_number: '+18005550100',
  started_at: '2026-04-10T15:42:00Z',
  ended_at: '2026-04-10T15:46:30Z',
  duration_seconds: 270,
  outcome: 'completed',
  audio_recording_url: 'https://storage.yourplatform.com/recordings/call_xyz789.wav',
  full_transcript: '...',
  ai_disclosures_made: [
    { type: 'ai_identity', at_seconds: 1, text: 'Hi, this is an AI assistant calling on behalf of Acme Insurance.' },
    { type: 'callback_number', at_seconds: 4, text: 'Our callback number is 800-555-0100.' },
    { type: 'opt_out_instructions', at_seconds: 6, text: "If you'd like to opt out at any time, just say stop or press 9." },
  ],
  consent_ids_used: ['cst_lx8k7n3f4g5h6j7k'],
  consent_ids_captured: ['cst_lx8ka1b2c3d4e5f6'],
};

test('a scenario over every operation: each answer is documented and matches its schema', async () => {
  // Health, and the empty log.
  await call('get', '/v1/health', { token: null, expect: 200 });
  await call('get', '/v1/log/checkpoint', { token: null, expect: 404 });
  await call('get', '/v1/keys', { token: null, expect: 200 });

  // Calls, Ovia face: the seed's request (twice, with one Idempotency-Key), the API.md example.
  const seedCall = await call('post', '/api/v1/calls', { body: OVIA_SEED, headers: { 'Idempotency-Key': 'oa-seed-1' }, expect: 201 });
  assert.equal(seedCall.headers.get('location'), `/api/v1/calls/${seedCall.json.id}`);
  const replay = await call('post', '/api/v1/calls', { body: OVIA_SEED, headers: { 'Idempotency-Key': 'oa-seed-1' }, expect: 201 });
  assert.equal(replay.headers.get('idempotent-replayed'), 'true');
  assert.equal(replay.text, seedCall.text);
  await call('post', '/api/v1/calls', { body: API_CREATE, expect: 201 });
  await call('patch', '/api/v1/calls/vc_abc123', {
    body: {
      transcript_objects_append: [{ role: 'customer', content: 'Hi, yes...', timestamp: '2024-01-15T10:30:04Z' }],
      talk_time: 287, outcome: 'completed', ended_at: '2024-01-15T10:35:12Z', metadata: { crm_id: null, tags: ['renewal'] },
    },
    expect: 200,
  });
  await call('get', '/api/v1/calls/vc_abc123', { expect: 200 });
  await call('get', `/api/v1/calls/${seedCall.json.id}`, { expect: 200 });
  const list = await call('get', '/api/v1/calls?campaign_id=camp_456&direction=outbound&page_size=10', { expect: 200 });
  assert.equal(list.json.total_count, 1);
  await call('get', '/api/v1/calls', { expect: 200 });

  // Contact-center face.
  await call('get', '/api/v1/voice-calls/vc_abc123/epa-results', { expect: 404 });
  await call('put', '/api/v1/voice-calls/vc_abc123/epa-results', {
    body: {
      state: 'Completed', completionReason: 'AllAnswered', totalQuestions: 3, questionsAnswered: 3, calculatedScore: 85.5,
      responses: [{ question: 'How satisfied are you?', answer: 'Very satisfied', score: 5 }],
    },
    expect: 200,
  });
  await call('get', '/api/v1/voice-calls/vc_abc123/epa-results', { expect: 200 });
  await call('get', '/api/v1/voice-calls/vc_abc123', { expect: 200 });
  await call('get', `/api/v1/voice-calls/${seedCall.json.id}`, { expect: 200 });
  await call('get', '/api/v1/voice-calls?state=Completed&direction=Outbound', { expect: 200 }); // seed 002 step 1
  await call('get', '/api/v1/voice-calls?pageSize=1&page=2', { expect: 200 });

  // Vocode face: end as seed 001 does (no body), twice; a call in error cannot be ended.
  await call('post', `/v1/calls/end?id=${seedCall.json.id}`, { expect: 200 });
  await call('post', '/v1/calls/end?id=vc_abc123', { expect: 200 });
  await call('post', '/v1/calls/end?id=vc_abc123', { expect: 200 });
  await call('post', '/api/v1/calls', { body: { ...OVIA_SEED, call_id: 'failed-1', status: 'error', error_message: 'SIP 503' }, expect: 201 });
  await call('post', '/v1/calls/end?id=failed-1', { expect: 409 });
  await call('post', '/v1/calls/end', { expect: 400 });

  // Recordings: seed 003's log (create, then update), the audio, a signed link, downloads.
  await call('post', '/v1/calls/vc_abc123/recording-log', { body: REC_LOG_SEED, headers: { 'Idempotency-Key': 'rec-log-2026-03-15-01' }, expect: 201 });
  await call('post', '/v1/calls/vc_abc123/recording-log', { body: { ...REC_LOG_SEED, transcription_status: 'pending' }, expect: 200 });
  await call('post', '/v1/calls/call_1j2kd9/recording-log', { body: REC_LOG_SEED, expect: 404 });
  await call('post', '/v1/calls/vc_abc123/recording-log', { body: { ...REC_LOG_SEED, recording_url: 'http://x.example/a.mp3' }, expect: 400 });
  const wav = fs.readFileSync(path.join(REPO, 'tests/blackbox/fixtures/one-second.wav'));
  const up = await call('put', '/v1/calls/vc_abc123/recordings/rec_8sj29a/audio', { body: wav, headers: { 'Content-Type': 'audio/wav' }, expect: 201 });
  assert.equal(up.json.data.size_bytes, wav.length);
  await call('put', '/v1/calls/vc_abc123/recordings/rec_8sj29a/audio', { body: wav, headers: { 'Content-Type': 'audio/wav' }, expect: 200 });
  await call('put', '/v1/calls/vc_abc123/recordings/rec_other/audio', { body: wav, headers: { 'Content-Type': 'audio/mpeg' }, expect: 415 });
  await call('get', '/v1/calls/vc_abc123/recording-log', { expect: 200 });
  const link = await call('get', '/api/v1/voice-calls/vc_abc123/recording-url', { expect: 200 });
  const dl = new URL(link.json.recordingUrl);
  const dlPath = dl.pathname + dl.search;
  const full = await call('get', dlPath, { token: null, expect: 200 });
  assert.equal(full.buf.length, wav.length);
  const part = await call('get', dlPath, { token: null, headers: { Range: 'bytes=0-99' }, expect: 206 });
  assert.equal(part.buf.length, 100);
  await call('get', dlPath, { token: null, headers: { Range: `bytes=${wav.length}-` }, expect: 416 });
  await call('get', dlPath.replace(/sig=[0-9a-f]/, (m) => (m.endsWith('0') ? `${m.slice(0, -1)}1` : `${m.slice(0, -1)}0`)), { token: null, expect: 403 });
  // A recording logged with an external URL only: its link redirects there.
  await call('post', '/v1/calls/vc_abc123/recording-log', { body: { recording_id: 'rec_ext', recording_url: 'https://cdn.example-ai.com/ext.mp3', duration_seconds: 3 }, expect: 201 });
  const extLink = await call('get', '/api/v1/voice-calls/vc_abc123/recording-url?recordingId=rec_ext', { expect: 200 });
  const ext = new URL(extLink.json.recordingUrl);
  const moved = await call('get', ext.pathname + ext.search, { token: null, redirect: 'manual', expect: 302 });
  assert.equal(moved.headers.get('location'), 'https://cdn.example-ai.com/ext.mp3');
  await call('get', '/api/v1/voice-calls/failed-1/recording-url', { expect: 404 });

  // Consent: the two consents seed 000's post-call names, then reads, precall, an opt-out.
  const written = await call('post', '/v1/consents', {
    body: {
      consent_id: 'cst_lx8k7n3f4g5h6j7k', phone: '+1 (555) 123-4567', calling_entity: 'Acme Insurance LLC', type: 'prior_express_written',
      scope: ['ai_voice', 'telemarketing'], captured_at: '2026-04-01T12:00:00Z', source: 'web form', evidence_url: 'https://acme.example/consent/123',
    },
    expect: 201,
  });
  assert.equal(written.headers.get('location'), '/v1/consents/cst_lx8k7n3f4g5h6j7k');
  await call('post', '/v1/consents', {
    body: { consent_id: 'cst_lx8k7n3f4g5h6j7k', phone: '+15551234567', calling_entity: 'X', type: 'verbal', scope: ['ai_voice'], captured_at: '2026-04-01T12:00:00Z' },
    expect: 409,
  });
  await call('post', '/v1/capture-verbal', {
    body: {
      consent_id: 'cst_lx8ka1b2c3d4e5f6', call_id: 'call_xyz789', phone: '+15551234567', calling_entity: 'Acme Insurance LLC',
      captured_at: '2026-04-10T15:43:00Z', transcript: 'Yes, I agree.', agent_disclosure_text: 'May our AI assistant call you about your policy?',
      consent_scope: ['ai_voice'], language: 'en-US',
    },
    expect: 201,
  });
  await call('post', '/v1/capture-verbal', {
    body: { phone: '+15551234567', calling_entity: 'Other Co', transcript: 'No, do not call me.', consent_scope: ['ai_voice', 'telemarketing'] },
    expect: 201,
  });
  await call('get', '/v1/consents/cst_lx8k7n3f4g5h6j7k', { expect: 200 });
  await call('get', '/v1/consents/cst_lx8ka1b2c3d4e5f6', { expect: 200 });
  await call('get', '/v1/consents/cst_nope12345678', { expect: 404 });
  const consents = await call('get', '/v1/consents?phone=%2B15551234567', { expect: 200 });
  assert.equal(consents.json.items.length, 3);
  await call('get', '/v1/consents', { expect: 400 });
  const precall = {
    phone: '+15551234567', calling_entity: 'Acme Insurance LLC', calling_number: '+18005550100',
    purpose: 'telemarketing', call_type: 'ai_voice', metadata: { campaign: 'renewals' },
  };
  await call('post', '/v1/precall', { body: precall, expect: 200 });
  await call('post', '/v1/precall', { body: { ...precall, phone: '+15559876543', call_type: 'human_voice' }, expect: 200 });

  // Evidence: seed 000's post-call verbatim, sealed twice; reads, export, page, log proofs.
  const sealed = await call('post', '/v1/post-call', { body: POST_CALL_SEED, expect: 201 });
  const ev = sealed.json.evidence_bundle_id;
  assert.equal(sealed.headers.get('location'), `/v1/evidence/${ev}`);
  const again = await call('post', '/v1/post-call', { body: { call_id: 'call_xyz789', phone: '+15551234567', calling_entity: 'Acme Insurance LLC' }, expect: 201 });
  assert.equal(again.json.supersedes, ev);
  // A call with audio callproof holds, sealed: the bundle carries its recording.
  const withAudio = await call('post', '/v1/post-call', {
    body: { call_id: 'vc_abc123', phone: '+15557654321', calling_entity: 'Acme Insurance LLC', ended_at: '2024-01-15T10:35:12Z', ai_disclosures_made: [{ type: 'ai_identity', at_seconds: 0 }] },
    expect: 201,
  });
  // A call that ended long enough ago that its retention is over: its bundle may be deleted.
  const old = await call('post', '/v1/post-call', {
    body: { call_id: 'call_2021_old', phone: '+15551234567', calling_entity: 'Acme Insurance LLC', started_at: '2021-01-04T15:00:00Z', ended_at: '2021-01-04T15:02:00Z' },
    expect: 201,
  });
  assert.ok(Date.parse(old.json.retention_until) < Date.now(), `retention over: ${old.json.retention_until}`);
  await call('get', `/v1/evidence/${ev}`, { expect: 200 });
  const evAudio = await call('get', `/v1/evidence/${withAudio.json.evidence_bundle_id}`, { expect: 200 });
  assert.equal(evAudio.json.bundle.recording.recording_id, 'rec_8sj29a');
  await call('get', `/v1/evidence/${again.json.evidence_bundle_id}/export`, { expect: 200 });
  await call('get', `/v1/evidence/ev_${'0'.repeat(32)}`, { expect: 404 });
  const page = await call('get', `/e/${ev}`, { token: null, expect: 200 });
  assert.match(page.headers.get('content-type'), /^text\/html/);
  assert.ok(page.headers.get('content-security-policy'));
  await call('get', `/e/${ev}.json`, { token: null, expect: 200 });
  await call('get', `/e/${ev}`, { token: null, headers: { Accept: 'application/json' }, expect: 200 });
  await call('get', `/e/ev_${'0'.repeat(32)}`, { token: null, expect: 404 });
  await call('get', `/e/ev_${'0'.repeat(32)}.json`, { token: null, expect: 404 });
  const cp = await call('get', '/v1/log/checkpoint', { token: null, expect: 200 });
  const size = Number(cp.text.split('\n')[1]);
  assert.equal(size, 4);
  await call('get', `/v1/log/proof/inclusion?index=0&size=${size}`, { token: null, expect: 200 });
  await call('get', `/v1/log/proof/consistency?first=1&second=${size}`, { token: null, expect: 200 });
  await call('get', `/v1/log/proof/inclusion?index=0&size=${size + 1}`, { token: null, expect: 400 });
  await call('get', '/v1/log/proof/consistency?first=1&second=1&x=2', { token: null, expect: 400 });

  // The opt-out and what follows from it.
  const revokedAt = new Date(Date.now() - 3600e3).toISOString().replace(/\.\d+Z$/, 'Z');
  await call('post', '/v1/revoke', {
    body: { phone: '+15551234567', calling_entity: 'Acme Insurance LLC', trigger: 'verbal_stop_during_call', captured_at: revokedAt, call_id: 'vc_abc123', transcript: 'stop calling me' },
    expect: 201,
  });
  await call('get', '/v1/revocations?phone=%2B15551234567', { expect: 200 });
  const blocked = await call('post', '/v1/precall', { body: precall, expect: 200 });
  assert.equal(blocked.json.reason, 'consumer_revoked');
  await call('get', '/v1/consents/cst_lx8k7n3f4g5h6j7k', { expect: 200 }); // now revoked
  // A call sealed after the opt-out: its bundle carries the revocation.
  const afterRevoke = await call('post', '/v1/post-call', {
    body: { call_id: 'call_after_revoke', phone: '+15551234567', calling_entity: 'Acme Insurance LLC', started_at: new Date(Date.now() - 1800e3).toISOString(), duration_seconds: 60, consent_ids_used: ['cst_lx8k7n3f4g5h6j7k', 'cst_unknown000001'] },
    expect: 201,
  });
  const evRevoked = await call('get', `/v1/evidence/${afterRevoke.json.evidence_bundle_id}`, { expect: 200 });
  assert.equal(evRevoked.json.bundle.revocations.length, 1);
  assert.deepEqual(evRevoked.json.bundle.consents_used.map((c) => c.found), [true, false]);

  // Deleting: refused under retention, done otherwise.
  await call('delete', `/v1/evidence/${ev}`, { expect: 409 });
  await call('delete', '/api/v1/calls/call_xyz789', { expect: 409 });
  await call('delete', `/v1/evidence/ev_${'1'.repeat(32)}`, { expect: 404 });
  const gone = await call('delete', `/v1/evidence/${old.json.evidence_bundle_id}`, { expect: 200 });
  assert.equal(gone.json.id, old.json.evidence_bundle_id);
  await call('get', `/v1/evidence/${old.json.evidence_bundle_id}`, { expect: 404 });
  const del = await call('delete', `/api/v1/calls/${seedCall.json.id}`, { expect: 200 });
  assert.equal(del.json.id, seedCall.json.id);
  await call('get', `/api/v1/calls/${seedCall.json.id}`, { expect: 404 });
});

test('error answers match the Error schema and the statuses each operation documents', async () => {
  // 401: no key, a bad key.
  const noKey = await call('get', '/api/v1/calls', { token: null, expect: 401 });
  assert.equal(noKey.json.code, 'unauthorized');
  await call('get', '/v1/evidence/ev_x', { token: 'cp_0000000000000000_' + '0'.repeat(64), expect: 401 });
  // 403: a key without the scope.
  const scope = await call('post', '/api/v1/calls', { token: readOnlyToken, body: OVIA_SEED, expect: 403 });
  assert.equal(scope.json.code, 'insufficient_scope');
  await call('get', '/api/v1/voice-calls/vc_abc123/recording-url', { token: readOnlyToken, expect: 403 });
  // 404.
  const nf = await call('get', '/api/v1/calls/no-such-call', { expect: 404 });
  assert.equal(nf.json.code, 'not_found');
  await call('get', '/api/v1/voice-calls/no-such-call', { expect: 404 });
  await call('patch', '/api/v1/calls/no-such-call', { body: { talk_time: 1 }, expect: 404 });
  // 400s of several kinds, each naming its field.
  const missing = await call('post', '/api/v1/calls', { body: {}, expect: 400 });
  assert.equal(missing.json.code, 'missing_field');
  assert.equal(typeof missing.json.field, 'string');
  const unknown = await call('post', '/v1/post-call', { body: { ...POST_CALL_SEED, extra: 1 }, expect: 400 });
  assert.equal(unknown.json.code, 'unknown_field');
  const ro = await call('patch', '/api/v1/calls/vc_abc123', { body: { from_number: '+15550000000' }, expect: 400 });
  assert.equal(ro.json.code, 'read_only_field');
  const bq = await call('get', '/api/v1/voice-calls?pageSize=501', { expect: 400 });
  assert.equal(bq.json.code, 'bad_query');
  await call('get', '/api/v1/calls?nope=1', { expect: 400 });
  await call('post', '/v1/consents', { body: '{"phone":', headers: { 'Content-Type': 'application/json' }, expect: 400 });
  // 409, 415, 422.
  await call('post', '/api/v1/calls', { body: { ...OVIA_SEED, call_id: 'vc_abc123' }, expect: 409 });
  await call('patch', '/api/v1/calls/vc_abc123', { body: { status: 'in_progress' }, expect: 409 });
  await call('post', '/v1/precall', { body: 'phone=1', headers: { 'Content-Type': 'text/plain' }, expect: 415 });
  await call('post', '/v1/revoke', {
    body: { phone: '+15551234567', calling_entity: 'A', trigger: 'manual', captured_at: '2026-01-01T00:00:00Z' },
    headers: { 'Idempotency-Key': 'reuse-me' }, expect: 201,
  });
  await call('post', '/v1/revoke', {
    body: { phone: '+15551234567', calling_entity: 'B', trigger: 'manual', captured_at: '2026-01-01T00:00:00Z' },
    headers: { 'Idempotency-Key': 'reuse-me' }, expect: 422,
  });
});

test('every operation of docs/openapi.json was called and answered a validated 2xx', () => {
  const missing = [];
  for (const { method, path: p, op } of operations()) {
    const seen = covered.get(op.operationId) || new Set();
    if (![...seen].some((s) => s >= 200 && s < 300)) missing.push(`${method.toUpperCase()} ${p}`);
  }
  assert.deepEqual(missing, [], 'operations the scenario never saw succeed');
});

test('the server shuts down cleanly after all of the above', async () => {
  await assertCleanExit(srv);
});
