// docker-py (Debian's python3-docker 5.0.3) high-level scenarios against berthd, at API 1.41 and
// with version negotiation: image builds with every option docker-py sends, images, followed
// logs, containers, networks, volumes, events, df and a raw attach socket. Each Python step is
// its own subtest, so one failure names itself and does not hide the others.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestDaemon, run } from '../support/daemon.js';
import { requiresRoot } from '../support/requires-root.js';
import { DOCKER_PY_HIGHLEVEL_SCRIPT } from './docker-py-highlevel-script.js';

const PYTHON = '/usr/bin/python3'; // Debian's: python3-docker is importable there, not from the first python3 on the PATH
const importable = spawnSync(PYTHON, ['-c', 'import docker'], { stdio: 'ignore' }).status === 0;
const skip =
  requiresRoot('real crun, overlayfs, cgroups') || (!importable ? `python3-docker is not importable from ${PYTHON} (apt-get install python3-docker)` : false);

/** The steps the script reports, in order. */
const STEPS = [
  'images.build: buildargs, target, labels, rm, forcerm, nocache, pull=False, a custom dockerfile path',
  'images.build: a failing RUN raises BuildError with the log',
  'images.build: fileobj (a Dockerfile alone) and custom_context (a tar)',
  'images.get, list, tag, history, remove',
  'containers.run(detach=True) and logs(stream=True, follow=True): one item per line',
  'containers.create, get, list(filters)',
  'networks.create, connect, disconnect, remove',
  'volumes.create, get, list, remove',
  'events(decode=True) between since and until',
  'df()',
  'api.attach_socket: stdin in, stdout out (multiplexed)',
];

let d: TestDaemon;
let work: string;

before(async () => {
  if (skip) return;
  d = await TestDaemon.create();
  work = await mkdtemp(join(tmpdir(), 'berth-compat-pyhl-'));
  await d.start();
  await d.importBusybox();
});

after(async () => {
  if (d) await d.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

for (const version of ['1.41', 'auto']) {
  test(`docker-py high-level API ${version === 'auto' ? 'with version negotiation' : `at API ${version}`}`, { skip }, async (t) => {
    const script = join(work, `highlevel-${version}.py`);
    await writeFile(script, DOCKER_PY_HIGHLEVEL_SCRIPT);
    const tag = `${process.pid}${Math.random().toString(36).slice(2, 6)}`;
    const r = await run(PYTHON, [script], { env: { ...process.env, DOCKER_HOST: d.host, BERTH_TAG: tag, DOCKER_PY_VERSION: version }, timeoutMs: 180_000 });
    let results: Array<{ name: string; ok: boolean; detail: string }>;
    try {
      results = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as typeof results;
    } catch {
      assert.fail(`the script did not finish (exit ${r.code})\nstdout: ${r.stdout}\nstderr: ${r.stderr}\ndaemon: ${d.logs.join('').slice(-2000)}`);
    }
    assert.deepEqual(
      results.map((x) => x.name),
      STEPS,
    );
    for (const x of results) await t.test(x.name, () => assert.ok(x.ok, x.detail));
  });
}
