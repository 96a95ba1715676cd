// The Dev Containers CLI (@devcontainers/cli, a devDependency) against berthd, twice over: through
// the real docker CLI (DOCKER_HOST=unix://<sock>, docker 28 without buildx, so the CLI falls back to
// the classic builder) and with `--docker-path bin/berth`, where Berth's CLI must answer every
// docker invocation the Dev Containers CLI makes (buildx version probe, -v, version --format,
// ps --filter, inspect --type, events --format, build, run, start, exec, rm -f).
//
// Every case uses busybox (the smallest local image that works: the CLI's scripts need only a
// POSIX sh, sed, grep, cut, id and cat; Debian's busybox-static has them, though not adduser, so
// the Dockerfile writes its user into /etc/passwd). Cases: an `image` config with containerEnv,
// mounts, appPort, forwardPorts, postCreateCommand and postStartCommand; a `build.dockerfile`
// config with a non-root remoteUser; and a local Feature, which the CLI installs by building an
// extended image from Dockerfiles it generates (a content image, then COPY --from it).
//
// The CLI's temporary folder (TMPDIR) holds a fresh control manifest, so it never reaches out to
// containers.dev; local Features need no registry. Traffic goes only to loopback.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile, chmod } from 'node:fs/promises';
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { request } from 'node:http';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { BERTH, ROOT, TestDaemon, run, type RunResult } from '../support/daemon.js';
import { requiresRoot } from '../support/requires-root.js';

const DEVCONTAINER = join(ROOT, 'node_modules/@devcontainers/cli/devcontainer.js');
function hasProgram(name: string): boolean {
  try {
    execFileSync(name, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const skip = requiresRoot('real crun, overlayfs, bridges') || (!existsSync(DEVCONTAINER) ? '@devcontainers/cli is not installed (npm ci)' : false) || false;
const skipDocker = skip || (!hasProgram('docker') ? 'the docker CLI is not on the PATH' : false);

const MIN = 60_000;
let d: TestDaemon | undefined;
let tmp = '';

before(async () => {
  if (skip) return;
  d = await TestDaemon.create();
  await d.start();
  await d.importBusybox();
  // The CLI reads this before resolving Features and fetches it from containers.dev when it is
  // missing or older than 5 minutes: a fresh empty one keeps the test offline.
  tmp = join(d.dir, 'tmp');
  const cache = join(tmp, `devcontainercli-${userInfo().username}`);
  await mkdir(cache, { recursive: true });
  await writeFile(join(cache, 'control-manifest.json'), JSON.stringify({ disallowedFeatures: [], featureAdvisories: [] }));
});
after(async () => {
  if (d) await d.stop();
});

const daemon = (): TestDaemon => {
  if (!d) throw new Error('the test daemon is not started');
  return d;
};

type Client = 'docker' | 'berth';

/** Runs `devcontainer <args>` against the test daemon, through the docker CLI or Berth's. */
function devcontainer(client: Client, args: string[], timeoutMs = 4 * MIN): Promise<RunResult> {
  const dm = daemon();
  const env = { ...process.env, DOCKER_HOST: dm.host, DOCKER_CONFIG: join(dm.dir, 'docker-config'), TMPDIR: tmp };
  const via = client === 'berth' ? ['--docker-path', BERTH] : [];
  const [verb, ...rest] = args;
  return run(process.execPath, [DEVCONTAINER, verb!, ...via, ...rest], { env, timeoutMs });
}

const ok = (r: RunResult, what: string): RunResult => {
  // The end of stderr first (where a failing docker-compose says why): CI shows a failure's first lines.
  const end = r.stderr.trimEnd().split('\n').slice(-12).join('\n');
  const daemonEnd = d?.logs.join('').trimEnd().split('\n').slice(-8).join('\n') ?? '';
  assert.equal(
    r.code,
    0,
    `${what}: exit ${r.code}\nstderr ends: ${end}\ndaemon log ends: ${daemonEnd}\nstdout: ${r.stdout.slice(-3000)}\nstderr: ${r.stderr.slice(-5000)}`,
  );
  return r;
};

/** `devcontainer up`: its last stdout line is the JSON outcome. */
async function up(
  client: Client,
  workspace: string,
  extra: string[] = [],
): Promise<{ containerId: string; remoteUser: string; remoteWorkspaceFolder: string }> {
  const r = ok(await devcontainer(client, ['up', '--workspace-folder', workspace, ...extra]), `devcontainer up (${client})`);
  const outcome = JSON.parse(r.stdout.trim().split('\n').pop()!) as { outcome: string; containerId: string; remoteUser: string; remoteWorkspaceFolder: string };
  assert.equal(outcome.outcome, 'success', r.stdout);
  return outcome;
}

/** `devcontainer exec` of a shell script as the remote user; its stdout. */
async function exec(client: Client, workspace: string, script: string): Promise<string> {
  return ok(await devcontainer(client, ['exec', '--workspace-folder', workspace, 'sh', '-c', script], 2 * MIN), `devcontainer exec ${script}`).stdout;
}

/** Writes a workspace folder with the given files (paths relative to it). */
async function workspace(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(daemon().dir, 'ws', name);
  for (const [p, body] of Object.entries(files)) {
    await mkdir(join(dir, p, '..'), { recursive: true });
    await writeFile(join(dir, p), body);
  }
  return dir;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function httpGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** Retries a GET until the server in the container answers (postStartCommand runs it in the background). */
async function httpGetEventually(port: number, path: string): Promise<string> {
  let last: unknown;
  for (let i = 0; i < 50; i++) {
    try {
      return await httpGet(port, path);
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw last;
}

for (const client of ['docker', 'berth'] as const) {
  const skipThis = client === 'docker' ? skipDocker : skip;
  const via = client === 'docker' ? 'the docker CLI (DOCKER_HOST)' : '--docker-path bin/berth';

  test(`image: up and exec, containerEnv, mounts, appPort, forwardPorts, postCreate/postStart, up again reuses (${via})`, {
    skip: skipThis,
    timeout: 10 * MIN,
  }, async () => {
    const port = await freePort();
    const ws = await workspace(`image-${client}`, {
      'index.html': 'served from the workspace\n',
      '.devcontainer/devcontainer.json': JSON.stringify({
        image: 'busybox:latest',
        containerEnv: { GREETING: 'hello from containerEnv' },
        mounts: [`type=volume,source=devc-${client}-data,target=/data`],
        appPort: [`127.0.0.1:${port}:8000`],
        forwardPorts: [8000],
        postCreateCommand: 'echo created >> /data/log',
        postStartCommand: 'echo started >> /data/log; httpd -p 8000 -h "$PWD"',
      }),
    });
    const first = await up(client, ws);
    assert.equal(first.remoteUser, 'root');
    assert.equal(first.remoteWorkspaceFolder, `/workspaces/image-${client}`);

    const out = await exec(client, ws, 'echo "$GREETING"; pwd; cat /data/log; cat index.html');
    assert.equal(out, `hello from containerEnv\n/workspaces/image-${client}\ncreated\nstarted\nserved from the workspace\n`);
    // appPort is published (`run -p`); the server postStartCommand started answers on it.
    assert.equal(await httpGetEventually(port, '/index.html'), 'served from the workspace\n');

    const dm = daemon();
    const inspect = ok(await dm.berth(['inspect', '-f', '{{json .Config.Labels}}', first.containerId]), 'inspect labels');
    const labels = JSON.parse(inspect.stdout) as Record<string, string>;
    assert.equal(labels['devcontainer.local_folder'], ws);
    // forwardPorts is only recorded (in the metadata label, for an editor to forward): the CLI
    // publishes nothing for it, as with Docker; only appPort appears in `port`.
    assert.deepEqual(
      (JSON.parse(labels['devcontainer.metadata']!) as Array<{ forwardPorts?: number[] }>).flatMap((m) => m.forwardPorts ?? []),
      [8000],
    );
    assert.equal(ok(await dm.berth(['port', first.containerId]), 'port').stdout, `8000/tcp -> 127.0.0.1:${port}\n`);
    const volume = ok(await dm.berth(['volume', 'inspect', '-f', '{{.Name}}', `devc-${client}-data`]), 'volume inspect');
    assert.equal(volume.stdout, `devc-${client}-data\n`);

    // A second up finds the running container by its labels and changes nothing.
    assert.equal((await up(client, ws)).containerId, first.containerId);
    // Stopped, it is started again (docker start): postStartCommand runs again, postCreateCommand does not.
    ok(await dm.berth(['stop', '-t', '1', first.containerId]), 'stop');
    assert.equal((await up(client, ws)).containerId, first.containerId);
    assert.equal(await exec(client, ws, 'cat /data/log'), 'created\nstarted\nstarted\n');
    // --remove-existing-container replaces it (rm -f, then run); the named volume outlives it.
    const replaced = await up(client, ws, ['--remove-existing-container']);
    assert.notEqual(replaced.containerId, first.containerId);
    assert.equal(await exec(client, ws, 'cat /data/log'), 'created\nstarted\nstarted\ncreated\nstarted\n');
    ok(await dm.berth(['rm', '-f', replaced.containerId]), 'rm');
  });

  test(`build.dockerfile: a non-root remoteUser made in the Dockerfile (${via})`, { skip: skipThis, timeout: 10 * MIN }, async () => {
    const ws = await workspace(`dockerfile-${client}`, {
      '.devcontainer/Dockerfile': [
        'FROM busybox:latest',
        // busybox-static has no adduser: the user is written the way adduser would.
        "RUN echo 'dev:x:1000:1000:dev:/home/dev:/bin/sh' >> /etc/passwd && echo 'dev:x:1000:' >> /etc/group && mkdir -p /home/dev && chown 1000:1000 /home/dev",
        'ENV FROM_IMAGE=yes',
        '',
      ].join('\n'),
      '.devcontainer/devcontainer.json': JSON.stringify({
        build: { dockerfile: 'Dockerfile' },
        remoteUser: 'dev',
        containerEnv: { FROM_CONFIG: 'yes' },
        postCreateCommand: 'id -un > "$HOME/created-by"',
      }),
    });
    const r = await up(client, ws);
    assert.equal(r.remoteUser, 'dev');
    // HOME is the remote user's (an exec as another user than the container's gets that user's HOME).
    const out = await exec(client, ws, 'id -un; echo "$HOME"; cat "$HOME/created-by"; echo "$FROM_IMAGE $FROM_CONFIG"; stat -c %U "$HOME/created-by"');
    assert.equal(out, 'dev\n/home/dev\ndev\nyes yes\ndev\n');
    // The image the CLI built carries the config in its metadata label, as with Docker.
    const image = ok(await daemon().berth(['inspect', '-f', '{{.Config.Image}}', r.containerId]), 'inspect image').stdout.trim();
    const meta = ok(await daemon().berth(['image', 'inspect', '-f', '{{index .Config.Labels "devcontainer.metadata"}}', image]), 'image inspect');
    assert.match(meta.stdout, /"remoteUser":"dev"/);
    ok(await daemon().berth(['rm', '-f', r.containerId]), 'rm');
  });

  test(`a local Feature: the extended image the CLI generates builds with the classic builder (${via})`, { skip: skipThis, timeout: 10 * MIN }, async () => {
    const ws = await workspace(`feature-${client}`, {
      '.devcontainer/features/x/devcontainer-feature.json': JSON.stringify({
        id: 'x',
        version: '1.0.0',
        name: 'X',
        options: { greeting: { type: 'string', default: 'hello' } },
        containerEnv: { X_FEATURE: 'on' },
      }),
      '.devcontainer/features/x/install.sh': [
        '#!/bin/sh',
        'set -e',
        'mkdir -p /usr/local/bin',
        `printf '#!/bin/sh\\necho "%s from x (installed as %s)"\\n' "$GREETING" "$(id -un)" > /usr/local/bin/x-hello`,
        'chmod +x /usr/local/bin/x-hello',
        '',
      ].join('\n'),
      '.devcontainer/devcontainer.json': JSON.stringify({ image: 'busybox:latest', features: { './features/x': { greeting: 'hi' } } }),
    });
    await chmod(join(ws, '.devcontainer/features/x/install.sh'), 0o755);
    const r = await up(client, ws);
    assert.equal(await exec(client, ws, 'x-hello; echo "$X_FEATURE"'), 'hi from x (installed as root)\non\n');
    const image = ok(await daemon().berth(['inspect', '-f', '{{.Config.Image}}', r.containerId]), 'inspect image').stdout.trim();
    assert.match(image, /^vsc-feature-.*-features$/);
    ok(await daemon().berth(['rm', '-f', r.containerId]), 'rm');
  });

  // Compose: the CLI runs `<docker-path> compose` when that answers `compose version`, else
  // docker-compose. So through the docker CLI (no compose plugin) it is Debian's docker-compose
  // 1.29; through bin/berth it is `berth compose`. Its override file has quoted scalars whose
  // continuation lines start at column 0 (yaml.v3 reads them; Berth's loader does too).
  const skipCompose = skipThis || (client === 'docker' && !hasProgram('docker-compose') ? 'docker-compose is not on the PATH' : false);
  test(`dockerComposeFile: the service container and a second service reached by name (${via})`, { skip: skipCompose, timeout: 10 * MIN }, async () => {
    const ws = await workspace(`compose-${client}`, {
      'hello.txt': 'from the workspace\n',
      '.devcontainer/docker-compose.yml': [
        'services:',
        '  app:',
        '    image: busybox:latest',
        '    volumes:',
        '      - ..:/workspace:cached',
        '  db:',
        '    image: busybox:latest',
        "    command: sh -c 'echo answer from db > /www/index.html; httpd -f -p 80 -h /www'",
        '    tmpfs: /www',
        '',
      ].join('\n'),
      '.devcontainer/devcontainer.json': JSON.stringify({
        dockerComposeFile: 'docker-compose.yml',
        service: 'app',
        runServices: ['app', 'db'],
        workspaceFolder: '/workspace',
        containerEnv: { IN_COMPOSE: 'yes' },
        postCreateCommand: 'for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO /tmp/db http://db/index.html && break; sleep 1; done',
      }),
    });
    const r = await up(client, ws);
    assert.equal(r.remoteWorkspaceFolder, '/workspace');
    assert.equal(await exec(client, ws, 'pwd; cat hello.txt; cat /tmp/db; echo "$IN_COMPOSE"'), '/workspace\nfrom the workspace\nanswer from db\nyes\n');
    const project = ok(
      await daemon().berth(['inspect', '-f', '{{index .Config.Labels "com.docker.compose.project"}}', r.containerId]),
      'inspect',
    ).stdout.trim();
    assert.equal(project, `compose-${client}_devcontainer`);
    ok(await daemon().berth(['compose', '-p', project, '-f', join(ws, '.devcontainer/docker-compose.yml'), 'down', '-t', '1']), 'compose down');
  });
}

test('docker exec -u USER gets that user’s HOME unless the container or the exec sets one', { skip: skipDocker, timeout: 2 * MIN }, async () => {
  const dm = daemon();
  const name = `home-${process.pid}`;
  ok(await dm.docker(['run', '-d', '--name', name, 'busybox', 'sh', '-c', 'trap "exit 0" TERM; while sleep 1; do :; done']), 'run');
  const home = async (args: string[]) => ok(await dm.docker(['exec', ...args, name, 'sh', '-c', 'echo $HOME']), `exec ${args.join(' ')}`).stdout;
  assert.equal(await home([]), '/root\n');
  assert.equal(await home(['-u', 'www-data']), '/var/www\n');
  assert.equal(await home(['-u', '4321']), '/\n'); // no passwd entry
  assert.equal(await home(['-u', 'www-data', '-e', 'HOME=/x']), '/x\n');
  ok(await dm.docker(['rm', '-f', name]), 'rm');
  const set = `${name}-set`;
  ok(await dm.docker(['run', '-d', '--name', set, '-e', 'HOME=/c', 'busybox', 'sh', '-c', 'trap "exit 0" TERM; while sleep 1; do :; done']), 'run -e HOME');
  assert.equal(ok(await dm.docker(['exec', '-u', 'www-data', set, 'sh', '-c', 'echo $HOME']), 'exec').stdout, '/c\n');
  ok(await dm.docker(['rm', '-f', set]), 'rm');
});

// The Dev Containers CLI starts `events --filter event=start` and `run` at the same moment and
// waits for the start event; a `berth events` that subscribed only after the start (Node starts
// slower than docker's Go binary, more so on a busy machine) made `up` wait forever. Here its
// start is held (a preloaded module waits for a file) until the container has started and exited.
test('berth events streams from when it was run, not from when it reached the daemon', { skip, timeout: 2 * MIN }, async () => {
  const dm = daemon();
  const gate = join(dm.dir, 'events-gate');
  const hold = join(dm.dir, 'hold-until-gate.cjs');
  await writeFile(
    hold,
    `const fs = require('node:fs'); const a = new Int32Array(new SharedArrayBuffer(4));\nwhile (!fs.existsSync(${JSON.stringify(gate)})) Atomics.wait(a, 0, 0, 20);\n`,
  );
  const name = `ev-launch-${process.pid}`;
  const child = spawn(process.execPath, ['--require', hold, BERTH, 'events', '--filter', `container=${name}`, '--format', '{{.Action}}'], {
    env: { ...process.env, DOCKER_HOST: dm.host },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  try {
    ok(await dm.berth(['run', '--name', name, 'busybox', 'true']), 'run');
    await writeFile(gate, '');
    for (let i = 0; i < 150 && !out.includes('die'); i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(out.trim().split('\n'), ['create', 'attach', 'start', 'die']);
  } finally {
    child.kill();
    await dm.berth(['rm', '-f', name]);
  }
});
