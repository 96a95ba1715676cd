// testcontainers (Node, v11, over dockerode) against berthd: the library many test suites use to
// run their dependencies. Ryuk (its reaper container) is off: its image comes from Docker Hub,
// and the test daemon removes everything at the end anyway (testcontainers-reaper.test.ts runs it
// with a reaper built here). Images are the local busybox.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { useBusyboxDaemon } from '../support/daemon.js';
import { requiresRoot } from '../support/requires-root.js';

const skip = requiresRoot('real crun, overlayfs, cgroups');
const d = useBusyboxDaemon({ before: (fn) => test.before(fn), after: (fn) => test.after(fn) }, skip);
let work = '';
type TC = typeof import('testcontainers');
let loaded: TC | undefined;

/** testcontainers, loaded once the daemon is up: it reads these when it first looks for a runtime. */
async function testcontainers(): Promise<TC> {
  if (loaded) return loaded;
  process.env.DOCKER_HOST = d.host;
  process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  work = await mkdtemp(join(tmpdir(), 'berth-tc-'));
  return (loaded = await import('testcontainers'));
}
test.after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** A long-running command that leaves on SIGTERM (busybox sleep as PID 1 would wait for the kill timeout). */
const SERVE = (script = 'true') => ['sh', '-c', `trap 'exit 0' TERM; ${script}; echo ready; while :; do sleep 0.1; done`];
const HTTPD = [
  'sh',
  '-c',
  `trap 'exit 0' TERM; mkdir -p /www && echo hello-from-httpd > /www/index.html && httpd -p 80 -h /www && echo ready; while :; do sleep 0.1; done`,
];

async function tarEntries(stream: NodeJS.ReadableStream): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const ex = tar.extract();
  (stream as Readable).pipe(ex);
  for await (const e of ex) {
    const chunks: Buffer[] = [];
    for await (const c of e as AsyncIterable<Buffer>) chunks.push(c);
    out[e.header.name] = Buffer.concat(chunks).toString();
  }
  return out;
}

test('exposed ports: a random host port, forListeningPorts (the default) and forHttp', { skip }, async () => {
  const tc = await testcontainers();
  const c = await new tc.GenericContainer('busybox:latest').withCommand(HTTPD).withExposedPorts(80).withStartupTimeout(30_000).start();
  try {
    const port = c.getMappedPort(80);
    assert.ok(port > 0);
    const res = await fetch(`http://${c.getHost()}:${port}/`);
    assert.equal((await res.text()).trim(), 'hello-from-httpd');
  } finally {
    await c.stop({ timeout: 1000 });
  }
  const h = await new tc.GenericContainer('busybox:latest')
    .withCommand(HTTPD)
    .withExposedPorts(80)
    .withWaitStrategy(
      tc.Wait.forHttp('/index.html', 80)
        .forStatusCode(200)
        .forResponsePredicate((b) => b.includes('hello')),
    )
    .withStartupTimeout(30_000)
    .start();
  await h.stop({ timeout: 1000 });
});

test('withCommand, withEnvironment, forLogMessage, exec (output, stdout, stderr, exit code)', { skip }, async () => {
  const tc = await testcontainers();
  const c = await new tc.GenericContainer('busybox:latest')
    .withCommand(SERVE('echo "greeting=$GREETING"'))
    .withEnvironment({ GREETING: 'hi there' })
    .withWaitStrategy(tc.Wait.forLogMessage('ready'))
    .withStartupTimeout(30_000)
    .start();
  try {
    const logs = await c.logs();
    const seen = await new Promise<string>((resolve) => {
      let s = '';
      logs.on('data', (b: Buffer | string) => {
        s += b.toString();
        if (s.includes('ready')) resolve(s);
      });
    });
    logs.destroy();
    assert.match(seen, /greeting=hi there/);
    const r = await c.exec(['sh', '-c', 'echo out; echo err >&2; exit 4']);
    assert.equal(r.exitCode, 4);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    assert.equal(r.output, 'out\nerr\n');
    const env = await c.exec(['sh', '-c', 'echo $GREETING'], { env: { GREETING: 'from exec' }, workingDir: '/tmp' });
    assert.equal(env.stdout, 'from exec\n');
  } finally {
    await c.stop({ timeout: 1000 });
  }
});

test('withNetwork + withNetworkAliases: containers reach each other by alias', { skip }, async () => {
  const tc = await testcontainers();
  const net = await new tc.Network().start();
  const server = await new tc.GenericContainer('busybox:latest')
    .withCommand(HTTPD)
    .withNetwork(net)
    .withNetworkAliases('web-alias')
    .withWaitStrategy(tc.Wait.forLogMessage('ready'))
    .start();
  const client = await new tc.GenericContainer('busybox:latest').withCommand(SERVE()).withNetwork(net).withWaitStrategy(tc.Wait.forLogMessage('ready')).start();
  try {
    const r = await client.exec(['timeout', '10', 'wget', '-qO-', 'http://web-alias/']);
    assert.equal(r.exitCode, 0, r.output);
    assert.equal(r.stdout.trim(), 'hello-from-httpd');
    // With aliases testcontainers creates on the default bridge, then connects with the aliases (as with dockerd: both, names sorted).
    assert.deepEqual(server.getNetworkNames(), ['bridge', net.getName()].sort());
    assert.match(server.getIpAddress(net.getName()), /^\d+\.\d+\.\d+\.\d+$/);
  } finally {
    await client.stop({ timeout: 1000 });
    await server.stop({ timeout: 1000 });
    await net.stop();
  }
});

test('withBindMounts, withCopyFilesToContainer, withCopyContentToContainer, copyArchiveFromContainer', { skip }, async () => {
  const tc = await testcontainers();
  await writeFile(join(work, 'bound.txt'), 'bound content\n');
  await writeFile(join(work, 'copied.txt'), 'copied content\n');
  const c = await new tc.GenericContainer('busybox:latest')
    .withCommand(SERVE())
    .withBindMounts([{ source: work, target: '/bound', mode: 'ro' }])
    .withCopyFilesToContainer([{ source: join(work, 'copied.txt'), target: '/copied/file.txt', mode: 0o640 }])
    .withCopyContentToContainer([{ content: 'inline content\n', target: '/inline.txt' }])
    .withWaitStrategy(tc.Wait.forLogMessage('ready'))
    .start();
  try {
    assert.equal((await c.exec(['cat', '/bound/bound.txt'])).stdout, 'bound content\n');
    const ro = await c.exec(['sh', '-c', 'echo x > /bound/new']);
    assert.notEqual(ro.exitCode, 0, 'the bind mount is read-only');
    assert.equal((await c.exec(['cat', '/copied/file.txt'])).stdout, 'copied content\n');
    assert.equal((await c.exec(['stat', '-c', '%a', '/copied/file.txt'])).stdout, '640\n');
    assert.equal((await c.exec(['cat', '/inline.txt'])).stdout, 'inline content\n');
    await c.copyContentToContainer([{ content: 'after start\n', target: '/late.txt' }]);
    const archive = await tarEntries(await c.copyArchiveFromContainer('/late.txt'));
    assert.deepEqual(archive, { 'late.txt': 'after start\n' });
  } finally {
    await c.stop({ timeout: 1000 });
  }
});

test('withHealthCheck + forHealthCheck; restart; stop', { skip }, async () => {
  const tc = await testcontainers();
  const c = await new tc.GenericContainer('busybox:latest')
    .withCommand(SERVE('sleep 0.5; touch /tmp/healthy'))
    .withHealthCheck({ test: ['CMD-SHELL', 'test -f /tmp/healthy'], interval: 200, timeout: 1000, retries: 20, startPeriod: 0 })
    .withWaitStrategy(tc.Wait.forHealthCheck())
    .withStartupTimeout(30_000)
    .start();
  const id = c.getId();
  const docker = (await import('dockerode')).default;
  const api = new docker({ socketPath: d.socket });
  assert.equal((await api.getContainer(id).inspect()).State.Health?.Status, 'healthy');
  const startedBefore = (await api.getContainer(id).inspect()).State.StartedAt;
  await c.restart({ timeout: 1000 });
  const after = await api.getContainer(id).inspect();
  assert.equal(after.State.Running, true);
  assert.notEqual(after.State.StartedAt, startedBefore);
  const stopped = await c.stop({ timeout: 1000 });
  assert.equal(stopped.getId(), id);
  await assert.rejects(api.getContainer(id).inspect(), (e: { statusCode?: number }) => e.statusCode === 404, 'stop removes the container');
});

test('forOneShotStartup: a container that runs to completion', { skip }, async () => {
  const tc = await testcontainers();
  const c = await new tc.GenericContainer('busybox:latest')
    .withCommand(['sh', '-c', 'echo done'])
    .withWaitStrategy(tc.Wait.forOneShotStartup())
    .withStartupTimeout(30_000)
    .start();
  const docker = (await import('dockerode')).default;
  const state = (await new docker({ socketPath: d.socket }).getContainer(c.getId()).inspect()).State;
  assert.equal(state.Status, 'exited');
  assert.equal(state.ExitCode, 0);
  await c.stop();
});

// testcontainers' own "should set the IPC mode" test: with the host's IPC namespace berthd bound
// the host's /dev/mqueue, which this kind of host does not have, and the start failed.
test('withIpcMode("host"): the container starts, with an mqueue mount of its own', { skip }, async () => {
  const tc = await testcontainers();
  const c = await new tc.GenericContainer('busybox:latest').withIpcMode('host').withCommand(SERVE()).withWaitStrategy(tc.Wait.forLogMessage('ready')).start();
  const { output, exitCode } = await c.exec(['sh', '-c', 'grep " /dev/mqueue " /proc/mounts']);
  assert.equal(exitCode, 0);
  assert.match(output, /^mqueue \/dev\/mqueue mqueue /);
  await c.stop();
});

test('GenericContainer.fromDockerfile(...).build() then start', { skip }, async () => {
  const tc = await testcontainers();
  const ctx = await mkdtemp(join(work, 'ctx-'));
  await writeFile(join(ctx, 'Dockerfile'), 'FROM busybox\nARG WHO=nobody\nCOPY msg.txt /msg.txt\nRUN echo "built for $WHO" >> /msg.txt\n');
  await writeFile(join(ctx, 'msg.txt'), 'from the context\n');
  const image = await tc.GenericContainer.fromDockerfile(ctx).withBuildArgs({ WHO: 'testcontainers' }).build('berth-tc-built:latest', { deleteOnExit: false });
  const c = await image.withCommand(SERVE()).withWaitStrategy(tc.Wait.forLogMessage('ready')).start();
  try {
    assert.equal((await c.exec(['cat', '/msg.txt'])).stdout, 'from the context\nbuilt for testcontainers\n');
  } finally {
    await c.stop({ timeout: 1000 });
  }
  assert.ok((await readFile(join(ctx, 'Dockerfile'), 'utf8')).startsWith('FROM busybox'));
});
