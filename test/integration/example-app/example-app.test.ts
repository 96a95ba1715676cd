// The main demo app end to end (examples/django-postgres-nginx): debian:bookworm from
// scripts/make-debian-base.sh (its rootfs cached under /var/cache/berth), the three images built
// from it with apt-get in RUN steps, and the app run the way compose runs it. Through nginx on a
// published loopback port: Django writes a row to PostgreSQL and reads it back, nginx serves the
// collected static file, and the database outlives its containers in its named volume.
//
// The daemon uses the host's resolvers (builds reach Debian's mirror); the test's own traffic goes
// only to 127.0.0.1. Everything it makes is named per run and removed at the end.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { request } from 'node:http';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { ROOT, TestDaemon, run, type RunResult } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';

const EXAMPLE = join(ROOT, 'examples/django-postgres-nginx');
const BASE_CACHE = '/var/cache/berth/debian-bookworm-minbase.tar';
const hasMmdebstrap = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v mmdebstrap'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const skip =
  requiresRoot('bridges, namespaces, crun, mmdebstrap') ||
  (!hasMmdebstrap && !existsSync(BASE_CACHE) ? 'needs mmdebstrap (apt-get install mmdebstrap) or a cached base in /var/cache/berth' : false);

const MIN = 60_000;
const runTag = `t${process.pid}${Math.random().toString(36).slice(2, 6)}`;
const SERVICES = ['db', 'web', 'nginx'] as const;
type Service = (typeof SERVICES)[number];

/** What bringUp/tearDown act on: compose's project, its images and the published port. */
interface App {
  project: string;
  dir: string;
  images: Record<Service, string>;
  httpPort: number;
  /** compose --env-file: HTTP_PORT for the published port. */
  envFile: string;
}

let d: TestDaemon | undefined;
let app: App | undefined;

const ok = (r: RunResult, what: string): string => {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\nstdout: ${r.stdout.slice(-4000)}\nstderr: ${r.stderr.slice(-4000)}`);
  return r.stdout.trim();
};
const daemon = (): TestDaemon => {
  if (!d) throw new Error('the test daemon is not started');
  return d;
};

// ---- the app, through berth compose --------------------------------------------------------
// bringUp/tearDown are the only place that knows how the app is run: `berth compose up -d` and
// `down` of examples/django-postgres-nginx/compose.yaml, the published port given through an
// env file (compose's --env-file), exactly as a user runs it.

const names = (a: App) => ({
  volumes: { dbdata: `${a.project}_dbdata`, static: `${a.project}_static` },
  container: (s: Service) => `${a.project}-${s}-1`,
});

function compose(dm: TestDaemon, a: App, args: string[], timeoutMs = 5 * MIN): Promise<RunResult> {
  return dm.berth(['compose', '-p', a.project, '-f', join(a.dir, 'compose.yaml'), '--env-file', a.envFile, ...args], { timeoutMs });
}

/** `compose up -d --wait`: network, volumes, then db, web, nginx, each after the one before is healthy. */
async function bringUp(dm: TestDaemon, a: App): Promise<void> {
  ok(await compose(dm, a, ['up', '-d', '--wait', '--wait-timeout', '300']), 'compose up');
}

/** `compose down` (with `-v` when volumes): stop and remove the containers and the network. */
async function tearDown(dm: TestDaemon, a: App, opts: { volumes: boolean }): Promise<void> {
  ok(await compose(dm, a, ['down', ...(opts.volumes ? ['-v'] : [])], 2 * MIN), 'compose down');
}

// ---- helpers ---------------------------------------------------------------------------------

interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request to 127.0.0.1:port, bounded by a timeout. */
function http(port: number, method: string, path: string, body?: unknown): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      { host: '127.0.0.1', port, method, path, timeout: 10_000, headers: data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.on('error', reject);
    req.end(data);
  });
}

/** GET until it answers 200 (nginx and gunicorn starting), a bounded number of times. */
async function getWhenUp(port: number, path: string, tries = 60): Promise<HttpReply> {
  let last: unknown;
  for (let i = 0; i < tries; i++) {
    try {
      const r = await http(port, 'GET', path);
      if (r.status === 200) return r;
      last = `${r.status}: ${r.body.slice(0, 500)}`;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`GET ${path} on 127.0.0.1:${port} never answered 200: ${String(last)}`);
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

interface Notes {
  count: number;
  notes: { id: number; text: string; created: string }[];
}

// ---- the test --------------------------------------------------------------------------------

before(async () => {
  if (skip) return;
  d = await TestDaemon.create();
  await d.start([], { dns: 'host' });
  const project = `berthex${runTag}`;
  const httpPort = await freePort();
  const envFile = join(d.dir, 'compose.env');
  writeFileSync(envFile, `HTTP_PORT=${httpPort}\n`);
  app = { project, dir: EXAMPLE, images: { db: `${project}-db`, web: `${project}-web`, nginx: `${project}-nginx` }, httpPort, envFile };
});

after(async () => {
  if (!d) return;
  try {
    if (app) {
      await tearDown(d, app, { volumes: true }).catch((e: unknown) => process.stderr.write(`tearDown: ${String(e)}\n`));
      for (const image of Object.values(app.images)) await d.berth(['rmi', image]);
    }
    await d.berth(['rmi', 'debian:bookworm']);
  } finally {
    await d.stop();
  }
});

test('debian:bookworm from scripts/make-debian-base.sh (cached rootfs), and a second run does nothing', { skip, timeout: 10 * MIN }, async (t) => {
  const dm = daemon();
  const script = join(ROOT, 'scripts/make-debian-base.sh');
  const env = { ...process.env, DOCKER_HOST: dm.host };
  const started = Date.now();
  const first = await run(script, [], { env, timeoutMs: 8 * MIN });
  ok(first, 'make-debian-base.sh');
  t.diagnostic(`base image: ${((Date.now() - started) / 1000).toFixed(1)} s (${/using cached/.test(first.stderr) ? 'cached rootfs' : 'bootstrapped'})`);
  const config = JSON.parse(ok(await dm.berth(['image', 'inspect', '-f', '{{json .Config}}', 'debian:bookworm']), 'inspect')) as {
    Cmd: string[];
    Env: string[];
  };
  assert.deepEqual(config.Cmd, ['bash']);
  assert.ok(
    config.Env.some((e) => e.startsWith('PATH=/usr/local/sbin:')),
    `PATH in ${JSON.stringify(config.Env)}`,
  );
  const again = await run(script, ['-H', dm.host], { env: { ...process.env, DOCKER_HOST: '' }, timeoutMs: MIN });
  ok(again, 'second run');
  assert.match(again.stderr, /debian:bookworm already exists/);
  const out = ok(
    await dm.berth(['run', '--rm', 'debian:bookworm', 'sh', '-c', '. /etc/os-release; echo "$VERSION_CODENAME"; command -v apt-get']),
    'run debian',
  );
  assert.deepEqual(out.split('\n'), ['bookworm', '/usr/bin/apt-get']);
});

test('compose build: the three images build from debian:bookworm (apt-get in RUN steps), then rebuild from cache', { skip, timeout: 20 * MIN }, async (t) => {
  const dm = daemon();
  const a = app!;
  for (const s of SERVICES) {
    const started = Date.now();
    ok(await compose(dm, a, ['build', '-q', s], 10 * MIN), `build ${s}`);
    t.diagnostic(`build ${s} (cold): ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  const started = Date.now();
  const r = await compose(dm, a, ['build'], 2 * MIN);
  ok(r, 'rebuild');
  assert.doesNotMatch(r.stderr, /Running in /, 'a rebuild runs no step');
  assert.match(r.stderr, /Using cache/);
  t.diagnostic(`rebuild of all three (warm): ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const user = ok(await dm.berth(['image', 'inspect', '-f', '{{.Config.User}}', a.images.web]), 'inspect web');
  assert.equal(user, 'app', 'the web image runs as a non-root user');
});

test('through nginx: Django writes a row to PostgreSQL and reads it back; nginx serves the collected static file', { skip, timeout: 10 * MIN }, async () => {
  const dm = daemon();
  const a = app!;
  await bringUp(dm, a);
  const port = a.httpPort;

  const health = JSON.parse((await getWhenUp(port, '/healthz')).body) as { status: string; database: string };
  assert.deepEqual(health, { status: 'ok', database: 'postgresql' });

  const text = `first note ${runTag}`;
  const posted = await http(port, 'POST', '/api/notes', { text });
  assert.equal(posted.status, 201, posted.body);
  const created = JSON.parse(posted.body) as Notes & { created: { id: number; text: string } };
  assert.equal(created.created.text, text);
  const listed = JSON.parse((await http(port, 'GET', '/api/notes')).body) as Notes;
  assert.equal(listed.count, 1);
  assert.deepEqual(
    listed.notes.map((n) => n.text),
    [text],
  );

  // The HTML page counts visits (a write per request) and links the collected stylesheet.
  const page1 = await http(port, 'GET', '/');
  const page2 = await http(port, 'GET', '/');
  const visits = (p: HttpReply) => Number(/id="visits">(\d+)</.exec(p.body)?.[1]);
  assert.equal(page1.status, 200, page1.body.slice(0, 500));
  assert.equal(visits(page2), visits(page1) + 1, 'the visit counter grows by one per page view');
  assert.match(page1.body, new RegExp(text));
  assert.match(page1.body, /href="\/static\/notes\/style\.css"/);

  const css = await http(port, 'GET', '/static/notes/style.css');
  assert.equal(css.status, 200);
  assert.match(String(css.headers['content-type']), /^text\/css/);
  assert.equal(css.headers.server, 'nginx', 'static files come from nginx, not from gunicorn');
  assert.match(css.body, /berth-example-stylesheet/);

  const uid = ok(await dm.berth(['exec', names(a).container('web'), 'id', '-u']), 'exec id');
  assert.equal(uid, '10001', 'gunicorn runs as the unprivileged app user');
});

test('the database survives removing and recreating the containers with the same volume', { skip, timeout: 10 * MIN }, async () => {
  const dm = daemon();
  const a = app!;
  const before = JSON.parse((await getWhenUp(a.httpPort, '/api/notes')).body) as Notes;
  assert.ok(before.count >= 1, 'a note from the previous test');

  await tearDown(dm, a, { volumes: false });
  assert.notEqual((await dm.berth(['inspect', names(a).container('db')])).code, 0, 'db container removed');
  await bringUp(dm, a);

  const dbLogs = await dm.berth(['logs', names(a).container('db')]);
  assert.doesNotMatch(dbLogs.stdout + dbLogs.stderr, /initialising a cluster/, 'the second db starts on the existing cluster');
  const after = JSON.parse((await getWhenUp(a.httpPort, '/api/notes')).body) as Notes;
  assert.deepEqual(after.notes, before.notes, 'the notes are still there');
  const posted = await http(a.httpPort, 'POST', '/api/notes', { text: `second note ${runTag}` });
  assert.equal(posted.status, 201, posted.body);
  assert.equal((JSON.parse(posted.body) as Notes).count, before.count + 1);

  await tearDown(dm, a, { volumes: true });
  const n = names(a);
  for (const v of Object.values(n.volumes)) assert.notEqual((await dm.berth(['volume', 'inspect', v])).code, 0, `volume ${v} removed`);
  assert.equal(ok(await dm.berth(['ps', '-aq']), 'ps'), '', 'no containers left');
  for (const image of Object.values(a.images)) ok(await dm.berth(['rmi', image]), `rmi ${image}`);
});
