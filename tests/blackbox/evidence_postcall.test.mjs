// Covers sealing and reading evidence bundles (seed 000):
//  - POST /v1/post-call with the seed's example body sent verbatim: 201 with every documented
//    field (evidence_bundle_id "ev_" + 32 hex, stored, evidence_url = <base>/e/<id>,
//    compliance_score, compliance_findings, retention_until = ended_at + 4 years, supersedes,
//    call_id, log_index) and a Location; with the consents it names created first it scores 100
//    with compliance_findings [];
//  - the sealed bundle (GET /v1/evidence/{id}) holds the call as posted, the consents it cites
//    (hash and signature of their signed records), the transcript hash, the info notes, and is
//    canonical JSON;
//  - the bad-input matrix: 400 naming the field, and nothing sealed (the checkpoint size stays);
//    a time at the Unix epoch (callproof's "unknown") is refused or sealed as sent, never dropped;
//  - optional fields, retention_until arithmetic (offsets, leap day, no ended_at);
//  - scopes (evidence:write to seal, voice:read to read; /e/, /v1/keys and the log are public),
//    and tenant isolation (another tenant's bundle is 404, its consents are "not found");
//  - the export (GET /v1/evidence/{id}/export, GET /e/{id}, /e/{id}.json): the same file, no
//    auth on /e/, Referrer-Policy: no-referrer and X-Robots-Tag: noindex, and an unknown id is a
//    404 that reveals nothing;
//  - supersession: the same call_id posted again seals a new bundle naming the old one, which
//    then names its successor; another tenant's call_id is separate.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {
  startServer, assertErrorBody, assertCleanExit, createKey, UUID_RE, send as sendAs, expectErr,
} from './lib.mjs';
import { SEED_BODY, SEED, WRITTEN, VERBAL } from './econsent_seed.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv?.dispose(); });

const EV_RE = /^ev_[0-9a-f]{32}$/;
const HEX64_RE = /^[0-9a-f]{64}$/;
const HEX128_RE = /^[0-9a-f]{128}$/;
const RFC3339_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$/;

const seed = (over = {}) => ({ ...structuredClone(SEED), ...over });


// Rule weights (src/domain/compliance.c) of the codes this file can meet.
const WEIGHT = { CONSENT_NOT_FOUND: 35, CONSENT_MISSING: 40, AI_IDENTITY_MISSING: 30, CALLBACK_MISSING: 25,
  OPT_OUT_MISSING: 25, CALL_TIME_MISSING: 5, ENTITY_NOT_NAMED: 25, AI_IDENTITY_LATE: 10 };

/** Send a request (default token: the first-start, all-scope key). */
const send = (method, p, body, token = srv.token) => sendAs(srv.base, token, method, p, body);


async function postCall(body, token) {
  const r = await send('POST', '/v1/post-call', body, token);
  assert.equal(r.status, 201, r.text);
  return r;
}

async function created(p, body, token) {
  const r = await send('POST', p, body, token);
  assert.equal(r.status, 201, `${p}: ${r.text}`);
  return r.json;
}

/** Create the two consents the seed names, in the tenant of token. */
async function seedConsents(token) {
  const w = await created('/v1/consents', WRITTEN, token);
  const v = await created('/v1/capture-verbal', VERBAL, token);
  assert.equal(v.valid, true, 'the verbal capture is a valid consent');
  return { w, v };
}

async function logSize() {
  const r = await fetch(`${srv.base}/v1/log/checkpoint`);
  if (r.status === 404) return 0;
  assert.equal(r.status, 200);
  return Number((await r.text()).split('\n')[1]);
}

/** Canonical JSON: keys sorted (UTF-16 order, as RFC 8785), no whitespace. */
function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

const sha256hex = (s) => crypto.createHash('sha256').update(s, 'utf8').digest('hex');

function assertFinding(f) {
  for (const k of ['code', 'severity', 'rule_ref', 'message']) {
    assert.equal(typeof f[k], 'string', `finding.${k} in ${JSON.stringify(f)}`);
    assert.ok(f[k].length > 0, `finding.${k} is not empty`);
  }
  assert.ok(['critical', 'warning'].includes(f.severity), `a finding is critical or warning: ${f.severity}`);
  if ('at_seconds' in f) assert.ok(Number.isInteger(f.at_seconds) && f.at_seconds >= 0);
}

/** Every documented field of a post-call answer, with the documented formats. */
function assertSealAnswer(r, { base = srv.base } = {}) {
  const j = r.json;
  assert.match(r.headers.get('content-type'), /^application\/json/);
  assert.deepEqual(Object.keys(j).sort(), ['call_id', 'compliance_findings', 'compliance_score', 'evidence_bundle_id',
    'evidence_url', 'log_index', 'retention_until', 'stored', 'supersedes'].sort());
  assert.match(j.evidence_bundle_id, EV_RE);
  assert.equal(j.stored, true);
  assert.equal(j.evidence_url, `${base}/e/${j.evidence_bundle_id}`);
  assert.ok(Number.isInteger(j.compliance_score) && j.compliance_score >= 0 && j.compliance_score <= 100);
  assert.ok(Array.isArray(j.compliance_findings));
  j.compliance_findings.forEach(assertFinding);
  assert.match(j.retention_until, RFC3339_RE);
  assert.ok(j.supersedes === null || EV_RE.test(j.supersedes));
  assert.match(j.call_id, UUID_RE);
  assert.ok(Number.isInteger(j.log_index) && j.log_index >= 0);
  assert.equal(r.headers.get('location'), `/v1/evidence/${j.evidence_bundle_id}`);
  return j;
}

test('the seed\'s example body, sent verbatim, is sealed: 201 with every documented field (its consent is not on file yet: CONSENT_NOT_FOUND)', async () => {
  const token = createKey(srv.dataDir, 'verbatim', 'all');
  const before = await logSize();
  const r = await postCall(SEED_BODY, token);
  const j = assertSealAnswer(r);
  assert.equal(j.retention_until, '2030-04-10T15:46:30Z');
  assert.equal(j.supersedes, null);
  assert.equal(j.log_index, before, 'the bundle is the next leaf of the log');
  assert.equal(await logSize(), before + 1);
  // The captured consent that is not on file is only a note; the used one is a finding.
  assert.deepEqual(j.compliance_findings.map((f) => f.code), ['CONSENT_NOT_FOUND']);
  assert.equal(j.compliance_findings[0].severity, 'critical');
  assert.match(j.compliance_findings[0].message, /cst_lx8k7n3f4g5h6j7k/);
  assert.ok(!('at_seconds' in j.compliance_findings[0]), 'no at_seconds when the finding points at no moment');
  assert.equal(j.compliance_score, 100 - WEIGHT.CONSENT_NOT_FOUND);
});

test('with the consents it names created first, the seed call scores 100 with compliance_findings []', async () => {
  const { w, v } = await seedConsents(srv.token);
  const before = await logSize();
  const r = await postCall(SEED_BODY);
  const j = assertSealAnswer(r);
  assert.equal(j.compliance_score, 100);
  assert.deepEqual(j.compliance_findings, []);
  assert.equal(j.retention_until, '2030-04-10T15:46:30Z');
  assert.equal(j.supersedes, null);
  assert.equal(j.log_index, before);

  // The sealed bundle holds the call as posted and what it relied on.
  const g = await send('GET', `/v1/evidence/${j.evidence_bundle_id}`);
  assert.equal(g.status, 200, g.text);
  const b = g.json.bundle;
  assert.equal(b.schema, 'callproof.evidence.v1');
  assert.equal(b.bundle_id, j.evidence_bundle_id);
  assert.equal(b.tenant, 'default');
  assert.deepEqual(b.call, {
    id: j.call_id, call_id: 'call_xyz789', phone: '+15551234567', calling_entity: 'Acme Insurance LLC',
    calling_number: '+18005550100', started_at: '2026-04-10T15:42:00Z', ended_at: '2026-04-10T15:46:30Z',
    duration_seconds: 270, outcome: 'completed', audio_recording_url: SEED.audio_recording_url,
  });
  assert.deepEqual(b.disclosures, SEED.ai_disclosures_made);
  // Each consent is cited by the hash of its signed record and its signature, with what the
  // rules read of it as it stood at sealing (so the score can be recomputed from the bundle).
  assert.deepEqual(b.consents_used, [{ consent_id: w.consent_id, found: true,
    record_sha256: sha256hex(w.proof.record_canonical), signature: w.signature,
    phone: WRITTEN.phone, calling_entity: WRITTEN.calling_entity, type: WRITTEN.type, scope: WRITTEN.scope,
    valid: true, captured_at: WRITTEN.captured_at, revoked_at: null, has_request_text: false }]);
  assert.deepEqual(b.consents_captured, [{ consent_id: v.consent_id, found: true,
    record_sha256: sha256hex(v.proof.record_canonical), signature: v.signature,
    phone: VERBAL.phone, calling_entity: VERBAL.calling_entity, type: 'verbal', scope: VERBAL.consent_scope,
    valid: true, captured_at: VERBAL.captured_at, revoked_at: null, has_request_text: true }]);
  assert.deepEqual(b.revocations, []);
  assert.deepEqual(b.transcript, { sha256: sha256hex('...'), text: '...' });
  assert.equal(b.compliance.score, 100);
  assert.deepEqual(b.compliance.findings, []);
  assert.match(b.compliance.rules_version, /\S/);
  // Info rules are notes, not findings: 555 has no time zone and no state.
  const notes = b.compliance.notes.map((n) => n.code);
  assert.deepEqual(notes, ['CALLING_HOURS_UNVERIFIED', 'RECORDING_NOTICE_UNVERIFIED']);
  for (const n of b.compliance.notes) {
    assert.equal(n.severity, 'info');
    assert.equal(n.points, 0);
  }
  assert.equal(b.retention_until, '2030-04-10T15:46:30Z');
  assert.equal(b.supersedes, null);
  assert.equal(b.sealed_at, g.json.sealed_at);
});

test('the bundle is canonical JSON whose reading equals GET /v1/evidence/{id}: documented fields, and no whitespace or unsorted keys', async () => {
  const token = createKey(srv.dataDir, 'shape', 'all');
  await seedConsents(token);
  const j = (await postCall(SEED_BODY, token)).json;
  const g = await send('GET', `/v1/evidence/${j.evidence_bundle_id}`, undefined, token);
  assert.equal(g.status, 200, g.text);
  const e = g.json;
  assert.deepEqual(Object.keys(e).sort(), ['bundle', 'call_id', 'compliance_score', 'evidence_bundle_id', 'evidence_url',
    'key_id', 'log_index', 'retention_until', 'sealed_at', 'signature', 'superseded_by', 'supersedes'].sort());
  assert.equal(e.evidence_bundle_id, j.evidence_bundle_id);
  assert.equal(e.call_id, j.call_id);
  assert.equal(e.compliance_score, j.compliance_score);
  assert.match(e.sealed_at, RFC3339_RE);
  assert.equal(e.retention_until, j.retention_until);
  assert.equal(e.supersedes, null);
  assert.equal(e.superseded_by, null);
  assert.equal(e.log_index, j.log_index);
  assert.equal(e.evidence_url, j.evidence_url);
  assert.match(e.signature, HEX128_RE);
  const keys = (await (await fetch(`${srv.base}/v1/keys`)).json()).keys;
  assert.equal(e.key_id, keys[0].key_id);
  // The export carries the exact bytes: they are the canonical form of `bundle`.
  const x = await send('GET', `/v1/evidence/${j.evidence_bundle_id}/export`, undefined, token);
  assert.equal(x.status, 200, x.text);
  assert.equal(x.json.bundle, canonical(e.bundle));
  assert.deepEqual(JSON.parse(x.json.bundle), e.bundle);
  assert.equal(x.json.signature.value, e.signature);
  assert.equal(e.bundle.key_id, e.key_id);
  assert.equal(e.bundle.tenant, 'shape');
});

test('bad input is 400 naming the field, and nothing is sealed', async () => {
  const before = await logSize();
  const d = (over) => seed({ ai_disclosures_made: [{ type: 'ai_identity', at_seconds: 1, text: 'x', ...over }] });
  const without = (k) => { const b = seed(); delete b[k]; return b; };
  const cases = [
    [without('call_id'), 'missing_field', 'call_id'],
    [seed({ call_id: null }), 'missing_field', 'call_id'],
    [seed({ call_id: '' }), 'invalid_field', 'call_id'],
    [seed({ call_id: 7 }), 'invalid_field', 'call_id'],
    [seed({ call_id: 'a/b' }), 'invalid_field', 'call_id'],
    [seed({ call_id: 'c'.repeat(129) }), 'invalid_field', 'call_id'],
    [without('phone'), 'missing_field', 'phone'],
    [seed({ phone: '5551234567' }), 'invalid_field', 'phone'],
    [seed({ phone: 'call me' }), 'invalid_field', 'phone'],
    [seed({ phone: 15551234567 }), 'invalid_field', 'phone'],
    [without('calling_entity'), 'missing_field', 'calling_entity'],
    [seed({ calling_entity: '' }), 'invalid_field', 'calling_entity'],
    [seed({ calling_entity: 'E'.repeat(201) }), 'invalid_field', 'calling_entity'],
    [seed({ calling_number: '800-555-0100' }), 'invalid_field', 'calling_number'],
    [seed({ started_at: 'yesterday' }), 'invalid_field', 'started_at'],
    [seed({ started_at: '2026-04-10' }), 'invalid_field', 'started_at'],
    [seed({ ended_at: 1775835990 }), 'invalid_field', 'ended_at'],
    [seed({ ended_at: '2026-04-10T15:41:59Z' }), 'invalid_field', 'ended_at'],
    [seed({ duration_seconds: 270.5 }), 'invalid_field', 'duration_seconds'],
    [seed({ duration_seconds: '270' }), 'invalid_field', 'duration_seconds'],
    [seed({ duration_seconds: -1 }), 'invalid_field', 'duration_seconds'],
    [seed({ outcome: 'busy' }), 'invalid_field', 'outcome'],
    [seed({ outcome: 'COMPLETED' }), 'invalid_field', 'outcome'],
    [seed({ audio_recording_url: 'http://storage.example/a.wav' }), 'invalid_field', 'audio_recording_url'],
    [seed({ audio_recording_url: 'not a url' }), 'invalid_field', 'audio_recording_url'],
    [seed({ full_transcript: ['...'] }), 'invalid_field', 'full_transcript'],
    [seed({ ai_disclosures_made: {} }), 'invalid_field', 'ai_disclosures_made'],
    [seed({ ai_disclosures_made: ['ai_identity'] }), 'invalid_field', 'ai_disclosures_made[0]'],
    [seed({ ai_disclosures_made: [{ at_seconds: 1 }] }), 'missing_field', 'ai_disclosures_made[0].type'],
    [d({ type: 'ai_disclosure' }), 'invalid_field', 'ai_disclosures_made[0].type'],
    [d({ at_seconds: -1 }), 'invalid_field', 'ai_disclosures_made[0].at_seconds'],
    [d({ at_seconds: 1.5 }), 'invalid_field', 'ai_disclosures_made[0].at_seconds'],
    [d({ at_seconds: '1' }), 'invalid_field', 'ai_disclosures_made[0].at_seconds'],
    [d({ text: 5 }), 'invalid_field', 'ai_disclosures_made[0].text'],
    [d({ speaker: 'ai' }), 'unknown_field', 'ai_disclosures_made[0].speaker'],
    [seed({ consent_ids_used: 'cst_lx8k7n3f4g5h6j7k' }), 'invalid_field', 'consent_ids_used'],
    [seed({ consent_ids_used: ['cst_lx8k7n3f4g5h6j7k', 5] }), 'invalid_field', 'consent_ids_used[1]'],
    [seed({ consent_ids_used: [''] }), 'invalid_field', 'consent_ids_used[0]'],
    [seed({ consent_ids_captured: [null] }), 'invalid_field', 'consent_ids_captured[0]'],
    [seed({ consent_ids_captured: ['cst x'] }), 'invalid_field', 'consent_ids_captured[0]'],
    [seed({ evidence_bundle_id: 'ev_00000000000000000000000000000000' }), 'unknown_field', 'evidence_bundle_id'],
  ];
  for (const [body, code, field] of cases) {
    const r = await send('POST', '/v1/post-call', body);
    expectErr(r, 400, code, field, `${field} ${JSON.stringify(body[field] ?? null).slice(0, 60)}`);
  }
  for (const raw of ['not json', '[]', '"x"', '{"call_id":"a","call_id":"b"}']) {
    const r = await send('POST', '/v1/post-call', raw);
    assert.equal(r.status, 400, `${raw}: ${r.text}`);
    assertErrorBody(r.text, 'invalid_json', { fieldOptional: true });
  }
  assert.equal(await logSize(), before, 'no bad request sealed anything');
  // And the body the matrix started from is fine.
  await postCall(seed({ call_id: 'call_after_matrix' }));
  assert.equal(await logSize(), before + 1);
});

test('a time the server cannot hold is refused, never silently dropped from the sealed bundle: started_at/ended_at at 1970-01-01T00:00:00Z', async () => {
  // callproof uses 0 ms for "unknown"; /v1/revoke and /v1/capture-verbal answer 400 for such a
  // time. A post-call must either refuse it (400 naming the field) or seal it as sent.
  for (const field of ['started_at', 'ended_at']) {
    const body = { call_id: `call_epoch_${field}`, phone: '+15551234567', calling_entity: 'Acme Insurance LLC',
      started_at: '1970-01-01T00:00:00Z', ended_at: '1970-01-01T00:01:00Z', duration_seconds: 60 };
    if (field === 'ended_at') { delete body.started_at; body.ended_at = '1970-01-01T00:00:00Z'; }
    const r = await send('POST', '/v1/post-call', body);
    if (r.status === 400) {
      assertErrorBody(r.text, 'invalid_field', { field });
      continue;
    }
    assert.equal(r.status, 201, r.text);
    const g = (await send('GET', `/v1/evidence/${r.json.evidence_bundle_id}`)).json;
    assert.equal(g.bundle.call[field], body[field], `${field} sealed as sent, not as ${JSON.stringify(g.bundle.call[field])}`);
  }
});

test('only call_id, phone and calling_entity are required; the phone is stored in E.164 and retention runs 4 years from sealing when ended_at is absent', async () => {
  const r = await postCall({ call_id: 'call_minimal', phone: '+1 (555) 123-4500', calling_entity: 'Acme Insurance LLC' });
  const j = assertSealAnswer(r);
  const g = (await send('GET', `/v1/evidence/${j.evidence_bundle_id}`)).json;
  assert.equal(g.bundle.call.phone, '+15551234500');
  assert.deepEqual(g.bundle.call, {
    id: j.call_id, call_id: 'call_minimal', phone: '+15551234500', calling_entity: 'Acme Insurance LLC',
    calling_number: null, started_at: null, ended_at: null, duration_seconds: null, outcome: null, audio_recording_url: null,
  });
  assert.deepEqual(g.bundle.disclosures, []);
  assert.deepEqual(g.bundle.consents_used, []);
  assert.deepEqual(g.bundle.transcript, { sha256: null, text: null });
  // Nothing was said and nothing is known: every rule that applies says so, and the score
  // (floored at 0) is 100 minus the weights of the rules broken.
  const codes = j.compliance_findings.map((f) => f.code);
  assert.deepEqual(codes, ['AI_IDENTITY_MISSING', 'CALLBACK_MISSING', 'OPT_OUT_MISSING', 'CONSENT_MISSING', 'CALL_TIME_MISSING']);
  assert.equal(j.compliance_score, Math.max(0, 100 - codes.reduce((s, c) => s + WEIGHT[c], 0)));
  assert.equal(j.compliance_score, 0);
  // No ended_at: kept 4 years from sealing.
  const sealed = g.sealed_at;
  assert.equal(j.retention_until, `${Number(sealed.slice(0, 4)) + 4}${sealed.slice(4)}`);
});

test('retention_until is ended_at + 4 calendar years in UTC, whatever offset ended_at was sent in', async () => {
  const cases = [
    ['2026-04-10T15:46:30Z', '2030-04-10T15:46:30Z'],
    ['2026-04-10T11:46:30-04:00', '2030-04-10T15:46:30Z'],
    ['2025-12-31T23:30:00-05:00', '2030-01-01T04:30:00Z'],
    ['2024-02-29T12:00:00Z', '2028-02-29T12:00:00Z'],
  ];
  let i = 0;
  for (const [ended, want] of cases) {
    const j = (await postCall({ call_id: `call_ret_${i++}`, phone: '+15551234567', calling_entity: 'Acme Insurance LLC', ended_at: ended })).json;
    assert.equal(j.retention_until, want, `ended_at ${ended}`);
    const g = (await send('GET', `/v1/evidence/${j.evidence_bundle_id}`)).json;
    assert.equal(g.retention_until, want);
    assert.equal(g.bundle.retention_until, want);
  }
});

test('without ended_at, retention runs from started_at + duration_seconds; call times in the future are refused', async () => {
  const j = (await postCall({ call_id: 'call_ret_start', phone: '+15551234567', calling_entity: 'Acme Insurance LLC',
    started_at: '2026-04-10T15:42:00Z', duration_seconds: 270 })).json;
  assert.equal(j.retention_until, '2030-04-10T15:46:30Z');
  const before = await logSize();
  const ahead = new Date(Date.now() + 3600e3).toISOString();
  for (const field of ['started_at', 'ended_at']) {
    const r = await send('POST', '/v1/post-call', { call_id: 'call_future', phone: '+15551234567',
      calling_entity: 'Acme Insurance LLC', [field]: ahead });
    expectErr(r, 400, 'invalid_field', field, `${field} an hour ahead`);
    assert.match(r.json.message, /future/);
  }
  assert.equal(await logSize(), before);
});

test('scopes: a voice:read key cannot seal (403 naming evidence:write), an evidence:write key can but cannot read (403 naming voice:read); without a token 401', async () => {
  const reader = createKey(srv.dataDir, 'default', 'voice:read');
  const writer = createKey(srv.dataDir, 'default', 'evidence:write');
  const before = await logSize();
  const r = await send('POST', '/v1/post-call', seed({ call_id: 'call_scope' }), reader);
  expectErr(r, 403, 'insufficient_scope', undefined, 'voice:read seals');
  assert.match(r.json.message, /evidence:write/);
  expectErr(await send('POST', '/v1/post-call', seed({ call_id: 'call_scope' }), null), 401, 'unauthorized', undefined, 'no token');
  assert.equal(await logSize(), before);
  const w = await postCall(seed({ call_id: 'call_scope' }), writer);
  const id = w.json.evidence_bundle_id;
  for (const p of [`/v1/evidence/${id}`, `/v1/evidence/${id}/export`]) {
    const x = await send('GET', p, undefined, writer);
    expectErr(x, 403, 'insufficient_scope', undefined, `GET ${p} with evidence:write`);
    assert.match(x.json.message, /voice:read/);
    expectErr(await send('GET', p, undefined, null), 401, 'unauthorized', undefined, `GET ${p} without a token`);
    const ok = await send('GET', p, undefined, reader);
    assert.equal(ok.status, 200, ok.text);
  }
  // The capability URL, the keys and the log need no token.
  for (const p of [`/e/${id}`, `/e/${id}.json`, '/v1/keys', '/v1/log/checkpoint']) {
    const x = await fetch(srv.base + p);
    assert.equal(x.status, 200, `GET ${p} without a token`);
  }
});

test("another tenant's bundle is 404 on the tenant API, and a consent of another tenant counts as not found", async () => {
  const b = createKey(srv.dataDir, 'other', 'all');
  const a = (await postCall(seed({ call_id: 'call_tenant_a' }))).json;
  for (const p of [`/v1/evidence/${a.evidence_bundle_id}`, `/v1/evidence/${a.evidence_bundle_id}/export`]) {
    expectErr(await send('GET', p, undefined, b), 404, 'not_found', undefined, `tenant B GET ${p}`);
  }
  // The default tenant holds the seed's consents; tenant B cites them: not on file for B.
  const j = (await postCall(seed({ call_id: 'call_tenant_b' }), b)).json;
  assert.deepEqual(j.compliance_findings.map((f) => f.code), ['CONSENT_NOT_FOUND']);
  const g = (await send('GET', `/v1/evidence/${j.evidence_bundle_id}`, undefined, b)).json;
  assert.deepEqual(g.bundle.consents_used, [{ consent_id: SEED.consent_ids_used[0], found: false, record_sha256: null, signature: null }]);
  assert.deepEqual(g.bundle.consents_captured, [{ consent_id: SEED.consent_ids_captured[0], found: false, record_sha256: null, signature: null }]);
  assert.ok(g.bundle.compliance.notes.some((n) => n.code === 'CONSENT_CAPTURED_NOT_FOUND'));
  expectErr(await send('GET', `/v1/evidence/${j.evidence_bundle_id}`), 404, 'not_found', undefined, 'tenant A GET of B');
});

test('unknown or malformed bundle ids are 404 not_found on every read path', async () => {
  for (const id of ['ev_00000000000000000000000000000000', 'ev_1', 'nope', `ev_${'g'.repeat(32)}`, `ev_${'0'.repeat(33)}`]) {
    expectErr(await send('GET', `/v1/evidence/${id}`), 404, 'not_found', undefined, `GET /v1/evidence/${id}`);
    expectErr(await send('GET', `/v1/evidence/${id}/export`), 404, 'not_found', undefined, `GET export ${id}`);
  }
});

test('the export is the same file on /v1/evidence/{id}/export, /e/{id} (no auth) and /e/{id}.json, with no-referrer and noindex on /e/', async () => {
  const j = (await postCall(seed({ call_id: 'call_export' }))).json;
  const id = j.evidence_bundle_id;
  const strip = (x) => { const { exported_at: t, ...rest } = x; assert.match(t, RFC3339_RE); return rest; };
  const api1 = await send('GET', `/v1/evidence/${id}/export`);
  assert.equal(api1.status, 200, api1.text);
  const x = api1.json;
  assert.deepEqual(Object.keys(x).sort(), ['bundle', 'bundle_id', 'bundle_sha256', 'exported_at', 'format', 'log', 'signature', 'superseded_by'].sort());
  assert.equal(x.format, 'callproof.evidence-export.v1');
  assert.equal(x.bundle_id, id);
  assert.equal(typeof x.bundle, 'string');
  assert.equal(x.bundle_sha256, sha256hex(x.bundle));
  assert.match(x.bundle_sha256, HEX64_RE);
  assert.deepEqual(Object.keys(x.signature).sort(), ['algorithm', 'key_id', 'public_key', 'signed_message', 'value']);
  assert.equal(x.signature.algorithm, 'Ed25519');
  assert.match(x.signature.value, HEX128_RE);
  assert.equal(Buffer.from(x.signature.public_key, 'base64').length, 32);
  assert.deepEqual(Object.keys(x.log).sort(), ['checkpoint', 'inclusion_proof', 'leaf', 'leaf_hash', 'leaf_index', 'origin', 'tlog_proof', 'tree_size']);
  assert.equal(x.log.leaf_index, j.log_index);
  assert.ok(x.log.tree_size > x.log.leaf_index);
  assert.equal(x.superseded_by, null);
  for (const [p, headers] of [[`/e/${id}.json`, {}], [`/e/${id}`, { Accept: 'application/json' }]]) {
    const r = await fetch(srv.base + p, { headers });
    const text = await r.text();
    assert.equal(r.status, 200, `${p}: ${text}`);
    assert.match(r.headers.get('content-type'), /^application\/json/);
    assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(r.headers.get('x-robots-tag'), 'noindex');
    assert.deepEqual(strip(JSON.parse(text)), strip(x), `${p} serves the same export`);
  }
  // Without asking for JSON, /e/{id} is the page: the export embedded, a strict CSP.
  const page = await fetch(`${srv.base}/e/${id}`, { headers: { Accept: 'text/html' } });
  const html = await page.text();
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /^text\/html; charset=utf-8/);
  assert.match(page.headers.get('content-security-policy'), /^default-src 'none'; script-src 'sha256-[A-Za-z0-9+/]{43}='; style-src 'sha256-[A-Za-z0-9+/]{43}='/);
  assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
  assert.equal(page.headers.get('x-robots-tag'), 'noindex');
  assert.equal(page.headers.get('cache-control'), 'no-store');
  const block = /<script id="export" type="application\/json">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(block, 'the export is embedded');
  assert.ok(!block[1].includes('<'), 'no < inside the data block');
  assert.deepEqual(strip(JSON.parse(block[1])), strip(x));
  assert.doesNotMatch(html.replace(block[0], ''), /<script[^>]+src=|<link[^>]+href=|https?:\/\//i, 'no external scripts, styles or URLs');
});

test('/e/ with an unknown id is a 404 that reveals nothing: the same answer for a well-formed unknown id, a malformed one and a .json name', async () => {
  const bodies = [];
  for (const id of ['ev_00000000000000000000000000000000.json', 'nope.json', 'ev_00000000000000000000000000000000', 'ev_x', 'x'.repeat(100)]) {
    const r = await fetch(`${srv.base}/e/${id}`, { headers: { Accept: 'application/json' } });
    const text = await r.text();
    assert.equal(r.status, 404, `/e/${id}: ${text}`);
    assertErrorBody(text, 'not_found');
    assert.equal(r.headers.get('referrer-policy'), 'no-referrer', `/e/${id} Referrer-Policy`);
    assert.equal(r.headers.get('x-robots-tag'), 'noindex', `/e/${id} X-Robots-Tag`);
    assert.equal(r.headers.get('content-disposition'), null, 'no file name for a miss');
    bodies.push(text);
  }
  assert.equal(new Set(bodies).size, 1, `every miss answers the same: ${[...new Set(bodies)].join(' | ')}`);
  // As a page: one HTML 404 for every miss.
  const pages = [];
  for (const id of ['ev_00000000000000000000000000000000', 'ev_x', 'x'.repeat(100)]) {
    const r = await fetch(`${srv.base}/e/${id}`);
    pages.push(await r.text());
    assert.equal(r.status, 404);
    assert.match(r.headers.get('content-type'), /^text\/html/);
  }
  assert.equal(new Set(pages).size, 1);
  assert.match(pages[0], /Not found/);
});

test('posting the same call_id again seals a new bundle that supersedes the first; the first then names its successor; another tenant\'s call_id is its own', async () => {
  const first = (await postCall(seed({ call_id: 'call_super' }))).json;
  assert.equal(first.supersedes, null);
  const second = (await postCall(seed({ call_id: 'call_super', duration_seconds: 271, full_transcript: 'Agent: hello' }))).json;
  assert.notEqual(second.evidence_bundle_id, first.evidence_bundle_id);
  assert.equal(second.supersedes, first.evidence_bundle_id);
  assert.equal(second.call_id, first.call_id, 'the same call');
  assert.equal(second.log_index, first.log_index + 1);
  const g1 = (await send('GET', `/v1/evidence/${first.evidence_bundle_id}`)).json;
  const g2 = (await send('GET', `/v1/evidence/${second.evidence_bundle_id}`)).json;
  assert.equal(g1.superseded_by, second.evidence_bundle_id);
  assert.equal(g1.supersedes, null);
  assert.equal(g2.supersedes, first.evidence_bundle_id);
  assert.equal(g2.superseded_by, null);
  assert.equal(g2.bundle.supersedes, first.evidence_bundle_id, 'the link is sealed into the new bundle');
  assert.equal(g1.bundle.call.duration_seconds, 270, 'the first bundle is unchanged');
  assert.equal(g2.bundle.call.duration_seconds, 271);
  const x1 = (await send('GET', `/v1/evidence/${first.evidence_bundle_id}/export`)).json;
  assert.equal(x1.superseded_by, second.evidence_bundle_id);
  // A third post chains on from the second.
  const third = (await postCall(seed({ call_id: 'call_super', outcome: 'voicemail' }))).json;
  assert.equal(third.supersedes, second.evidence_bundle_id);
  assert.equal((await send('GET', `/v1/evidence/${second.evidence_bundle_id}`)).json.superseded_by, third.evidence_bundle_id);
  assert.equal((await send('GET', `/v1/evidence/${first.evidence_bundle_id}`)).json.superseded_by, second.evidence_bundle_id);
  // The same call_id in another tenant is another call.
  const other = createKey(srv.dataDir, 'super2', 'all');
  const o = (await postCall(seed({ call_id: 'call_super' }), other)).json;
  assert.equal(o.supersedes, null);
  assert.notEqual(o.call_id, first.call_id);
  assert.equal((await send('GET', `/v1/evidence/${third.evidence_bundle_id}`)).json.superseded_by, null);
});

test('the server shuts down cleanly (exit 0, no sanitizer report) after all of the above', async () => {
  await assertCleanExit(srv);
});
