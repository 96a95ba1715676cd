import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBerthError } from '../../lib/errors.js';
import { SPEC_STEPS, buildResources, buildSpec, specToJson } from './build-spec.js';
import { CAPABILITY_NAMES, DEFAULT_CAPABILITIES, capabilityMask } from './capabilities.js';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from './defaults.js';
import type { HostFacts } from './host-facts.js';
import type { SpecInput } from './spec-input.js';

let dir: string;
let rootfs: string;
// A host like this machine: no CAP_SYS_RESOURCE, nofile hard limit 20000, no blkio weight.
const host: Partial<HostFacts> = {
  capabilities: CAPABILITY_NAMES.filter((c) => c !== 'CAP_SYS_RESOURCE'),
  rlimits: { RLIMIT_NOFILE: { soft: 20000, hard: 20000 }, RLIMIT_CORE: { soft: 0, hard: Infinity }, RLIMIT_NPROC: { soft: 500, hard: 1000 } },
  kernel: '6.18.0',
  arch: 'amd64',
  cgroup: { swap: true, blkioWeight: false },
  listHostDevices: async () => [{ type: 'c', path: '/dev/loop-control', major: 10, minor: 237, fileMode: 0o660, uid: 0, gid: 6 }],
  devicesAt: async (p) => [{ type: 'c', path: p, major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 }],
};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), `berth-spec-${process.pid}-`));
  rootfs = join(dir, 'rootfs');
  await mkdir(join(rootfs, 'etc'), { recursive: true });
  await writeFile(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nwww-data:x:33:33::/var/www:/bin/false\n');
  await writeFile(join(rootfs, 'etc/group'), 'root:x:0:\nwww-data:x:33:\nwheel:x:10:root\n');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function input(over: Partial<SpecInput> = {}): SpecInput {
  return {
    rootfsPath: rootfs,
    args: ['sh'],
    env: [],
    cwd: '',
    user: '',
    tty: false,
    hostname: 'abc123',
    mounts: [],
    cgroupsPath: '/berth/x',
    netns: 'new',
    ...over,
  };
}
const build = (over: Partial<SpecInput> = {}, warnings: string[] = []) => buildSpec(input(over), { host, warnings });

test('steps run in a fixed, documented order', () => {
  assert.deepEqual(
    SPEC_STEPS.map((s) => s.name),
    [
      'base',
      'process',
      'user',
      'env',
      'cwd',
      'capabilities',
      'rlimits',
      'namespaces',
      'root',
      'default-mounts',
      'user-mounts',
      'devices',
      'masked-paths',
      'seccomp',
      'apparmor',
      'resources',
      'hostname',
      'sysctls',
      'init',
      'privileged',
      'annotations',
    ],
  );
});

test('default spec: Docker capabilities, masks, mounts, namespaces, env', async () => {
  const s = await build();
  const c = s.process.capabilities;
  assert.equal(capabilityMask(c.bounding), 0xa80425fbn);
  assert.deepEqual(c.effective, c.bounding);
  assert.deepEqual(c.permitted, c.bounding);
  assert.deepEqual([c.inheritable, c.ambient], [[], []]);
  assert.deepEqual(s.linux.maskedPaths, DEFAULT_MASKED_PATHS);
  assert.deepEqual(s.linux.readonlyPaths, DEFAULT_READONLY_PATHS);
  assert.deepEqual(
    s.mounts.map((m) => m.destination),
    ['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm'],
  );
  assert.ok(s.mounts.find((m) => m.destination === '/sys')!.options.includes('ro'));
  assert.ok(s.mounts.find((m) => m.destination === '/dev/shm')!.options.includes(`size=${64 * 1024 * 1024}`));
  assert.deepEqual(
    s.linux.namespaces.map((n) => n.type),
    ['pid', 'network', 'ipc', 'uts', 'mount'],
  );
  assert.deepEqual(s.process.env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=abc123', 'HOME=/root']);
  assert.equal(s.process.cwd, '/');
  assert.equal(s.hostname, 'abc123');
  assert.equal(s.root.readonly, false);
  assert.equal(s.process.noNewPrivileges, false);
  assert.equal(s.linux.cgroupsPath, '/berth/x');
  assert.deepEqual(s.linux.resources.devices[0], { allow: false, access: 'rwm' });
  assert.ok(s.linux.resources.devices.some((d) => d.allow && d.type === 'c' && d.major === 1 && d.minor === 3));
  assert.equal(s.linux.seccomp?.defaultAction, 'SCMP_ACT_ERRNO');
});

test('env: image PATH wins, TERM with tty, bare KEY removes, HOME kept when given', async () => {
  const s = await build({ tty: true, env: ['PATH=/x', 'A=1', 'HOSTNAME', 'HOME=/h'] });
  assert.deepEqual(s.process.env, ['PATH=/x', 'TERM=xterm', 'A=1', 'HOME=/h']);
  assert.equal(s.process.terminal, true);
});

test('capabilities: add/drop forms, ALL, unknown, unavailable, non-root', async () => {
  let s = await build({ capAdd: ['net_admin', 'CAP_SYS_ADMIN'], capDrop: ['MKNOD', 'cap_chown'] });
  assert.ok(s.process.capabilities.bounding.includes('CAP_NET_ADMIN'));
  assert.ok(s.process.capabilities.bounding.includes('CAP_SYS_ADMIN'));
  assert.ok(!s.process.capabilities.bounding.includes('CAP_MKNOD'));
  assert.ok(!s.process.capabilities.bounding.includes('CAP_CHOWN'));
  s = await build({ capDrop: ['ALL'], capAdd: ['KILL'] });
  assert.deepEqual(s.process.capabilities.bounding, ['CAP_KILL']);
  s = await build({ capAdd: ['ALL'], capDrop: ['NET_RAW'] });
  assert.equal(s.process.capabilities.bounding.length, host.capabilities!.length - 1);
  const warnings: string[] = [];
  s = await build({ capAdd: ['SYS_RESOURCE'] }, warnings);
  assert.ok(!s.process.capabilities.bounding.includes('CAP_SYS_RESOURCE'));
  assert.match(warnings.join('\n'), /CAP_SYS_RESOURCE/);
  await assert.rejects(build({ capAdd: ['FOO'] }), (e) => isBerthError(e, 'invalid-argument') && e.message === 'unknown capability: "CAP_FOO"');
  s = await build({ user: 'www-data' });
  assert.equal(s.process.capabilities.bounding.length, DEFAULT_CAPABILITIES.length);
  assert.deepEqual([s.process.capabilities.effective, s.process.capabilities.permitted], [[], []]);
  assert.deepEqual(s.process.user, { uid: 33, gid: 33 });
  assert.ok(s.process.env.includes('HOME=/var/www'));
});

test('rlimits are clamped to the host hard limits', async () => {
  let s = await build();
  assert.deepEqual(s.process.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 20000, hard: 20000 }]);
  const warnings: string[] = [];
  s = await build(
    {
      ulimits: [
        { name: 'nofile', soft: 1024, hard: 50000 },
        { name: 'core', soft: -1, hard: -1 },
        { name: 'nproc', soft: 2000, hard: 2000 },
      ],
    },
    warnings,
  );
  assert.deepEqual(s.process.rlimits, [
    { type: 'RLIMIT_NOFILE', soft: 1024, hard: 20000 },
    { type: 'RLIMIT_CORE', soft: Infinity, hard: Infinity },
    { type: 'RLIMIT_NPROC', soft: 1000, hard: 1000 },
  ]);
  assert.equal(warnings.length, 2);
  assert.match(specToJson(s), /"soft": 18446744073709551615/);
  await assert.rejects(build({ ulimits: [{ name: 'bogus', soft: 1, hard: 1 }] }), /invalid ulimit type: bogus/);
  await assert.rejects(build({ ulimits: [{ name: 'nofile', soft: 10, hard: 5 }] }), /soft limit must be less than or equal to hard limit/);
});

test('resources math and validation', async () => {
  const warnings: string[] = [];
  const s = await build(
    { resources: { memory: 64 << 20, nanoCpus: 1.5e9, cpuShares: 512, cpusetCpus: '0', pidsLimit: 50, blkioWeight: 300, memoryReservation: 32 << 20 } },
    warnings,
  );
  assert.deepEqual(s.linux.resources.memory, { limit: 64 << 20, reservation: 32 << 20, swap: 128 << 20 });
  assert.deepEqual(s.linux.resources.cpu, { period: 100000, quota: 150000, shares: 512, cpus: '0' });
  assert.deepEqual(s.linux.resources.pids, { limit: 50 });
  assert.equal(s.linux.resources.blockIO, undefined); // no blkio weight knob on this host
  assert.match(warnings.join(), /Block I\/O weight/);
  assert.deepEqual(buildResources({ memory: 10 << 20, memorySwap: -1, cpuQuota: 50000, cpuPeriod: 100000 }, { host }), {
    memory: { limit: 10 << 20, swap: -1 },
    cpu: { period: 100000, quota: 50000 },
  });
  assert.deepEqual(buildResources({ pidsLimit: 0, nanoCpus: 5e8 }, { host }), { cpu: { period: 100000, quota: 50000 } });
  assert.throws(() => buildResources({ memory: 1 << 20 }, { host }), /Minimum memory limit allowed is 6MB/);
  assert.throws(() => buildResources({ memory: 64 << 20, memorySwap: 32 << 20 }, { host }), /memoryswap limit should be larger/);
  assert.throws(() => buildResources({ nanoCpus: 1e9, cpuQuota: 50000 }, { host }), /Conflicting options/);
});

test('user mounts override defaults and are ordered parents first', async () => {
  const s = await build({
    shmSize: 1 << 20,
    mounts: [
      { destination: '/data/sub/', type: 'bind', source: '/a', options: ['rbind'] },
      { destination: '/data', type: 'bind', source: '/b', options: ['rbind'] },
      { destination: '/dev/shm', type: 'bind', source: '/c', options: ['rbind'] },
    ],
  });
  assert.deepEqual(
    s.mounts.map((m) => m.destination),
    ['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/data', '/data/sub', '/dev/shm'],
  );
  const dev = await build({ mounts: [{ destination: '/dev', type: 'bind', source: '/dev', options: ['rbind'] }] });
  assert.deepEqual(
    dev.mounts.map((m) => m.destination),
    ['/proc', '/sys', '/sys/fs/cgroup', '/dev'],
  );
  await assert.rejects(build({ mounts: [{ destination: 'rel', type: 'bind', source: '/x', options: [] }] }), /must be absolute/);
  const shm = await build({ shmSize: 1 << 20 });
  assert.ok(shm.mounts.find((m) => m.destination === '/dev/shm')!.options.includes('size=1048576'));
});

test('namespaces: host modes omit, paths join, hostname only with private uts', async () => {
  const s = await build({ netns: 'host', pidMode: 'host', ipcMode: { path: '/proc/1/ns/ipc' }, utsMode: 'host', cgroupns: 'private' });
  assert.deepEqual(s.linux.namespaces, [{ type: 'ipc', path: '/proc/1/ns/ipc' }, { type: 'mount' }, { type: 'cgroup' }]);
  assert.equal(s.hostname, undefined);
  const ipcHost = await build({ ipcMode: 'host' });
  assert.equal(ipcHost.mounts.find((m) => m.destination === '/dev/shm')!.type, 'bind');
});

test('read-only root, no-new-privileges, init, annotations, sysctls, cwd', async () => {
  const s = await build({
    readonlyRootfs: true,
    noNewPrivileges: true,
    init: { hostPath: '/usr/bin/tini' },
    annotations: { a: 'b' },
    sysctls: { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1000' },
    cwd: '/w',
    args: ['echo', 'hi'],
  });
  assert.equal(s.root.readonly, true);
  assert.equal(s.process.noNewPrivileges, true);
  assert.deepEqual(s.process.args, ['/sbin/docker-init', '--', 'echo', 'hi']);
  assert.deepEqual(s.mounts.at(-1), { destination: '/sbin/docker-init', type: 'bind', source: '/usr/bin/tini', options: ['bind', 'ro'] });
  assert.deepEqual(s.annotations, { a: 'b' });
  assert.deepEqual(s.linux.sysctl, { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1000' });
  assert.equal(s.process.cwd, '/w');
  await assert.rejects(build({ sysctls: { 'vm.swappiness': '1' } }), /not in a separate kernel namespace/);
  await assert.rejects(build({ netns: 'host', sysctls: { 'net.ipv4.ip_forward': '1' } }), /host network namespace/);
  // A bridge network's sandbox is a joined namespace the container owns: net.* sysctls apply there.
  assert.deepEqual((await build({ netns: { path: '/run/netns/x' }, sysctls: { 'net.core.somaxconn': '1024' } })).linux.sysctl, {
    'net.core.somaxconn': '1024',
  });
  await assert.rejects(build({ cwd: 'rel' }), /needs to be an absolute path/);
  await assert.rejects(build({ args: [] }), /no command specified/);
});

test('devices: --device adds a node and a cgroup rule', async () => {
  const s = await build({ devices: [{ pathOnHost: '/dev/fuse', pathInContainer: '/dev/myfuse', cgroupPermissions: 'rw' }] });
  assert.deepEqual(s.linux.devices, [{ type: 'c', path: '/dev/myfuse', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 }]);
  assert.deepEqual(s.linux.resources.devices.at(-1), { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' });
  await assert.rejects(build({ devices: [{ pathOnHost: '/dev/fuse', pathInContainer: '', cgroupPermissions: 'rwx' }] }), /invalid device mode/);
});

test('privileged: all caps, no seccomp, no masks, rw /sys, all devices', async () => {
  const s = await build({ privileged: true, seccomp: { profilePath: '/nonexistent' } });
  assert.deepEqual(s.process.capabilities.bounding, host.capabilities);
  assert.equal(s.linux.seccomp, undefined);
  assert.deepEqual([s.linux.maskedPaths, s.linux.readonlyPaths], [[], []]);
  assert.ok(!s.mounts.find((m) => m.destination === '/sys')!.options.includes('ro'));
  assert.deepEqual(s.linux.resources.devices, [{ allow: true, access: 'rwm' }]);
  assert.deepEqual(
    s.linux.devices.map((d) => d.path),
    ['/dev/loop-control'],
  );
});

test('seccomp: default profile honours caps and arch; unconfined; custom path', async () => {
  const s = await build();
  const sc = s.linux.seccomp!;
  assert.deepEqual(sc.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  assert.equal(sc.defaultErrnoRet, 38);
  const rulesFor = (spec: typeof s, name: string) => spec.linux.seccomp!.syscalls.filter((r) => r.names.includes(name)).map((r) => r.action);
  assert.deepEqual(rulesFor(s, 'chroot'), ['SCMP_ACT_ALLOW']); // CAP_SYS_CHROOT is a default
  assert.deepEqual(rulesFor(s, 'bpf'), ['SCMP_ACT_ERRNO']); // no CAP_SYS_ADMIN
  assert.deepEqual(rulesFor(s, 'arch_prctl'), ['SCMP_ACT_ALLOW']);
  assert.deepEqual(rulesFor(s, 'sync_file_range2'), []); // ppc64le only
  assert.ok(sc.syscalls.some((r) => r.names.includes('personality') && r.args?.[0]?.value === 8));
  const admin = await build({ capAdd: ['SYS_ADMIN'], capDrop: ['SYS_CHROOT'] });
  assert.deepEqual(rulesFor(admin, 'bpf'), ['SCMP_ACT_ALLOW']);
  assert.deepEqual(rulesFor(admin, 'chroot'), ['SCMP_ACT_ERRNO']);
  assert.equal((await build({ seccomp: 'unconfined' })).linux.seccomp, undefined);
  const custom = join(dir, 'profile.json');
  await writeFile(
    custom,
    JSON.stringify({
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
    }),
  );
  assert.deepEqual((await build({ seccomp: { profilePath: custom } })).linux.seccomp, {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
  });
  await assert.rejects(build({ seccomp: { profilePath: join(dir, 'missing.json') } }), (e) => isBerthError(e, 'invalid-argument'));
  await writeFile(custom, '{not json');
  await assert.rejects(build({ seccomp: { profilePath: custom } }), /Decoding seccomp profile failed/);
});

test("unknown user fails the build with Docker's message", async () => {
  await assert.rejects(build({ user: 'nobody2' }), /unable to find user nobody2: no matching entries in passwd file/);
});

test('device cgroup rules: allowances after the devices, `*` as a wildcard, a bad rule refused', async () => {
  const s = await build({ deviceCgroupRules: ['c 1:3 rwm', 'b 7:* r', 'a *:* m'] });
  assert.deepEqual(s.linux.resources.devices.slice(-3), [
    { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
    { allow: true, type: 'b', major: 7, access: 'r' },
    { allow: true, type: 'a', access: 'm' },
  ]);
  assert.deepEqual(s.linux.devices, [], 'a rule makes no device node');
  await assert.rejects(build({ deviceCgroupRules: ['c 1:3 rwx'] }), /invalid device cgroup rule format: 'c 1:3 rwx'/);
});

test('apparmor=NAME: set on a host with AppArmor, refused on one without (unconfined always passes)', async () => {
  const withHost = (over: Partial<SpecInput>, apparmor: boolean) => buildSpec(input(over), { host: { ...host, apparmor } });
  assert.equal((await withHost({ apparmorProfile: 'my-prof' }, true)).process.apparmorProfile, 'my-prof');
  assert.equal((await withHost({}, true)).process.apparmorProfile, undefined);
  assert.equal((await withHost({ apparmorProfile: 'unconfined' }, false)).process.apparmorProfile, undefined);
  await assert.rejects(withHost({ apparmorProfile: 'my-prof' }, false), /AppArmor profile "my-prof" requested, but AppArmor is not enabled/);
});

test('seccomp profileJson: the JSON the docker CLI sends is converted like a file', async () => {
  const json = JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] });
  const s = await build({ seccomp: { profileJson: json } });
  assert.equal(s.linux.seccomp?.defaultAction, 'SCMP_ACT_ALLOW');
  assert.deepEqual(
    s.linux.seccomp?.syscalls.map((c) => c.names),
    [['mkdir']],
  );
  await assert.rejects(build({ seccomp: { profileJson: '{bad' } }), /Decoding seccomp profile failed/);
});
