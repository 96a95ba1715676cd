// testcontainers' DockerComposeEnvironment against berthd. testcontainers 11 runs compose through
// the `docker-compose` npm package, which spawns `docker compose ...` unless told otherwise; the
// Compose v2 plugin is absent here, so the environment is pointed at a compose that exists with
// `withClientOptions({ executable: ... })`: `berth compose` (the `berth` CLI as `docker`) and
// Debian's standalone docker-compose 1.29 (`standalone: true`); or, with no option at all, the
// docker CLI with scripts/docker-compose-plugin.sh as its compose plugin. Each brings up a two-service busybox
// project, wait for each service's log line, and tear it down.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BERTH, ROOT, useBusyboxDaemon } from '../support/daemon.js';
import { requiresRoot } from '../support/requires-root.js';

const skip = requiresRoot('real crun, overlayfs, cgroups');
const d = useBusyboxDaemon({ before: (fn) => test.before(fn), after: (fn) => test.after(fn) }, skip);
const COMPOSE_V1 = '/usr/bin/docker-compose';

// version "3.9" and no top-level `name:` so that docker-compose 1.29 reads the same file.
const COMPOSE_FILE = `version: "3.9"
services:
  web:
    image: busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; echo web-ready; while :; do sleep 0.1; done"]
  worker:
    image: busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; echo worker-ready; while :; do sleep 0.1; done"]
`;

type TC = typeof import('testcontainers');
let work = '';
async function testcontainers(): Promise<TC> {
  process.env.DOCKER_HOST = d.host;
  process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  if (!work) {
    work = await mkdtemp(join(tmpdir(), 'berth-tc-compose-'));
    await writeFile(join(work, 'docker-compose.yml'), COMPOSE_FILE);
  }
  return import('testcontainers');
}
test.after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

async function projectContainers(project: string): Promise<string[]> {
  const r = await d.berth(['ps', '-a', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.Names}}']);
  return r.stdout.split('\n').filter(Boolean).sort();
}

async function upWaitDown(
  executable: { executablePath: string } | { executablePath: string; standalone: true } | undefined,
  names: (p: string) => { web: string; worker: string },
): Promise<void> {
  const tc = await testcontainers();
  const project = `tc${Math.random().toString(36).slice(2, 8)}`;
  const n = names(project);
  const env = await new tc.DockerComposeEnvironment(work, 'docker-compose.yml')
    .withProjectName(project)
    .withClientOptions(executable ? { executable } : {})
    .withWaitStrategy(n.web, tc.Wait.forLogMessage('web-ready'))
    .withWaitStrategy(n.worker, tc.Wait.forLogMessage('worker-ready'))
    .withStartupTimeout(60_000)
    .up();
  try {
    const running = await projectContainers(project);
    assert.equal(running.length, 2, running.join(','));
    assert.ok(running.some((x) => x.endsWith(n.web)) && running.some((x) => x.endsWith(n.worker)), running.join(','));
    const web = env.getContainer(n.web);
    assert.equal((await web.exec(['echo', 'inside'])).stdout, 'inside\n');
    const logs = await env.getContainer(n.worker).logs();
    const seen = await new Promise<string>((resolve) => {
      let s = '';
      logs.on('data', (b: Buffer | string) => {
        s += b.toString();
        if (s.includes('worker-ready')) resolve(s);
      });
    });
    logs.destroy();
    assert.match(seen, /worker-ready/);
  } finally {
    await env.down({ timeout: 1000 });
  }
  assert.deepEqual(await projectContainers(project), [], 'down removes the project containers');
  const nets = await d.berth(['network', 'ls', '--filter', `label=com.docker.compose.project=${project}`, '-q']);
  assert.equal(nets.stdout.trim(), '', 'down removes the project network');
}

test('DockerComposeEnvironment through `berth compose` (executablePath: the berth CLI)', { skip, timeout: 180_000 }, async () => {
  // Compose v2 names containers <project>-<service>-<n>; testcontainers strips "<project>-".
  await upWaitDown({ executablePath: BERTH }, () => ({ web: 'web-1', worker: 'worker-1' }));
});

test('DockerComposeEnvironment through docker-compose 1.29 (standalone: true)', {
  skip: skip || (!existsSync(COMPOSE_V1) && 'no docker-compose'),
  timeout: 180_000,
}, async () => {
  // Compose v1 names containers <project>_<service>_<n>; testcontainers keeps the whole name.
  await upWaitDown({ standalone: true, executablePath: COMPOSE_V1 }, (p) => ({ web: `${p}_web_1`, worker: `${p}_worker_1` }));
});

test('DockerComposeEnvironment with its defaults (`docker compose`) once scripts/docker-compose-plugin.sh is the CLI plugin', {
  skip,
  timeout: 180_000,
}, async () => {
  await testcontainers();
  const config = join(work, 'docker-config');
  await mkdir(join(config, 'cli-plugins'), { recursive: true });
  await symlink(join(ROOT, 'scripts/docker-compose-plugin.sh'), join(config, 'cli-plugins/docker-compose'));
  const before = process.env.DOCKER_CONFIG;
  process.env.DOCKER_CONFIG = config; // testcontainers passes its environment to `docker compose`
  try {
    await upWaitDown(undefined, () => ({ web: 'web-1', worker: 'worker-1' }));
  } finally {
    if (before === undefined) delete process.env.DOCKER_CONFIG;
    else process.env.DOCKER_CONFIG = before;
  }
});
