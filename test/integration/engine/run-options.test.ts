// `run` flags that shape the container: security defaults and their overrides, cgroup limits,
// init, users, env files, labels, restart policies, stop signals. Checked from inside real
// containers and from the host's cgroup files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { useBusyboxDaemon, expectOk } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';

const skip = requiresRoot('real crun, overlayfs, cgroups');
const d = useBusyboxDaemon({ before, after }, skip);

const ok = expectOk;

async function out(args: string[]): Promise<string> {
  return ok(await d.berth(['run', '--rm', ...args])).stdout;
}

async function until(what: string, fn: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test("Docker's default capabilities, seccomp and masked paths; --cap-add/--cap-drop; --privileged", { skip }, async () => {
  const status = await out(['busybox', 'sh', '-c', 'grep -E "^(CapEff|CapBnd|Seccomp|NoNewPrivs):" /proc/self/status']);
  assert.match(status, /CapEff:\s+00000000a80425fb/);
  assert.match(status, /Seccomp:\s+2/);
  assert.equal((await out(['busybox', 'sh', '-c', 'cat /proc/timer_list | wc -c'])).trim(), '0');
  const dropped = await out(['--cap-drop', 'CHOWN', '--cap-add', 'NET_ADMIN', 'busybox', 'grep', 'CapEff', '/proc/self/status']);
  assert.match(dropped, /CapEff:\s+00000000a80435fa/);
  const priv = await out(['--privileged', 'busybox', 'sh', '-c', 'grep Seccomp: /proc/self/status; ls /dev | wc -l']);
  assert.match(priv, /Seccomp:\s+0/);
  const nnp = await out(['--security-opt', 'no-new-privileges', 'busybox', 'grep', 'NoNewPrivs', '/proc/self/status']);
  assert.match(nnp, /NoNewPrivs:\s+1/);
  const unconfined = await out(['--security-opt', 'seccomp=unconfined', 'busybox', 'grep', 'Seccomp:', '/proc/self/status']);
  assert.match(unconfined, /Seccomp:\s+0/);
});

test('--read-only root, --user, --workdir, --hostname, --env-file, --entrypoint', { skip }, async () => {
  const ro = await d.berth(['run', '--rm', '--read-only', 'busybox', 'touch', '/x']);
  assert.notEqual(ro.code, 0);
  assert.match(ro.stderr, /Read-only file system/);
  assert.equal((await out(['-u', 'nobody', 'busybox', 'id'])).trim(), 'uid=65534(nobody) gid=65534(nogroup)');
  assert.equal((await out(['-u', '1000:1000', '-w', '/tmp', 'busybox', 'sh', '-c', 'echo $(id -u):$(id -g) $(pwd)'])).trim(), '1000:1000 /tmp');
  const badUser = await d.berth(['run', '--rm', '-u', 'nosuchuser', 'busybox', 'true']);
  assert.notEqual(badUser.code, 0);
  assert.match(badUser.stderr, /unable to find user nosuchuser/);
  assert.equal((await out(['--hostname', 'boat', 'busybox', 'hostname'])).trim(), 'boat');
  const envFile = join(d.dir, 'env.list');
  await writeFile(envFile, '# comment\nA=1\nB=two words\n');
  assert.equal((await out(['--env-file', envFile, '-e', 'C=3', 'busybox', 'sh', '-c', 'echo "$A|$B|$C"'])).trim(), '1|two words|3');
  assert.equal((await out(['--entrypoint', 'echo', 'busybox', 'via', 'entrypoint'])).trim(), 'via entrypoint');
});

test('--memory, --cpus, --pids-limit land in the cgroup; --init runs tini as PID 1', { skip }, async () => {
  const name = `limits-${process.pid}`;
  ok(await d.berth(['run', '-d', '--name', name, '--memory', '64m', '--cpus', '0.5', '--pids-limit', '20', 'busybox', 'sleep', '600']));
  const id = (await d.berth(['inspect', '-f', '{{.Id}}', name])).stdout.trim();
  const cg = (ctl: string, file: string) => readFile(join('/sys/fs/cgroup', ctl, d.cgroupParent, id, file), 'utf8').then((s) => s.trim());
  assert.equal(await cg('memory', 'memory.limit_in_bytes'), String(64 * 1024 * 1024));
  assert.equal(await cg('cpu', 'cpu.cfs_quota_us'), '50000');
  assert.equal(await cg('pids', 'pids.max'), '20');
  const mem = await d.berth(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}', name]);
  assert.equal(mem.stdout.trim(), `${64 * 1024 * 1024} 500000000 20`);
  ok(await d.berth(['update', '--memory', '128m', name]));
  assert.equal(await cg('memory', 'memory.limit_in_bytes'), String(128 * 1024 * 1024));
  ok(await d.berth(['rm', '-f', name]));
  const init = await out(['--init', 'busybox', 'sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "']);
  assert.match(init, /^\/sbin\/docker-init -- sh -c/);
});

test('labels, --stop-signal and --stop-timeout', { skip }, async () => {
  const name = `stop-${process.pid}`;
  ok(
    await d.berth([
      'run',
      '-d',
      '--name',
      name,
      '-l',
      'team=boats',
      '--stop-signal',
      'SIGUSR1',
      '--stop-timeout',
      '1',
      'busybox',
      'sh',
      '-c',
      'trap "echo got-usr1; exit 9" USR1; while true; do sleep 0.1; done',
    ]),
  );
  assert.equal((await d.berth(['ps', '--filter', 'label=team=boats', '--format', '{{.Names}}'])).stdout.trim(), name);
  await new Promise((r) => setTimeout(r, 300));
  ok(await d.berth(['stop', name]));
  assert.equal((await d.berth(['inspect', '-f', '{{.State.ExitCode}}', name])).stdout.trim(), '9');
  assert.match((await d.berth(['logs', name])).stdout, /got-usr1/);
  ok(await d.berth(['rm', name]));
});

test('restart policies: on-failure retries, always restarts, a stop is final; they survive a daemon restart', { skip }, async () => {
  const flaky = `flaky-${process.pid}`;
  ok(await d.berth(['run', '-d', '--name', flaky, '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'echo run; exit 1']));
  await until('two restarts', async () => (await d.berth(['inspect', '-f', '{{.RestartCount}} {{.State.Status}}', flaky])).stdout.trim() === '2 exited');
  assert.equal((await d.berth(['logs', flaky])).stdout, 'run\nrun\nrun\n');

  const always = `always-${process.pid}`;
  ok(await d.berth(['run', '-d', '--name', always, '--restart', 'always', 'busybox', 'sh', '-c', 'sleep 0.2; exit 0']));
  await until('a restart', async () => Number((await d.berth(['inspect', '-f', '{{.RestartCount}}', always])).stdout.trim()) >= 1);
  ok(await d.berth(['stop', '-t', '1', always]));
  const countAfterStop = (await d.berth(['inspect', '-f', '{{.RestartCount}}', always])).stdout.trim();
  await new Promise((r) => setTimeout(r, 700));
  assert.equal((await d.berth(['inspect', '-f', '{{.State.Status}} {{.RestartCount}}', always])).stdout.trim(), `exited ${countAfterStop}`);

  // A crash of berthd does not lose the policy: an 'always' container that dies meanwhile comes back.
  const keeper = `keeper-${process.pid}`;
  ok(await d.berth(['run', '-d', '--name', keeper, '--restart', 'always', 'busybox', 'sleep', '600']));
  const pid = Number((await d.berth(['inspect', '-f', '{{.State.Pid}}', keeper])).stdout.trim());
  await d.kill('SIGKILL');
  process.kill(pid, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 300));
  await d.start();
  await until('the keeper to run again', async () => {
    const s = (await d.berth(['inspect', '-f', '{{.State.Status}} {{.State.Pid}}', keeper])).stdout.trim().split(' ');
    return s[0] === 'running' && Number(s[1]) !== pid;
  });
  ok(await d.berth(['rm', '-f', flaky, always, keeper]));
});

test('healthchecks: healthy, then unhealthy after retries, with events and State.Health', { skip }, async () => {
  const name = `health-${process.pid}`;
  ok(
    await d.berth([
      'run',
      '-d',
      '--name',
      name,
      '--health-cmd',
      'test -e /tmp/ok && echo fine',
      '--health-interval',
      '200ms',
      '--health-retries',
      '2',
      'busybox',
      'sh',
      '-c',
      'touch /tmp/ok; sleep 600',
    ]),
  );
  const health = async () => (await d.berth(['inspect', '-f', '{{.State.Health.Status}} {{.State.Health.FailingStreak}}', name])).stdout.trim();
  await until('healthy', async () => (await health()).startsWith('healthy'));
  assert.match((await d.berth(['ps', '--filter', `name=${name}`, '--format', '{{.Status}}'])).stdout, /\(healthy\)/);
  const logOut = (await d.berth(['inspect', '-f', '{{(index .State.Health.Log 0).Output}}', name])).stdout;
  assert.match(logOut, /fine/);
  ok(await d.berth(['exec', name, 'rm', '/tmp/ok']));
  await until('unhealthy', async () => (await health()).startsWith('unhealthy'));
  assert.equal((await d.berth(['ps', '--filter', 'health=unhealthy', '--format', '{{.Names}}'])).stdout.trim(), name);
  ok(await d.berth(['rm', '-f', name]));
});

test('events, system df, container and image prune', { skip }, async () => {
  const since = Math.floor(Date.now() / 1000) - 1;
  const name = `ev-${process.pid}`;
  ok(await d.berth(['run', '--name', name, 'busybox', 'true']));
  const ev = await d.berth([
    'events',
    '--since',
    String(since),
    '--until',
    String(Math.floor(Date.now() / 1000) + 1),
    '--filter',
    `container=${name}`,
    '--format',
    '{{.Action}}',
  ]);
  const actions = ev.stdout.trim().split('\n');
  for (const a of ['create', 'start', 'die']) assert.ok(actions.includes(a), `missing ${a} in ${ev.stdout}`);
  const df = ok(await d.berth(['system', 'df']));
  assert.match(df.stdout, /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE/);
  assert.match(df.stdout, /Images\s+1\s+/);
  const pruned = ok(await d.berth(['container', 'prune', '-f']));
  assert.match(pruned.stdout, /Deleted Containers:/);
  assert.equal((await d.berth(['ps', '-aq'])).stdout.trim(), '');
  ok(await d.berth(['tag', 'busybox', 'dangle:1']));
  const c = ok(await d.berth(['commit', ok(await d.berth(['create', 'dangle:1', 'true'])).stdout.trim(), 'dangle:2']));
  assert.match(c.stdout, /^sha256:/);
  ok(await d.berth(['container', 'prune', '-f']));
  ok(await d.berth(['rmi', 'dangle:1']));
  const img = ok(await d.berth(['image', 'prune', '-a', '-f']));
  assert.match(img.stdout, /Total reclaimed space/);
  assert.equal((await d.berth(['images', '-q', 'dangle'])).stdout.trim(), '');
});
