// The two CLI bundles: compose runs from the full one, every other command from the lean one
// (without compose and the YAML parser), and a compose command that reaches the lean bundle
// is relayed to the full one. Runs the built bundles (npm run build).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);
const ROOT = new URL('../../../../', import.meta.url).pathname; // dist/src/cli/commands -> repo root
const bundle = (name: string) => join(ROOT, 'dist/bundle', name);

test('the lean bundle leaves compose out; bin/berth runs compose from the full one', { timeout: 60_000 }, async () => {
  const [lean, full] = await Promise.all([readFile(bundle('berth.cjs'), 'utf8'), readFile(bundle('berth-full.cjs'), 'utf8')]);
  assert.ok(full.includes('Berth Compose version') && !lean.includes('Berth Compose version'));
  assert.ok(lean.length < full.length * 0.7, `lean ${lean.length} bytes, full ${full.length}`);
  const viaBin = await execFileP(process.execPath, [join(ROOT, 'bin/berth'), 'compose', 'version']);
  assert.match(viaBin.stdout, /^Berth Compose version v\d/);
  assert.match((await execFileP(process.execPath, [join(ROOT, 'bin/berth'), '--version'])).stdout, /^Berth version /);
});

test('a compose command that reaches the lean bundle is relayed to the full one, exit code and all', { timeout: 60_000 }, async () => {
  const env = { ...process.env, BERTH_CLI_MAIN: '1' };
  const ok = await execFileP(process.execPath, [bundle('berth.cjs'), 'compose', 'version'], { env });
  assert.match(ok.stdout, /^Berth Compose version v\d/);
  const bad = await execFileP(process.execPath, [bundle('berth.cjs'), 'compose', '-f', '/nonexistent/compose.yaml', 'config'], { env }).then(
    () => assert.fail('config of a missing file succeeded'),
    (e: { code: number; stderr: string }) => e,
  );
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /nonexistent/);
});
