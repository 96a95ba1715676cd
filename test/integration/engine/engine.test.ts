// The engine spine end to end: a real berthd on a temporary data root, real crun containers
// from an imported busybox image, driven through the berth CLI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useBusyboxDaemon, expectOk } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';

const skip = requiresRoot('real crun, overlayfs, cgroups');
const d = useBusyboxDaemon({ before, after }, skip);

const ok = expectOk;

test('run prints output and returns the exit code', { skip }, async () => {
  const r = await d.berth(['run', '--rm', 'busybox', 'echo', 'hello']);
  assert.equal(r.stdout, 'hello\n');
  assert.equal(r.code, 0, r.stderr);
  const r3 = await d.berth(['run', '--rm', 'busybox', 'sh', '-c', 'echo err >&2; exit 3']);
  assert.equal(r3.code, 3);
  assert.equal(r3.stderr, 'err\n');
  const gone = await d.berth(['ps', '-aq']);
  assert.equal(gone.stdout.trim(), '', '--rm removed the containers');
});

test('stdin is passed with -i and closes at EOF', { skip }, async () => {
  const r = await d.berth(['run', '--rm', '-i', 'busybox', 'sh', '-c', 'wc -c'], { input: 'abcdef' });
  assert.equal(r.stdout.trim(), '6');
  assert.equal(r.code, 0);
});

test('a command that does not exist exits 127; a bad image is an error', { skip }, async () => {
  const r = await d.berth(['run', '--rm', 'busybox', 'no-such-command']);
  assert.equal(r.code, 127, r.stderr);
  const bad = await d.berth(['run', '--rm', 'Busybox:TAG!', 'true']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /invalid reference format/);
});

test('detached container: ps, logs, exec, inspect, top, stop, rm', { skip }, async () => {
  const name = `web-${process.pid}`;
  const r = await d.berth(['run', '-d', '--name', name, '-e', 'GREETING=hi', 'busybox', 'sh', '-c', 'echo started; echo oops >&2; exec httpd -f -p 8080']);
  assert.equal(r.code, 0, r.stderr);
  const id = r.stdout.trim();
  assert.match(id, /^[a-f0-9]{64}$/);

  const ps = await d.berth(['ps', '--filter', `name=${name}`, '--format', '{{.Names}} {{.Status}}']);
  assert.match(ps.stdout, new RegExp(`^${name} Up `));
  const q = await d.berth(['ps', '-q']);
  assert.ok(q.stdout.includes(id.slice(0, 12)));

  // Logs arrive once the process wrote them.
  for (let i = 0; i < 50 && !(await d.berth(['logs', name])).stderr.includes('oops'); i++) await new Promise((res) => setTimeout(res, 100));
  const split = await d.berth(['logs', name]);
  assert.equal(split.stdout, 'started\n');
  assert.equal(split.stderr, 'oops\n');
  const stamped = await d.berth(['logs', '-t', '--tail', '1', name]);
  assert.match(stamped.stdout + stamped.stderr, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z (started|oops)\n$/);

  const ex = await d.berth(['exec', '-e', 'X=1', '-w', '/tmp', name, 'sh', '-c', 'echo $GREETING $X $(pwd) $(id -u)']);
  assert.equal(ex.stdout, 'hi 1 /tmp 0\n');
  const exu = await d.berth(['exec', '-u', '1000', name, 'id', '-u']);
  assert.equal(exu.stdout.trim(), '1000');
  const exCode = await d.berth(['exec', name, 'sh', '-c', 'exit 5']);
  assert.equal(exCode.code, 5);

  const status = await d.berth(['inspect', '-f', '{{.State.Status}} {{.State.Running}} {{.Name}}', name]);
  assert.equal(status.stdout.trim(), `running true /${name}`);
  const top = await d.berth(['top', name]);
  assert.match(top.stdout, /httpd/);

  const stop = await d.berth(['stop', '-t', '2', name]);
  assert.equal(stop.code, 0, stop.stderr);
  const after = await d.berth(['inspect', '-f', '{{.State.Status}}', name]);
  assert.equal(after.stdout.trim(), 'exited');
  const rm = await d.berth(['rm', name]);
  assert.equal(rm.code, 0, rm.stderr);
  const missing = await d.berth(['inspect', name]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /No such (container|object)/);
});

test('cp in and out of a container', { skip }, async () => {
  const name = `cp-${process.pid}`;
  ok(await d.berth(['run', '-d', '--name', name, '--hostname', 'cphost', 'busybox', 'sleep', '600']));
  const dir = await mkdtemp(join(tmpdir(), 'berth-cp-'));
  try {
    const out = await d.berth(['cp', `${name}:/etc/hostname`, dir]);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(await readFile(join(dir, 'hostname'), 'utf8'), 'cphost\n');
    await writeFile(join(dir, 'file.txt'), 'payload');
    const inn = await d.berth(['cp', join(dir, 'file.txt'), `${name}:/tmp/`]);
    assert.equal(inn.code, 0, inn.stderr);
    const cat = await d.berth(['exec', name, 'cat', '/tmp/file.txt']);
    assert.equal(cat.stdout, 'payload');
  } finally {
    await rm(dir, { recursive: true, force: true });
    await d.berth(['rm', '-f', name]);
  }
});

test('kill, restart, pause, wait', { skip }, async () => {
  const name = `life-${process.pid}`;
  ok(await d.berth(['run', '-d', '--name', name, 'busybox', 'sleep', '600']));
  ok(await d.berth(['pause', name]));
  assert.equal((await d.berth(['inspect', '-f', '{{.State.Status}}', name])).stdout.trim(), 'paused');
  ok(await d.berth(['unpause', name]));
  const waiting = d.berth(['wait', name]);
  ok(await d.berth(['kill', '-s', 'KILL', name]));
  assert.equal((await waiting).stdout.trim(), '137');
  ok(await d.berth(['restart', name]));
  assert.equal((await d.berth(['inspect', '-f', '{{.State.Status}}', name])).stdout.trim(), 'running');
  ok(await d.berth(['rm', '-f', name]));
});

test('images: inspect, tag, history, save and load, rmi', { skip }, async () => {
  const ins = await d.berth(['image', 'inspect', '-f', '{{.Os}} {{len .RootFS.Layers}}', 'busybox']);
  assert.equal(ins.stdout.trim(), 'linux 1');
  ok(await d.berth(['tag', 'busybox', 'mybox:v1']));
  const imgs = await d.berth(['images', '--format', '{{.Repository}}:{{.Tag}}']);
  assert.ok(imgs.stdout.split('\n').includes('mybox:v1'), imgs.stdout);
  const dir = await mkdtemp(join(tmpdir(), 'berth-save-'));
  try {
    const tar = join(dir, 'x.tar');
    ok(await d.berth(['save', '-o', tar, 'mybox:v1']));
    assert.ok(existsSync(tar));
    ok(await d.berth(['rmi', 'mybox:v1']));
    const load = await d.berth(['load', '-i', tar]);
    assert.equal(load.code, 0, load.stderr);
    assert.match(load.stdout, /Loaded image: mybox:v1/);
    ok(await d.berth(['rmi', 'mybox:v1']));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const hist = await d.berth(['history', 'busybox']);
  assert.match(hist.stdout, /IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT/);
});

test('commit makes an image of a container', { skip }, async () => {
  const name = `commit-${process.pid}`;
  ok(await d.berth(['run', '--name', name, 'busybox', 'sh', '-c', 'echo committed > /marker']));
  const c = await d.berth(['commit', name, 'committed:1']);
  assert.equal(c.code, 0, c.stderr);
  const r = await d.berth(['run', '--rm', 'committed:1', 'cat', '/marker']);
  assert.equal(r.stdout, 'committed\n');
  await d.berth(['rm', name]);
  ok(await d.berth(['rmi', 'committed:1']));
});

test('containers survive kill -9 of berthd and are re-adopted', { skip }, async () => {
  const name = `survivor-${process.pid}`;
  ok(await d.berth(['run', '-d', '--name', name, 'busybox', 'sh', '-c', 'sleep 1; echo tick; sleep 2; exit 7']));
  const short = `short-${process.pid}`;
  ok(await d.berth(['run', '-d', '--name', short, 'busybox', 'sleep', '600']));
  await d.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 300));
  await d.start();
  assert.equal((await d.berth(['inspect', '-f', '{{.State.Status}}', short])).stdout.trim(), 'running');
  const w = await d.berth(['wait', name], { timeoutMs: 20_000 });
  assert.equal(w.stdout.trim(), '7');
  const logs = await d.berth(['logs', name]);
  assert.equal(logs.stdout, 'tick\n');
  ok(await d.berth(['rm', '-f', name, short]));
});
