import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addContainerFlags, type ContainerFlags } from './container-flags.js';
import { CliContext } from './context.js';
import { buildCreateRequest } from './create-request.js';
import { parseEnvFileText } from '../client/env-file.js';
import { newCommand, parse } from './flags.js';
import { parseMount, parsePublish, parseVolume } from '../client/flag-values.js';
import { PassThrough } from 'node:stream';

// Bodies the docker CLI 28.2.2 sent for the same command lines (captured from a fake socket).
const DOCKER_FULL = {
  Hostname: 'h1',
  Domainname: '',
  User: '1000:1000',
  AttachStdin: false,
  AttachStdout: false,
  AttachStderr: false,
  ExposedPorts: { '53/udp': {}, '80/tcp': {} },
  Tty: false,
  OpenStdin: false,
  StdinOnce: false,
  Env: ['A=fromenv', 'B=2'],
  Cmd: ['ls', '-l'],
  Image: 'busybox',
  Volumes: {},
  WorkingDir: '/app',
  Entrypoint: ['/bin/sh'],
  OnBuild: null,
  Labels: { x: 'y' },
  StopSignal: 'SIGINT',
  StopTimeout: 7,
  HostConfig: {
    Binds: ['/tmp:/data:ro'],
    ContainerIDFile: '',
    LogConfig: { Type: '', Config: {} },
    NetworkMode: 'host',
    PortBindings: { '53/udp': [{ HostIp: '127.0.0.1', HostPort: '53' }], '80/tcp': [{ HostIp: '', HostPort: '8080' }] },
    RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
    AutoRemove: false,
    VolumeDriver: '',
    VolumesFrom: null,
    ConsoleSize: [0, 0],
    CapAdd: ['CAP_NET_ADMIN'],
    CapDrop: ['ALL'],
    CgroupnsMode: '',
    Dns: [],
    DnsOptions: [],
    DnsSearch: [],
    ExtraHosts: ['a:1.2.3.4'],
    GroupAdd: null,
    IpcMode: '',
    Cgroup: '',
    Links: null,
    OomScoreAdj: 0,
    PidMode: '',
    Privileged: true,
    PublishAllPorts: false,
    ReadonlyRootfs: true,
    SecurityOpt: ['no-new-privileges'],
    Tmpfs: { '/run': 'size=1m' },
    UTSMode: '',
    UsernsMode: '',
    ShmSize: 0,
    Isolation: '',
    CpuShares: 0,
    Memory: 536870912,
    NanoCpus: 1500000000,
    CgroupParent: '',
    BlkioWeight: 0,
    BlkioWeightDevice: [],
    BlkioDeviceReadBps: [],
    BlkioDeviceWriteBps: [],
    BlkioDeviceReadIOps: [],
    BlkioDeviceWriteIOps: [],
    CpuPeriod: 0,
    CpuQuota: 0,
    CpuRealtimePeriod: 0,
    CpuRealtimeRuntime: 0,
    CpusetCpus: '',
    CpusetMems: '',
    Devices: [],
    DeviceCgroupRules: null,
    DeviceRequests: null,
    MemoryReservation: 0,
    MemorySwap: 0,
    MemorySwappiness: -1,
    OomKillDisable: false,
    PidsLimit: 100,
    Ulimits: [{ Name: 'nofile', Hard: 2048, Soft: 1024 }],
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    Mounts: [{ Type: 'bind', Source: '/tmp', Target: '/x' }],
    MaskedPaths: null,
    ReadonlyPaths: null,
    Init: true,
  },
  NetworkingConfig: { EndpointsConfig: {} },
};
const DOCKER_MINIMAL = {
  Hostname: '',
  Domainname: '',
  User: '',
  AttachStdin: false,
  AttachStdout: true,
  AttachStderr: true,
  Tty: false,
  OpenStdin: false,
  StdinOnce: false,
  Env: null,
  Cmd: null,
  Image: 'busybox',
  Volumes: {},
  WorkingDir: '',
  Entrypoint: null,
  OnBuild: null,
  Labels: {},
  HostConfig: {
    Binds: null,
    ContainerIDFile: '',
    LogConfig: { Type: '', Config: {} },
    NetworkMode: 'default',
    PortBindings: {},
    RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
    AutoRemove: false,
    VolumeDriver: '',
    VolumesFrom: null,
    ConsoleSize: [0, 0],
    CapAdd: null,
    CapDrop: null,
    CgroupnsMode: '',
    Dns: [],
    DnsOptions: [],
    DnsSearch: [],
    ExtraHosts: null,
    GroupAdd: null,
    IpcMode: '',
    Cgroup: '',
    Links: null,
    OomScoreAdj: 0,
    PidMode: '',
    Privileged: false,
    PublishAllPorts: false,
    ReadonlyRootfs: false,
    SecurityOpt: null,
    UTSMode: '',
    UsernsMode: '',
    ShmSize: 0,
    Isolation: '',
    CpuShares: 0,
    Memory: 0,
    NanoCpus: 0,
    CgroupParent: '',
    BlkioWeight: 0,
    BlkioWeightDevice: [],
    BlkioDeviceReadBps: [],
    BlkioDeviceWriteBps: [],
    BlkioDeviceReadIOps: [],
    BlkioDeviceWriteIOps: [],
    CpuPeriod: 0,
    CpuQuota: 0,
    CpuRealtimePeriod: 0,
    CpuRealtimeRuntime: 0,
    CpusetCpus: '',
    CpusetMems: '',
    Devices: [],
    DeviceCgroupRules: null,
    DeviceRequests: null,
    MemoryReservation: 0,
    MemorySwap: 0,
    MemorySwappiness: -1,
    OomKillDisable: false,
    PidsLimit: 0,
    Ulimits: [],
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    MaskedPaths: null,
    ReadonlyPaths: null,
  },
  NetworkingConfig: {
    EndpointsConfig: {
      default: {
        IPAMConfig: null,
        Links: null,
        Aliases: null,
        MacAddress: '',
        DriverOpts: null,
        GwPriority: 0,
        NetworkID: '',
        EndpointID: '',
        Gateway: '',
        IPAddress: '',
        IPPrefixLen: 0,
        IPv6Gateway: '',
        GlobalIPv6Address: '',
        GlobalIPv6PrefixLen: 0,
        DNSNames: null,
      },
    },
  },
};
const DOCKER_CREATE_IT = {
  Hostname: '',
  Domainname: '',
  User: '',
  AttachStdin: true,
  AttachStdout: true,
  AttachStderr: true,
  ExposedPorts: { '80/tcp': {} },
  Tty: true,
  OpenStdin: true,
  StdinOnce: true,
  Env: ['X'],
  Cmd: null,
  Image: 'busybox',
  Volumes: { '/data': {} },
  WorkingDir: '',
  Entrypoint: [''],
  OnBuild: null,
  Labels: {},
  StopTimeout: 0,
  HostConfig: {
    Binds: ['vol:/v'],
    ContainerIDFile: '',
    LogConfig: { Type: '', Config: {} },
    NetworkMode: 'mynet',
    PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '' }] },
    RestartPolicy: { Name: 'always', MaximumRetryCount: 0 },
    AutoRemove: false,
    VolumeDriver: '',
    VolumesFrom: null,
    ConsoleSize: [0, 0],
    CapAdd: null,
    CapDrop: null,
    CgroupnsMode: '',
    Dns: [],
    DnsOptions: [],
    DnsSearch: [],
    ExtraHosts: null,
    GroupAdd: null,
    IpcMode: '',
    Cgroup: '',
    Links: null,
    OomScoreAdj: 0,
    PidMode: '',
    Privileged: false,
    PublishAllPorts: false,
    ReadonlyRootfs: false,
    SecurityOpt: null,
    Tmpfs: { '/t': '' },
    UTSMode: '',
    UsernsMode: '',
    ShmSize: 0,
    Isolation: '',
    CpuShares: 5,
    Memory: 0,
    NanoCpus: 0,
    CgroupParent: '',
    BlkioWeight: 0,
    BlkioWeightDevice: [],
    BlkioDeviceReadBps: [],
    BlkioDeviceWriteBps: [],
    BlkioDeviceReadIOps: [],
    BlkioDeviceWriteIOps: [],
    CpuPeriod: 0,
    CpuQuota: 0,
    CpuRealtimePeriod: 0,
    CpuRealtimeRuntime: 0,
    CpusetCpus: '',
    CpusetMems: '',
    Devices: [],
    DeviceCgroupRules: null,
    DeviceRequests: null,
    MemoryReservation: 0,
    MemorySwap: 1073741824,
    MemorySwappiness: -1,
    OomKillDisable: false,
    PidsLimit: 0,
    Ulimits: [],
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    Mounts: [{ Type: 'volume', Source: 'v2', Target: '/m', ReadOnly: true }],
    MaskedPaths: null,
    ReadonlyPaths: null,
  },
  NetworkingConfig: { EndpointsConfig: {} },
};

function ctx() {
  return new CliContext('unix:///nonexistent', { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough() }, {});
}
function requestFor(argv: string[], run: boolean, env: NodeJS.ProcessEnv = {}) {
  const c = addContainerFlags(newCommand(ctx(), { name: run ? 'run' : 'create', usage: '', description: '', stopAtPositional: true, minArgs: 1 }), run);
  const p = parse<ContainerFlags>(ctx(), c, argv)!;
  return { plan: buildCreateRequest(p.opts, p.args, env), args: p.args };
}

test("a representative run command line gives exactly docker's create body", () => {
  const argv = (
    '-d --name web -e A -e B=2 -w /app -u 1000:1000 --entrypoint /bin/sh -l x=y --hostname h1 --restart on-failure:3 ' +
    '--stop-signal SIGINT --stop-timeout 7 --init --privileged --read-only --cap-add NET_ADMIN --cap-drop ALL --security-opt no-new-privileges ' +
    '-m 512m --cpus 1.5 --pids-limit 100 --network host -p 8080:80 -p 127.0.0.1:53:53/udp -v /tmp:/data:ro --mount type=bind,src=/tmp,dst=/x ' +
    '--tmpfs /run:size=1m --add-host a:1.2.3.4 --ulimit nofile=1024:2048 busybox ls -l'
  ).split(' ');
  const { plan } = requestFor(argv, true, { A: 'fromenv' });
  assert.equal(plan.name, 'web');
  assert.deepEqual(JSON.parse(JSON.stringify(plan.body)), DOCKER_FULL);
});

test("a bare run gives docker's body (default network endpoint, attach stdout/stderr)", () => {
  assert.deepEqual(JSON.parse(JSON.stringify(requestFor(['busybox'], true).plan.body)), DOCKER_MINIMAL);
});

test('create -it with volumes, anonymous volumes and an empty entrypoint', () => {
  const argv =
    '-it -e X --entrypoint= -v /data -v vol:/v -p 80 --mount type=volume,src=v2,dst=/m,readonly --tmpfs /t --memory-swap 1g --cpu-shares 5 --network mynet --stop-timeout 0 --restart always busybox'.split(
      ' ',
    );
  assert.deepEqual(JSON.parse(JSON.stringify(requestFor(argv, false).plan.body)), DOCKER_CREATE_IT);
});

test('options stop at the first positional: flags after the image go to the container', () => {
  const { plan, args } = requestFor(['-it', '--rm', 'busybox', 'ls', '-l', '--name', 'x'], true);
  assert.deepEqual(args, ['busybox', 'ls', '-l', '--name', 'x']);
  assert.deepEqual(plan.body.Cmd, ['ls', '-l', '--name', 'x']);
  assert.equal(plan.name, undefined);
  assert.equal(plan.body.HostConfig!.AutoRemove, true);
  assert.equal(plan.body.Tty, true);
  assert.equal(plan.body.OpenStdin, true);
});

test('repeatable flags and --env-file ordering (files first, then -e)', () => {
  const dir = mkdtempSync(join(tmpdir(), `berth-cli-${process.pid}-`));
  try {
    const f = join(dir, 'env');
    writeFileSync(f, '# comment\n\nFOO=bar\n  SPACED=1\nFROM_ENV\nMISSING\n');
    const { plan } = requestFor(['--env-file', f, '-e', 'A=1', '-e', 'B', 'img'], true, { FROM_ENV: 'yes', B: 'bee' });
    assert.deepEqual(plan.body.Env, ['FOO=bar', 'SPACED=1', 'FROM_ENV=yes', 'A=1', 'B=bee']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('conflicting --rm and --restart is rejected like docker', () => {
  assert.throws(() => requestFor(['--rm', '--restart', 'always', 'img'], true), /conflicting options: cannot specify both --restart and --rm/);
});

test('env file rules', () => {
  assert.deepEqual(parseEnvFileText('A=1\r\n#x\nB\n', { B: '2' }), ['A=1', 'B=2']);
  assert.throws(() => parseEnvFileText('BAD NAME=1\n', {}), /whitespaces/);
});

test('-p, -v and --mount values', () => {
  assert.deepEqual(parsePublish('8080-8081:80-81/udp'), [
    { port: '80/udp', binding: { HostIp: '', HostPort: '8080' } },
    { port: '81/udp', binding: { HostIp: '', HostPort: '8081' } },
  ]);
  assert.deepEqual(parsePublish('[::1]:80:80'), [{ port: '80/tcp', binding: { HostIp: '::1', HostPort: '80' } }]);
  assert.deepEqual(parseVolume('/data'), { target: '/data' });
  assert.deepEqual(parseVolume('/a:/b:ro'), { bind: '/a:/b:ro', target: '/b' });
  assert.deepEqual(parseMount('type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1777'), {
    Type: 'tmpfs',
    Target: '/t',
    TmpfsOptions: { SizeBytes: 1048576, Mode: 0o1777 },
  });
  assert.throws(() => parseMount('type=bind,src=/x'), /target is required/);
});
