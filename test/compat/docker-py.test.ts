// docker-py (Debian's python3-docker 5.0.3) against berthd: the Python SDK parses responses more
// strictly than the CLI in places (attach framing, archive stat headers, exec inspect).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestDaemon } from '../support/daemon.js';
import { requiresRoot } from '../support/requires-root.js';
import { DOCKER_PY_SCRIPT } from './docker-py-script.js';
import { dockerPyMissing, runDockerPy } from './docker-py-runner.js';

const skip = requiresRoot('real crun, overlayfs, cgroups') || dockerPyMissing();
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
    const results = await runDockerPy(d, join(work, `compat-${version}.py`), DOCKER_PY_SCRIPT, version, 90_000);
    const failed = results.filter((x) => !x.ok);
    assert.deepEqual(
      failed.map((f) => `${f.name}:\n${f.detail}`),
      [],
      `${failed.length} of ${results.length} docker-py steps failed`,
    );
    assert.equal(results.length, 16, results.map((x) => x.name).join(', '));
  });
}
