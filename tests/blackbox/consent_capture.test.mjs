// Covers POST /v1/capture-verbal, a consent given by voice during a call:
//  - the classifier verdicts on the consumer's words ("Yes, I agree" affirmative, "no, don't call
//    me" negative, "who is this?" unclear, "sí, acepto" in es-MX affirmative, "Yes" in French
//    unclear: language not supported) with rule, matched phrase, language and the version
//    "phrases-2026-11-v1"; valid is true only for an affirmative verdict, and every attempt is
//    stored (201) and listed, whatever the verdict;
//  - the consent is type "verbal", signed like every consent (Ed25519 over
//    "callproof/consent/v1\n" + record_canonical, verified with node:crypto), and the signed
//    record holds the transcript, the verdict and valid, so none can be changed unnoticed;
//  - optional fields are echoed and signed (call_id, agent_disclosure_text, language,
//    audio_sha256, audio_segment_url); captured_at defaults to now and is kept when given;
//  - the bad-input matrix (missing, wrong type, bad phone, bad time, future captured_at, bad
//    consent_scope item, bad language, bad hash, bad URL, unknown field): 400 naming the field,
//    nothing stored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer, assertCleanExit, send as sendAs, expectErr } from './lib.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv?.dispose(); });

const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');
const VERSION = 'phrases-2026-11-v1';
const SHA = 'a'.repeat(32) + '0123456789abcdef'.repeat(2);
const VALID = Object.freeze({
  call_id: 'vc_abc123',
  phone: '+12125550200',
  calling_entity: 'Acme Insurance LLC',
  captured_at: '2026-11-02T15:30:00Z',
  transcript: 'Yes, I agree.',
  agent_disclosure_text: 'May our AI assistant call you about your policy?',
  consent_scope: ['ai_voice'],
  language: 'en-US',
  audio_sha256: SHA,
  audio_segment_url: 'https://media.acme.example/calls/vc_abc123/consent.wav',
});

/** Send a request (default token: the first-start, all-scope key). */
const send = (method, p, body, token = srv.token) => sendAs(srv.base, token, method, p, body);


async function capture(body) {
  const r = await send('POST', '/v1/capture-verbal', body);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.headers.get('location'), `/v1/consents/${r.json.consent_id}`);
  return r.json;
}

async function listConsents(phone) {
  const r = await send('GET', `/v1/consents?phone=${encodeURIComponent(phone)}`);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

function verifies(x, rc = x.proof.record_canonical) {
  const pk = Buffer.from(x.proof.public_key, 'base64');
  return crypto.verify(null, Buffer.from(`callproof/consent/v1\n${rc}`, 'utf8'),
    { key: Buffer.concat([SPKI_ED25519, pk]), format: 'der', type: 'spki' }, Buffer.from(x.proof.signature, 'hex'));
}

function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The common shape of a captured consent, and that it is signed as shown. */
function assertCaptured(x) {
  assert.match(x.consent_id, /^cst_[0-9a-f]{32}$/);
  assert.equal(x.type, 'verbal');
  assert.equal(x.schema, 'callproof.consent.v1');
  assert.equal(x.tenant, 'default');
  assert.equal(x.revoked_at, null);
  assert.equal(x.revocation_id, null);
  assert.match(x.signature, /^[0-9a-f]{128}$/);
  assert.match(x.key_id, /^[0-9a-f]{16}$/);
  assert.equal(x.proof.algorithm, 'Ed25519');
  assert.equal(x.proof.signature, x.signature);
  assert.equal(Buffer.from(x.proof.public_key, 'base64').length, 32);
  const cr = x.classifier_result;
  assert.deepEqual(Object.keys(cr).sort(), ['language', 'matched', 'rule', 'verdict', 'version']);
  assert.ok(['affirmative', 'negative', 'unclear'].includes(cr.verdict), cr.verdict);
  assert.equal(typeof cr.rule, 'string');
  assert.equal(cr.version, VERSION);
  assert.equal(x.valid, cr.verdict === 'affirmative', 'valid exactly when the verdict is affirmative');
  const rc = x.proof.record_canonical;
  const rec = JSON.parse(rc);
  assert.equal(canonical(rec), rc, 'record_canonical is canonical JSON');
  assert.equal(rec.consent_id, x.consent_id);
  for (const k of ['type', 'phone', 'calling_entity', 'scope', 'captured_at', 'transcript', 'language',
    'classifier_result', 'valid', 'call_id', 'agent_disclosure_text', 'audio_sha256', 'audio_segment_url']) {
    assert.ok(k in rec, `${k} is signed`);
    assert.deepEqual(x[k], rec[k], `${k} as signed`);
  }
  assert.ok(verifies(x), 'the Ed25519 signature verifies');
}

const CLASSIFIER_CASES = [
  // [transcript, language (undefined = default), verdict, classifier language]
  ['Yes, I agree', undefined, 'affirmative', 'en'],
  ['Yes, I agree.', 'en-US', 'affirmative', 'en'],
  ["no, don't call me", undefined, 'negative', 'en'],
  ['who is this?', 'en', 'unclear', 'en'],
  ['sí, acepto', 'es-MX', 'affirmative', 'es'],
  ['Yes', 'fr', 'unclear', null],
];

test('the consumer\'s words decide the verdict: affirmative is valid, negative and unclear are stored but not valid', async () => {
  let n = 0;
  for (const [transcript, language, verdict, clsLang] of CLASSIFIER_CASES) {
    const phone = `+1212555021${n++}`;
    const body = { phone, calling_entity: 'Acme', transcript, consent_scope: ['ai_voice', 'telemarketing'] };
    if (language !== undefined) body.language = language;
    const x = await capture(body);
    const label = `${JSON.stringify(transcript)} (${language ?? 'default'})`;
    assertCaptured(x);
    assert.equal(x.classifier_result.verdict, verdict, label);
    assert.equal(x.valid, verdict === 'affirmative', label);
    assert.equal(x.classifier_result.language, clsLang, label);
    assert.equal(x.language, language ?? 'en', `${label}: language defaults to "en"`);
    assert.equal(x.transcript, transcript);
    assert.deepEqual(x.scope, ['ai_voice', 'telemarketing']);
    if (verdict !== 'unclear') assert.equal(typeof x.classifier_result.matched, 'string', label);
    // Stored whatever the verdict: listed and readable by id, exactly as answered.
    const l = await listConsents(phone);
    assert.deepEqual(l.items, [x], label);
    const g = await send('GET', `/v1/consents/${x.consent_id}`);
    assert.deepEqual(g.json, x, label);
  }
});

test('an unsupported language says so in the verdict rule, and matched is null', async () => {
  const x = await capture({ phone: '+12125550220', calling_entity: 'Acme', transcript: 'Yes', language: 'fr', consent_scope: ['ai_voice'] });
  assert.equal(x.classifier_result.verdict, 'unclear');
  assert.equal(x.classifier_result.rule, 'language.unsupported');
  assert.equal(x.classifier_result.matched, null);
  assert.equal(x.classifier_result.language, null);
  assert.equal(x.valid, false);
});

test('the optional fields are echoed as given, signed, and the phone is normalised', async () => {
  const x = await capture({ ...VALID, phone: '+1 (212) 555-0230' });
  assertCaptured(x);
  assert.equal(x.phone, '+12125550230');
  assert.equal(x.call_id, VALID.call_id);
  assert.equal(x.calling_entity, VALID.calling_entity);
  assert.equal(Date.parse(x.captured_at), Date.parse(VALID.captured_at));
  assert.equal(x.agent_disclosure_text, VALID.agent_disclosure_text);
  assert.equal(x.language, 'en-US');
  assert.equal(x.audio_sha256, SHA);
  assert.equal(x.audio_segment_url, VALID.audio_segment_url);
  assert.deepEqual(x.scope, ['ai_voice']);
  assert.equal(x.valid, true);
  // Omitted optional fields are signed as null.
  const y = await capture({ phone: '+12125550230', calling_entity: 'Acme', transcript: 'Yes, I agree', consent_scope: ['ai_sms'] });
  assertCaptured(y);
  for (const k of ['call_id', 'agent_disclosure_text', 'audio_sha256', 'audio_segment_url']) assert.equal(y[k], null, k);
  assert.deepEqual((await listConsents('+12125550230')).items.map((i) => i.consent_id), [y.consent_id, x.consent_id]);
});

test('captured_at defaults to the time of the request', async () => {
  const t0 = Date.now();
  const x = await capture({ phone: '+12125550231', calling_entity: 'Acme', transcript: 'Yes', consent_scope: ['ai_voice'] });
  const t1 = Date.now();
  const at = Date.parse(x.captured_at);
  // Same machine, same clock: within the request, with a second of slack for rounding.
  assert.ok(at >= t0 - 1000 && at <= t1 + 1000, `captured_at ${x.captured_at} between ${new Date(t0).toISOString()} and ${new Date(t1).toISOString()}`);
});

test('an explicit captured_at is kept as given; the Unix epoch itself (callproof\'s "unknown") is refused, never replaced', async () => {
  for (const at of ['2020-02-29T23:59:59.250Z', '1970-01-01T00:00:01Z']) {
    const x = await capture({ phone: '+12125550232', calling_entity: 'Acme', transcript: 'Yes', consent_scope: ['ai_voice'], captured_at: at });
    assert.equal(Date.parse(x.captured_at), Date.parse(at), `captured_at ${at} stored as ${x.captured_at}`);
  }
  const r = await fetch(`${srv.base}/v1/capture-verbal`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${srv.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ phone: '+12125550232', calling_entity: 'Acme', transcript: 'Yes', consent_scope: ['ai_voice'], captured_at: '1970-01-01T00:00:00Z' }),
  });
  assert.equal(r.status, 400);
  const e = await r.json();
  assert.equal(e.code, 'invalid_field');
  assert.equal(e.field, 'captured_at');
});

test('the verdict, valid and the transcript are signed: changing them breaks the signature', async () => {
  const x = await capture({ phone: '+12125550233', calling_entity: 'Acme', transcript: 'who is this?', consent_scope: ['ai_voice'] });
  assert.equal(x.valid, false);
  const rc = x.proof.record_canonical;
  assert.ok(verifies(x));
  for (const [from, to] of [['"valid":false', '"valid":true'], ['"verdict":"unclear"', '"verdict":"affirmative"'],
    ['who is this?', 'yes I agree!']]) {
    assert.ok(rc.includes(from), `${from} in the record`);
    assert.equal(verifies(x, rc.replace(from, to)), false, `${from} → ${to} still verifies`);
  }
});

// --- the bad-input matrix --------------------------------------------------------------------
const without = (k) => (b) => { const o = { ...b }; delete o[k]; return o; };
const withv = (o) => (b) => ({ ...b, ...o });
const CASES = [
  ...['phone', 'calling_entity', 'transcript', 'consent_scope'].flatMap((k) => [
    [`${k} missing`, without(k), 'missing_field', k],
    [`${k} null`, withv({ [k]: null }), 'missing_field', k],
  ]),
  // wrong types
  ['call_id number', withv({ call_id: 5 }), 'invalid_field', 'call_id'],
  ['phone number', withv({ phone: 12125550200 }), 'invalid_field', 'phone'],
  ['calling_entity array', withv({ calling_entity: ['Acme'] }), 'invalid_field', 'calling_entity'],
  ['captured_at number', withv({ captured_at: 1775044800000 }), 'invalid_field', 'captured_at'],
  ['transcript object', withv({ transcript: { text: 'yes' } }), 'invalid_field', 'transcript'],
  ['agent_disclosure_text number', withv({ agent_disclosure_text: 1 }), 'invalid_field', 'agent_disclosure_text'],
  ['consent_scope string', withv({ consent_scope: 'ai_voice' }), 'invalid_field', 'consent_scope'],
  ['language number', withv({ language: 1 }), 'invalid_field', 'language'],
  ['audio_sha256 number', withv({ audio_sha256: 5 }), 'invalid_field', 'audio_sha256'],
  ['audio_segment_url boolean', withv({ audio_segment_url: true }), 'invalid_field', 'audio_segment_url'],
  // bad phone
  ['phone without +', withv({ phone: '2125550200' }), 'invalid_field', 'phone'],
  ['phone letters', withv({ phone: '+1 212 555 CALL' }), 'invalid_field', 'phone'],
  ['phone empty', withv({ phone: '' }), 'invalid_field', 'phone'],
  // out of range
  ['call_id empty', withv({ call_id: '' }), 'invalid_field', 'call_id'],
  ['call_id with a space', withv({ call_id: 'vc abc' }), 'invalid_field', 'call_id'],
  ['call_id with a slash', withv({ call_id: 'vc/abc' }), 'invalid_field', 'call_id'],
  ['call_id 129 characters', withv({ call_id: 'c'.repeat(129) }), 'invalid_field', 'call_id'],
  ['calling_entity empty', withv({ calling_entity: '' }), 'invalid_field', 'calling_entity'],
  ['calling_entity 201 characters', withv({ calling_entity: 'E'.repeat(201) }), 'invalid_field', 'calling_entity'],
  ['transcript empty', withv({ transcript: '' }), 'invalid_field', 'transcript'],
  // bad time
  ['captured_at date only', withv({ captured_at: '2026-11-02' }), 'invalid_field', 'captured_at'],
  ['captured_at month 13', withv({ captured_at: '2026-13-02T15:30:00Z' }), 'invalid_field', 'captured_at'],
  ['captured_at without offset', withv({ captured_at: '2026-11-02T15:30:00' }), 'invalid_field', 'captured_at'],
  ['captured_at an hour in the future', () => ({ ...VALID, captured_at: new Date(Date.now() + 3600000).toISOString() }), 'invalid_field', 'captured_at'],
  // bad consent_scope
  ['consent_scope empty', withv({ consent_scope: [] }), 'invalid_field', 'consent_scope'],
  ['consent_scope 5 items', withv({ consent_scope: ['ai_voice', 'ai_sms', 'telemarketing', 'transactional', 'ai_sms'] }), 'invalid_field', 'consent_scope'],
  ['consent_scope unknown item', withv({ consent_scope: ['ai_voice', 'voice'] }), 'invalid_field', 'consent_scope[1]'],
  ['consent_scope duplicate', withv({ consent_scope: ['ai_voice', 'ai_voice'] }), 'invalid_field', 'consent_scope[1]'],
  ['consent_scope item number', withv({ consent_scope: [1] }), 'invalid_field', 'consent_scope[0]'],
  // bad language, hash, URL
  ['language one letter', withv({ language: 'e' }), 'invalid_field', 'language'],
  ['language a word', withv({ language: 'english' }), 'invalid_field', 'language'],
  ['language underscore', withv({ language: 'en_US' }), 'invalid_field', 'language'],
  ['language trailing hyphen', withv({ language: 'en-' }), 'invalid_field', 'language'],
  ['language subtag too long', withv({ language: 'en-abcdefghi' }), 'invalid_field', 'language'],
  ['language empty', withv({ language: '' }), 'invalid_field', 'language'],
  ['audio_sha256 upper case', withv({ audio_sha256: SHA.toUpperCase() }), 'invalid_field', 'audio_sha256'],
  ['audio_sha256 63 characters', withv({ audio_sha256: SHA.slice(1) }), 'invalid_field', 'audio_sha256'],
  ['audio_sha256 65 characters', withv({ audio_sha256: `${SHA}0` }), 'invalid_field', 'audio_sha256'],
  ['audio_sha256 not hex', withv({ audio_sha256: `${SHA.slice(1)}g` }), 'invalid_field', 'audio_sha256'],
  ['audio_segment_url http', withv({ audio_segment_url: 'http://media.acme.example/a.wav' }), 'invalid_field', 'audio_segment_url'],
  ['audio_segment_url not a URL', withv({ audio_segment_url: 'consent.wav' }), 'invalid_field', 'audio_segment_url'],
  // unknown fields, including the names of other endpoints
  ['unknown field', withv({ foo: 'bar' }), 'unknown_field', 'foo'],
  ['scope (the POST /v1/consents name)', withv({ scope: ['ai_voice'] }), 'unknown_field', 'scope'],
  ['type', withv({ type: 'prior_express_written' }), 'unknown_field', 'type'],
  ['valid', withv({ valid: true }), 'unknown_field', 'valid'],
  ['classifier_result', withv({ classifier_result: { verdict: 'affirmative' } }), 'unknown_field', 'classifier_result'],
];

test('POST /v1/capture-verbal: every bad field is 400 naming it, and nothing is stored', async () => {
  const before = await listConsents(VALID.phone);
  assert.equal(before.items.length, 0);
  for (const [label, make, code, field] of CASES) {
    const r = await send('POST', '/v1/capture-verbal', make(VALID));
    expectErr(r, 400, code, field, label);
    assert.deepEqual(await listConsents(VALID.phone), before, `${label}: nothing stored`);
  }
  const r = await send('POST', '/v1/capture-verbal', '["yes"]');
  expectErr(r, 400, 'invalid_json', undefined, 'array body');
  assert.deepEqual(await listConsents(VALID.phone), before);
  // The valid body itself is accepted.
  const x = await capture(VALID);
  assertCaptured(x);
  assert.equal((await listConsents(VALID.phone)).items.length, 1);
});

test('the server shuts down cleanly (exit 0, no sanitizer report) after all of the above', async () => {
  await assertCleanExit(srv);
});
