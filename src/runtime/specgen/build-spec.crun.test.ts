// Runs specs from buildSpec under the real crun and checks, from inside the container, that
// each security default and limit took effect. Root only (crun, cgroups).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildSpec, specToJson } from './build-spec.js';
import type { SpecInput } from './spec-input.js';
import { makeBusyboxRootfs, removeTestCgroups, requiresCrun } from '../../../test/support/crun.js';

const run = promisify(execFile);
const tag = `berth-spec-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const cgroupParent = `/${tag}`;
let dir: string;
let rootfs: string;
let seq = 0;
const skip = requiresCrun();

before(async () => {
  if (skip) return;
  dir = await mkdtemp(join(tmpdir(), `${tag}-`));
  rootfs = join(dir, 'rootfs');
  await makeBusyboxRootfs(rootfs);
  await writeFile(join(rootfs, 'etc/passwd'), 'user1000:x:1000:1000::/home/u:/bin/sh\n', { flag: 'a' });
});

after(async () => {
  if (skip) return;
  await removeTestCgroups(tag);
  await rm(dir, { recursive: true, force: true });
});

/** Builds a spec, runs it to completion under crun, returns stdout/stderr/exit code. */
async function runIn(script: string, over: Partial<SpecInput> = {}): Promise<{ out: string; err: string; code: number; cgroup: string }> {
  const id = `${tag}-${++seq}`;
  const cgroup = `${cgroupParent}/${id}`;
  const input: SpecInput = {
    rootfsPath: rootfs,
    args: ['/bin/sh', '-c', script],
    env: [],
    cwd: '/',
    user: '',
    tty: false,
    hostname: 'spectest',
    mounts: [],
    cgroupsPath: cgroup,
    netns: 'new',
    ...over,
  };
  const spec = await buildSpec(input);
  const bundle = join(dir, id);
  await mkdir(bundle);
  await writeFile(join(bundle, 'config.json'), specToJson(spec));
  const state = join(dir, 'state');
  try {
    const r = await run('crun', ['--root', state, 'run', '--bundle', bundle, id], { timeout: 20000 });
    return { out: r.stdout, err: r.stderr, code: 0, cgroup };
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string; code?: number };
    return { out: x.stdout ?? '', err: x.stderr ?? '', code: typeof x.code === 'number' ? x.code : -1, cgroup };
  } finally {
    await run('crun', ['--root', state, 'delete', '-f', id]).catch(() => {});
  }
}

const field = (out: string, name: string) => new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(out)?.[1];

test('default container: Docker caps, seccomp, masks, private net, nofile clamp', { skip }, async () => {
  const r = await runIn(
    'grep -E "^(Cap|Seccomp:|NoNewPrivs)" /proc/self/status; echo timer=$(wc -c < /proc/timer_list); echo keys=$(wc -c < /proc/keys); ls /proc/kcore 2>/dev/null; echo net=$(ls /sys/class/net); echo nofile=$(ulimit -n); hostname; echo HOME=$HOME; grep " /proc/sys " /proc/mounts',
  );
  assert.equal(r.code, 0, r.err);
  assert.equal(field(r.out, 'CapEff'), '00000000a80425fb');
  assert.equal(field(r.out, 'CapBnd'), '00000000a80425fb');
  assert.equal(field(r.out, 'CapInh'), '0000000000000000');
  assert.equal(field(r.out, 'Seccomp'), '2');
  assert.equal(field(r.out, 'NoNewPrivs'), '0');
  assert.match(r.out, /^timer=0$/m);
  assert.match(r.out, /^keys=0$/m);
  assert.match(r.out, /^net=lo$/m);
  assert.match(r.out, /^nofile=20000$/m);
  assert.match(r.out, /^spectest$/m);
  assert.match(r.out, /^HOME=\/root$/m);
  assert.match(r.out, /proc\/sys proc ro,/);
});

test('users: nobody, 1000:1000, www-data, uid:group; non-root has no effective caps', { skip }, async () => {
  const nobody = await runIn('id; grep -E "^Cap(Eff|Bnd)" /proc/self/status; echo HOME=$HOME', { user: 'nobody' });
  assert.equal(nobody.code, 0, nobody.err);
  assert.match(nobody.out, /^uid=65534\(nobody\) gid=65534\(nogroup\)/m);
  assert.equal(field(nobody.out, 'CapEff'), '0000000000000000');
  assert.equal(field(nobody.out, 'CapBnd'), '00000000a80425fb');
  assert.match(nobody.out, /^HOME=\/home$/m);
  const numeric = await runIn('id -u; id -g', { user: '1000:1000' });
  assert.equal(numeric.out, '1000\n1000\n');
  const www = await runIn('id', { user: 'www-data', groupAdd: ['wheel'] });
  assert.match(www.out, /^uid=33\(www-data\) gid=33\(www-data\) groups=10\(wheel\)/m);
  const mixed = await runIn('id -u; id -g', { user: '4321:daemon' });
  assert.equal(mixed.out, '4321\n1\n');
});

test('read-only rootfs and no-new-privileges', { skip }, async () => {
  const r = await runIn('touch /x && echo wrote; grep NoNewPrivs /proc/self/status', { readonlyRootfs: true, noNewPrivileges: true });
  assert.doesNotMatch(r.out, /wrote/);
  assert.match(r.err + r.out, /Read-only file system/);
  assert.equal(field(r.out, 'NoNewPrivs'), '1');
  assert.ok(!existsSync(join(rootfs, 'x')));
});

test('memory, pids and cpu limits land in the container cgroup', { skip }, async () => {
  const script =
    'for c in memory pids cpu; do cat /proc/self/cgroup | grep ":$c:"; done; ' +
    'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us';
  const r = await runIn(script, { resources: { memory: 64 * 1024 * 1024, pidsLimit: 20, nanoCpus: 5e8 } });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, new RegExp(`:memory:${r.cgroup}$`, 'm'));
  assert.match(r.out, /^67108864\n20\n50000\n100000\n$/m);
});

test('pids limit is enforced', { skip }, async () => {
  const script = 'for i in 1 2 3 4 5 6 7 8; do sleep 1 & done; wait; echo all-started';
  const ok = await runIn(script, { resources: { pidsLimit: 50 } });
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /all-started/);
  const limited = await runIn(script, { resources: { pidsLimit: 5 } });
  assert.notEqual(limited.code, 0);
  assert.doesNotMatch(limited.out, /all-started/);
  assert.match(limited.err, /can't fork/);
});

test('--init runs the command under tini or catatonit as PID 1', { skip }, async () => {
  // Static builds only: Debian's /usr/bin/tini is dynamic and cannot run in a busybox rootfs.
  for (const init of ['/usr/bin/tini-static', '/usr/bin/catatonit']) {
    if (!existsSync(init)) continue;
    const r = await runIn('tr "\\0" " " < /proc/1/cmdline; echo; echo pid=$$', { init: { hostPath: init } });
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^\/sbin\/docker-init -- \/bin\/sh -c /m);
    assert.doesNotMatch(r.out, /^pid=1$/m);
  }
});

test('cap-add/drop and unlimited ulimit reach the process', { skip }, async () => {
  const r = await runIn('grep CapEff /proc/self/status; ulimit -c; ulimit -n', {
    capAdd: ['net_admin'],
    capDrop: ['CAP_MKNOD'],
    ulimits: [
      { name: 'core', soft: -1, hard: -1 },
      { name: 'nofile', soft: 1024, hard: 4096 },
    ],
  });
  assert.equal(r.code, 0, r.err);
  // Docker's set (a80425fb) + NET_ADMIN (bit 12) - MKNOD (bit 27).
  assert.equal(field(r.out, 'CapEff'), '00000000a00435fb');
  assert.match(r.out, /^unlimited\n1024$/m);
});

test('privileged: every host capability, no seccomp, no masks, rw /sys', { skip }, async () => {
  const hostBnd = field(await readFile('/proc/self/status', 'utf8'), 'CapBnd');
  const r = await runIn(
    'grep -E "^(CapEff|CapBnd|Seccomp:)" /proc/self/status; echo timer=$(wc -c < /proc/timer_list); grep " /sys sysfs" /proc/mounts; ls /dev/loop-control',
    { privileged: true },
  );
  assert.equal(r.code, 0, r.err);
  assert.equal(field(r.out, 'CapBnd'), hostBnd);
  assert.equal(field(r.out, 'CapEff'), hostBnd);
  assert.equal(field(r.out, 'Seccomp'), '0');
  assert.doesNotMatch(r.out, /^timer=0$/m);
  assert.match(r.out, /\/sys sysfs rw,/);
});

test('a custom seccomp profile is enforced; unconfined disables filtering', { skip }, async () => {
  const profile = join(dir, 'deny-mkdir.json');
  await writeFile(
    profile,
    JSON.stringify({
      defaultAction: 'SCMP_ACT_ALLOW',
      archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] }],
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
    }),
  );
  const denied = await runIn('mkdir /tmp/d && echo made', { seccomp: { profilePath: profile } });
  assert.doesNotMatch(denied.out, /made/);
  assert.match(denied.err, /Operation not permitted/);
  const free = await runIn('grep Seccomp: /proc/self/status; mkdir /tmp/d2 && echo made && rmdir /tmp/d2', { seccomp: 'unconfined' });
  assert.equal(field(free.out, 'Seccomp'), '0');
  assert.match(free.out, /made/);
});
