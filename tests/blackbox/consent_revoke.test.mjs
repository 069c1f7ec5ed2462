// Covers opt-outs: POST /v1/revoke and GET /v1/revocations?phone=.
//  - the answer: 201, revocation_id "rev_" + 32 hex, revoked true, phone normalised,
//    calling_entity, scope (entity_only by default, or all), trigger, revoked_at = captured_at,
//    honor_by_date = 10 business days later at the same UTC time of day (weekends and observed US
//    federal holidays skipped: Thanksgiving, Christmas, New Year's Day, Independence Day observed
//    on a Friday, Martin Luther King Jr. Day), future_calls_blocked, call_id, transcript,
//    created_at;
//  - the consents it covers ((phone, entity), or every entity of the phone for scope "all") show
//    revoked_at and revocation_id; other entities, other numbers and other tenants are untouched;
//    the mark is not part of the signed record, so the signature still verifies;
//  - GET /v1/revocations?phone= lists them newest first; bad queries 400 bad_query;
//  - the bad-input matrix: 400 naming the field, and nothing stored (neither the revocation list
//    nor the consents change);
//  - tenant isolation of revocations.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer, assertCleanExit, createKey, send as sendAs, expectErr } from './lib.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv?.dispose(); });

const REV_RE = /^rev_[0-9a-f]{32}$/;
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');
const VALID = Object.freeze({
  phone: '+12125550300',
  calling_entity: 'Acme Insurance LLC',
  trigger: 'verbal_stop_during_call',
  captured_at: '2026-11-20T15:00:00Z',
  call_id: 'vc_abc123',
  transcript: 'stop calling me',
  audio_segment_url: 'https://media.acme.example/calls/vc_abc123/stop.wav',
});

/** Send a request (default token: the first-start, all-scope key). */
const send = (method, p, body, token = srv.token) => sendAs(srv.base, token, method, p, body);


async function revoke(body, token) {
  const r = await send('POST', '/v1/revoke', body, token);
  assert.equal(r.status, 201, r.text);
  return r.json;
}

async function consent(phone, entity, extra = {}, token) {
  const r = await send('POST', '/v1/consents', {
    phone, calling_entity: entity, type: 'prior_express_written', scope: ['ai_voice', 'telemarketing'],
    captured_at: '2026-06-01T12:00:00Z', ...extra,
  }, token);
  assert.equal(r.status, 201, r.text);
  return r.json;
}

async function getConsent(id) {
  const r = await send('GET', `/v1/consents/${id}`);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

async function list(kind, phone, token) {
  const r = await send('GET', `/v1/${kind}?phone=${encodeURIComponent(phone)}`, undefined, token);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

function verifies(x) {
  const pk = Buffer.from(x.proof.public_key, 'base64');
  return crypto.verify(null, Buffer.from(`callproof/consent/v1\n${x.proof.record_canonical}`, 'utf8'),
    { key: Buffer.concat([SPKI_ED25519, pk]), format: 'der', type: 'spki' }, Buffer.from(x.signature, 'hex'));
}

test('POST /v1/revoke answers the revocation: rev_ id, revoked_at = captured_at, honor_by_date 10 business days later', async () => {
  const r = await send('POST', '/v1/revoke', { ...VALID, phone: '+1 (212) 555-0300' });
  assert.equal(r.status, 201, r.text);
  assert.match(r.headers.get('content-type'), /^application\/json/);
  const x = r.json;
  assert.deepEqual(Object.keys(x).sort(), ['call_id', 'calling_entity', 'created_at', 'future_calls_blocked',
    'honor_by_date', 'phone', 'revocation_id', 'revoked', 'revoked_at', 'scope', 'transcript', 'trigger'].sort());
  assert.equal(x.revoked, true);
  assert.match(x.revocation_id, REV_RE);
  assert.equal(x.phone, '+12125550300');
  assert.equal(x.calling_entity, VALID.calling_entity);
  assert.equal(x.scope, 'entity_only');
  assert.equal(x.trigger, 'verbal_stop_during_call');
  assert.equal(Date.parse(x.revoked_at), Date.parse('2026-11-20T15:00:00Z'));
  // Friday before Thanksgiving: Nov 23-25, (26 Thanksgiving), 27, Nov 30-Dec 4, Dec 7.
  assert.equal(Date.parse(x.honor_by_date), Date.parse('2026-12-07T15:00:00Z'));
  assert.equal(x.future_calls_blocked, true);
  assert.equal(x.call_id, 'vc_abc123');
  assert.equal(x.transcript, 'stop calling me');
  assert.match(x.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
});

test('honor_by_date skips weekends and observed federal holidays and keeps the UTC time of day', async () => {
  const cases = [
    // [captured_at, revoked_at (UTC), honor_by_date]
    ['2026-11-20T10:00:00-05:00', '2026-11-20T15:00:00Z', '2026-12-07T15:00:00Z'], // offset given
    ['2026-11-21T00:00:00Z', '2026-11-21T00:00:00Z', '2026-12-07T00:00:00Z'], // a Saturday
    ['2025-12-24T10:30:00Z', '2025-12-24T10:30:00Z', '2026-01-09T10:30:00Z'], // Christmas, New Year
    ['2025-12-27T08:00:00Z', '2025-12-27T08:00:00Z', '2026-01-12T08:00:00Z'], // Saturday, New Year
    ['2026-07-02T12:00:00Z', '2026-07-02T12:00:00Z', '2026-07-17T12:00:00Z'], // July 4 observed Fri 3rd
    ['2026-01-09T23:59:59.500Z', '2026-01-09T23:59:59.500Z', '2026-01-26T23:59:59.500Z'], // MLK Day
    ['2026-03-02T09:15:00Z', '2026-03-02T09:15:00Z', '2026-03-16T09:15:00Z'], // no holiday
  ];
  let n = 0;
  for (const [at, revokedAt, honorBy] of cases) {
    const x = await revoke({ phone: `+1212555031${n++}`, calling_entity: 'Acme', trigger: 'manual', captured_at: at });
    assert.equal(Date.parse(x.revoked_at), Date.parse(revokedAt), `revoked_at for ${at}: ${x.revoked_at}`);
    assert.equal(Date.parse(x.honor_by_date), Date.parse(honorBy), `honor_by_date for ${at}: ${x.honor_by_date}`);
    assert.match(x.honor_by_date, /Z$/);
  }
});

test('every trigger and both scopes are accepted; optional fields default to null and scope to entity_only', async () => {
  for (const trigger of ['verbal_stop_during_call', 'dtmf_opt_out', 'sms_stop', 'web_form', 'manual']) {
    const x = await revoke({ phone: '+12125550320', calling_entity: 'Acme', trigger, captured_at: '2026-10-01T12:00:00Z' });
    assert.equal(x.trigger, trigger);
    assert.equal(x.scope, 'entity_only');
    assert.equal(x.call_id, null);
    assert.equal(x.transcript, null);
  }
  const all = await revoke({ phone: '+12125550320', calling_entity: 'Acme', trigger: 'manual', captured_at: '2026-10-02T12:00:00Z', scope: 'all' });
  assert.equal(all.scope, 'all');
  const ent = await revoke({ phone: '+12125550320', calling_entity: 'Acme', trigger: 'manual', captured_at: '2026-10-03T12:00:00Z', scope: 'entity_only', call_id: null, transcript: null, audio_segment_url: null });
  assert.equal(ent.scope, 'entity_only');
  // A captured_at a minute ahead is within the 5 minutes allowed for clock skew.
  const soon = await revoke({ phone: '+12125550321', calling_entity: 'Acme', trigger: 'manual', captured_at: new Date(Date.now() + 60000).toISOString() });
  assert.equal(soon.revoked, true);
});

test("an entity_only revocation marks that entity's consents for the number, and only those; the signatures still verify", async () => {
  const phone = '+12125550330';
  const a1 = await consent(phone, 'Acme Insurance LLC');
  const a2 = await consent(phone, 'Acme Insurance LLC', { type: 'verbal', captured_at: '2026-07-01T12:00:00Z' });
  const b = await consent(phone, 'Beta Corp', { captured_at: '2026-05-01T12:00:00Z' });
  const otherPhone = await consent('+12125550331', 'Acme Insurance LLC');
  const r = await revoke({ ...VALID, phone, captured_at: '2026-11-02T10:00:00Z' });
  for (const before of [a1, a2]) {
    const after = await getConsent(before.consent_id);
    assert.equal(after.revocation_id, r.revocation_id);
    assert.equal(Date.parse(after.revoked_at), Date.parse(r.revoked_at));
    // Everything else, the signed record included, is as it was.
    assert.deepEqual({ ...after, revoked_at: null, revocation_id: null }, before);
    assert.ok(verifies(after), 'the signature of a revoked consent still verifies');
  }
  assert.deepEqual(await getConsent(b.consent_id), b, "another entity's consent is untouched");
  assert.deepEqual(await getConsent(otherPhone.consent_id), otherPhone, "another number's consent is untouched");
  // The list shows the same marks.
  const l = await list('consents', phone);
  assert.deepEqual(l.items.map((i) => [i.consent_id, i.revocation_id]), [
    [a2.consent_id, r.revocation_id], [a1.consent_id, r.revocation_id], [b.consent_id, null]]);
});

test("a scope all revocation marks the number's consents for every entity", async () => {
  const phone = '+12125550340';
  const a = await consent(phone, 'Acme Insurance LLC');
  const b = await consent(phone, 'Beta Corp');
  const other = await consent('+12125550341', 'Beta Corp');
  const r = await revoke({ ...VALID, phone, scope: 'all', captured_at: '2026-11-03T10:00:00Z' });
  assert.equal(r.scope, 'all');
  for (const x of [a, b]) {
    const after = await getConsent(x.consent_id);
    assert.equal(after.revocation_id, r.revocation_id, x.calling_entity);
    assert.equal(Date.parse(after.revoked_at), Date.parse('2026-11-03T10:00:00Z'));
  }
  assert.deepEqual(await getConsent(other.consent_id), other);
});

test('the calling entity of a revocation matches consents case-insensitively, as precall does', async () => {
  const phone = '+12125550345';
  const a = await consent(phone, 'Acme Insurance LLC');
  const r = await revoke({ ...VALID, phone, calling_entity: 'ACME INSURANCE llc', captured_at: '2026-11-03T11:00:00Z' });
  const after = await getConsent(a.consent_id);
  assert.equal(after.revocation_id, r.revocation_id, `consent of "Acme Insurance LLC" after a revocation by "ACME INSURANCE llc": ${JSON.stringify({ revoked_at: after.revoked_at, revocation_id: after.revocation_id })}`);
});

test('GET /v1/revocations?phone= lists the number\'s revocations, newest first, in any spelling of the number', async () => {
  const phone = '+12135550350';
  const mid = await revoke({ ...VALID, phone, captured_at: '2026-09-01T12:00:00Z', trigger: 'sms_stop' });
  const old = await revoke({ ...VALID, phone: '+1 213 555 0350', captured_at: '2026-08-01T12:00:00Z', trigger: 'dtmf_opt_out' });
  const recent = await revoke({ ...VALID, phone, captured_at: '2026-10-01T12:00:00Z', scope: 'all', calling_entity: 'Beta Corp' });
  await revoke({ ...VALID, phone: '+12135550351', captured_at: '2026-10-15T12:00:00Z' });
  for (const q of [phone, '+1 (213) 555-0350', '+1.213.555.0350']) {
    const l = await list('revocations', q);
    assert.equal(l.phone, phone);
    assert.deepEqual(Object.keys(l).sort(), ['items', 'phone']);
    assert.deepEqual(l.items, [recent, mid, old], `list for ${q}`);
  }
  assert.deepEqual(await list('revocations', '+12135550399'), { phone: '+12135550399', items: [] });
});

test('GET /v1/revocations: a missing, empty or bad phone, or any other parameter, is 400 bad_query naming it', async () => {
  for (const [q, field] of [['', 'phone'], ['phone=', 'phone'], ['phone=%2B1', 'phone'], ['phone=call-me', 'phone'],
    ['phone=%2B12125550300&calling_entity=Acme', 'calling_entity'], ['since=2026-01-01T00:00:00Z', 'since'],
    ['phone=%2B12125550300&phone=%2B12125550300', 'phone']]) {
    expectErr(await send('GET', `/v1/revocations?${q}`), 400, 'bad_query', field, `?${q}`);
  }
});

test('revocations cannot be changed or deleted through the API (405)', async () => {
  for (const m of ['PUT', 'PATCH', 'DELETE']) {
    for (const p of ['/v1/revocations', '/v1/revoke']) {
      const r = await send(m, p, m === 'DELETE' ? undefined : VALID);
      expectErr(r, 405, 'method_not_allowed', undefined, `${m} ${p}`);
    }
  }
});

// --- the bad-input matrix --------------------------------------------------------------------
const without = (k) => (b) => { const o = { ...b }; delete o[k]; return o; };
const withv = (o) => (b) => ({ ...b, ...o });
const CASES = [
  ...['phone', 'calling_entity', 'trigger', 'captured_at'].flatMap((k) => [
    [`${k} missing`, without(k), 'missing_field', k],
    [`${k} null`, withv({ [k]: null }), 'missing_field', k],
  ]),
  // wrong types
  ['phone number', withv({ phone: 12125550300 }), 'invalid_field', 'phone'],
  ['calling_entity object', withv({ calling_entity: {} }), 'invalid_field', 'calling_entity'],
  ['trigger number', withv({ trigger: 1 }), 'invalid_field', 'trigger'],
  ['captured_at number', withv({ captured_at: 1795000000 }), 'invalid_field', 'captured_at'],
  ['call_id number', withv({ call_id: 7 }), 'invalid_field', 'call_id'],
  ['transcript array', withv({ transcript: ['stop'] }), 'invalid_field', 'transcript'],
  ['audio_segment_url number', withv({ audio_segment_url: 1 }), 'invalid_field', 'audio_segment_url'],
  ['scope boolean', withv({ scope: true }), 'invalid_field', 'scope'],
  ['scope array (a consent scope)', withv({ scope: ['ai_voice'] }), 'invalid_field', 'scope'],
  // bad enums
  ['trigger not in the enum', withv({ trigger: 'stop' }), 'invalid_field', 'trigger'],
  ['trigger upper case', withv({ trigger: 'SMS_STOP' }), 'invalid_field', 'trigger'],
  ['scope not in the enum', withv({ scope: 'entity' }), 'invalid_field', 'scope'],
  ['scope upper case', withv({ scope: 'ALL' }), 'invalid_field', 'scope'],
  ['scope a consent scope', withv({ scope: 'ai_voice' }), 'invalid_field', 'scope'],
  // bad phone
  ['phone without +', withv({ phone: '2125550300' }), 'invalid_field', 'phone'],
  ['phone words', withv({ phone: 'my cell' }), 'invalid_field', 'phone'],
  ['phone empty', withv({ phone: '' }), 'invalid_field', 'phone'],
  // out of range
  ['calling_entity empty', withv({ calling_entity: '' }), 'invalid_field', 'calling_entity'],
  ['calling_entity 201 characters', withv({ calling_entity: 'E'.repeat(201) }), 'invalid_field', 'calling_entity'],
  ['call_id with a space', withv({ call_id: 'vc abc' }), 'invalid_field', 'call_id'],
  ['transcript empty', withv({ transcript: '' }), 'invalid_field', 'transcript'],
  // bad time
  ['captured_at date only', withv({ captured_at: '2026-11-20' }), 'invalid_field', 'captured_at'],
  ['captured_at without offset', withv({ captured_at: '2026-11-20T15:00:00' }), 'invalid_field', 'captured_at'],
  ['captured_at hour 24', withv({ captured_at: '2026-11-20T24:00:00Z' }), 'invalid_field', 'captured_at'],
  ['captured_at an hour in the future', () => ({ ...VALID, captured_at: new Date(Date.now() + 3600000).toISOString() }), 'invalid_field', 'captured_at'],
  ['captured_at before the supported years', withv({ captured_at: '1970-01-02T00:00:00Z' }), 'invalid_field', 'captured_at'],
  // bad URL
  ['audio_segment_url http', withv({ audio_segment_url: 'http://media.acme.example/stop.wav' }), 'invalid_field', 'audio_segment_url'],
  ['audio_segment_url with a space', withv({ audio_segment_url: 'https://media.acme.example/a b.wav' }), 'invalid_field', 'audio_segment_url'],
  // unknown fields
  ['unknown field', withv({ reason: 'annoyed' }), 'unknown_field', 'reason'],
  ['revoked_at', withv({ revoked_at: '2026-11-20T15:00:00Z' }), 'unknown_field', 'revoked_at'],
  ['honor_by_date', withv({ honor_by_date: '2026-11-21T15:00:00Z' }), 'unknown_field', 'honor_by_date'],
  ['revocation_id', withv({ revocation_id: 'rev_00000000000000000000000000000000' }), 'unknown_field', 'revocation_id'],
  ['consent_scope', withv({ consent_scope: ['ai_voice'] }), 'unknown_field', 'consent_scope'],
];

test('POST /v1/revoke: every bad field is 400 naming it, and nothing is stored or marked', async () => {
  const phone = VALID.phone.replace(/00$/, '99');
  const base = { ...VALID, phone, scope: 'all' };
  const c1 = await consent(phone, VALID.calling_entity);
  const revBefore = await list('revocations', phone);
  const conBefore = await list('consents', phone);
  assert.equal(revBefore.items.length, 0);
  assert.equal(conBefore.items[0].revoked_at, null);
  for (const [label, make, code, field] of CASES) {
    const r = await send('POST', '/v1/revoke', make(base));
    expectErr(r, 400, code, field, label);
    assert.deepEqual(await list('revocations', phone), revBefore, `${label}: no revocation stored`);
    assert.deepEqual(await list('consents', phone), conBefore, `${label}: no consent marked`);
  }
  expectErr(await send('POST', '/v1/revoke', '"stop"'), 400, 'invalid_json', undefined, 'string body');
  assert.deepEqual(await list('revocations', phone), revBefore);
  // The base body is accepted.
  const x = await revoke(base);
  assert.equal((await getConsent(c1.consent_id)).revocation_id, x.revocation_id);
});

test("tenants are apart: another tenant sees none of the revocations, and its own revocation marks none of this tenant's consents", async () => {
  const phone = '+12125550360';
  const a = await consent(phone, 'Acme Insurance LLC');
  const ra = await revoke({ ...VALID, phone, calling_entity: 'Beta Corp', captured_at: '2026-11-04T10:00:00Z' });
  const b = createKey(srv.dataDir, 'tenantb', 'all');
  assert.deepEqual(await list('revocations', phone, b), { phone, items: [] });
  assert.deepEqual(await list('consents', phone, b), { phone, items: [] });
  const cb = await consent(phone, 'Acme Insurance LLC', {}, b);
  const rb = await revoke({ ...VALID, phone, scope: 'all', captured_at: '2026-11-05T10:00:00Z' }, b);
  assert.deepEqual(await getConsent(a.consent_id), a, "tenant B's revocation does not mark tenant A's consent");
  assert.deepEqual((await list('revocations', phone)).items, [ra]);
  assert.deepEqual((await list('revocations', phone, b)).items, [rb]);
  const cbAfter = (await list('consents', phone, b)).items[0];
  assert.equal(cbAfter.consent_id, cb.consent_id);
  assert.equal(cbAfter.revocation_id, rb.revocation_id);
});

test('the server shuts down cleanly (exit 0, no sanitizer report) after all of the above', async () => {
  await assertCleanExit(srv);
});
