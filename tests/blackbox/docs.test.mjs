// Runs every curl example of docs/API.md, in document order, exactly as written, against a
// fresh server (CP and CP_TOKEN set in the environment, as the doc says): each must succeed
// (2xx) and answer JSON. A doc example that drifts from the server fails here.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { REPO, startServer, assertCleanExit, tempDir, rmTemp } from './lib.mjs';

const servers = [];
const dirs = [];
after(async () => {
  for (const s of servers) await s.kill();
  for (const d of dirs) rmTemp(d);
});

/** The ```sh blocks of a markdown file that start with curl. */
function curlBlocks(file) {
  const md = fs.readFileSync(path.join(REPO, file), 'utf8');
  const blocks = [];
  const re = /```sh\n([\s\S]*?)```/g;
  let m;
  while ((m = re.exec(md)) !== null) {
    const text = m[1].trim();
    if (text.startsWith('curl')) blocks.push(text);
  }
  return blocks;
}

test('every curl example in docs/API.md runs as written and succeeds', async () => {
  const blocks = curlBlocks('docs/API.md');
  assert.ok(blocks.length >= 10, `expected the API examples, found ${blocks.length}`);
  const dir = tempDir();
  dirs.push(dir);
  const srv = await startServer({ dataDir: dir });
  servers.push(srv);
  const out = path.join(dir, 'example-body');
  for (const [i, block] of blocks.entries()) {
    // Only the output handling changes: the request is the example's own.
    const cmd = block.replace(/^curl /, `curl -o '${out}' -w '%{http_code}' `);
    const code = execFileSync('bash', ['-c', cmd], {
      env: { ...process.env, CP: srv.base, CP_TOKEN: srv.token },
      cwd: REPO,
      encoding: 'utf8',
    });
    const body = fs.readFileSync(out, 'utf8');
    assert.match(code, /^2\d\d$/, `example ${i + 1} answered ${code}: ${body}\n${block}`);
    assert.doesNotThrow(() => JSON.parse(body), `example ${i + 1} did not answer JSON: ${body}`);
  }
  // The state the examples leave is what the doc says it is.
  const res = await fetch(`${srv.base}/api/v1/voice-calls/vc_abc123`, {
    headers: { Authorization: `Bearer ${srv.token}` },
  });
  const call = await res.json();
  assert.equal(call.state, 'Completed');
  assert.equal(call.durationSeconds, 312);
  assert.deepEqual(call.transcript.map((t) => t.timestamp), ['00:00:01', '00:00:04']);
  assert.equal(call.epaResults.calculatedScore, 85.5);
  await assertCleanExit(srv);
});
