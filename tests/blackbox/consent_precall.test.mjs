// Covers POST /v1/precall, "may this call be placed now?", end to end with consents captured
// through the API:
//  - the answer's shape: allowed, decision_id "dec_" + 32 hex, reason, consent (the one relied
//    on), revoked_at / honor_by_date / revocation_id, disclosure (script naming the calling
//    entity and the callback number as spoken, 800-555-0100), calling_hours, compliance_notes;
//  - consent rules: AI telemarketing needs a written consent with the ai_voice scope; a valid
//    verbal consent (capture-verbal "Yes, I agree") allows an informational AI call but not
//    telemarketing (ai_consent_missing); unclear and negative answers are no consent; without
//    ai_voice in the scope → ai_consent_missing; automated voices; human voices need no consent
//    and no disclosure; the calling entity matches in any letter case; a consent captured a few
//    minutes ahead is not relied on yet;
//  - revocations: consumer_revoked at once, with revoked_at, honor_by_date and revocation_id;
//    entity_only leaves other entities allowed, scope all blocks them; a revocation comes before
//    the calling hours;
//  - calling hours: outside 08:00-21:00 local → outside_calling_hours; inside → verdict ok; a
//    non-NANP number → unknown_area with a compliance note, not a block;
//  - tenants are apart: one tenant's consents never allow, and its revocations never block,
//    another tenant's calls;
//  - the bad-input matrix: 400 naming the field.
// Calling hours depend on the real clock, so no area code is assumed to be inside or outside the
// hours: the areas are chosen when the file runs, from single-zone area codes of
// share/nanp_area_codes.tsv, by their local time now (with at least half an hour of margin to
// either edge of the window). The tests that need an area inside or outside the hours are skipped
// when no NANP area is in that state right now (e.g. around 23:00 UTC every NANP area is inside
// the window); the other tests use a number inside the hours, or a non-NANP number (whose hours
// are unknown, which does not block) when there is none.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  startServer, assertCleanExit, createKey, REPO, send as sendAs, expectErr,
} from './lib.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv?.dispose(); });

const DEC_RE = /^dec_[0-9a-f]{32}$/;
const LOCAL_RE = /^\d{4}-\d\d-\d\dT(\d\d):(\d\d):\d\d$/;
const ENTITY = 'Acme Insurance LLC';
const DAY = 86400000;
const iso = (ms) => new Date(ms).toISOString();

// --- choosing area codes by the clock --------------------------------------------------------
const PREFERRED_AREAS = ['212', '312', '303', '213', '808', '684', '671', '787', '902', '305', '206', '602', '340'];
function singleZoneAreas() {
  const zones = new Map();
  for (const line of fs.readFileSync(path.join(REPO, 'share', 'nanp_area_codes.tsv'), 'utf8').split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const [npa, , z] = line.split('\t');
    if (z && !z.includes(',')) zones.set(npa, z.trim());
  }
  return PREFERRED_AREAS.filter((n) => zones.has(n)).map((npa) => ({ npa, zone: zones.get(npa) }));
}
function localMinutes(zone, date) {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(date);
  return Number(parts.find((p) => p.type === 'hour').value) * 60 + Number(parts.find((p) => p.type === 'minute').value);
}
/** The first area whose local time now satisfies one of the predicates, tried in order. */
function pickArea(...preds) {
  const now = new Date();
  const areas = singleZoneAreas();
  for (const pred of preds) {
    const a = areas.find((x) => pred(localMinutes(x.zone, now)));
    if (a) return a;
  }
  return null;
}
const H = 60;
// Inside: local hour 9..19, else 08:30-20:30; outside: hour 0..6 or 22..23, else 21:30-07:30.
const INSIDE = pickArea((m) => m >= 9 * H && m < 20 * H, (m) => m >= 8 * H + 30 && m < 20 * H + 30);
const OUTSIDE = pickArea((m) => m < 7 * H || m >= 22 * H, (m) => m < 7 * H + 30 || m >= 21 * H + 30);

let seq = 0;
/** A fresh number that calling hours do not block now: NANP inside the hours, else non-NANP. */
function callable() {
  seq++;
  return INSIDE ? `+1${INSIDE.npa}555${String(1000 + seq).padStart(4, '0')}` : `+4420718${String(seq).padStart(5, '0')}`;
}
const nanpPhone = (area) => `+1${area.npa}555${String(5000 + ++seq).padStart(4, '0')}`;

// --- requests --------------------------------------------------------------------------------
/** Send a request (default token: the first-start, all-scope key). */
const send = (method, p, body, token = srv.token) => sendAs(srv.base, token, method, p, body);


/** POST /v1/precall; asserts 200 and the documented shape; returns the decision. */
async function precall(body, token) {
  const r = await send('POST', '/v1/precall', { calling_entity: ENTITY, purpose: 'telemarketing', call_type: 'ai_voice', ...body }, token);
  assert.equal(r.status, 200, r.text);
  assertDecisionShape(r.json, body);
  return r.json;
}

function assertDecisionShape(d, req) {
  assert.deepEqual(Object.keys(d).sort(), ['allowed', 'calling_hours', 'compliance_notes', 'consent', 'decision_id',
    'disclosure', 'honor_by_date', 'reason', 'revocation_id', 'revoked_at'].sort());
  assert.equal(typeof d.allowed, 'boolean');
  assert.match(d.decision_id, DEC_RE);
  if (d.allowed) assert.equal(d.reason, null);
  else assert.ok(['consumer_revoked', 'outside_calling_hours', 'ai_consent_missing', 'no_consent'].includes(d.reason), d.reason);
  if (d.consent !== null) {
    assert.deepEqual(Object.keys(d.consent).sort(), ['ai_specific_consent', 'captured_at', 'consent_id', 'evidence_url', 'scope', 'type'].sort());
    assert.match(d.consent.consent_id, /^cst_[0-9a-f]{32}$/);
    assert.equal(d.consent.ai_specific_consent, d.consent.scope.includes('ai_voice'));
    assert.ok(d.consent.evidence_url.endsWith(`/v1/consents/${d.consent.consent_id}`), d.consent.evidence_url);
  }
  if (d.reason === 'consumer_revoked') {
    assert.match(d.revocation_id, /^rev_[0-9a-f]{32}$/);
    assert.ok(Date.parse(d.revoked_at) > 0 && Date.parse(d.honor_by_date) > Date.parse(d.revoked_at));
  } else {
    assert.equal(d.revoked_at, null);
    assert.equal(d.honor_by_date, null);
    assert.equal(d.revocation_id, null);
  }
  const human = (req.call_type ?? 'ai_voice') === 'human_voice';
  assert.deepEqual(Object.keys(d.disclosure).sort(), ['delivery_window_seconds', 'required', 'script', 'version']);
  assert.equal(d.disclosure.required, !human);
  assert.equal(d.disclosure.delivery_window_seconds, 2);
  assert.equal(typeof d.disclosure.version, 'string');
  assert.ok(d.disclosure.version.length > 0);
  if (human) assert.equal(d.disclosure.script, null);
  else assert.ok(d.disclosure.script.includes(req.calling_entity ?? ENTITY), d.disclosure.script);
  assert.deepEqual(Object.keys(d.calling_hours).sort(), ['local_time', 'verdict', 'window', 'zone']);
  assert.ok(['ok', 'outside', 'unknown_area', 'no_tzdata'].includes(d.calling_hours.verdict), d.calling_hours.verdict);
  assert.equal(d.calling_hours.window, '08:00-21:00');
  assert.ok(Array.isArray(d.compliance_notes));
  for (const n of d.compliance_notes) assert.equal(typeof n, 'string');
  if (d.calling_hours.verdict === 'outside') assert.ok(['consumer_revoked', 'outside_calling_hours'].includes(d.reason), 'outside the hours is a block');
}

function expectAllowed(d, consentId, label = '') {
  assert.equal(d.allowed, true, `${label} ${JSON.stringify(d)}`);
  assert.equal(d.reason, null);
  if (consentId === null) assert.equal(d.consent, null);
  else assert.equal(d.consent?.consent_id, consentId, label);
}

function expectBlocked(d, reason, label = '') {
  assert.equal(d.allowed, false, `${label} ${JSON.stringify(d)}`);
  assert.equal(d.reason, reason, `${label} ${JSON.stringify(d)}`);
  assert.equal(d.consent, null, label);
}

async function consent(phone, extra = {}, token) {
  const r = await send('POST', '/v1/consents', {
    phone, calling_entity: ENTITY, type: 'prior_express_written', scope: ['ai_voice', 'telemarketing'],
    captured_at: iso(Date.now() - DAY), evidence_url: 'https://acme.example/consent/1', ...extra,
  }, token);
  assert.equal(r.status, 201, r.text);
  return r.json;
}

async function captureVerbal(phone, transcript, extra = {}) {
  const r = await send('POST', '/v1/capture-verbal', { phone, calling_entity: ENTITY, transcript, consent_scope: ['ai_voice', 'telemarketing'], ...extra });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

async function revoke(phone, extra = {}, token) {
  const r = await send('POST', '/v1/revoke', { phone, calling_entity: ENTITY, trigger: 'verbal_stop_during_call', captured_at: iso(Date.now() - 60000), ...extra }, token);
  assert.equal(r.status, 201, r.text);
  return r.json;
}

test('an AI telemarketing call with a written ai_voice consent is allowed; the answer names the consent, the disclosure and the calling hours', async () => {
  const phone = callable();
  const c = await consent(phone, { captured_at: '2026-03-15T12:00:00Z' });
  const d = await precall({ phone, calling_number: '+18005550100', metadata: { campaign: 'spring', attempt: 1 } });
  expectAllowed(d, c.consent_id);
  assert.deepEqual(d.consent.scope, ['ai_voice', 'telemarketing']);
  assert.equal(d.consent.type, 'prior_express_written');
  assert.equal(d.consent.ai_specific_consent, true);
  assert.equal(Date.parse(d.consent.captured_at), Date.parse('2026-03-15T12:00:00Z'));
  // The evidence link leads to the consent itself.
  const ev = d.consent.evidence_url.slice(d.consent.evidence_url.indexOf('/v1/consents/'));
  const g = await send('GET', ev);
  assert.equal(g.status, 200, g.text);
  assert.deepEqual(g.json, c);
  assert.equal(d.disclosure.required, true);
  assert.ok(d.disclosure.script.includes(ENTITY), d.disclosure.script);
  assert.ok(d.disclosure.script.includes('800-555-0100'), d.disclosure.script);
  assert.equal(d.calling_hours.verdict, INSIDE ? 'ok' : 'unknown_area');
  // Every decision has its own id.
  const d2 = await precall({ phone, calling_number: '+18005550100' });
  assert.notEqual(d2.decision_id, d.decision_id);
});

test('a valid verbal consent allows an informational AI call but not AI telemarketing (ai_consent_missing)', async () => {
  const phone = callable();
  const v = await captureVerbal(phone, 'Yes, I agree');
  assert.equal(v.valid, true);
  for (const purpose of ['informational', 'transactional', 'survey', 'debt_collection', 'appointment_reminder']) {
    const d = await precall({ phone, purpose });
    expectAllowed(d, v.consent_id, purpose);
    assert.equal(d.consent.type, 'verbal');
    assert.equal(d.consent.ai_specific_consent, true);
  }
  const d = await precall({ phone, purpose: 'telemarketing' });
  expectBlocked(d, 'ai_consent_missing');
  assert.ok(d.compliance_notes.length > 0);
  // With a written consent added, telemarketing is allowed and relies on that one.
  const w = await consent(phone, { captured_at: iso(Date.now() - 2 * DAY) });
  expectAllowed(await precall({ phone, purpose: 'telemarketing' }), w.consent_id);
  // For informational calls the newest suitable consent (the verbal one) is relied on.
  expectAllowed(await precall({ phone, purpose: 'informational' }), v.consent_id);
});

test('an unclear or a negative verbal answer is not consent: no_consent', async () => {
  const phone = callable();
  const u = await captureVerbal(phone, 'who is this?');
  const n = await captureVerbal(phone, "no, don't call me");
  const f = await captureVerbal(phone, 'Yes', { language: 'fr' });
  assert.deepEqual([u.valid, n.valid, f.valid], [false, false, false]);
  for (const purpose of ['informational', 'telemarketing']) {
    expectBlocked(await precall({ phone, purpose }), 'no_consent', purpose);
    expectBlocked(await precall({ phone, purpose, call_type: 'automated_voice' }), 'no_consent', purpose);
  }
});

test('a consent without the ai_voice scope gives ai_consent_missing for AI calls, while its telemarketing scope allows an automated call', async () => {
  const phone = callable();
  const c = await consent(phone, { scope: ['telemarketing', 'ai_sms'] });
  expectBlocked(await precall({ phone }), 'ai_consent_missing');
  expectBlocked(await precall({ phone, purpose: 'informational' }), 'ai_consent_missing');
  const d = await precall({ phone, call_type: 'automated_voice' });
  expectAllowed(d, c.consent_id);
  assert.equal(d.consent.ai_specific_consent, false);
  assert.equal(d.disclosure.required, true);
});

test('automated voice: telemarketing needs written consent with the telemarketing scope; other purposes accept any express consent', async () => {
  const phone = callable();
  const w = await consent(phone, { scope: ['ai_voice'] });
  expectBlocked(await precall({ phone, call_type: 'automated_voice' }), 'ai_consent_missing');
  expectAllowed(await precall({ phone, call_type: 'automated_voice', purpose: 'appointment_reminder' }), w.consent_id);
  const phone2 = callable();
  const e = await consent(phone2, { type: 'prior_express', scope: ['transactional'] });
  expectAllowed(await precall({ phone: phone2, call_type: 'automated_voice', purpose: 'transactional' }), e.consent_id);
  expectBlocked(await precall({ phone: phone2, call_type: 'automated_voice' }), 'ai_consent_missing');
  // An established business relationship is not prior express consent.
  const phone3 = callable();
  await consent(phone3, { type: 'established_business_relationship', scope: ['ai_voice', 'telemarketing'] });
  expectBlocked(await precall({ phone: phone3, call_type: 'automated_voice', purpose: 'informational' }), 'ai_consent_missing');
  expectBlocked(await precall({ phone: phone3, purpose: 'informational' }), 'ai_consent_missing');
});

test('without any consent AI and automated calls are no_consent; a human-voice call is allowed and needs no disclosure', async () => {
  const phone = callable();
  for (const call_type of ['ai_voice', 'automated_voice']) {
    for (const purpose of ['telemarketing', 'informational']) {
      expectBlocked(await precall({ phone, call_type, purpose }), 'no_consent', `${call_type} ${purpose}`);
    }
  }
  for (const purpose of ['telemarketing', 'transactional', 'informational', 'survey', 'debt_collection', 'appointment_reminder']) {
    const d = await precall({ phone, call_type: 'human_voice', purpose, calling_number: '+18005550100' });
    expectAllowed(d, null, purpose);
    assert.equal(d.disclosure.required, false);
    assert.equal(d.disclosure.script, null);
  }
});

test('the calling entity must match the consent, in any letter case', async () => {
  const phone = callable();
  const c = await consent(phone);
  expectAllowed(await precall({ phone, calling_entity: 'ACME insurance llc' }), c.consent_id);
  expectBlocked(await precall({ phone, calling_entity: 'Acme' }), 'no_consent');
  expectBlocked(await precall({ phone, calling_entity: 'Beta Corp' }), 'no_consent');
});

test('a consent captured a few minutes ahead (accepted for clock skew) is not relied on before that time', async () => {
  const phone = callable();
  await consent(phone, { captured_at: iso(Date.now() + 3 * 60000) });
  expectBlocked(await precall({ phone, purpose: 'informational' }), 'no_consent');
});

test('a revocation blocks at once, for every call type: consumer_revoked with revoked_at, honor_by_date and revocation_id', async () => {
  const phone = callable();
  const c = await consent(phone, { captured_at: '2026-11-01T12:00:00Z' });
  expectAllowed(await precall({ phone }), c.consent_id);
  const r = await revoke(phone, { captured_at: '2026-11-20T15:00:00Z' });
  for (const call_type of ['ai_voice', 'automated_voice', 'human_voice']) {
    const d = await precall({ phone, call_type });
    expectBlocked(d, 'consumer_revoked', call_type);
    assert.equal(d.revocation_id, r.revocation_id);
    assert.equal(Date.parse(d.revoked_at), Date.parse('2026-11-20T15:00:00Z'));
    assert.equal(Date.parse(d.honor_by_date), Date.parse('2026-12-07T15:00:00Z'));
    assert.ok(d.compliance_notes.some((n) => /revoked/i.test(n)), JSON.stringify(d.compliance_notes));
  }
  // The revocation is for this entity in any letter case.
  expectBlocked(await precall({ phone, calling_entity: 'acme INSURANCE LLC', call_type: 'human_voice' }), 'consumer_revoked');
});

test('an entity_only revocation leaves other entities allowed; a scope all revocation blocks them too', async () => {
  const phone = callable();
  const a = await consent(phone);
  const b = await consent(phone, { calling_entity: 'Beta Corp' });
  const ra = await revoke(phone, { captured_at: iso(Date.now() - 2 * 60000) });
  const da = await precall({ phone });
  expectBlocked(da, 'consumer_revoked');
  assert.equal(da.revocation_id, ra.revocation_id);
  expectAllowed(await precall({ phone, calling_entity: 'Beta Corp' }), b.consent_id);
  expectAllowed(await precall({ phone, calling_entity: 'Beta Corp', call_type: 'human_voice' }), null);
  assert.ok(a.consent_id);
  const rall = await revoke(phone, { scope: 'all', trigger: 'sms_stop', captured_at: iso(Date.now() - 60000) });
  assert.equal(rall.scope, 'all');
  for (const call_type of ['ai_voice', 'human_voice']) {
    const db = await precall({ phone, calling_entity: 'Beta Corp', call_type });
    expectBlocked(db, 'consumer_revoked', call_type);
    assert.equal(db.revocation_id, rall.revocation_id);
  }
  const dc = await precall({ phone, calling_entity: 'Gamma Ltd', call_type: 'human_voice' });
  expectBlocked(dc, 'consumer_revoked');
  const da2 = await precall({ phone });
  expectBlocked(da2, 'consumer_revoked');
  assert.ok([ra.revocation_id, rall.revocation_id].includes(da2.revocation_id));
});

test('outside the calling hours every call is blocked, even with consent; the verdict names the zone and its local time', async (t) => {
  if (!OUTSIDE) { t.skip('no single-zone NANP area is outside 08:00-21:00 (with margin) right now'); return; }
  const phone = nanpPhone(OUTSIDE);
  await consent(phone);
  for (const call_type of ['ai_voice', 'automated_voice', 'human_voice']) {
    const d = await precall({ phone, call_type });
    expectBlocked(d, 'outside_calling_hours', `${call_type} at ${OUTSIDE.zone}`);
    assert.equal(d.calling_hours.verdict, 'outside');
    assert.equal(d.calling_hours.zone, OUTSIDE.zone);
    const m = LOCAL_RE.exec(d.calling_hours.local_time);
    assert.ok(m, d.calling_hours.local_time);
    const hour = Number(m[1]);
    assert.ok(hour < 8 || hour >= 21, `local_time ${d.calling_hours.local_time} is outside 08:00-21:00`);
  }
});

test('a revocation comes before the calling hours', async (t) => {
  if (!OUTSIDE) { t.skip('no single-zone NANP area is outside 08:00-21:00 (with margin) right now'); return; }
  const phone = nanpPhone(OUTSIDE);
  await consent(phone);
  const r = await revoke(phone);
  const d = await precall({ phone });
  expectBlocked(d, 'consumer_revoked');
  assert.equal(d.revocation_id, r.revocation_id);
  assert.equal(d.calling_hours.verdict, 'outside');
});

test('inside the calling hours the verdict is ok and names the zone and its local time', async (t) => {
  if (!INSIDE) { t.skip('no single-zone NANP area is inside 08:00-21:00 (with margin) right now'); return; }
  const phone = nanpPhone(INSIDE);
  const c = await consent(phone);
  const d = await precall({ phone: phone.replace(/^\+1(\d{3})(\d{3})(\d{4})$/, '+1 ($1) $2-$3') });
  expectAllowed(d, c.consent_id);
  assert.equal(d.calling_hours.verdict, 'ok');
  assert.equal(d.calling_hours.zone, INSIDE.zone);
  const m = LOCAL_RE.exec(d.calling_hours.local_time);
  assert.ok(m, d.calling_hours.local_time);
  assert.ok(Number(m[1]) >= 8 && Number(m[1]) < 21, d.calling_hours.local_time);
});

test('a number outside the NANP, or a non-geographic one, has calling_hours unknown_area with a compliance note, and is not blocked for it', async () => {
  for (const phone of ['+442071838750', '+4930123456', '+18005550199']) {
    const d = await precall({ phone, call_type: 'human_voice' });
    expectAllowed(d, null, phone);
    assert.equal(d.calling_hours.verdict, 'unknown_area', phone);
    assert.equal(d.calling_hours.zone, null);
    assert.equal(d.calling_hours.local_time, null);
    assert.ok(d.compliance_notes.some((n) => /area code|not verified/i.test(n)), JSON.stringify(d.compliance_notes));
  }
  const phone = '+442071838751';
  const c = await consent(phone);
  expectAllowed(await precall({ phone }), c.consent_id);
});

test('the disclosure script says who is calling, for whom, and the callback number as spoken; none for a human voice', async () => {
  const phone = callable();
  const c = await consent(phone, { calling_entity: 'Zeta Health Partners', scope: ['ai_voice', 'telemarketing'] });
  const ai = await precall({ phone, calling_entity: 'Zeta Health Partners', calling_number: '+18005550100' });
  expectAllowed(ai, c.consent_id);
  assert.ok(ai.disclosure.script.includes('Zeta Health Partners'));
  assert.ok(ai.disclosure.script.includes('800-555-0100'));
  const noCallback = await precall({ phone, calling_entity: 'Zeta Health Partners' });
  assert.ok(noCallback.disclosure.script.includes('Zeta Health Partners'));
  assert.doesNotMatch(noCallback.disclosure.script, /\d{3}-\d{3}-\d{4}/);
  const auto = await precall({ phone, calling_entity: 'Zeta Health Partners', call_type: 'automated_voice', calling_number: '+18005550100' });
  expectAllowed(auto, c.consent_id);
  assert.ok(auto.disclosure.script.includes('800-555-0100'));
  assert.notEqual(auto.disclosure.script, ai.disclosure.script, 'an automated voice is not announced as an AI');
  const human = await precall({ phone, calling_entity: 'Zeta Health Partners', call_type: 'human_voice', calling_number: '+18005550100' });
  assert.equal(human.disclosure.required, false);
  assert.equal(human.disclosure.script, null);
});

test("tenants are apart: another tenant's consents never allow, and its revocations never block, this tenant's calls", async () => {
  const b = createKey(srv.dataDir, 'tenantb', 'all');
  // Tenant A's consent does not exist for tenant B.
  const p1 = callable();
  const ca = await consent(p1);
  expectAllowed(await precall({ phone: p1, purpose: 'informational' }), ca.consent_id);
  expectBlocked(await precall({ phone: p1, purpose: 'informational' }, b), 'no_consent');
  // Tenant A's revocation (even scope all) does not block tenant B.
  const p2 = callable();
  const cb = await consent(p2, {}, b);
  await revoke(p2, { scope: 'all' });
  expectBlocked(await precall({ phone: p2, call_type: 'human_voice' }), 'consumer_revoked');
  expectAllowed(await precall({ phone: p2 }, b), cb.consent_id);
  expectAllowed(await precall({ phone: p2, call_type: 'human_voice' }, b), null);
  // And tenant B's lists show none of tenant A's records.
  for (const p of [p1, p2]) {
    const rl = await send('GET', `/v1/revocations?phone=${encodeURIComponent(p)}`, undefined, b);
    assert.deepEqual(rl.json.items, []);
  }
  const cl = await send('GET', `/v1/consents?phone=${encodeURIComponent(p2)}`, undefined, b);
  assert.deepEqual(cl.json.items.map((i) => i.consent_id), [cb.consent_id]);
});

// --- the bad-input matrix --------------------------------------------------------------------
const without = (k) => (x) => { const o = { ...x }; delete o[k]; return o; };
const withv = (o) => (x) => ({ ...x, ...o });
const CASES = [
  ...['phone', 'calling_entity', 'purpose', 'call_type'].flatMap((k) => [
    [`${k} missing`, without(k), 'missing_field', k],
    [`${k} null`, withv({ [k]: null }), 'missing_field', k],
  ]),
  // wrong types
  ['phone number', withv({ phone: 12125550100 }), 'invalid_field', 'phone'],
  ['calling_entity number', withv({ calling_entity: 7 }), 'invalid_field', 'calling_entity'],
  ['calling_number number', withv({ calling_number: 18005550100 }), 'invalid_field', 'calling_number'],
  ['purpose array', withv({ purpose: ['telemarketing'] }), 'invalid_field', 'purpose'],
  ['call_type boolean', withv({ call_type: true }), 'invalid_field', 'call_type'],
  ['metadata array', withv({ metadata: [] }), 'invalid_field', 'metadata'],
  ['metadata string', withv({ metadata: 'x' }), 'invalid_field', 'metadata'],
  ['metadata number', withv({ metadata: 5 }), 'invalid_field', 'metadata'],
  // bad enums
  ['purpose not in the enum', withv({ purpose: 'marketing' }), 'invalid_field', 'purpose'],
  ['purpose upper case', withv({ purpose: 'Telemarketing' }), 'invalid_field', 'purpose'],
  ['call_type not in the enum', withv({ call_type: 'ai' }), 'invalid_field', 'call_type'],
  ['call_type upper case', withv({ call_type: 'AI_VOICE' }), 'invalid_field', 'call_type'],
  ['call_type a scope name', withv({ call_type: 'ai_sms' }), 'invalid_field', 'call_type'],
  // bad phones
  ['phone without +', withv({ phone: '2125550100' }), 'invalid_field', 'phone'],
  ['phone words', withv({ phone: 'call me' }), 'invalid_field', 'phone'],
  ['phone empty', withv({ phone: '' }), 'invalid_field', 'phone'],
  ['calling_number without +', withv({ calling_number: '8005550100' }), 'invalid_field', 'calling_number'],
  ['calling_number words', withv({ calling_number: 'our main line' }), 'invalid_field', 'calling_number'],
  ['calling_number too short', withv({ calling_number: '+1800' }), 'invalid_field', 'calling_number'],
  ['calling_number empty', withv({ calling_number: '' }), 'invalid_field', 'calling_number'],
  // out of range
  ['calling_entity empty', withv({ calling_entity: '' }), 'invalid_field', 'calling_entity'],
  ['calling_entity 201 characters', withv({ calling_entity: 'E'.repeat(201) }), 'invalid_field', 'calling_entity'],
  ['metadata 65 members', withv({ metadata: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])) }), 'invalid_field', 'metadata'],
  // unknown fields
  ['unknown field', withv({ foo: 1 }), 'unknown_field', 'foo'],
  ['consent_id', withv({ consent_id: 'cst_00000000000000000000000000000000' }), 'unknown_field', 'consent_id'],
  ['captured_at', withv({ captured_at: '2026-11-20T15:00:00Z' }), 'unknown_field', 'captured_at'],
  ['scope', withv({ scope: ['ai_voice'] }), 'unknown_field', 'scope'],
];

test('POST /v1/precall: every bad field is 400 naming it, and nothing is stored', async () => {
  const phone = callable();
  const base = { phone, calling_entity: ENTITY, calling_number: '+18005550100', purpose: 'informational', call_type: 'ai_voice', metadata: { a: 1 } };
  const lists = async () => [
    (await send('GET', `/v1/consents?phone=${encodeURIComponent(phone)}`)).json,
    (await send('GET', `/v1/revocations?phone=${encodeURIComponent(phone)}`)).json,
  ];
  const before = await lists();
  for (const [label, make, code, field] of CASES) {
    expectErr(await send('POST', '/v1/precall', make(base)), 400, code, field, label);
    assert.deepEqual(await lists(), before, `${label}: nothing stored`);
  }
  expectErr(await send('POST', '/v1/precall', '[]'), 400, 'invalid_json', undefined, 'array body');
  // The base body is accepted (and, with no consent, refused for that reason only).
  const d = await precall(base);
  expectBlocked(d, 'no_consent');
  // 64 members of metadata are accepted.
  const m64 = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${i}`, 'v']));
  await precall({ ...base, metadata: m64, call_type: 'human_voice' });
});

test('the server shuts down cleanly (exit 0, no sanitizer report) after all of the above', async () => {
  await assertCleanExit(srv);
});
