// docker-py (Debian's python3-docker 5.0.3) against berthd: the Python SDK parses responses more
// strictly than the CLI in places (attach framing, archive stat headers, exec inspect).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestDaemon, run } from '../support/daemon.js';
import { requiresRoot } from '../support/requires-root.js';
import { DOCKER_PY_SCRIPT } from './docker-py-script.js';

// Debian's python3-docker lives under /usr/bin/python3; the first python3 on the PATH is another one.
const PYTHON = '/usr/bin/python3';
function dockerPyImportable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import docker'], { stdio: 'ignore' }).status === 0;
}
const skip =
  requiresRoot('real crun, overlayfs, cgroups') ||
  (!dockerPyImportable() ? `python3-docker is not importable from ${PYTHON} (apt-get install python3-docker)` : false);
let d: TestDaemon;
let work: string;

before(async () => {
  if (skip) return;
  d = await TestDaemon.create();
  work = await mkdtemp(join(tmpdir(), 'berth-compat-py-'));
  await d.start();
  await d.importBusybox();
});

after(async () => {
  if (d) await d.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

for (const version of ['1.41', 'auto']) {
  test(`docker-py ${version === 'auto' ? 'with version negotiation' : `at API ${version}`}: containers, exec, attach, archives, images`, { skip }, async () => {
    const script = join(work, `compat-${version}.py`);
    await writeFile(script, DOCKER_PY_SCRIPT);
    const tag = `${process.pid}${Math.random().toString(36).slice(2, 6)}`;
    const r = await run(PYTHON, [script], { env: { ...process.env, DOCKER_HOST: d.host, BERTH_TAG: tag, DOCKER_PY_VERSION: version }, timeoutMs: 90_000 });
    const last = r.stdout.trim().split('\n').pop() ?? '';
    let results: Array<{ name: string; ok: boolean; detail: string }>;
    try {
      results = JSON.parse(last) as typeof results;
    } catch {
      assert.fail(`the script did not finish (exit ${r.code})\nstdout: ${r.stdout}\nstderr: ${r.stderr}\ndaemon: ${d.logs.join('').slice(-2000)}`);
    }
    const failed = results.filter((x) => !x.ok);
    assert.deepEqual(
      failed.map((f) => `${f.name}:\n${f.detail}`),
      [],
      `${failed.length} of ${results.length} docker-py steps failed`,
    );
    assert.equal(results.length, 16, results.map((x) => x.name).join(', '));
  });
}
