#!/usr/bin/env node
// Long-form "kill -9 under load": `node tests/crash/crashtest.mjs [CYCLES] [--seed N]
// [--concurrency N] [--cli-verify all|N] [--replay all|N]`. Runs the logic of
// tests/blackbox/crash.test.mjs (tests/blackbox/crash_lib.mjs) for CYCLES kill/restart cycles
// (default 20) against CALLPROOF_BIN (default build/callproof), verifying every new export with
// `callproof verify` and replaying every acknowledged request by default, and prints a summary.
// Exit 0 when every check held; 1 with the violations (and the kept data directory) otherwise.
import { runCrashCycles } from '../blackbox/crash_lib.mjs';
import { BIN } from '../blackbox/lib.mjs';

const args = process.argv.slice(2);
const opts = { cycles: 20, cliVerify: 'all', replayAcked: 'all', log: (l) => console.log(l) };
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const val = () => {
    if (i + 1 >= args.length) usage(`${a} needs a value`);
    return args[++i];
  };
  const num = (v) => (v === 'all' ? 'all' : Number(v));
  if (/^\d+$/.test(a)) opts.cycles = Number(a);
  else if (a === '--seed') opts.seed = Number(val());
  else if (a === '--concurrency') opts.concurrency = Number(val());
  else if (a === '--cli-verify') opts.cliVerify = num(val());
  else if (a === '--replay') opts.replayAcked = num(val());
  else usage(`unknown argument ${a}`);
}
function usage(msg) {
  console.error(`${msg}\nusage: node tests/crash/crashtest.mjs [CYCLES] [--seed N] [--concurrency N] [--cli-verify all|N] [--replay all|N]`);
  process.exit(2);
}
if (!(opts.cycles >= 1)) usage('CYCLES must be at least 1');

console.log(`crashtest: ${opts.cycles} cycles against ${BIN}`);
try {
  const s = await runCrashCycles(opts);
  const k = s.inflightAtKill;
  console.log([
    '',
    `summary (seed ${s.seed}, CRASH_SEED=${s.seed} or --seed ${s.seed} to repeat the kill delays):`,
    `  cycles (kill -9 + restart):        ${s.cycles}`,
    `  write requests:                    ${s.requests} (4 calls before the first kill, the rest under load)`,
    `  acknowledged writes:               ${s.acked} (calls ${s.ackedByKind.call}, recording logs ${s.ackedByKind.rec}, post-calls ${s.ackedByKind.pc})`,
    `  acknowledged-write checks:         ${s.ackChecks} (every acknowledged write, after every restart)`,
    `  unacknowledged, retried:           ${s.retries} (${s.unackedCommitted} had committed and replayed; ${s.retries - s.unackedCommitted} took effect on retry)`,
    `  byte-for-byte replay checks:       ${s.replayChecks}`,
    `  5xx answers under load:            ${s.serverErrors}`,
    `  in flight at the kills:            min ${Math.min(...k)}, max ${Math.max(...k)}, total ${k.reduce((a, b) => a + b, 0)}`,
    `  exports verified:                  ${s.jsVerified} in JS, ${s.cliVerified} callproof verify runs`,
    `  consistency proofs checked:        ${s.consistencyChecks}`,
    `  integrity checks (all ok):         ${s.integrityChecks}`,
    `  final log size:                    ${s.logSize}`,
    `  time:                              ${(s.ms / 1000).toFixed(1)} s`,
    'result: PASS (no acknowledged write lost, no duplicate effect, integrity and verify ok)',
  ].join('\n'));
} catch (e) {
  console.error(`\nresult: FAIL\n${e.stack || e}`);
  process.exit(1);
}
