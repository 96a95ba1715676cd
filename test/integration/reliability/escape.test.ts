// Container escapes Docker's defaults block, tried from inside a default container on a real
// berthd and crun: mount, the kernel keyring, new user and mount namespaces, ptrace of a host
// process, writes to /proc/sys and /sys, loading kernel modules, raw sockets once NET_RAW is
// dropped, reading masked /proc files, opening a host block device. The syscall probes are a
// tiny static C program (escape-probe/probe.c) built here and bind-mounted read-only; each
// result was checked against dockerd 20.10 with the same probe (all blocked, with EPERM).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, expectOk, run, useBusyboxDaemon } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';
import { after } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';

const skip =
  requiresRoot('real crun, seccomp, namespaces') || (spawnSync('gcc', ['--version'], { stdio: 'ignore' }).status === 0 ? false : 'gcc is not installed');
const d = useBusyboxDaemon({ before, after }, skip);
let probe: string;

let probeDir: string | undefined;
before(async () => {
  if (skip) return;
  probeDir = await mkdtemp(join(tmpdir(), 'berth-escape-'));
  probe = join(probeDir, 'probe');
  const cc = await run('gcc', ['-static', '-O2', '-o', probe, join(ROOT, 'test/integration/reliability/escape-probe/probe.c')]);
  assert.equal(cc.code, 0, cc.stderr);
});

after(async () => {
  if (probeDir) await rm(probeDir, { recursive: true, force: true });
});

/** Runs the probe in a fresh default container (plus `flags`) and returns its one-line verdict. */
async function tryIn(flags: string[], ...args: string[]): Promise<string> {
  const r = expectOk(await d.berth(['run', '--rm', ...flags, '-v', `${probe}:/probe:ro`, 'busybox', '/probe', ...args], { timeoutMs: 60_000 }));
  return r.stdout.trim();
}
const sh = (script: string, flags: string[] = []) => d.berth(['run', '--rm', ...flags, 'busybox', 'sh', '-c', script], { timeoutMs: 60_000 });

test('mount, the kernel keyring, and new user or mount namespaces are refused (EPERM, as Docker)', { skip }, async () => {
  for (const p of ['mount', 'keyctl', 'add_key', 'unshare-user', 'unshare-mount']) assert.equal(await tryIn([], p), 'blocked EPERM', p);
  const m = await sh('mount -t tmpfs none /tmp');
  assert.notEqual(m.code, 0);
  // The same filter holds for an exec'd process.
  const name = `escape-exec-${process.pid}`;
  expectOk(await d.berth(['run', '-d', '--name', name, '-v', `${probe}:/probe:ro`, 'busybox', 'sleep', '300']));
  try {
    assert.equal(expectOk(await d.berth(['exec', name, '/probe', 'unshare-user'])).stdout.trim(), 'blocked EPERM');
    assert.equal(expectOk(await d.berth(['exec', name, '/probe', 'keyctl'])).stdout.trim(), 'blocked EPERM');
  } finally {
    await d.berth(['rm', '-f', name]);
  }
  // The probe is not broken: with CAP_SYS_ADMIN (Docker's rule too) a mount namespace is allowed.
  assert.equal(await tryIn(['--cap-add', 'SYS_ADMIN'], 'unshare-mount'), 'allowed');
});

test('loading or removing kernel modules is refused', { skip }, async () => {
  for (const p of ['init_module', 'finit_module', 'delete_module']) assert.equal(await tryIn([], p), 'blocked EPERM', p);
});

test('ptrace of a host process is refused, even with the host PID namespace', { skip }, async () => {
  assert.equal(await tryIn(['--pid', 'host'], 'ptrace', '1'), 'blocked EPERM');
  assert.equal(await tryIn(['--pid', 'host'], 'ptrace', String(d.proc!.pid)), 'blocked EPERM');
});

test('raw sockets: allowed by default (NET_RAW is a default capability), refused once NET_RAW is dropped', { skip }, async () => {
  assert.equal(await tryIn([], 'raw-socket'), 'allowed');
  assert.equal(await tryIn(['--cap-drop', 'NET_RAW'], 'raw-socket'), 'blocked EPERM');
});

test('/proc/sys and /sys are read-only; /proc/kcore and the other masked files read as nothing', { skip }, async () => {
  for (const f of ['/proc/sys/kernel/panic', '/proc/sys/vm/drop_caches', '/sys/kernel/profiling']) {
    const r = await sh(`echo 1 > ${f}`);
    assert.notEqual(r.code, 0, f);
    assert.match(r.stderr, /Read-only file system/, f);
  }
  // /proc/kcore does not exist on every kernel; where it does it is masked with /dev/null.
  assert.equal(expectOk(await sh('cat /proc/kcore 2>/dev/null | wc -c')).stdout.trim(), '0');
  assert.ok(readFileSync('/proc/timer_list').length > 0, 'the host has a /proc/timer_list to hide');
  assert.equal(expectOk(await sh('wc -c < /proc/timer_list')).stdout.trim(), '0');
  assert.equal(expectOk(await sh('wc -c < /proc/keys')).stdout.trim(), '0');
});

test('a block device node made in the container cannot be opened (device cgroup)', { skip }, async () => {
  const r = await sh('mkdir -p /t && mknod /t/sda b 8 0 && head -c 1 /t/sda');
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /Operation not permitted/);
});
