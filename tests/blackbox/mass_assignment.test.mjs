// Mass assignment: no write endpoint lets a client set what the server owns (ids, tenant,
// timestamps it keeps, retention, signatures, scores, validity). Each such field added to an
// otherwise valid body is a 400 naming the field (read_only_field where the API documents the
// field as server-set, unknown_field elsewhere), and the request changes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertCleanExit, VALID_CALL, send as sendAs, expectErr } from './lib.mjs';
import { SEED } from './econsent_seed.mjs';

let srv;
const send = (method, p, body) => sendAs(srv.base, srv.token, method, p, body);

before(async () => {
  srv = await startServer();
  const c = await send('POST', '/api/v1/calls', { ...VALID_CALL, call_id: 'ma_call' });
  assert.equal(c.status, 201, c.text);
});
after(async () => { await srv?.kill(); });

const OWNED = {
  id: '3c90c3cc-0d44-4b50-8888-8dd25736052a',
  tenant: 'other',
  tenant_id: 2,
  created_at: '2020-01-01T00:00:00Z',
  updated_at: '2020-01-01T00:00:00Z',
  retention_until: '2099-01-01T00:00:00Z',
  signature: '00',
  key_id: 'b0287ac9c3418179',
  evidence_bundle_id: 'ev_00000000000000000000000000000000',
  compliance_score: 100,
  valid: true,
  record_canonical: '{}',
  revocation_id: 'rev_00000000000000000000000000000000',
  decision_id: 'dec_00000000000000000000000000000000',
  sha256: '0'.repeat(64),
};

// Each write endpoint with a valid body (as documented) and a probe that sees what it would change.
const ENDPOINTS = [
  ['POST', '/api/v1/calls', { ...VALID_CALL, call_id: 'ma_new' }, ['id', 'tenant', 'tenant_id', 'created_at', 'updated_at']],
  ['PATCH', '/api/v1/calls/ma_call', { talk_time: 5 }, ['id', 'tenant', 'tenant_id', 'created_at', 'updated_at']],
  ['PUT', '/api/v1/voice-calls/ma_call/epa-results', { state: 'Completed', totalQuestions: 1, questionsAnswered: 1, calculatedScore: 1 }, ['id', 'tenant', 'created_at']],
  ['POST', '/v1/calls/ma_call/recording-log', { recording_id: 'rec_ma', recording_url: 'https://cdn.example/r.mp3', duration_seconds: 1 }, ['id', 'tenant', 'created_at', 'updated_at', 'sha256']],
  ['POST', '/v1/consents', { phone: '+15551234567', calling_entity: 'Acme', type: 'prior_express_written', scope: ['ai_voice'], captured_at: '2026-04-01T12:00:00Z' }, ['tenant', 'created_at', 'signature', 'key_id', 'valid', 'record_canonical']],
  ['POST', '/v1/capture-verbal', { call_id: 'ma_call', phone: '+15551234567', calling_entity: 'Acme', captured_at: '2026-04-10T15:44:00Z', transcript: 'Yes, I agree.', consent_scope: ['ai_voice'] }, ['tenant', 'signature', 'key_id', 'valid', 'record_canonical']],
  ['POST', '/v1/revoke', { phone: '+15551234567', calling_entity: 'Acme', trigger: 'manual', captured_at: '2026-04-10T15:44:00Z' }, ['tenant', 'revocation_id', 'created_at']],
  ['POST', '/v1/precall', { phone: '+15551234567', calling_entity: 'Acme', purpose: 'telemarketing', call_type: 'ai_voice' }, ['tenant', 'decision_id']],
  ['POST', '/v1/post-call', { ...SEED, call_id: 'ma_seal' }, ['tenant', 'evidence_bundle_id', 'compliance_score', 'retention_until', 'signature', 'key_id']],
];

/** Everything the endpoints above could change, as one comparable snapshot. */
async function snapshot() {
  const parts = await Promise.all([
    send('GET', '/api/v1/calls?limit=100'),
    send('GET', '/api/v1/calls/ma_call'),
    send('GET', '/api/v1/voice-calls/ma_call/epa-results'),
    send('GET', '/v1/calls/ma_call/recording-log'),
    send('GET', '/v1/consents?phone=%2B15551234567'),
    send('GET', '/v1/revocations?phone=%2B15551234567'),
    fetch(`${srv.base}/v1/log/checkpoint`).then(async (r) => ({ status: r.status, text: await r.text() })),
  ]);
  return parts.map((p) => `${p.status} ${p.text}`);
}

test('every server-owned field is refused on every write endpoint, naming it, and nothing changes', async () => {
  const before = await snapshot();
  for (const [method, p, body, fields] of ENDPOINTS) {
    for (const f of fields) {
      const r = await send(method, p, { ...body, [f]: OWNED[f] });
      expectErr(r, 400, r.json?.code === 'read_only_field' ? 'read_only_field' : 'unknown_field', f, `${method} ${p} with ${f}`);
    }
  }
  assert.deepEqual(await snapshot(), before, 'nothing changed');
  // And the same bodies without those fields are accepted: the refusals were about the fields.
  for (const [method, p, body] of ENDPOINTS) {
    const r = await send(method, p, body);
    assert.ok(r.status >= 200 && r.status < 300, `${method} ${p}: ${r.status} ${r.text}`);
  }
});

test('the server stops cleanly', async () => {
  await assertCleanExit(srv);
  srv = null;
});
