// docker-py (Debian's python3-docker 5.0.3) high-level scenarios against berthd, at API 1.41 and
// with version negotiation: image builds with every option docker-py sends, images, followed
// logs, containers, networks, volumes, events, df and a raw attach socket. Each Python step is
// its own subtest, so one failure names itself and does not hide the others.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestDaemon } from '../support/daemon.js';
import { requiresRoot } from '../support/requires-root.js';
import { DOCKER_PY_HIGHLEVEL_SCRIPT } from './docker-py-highlevel-script.js';
import { dockerPyMissing, runDockerPy } from './docker-py-runner.js';

const skip = requiresRoot('real crun, overlayfs, cgroups') || dockerPyMissing();

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
    const results = await runDockerPy(d, join(work, `highlevel-${version}.py`), DOCKER_PY_HIGHLEVEL_SCRIPT, version, 180_000);
    assert.deepEqual(
      results.map((x) => x.name),
      STEPS,
    );
    for (const x of results) await t.test(x.name, () => assert.ok(x.ok, x.detail));
  });
}
