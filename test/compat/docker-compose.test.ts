// Debian's docker-compose 1.29.2 (Python, over docker-py) against berthd, unchanged, on real
// compose files. Compose leans on parts of the API the CLI barely touches: it creates each
// container on the project network with aliases, then disconnects and reconnects it before start;
// it reads State.Health to order dependencies, filters events by its labels, and reads the image's
// ContainerConfig when it recreates. Everything goes through the Engine API: `run`/`exec` use
// docker-py rather than shelling out to a docker CLI (COMPOSE_INTERACTIVE_NO_CLI), and builds use
// POST /build (COMPOSE_DOCKER_CLI_BUILD=0).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, readFile, writeFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, useBusyboxDaemon, type RunResult } from '../support/daemon.js';
import { requiresRoot } from '../support/requires-root.js';

function hasCompose(): boolean {
  return spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;
}
const hasDockerCli = spawnSync('docker', ['--version'], { stdio: 'ignore' }).status === 0;
const skip = requiresRoot('real crun, overlayfs, cgroups') || (!hasCompose() ? 'docker-compose is not installed (apt-get install docker-compose)' : false);
const d = useBusyboxDaemon({ before, after }, skip);
const tag = `${process.pid}${Math.random().toString(36).slice(2, 6)}`;
let work: string;

before(async () => {
  if (!skip) work = await mkdtemp(join(tmpdir(), 'berth-compat-compose-'));
});
after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

type Obj = Record<string, any>;

/** GET on the test daemon's socket, parsed: checks go to the API, not through another client. */
function api(path: string): Promise<Obj> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: d.socket, path, method: 'GET', timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        if (res.statusCode !== 200) reject(new Error(`GET ${path}: ${res.statusCode} ${text}`));
        else resolve(JSON.parse(text) as Obj);
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** GET http://127.0.0.1:port/ from the host, bounded. */
function httpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', timeout: 5_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString()));
    });
    req.on('timeout', () => req.destroy(new Error(`GET 127.0.0.1:${port} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

interface Project {
  name: string;
  dir: string;
  env: NodeJS.ProcessEnv;
  compose(args: string[], opts?: { env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<RunResult>;
  ok(args: string[], opts?: { env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<RunResult>;
  containers(service?: string): Promise<Obj[]>;
}

/** A project directory with the given files; every compose call names the project with -p. */
async function project(base: string, files: Record<string, string>): Promise<Project> {
  const name = `${base}${tag}`;
  const dir = join(work, name);
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(join(dir, rel, '..'), { recursive: true });
    await writeFile(join(dir, rel), text);
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DOCKER_HOST: d.host,
    DOCKER_CONFIG: join(work, 'docker-config'),
    COMPOSE_INTERACTIVE_NO_CLI: '1',
    COMPOSE_DOCKER_CLI_BUILD: '0',
    PYTHONUNBUFFERED: '1',
  };
  delete env.COMPOSE_PROJECT_NAME;
  delete env.COMPOSE_FILE;
  const compose = (args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}) =>
    run('docker-compose', ['-p', name, '--project-directory', dir, '-f', join(dir, 'docker-compose.yml'), ...args], {
      env: { ...env, ...opts.env },
      timeoutMs: opts.timeoutMs ?? 60_000,
    });
  return {
    name,
    dir,
    env,
    compose,
    async ok(args, opts) {
      const r = await compose(args, opts);
      assert.equal(
        r.code,
        0,
        // stderr and the daemon's log first: CI shows only a failure's first lines.
        `docker-compose ${args.join(' ')} exited ${r.code}\nstderr: ${r.stderr.slice(-3000)}\ndaemon: ${d.logs.join('').slice(-1500)}\nstdout: ${r.stdout}`,
      );
      return r;
    },
    async containers(service) {
      const labels = [`com.docker.compose.project=${name}`, ...(service ? [`com.docker.compose.service=${service}`] : [])];
      return (await api(`/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ label: labels }))}`)) as unknown as Obj[];
    },
  };
}

const inspect = (id: string) => api(`/containers/${id}/json`);

async function onlyContainer(p: Project, service: string): Promise<Obj> {
  const list = await p.containers(service);
  assert.equal(list.length, 1, `one ${service} container: ${JSON.stringify(list.map((c) => c.Names))}`);
  return inspect(list[0]!.Id as string);
}

async function publishedPort(p: Project, service: string, port: number): Promise<number> {
  const r = await p.ok(['port', service, String(port)]);
  const m = /^127\.0\.0\.1:(\d+)\s*$/.exec(r.stdout);
  assert.ok(m, `port ${service} ${port}: ${r.stdout}`);
  return Number(m[1]);
}

/** `down -v` even when the test failed, so a project never outlives its test. */
function cleanUp(t: { after(fn: () => Promise<void>): void }, p: Project, extra: string[] = []): void {
  t.after(async () => {
    await p.compose(['down', '-v', '-t', '1', ...extra]).catch(() => {});
  });
}

const WEB_APP = `version: "3.9"
services:
  db:
    image: busybox
    init: true
    command: sh -c 'echo db-started; sleep 2; touch /tmp/ready; echo db-ready; exec sleep 3600'
    ipc: shareable
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 1s
      timeout: 2s
      retries: 30
  web:
    image: busybox
    init: true
    command: sh -c 'mkdir -p /www && echo "hello $$GREETING" > /www/index.html && echo web-serving && exec httpd -f -p 80 -h /www'
    environment:
      GREETING: \${GREETING:-one}
    ports:
      - "127.0.0.1::80"
    expose:
      - "9000"
    sysctls:
      net.core.somaxconn: "1024"
    devices:
      - "/dev/null:/dev/mynull"
    links:
      - "db:database"
    ipc: "service:db"
    depends_on:
      db:
        condition: service_healthy
`;

test('docker-compose up -d: healthy dependency, service DNS, published port, logs, exec, run, recreate, lifecycle, events, down -v', { skip }, async (t) => {
  const p = await project('cweb', { 'docker-compose.yml': WEB_APP });
  cleanUp(t, p);

  // up -d: the network is made, db is created, and web only once db reports healthy.
  const up = await p.ok(['up', '-d']);
  assert.match(up.stderr, new RegExp(`Creating network "${p.name}_default"`));
  const db = await onlyContainer(p, 'db');
  const web = await onlyContainer(p, 'web');
  assert.equal(db.State.Health.Status, 'healthy', JSON.stringify(db.State.Health));
  // db touches its ready file 2 s after it starts: a web created sooner did not wait.
  assert.ok(Date.parse(web.Created) >= Date.parse(db.State.StartedAt) + 1500, `web created ${web.Created}, db started ${db.State.StartedAt}`);
  assert.equal(web.State.Running, true);
  // Created on the project network, with compose's aliases: the service name and the short id.
  assert.equal(web.HostConfig.NetworkMode, `${p.name}_default`);
  const webNet = web.NetworkSettings.Networks[`${p.name}_default`];
  assert.ok(webNet?.IPAddress, JSON.stringify(web.NetworkSettings.Networks));
  assert.deepEqual([...webNet.Aliases].sort(), ['web', web.Id.slice(0, 12)].sort());

  const ps = await p.ok(['ps']);
  assert.match(ps.stdout, new RegExp(`${p.name}_db_1 .*Up \\(healthy\\)`));
  // Exposed-only ports are listed too, as dockerd lists them.
  assert.match(ps.stdout, new RegExp(`${p.name}_web_1 .*Up .*127\\.0\\.0\\.1:\\d+->80/tcp, 9000/tcp`));

  // The published port answers on loopback; the service name and the short-id alias resolve
  // through the project network's DNS, from another service.
  assert.equal(await httpGet(await publishedPort(p, 'web', 80)), 'hello one\n');
  const byName = await p.ok(['exec', '-T', 'db', 'sh', '-c', 'timeout 5 wget -qO- http://web/']);
  assert.equal(byName.stdout, 'hello one\n');
  const byId = await p.ok(['exec', '-T', 'db', 'sh', '-c', `timeout 5 wget -qO- http://${web.Id.slice(0, 12)}/`]);
  assert.equal(byId.stdout, 'hello one\n');
  // A link on the project network is an alias only its owner resolves (libnetwork's link aliases).
  assert.deepEqual([...webNet.Links].sort(), [`${p.name}_db_1:database`, `${p.name}_db_1:db_1`, `${p.name}_db_1:${p.name}_db_1`].sort());
  const dbIp = db.NetworkSettings.Networks[`${p.name}_default`].IPAddress as string;
  assert.match((await p.ok(['exec', '-T', 'web', 'nslookup', 'database'])).stdout, new RegExp(`Address: ${dbIp.replace(/\./g, '\\.')}\n`));
  // A net.* sysctl applies in the container's own network namespace.
  assert.equal((await p.ok(['exec', '-T', 'web', 'cat', '/proc/sys/net/core/somaxconn'])).stdout, '1024\n');
  // ipc: service:db joins db's IPC namespace.
  const ipcNs = async (service: string) => (await p.ok(['exec', '-T', service, 'readlink', '/proc/self/ns/ipc'])).stdout;
  assert.equal(await ipcNs('web'), await ipcNs('db'));
  // HostConfig.Devices: the host's node appears at the container path.
  assert.equal((await p.ok(['exec', '-T', 'web', 'sh', '-c', 'test -c /dev/mynull && echo x > /dev/mynull && echo ok'])).stdout, 'ok\n');
  // exec --privileged: every capability the host has.
  const hostBnd = /^CapBnd:\s*(\S+)$/m.exec(await readFile('/proc/self/status', 'utf8'))![1];
  assert.equal((await p.ok(['exec', '-T', '--privileged', 'db', 'grep', 'CapEff', '/proc/self/status'])).stdout, `CapEff:\t${hostBnd}\n`);
  // exec's exit code comes back.
  assert.equal((await p.compose(['exec', '-T', 'db', 'sh', '-c', 'exit 7'])).code, 7);

  // logs: what each service printed, under its prefix.
  const logs = await p.ok(['logs', '--no-color']);
  assert.match(logs.stdout, /db_1 +\| db-started\n/);
  assert.match(logs.stdout, /db_1 +\| db-ready\n/);
  assert.match(logs.stdout, /web_1 +\| web-serving\n/);

  // run --rm: a one-off container on the project network, its output and exit code, then gone.
  // (compose 1.29 attaches only after it started the container, so the command waits a moment.)
  const once = await p.compose(['run', '--rm', '-T', 'db', 'sh', '-c', 'sleep 2; timeout 5 wget -qO- http://web/; exit 3']);
  assert.equal(once.code, 3, `run: ${once.stderr}`);
  assert.equal(once.stdout, 'hello one\n');
  assert.deepEqual((await p.containers()).map((c) => c.Labels['com.docker.compose.oneoff']).sort(), ['False', 'False']);
  if (hasDockerCli) {
    // Compose's default: run and exec hand over to `docker start --attach` / `docker exec`.
    const cli = { env: { COMPOSE_INTERACTIVE_NO_CLI: '' } };
    const viaCli = await p.compose(['run', '--rm', '-T', 'db', 'sh', '-c', 'timeout 5 wget -qO- http://web/; exit 5'], cli);
    assert.deepEqual([viaCli.code, viaCli.stdout], [5, 'hello one\n'], viaCli.stderr);
    const execCli = await p.compose(['exec', '-T', 'db', 'sh', '-c', 'echo via-docker-exec; exit 6'], cli);
    assert.deepEqual([execCli.code, execCli.stdout], [6, 'via-docker-exec\n'], execCli.stderr);
  }

  // A changed service is recreated (compose reads the image's ContainerConfig to carry volumes
  // over); the unchanged one is left alone.
  const again = await p.ok(['up', '-d'], { env: { GREETING: 'two' } });
  assert.match(again.stderr, new RegExp(`${p.name}_db_1 is up-to-date`));
  assert.match(again.stderr, new RegExp(`Recreating ${p.name}_web_1`));
  assert.notEqual((await onlyContainer(p, 'web')).Id, web.Id);
  assert.equal(await httpGet(await publishedPort(p, 'web', 80)), 'hello two\n');

  // pause/unpause, stop/start, restart: each state as compose shows it, and back to serving.
  await p.ok(['pause']);
  assert.match((await p.ok(['ps'])).stdout, new RegExp(`${p.name}_web_1 .*Paused`));
  assert.equal((await onlyContainer(p, 'db')).State.Status, 'paused');
  await p.ok(['unpause']);
  assert.equal((await onlyContainer(p, 'web')).State.Status, 'running');
  await p.ok(['stop', '-t', '2']);
  const stopped = await p.ok(['ps']);
  assert.match(stopped.stdout, new RegExp(`${p.name}_db_1 .*Exit 143`));
  assert.match(stopped.stdout, new RegExp(`${p.name}_web_1 .*Exit 143`));
  await p.ok(['start']);
  assert.equal((await onlyContainer(p, 'web')).State.Status, 'running');
  assert.equal(await httpGet(await publishedPort(p, 'web', 80)), 'hello two\n');

  // events: compose filters the stream by its project label; a restart shows up in it.
  const events = spawnEvents(p);
  try {
    await events.waitFor(/"action": "(exec_start|exec_die)/, 8_000); // db's health probes: the stream is live
    await p.ok(['restart', '-t', '2', 'web']);
    const seen = await events.waitFor(/"action": "restart"/, 8_000);
    const restart = seen
      .split('\n')
      .map((l) => (l.trim() ? (JSON.parse(l) as Obj) : undefined))
      .find((e) => e?.action === 'restart');
    assert.equal(restart?.service, 'web');
    assert.equal(restart?.attributes.name, `${p.name}_web_1`);
  } finally {
    events.stop();
  }
  assert.equal(await httpGet(await publishedPort(p, 'web', 80)), 'hello two\n');

  // down -v: containers and the network go.
  const down = await p.ok(['down', '-v', '-t', '2']);
  assert.match(down.stderr, new RegExp(`Removing network ${p.name}_default`));
  assert.deepEqual(await p.containers(), []);
  const nets = (await api(`/networks?filters=${encodeURIComponent(JSON.stringify({ name: [p.name] }))}`)) as unknown as Obj[];
  assert.deepEqual(
    nets.map((n) => n.Name),
    [],
  );
});

/** `docker-compose events --json` in the background, read until a pattern shows, always bounded. */
function spawnEvents(p: Project): { waitFor(re: RegExp, ms: number): Promise<string>; stop(): void } {
  const child = spawn('docker-compose', ['-p', p.name, '--project-directory', p.dir, '-f', join(p.dir, 'docker-compose.yml'), 'events', '--json'], {
    env: p.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  return {
    async waitFor(re, ms) {
      const deadline = Date.now() + ms;
      while (!re.test(out)) {
        if (Date.now() > deadline || child.exitCode !== null) assert.fail(`docker-compose events never printed ${re}\nstdout: ${out}\nstderr: ${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return out;
    },
    stop() {
      clearTimeout(killer);
      child.kill('SIGKILL');
    },
  };
}

test('docker-compose up --build: a Dockerfile service, a named volume shared with a dependant, --exit-code-from, down -v --rmi local', { skip }, async (t) => {
  const p = await project('cbuild', {
    'app/Dockerfile':
      'FROM busybox\nRUN echo built-by-compose > /built.txt && grep buildhost /etc/hosts > /buildhost.txt\nCMD ["sh", "-c", "cat /built.txt /buildhost.txt; echo shared-data > /data/f"]\n',
    'docker-compose.yml': `version: "3.9"
services:
  app:
    build:
      context: ./app
      extra_hosts: ["buildhost:10.1.2.3"]
    volumes:
      - data:/data
  checker:
    image: busybox
    command: sh -c 'cat /data/f; exit 4'
    volumes:
      - data:/data
    depends_on:
      app:
        condition: service_completed_successfully
volumes:
  data: {}
`,
  });
  cleanUp(t, p, ['--rmi', 'local']);

  // Only checker is attached: app is built, runs to completion first, and checker's exit code
  // becomes compose's.
  const up = await p.compose(['up', '--no-color', '--build', '--exit-code-from', 'checker', 'checker'], { timeoutMs: 90_000 });
  assert.equal(up.code, 4, `up: ${up.stderr}\n${up.stdout}`);
  assert.match(up.stdout, new RegExp(`Successfully tagged ${p.name}_app:latest`), up.stdout);
  assert.match(up.stdout, /checker_1 +\| shared-data/);
  const appLogs = (await p.ok(['logs', '--no-color', 'app'])).stdout;
  assert.match(appLogs, /app_1 +\| built-by-compose\n/);
  // build.extra_hosts reached the RUN step's /etc/hosts.
  assert.match(appLogs, /app_1 +\| 10\.1\.2\.3\tbuildhost\n/);
  const app = await onlyContainer(p, 'app');
  assert.equal(app.State.ExitCode, 0);
  assert.equal(app.Config.Image, `${p.name}_app`);
  const vol = (app.Mounts as Obj[]).find((m) => m.Destination === '/data');
  assert.equal(vol?.Name, `${p.name}_data`);

  await p.ok(['down', '-v', '--rmi', 'local', '-t', '1']);
  assert.deepEqual(await p.containers(), []);
  const vols = (await api(`/volumes?filters=${encodeURIComponent(JSON.stringify({ name: [p.name] }))}`)).Volumes as Obj[] | null;
  assert.deepEqual(
    (vols ?? []).map((v) => v.Name),
    [],
  );
  const images = (await api('/images/json')) as unknown as Obj[];
  assert.ok(!images.some((i) => (i.RepoTags ?? []).some((r: string) => r.startsWith(`${p.name}_app`))), JSON.stringify(images.map((i) => i.RepoTags)));
});

test('docker-compose up fails when a service_healthy dependency turns unhealthy', { skip }, async (t) => {
  const p = await project('csick', {
    'docker-compose.yml': `version: "3.9"
services:
  sick:
    image: busybox
    init: true
    command: sleep 3600
    healthcheck:
      test: ["CMD", "false"]
      interval: 1s
      timeout: 1s
      retries: 1
  waiter:
    image: busybox
    command: echo never
    depends_on:
      sick:
        condition: service_healthy
`,
  });
  cleanUp(t, p);
  const up = await p.compose(['up', '-d']);
  assert.equal(up.code, 1, up.stderr);
  assert.match(up.stderr, /is unhealthy/);
  assert.equal((await onlyContainer(p, 'sick')).State.Health.Status, 'unhealthy');
  assert.deepEqual(await p.containers('waiter'), []);
});

test('docker-compose up attaches to a running service: its logs follow to the end, then its exit shows', { skip }, async (t) => {
  const p = await project('cattach', {
    'docker-compose.yml': `version: "3.9"
services:
  tick:
    image: busybox
    command: sh -c 'echo tick-start; sleep 2; echo tick-done >&2'
`,
  });
  cleanUp(t, p);
  await p.ok(['up', '-d']);
  // The container is up to date, so compose follows its log (GET /logs?follow=1) and ends when
  // the stream does: dockerd ends a follower before it reports the exit, and so must berthd, or
  // compose's printer may leave before printing the exit code.
  const up = await p.ok(['up', '--no-color']);
  assert.match(up.stdout, /tick_1 +\| tick-start\n[^]*tick_1 +\| tick-done\n/);
  assert.match(up.stdout, new RegExp(`${p.name}_tick_1 exited with code 0\\n`));
});

test('a version 1 file: services on the default bridge reach each other through legacy links', { skip }, async (t) => {
  const p = await project('clegacy', {
    'docker-compose.yml': `db:
  image: busybox
  command: sh -c 'mkdir -p /w && echo legacy-db > /w/index.html && exec httpd -f -p 80 -h /w'
  expose: ["80"]
  environment:
    DB_FLAVOUR: tiny
web:
  image: busybox
  command: sleep 3600
  links: ["db:database"]
`,
  });
  cleanUp(t, p);
  await p.ok(['up', '-d']);
  const web = await onlyContainer(p, 'web');
  assert.equal(web.HostConfig.NetworkMode, 'bridge');
  // dockerd's /etc/hosts line for the link and its variables, then the link in use.
  const hosts = await p.ok(['exec', '-T', 'web', 'grep', 'database', '/etc/hosts']);
  assert.match(hosts.stdout, new RegExp(`^\\S+\\tdatabase \\w{12} ${p.name}_db_1\\n$`));
  const env = await p.ok(['exec', '-T', 'web', 'sh', '-c', 'echo $DATABASE_PORT $DATABASE_ENV_DB_FLAVOUR']);
  assert.match(env.stdout, /^tcp:\/\/[\d.]+:80 tiny\n$/);
  assert.equal((await p.ok(['exec', '-T', 'web', 'sh', '-c', 'timeout 5 wget -qO- http://database/'])).stdout, 'legacy-db\n');
});
