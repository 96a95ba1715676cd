// The real docker CLI against berthd for the routes existing clients use beyond the everyday
// ones (issue 11): diff, export, events replayed between --since and --until, legacy links and
// their removal, --device-cgroup-rule, and what commit records for docker-py.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar-stream';
import { Readable } from 'node:stream';
import { useBusyboxDaemon, expectOk, run } from '../support/daemon.js';
import { requiresRoot } from '../support/requires-root.js';

function hasDocker(): boolean {
  try {
    execFileSync('docker', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const skip = requiresRoot('real crun, overlayfs, cgroups') || (!hasDocker() ? 'the docker CLI is not on the PATH' : false);
const d = useBusyboxDaemon({ before: (fn) => test.before(fn), after: (fn) => test.after(fn) }, skip);

const ok = async (args: string[]) => expectOk(await d.docker(args, { timeoutMs: 30_000 })).stdout;

/** The names in a tar, in archive order. */
async function tarNames(bytes: Buffer): Promise<Map<string, tar.Header>> {
  const out = new Map<string, tar.Header>();
  const ex = tar.extract();
  Readable.from([bytes]).pipe(ex);
  for await (const e of ex) {
    out.set(e.header.name, e.header);
    e.resume();
  }
  return out;
}

/** Mount points under the daemon's data root (export must leave none behind). */
async function mountsUnder(root: string): Promise<string[]> {
  return (await readFile('/proc/self/mountinfo', 'utf8'))
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m.startsWith(root));
}

test('docker diff: C/A/D in Docker order, on a running and a stopped container; nothing for a fresh one', { skip }, async () => {
  await ok(['run', '-d', '--name', 'df', 'busybox', 'sh', '-c', 'echo x > /tmp/new; rm /etc/group; echo y >> /etc/passwd; mkdir -p /home/a/b; sleep 600']);
  const expected = 'C /etc\nD /etc/group\nC /etc/passwd\nC /home\nA /home/a\nA /home/a/b\nC /tmp\nA /tmp/new\n';
  // The command runs in the background: wait for its last step.
  for (let i = 0; i < 100 && !(await d.docker(['diff', 'df'])).stdout.includes('/home/a/b'); i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(await ok(['diff', 'df']), expected);
  await ok(['stop', '-t', '0', 'df']);
  assert.equal(await ok(['diff', 'df']), expected, 'a stopped container shows the same changes');
  assert.equal(expectOk(await d.berth(['container', 'diff', 'df'])).stdout, expected, 'berth diff prints what docker diff prints');
  // A container that changed nothing has no changes, though the runtime made its mount points.
  await ok(['run', '--name', 'fresh', '-v', '/data', 'busybox', 'true']);
  assert.equal(await ok(['diff', 'fresh']), '');
  // An opaque directory (rm -rf of an image directory, then made again) is a deletion and its new content additions.
  await ok(['run', '--name', 'opq', 'busybox', 'sh', '-c', 'rm -rf /var/www && mkdir /var/www && touch /var/www/i']);
  assert.equal(await ok(['diff', 'opq']), 'C /var\nD /var/www\nA /var/www/i\n');
  const r = await d.docker(['diff', 'nosuch']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /No such container: nosuch/);
});

test('docker export: the merged filesystem to a file and to stdout, streamed; a stopped container is mounted read-only and unmounted', { skip }, async () => {
  const work = await mkdtemp(join(tmpdir(), 'berth-export-'));
  try {
    await ok(['run', '--name', 'ex', 'busybox', 'sh', '-c', 'echo hello > /root/f; rm -f /etc/group']);
    const id = (await ok(['inspect', '-f', '{{.Id}}', 'ex'])).trim();
    const rootfs = join(d.dataRoot, 'containers', id, 'rootfs');
    // The exit unmounts the rootfs in the background: export must find it unmounted to test its own mount.
    for (let i = 0; i < 100 && (await mountsUnder(rootfs)).length; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await mountsUnder(rootfs), []);
    await ok(['export', '-o', join(work, 'ex.tar'), 'ex']);
    const names = await tarNames(await readFile(join(work, 'ex.tar')));
    assert.ok(names.has('bin/busybox') && names.has('root/f'), 'image files and the container changes are there');
    assert.ok(!names.has('etc/group'), 'a deleted file is gone');
    assert.ok(![...names.keys()].some((n) => n.includes('.wh.')), 'no whiteouts in an export');
    assert.deepEqual(await mountsUnder(rootfs), [], 'the temporary mount is gone');
    // To stdout, read back by tar itself.
    const viaTar = await run('sh', ['-c', `docker export ex | tar -xOf - root/f`], { env: { ...process.env, DOCKER_HOST: d.host } });
    assert.equal(expectOk(viaTar).stdout, 'hello\n');
    expectOk(await d.berth(['export', '-o', join(work, 'berth.tar'), 'ex']));
    assert.deepEqual([...(await tarNames(await readFile(join(work, 'berth.tar')))).keys()], [...names.keys()], 'berth export writes the same archive');
    // A running container: its live merged filesystem.
    await ok(['run', '-d', '--name', 'exr', 'busybox', 'sh', '-c', 'echo live > /tmp/l; sleep 600']);
    for (let i = 0; i < 100 && !(await d.docker(['diff', 'exr'])).stdout.includes('/tmp/l'); i++) await new Promise((r) => setTimeout(r, 100));
    const live = await run('sh', ['-c', `docker export exr | tar -xOf - tmp/l`], { env: { ...process.env, DOCKER_HOST: d.host } });
    assert.equal(expectOk(live).stdout, 'live\n');
    await ok(['rm', '-f', 'exr']);
    // The stopped container still starts afterwards (its rootfs is not left mounted read-only).
    assert.equal(await ok(['start', '-a', 'ex']), '');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test('docker events --since/--until: a bounded replay with filters; --since alone follows', { skip }, async () => {
  const start = Math.floor(Date.now() / 1000) - 1;
  await ok(['run', '--name', 'evt', '--label', 'k=v', 'busybox', 'true']);
  // The CLI sends `--until 0s` as whole seconds (so does dockerd read it): let this second pass.
  const after = Math.floor(Date.now() / 1000) + 1;
  while (Date.now() / 1000 < after + 0.05) await new Promise((r) => setTimeout(r, 50));
  const out = await ok(['events', '--since', String(start), '--until', '0s', '--filter', 'container=evt', '--format', '{{.Action}}']);
  assert.deepEqual(out.trim().split('\n'), ['create', 'attach', 'start', 'die']);
  const byLabel = await ok([
    'events',
    '--since',
    '1h',
    '--until',
    '0s',
    '--filter',
    'label=k=v',
    '--filter',
    'event=die',
    '--format',
    '{{.Actor.Attributes.name}}',
  ]);
  assert.equal(byLabel, 'evt\n');
  // --until in the future: the stream ends at that time, after a live event.
  const until = (Date.now() + 3000) / 1000;
  const following = d.docker([
    'events',
    '--since',
    String(start),
    '--until',
    until.toFixed(3),
    '--filter',
    'event=destroy',
    '--filter',
    'container=evt',
    '--format',
    '{{.Actor.Attributes.name}}',
  ]);
  await ok(['rm', 'evt']);
  assert.equal(expectOk(await following).stdout, 'evt\n');
});

test('legacy links: the linked container env and hosts entry; docker rm --link removes only the link', { skip }, async () => {
  await ok(['run', '-d', '--name', 'web', '-e', 'FOO=bar', '--expose', '80', 'busybox', 'sleep', '600']);
  const ip = (await ok(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'web'])).trim();
  const env = await ok(['run', '--rm', '--name', 'client', '--link', 'web:db', 'busybox', 'sh', '-c', 'env | grep ^DB_ | sort; grep -w db /etc/hosts']);
  assert.equal(
    env,
    [
      'DB_ENV_FOO=bar',
      'DB_NAME=/client/db',
      `DB_PORT=tcp://${ip}:80`,
      `DB_PORT_80_TCP=tcp://${ip}:80`,
      `DB_PORT_80_TCP_ADDR=${ip}`,
      'DB_PORT_80_TCP_PORT=80',
      'DB_PORT_80_TCP_PROTO=tcp',
      `${ip}\tdb ${(await ok(['inspect', '-f', '{{.Id}}', 'web'])).slice(0, 12)} web`,
      '',
    ].join('\n'),
  );
  await ok(['create', '--name', 'linker', '--link', 'web:db', 'busybox', 'sh', '-c', 'env | grep -c ^DB_ || true']);
  assert.equal((await ok(['inspect', '-f', '{{json .HostConfig.Links}}', 'linker'])).trim(), '["/web:/linker/db"]');
  const bad = await d.docker(['rm', '--link', 'linker']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /cannot remove the default link name/);
  assert.equal((await ok(['ps', '-aq', '--filter', 'name=^linker$'])).trim().length, 12, 'rm --link of a bare name removes no container');
  assert.equal((await ok(['rm', '--link', '/linker/db'])).trim(), '/linker/db');
  assert.equal((await ok(['inspect', '-f', '{{json .HostConfig.Links}}', 'linker'])).trim(), 'null');
  assert.equal((await ok(['start', '-a', 'linker'])).trim(), '0', 'the link env is gone at the next start');
  // berth sends the link name as one escaped path segment (DELETE /containers/%2Flinker%2Fdb2?link=1).
  await ok(['rm', '-f', 'linker']);
  await ok(['create', '--name', 'linker', '--link', 'web:db', '--link', 'web:db2', 'busybox', 'true']);
  assert.equal(expectOk(await d.berth(['rm', '--link', '/linker/db2'], { timeoutMs: 20_000 })).stdout, '/linker/db2\n');
  assert.equal((await ok(['inspect', '-f', '{{json .HostConfig.Links}}', 'linker'])).trim(), '["/web:/linker/db"]');
  await ok(['rm', '--link', '/linker/db']);
  const again = await d.docker(['rm', '--link', '/linker/db']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /No such container: linker\/db/);
  await ok(['rm', '-f', 'web', 'linker']);
});

test('--device-cgroup-rule allows a device node made without --device; without it the node cannot be opened', { skip }, async () => {
  // /dev/loop-control (c 10:237) is not among Docker's default allowed devices; opening it is harmless.
  const script = 'mknod /tmp/n c 10 237 && : < /tmp/n && echo opened';
  assert.equal(await ok(['run', '--rm', '--cap-add', 'MKNOD', '--device-cgroup-rule', 'c 10:237 rwm', 'busybox', 'sh', '-c', script]), 'opened\n');
  assert.equal(await ok(['run', '--rm', '--cap-add', 'MKNOD', '--device-cgroup-rule', 'c 10:* rm', 'busybox', 'sh', '-c', script]), 'opened\n');
  const denied = await d.docker(['run', '--rm', '--cap-add', 'MKNOD', 'busybox', 'sh', '-c', script]);
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /Operation not permitted/);
  const id = (await ok(['create', '--device-cgroup-rule', 'b 7:* r', 'busybox', 'true'])).trim();
  assert.equal((await ok(['inspect', '-f', '{{json .HostConfig.DeviceCgroupRules}}', id])).trim(), '["b 7:* r"]');
  await ok(['rm', id]);
  // A client that skips the CLI's check gets dockerd's message at create, as a 400.
  const r = await fetchJson(d.socket, '/containers/create', { Image: 'busybox', HostConfig: { DeviceCgroupRules: ['x 1:2 r'] } });
  assert.equal(r.status, 400);
  assert.match(String(r.body.message), /invalid device cgroup rule format: 'x 1:2 r'/);
});

test('docker commit records the container image in ContainerConfig and OnBuild null as Docker', { skip }, async () => {
  await ok(['run', '--name', 'cm', 'busybox', 'touch', '/made']);
  await ok(['commit', 'cm', 'committed:1']);
  // The raw API answer (the CLI's own image struct drops an empty OnBuild): docker-py reads this.
  const cfg = (await getJson(d.socket, '/images/committed:1/json')) as { ContainerConfig: { Image: string; Cmd: string[] }; Config: { OnBuild: unknown } };
  assert.equal(cfg.ContainerConfig.Image, 'busybox');
  assert.deepEqual(cfg.ContainerConfig.Cmd, ['touch', '/made']);
  assert.equal(cfg.Config.OnBuild, null);
  await ok(['commit', '--change', 'ONBUILD RUN true', 'cm', 'committed:2']);
  assert.equal((await ok(['image', 'inspect', '-f', '{{json .Config.OnBuild}}', 'committed:2'])).trim(), '["RUN true"]');
});

/** GET JSON over the daemon's socket. */
async function getJson(socket: string, path: string): Promise<unknown> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    request({ socketPath: socket, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString()) as unknown));
    })
      .on('error', reject)
      .end();
  });
}

/** POST JSON over the daemon's socket, for requests the CLI would refuse before sending. */
async function fetchJson(socket: string, path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, path, method: 'POST', headers: { 'Content-Type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

test('docker plugin: an empty list, unknown plugins are not found, installing is refused', { skip }, async () => {
  assert.equal(await ok(['plugin', 'ls']), 'ID        NAME      DESCRIPTION   ENABLED\n');
  for (const args of [
    ['plugin', 'inspect', 'vieux/sshfs'],
    ['plugin', 'rm', 'vieux/sshfs'],
    ['plugin', 'enable', 'vieux/sshfs'],
  ]) {
    const r = await d.docker(args);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.stderr, /plugin "vieux\/sshfs" not found/);
  }
  const install = await d.docker(['plugin', 'install', '--grant-all-permissions', 'vieux/sshfs']);
  assert.equal(install.code, 1);
  assert.match(install.stderr, /Berth does not support Engine plugins/);
});

test('docker-py events(since=, until=, decode=True): the replay, filtered, ends at until', {
  skip: skip || (pyDocker() ? false : 'python3-docker is not importable from /usr/bin/python3'),
}, async () => {
  await ok(['run', '--name', 'pyev', 'busybox', 'true']);
  const script = [
    'import docker, time, json, sys',
    `c = docker.DockerClient(base_url='${d.host}')`,
    'now = time.time()',
    // until a little ahead: docker-py sends whole seconds; the stream must end by itself then.
    "ev = list(c.events(since=now - 60, until=int(now) + 2, decode=True, filters={'container': 'pyev'}))",
    "print(json.dumps([e['Action'] for e in ev]))",
  ].join('\n');
  const r = expectOk(await run('/usr/bin/python3', ['-c', script], { timeoutMs: 30_000 }));
  assert.deepEqual(JSON.parse(r.stdout), ['create', 'attach', 'start', 'die']);
});

function pyDocker(): boolean {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import docker'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
