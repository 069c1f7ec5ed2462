// Per-tenant policy from the config file (tenant.<name>.retention_years and
// tenant.<name>.compliance.*): a configured tenant's bundles are scored and retained by its own
// settings, which are sealed in the bundle; other tenants keep the defaults; a bad tenant
// setting stops the server at start with the file, line and key named.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, assertCleanExit, cli, createKey, tempDir, rmTemp, send as sendAs } from './lib.mjs';

let srv;
let dir;
let conf;
before(async () => {
  dir = tempDir();
  conf = path.join(dir, 'callproof.conf');
  fs.writeFileSync(conf, [
    '# TSR telemarketing records: 5 years',
    'tenant.default.retention_years = 5',
    'tenant.default.compliance.weight.CONSENT_MISSING = 50',
    'tenant.default.compliance.callback_numbers = +1 800 555 0199',
    '',
  ].join('\n'));
  srv = await startServer({ dataDir: path.join(dir, 'data'), args: ['--config', conf] });
});
after(async () => {
  await srv?.kill();
  rmTemp(dir);
});

// A seed-shaped call with no consent: CONSENT_MISSING is the only finding.
const CALL = Object.freeze({
  phone: '+15551234567', calling_entity: 'Acme Insurance LLC', calling_number: '+18005550100',
  started_at: '2026-04-10T15:42:00Z', ended_at: '2026-04-10T15:46:30Z', duration_seconds: 270, outcome: 'completed',
  ai_disclosures_made: [
    { type: 'ai_identity', at_seconds: 1, text: 'Hi, this is an AI assistant calling on behalf of Acme Insurance.' },
    { type: 'callback_number', at_seconds: 4, text: 'Our callback number is 800-555-0199.' },
    { type: 'opt_out_instructions', at_seconds: 6, text: "If you'd like to opt out at any time, just say stop or press 9." },
  ],
});

async function seal(token, callId) {
  const r = await sendAs(srv.base, token, 'POST', '/v1/post-call', { ...CALL, call_id: callId });
  assert.equal(r.status, 201, r.text);
  const g = await sendAs(srv.base, token, 'GET', `/v1/evidence/${r.json.evidence_bundle_id}`);
  assert.equal(g.status, 200, g.text);
  return { answer: r.json, bundle: g.json.bundle };
}

test('a configured tenant is scored and retained by its own settings, sealed in the bundle', async () => {
  const { answer, bundle } = await seal(srv.token, 'call_policy_1');
  assert.deepEqual(answer.compliance_findings.map((f) => f.code), ['CONSENT_MISSING']);
  assert.equal(answer.compliance_score, 50);
  assert.equal(answer.retention_until, '2031-04-10T15:46:30Z');
  const p = bundle.compliance.parameters;
  assert.deepEqual(p.rule_overrides, { CONSENT_MISSING: { enabled: true, weight: 50 } });
  assert.equal(bundle.compliance.findings[0].points, 50);
  assert.deepEqual(p.callback_numbers, ['+18005550199']);
  assert.equal(p.purpose, 'telemarketing');
  assert.equal(bundle.retention_until, '2031-04-10T15:46:30Z');
});

test('another tenant keeps the defaults', async () => {
  const other = createKey(srv.dataDir, 'other', 'all');
  const { answer, bundle } = await seal(other, 'call_policy_2');
  // 800-555-0199 is not the caller id and not one of this tenant's numbers, so the callback
  // rule fires too; CONSENT_MISSING costs its default 40.
  const codes = answer.compliance_findings.map((f) => f.code);
  assert.ok(codes.includes('CONSENT_MISSING'), codes.join());
  assert.ok(codes.length >= 2, codes.join());
  const points = Object.fromEntries(bundle.compliance.findings.map((f) => [f.code, f.points]));
  assert.equal(points.CONSENT_MISSING, 40);
  assert.equal(answer.compliance_score, Math.max(0, 100 - Object.values(points).reduce((a, b) => a + b, 0)));
  assert.equal(answer.retention_until, '2030-04-10T15:46:30Z');
  assert.deepEqual(bundle.compliance.parameters.rule_overrides, {});
  assert.deepEqual(bundle.compliance.parameters.callback_numbers, []);
});

test('a bad tenant setting stops the server at start, naming the file, line and key', () => {
  const cases = [
    ['tenant.default.retention_years = 0', 'tenant.default.retention_years'],
    ['tenant.default.compliance.weight.NO_SUCH_RULE = 5', 'tenant.default.compliance.weight.NO_SUCH_RULE'],
    ['tenant.default.compliance.purpose = sales', 'tenant.default.compliance.purpose'],
    ['tenant.default.compliance.colour = blue', 'tenant.default.compliance.colour'],
    ['tenant.default.nonsense = 1', 'tenant.default.nonsense'],
  ];
  for (const [line, key] of cases) {
    const f = path.join(dir, 'bad.conf');
    fs.writeFileSync(f, `# comment\n${line}\n`);
    const r = cli(['serve', '--listen', '127.0.0.1:0', '--data', path.join(dir, 'bad-data'), '--config', f]);
    assert.equal(r.code, 2, `${line}: ${r.stderr}`);
    assert.ok(r.stderr.includes(`${f}:2:`), r.stderr);
    assert.ok(r.stderr.includes(key), r.stderr);
    assert.ok(!fs.existsSync(path.join(dir, 'bad-data', 'callproof.db')), 'nothing was created');
  }
  // Inconsistent together: named by tenant and parameter.
  const f = path.join(dir, 'bad.conf');
  fs.writeFileSync(f, 'tenant.acme.compliance.calling_hours_start = 21\ntenant.acme.compliance.calling_hours_end = 8\n');
  const r = cli(['serve', '--listen', '127.0.0.1:0', '--data', path.join(dir, 'bad-data'), '--config', f]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /tenant\.acme\.compliance: .*calling_hours_end/);
});

test('the server stops cleanly', async () => {
  await assertCleanExit(srv);
});
