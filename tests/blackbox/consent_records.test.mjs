// Covers the consent records of the econsent voice API (POST /v1/consents, GET /v1/consents/{id},
// GET /v1/consents?phone=):
//  - a created consent: 201, Location, consent_id "cst_" + 32 hex, the signed fields with the
//    phone normalised to E.164, valid/revoked_at/revocation_id, created_at, signature, key_id
//    and the proof;
//  - the proof really proves it: Ed25519 over "callproof/consent/v1\n" + record_canonical,
//    verified here with node:crypto against the key the server derives from its own
//    data/signing.key; record_canonical is canonical JSON (sorted keys, no whitespace) and every
//    one-byte change to it (or to the signature) fails verification;
//  - GET by id answers the same consent; the by-phone list is newest capture first and accepts
//    any spelling of the number; bad list queries are 400 bad_query naming the parameter;
//  - consents are immutable: PUT/PATCH/DELETE are 405;
//  - the bad-input matrix of POST (missing, wrong type, bad enum, bad phone, bad time, future
//    captured_at, bad scope item, bad URL, unknown field): 400 naming the field, nothing stored;
//  - scopes (consent:write to write, voice:read to read) and tenant isolation (404, empty list).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  startServer, api, assertCleanExit, createKey, send as sendAs, expectErr,
} from './lib.mjs';

let srv;
let c;
before(async () => {
  srv = await startServer();
  c = api(srv.base, srv.token);
});
after(async () => { await srv?.dispose(); });

const CST_RE = /^cst_[0-9a-f]{32}$/;
const HEX128_RE = /^[0-9a-f]{128}$/;
const HEX16_RE = /^[0-9a-f]{16}$/;
const RFC3339_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const DOMAIN = 'callproof/consent/v1\n';
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SIGNED_FIELDS = ['schema', 'tenant', 'phone', 'calling_entity', 'type', 'scope', 'captured_at',
  'recorded_at', 'source', 'evidence_text', 'evidence_url'];

const VALID = Object.freeze({
  phone: '+12125550100',
  calling_entity: 'Acme Insurance LLC',
  type: 'prior_express_written',
  scope: ['ai_voice', 'telemarketing'],
  captured_at: '2026-04-01T12:00:00Z',
  source: 'web form',
  evidence_text: 'I agree that Acme Insurance LLC may call me with an AI voice.',
  evidence_url: 'https://acme.example/consent/123',
});

/** Send a request (default token: the first-start, all-scope key). */
const send = (method, p, body, token = srv.token) => sendAs(srv.base, token, method, p, body);


async function createConsent(body) {
  const r = await send('POST', '/v1/consents', body);
  assert.equal(r.status, 201, r.text);
  return r.json;
}

async function listConsents(phone, token = srv.token) {
  const r = await send('GET', `/v1/consents?phone=${encodeURIComponent(phone)}`, undefined, token);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

/** Canonical JSON: keys sorted (UTF-16 order, as RFC 8785), no whitespace. */
function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Ed25519-verify the proof of consent x; rc/sig override the signed text and signature. */
function verifies(x, rc = x.proof.record_canonical, sig = x.proof.signature) {
  const pk = Buffer.from(x.proof.public_key, 'base64');
  const key = { key: Buffer.concat([SPKI_ED25519, pk]), format: 'der', type: 'spki' };
  return crypto.verify(null, Buffer.from(DOMAIN + rc, 'utf8'), key, Buffer.from(sig, 'hex'));
}

/** The public key (32 bytes) the server derives from its seed data/signing.key. */
function serverPublicKey() {
  const seed = fs.readFileSync(path.join(srv.dataDir, 'signing.key'));
  assert.equal(seed.length, 32, 'signing.key holds a 32-byte Ed25519 seed');
  const priv = crypto.createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
  return crypto.createPublicKey(priv).export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519.length);
}

/** Check the whole documented shape of a consent and that its proof verifies. */
function assertConsentShape(x) {
  assert.match(x.consent_id, CST_RE);
  assert.equal(x.schema, 'callproof.consent.v1');
  assert.equal(typeof x.valid, 'boolean');
  assert.match(x.created_at, RFC3339_RE);
  assert.match(x.recorded_at, RFC3339_RE);
  assert.match(x.signature, HEX128_RE);
  assert.match(x.key_id, HEX16_RE);
  assert.equal(x.proof.algorithm, 'Ed25519');
  assert.equal(x.proof.signature, x.signature);
  assert.equal(x.proof.key_id, x.key_id);
  assert.equal(typeof x.proof.record_canonical, 'string');
  assert.equal(Buffer.from(x.proof.public_key, 'base64').length, 32);
  assert.equal(Buffer.from(x.proof.public_key, 'base64').toString('base64'), x.proof.public_key);
  // The signed record is what the body shows, and it names this consent and key.
  const rec = JSON.parse(x.proof.record_canonical);
  assert.equal(rec.consent_id, x.consent_id);
  assert.equal(rec.key_id, x.key_id);
  for (const k of Object.keys(rec)) {
    if (k === 'key_id' || k === 'consent_id') continue;
    assert.deepEqual(x[k], rec[k], `body field ${k} as signed`);
  }
  assert.ok(verifies(x), 'the Ed25519 signature verifies');
}

test('POST /v1/consents stores a signed consent: 201, Location, the documented fields, phone normalised to E.164', async () => {
  const r = await send('POST', '/v1/consents', { ...VALID, phone: '+1 (212) 555-1234' });
  assert.equal(r.status, 201, r.text);
  assert.match(r.headers.get('content-type'), /^application\/json/);
  const x = r.json;
  assert.equal(r.headers.get('location'), `/v1/consents/${x.consent_id}`);
  assertConsentShape(x);
  assert.equal(x.phone, '+12125551234');
  assert.equal(x.tenant, 'default');
  assert.equal(x.calling_entity, VALID.calling_entity);
  assert.equal(x.type, 'prior_express_written');
  assert.deepEqual(x.scope, ['ai_voice', 'telemarketing']);
  assert.equal(Date.parse(x.captured_at), Date.parse(VALID.captured_at));
  assert.equal(x.source, VALID.source);
  assert.equal(x.evidence_text, VALID.evidence_text);
  assert.equal(x.evidence_url, VALID.evidence_url);
  assert.equal(x.valid, true);
  assert.equal(x.revoked_at, null);
  assert.equal(x.revocation_id, null);
  const rec = JSON.parse(x.proof.record_canonical);
  for (const k of SIGNED_FIELDS) assert.ok(k in rec, `${k} is signed`);
  assert.ok(!('revoked_at' in rec) && !('revocation_id' in rec), 'the revocation mark is not part of the signed record');
});

test('optional fields may be omitted or null (signed as null), any offset is stored in UTC, and every type and up to 4 scopes are accepted', async () => {
  const types = ['prior_express_written', 'prior_express', 'verbal', 'established_business_relationship'];
  for (const type of types) {
    const x = await createConsent({
      phone: '+12125550101', calling_entity: 'E'.repeat(200), type,
      scope: ['transactional', 'ai_sms', 'telemarketing', 'ai_voice'], captured_at: '2026-04-01T08:00:00-04:00',
    });
    assertConsentShape(x);
    assert.equal(x.type, type);
    assert.deepEqual(x.scope, ['transactional', 'ai_sms', 'telemarketing', 'ai_voice']);
    assert.equal(Date.parse(x.captured_at), Date.parse('2026-04-01T12:00:00Z'));
    assert.match(x.captured_at, /Z$/);
    assert.equal(x.source, null);
    assert.equal(x.evidence_text, null);
    assert.equal(x.evidence_url, null);
  }
  const x = await createConsent({ ...VALID, phone: '+12125550101', source: null, evidence_text: null, evidence_url: null });
  assert.equal(x.source, null);
  assert.equal(JSON.parse(x.proof.record_canonical).evidence_url, null);
  // A capture a minute "in the future" is within the 5 minutes allowed for client clock skew.
  const soon = await createConsent({ ...VALID, phone: '+12125550101', captured_at: new Date(Date.now() + 60000).toISOString() });
  assert.equal(soon.valid, true);
});

test('the proof verifies with the server\'s own Ed25519 key, and any one-byte change to the record or the signature breaks it', async () => {
  const x = await createConsent({ ...VALID, phone: '+12125550102' });
  assert.ok(verifies(x));
  const pk = serverPublicKey();
  assert.equal(x.proof.public_key, pk.toString('base64'), 'public_key is the key of data/signing.key');
  assert.equal(x.key_id, crypto.createHash('sha256').update(pk).digest('hex').slice(0, 16), 'key_id is the first 8 bytes of SHA-256(public key)');
  // The domain prefix is part of the signed message.
  assert.equal(crypto.verify(null, Buffer.from(x.proof.record_canonical), {
    key: Buffer.concat([SPKI_ED25519, pk]), format: 'der', type: 'spki',
  }, Buffer.from(x.signature, 'hex')), false, 'the record alone, without the domain prefix, does not verify');
  // Change one byte at every position of the record: never verifies.
  const rc = x.proof.record_canonical;
  for (let i = 0; i < rc.length; i++) {
    const ch = rc.charCodeAt(i);
    const changed = rc.slice(0, i) + String.fromCharCode(ch === 0x41 ? 0x42 : 0x41) + rc.slice(i + 1);
    assert.equal(verifies(x, changed), false, `record changed at byte ${i} still verifies`);
  }
  // A meaningful forgery: another calling entity.
  assert.equal(verifies(x, rc.replace('Acme Insurance LLC', 'Acme Insurance LLD')), false);
  // Flip one bit in each byte of the signature.
  const sig = Buffer.from(x.signature, 'hex');
  for (let i = 0; i < sig.length; i++) {
    const bad = Buffer.from(sig);
    bad[i] ^= 1;
    assert.equal(verifies(x, rc, bad.toString('hex')), false, `signature changed at byte ${i} still verifies`);
  }
});

test('record_canonical is canonical JSON (sorted keys, no whitespace), also for quotes, newlines and non-ASCII text', async () => {
  const x = await createConsent({
    ...VALID, phone: '+12125550103', calling_entity: 'Café Ñandú "Zeta" \\ Co',
    evidence_text: 'line one\nline two\t"quoted" </script> \u00e9\u4e2d\ud83d\ude00 \u0001',
  });
  const rc = x.proof.record_canonical;
  const parsed = JSON.parse(rc);
  assert.equal(canonical(parsed), rc);
  const keys = Object.keys(parsed);
  assert.deepEqual(keys, [...keys].sort(), 'keys in sorted order');
  assert.equal(parsed.calling_entity, 'Café Ñandú "Zeta" \\ Co');
  assert.equal(parsed.evidence_text, 'line one\nline two\t"quoted" </script> \u00e9\u4e2d\ud83d\ude00 \u0001');
  assert.ok(verifies(x));
});

test('GET /v1/consents/{id} answers the same consent; unknown ids are 404 not_found', async () => {
  const x = await createConsent({ ...VALID, phone: '+12125550104' });
  const r = await send('GET', `/v1/consents/${x.consent_id}`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, x);
  assertConsentShape(r.json);
  for (const id of ['cst_00000000000000000000000000000000', x.consent_id.toUpperCase(), 'cst_1', 'nope',
    `${x.consent_id}0`, x.consent_id.replace('cst_', 'rev_')]) {
    expectErr(await send('GET', `/v1/consents/${id}`), 404, 'not_found', undefined, `GET ${id}`);
  }
});

test('GET /v1/consents?phone= lists the number\'s consents, newest capture first, whatever the spelling of the number', async () => {
  const phone = '+12135550105';
  const jan = await createConsent({ ...VALID, phone, captured_at: '2026-01-10T09:00:00Z' });
  const mar = await createConsent({ ...VALID, phone: '+1 213 555 0105', captured_at: '2026-03-10T09:00:00Z' });
  const feb = await createConsent({ ...VALID, phone: '+1.213.555.0105', captured_at: '2026-02-10T09:00:00Z', type: 'verbal' });
  await createConsent({ ...VALID, phone: '+12135550106', captured_at: '2026-05-10T09:00:00Z' });
  for (const q of [phone, '+1 (213) 555-0105', '+1-213-555-0105']) {
    const l = await listConsents(q);
    assert.equal(l.phone, phone);
    assert.deepEqual(Object.keys(l).sort(), ['items', 'phone']);
    assert.deepEqual(l.items.map((i) => i.consent_id), [mar.consent_id, feb.consent_id, jan.consent_id], `list for ${q}`);
    assert.deepEqual(l.items, [mar, feb, jan]);
  }
  assert.deepEqual(await listConsents('+12135550199'), { phone: '+12135550199', items: [] });
});

test('GET /v1/consents: a missing, empty or bad phone, or any other parameter, is 400 bad_query naming it', async () => {
  const cases = [
    ['', 'phone'],
    ['phone=', 'phone'],
    ['phone=abc', 'phone'],
    ['phone=%2B0212555', 'phone'],
    ['phone=12125550100', 'phone'],
    ['phone=%2B12125550100&page=1', 'page'],
    ['page_size=5&phone=%2B12125550100', 'page_size'],
    ['limit=5', 'limit'],
    ['phone=%2B12125550100&phone=%2B12125550101', 'phone'],
    ['calling_entity=Acme&phone=%2B12125550100', 'calling_entity'],
  ];
  for (const [q, field] of cases) {
    expectErr(await send('GET', `/v1/consents?${q}`), 400, 'bad_query', field, `?${q}`);
  }
});

test('consents are immutable: PUT, PATCH and DELETE are 405 method_not_allowed and the consent is unchanged', async () => {
  const x = await createConsent({ ...VALID, phone: '+12125550107' });
  for (const m of ['PUT', 'PATCH', 'DELETE']) {
    const r = await send(m, `/v1/consents/${x.consent_id}`, m === 'DELETE' ? undefined : { calling_entity: 'Evil Corp' });
    expectErr(r, 405, 'method_not_allowed', undefined, `${m} /v1/consents/{id}`);
    const allow = r.headers.get('allow') || '';
    assert.match(allow, /\bGET\b/);
    assert.doesNotMatch(allow, /\b(PUT|PATCH|DELETE)\b/);
  }
  for (const m of ['PUT', 'PATCH', 'DELETE']) {
    const r = await send(m, '/v1/consents', m === 'DELETE' ? undefined : VALID);
    expectErr(r, 405, 'method_not_allowed', undefined, `${m} /v1/consents`);
  }
  const r = await send('GET', `/v1/consents/${x.consent_id}`);
  assert.deepEqual(r.json, x);
  assert.equal((await listConsents('+12125550107')).items.length, 1);
});

// --- the bad-input matrix of POST /v1/consents ------------------------------------------------
// Each case: [label, body transform, code, field].
const without = (k) => (b) => { const o = { ...b }; delete o[k]; return o; };
const withv = (o) => (b) => ({ ...b, ...o });
const hourAhead = () => new Date(Date.now() + 3600000).toISOString();
const POST_CASES = [
  // missing or null required fields
  ...['phone', 'calling_entity', 'type', 'scope', 'captured_at'].flatMap((k) => [
    [`${k} missing`, without(k), 'missing_field', k],
    [`${k} null`, withv({ [k]: null }), 'missing_field', k],
  ]),
  // wrong types
  ['phone number', withv({ phone: 12125550100 }), 'invalid_field', 'phone'],
  ['phone array', withv({ phone: ['+12125550100'] }), 'invalid_field', 'phone'],
  ['calling_entity number', withv({ calling_entity: 5 }), 'invalid_field', 'calling_entity'],
  ['type boolean', withv({ type: true }), 'invalid_field', 'type'],
  ['scope string', withv({ scope: 'ai_voice' }), 'invalid_field', 'scope'],
  ['scope object', withv({ scope: { ai_voice: true } }), 'invalid_field', 'scope'],
  ['captured_at number', withv({ captured_at: 1775044800 }), 'invalid_field', 'captured_at'],
  ['source number', withv({ source: 5 }), 'invalid_field', 'source'],
  ['evidence_text array', withv({ evidence_text: ['a'] }), 'invalid_field', 'evidence_text'],
  ['evidence_url number', withv({ evidence_url: 5 }), 'invalid_field', 'evidence_url'],
  // bad enum
  ['type not in the enum', withv({ type: 'written' }), 'invalid_field', 'type'],
  ['type upper case', withv({ type: 'PRIOR_EXPRESS_WRITTEN' }), 'invalid_field', 'type'],
  ['type empty', withv({ type: '' }), 'invalid_field', 'type'],
  // bad phone
  ['phone without +', withv({ phone: '12125550100' }), 'invalid_field', 'phone'],
  ['phone country code 0', withv({ phone: '+02125550100' }), 'invalid_field', 'phone'],
  ['phone letters', withv({ phone: '+1212555CALL' }), 'invalid_field', 'phone'],
  ['phone extension', withv({ phone: '+12125550100x5' }), 'invalid_field', 'phone'],
  ['phone too long', withv({ phone: '+1212555010012345' }), 'invalid_field', 'phone'],
  ['phone too short', withv({ phone: '+1234567' }), 'invalid_field', 'phone'],
  ['phone empty', withv({ phone: '' }), 'invalid_field', 'phone'],
  ['phone anonymous', withv({ phone: 'anonymous' }), 'invalid_field', 'phone'],
  // out of range
  ['calling_entity empty', withv({ calling_entity: '' }), 'invalid_field', 'calling_entity'],
  ['calling_entity 201 characters', withv({ calling_entity: 'E'.repeat(201) }), 'invalid_field', 'calling_entity'],
  ['source empty', withv({ source: '' }), 'invalid_field', 'source'],
  // bad time
  ['captured_at date only', withv({ captured_at: '2026-04-01' }), 'invalid_field', 'captured_at'],
  ['captured_at without offset', withv({ captured_at: '2026-04-01T12:00:00' }), 'invalid_field', 'captured_at'],
  ['captured_at February 30', withv({ captured_at: '2026-02-30T12:00:00Z' }), 'invalid_field', 'captured_at'],
  ['captured_at words', withv({ captured_at: 'yesterday' }), 'invalid_field', 'captured_at'],
  ['captured_at an hour in the future', () => ({ ...VALID, captured_at: hourAhead() }), 'invalid_field', 'captured_at'],
  ['captured_at next year', withv({ captured_at: '2099-01-01T00:00:00Z' }), 'invalid_field', 'captured_at'],
  // bad scope
  ['scope empty', withv({ scope: [] }), 'invalid_field', 'scope'],
  ['scope 5 items', withv({ scope: ['ai_voice', 'ai_sms', 'telemarketing', 'transactional', 'ai_voice'] }), 'invalid_field', 'scope'],
  ['scope unknown item', withv({ scope: ['ai_voice', 'robocall'] }), 'invalid_field', 'scope[1]'],
  ['scope duplicate item', withv({ scope: ['telemarketing', 'ai_voice', 'telemarketing'] }), 'invalid_field', 'scope[2]'],
  ['scope item upper case', withv({ scope: ['AI_VOICE'] }), 'invalid_field', 'scope[0]'],
  ['scope item number', withv({ scope: [5] }), 'invalid_field', 'scope[0]'],
  ['scope item null', withv({ scope: ['ai_voice', null] }), 'invalid_field', 'scope[1]'],
  // bad URL
  ['evidence_url http', withv({ evidence_url: 'http://acme.example/consent/123' }), 'invalid_field', 'evidence_url'],
  ['evidence_url not a URL', withv({ evidence_url: 'consent 123' }), 'invalid_field', 'evidence_url'],
  ['evidence_url without a host', withv({ evidence_url: 'https://' }), 'invalid_field', 'evidence_url'],
  // unknown and server-owned fields
  ['unknown field', withv({ foo: 1 }), 'unknown_field', 'foo'],
  ['consent_scope (the capture-verbal name)', withv({ consent_scope: ['ai_voice'] }), 'unknown_field', 'consent_scope'],
  // consent_id may be brought from the system that captured it, but only in its own shape
  ['consent_id not cst_', withv({ consent_id: 'rev_00000000000000000000000000000000' }), ['invalid_field'], 'consent_id'],
  ['consent_id too short', withv({ consent_id: 'cst_1234' }), ['invalid_field'], 'consent_id'],
  ['consent_id with punctuation', withv({ consent_id: 'cst_abc-def-ghi' }), ['invalid_field'], 'consent_id'],
  ['valid', withv({ valid: false }), ['unknown_field', 'read_only_field'], 'valid'],
  ['signature', withv({ signature: 'ab' }), ['unknown_field', 'read_only_field'], 'signature'],
  ['revoked_at', withv({ revoked_at: '2026-04-02T00:00:00Z' }), ['unknown_field', 'read_only_field'], 'revoked_at'],
  ['tenant', withv({ tenant: 'other' }), ['unknown_field', 'read_only_field'], 'tenant'],
];

test('POST /v1/consents: every bad field is 400 naming it, and nothing is stored', async () => {
  const phone = VALID.phone;
  const before = await listConsents(phone);
  assert.equal(before.items.length, 0);
  for (const [label, make, code, field] of POST_CASES) {
    const r = await send('POST', '/v1/consents', make(VALID));
    const codes = Array.isArray(code) ? code : [code];
    expectErr(r, 400, r.json && codes.includes(r.json.code) ? r.json.code : codes[0], field, label);
    assert.deepEqual(await listConsents(phone), before, `${label}: nothing stored`);
  }
  // Bodies that are not JSON objects.
  for (const body of ['[]', '"consent"', 'null', '{"phone":', '']) {
    const r = await send('POST', '/v1/consents', body);
    assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
    assert.match(r.json.code, /^(invalid_json|missing_body|empty_body)$/, r.text);
  }
  assert.deepEqual(await listConsents(phone), before, 'nothing stored');
  // And the valid body is accepted (the matrix failed for the reason it names).
  await createConsent(VALID);
  assert.equal((await listConsents(phone)).items.length, 1);
});

test('scopes: a voice:read key cannot write consent data and a consent:write key cannot read it (403 insufficient_scope)', async () => {
  const x = await createConsent({ ...VALID, phone: '+12125550108' });
  const reader = createKey(srv.dataDir, 'default', 'voice:read');
  const writer = createKey(srv.dataDir, 'default', 'consent:write');
  for (const p of ['/v1/consents', '/v1/capture-verbal', '/v1/revoke', '/v1/precall']) {
    const r = await send('POST', p, {}, reader);
    expectErr(r, 403, 'insufficient_scope', undefined, `POST ${p} with voice:read`);
    assert.match(r.json.message, /consent:write/);
  }
  for (const p of [`/v1/consents/${x.consent_id}`, '/v1/consents?phone=%2B12125550108', '/v1/revocations?phone=%2B12125550108']) {
    const r = await send('GET', p, undefined, writer);
    expectErr(r, 403, 'insufficient_scope', undefined, `GET ${p} with consent:write`);
    assert.match(r.json.message, /voice:read/);
  }
  // Each key can do what its scope allows.
  const r = await send('GET', `/v1/consents/${x.consent_id}`, undefined, reader);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, x);
  const w = await send('POST', '/v1/consents', { ...VALID, phone: '+12125550108' }, writer);
  assert.equal(w.status, 201, w.text);
  assert.equal((await listConsents('+12125550108')).items.length, 2);
});

test("another tenant sees none of this tenant's consents: GET by id is 404 and its list is empty, and its own consents are apart", async () => {
  const phone = '+12125550109';
  const a = await createConsent({ ...VALID, phone });
  const b = createKey(srv.dataDir, 'tenantb', 'all');
  expectErr(await send('GET', `/v1/consents/${a.consent_id}`, undefined, b), 404, 'not_found', undefined, 'tenant B GET');
  assert.deepEqual(await listConsents(phone, b), { phone, items: [] });
  const rb = await send('POST', '/v1/consents', { ...VALID, phone }, b);
  assert.equal(rb.status, 201, rb.text);
  assert.equal(rb.json.tenant, 'tenantb');
  assertConsentShape(rb.json);
  assert.deepEqual((await listConsents(phone)).items.map((i) => i.consent_id), [a.consent_id]);
  assert.deepEqual((await listConsents(phone, b)).items.map((i) => i.consent_id), [rb.json.consent_id]);
  expectErr(await send('GET', `/v1/consents/${rb.json.consent_id}`), 404, 'not_found', undefined, 'tenant A GET of B');
});

test('a consent id from the system that captured it is kept, and used only once per tenant', async () => {
  const body = { consent_id: 'cst_lx8k7n3f4g5h6j7k', phone: '+12125550199', calling_entity: 'Acme Insurance LLC',
    type: 'prior_express_written', scope: ['ai_voice'], captured_at: '2026-04-01T12:00:00Z' };
  const r = await send('POST', '/v1/consents', body);
  assert.equal(r.status, 201, JSON.stringify(r.json));
  assert.equal(r.json.consent_id, 'cst_lx8k7n3f4g5h6j7k');
  assert.equal(JSON.parse(r.json.proof.record_canonical).consent_id, 'cst_lx8k7n3f4g5h6j7k');
  const again = await send('POST', '/v1/consents', body);
  assert.equal(again.status, 409);
  assert.equal(again.json.code, 'conflict');
  assert.equal(again.json.field, 'consent_id');
  assert.equal((await send('GET', '/v1/consents/cst_lx8k7n3f4g5h6j7k')).status, 200);
});

test('the server shuts down cleanly (exit 0, no sanitizer report) after all of the above', async () => {
  await assertCleanExit(srv);
});
