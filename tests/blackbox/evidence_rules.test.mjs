// Covers the compliance rules as POST /v1/post-call applies them, one black-box case per rule:
// each starts from the seed's compliant call (its two consents created first, so it scores 100
// with compliance_findings []) and changes one thing (plus a call_id of its own, so that no case
// supersedes another), then asserts exactly the findings that change must cause, in rule-table
// order, with their severity, rule_ref, message and (where the rule points at a moment)
// at_seconds, and that compliance_score = 100 - the sum of the weights of the rules broken
// (src/domain/compliance.c), floored at 0, each rule charged once however many findings it has.
// Cases that need other consents or revocations run in a tenant of their own ("world"), so that
// nothing they create can touch another case. The sealed bundle must say the same: its
// compliance.findings (with points) match the answer, and info rules are notes, never findings.
// Also: calls nobody answered skip the disclosure rules; a start derived from ended_at minus
// duration is a note; TIMES_INCONSISTENT cannot be reached through the API (validation refuses
// such input with 400); OFFSHORE_DISCLOSURE_MISSING is off by default; boundaries of the identity
// and opt-out windows and of calling hours (08:00 in, 21:00 out, daylight saving time); a consent
// captured after an opt-out lifts it, as precall decides, so the call is not NUMBER_REVOKED.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  startServer, assertErrorBody, assertCleanExit, createKey, send as sendAs, cli, tempDir, rmTemp,
} from './lib.mjs';
import { SEED, WRITTEN, VERBAL } from './econsent_seed.mjs';

let srv;
let scratch;
before(async () => {
  scratch = tempDir();
  srv = await startServer();
  await created('/v1/consents', WRITTEN);
  await created('/v1/capture-verbal', VERBAL);
});
after(async () => {
  await srv?.dispose();
  if (scratch) rmTemp(scratch);
});


// The rule table of src/domain/compliance.c: code -> [severity, weight], in table order.
const RULES = {
  AI_IDENTITY_MISSING: ['critical', 30], AI_IDENTITY_LATE: ['warning', 10], ENTITY_NOT_NAMED: ['critical', 25],
  CALLBACK_MISSING: ['critical', 25], CALLBACK_UNPARSEABLE: ['warning', 10], CALLBACK_PREMIUM_RATE: ['critical', 25],
  CALLBACK_MISMATCH: ['warning', 5], VOICEMAIL_NO_TOLL_FREE: ['warning', 10], OPT_OUT_MISSING: ['critical', 25],
  OPT_OUT_LATE: ['warning', 10], CONSENT_MISSING: ['critical', 40], CONSENT_NOT_FOUND: ['critical', 35],
  CONSENT_WRONG_PHONE: ['critical', 35], CONSENT_WRONG_ENTITY: ['critical', 35], CONSENT_INVALID: ['critical', 35],
  CONSENT_AFTER_CALL: ['critical', 35], CONSENT_REVOKED: ['critical', 35], CONSENT_TYPE: ['critical', 35],
  CONSENT_SCOPE: ['critical', 35], CONSENT_LISTED_UNUSABLE: ['warning', 5], NUMBER_REVOKED: ['critical', 40],
  NUMBER_REVOKED_WITHIN_HONOR_PERIOD: ['warning', 10], OUTSIDE_CALLING_HOURS: ['critical', 30],
  OPT_OUT_NOT_HONORED: ['critical', 35], OPT_OUT_CALL_NOT_ENDED: ['critical', 25], CONSENT_WITHOUT_REQUEST: ['warning', 10],
  RECORDING_NOTICE_MISSING: ['warning', 10], OFFSHORE_DISCLOSURE_MISSING: ['warning', 5], TIMES_INCONSISTENT: ['warning', 10],
  DURATION_MISMATCH: ['warning', 5], DISCLOSURE_OUTSIDE_CALL: ['warning', 5], CALL_TIME_MISSING: ['warning', 5],
};
const ORDER = Object.keys(RULES);
const INFO = ['CALL_START_DERIVED', 'CALLING_HOURS_UNVERIFIED', 'DISCLOSURES_NOT_APPLICABLE', 'DISCLOSURE_TIME_UNKNOWN',
  'CALLER_ID_NOT_RECORDED', 'RECORDING_NOTICE_UNVERIFIED', 'CONSENT_CAPTURED_NOT_FOUND', 'CONSENT_CAPTURED_INVALID',
  'OPT_OUT_RECORDED', 'INPUT_TRUNCATED'];
const expectedScore = (codes) => Math.max(0, 100 - [...new Set(codes)].reduce((s, c) => s + RULES[c][1], 0));

/** Send a request (default token: the first-start, all-scope key). */
const send = (method, p, body, token = srv.token) => sendAs(srv.base, token, method, p, body);

async function created(p, body, token) {
  const r = await send('POST', p, body, token);
  assert.equal(r.status, 201, `${p}: ${r.text}`);
  return r.json;
}

/** The seed call, with changes; disclosures by type for easy edits. */
function call(callId, over = {}) {
  return { ...structuredClone(SEED), call_id: callId, ...over };
}
const dropType = (b, type) => { b.ai_disclosures_made = b.ai_disclosures_made.filter((d) => d.type !== type); return b; };
const setDisclosure = (b, type, over) => {
  b.ai_disclosures_made = b.ai_disclosures_made.map((d) => (d.type === type ? { ...d, ...over } : d));
  return b;
};

/**
 * A tenant of its own holding the seed's two consents (for phone, captured at the given
 * times); verbal: 'capture' (capture-verbal, with the agent's request text) or 'record'
 * (POST /v1/consents: no request text). Returns its all-scope token.
 */
async function world(name, { phone = SEED.phone, writtenAt = WRITTEN.captured_at, verbalAt = VERBAL.captured_at, verbal = 'capture' } = {}) {
  const token = createKey(srv.dataDir, name, 'all');
  await created('/v1/consents', { ...WRITTEN, phone, captured_at: writtenAt }, token);
  if (verbal === 'capture') {
    const v = await created('/v1/capture-verbal', { ...VERBAL, phone, captured_at: verbalAt }, token);
    assert.equal(v.valid, true);
  } else {
    await created('/v1/consents', { consent_id: VERBAL.consent_id, phone, calling_entity: VERBAL.calling_entity,
      type: 'prior_express_written', scope: ['ai_sms'], captured_at: verbalAt }, token);
  }
  return token;
}

/**
 * Post body and check: exactly the codes `want` (in table order), each finding well formed
 * with the table's severity, at_seconds as given in `at` (code -> seconds; absent otherwise),
 * the score, and the sealed bundle's findings, points and notes. Returns {answer, bundle}.
 */
async function expectFindings(body, want, { token = srv.token, at = {}, notes } = {}) {
  const r = await send('POST', '/v1/post-call', body, token);
  assert.equal(r.status, 201, r.text);
  const j = r.json;
  const codes = j.compliance_findings.map((f) => f.code);
  assert.deepEqual(codes, want, `findings of ${body.call_id}: ${JSON.stringify(j.compliance_findings, null, 1)}`);
  const sorted = [...codes].sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b));
  assert.deepEqual(codes, sorted, 'findings come in rule-table order');
  for (const f of j.compliance_findings) {
    assert.deepEqual(Object.keys(f).filter((k) => k !== 'at_seconds').sort(), ['code', 'message', 'rule_ref', 'severity']);
    assert.equal(f.severity, RULES[f.code][0], `severity of ${f.code}`);
    assert.equal(typeof f.rule_ref, 'string');
    assert.ok(f.rule_ref.length > 0, `${f.code} cites a rule`);
    assert.equal(typeof f.message, 'string');
    assert.ok(f.message.length > 10, `${f.code} explains itself`);
    if (f.code in at) assert.equal(f.at_seconds, at[f.code], `${f.code} at_seconds`);
    else assert.ok(!('at_seconds' in f), `${f.code} has no at_seconds: ${JSON.stringify(f)}`);
  }
  assert.equal(j.compliance_score, expectedScore(codes), `score of ${codes.join(', ') || 'no findings'}`);
  // The sealed bundle agrees, with the points each finding deducted.
  const g = await send('GET', `/v1/evidence/${j.evidence_bundle_id}`, undefined, token);
  assert.equal(g.status, 200, g.text);
  const comp = g.json.bundle.compliance;
  assert.equal(comp.score, j.compliance_score);
  assert.deepEqual(comp.findings.map(({ points, ...f }) => {
    const x = { ...f };
    if (x.at_seconds === null) delete x.at_seconds;
    return x;
  }), j.compliance_findings);
  const charged = new Set();
  for (const f of comp.findings) {
    assert.equal(f.points, charged.has(f.code) ? 0 : RULES[f.code][1], `points of ${f.code}`);
    charged.add(f.code);
  }
  assert.equal(Math.max(0, 100 - comp.findings.reduce((s, f) => s + f.points, 0)), comp.score, 'score = 100 - sum of points');
  for (const n of comp.notes) {
    assert.equal(n.severity, 'info', `note ${n.code}`);
    assert.equal(n.points, 0);
    assert.ok(INFO.includes(n.code), `${n.code} is an info rule`);
  }
  if (notes) assert.deepEqual(comp.notes.map((n) => n.code), notes, 'notes');
  // And the result follows from the inputs sealed in the bundle: callproof verify recomputes it
  // offline and finds the same score, findings and notes.
  const x = await send('GET', `/v1/evidence/${j.evidence_bundle_id}/export`, undefined, token);
  assert.equal(x.status, 200, x.text);
  const f = path.join(scratch, `${body.call_id}.json`);
  fs.writeFileSync(f, x.text);
  const v = cli(['verify', f]);
  assert.equal(v.code, 0, `verify ${body.call_id}:\n${v.stdout}${v.stderr}`);
  assert.match(v.stdout, new RegExp(`^PASS compliance result recomputed from the bundle: score ${comp.score}, ${comp.findings.length} finding`, 'm'));
  return { answer: j, bundle: g.json.bundle };
}

const FINDING = {}; // code -> the finding, for message checks
const one = async (body, code, opts = {}) => {
  const { answer } = await expectFindings(body, [code], opts);
  FINDING[code] = answer.compliance_findings[0];
  return answer.compliance_findings[0];
};

test('the seed call with its consents is compliant: 100, no findings, only the info notes its 555 number implies', async () => {
  const { answer } = await expectFindings(call('call_ok'), [], { notes: ['CALLING_HOURS_UNVERIFIED', 'RECORDING_NOTICE_UNVERIFIED'] });
  assert.equal(answer.compliance_score, 100);
  // Any spelling of the number is normalised before the consent is matched.
  await expectFindings(call('call_ok_spelling', { phone: '+1 (555) 123-4567' }), []);
});

// ---- disclosures ----

test('AI_IDENTITY_MISSING: without the ai_identity disclosure (and nothing else: entity and opt-out timing are not judged without one)', async () => {
  const f = await one(dropType(call('call_ai_missing'), 'ai_identity'), 'AI_IDENTITY_MISSING');
  assert.match(f.rule_ref, /64\.1200\(b\)\(1\)/);
});

test('AI_IDENTITY_LATE: the identity at 9 s instead of within 2 s', async () => {
  const f = await one(setDisclosure(call('call_ai_late'), 'ai_identity', { at_seconds: 9 }), 'AI_IDENTITY_LATE', { at: { AI_IDENTITY_LATE: 9 } });
  assert.match(f.message, /9 s/);
  await expectFindings(setDisclosure(call('call_ai_2s'), 'ai_identity', { at_seconds: 2 }), []);
  await expectFindings(setDisclosure(call('call_ai_3s'), 'ai_identity', { at_seconds: 3 }), ['AI_IDENTITY_LATE'], { at: { AI_IDENTITY_LATE: 3 } });
});

test('ENTITY_NOT_NAMED: an identity that names another company, or only part of the name ("Acme" alone)', async () => {
  const text = 'Hi, this is an AI assistant calling on behalf of Apex Insurance.';
  const f = await one(setDisclosure(call('call_entity'), 'ai_identity', { text }), 'ENTITY_NOT_NAMED', { at: { ENTITY_NOT_NAMED: 1 } });
  assert.match(f.message, /Acme Insurance LLC/);
  await expectFindings(setDisclosure(call('call_entity2'), 'ai_identity', { text: 'Hi, this is an AI assistant calling for Acme.' }),
    ['ENTITY_NOT_NAMED'], { at: { ENTITY_NOT_NAMED: 1 } });
  // The legal form and punctuation do not matter.
  await expectFindings(setDisclosure(call('call_entity3'), 'ai_identity', { text: 'Hi, an AI assistant for ACME insurance, L.L.C.' }), []);
});

test('CALLBACK_MISSING: without the callback_number disclosure', async () => {
  await one(dropType(call('call_cb_missing'), 'callback_number'), 'CALLBACK_MISSING');
});

test('CALLBACK_UNPARSEABLE: a callback disclosure that gives no telephone number', async () => {
  await one(setDisclosure(call('call_cb_unparse'), 'callback_number', { text: 'Call us back any time.' }), 'CALLBACK_UNPARSEABLE',
    { at: { CALLBACK_UNPARSEABLE: 4 } });
});

test('CALLBACK_PREMIUM_RATE: a 900 callback number (the caller id is that number too, so it is not also a mismatch)', async () => {
  const b = setDisclosure(call('call_cb_900', { calling_number: '+19005550100' }), 'callback_number', { text: 'Our callback number is 900-555-0100.' });
  await one(b, 'CALLBACK_PREMIUM_RATE', { at: { CALLBACK_PREMIUM_RATE: 4 } });
});

test('CALLBACK_MISMATCH: callback 800-555-0199 while the caller id is +18005550100', async () => {
  const f = await one(setDisclosure(call('call_cb_mismatch'), 'callback_number', { text: 'Our callback number is 800-555-0199.' }),
    'CALLBACK_MISMATCH', { at: { CALLBACK_MISMATCH: 4 } });
  assert.match(f.message, /800-555-0199/);
});

test('VOICEMAIL_NO_TOLL_FREE: a message left on voicemail whose callback number (and caller id) is not toll-free', async () => {
  // Two fields change together: the callback number must stay the caller id, or
  // CALLBACK_MISMATCH would be a second finding.
  const b = setDisclosure(call('call_vm', { outcome: 'voicemail', calling_number: '+12125550100' }), 'callback_number',
    { text: 'Our callback number is 212-555-0100.' });
  await one(b, 'VOICEMAIL_NO_TOLL_FREE', { at: { VOICEMAIL_NO_TOLL_FREE: 4 } });
  // The seed's toll-free number on voicemail is fine.
  await expectFindings(call('call_vm_ok', { outcome: 'voicemail' }), []);
});

test('OPT_OUT_MISSING: without the opt_out_instructions disclosure', async () => {
  await one(dropType(call('call_oo_missing'), 'opt_out_instructions'), 'OPT_OUT_MISSING');
});

test('OPT_OUT_LATE: opt-out instructions at 30 s, long after the identification', async () => {
  await one(setDisclosure(call('call_oo_late'), 'opt_out_instructions', { at_seconds: 30 }), 'OPT_OUT_LATE', { at: { OPT_OUT_LATE: 30 } });
  // The identification is taken to end when the callback number starts (4 s): 6 s is in time, 7 s is not.
  await expectFindings(setDisclosure(call('call_oo_7s'), 'opt_out_instructions', { at_seconds: 7 }), ['OPT_OUT_LATE'], { at: { OPT_OUT_LATE: 7 } });
});

test('calls nobody answered are exempt from the disclosure rules: no_answer and failed with no disclosures score 100 (a note says why)', async () => {
  for (const outcome of ['no_answer', 'failed']) {
    const { bundle } = await expectFindings(call(`call_${outcome}`, { outcome, ai_disclosures_made: [] }), []);
    assert.ok(bundle.compliance.notes.some((n) => n.code === 'DISCLOSURES_NOT_APPLICABLE'), outcome);
  }
  // Voicemail is answered by a machine: the rules apply.
  await expectFindings(call('call_vm_none', { outcome: 'voicemail', ai_disclosures_made: [] }),
    ['AI_IDENTITY_MISSING', 'CALLBACK_MISSING', 'OPT_OUT_MISSING']);
});

test('OFFSHORE_DISCLOSURE_MISSING is off by default: no call above made one, and none was flagged', () => {
  assert.ok(!Object.values(FINDING).some((f) => f.code === 'OFFSHORE_DISCLOSURE_MISSING'));
});

// ---- consents used ----

test('CONSENT_MISSING: consent_ids_used []', async () => {
  await one(call('call_c_missing', { consent_ids_used: [] }), 'CONSENT_MISSING');
  await one(call('call_c_missing2', { consent_ids_used: undefined }), 'CONSENT_MISSING');
});

test('CONSENT_NOT_FOUND: an unknown cst_ id; two unknown ids are two findings but one broken rule', async () => {
  const f = await one(call('call_c_unknown', { consent_ids_used: ['cst_unknown000000001'] }), 'CONSENT_NOT_FOUND');
  assert.match(f.message, /cst_unknown000000001/);
  const { answer } = await expectFindings(call('call_c_unknown2', { consent_ids_used: ['cst_unknown000000001', 'cst_unknown000000002'] }),
    ['CONSENT_NOT_FOUND', 'CONSENT_NOT_FOUND']);
  assert.equal(answer.compliance_score, 65);
});

test('CONSENT_WRONG_PHONE: a written consent for another number', async () => {
  const c = await created('/v1/consents', { ...WRITTEN, consent_id: undefined, phone: '+15559876543' });
  await one(call('call_c_phone', { consent_ids_used: [c.consent_id] }), 'CONSENT_WRONG_PHONE');
});

test('CONSENT_WRONG_ENTITY: a written consent given to another legal entity ("Acme Insurance Inc")', async () => {
  const c = await created('/v1/consents', { ...WRITTEN, consent_id: undefined, calling_entity: 'Acme Insurance Inc' });
  await one(call('call_c_entity', { consent_ids_used: [c.consent_id] }), 'CONSENT_WRONG_ENTITY');
  // The entity is compared without case.
  const d = await created('/v1/consents', { ...WRITTEN, consent_id: undefined, calling_entity: 'ACME INSURANCE LLC' });
  await expectFindings(call('call_c_entity_case', { consent_ids_used: [d.consent_id] }), []);
});

test('CONSENT_INVALID: a verbal capture whose answer was not consent ("Who is this?")', async () => {
  const c = await created('/v1/capture-verbal', { ...VERBAL, consent_id: undefined, call_id: undefined,
    transcript: 'Who is this?', captured_at: '2026-04-01T12:00:00Z' });
  assert.equal(c.valid, false);
  await one(call('call_c_invalid', { consent_ids_used: [c.consent_id] }), 'CONSENT_INVALID');
});

test('CONSENT_AFTER_CALL: a written consent captured a minute after the call started', async () => {
  const c = await created('/v1/consents', { ...WRITTEN, consent_id: undefined, captured_at: '2026-04-10T15:43:00Z' });
  const f = await one(call('call_c_after', { consent_ids_used: [c.consent_id] }), 'CONSENT_AFTER_CALL');
  assert.match(f.message, /2026-04-10T15:43:00/);
  // Captured at the very second the call started is prior consent.
  const d = await created('/v1/consents', { ...WRITTEN, consent_id: undefined, captured_at: '2026-04-10T15:42:00Z' });
  await expectFindings(call('call_c_same_second', { consent_ids_used: [d.consent_id] }), []);
});

test('CONSENT_TYPE: a prior_express (not written) consent for a telemarketing AI call', async () => {
  const c = await created('/v1/consents', { ...WRITTEN, consent_id: undefined, type: 'prior_express' });
  await one(call('call_c_type', { consent_ids_used: [c.consent_id] }), 'CONSENT_TYPE');
});

test('CONSENT_SCOPE: a written consent without ai_voice in its scope', async () => {
  const c = await created('/v1/consents', { ...WRITTEN, consent_id: undefined, scope: ['telemarketing'] });
  const f = await one(call('call_c_scope', { consent_ids_used: [c.consent_id] }), 'CONSENT_SCOPE');
  assert.match(f.message, /ai_voice/);
});

test('CONSENT_LISTED_UNUSABLE: a good consent plus an unknown one is covered, with a warning for the unusable one', async () => {
  await one(call('call_c_listed', { consent_ids_used: ['cst_lx8k7n3f4g5h6j7k', 'cst_unknown000000003'] }), 'CONSENT_LISTED_UNUSABLE');
});

// ---- revocations ----

test('CONSENT_REVOKED with NUMBER_REVOKED: the number opted out of this entity\'s calls well before the call (past the 10 business days)', async () => {
  // Both findings are unavoidable: POST /v1/revoke also revokes the consents captured before it,
  // so the consent used is revoked (CONSENT_REVOKED) and the number is opted out
  // (NUMBER_REVOKED). Consent captured 1 March, revoked 5 March, honor-by 19 March, call 10 April.
  const token = await world('revoked_old', { writtenAt: '2026-03-01T12:00:00Z' });
  const rv = await created('/v1/revoke', { phone: SEED.phone, calling_entity: SEED.calling_entity, trigger: 'sms_stop',
    captured_at: '2026-03-05T12:00:00Z' }, token);
  const { answer } = await expectFindings(call('call_revoked_old'), ['CONSENT_REVOKED', 'NUMBER_REVOKED'], { token });
  assert.equal(answer.compliance_score, 25);
  assert.match(answer.compliance_findings[1].message, new RegExp(rv.revocation_id));
});

test('CONSENT_REVOKED with NUMBER_REVOKED_WITHIN_HONOR_PERIOD: revoked 8 days before the call, inside the 10 business days', async () => {
  // As above, the revocation revokes the consent too; the call came before the honor-by date.
  const token = await world('revoked_recent');
  await created('/v1/revoke', { phone: SEED.phone, calling_entity: SEED.calling_entity, trigger: 'web_form',
    captured_at: '2026-04-02T12:00:00Z' }, token);
  const { answer } = await expectFindings(call('call_revoked_recent'), ['CONSENT_REVOKED', 'NUMBER_REVOKED_WITHIN_HONOR_PERIOD'], { token });
  assert.equal(answer.compliance_score, 55);
});

test('a written consent captured after an opt-out lifts it, as POST /v1/precall decides: the call made on it is not NUMBER_REVOKED', async () => {
  // Opt-out on 1 March (honor-by 13 March), a new written consent on 1 April (not revoked: it came
  // after the revocation), call on 10 April. Precall allows a call on that consent now; the
  // compliance engine must not then flag the call it allowed as a critical violation.
  const token = createKey(srv.dataDir, 'reconsent', 'all');
  await created('/v1/revoke', { phone: SEED.phone, calling_entity: SEED.calling_entity, trigger: 'sms_stop',
    captured_at: '2026-03-01T12:00:00Z' }, token);
  const w = await created('/v1/consents', WRITTEN, token);
  assert.equal(w.revoked_at, null, 'the new consent is not revoked');
  await created('/v1/capture-verbal', VERBAL, token);
  const p = await send('POST', '/v1/precall', { phone: SEED.phone, calling_entity: SEED.calling_entity,
    purpose: 'telemarketing', call_type: 'ai_voice' }, token);
  assert.equal(p.status, 200, p.text);
  assert.equal(p.json.allowed, true, `precall: ${p.text}`);
  await expectFindings(call('call_reconsent'), [], { token });
});

test('a revocation of another entity\'s calls does not touch this call', async () => {
  const token = await world('revoked_other');
  await created('/v1/revoke', { phone: SEED.phone, calling_entity: 'Other Bank NA', trigger: 'manual',
    captured_at: '2026-03-05T12:00:00Z' }, token);
  await expectFindings(call('call_revoked_other'), [], { token });
});

// ---- calling hours ----

test('OUTSIDE_CALLING_HOURS: a call to +1 212 started at 03:00 New York time', async () => {
  const phone = '+12125550100';
  const token = await world('nyc', { phone, writtenAt: '2026-01-05T12:00:00Z', verbalAt: '2026-04-10T07:02:00Z' });
  const b = call('call_3am', { phone, started_at: '2026-04-10T07:00:00Z', ended_at: '2026-04-10T07:04:30Z' });
  const f = await one(b, 'OUTSIDE_CALLING_HOURS', { token });
  assert.match(f.message, /America\/New_York/);
  assert.match(f.message, /03:00/);
  // The same call at 09:00 New York time is fine.
  await expectFindings(call('call_9am', { phone, started_at: '2026-04-10T13:00:00Z', ended_at: '2026-04-10T13:04:30Z' }), [], { token });
  // 08:00 is in, 21:00 is out (local time, daylight saving time as the zone has it).
  const at = (id, start, end) => call(id, { phone, started_at: start, ended_at: end });
  await expectFindings(at('call_0759', '2026-04-10T11:59:00Z', '2026-04-10T12:03:30Z'), ['OUTSIDE_CALLING_HOURS'], { token });
  await expectFindings(at('call_0800', '2026-04-10T12:00:00Z', '2026-04-10T12:04:30Z'), [], { token });
  await expectFindings(at('call_2059', '2026-04-11T00:59:00Z', '2026-04-11T01:03:30Z'), [], { token });
  await expectFindings(at('call_2100', '2026-04-11T01:00:00Z', '2026-04-11T01:04:30Z'), ['OUTSIDE_CALLING_HOURS'], { token });
  // 12:30Z is 07:30 EST on 7 March and 08:30 EDT on 8 March, the day clocks go forward.
  await expectFindings(at('call_est', '2026-03-07T12:30:00Z', '2026-03-07T12:34:30Z'), ['OUTSIDE_CALLING_HOURS'], { token });
  await expectFindings(at('call_edt', '2026-03-08T12:30:00Z', '2026-03-08T12:34:30Z'), [], { token });
});

// ---- in-call opt-out ----

const OPT_OUT_TRANSCRIPT = 'Agent: Hi, this is an AI assistant calling on behalf of Acme Insurance.\nCustomer: stop calling me';

test('OPT_OUT_NOT_HONORED: the customer says "stop calling me" and no revocation was recorded', async () => {
  const f = await one(call('call_stop', { full_transcript: OPT_OUT_TRANSCRIPT }), 'OPT_OUT_NOT_HONORED');
  assert.match(f.message, /stop calling/);
  // The agent's own instructions ("just say stop") are not the customer's opt-out.
  await expectFindings(call('call_agent_stop', { full_transcript: "Agent: If you'd like to opt out at any time, just say stop or press 9.\nCustomer: OK." }), []);
  // A bare "Stop." is an opt-out; "stop" and "cancel" inside a longer sentence are not.
  await expectFindings(call('call_bare_stop', { full_transcript: 'Agent: Hello.\nCustomer: Stop.' }), ['OPT_OUT_NOT_HONORED']);
  await expectFindings(call('call_long', { full_transcript: 'Customer: I want to cancel my old policy and stop by your office at the end of the month.' }), []);
});

test('OPT_OUT_CALL_NOT_ENDED: the opt-out was recorded at 60 s but the call went on to 270 s', async () => {
  const token = await world('optout_late');
  await created('/v1/revoke', { phone: SEED.phone, calling_entity: SEED.calling_entity, trigger: 'verbal_stop_during_call',
    captured_at: '2026-04-10T15:43:00Z', call_id: 'call_stop_late', transcript: 'stop calling me' }, token);
  const { bundle } = await expectFindings(call('call_stop_late', { full_transcript: OPT_OUT_TRANSCRIPT }), ['OPT_OUT_CALL_NOT_ENDED'],
    { token, at: { OPT_OUT_CALL_NOT_ENDED: 60 } });
  assert.ok(bundle.compliance.notes.some((n) => n.code === 'OPT_OUT_RECORDED'));
});

test('an opt-out recorded as a revocation with the call ending at once is honored: 100, and a note', async () => {
  const token = await world('optout_ok');
  await created('/v1/revoke', { phone: SEED.phone, calling_entity: SEED.calling_entity, trigger: 'verbal_stop_during_call',
    captured_at: '2026-04-10T15:46:25Z', call_id: 'call_stop_ok', transcript: 'stop calling me' }, token);
  const { bundle } = await expectFindings(call('call_stop_ok', { full_transcript: OPT_OUT_TRANSCRIPT }), [], { token });
  assert.ok(bundle.compliance.notes.some((n) => n.code === 'OPT_OUT_RECORDED'));
  assert.equal(bundle.revocations.length, 1);
});

// ---- consents captured ----

test('CONSENT_WITHOUT_REQUEST: a consent captured in the call recorded without request text, and no consent_request disclosure', async () => {
  const token = await world('norequest', { verbal: 'record' });
  await one(call('call_norequest'), 'CONSENT_WITHOUT_REQUEST', { token, at: { CONSENT_WITHOUT_REQUEST: 120 } });
  // A consent_request disclosure at or before the capture (120 s) is the request...
  const asked = call('call_asked');
  asked.ai_disclosures_made.push({ type: 'consent_request', at_seconds: 100, text: 'May we text you about your policy?' });
  await expectFindings(asked, [], { token });
  // ...one after it is not.
  const late = call('call_asked_late');
  late.ai_disclosures_made.push({ type: 'consent_request', at_seconds: 200, text: 'May we text you about your policy?' });
  await expectFindings(late, ['CONSENT_WITHOUT_REQUEST'], { token, at: { CONSENT_WITHOUT_REQUEST: 120 } });
});

// ---- recording ----

test('RECORDING_NOTICE_MISSING: a recorded call to a California number without a recording_notice disclosure', async () => {
  const phone = '+14155550100';
  const token = await world('california', { phone });
  const f = await one(call('call_ca', { phone }), 'RECORDING_NOTICE_MISSING', { token });
  assert.match(f.message, /US-CA/);
  const noticed = call('call_ca_notice', { phone });
  noticed.ai_disclosures_made.push({ type: 'recording_notice', at_seconds: 8, text: 'This call is recorded.' });
  await expectFindings(noticed, [], { token });
  // Not recorded: nothing to give notice of.
  await expectFindings(call('call_ca_unrecorded', { phone, audio_recording_url: null }), [], { token });
});

// ---- times ----

test('DURATION_MISMATCH: duration_seconds 500 for a 270 s window', async () => {
  const f = await one(call('call_dur', { duration_seconds: 500 }), 'DURATION_MISMATCH');
  assert.match(f.message, /500/);
  // Within the 2 s tolerance is fine.
  await expectFindings(call('call_dur_ok', { duration_seconds: 272 }), []);
});

test('DISCLOSURE_OUTSIDE_CALL: a disclosure placed at 300 s of a 270 s call', async () => {
  const b = call('call_outside');
  b.ai_disclosures_made.push({ type: 'recording_notice', at_seconds: 300, text: 'This call is recorded.' });
  await one(b, 'DISCLOSURE_OUTSIDE_CALL', { at: { DISCLOSURE_OUTSIDE_CALL: 300 } });
});

test('CALL_TIME_MISSING: neither started_at nor ended_at', async () => {
  await one(call('call_notime', { started_at: undefined, ended_at: undefined }), 'CALL_TIME_MISSING');
  // ended_at with duration_seconds is enough: the start is derived (a note, not a finding).
  const { bundle } = await expectFindings(call('call_derived', { started_at: undefined }), []);
  assert.ok(bundle.compliance.notes.some((n) => n.code === 'CALL_START_DERIVED'));
});

test('TIMES_INCONSISTENT cannot be sealed: ended_at before started_at and a negative duration are refused with 400 naming the field', async () => {
  const r1 = await send('POST', '/v1/post-call', call('call_backwards', { ended_at: '2026-04-10T15:41:00Z' }));
  assert.equal(r1.status, 400, r1.text);
  assertErrorBody(r1.text, 'invalid_field', { field: 'ended_at' });
  const r2 = await send('POST', '/v1/post-call', call('call_negative', { duration_seconds: -270 }));
  assert.equal(r2.status, 400, r2.text);
  assertErrorBody(r2.text, 'invalid_field', { field: 'duration_seconds' });
});

// ---- the score ----

test('the score is floored at 0 when the weights of the rules broken pass 100', async () => {
  const b = call('call_worst', { ai_disclosures_made: [], consent_ids_used: [], duration_seconds: 10 });
  const { answer } = await expectFindings(b, ['AI_IDENTITY_MISSING', 'CALLBACK_MISSING', 'OPT_OUT_MISSING', 'CONSENT_MISSING', 'DURATION_MISMATCH']);
  assert.equal(answer.compliance_score, 0);
});

test('the server shuts down cleanly (exit 0, no sanitizer report) after all of the above', async () => {
  await assertCleanExit(srv);
});
