// Turns parsed run/create flags into docker's POST /containers/create body, field for field
// what the docker CLI 28 sends (zero values included), so the daemon sees the same JSON.
import { readSecurityOpts } from '../client/security-opts.js';
import type * as T from '../api/types/index.js';
import type { ContainerFlags } from './container-flags.js';
import { envFlag, readEnvFile, readLabelFile } from '../client/env-file.js';
import { parseGoDurationNs } from '../lib/go-duration.js';
import { ramInBytes } from '../lib/go-units.js';
import { parseMount, parsePublish, parseRestart, parseUlimit, parseVolume, normalizeCap } from '../client/flag-values.js';

/** The read-only state fields of an endpoint, zero as the docker CLI sends them (create and network connect). */
export const ENDPOINT_STATE_ZERO = {
  NetworkID: '',
  EndpointID: '',
  Gateway: '',
  IPAddress: '',
  IPPrefixLen: 0,
  IPv6Gateway: '',
  GlobalIPv6Address: '',
  GlobalIPv6PrefixLen: 0,
  DNSNames: null,
};

export interface CreatePlan {
  name?: string;
  platform?: string;
  body: T.ContainerCreateRequest;
}

export function buildCreateRequest(o: ContainerFlags, args: string[], env: NodeJS.ProcessEnv, consoleSize: [number, number] = [0, 0]): CreatePlan {
  const [image, ...cmd] = args;
  const attach = new Set(o.attach.map((s) => s.toLowerCase()));
  if (o.rm && o.restart && o.restart !== 'no') throw new Error('conflicting options: cannot specify both --restart and --rm');
  const fg = !o.detach;
  const attachStdin = attach.size ? attach.has('stdin') : fg && !!o.interactive;
  const attachStdout = attach.size ? attach.has('stdout') : fg;
  const attachStderr = attach.size ? attach.has('stderr') : fg;

  let envList: string[] | null = null;
  for (const f of o.envFile) envList = [...(envList ?? []), ...readEnvFile(f, env)];
  for (const e of o.env) envList = [...(envList ?? []), envFlag(e, env)];
  const labels: Record<string, string> = {};
  for (const l of [...o.labelFile.flatMap(readLabelFile), ...o.label]) {
    const eq = l.indexOf('=');
    labels[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? '' : l.slice(eq + 1);
  }

  const exposed: Record<string, Record<string, never>> = {};
  const bindings: T.PortMap = {};
  for (const p of o.publish)
    for (const { port, binding } of parsePublish(p)) {
      exposed[port] = {};
      (bindings[port] ??= []).push(binding);
    }
  for (const e of o.expose) exposed[e.includes('/') ? e : `${e}/tcp`] = {};

  const volumes: Record<string, Record<string, never>> = {};
  let binds: string[] | null = null;
  for (const v of o.volume) {
    const r = parseVolume(v);
    if (r.bind) binds = [...(binds ?? []), r.bind];
    else volumes[r.target] = {};
  }
  const tmpfs: Record<string, string> = {};
  for (const t of o.tmpfs) {
    const i = t.indexOf(':');
    tmpfs[i < 0 ? t : t.slice(0, i)] = i < 0 ? '' : t.slice(i + 1);
  }
  const mounts = o.mount.map(parseMount);
  const entrypoint = o.entrypoint === undefined ? null : o.entrypoint === '' ? [''] : [o.entrypoint];
  const network = o.network ?? 'default';

  const body: T.ContainerCreateRequest & Record<string, unknown> = {
    Hostname: o.hostname ?? '',
    Domainname: o.domainname ?? '',
    User: o.user ?? '',
    AttachStdin: attachStdin,
    AttachStdout: attachStdout,
    AttachStderr: attachStderr,
    ...(Object.keys(exposed).length ? { ExposedPorts: exposed } : {}),
    Tty: !!o.tty,
    OpenStdin: !!o.interactive,
    StdinOnce: !!o.interactive && attachStdin,
    Env: envList,
    Cmd: cmd.length ? cmd : null,
    ...(healthcheck(o) ? { Healthcheck: healthcheck(o) } : {}),
    Image: image,
    Volumes: volumes,
    WorkingDir: o.workdir ?? '',
    Entrypoint: entrypoint,
    OnBuild: null,
    Labels: labels,
    ...(o.stopSignal ? { StopSignal: o.stopSignal } : {}),
    ...(o.stopTimeout !== undefined ? { StopTimeout: o.stopTimeout } : {}),
  };
  const hc: T.HostConfig & Record<string, unknown> = {
    Binds: binds,
    ContainerIDFile: o.cidfile ?? '',
    LogConfig: { Type: o.logDriver ?? '', Config: Object.fromEntries(o.logOpt.map(kv)) },
    NetworkMode: network,
    PortBindings: bindings,
    RestartPolicy: parseRestart(o.restart ?? 'no'),
    AutoRemove: !!o.rm,
    VolumeDriver: '',
    VolumesFrom: o.volumesFrom.length ? o.volumesFrom : null,
    ConsoleSize: consoleSize,
    CapAdd: o.capAdd.length ? o.capAdd.map(normalizeCap) : null,
    CapDrop: o.capDrop.length ? o.capDrop.map(normalizeCap) : null,
    CgroupnsMode: o.cgroupns ?? '',
    Dns: o.dns,
    DnsOptions: o.dnsOption,
    DnsSearch: o.dnsSearch,
    ExtraHosts: o.addHost.length ? o.addHost.map((h) => h.replace(/=/, ':')) : null,
    GroupAdd: o.groupAdd.length ? o.groupAdd : null,
    IpcMode: o.ipc ?? '',
    Cgroup: '',
    Links: o.link.length ? o.link : null,
    OomScoreAdj: o.oomScoreAdj ?? 0,
    PidMode: o.pid ?? '',
    Privileged: !!o.privileged,
    PublishAllPorts: !!o.publishAll,
    ReadonlyRootfs: !!o.readOnly,
    SecurityOpt: o.securityOpt.length ? readSecurityOpts(o.securityOpt) : null,
    ...(o.sysctl.length ? { Sysctls: Object.fromEntries(o.sysctl.map(kv)) } : {}),
    ...(o.tmpfs.length ? { Tmpfs: tmpfs } : {}),
    UTSMode: o.uts ?? '',
    UsernsMode: o.userns ?? '',
    ShmSize: o.shmSize ? ramInBytes(o.shmSize) : 0,
    ...(o.runtime ? { Runtime: o.runtime } : {}),
    Isolation: o.isolation ?? '',
    CpuShares: o.cpuShares ?? 0,
    Memory: o.memory ? ramInBytes(o.memory) : 0,
    NanoCpus: o.cpus ? parseCpus(o.cpus) : 0,
    CgroupParent: o.cgroupParent ?? '',
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
    CpusetCpus: o.cpusetCpus ?? '',
    CpusetMems: '',
    Devices: o.device.map(parseDevice),
    DeviceCgroupRules: null,
    DeviceRequests: null,
    MemoryReservation: o.memoryReservation ? ramInBytes(o.memoryReservation) : 0,
    MemorySwap: o.memorySwap ? (o.memorySwap === '-1' ? -1 : ramInBytes(o.memorySwap)) : 0,
    MemorySwappiness: -1,
    OomKillDisable: !!o.oomKillDisable,
    PidsLimit: o.pidsLimit ?? 0,
    Ulimits: o.ulimit.map(parseUlimit),
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    ...(mounts.length ? { Mounts: mounts } : {}),
    MaskedPaths: null,
    ReadonlyPaths: null,
    ...(o.init ? { Init: true } : {}),
  };
  body.HostConfig = hc;
  const endpoint: T.EndpointSettings & Record<string, unknown> = {
    IPAMConfig: o.ip ? { IPv4Address: o.ip } : null,
    Links: null,
    Aliases: o.networkAlias.length ? o.networkAlias : null,
    MacAddress: o.macAddress ?? '',
    DriverOpts: null,
    GwPriority: 0,
    ...ENDPOINT_STATE_ZERO,
  };
  body.NetworkingConfig = { EndpointsConfig: network === 'default' || o.ip || o.networkAlias.length || o.macAddress ? { [network]: endpoint } : {} };
  return { name: o.name, platform: o.platform, body };
}

function kv(s: string): [string, string] {
  const i = s.indexOf('=');
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

function parseCpus(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`invalid argument "${v}" for "--cpus" flag: failed to parse ${v} as a rational number`);
  return Math.round(n * 1e9);
}

function parseDevice(d: string): T.DeviceMapping {
  const [host, inCt, perms] = d.split(':');
  return { PathOnHost: host!, PathInContainer: inCt || host!, CgroupPermissions: perms || 'rwm' };
}

function healthcheck(o: ContainerFlags): T.HealthConfig | undefined {
  if (o.healthcheck === false) return { Test: ['NONE'] };
  if (!o.healthCmd && !o.healthInterval && !o.healthTimeout && o.healthRetries === undefined && !o.healthStartPeriod) return undefined;
  const ns = (d?: string) => (d ? Number(parseGoDurationNs(d)) : 0);
  return {
    ...(o.healthCmd ? { Test: ['CMD-SHELL', o.healthCmd] } : {}),
    Interval: ns(o.healthInterval),
    Timeout: ns(o.healthTimeout),
    StartPeriod: ns(o.healthStartPeriod),
    Retries: o.healthRetries ?? 0,
  };
}
