// Makes the fuzzers' seed corpora (fuzz/corpus/<target>/) from what the black-box suite sent
// and got back, recorded by tests/blackbox/lib.mjs under CALLPROOF_FUZZ_RECORD (see
// scripts/fuzz_seeds.sh, which runs the suite that way and then this). A few hundred small
// files in all: per endpoint and outcome a few requests, so the fuzzers start from every
// answer the suite knows how to provoke, not from thousands of near-copies.
//
//   node scripts/fuzz_seeds.mjs RECORD_DIR [OUT_DIR]     (OUT_DIR: fuzz/corpus)
//
// Tokens become $KEY and ids in paths $CALL / $BUNDLE (the fixtures of fuzz/harness.c). The
// note target also gets the signed-note vectors of tests/unit/test_note.c, the canonical
// target the RFC 8785 examples of tests/unit/test_canonical.c.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const [recordDir, outArg] = process.argv.slice(2);
if (!recordDir) {
  console.error('usage: node scripts/fuzz_seeds.mjs RECORD_DIR [OUT_DIR]');
  process.exit(2);
}
const OUT = outArg || 'fuzz/corpus';
const MAX_SEED_BYTES = 24 * 1024;

// Entries of each recording file in order (one file per test process, so per server mostly).
const files = fs.readdirSync(recordDir).filter((f) => f.endsWith('.jsonl')).sort();
const runs = files.map((f) => fs.readFileSync(path.join(recordDir, f), 'utf8').trim().split('\n')
  .filter(Boolean).map((l) => JSON.parse(l)));
const all = runs.flat();
const dec = (b) => Buffer.from(b || '', 'base64');

const TOKEN = /cp_[0-9a-f]{16}_[0-9a-f]{64}/g;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const EV = /ev_[0-9a-f]{32}/g;
const tokens = (s) => s.replace(TOKEN, '$KEY');
const target = (t) => tokens(t).replace(EV, '$BUNDLE').replace(UUID, '$CALL');
const shape = (t) => target(t).replace(/\?.*/, '');

const out = {};
function emit(name, bytes) {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes, 'latin1');
  if (buf.length > MAX_SEED_BYTES) return false;
  const dir = path.join(OUT, name);
  const file = crypto.createHash('sha1').update(buf).digest('hex').slice(0, 16);
  (out[name] ||= new Map()).set(file, buf);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, file), buf);
  return true;
}
// Keep at most `per` entries for each key that keyOf gives (first come first kept).
function pick(entries, keyOf, per) {
  const seen = new Map();
  return entries.filter((e) => {
    const k = keyOf(e);
    const n = seen.get(k) || 0;
    if (n >= per) return false;
    seen.set(k, n + 1);
    return true;
  });
}
const json = (buf) => { try { return JSON.parse(buf.toString('utf8')); } catch { return undefined; } };
const codeOf = (e) => (json(dec(e.response)) || {}).code || '';

for (const d of fs.existsSync(OUT) ? fs.readdirSync(OUT) : []) fs.rmSync(path.join(OUT, d), { recursive: true });

// ---- request: whole requests, a few per (method, path shape, status, error code) ----
const fetched = all.filter((e) => !e.raw);
for (const e of pick(fetched, (e) => `${e.method} ${shape(e.target)} ${e.status} ${codeOf(e)}`, 1)) {
  const headers = e.headers.filter(([k]) => k.toLowerCase() !== 'content-length')
    .map(([k, v]) => `${k}: ${tokens(String(v))}\n`).join('');
  const body = Buffer.from(tokens(dec(e.body).toString('latin1')), 'latin1');
  emit('request', Buffer.concat([Buffer.from(`${e.method} ${target(e.target)}\n${headers}\n`, 'latin1'), body]));
}
// Raw requests (framing, smuggling, limits) as sent, one per distinct request line and answer.
const raws = all.filter((e) => e.raw).map((e) => ({ text: tokens(dec(e.raw).toString('latin1')), answer: dec(e.response).toString('latin1').split('\r\n')[0] }));
for (const r of pick(raws, (r) => `${r.text.split('\n')[0]} ${r.answer}`, 1)) emit('request', r.text);

// ---- json_spec: bodies of the nine JSON endpoints, by first byte (fuzz_json_spec.c) ----
const endpoints = [
  ['POST', /^\/api\/v1\/calls$/], ['PATCH', /^\/api\/v1\/calls\/[^/]+$/],
  ['PUT', /^\/api\/v1\/voice-calls\/[^/]+\/epa-results$/], ['POST', /^\/v1\/calls\/[^/]+\/recording-log$/],
  ['POST', /^\/v1\/consents$/], ['POST', /^\/v1\/capture-verbal$/], ['POST', /^\/v1\/revoke$/],
  ['POST', /^\/v1\/precall$/], ['POST', /^\/v1\/post-call$/],
];
endpoints.forEach(([method, re], i) => {
  const mine = fetched.filter((e) => e.method === method && re.test(shape(e.target)) && e.body);
  const varied = pick(mine, (e) => `${e.status} ${codeOf(e)} ${(json(dec(e.response)) || {}).field || ''}`, 1);
  for (const e of varied.slice(0, 12)) emit('json_spec', Buffer.concat([Buffer.from([i]), Buffer.from(tokens(dec(e.body).toString('latin1')), 'latin1')]));
});

// ---- canonical: JSON request bodies, sealed bundles, and the RFC 8785 examples ----
const bodies = fetched.filter((e) => e.body && json(dec(e.body)) !== undefined);
for (const e of pick(bodies, (e) => `${e.method} ${shape(e.target)} ${e.status}`, 1)) emit('canonical', tokens(dec(e.body).toString('latin1')));
const exports = fetched.filter((e) => e.status === 200 && /^\/(e\/\$BUNDLE\.json|v1\/evidence\/\$BUNDLE\/export)$/.test(shape(e.target)));
for (const e of exports.slice(0, 6)) emit('canonical', Buffer.from(json(dec(e.response)).bundle, 'utf8'));
for (const v of [
  '[56, {"d": true, "10": null, "1": [ ]}]',
  '{"1": {"f": {"f": "hi", "F": 5}, "\\n": 56.0}, "10": { }, "": "empty", "a": { }, "111": [{"e": "yes", "E": "no"}], "A": { }}',
  '{"\\ufb33":9,"\\ud83d\\ude02":8,"\\u20ac":7,"\\u00f6":6,"\\u0080":5,"</script>":4,"1":3,"\\r":2,"\\n":1}',
  '{"s":"\\u000f\\nA\'B\\"\\\\\\/\\u007f\\u2028A\\u030a\\b\\f\\r\\t"}',
  '{"a":-0,"b":9007199254740991,"c":-9007199254740991,"d":1e3}',
  '{"a":4.5}', '{"a":9007199254740992}', '{"a":1,"b":2,"a":3}',
]) emit('canonical', v);

// ---- verify: exports, saved pages, and exports with --pubkey / --checkpoint + --consistency ----
const uniqueExports = pick(exports, (e) => json(dec(e.response)).bundle_id, 1)
  .sort((a, b) => a.response.length - b.response.length);
for (const e of uniqueExports.slice(0, 6)) emit('verify', dec(e.response));
const pages = fetched.filter((e) => e.status === 200 && /^\/e\/\$BUNDLE$/.test(shape(e.target)));
for (const e of pages.slice(0, 2)) emit('verify', dec(e.response));
const NUL = Buffer.from([0]);
for (const run of runs) {
  const keys = run.filter((e) => e.target === '/v1/keys' && e.status === 200).map((e) => json(dec(e.response)));
  const cps = run.filter((e) => e.target === '/v1/log/checkpoint' && e.status === 200).map((e) => dec(e.response));
  const cons = run.filter((e) => e.target && e.target.startsWith('/v1/log/proof/consistency') && e.status === 200).map((e) => dec(e.response));
  const ex = run.filter((e) => exports.includes(e)).slice(0, 2);
  for (const e of ex) {
    const x = json(dec(e.response));
    const k = keys.find((k) => k.keys.some((kk) => kk.public_key === x.signature.public_key));
    if (k) emit('verify', Buffer.concat([dec(e.response), NUL, Buffer.from(k.keys[0].vkey)]));
    const size = Number(x.log.checkpoint.split('\n')[1]);
    for (const c of cons) {
      const cj = json(c);
      const newer = cps.find((n) => Number(n.toString().split('\n')[1]) === cj.second && n.toString().startsWith(x.log.origin + '\n'));
      if (cj.first === size && newer) {
        emit('verify', Buffer.concat([dec(e.response), NUL, NUL, newer, NUL, c]));
        break;
      }
    }
  }
}

// ---- note: signed notes, checkpoint texts, vkeys and key names (first byte: which) ----
const DASH = '\u2014';
const OWN = 'example.com/evidence-log-test';
const OWN_CP = `${OWN}\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n`;
const OWN_SIG = `${DASH} ${OWN} lJAZOeRMeYF0gA6vFR516uaWzoQbCi+r6O4wVRYK/iNYKia00wwwLJ4manF6AlnlBFRa0pJychVVEMUHGoVb+H9y2AU=\n`;
const WITNESS_SIG = `${DASH} witness.example.com/w1 lpmAzwAAAABlU/EAbCaDxM24gOUdsUOLIC32Ilp4N+/EP0c6R2TpK9NH1LMfevM8zxUWFcSGQH1P9mIyARAfTU2XDuVMz3EqOuUgDw==\n`;
const PETER = 'If you think cryptography is the answer to your problem,\nthen you don\'t know what your problem is.\n';
const PETER_SIG = `${DASH} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;
const note = (sel, s) => emit('note', Buffer.concat([Buffer.from([sel]), Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8')]));
note(0, `${OWN_CP}\n${OWN_SIG}`);
note(0, `${OWN_CP}\n${OWN_SIG}${WITNESS_SIG}`);
note(0, `${PETER}\n${PETER_SIG}`);
note(0, 'a\n\nb\n');
note(1, OWN_CP);
note(2, `${OWN}+94901939+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4`);
note(2, 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW');
note(2, 'witness.example.com/w1+969980cf+BCmsuuFBvMrwsi4alNNNC8c2HlJtC/4SyJeUvJMilm3X');
note(3, OWN);
note(3, 'PeterNeumann');
const checkpoints = pick(all.filter((e) => e.target === '/v1/log/checkpoint' && e.status === 200), (e) => dec(e.response).toString().split('\n')[1], 1);
for (const e of checkpoints.slice(0, 6)) {
  const text = dec(e.response).toString('utf8');
  note(0, text);
  note(1, text.slice(0, text.indexOf('\n\n') + 1));
}
for (const e of pick(all.filter((e) => e.target === '/v1/keys' && e.status === 200), () => 1, 2)) {
  const k = json(dec(e.response)).keys[0];
  note(2, k.vkey);
  note(3, k.note_key_name);
}

let total = 0;
let bytes = 0;
for (const [name, m] of Object.entries(out)) {
  const b = [...m.values()].reduce((s, x) => s + x.length, 0);
  console.log(`  ${name.padEnd(10)} ${String(m.size).padStart(4)} files ${String(b).padStart(8)} bytes`);
  total += m.size;
  bytes += b;
}
console.log(`  ${'total'.padEnd(10)} ${String(total).padStart(4)} files ${String(bytes).padStart(8)} bytes`);
