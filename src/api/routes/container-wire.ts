// Docker's container JSON <-> Berth's container domain. PascalCase stops here.
import { invalidArgument } from '../../lib/errors.js';
import { humanDuration, humanDurationChangesAt } from '../../lib/human-duration.js';
import type { ContainerRecord, HostSettings, HealthcheckConfig } from '../../container/container-record.js';
import { mountInputsFromWire, mountInputToWire } from './volumes.js';
import type { AttachResult, EndpointInfo } from '../../network/types.js';
import { defaultHostSettings } from '../../container/create-config.js';
import { attachedNetworks, parseLink } from '../../container/networking.js';
import type { ConfigRequest } from '../../container/create-config.js';
import type { CreateRequest } from '../../container/container-service.js';
import { ZERO_TIME } from '../../container/container-record.js';
import { arr, bool, emptyObjMap, num, obj, str, strArray, strMap, strSlice, type Obj } from './wire-read.js';
import { healthConfigOf } from '../../image/image-config.js';
import { parseDeviceCgroupRule } from '../../runtime/specgen/steps-linux.js';
import type * as Wire from '../types/index.js';

function healthcheckFrom(o: Obj): HealthcheckConfig | undefined {
  if (!('Healthcheck' in o) || o.Healthcheck === null) return undefined;
  const h = obj(o, 'Healthcheck');
  return {
    test: strArray(h, 'Test') ?? [],
    interval: num(h, 'Interval'),
    timeout: num(h, 'Timeout'),
    startPeriod: num(h, 'StartPeriod'),
    startInterval: num(h, 'StartInterval'),
    retries: num(h, 'Retries'),
  };
}

export function hostSettingsFrom(h: Obj): HostSettings {
  const d = defaultHostSettings();
  const rp = obj(h, 'RestartPolicy');
  const lc = obj(h, 'LogConfig');
  return {
    ...d,
    autoRemove: bool(h, 'AutoRemove') ?? false,
    restartPolicy: { name: (str(rp, 'Name') ?? 'no') as HostSettings['restartPolicy']['name'], maximumRetryCount: num(rp, 'MaximumRetryCount') ?? 0 },
    privileged: bool(h, 'Privileged') ?? false,
    readonlyRootfs: bool(h, 'ReadonlyRootfs') ?? false,
    capAdd: strSlice(h, 'CapAdd') ?? [],
    capDrop: strSlice(h, 'CapDrop') ?? [],
    securityOpt: strArray(h, 'SecurityOpt') ?? [],
    init: bool(h, 'Init') ?? false,
    resources: {
      memory: num(h, 'Memory') || undefined,
      memorySwap: num(h, 'MemorySwap') || undefined,
      memoryReservation: num(h, 'MemoryReservation') || undefined,
      nanoCpus: num(h, 'NanoCpus') || undefined,
      cpuShares: num(h, 'CpuShares') || undefined,
      cpuQuota: num(h, 'CpuQuota') || undefined,
      cpuPeriod: num(h, 'CpuPeriod') || undefined,
      cpusetCpus: str(h, 'CpusetCpus') || undefined,
      cpusetMems: str(h, 'CpusetMems') || undefined,
      pidsLimit: num(h, 'PidsLimit') || undefined,
      blkioWeight: num(h, 'BlkioWeight') || undefined,
    },
    ulimits: arr(h, 'Ulimits').map((u) => ({ name: str(u, 'Name') ?? '', soft: num(u, 'Soft') ?? 0, hard: num(u, 'Hard') ?? 0 })),
    networkMode: str(h, 'NetworkMode') || 'default',
    binds: strArray(h, 'Binds') ?? [],
    mounts: mountInputsFromWire(h),
    volumesFrom: strArray(h, 'VolumesFrom') ?? [],
    volumeDriver: str(h, 'VolumeDriver') ?? '',
    tmpfs: strMap(h, 'Tmpfs') ?? {},
    extraHosts: strArray(h, 'ExtraHosts') ?? [],
    dns: strArray(h, 'Dns') ?? [],
    dnsSearch: strArray(h, 'DnsSearch') ?? [],
    dnsOptions: strArray(h, 'DnsOptions') ?? [],
    shmSize: num(h, 'ShmSize') || d.shmSize,
    groupAdd: strArray(h, 'GroupAdd') ?? [],
    sysctls: strMap(h, 'Sysctls') ?? {},
    oomScoreAdj: num(h, 'OomScoreAdj') ?? 0,
    pidMode: str(h, 'PidMode') ?? '',
    ipcMode: str(h, 'IpcMode') ?? '',
    utsMode: str(h, 'UTSMode') ?? '',
    ...(str(h, 'UsernsMode') ? { usernsMode: str(h, 'UsernsMode') } : {}),
    runtime: str(h, 'Runtime') ?? '',
    logConfig: { type: str(lc, 'Type') ?? '', config: strMap(lc, 'Config') ?? {} }, // '' = the daemon's default (create merges it)
    consoleSize: consoleSizeFrom(h),
    portBindings: portBindingsFrom(h),
    publishAllPorts: bool(h, 'PublishAllPorts') ?? false,
    ...((strArray(h, 'Links') ?? []).length ? { links: strArray(h, 'Links') } : {}),
    ...deviceCgroupRulesFrom(h),
    devices: arr(h, 'Devices').map((x) => ({
      pathOnHost: str(x, 'PathOnHost') ?? '',
      pathInContainer: str(x, 'PathInContainer') ?? '',
      cgroupPermissions: str(x, 'CgroupPermissions') ?? '',
    })),
  };
}

/** HostConfig.DeviceCgroupRules, checked at create as dockerd does (a bad rule never reaches a start). */
function deviceCgroupRulesFrom(h: Obj): Pick<HostSettings, 'deviceCgroupRules'> {
  const rules = strArray(h, 'DeviceCgroupRules') ?? [];
  for (const r of rules) parseDeviceCgroupRule(r);
  return rules.length ? { deviceCgroupRules: rules } : {};
}

function portBindingsFrom(h: Obj): HostSettings['portBindings'] {
  const pb = obj(h, 'PortBindings');
  const out: HostSettings['portBindings'] = {};
  for (const [port, list] of Object.entries(pb)) {
    if (list === null) {
      out[port] = null;
      continue;
    }
    if (!Array.isArray(list)) throw invalidArgument(`invalid JSON: PortBindings: ${port}: expected an array`);
    out[port] = list.map((b) => {
      if (typeof b !== 'object' || b === null || Array.isArray(b)) throw invalidArgument(`invalid JSON: PortBindings: ${port}: expected objects`);
      return { hostIp: str(b as Obj, 'HostIp') ?? '', hostPort: str(b as Obj, 'HostPort') ?? '' };
    });
  }
  return out;
}

function endpointsFrom(nc: Obj): CreateRequest['endpoints'] {
  return Object.entries(obj(nc, 'EndpointsConfig')).map(([network, v]) => {
    if (typeof v !== 'object' || Array.isArray(v)) throw invalidArgument(`invalid JSON: EndpointsConfig: ${network}: expected an object`);
    const e = (v ?? {}) as Obj;
    const ipam = obj(e, 'IPAMConfig');
    const links = strArray(e, 'Links') ?? [];
    return {
      network,
      aliases: strArray(e, 'Aliases') ?? [],
      ip: str(ipam, 'IPv4Address') || undefined,
      mac: str(e, 'MacAddress') || undefined,
      ...(links.length ? { links } : {}),
    };
  });
}

function consoleSizeFrom(h: Obj): [number, number] | undefined {
  const v = h.ConsoleSize;
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length !== 2 || v.some((x) => typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > 65535))
    throw invalidArgument('invalid JSON: ConsoleSize: expected [height, width]');
  return v[0] > 0 && v[1] > 0 ? [v[0], v[1]] : undefined;
}

export function createRequestFrom(body: Obj, name: string | undefined): CreateRequest {
  const image = str(body, 'Image');
  if (!image) throw invalidArgument('Config cannot be empty in order to create a container');
  const hostConfig = obj(body, 'HostConfig');
  const networkingConfig = obj(body, 'NetworkingConfig');
  const config: ConfigRequest = {
    image,
    cmd: strSlice(body, 'Cmd') ?? null,
    entrypoint: strSlice(body, 'Entrypoint') ?? null,
    env: strArray(body, 'Env'),
    workingDir: str(body, 'WorkingDir'),
    user: str(body, 'User'),
    tty: bool(body, 'Tty'),
    openStdin: bool(body, 'OpenStdin'),
    stdinOnce: bool(body, 'StdinOnce'),
    attachStdin: bool(body, 'AttachStdin'),
    attachStdout: bool(body, 'AttachStdout'),
    attachStderr: bool(body, 'AttachStderr'),
    hostname: str(body, 'Hostname'),
    domainname: str(body, 'Domainname'),
    labels: strMap(body, 'Labels'),
    stopSignal: str(body, 'StopSignal'),
    stopTimeout: num(body, 'StopTimeout'),
    exposedPorts: emptyObjMap(body, 'ExposedPorts'),
    volumes: emptyObjMap(body, 'Volumes'),
    healthcheck: healthcheckFrom(body),
    networkDisabled: bool(body, 'NetworkDisabled'),
    macAddress: str(body, 'MacAddress'),
  };
  if (config.workingDir && !config.workingDir.startsWith('/'))
    throw invalidArgument(`the working directory '${config.workingDir}' is invalid, it needs to be an absolute path`);
  const wireConfig = { ...body };
  delete wireConfig.HostConfig;
  delete wireConfig.NetworkingConfig;
  return {
    name,
    config,
    host: hostSettingsFrom(hostConfig),
    endpoints: endpointsFrom(networkingConfig),
    wire: { config: wireConfig, hostConfig, networkingConfig },
  };
}

function statusText(r: ContainerRecord, now: number): string {
  const s = r.state;
  switch (s.status) {
    case 'running':
    case 'paused':
      return `Up ${humanDuration(now - Date.parse(s.startedAt))}${s.status === 'paused' ? ' (Paused)' : ''}${s.health && s.health.status !== 'none' ? ` (${s.health.status === 'starting' ? 'health: starting' : s.health.status})` : ''}`;
    case 'restarting':
      return `Restarting (${s.exitCode}) ${humanDuration(now - Date.parse(s.finishedAt))} ago`;
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return 'Dead';
    case 'created':
      return 'Created';
    case 'exited':
      return s.finishedAt === ZERO_TIME ? 'Created' : `Exited (${s.exitCode}) ${humanDuration(now - Date.parse(s.finishedAt))} ago`;
  }
}

/** The time (ms since the epoch) until which statusText(r, now) says the same; Infinity when it never changes by itself. */
function statusUntil(r: ContainerRecord, now: number): number {
  const s = r.state;
  const since = (t: string) => {
    const at = Date.parse(t);
    return at + humanDurationChangesAt(now - at);
  };
  switch (s.status) {
    case 'running':
    case 'paused':
      return since(s.startedAt);
    case 'restarting':
      return since(s.finishedAt);
    case 'exited':
      return s.finishedAt === ZERO_TIME ? Number.POSITIVE_INFINITY : since(s.finishedAt);
    default:
      return Number.POSITIVE_INFINITY;
  }
}

function commandLine(r: ContainerRecord): string {
  return [...r.config.entrypoint, ...r.config.cmd]
    .map((a) => (/\s/.test(a) ? `'${a}'` : a))
    .join(' ')
    .replace(/^'(.*)'$/, '$1');
}

export function networkModeOf(r: ContainerRecord): string {
  const m = r.host.networkMode;
  return m === 'default' ? 'bridge' : m;
}

/** What the network domain knows of a running container (undefined when not attached). */
export type NetInfo = AttachResult | undefined;

/**
 * What ps and inspect show beyond the container record: facts other domains hold (the volume
 * domain's mount points, the network domain's endpoints, the layer store's sizes and paths),
 * wired by the daemon.
 */
export interface ContainerFacts {
  /** Docker's MountPoint list (src/api/routes/volumes.ts mountPointsWire). */
  mountsOf(rec: ContainerRecord): Wire.MountPoint[];
  netOf(rec: ContainerRecord): NetInfo;
  sizeOf(rec: ContainerRecord): Promise<{ rw: number; rootFs: number }>;
  graphDriver(rec: ContainerRecord): Wire.GraphDriver;
  /** The files inspect names (resolv.conf, hostname, hosts, the json-file log). */
  files(rec: ContainerRecord): { resolvConf: string; hostname: string; hosts: string; log: string };
}

function endpointWire(r: ContainerRecord, e: EndpointInfo | undefined, network: string): Wire.EndpointSettings {
  const req = (r.endpoints ?? []).find((x) => x.network === network || (network === 'bridge' && x.network === 'default'));
  return {
    IPAMConfig: req?.ip ? { IPv4Address: req.ip } : null,
    Links: req?.links?.length ? req.links : null,
    Aliases: req?.aliases.length ? req.aliases : null,
    MacAddress: e?.mac ?? '',
    NetworkID: e?.networkId ?? '',
    EndpointID: e?.endpointId ?? '',
    Gateway: e?.gateway ?? '',
    IPAddress: e?.ip ?? '',
    IPPrefixLen: e?.prefixLen ?? 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DriverOpts: null,
    DNSNames: e && network !== 'bridge' ? [...new Set([r.name, r.id.slice(0, 12), ...e.aliases])] : null,
  };
}

function networksOf(r: ContainerRecord, net: NetInfo): Record<string, Wire.EndpointSettings> {
  // dockerd's JSON is a Go map: keys sorted bytewise (clients such as testcontainers take the first).
  const names = attachedNetworks(r)
    .map((e) => e.network)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(
    names.map((n) => [
      n,
      endpointWire(
        r,
        net?.endpoints.find((e) => e.network === n),
        n,
      ),
    ]),
  );
}

/**
 * The ports of a container with a network sandbox: every exposed port (Config.ExposedPorts,
 * "9000" meaning "9000/tcp"), null when only exposed, with the bindings of the published ones.
 */
function sandboxPorts(r: ContainerRecord, net: NetInfo): AttachResult['ports'] {
  if (!net) return {};
  const exposed = Object.keys(r.config.exposedPorts).map((k) => (k.includes('/') ? k : `${k}/tcp`));
  return { ...Object.fromEntries(exposed.map((k) => [k, null])), ...net.ports };
}

/** Docker's NetworkSettings.Ports map: "80/tcp" -> [{HostIp, HostPort}] or null when only exposed. */
function portsMap(r: ContainerRecord, net: NetInfo): Wire.PortMap {
  return Object.fromEntries(Object.entries(sandboxPorts(r, net)).map(([k, v]) => [k, v ? v.map((b) => ({ HostIp: b.hostIp, HostPort: b.hostPort })) : null]));
}

/** The summary's Ports list (what `ps` shows). */
function portsList(r: ContainerRecord, net: NetInfo): Wire.Port[] {
  const out: Wire.Port[] = [];
  for (const [key, bindings] of Object.entries(sandboxPorts(r, net))) {
    const [port, p = 'tcp'] = key.split('/');
    const proto = p as Wire.Port['Type'];
    if (!bindings) out.push({ PrivatePort: Number(port), Type: proto });
    else for (const b of bindings) out.push({ IP: b.hostIp, PrivatePort: Number(port), PublicPort: Number(b.hostPort), Type: proto });
  }
  return out;
}

/** GET /containers/json item (and /system/df's); `size` adds SizeRw and SizeRootFs. */
export async function containerSummary(r: ContainerRecord, facts: ContainerFacts, now = Date.now(), size = false): Promise<Wire.ContainerSummary> {
  const out = summaryOf(r, facts.netOf(r), facts.mountsOf(r), now);
  if (size) {
    const s = await facts.sizeOf(r);
    out.SizeRw = s.rw;
    out.SizeRootFs = s.rootFs;
  }
  return out;
}

function summaryOf(r: ContainerRecord, net: NetInfo, mounts: Wire.MountPoint[], now: number): Wire.ContainerSummary {
  return {
    Id: r.id,
    Names: [`/${r.name}`],
    Image: r.config.image,
    ImageID: r.imageId,
    Command: commandLine(r),
    Created: Math.floor(Date.parse(r.created) / 1000),
    Ports: portsList(r, net),
    Labels: r.config.labels,
    State: r.state.status,
    Status: statusText(r, now),
    HostConfig: { NetworkMode: networkModeOf(r) },
    NetworkSettings: { Networks: networksOf(r, net) },
    Mounts: mounts,
  };
}

/** A summary's JSON bytes around its Status, which alone changes with the clock; the Status's bytes from `at` until `until` (ms since the epoch). */
interface KeptSummary {
  mounts: Wire.MountPoint[];
  pieces: [head: Buffer, status: Buffer, tail: Buffer];
  at: number;
  until: number;
}
const keptSummaries = new WeakMap<ContainerRecord, KeptSummary>();

/**
 * One `ps` item (containerSummary without sizes) in pieces of bytes whose concatenation is
 * JSON.stringify(containerSummary(...)). A record is a frozen snapshot that is replaced on every
 * change, so for a container without a network sandbox (created, exited: most of a long list) the
 * bytes around Status are kept per record and per mounts list (the volume domain's, the same array
 * while unchanged: see `facts.mountsOf`), and Status's bytes until the clock changes its text
 * ("Exited (0) 5 minutes ago": statusUntil): the same Buffer objects come back while nothing
 * changed. A container with a sandbox (few: the running ones on a network) gives its whole text
 * made afresh (`fresh`), which the caller compares with the one it kept. See
 * container-list-answer.ts.
 */
export function containerSummaryPieces(r: ContainerRecord, facts: ContainerFacts, now: number): { pieces: readonly Buffer[] } | { fresh: string } {
  const net = facts.netOf(r);
  const mounts = facts.mountsOf(r);
  if (net !== undefined) return { fresh: JSON.stringify(summaryOf(r, net, mounts, now)) };
  let c = keptSummaries.get(r);
  if (!c || c.mounts !== mounts) {
    const { Status, HostConfig, NetworkSettings, Mounts, ...head } = summaryOf(r, undefined, mounts, now);
    const pieces: KeptSummary['pieces'] = [
      ownBytes(`${JSON.stringify(head).slice(0, -1)},"Status":`),
      statusBytes(JSON.stringify(Status)),
      ownBytes(`,${JSON.stringify({ HostConfig, NetworkSettings, Mounts }).slice(1)}`),
    ];
    c = { mounts, pieces, at: now, until: statusUntil(r, now) };
    keptSummaries.set(r, c);
  } else if (now >= c.until || now < c.at) {
    c.pieces = [c.pieces[0], statusBytes(JSON.stringify(statusText(r, now))), c.pieces[2]];
    c.at = now;
    c.until = statusUntil(r, now);
  }
  return { pieces: c.pieces };
}

/**
 * A string's bytes in a buffer of their own: Buffer.from slices a small string out of a shared
 * 8 KiB pool, and one kept slice would keep the whole pool block alive.
 */
function ownBytes(s: string): Buffer {
  const b = Buffer.allocUnsafeSlow(Buffer.byteLength(s));
  b.write(s);
  return b;
}

/** Status texts as bytes, one Buffer per text (a few hundred distinct ones at most in practice; dropped whole past a bound). */
const statusBytesKept = new Map<string, Buffer>();
function statusBytes(json: string): Buffer {
  let b = statusBytesKept.get(json);
  if (!b) {
    if (statusBytesKept.size >= 2048) statusBytesKept.clear();
    statusBytesKept.set(json, (b = ownBytes(json)));
  }
  return b;
}

export function configToWire(r: ContainerRecord): Wire.ContainerConfig {
  const c = r.config;
  const out: Wire.ContainerConfig = {
    ...r.wire.config,
    Hostname: c.hostname,
    Domainname: c.domainname,
    User: c.user,
    AttachStdin: c.attachStdin,
    AttachStdout: c.attachStdout,
    AttachStderr: c.attachStderr,
    ExposedPorts: Object.keys(c.exposedPorts).length ? c.exposedPorts : undefined,
    Tty: c.tty,
    OpenStdin: c.openStdin,
    StdinOnce: c.stdinOnce,
    Env: c.env,
    Cmd: c.cmd.length ? c.cmd : null,
    Healthcheck: c.healthcheck ? healthConfigOf(c.healthcheck) : undefined,
    Image: c.image,
    Volumes: Object.keys(c.volumes).length ? c.volumes : null,
    WorkingDir: c.workingDir,
    Entrypoint: c.entrypoint.length ? c.entrypoint : null,
    OnBuild: c.onBuild ?? null,
    Labels: c.labels,
  };
  if (c.stopSignal) out.StopSignal = c.stopSignal;
  if (c.stopTimeout !== undefined) out.StopTimeout = c.stopTimeout;
  return out;
}

export function hostConfigToWire(r: ContainerRecord): Wire.HostConfig {
  const h = r.host;
  const res = h.resources;
  return {
    ...r.wire.hostConfig,
    Binds: h.binds.length ? h.binds : null,
    NetworkMode: networkModeOf(r),
    RestartPolicy: { Name: h.restartPolicy.name || 'no', MaximumRetryCount: h.restartPolicy.maximumRetryCount },
    AutoRemove: h.autoRemove,
    CapAdd: h.capAdd.length ? h.capAdd : null,
    CapDrop: h.capDrop.length ? h.capDrop : null,
    Dns: h.dns,
    DnsOptions: h.dnsOptions,
    DnsSearch: h.dnsSearch,
    ExtraHosts: h.extraHosts.length ? h.extraHosts : null,
    GroupAdd: h.groupAdd.length ? h.groupAdd : null,
    IpcMode: h.ipcMode || 'private',
    OomScoreAdj: h.oomScoreAdj,
    PidMode: h.pidMode,
    Privileged: h.privileged,
    ReadonlyRootfs: h.readonlyRootfs,
    SecurityOpt: h.securityOpt.length ? h.securityOpt : null,
    UTSMode: h.utsMode,
    UsernsMode: h.usernsMode ?? '',
    ShmSize: h.shmSize,
    Runtime: r.runtimeName,
    LogConfig: { Type: h.logConfig.type, Config: h.logConfig.config },
    Init: h.init || null,
    Memory: res.memory ?? 0,
    MemorySwap: res.memorySwap ?? 0,
    MemoryReservation: res.memoryReservation ?? 0,
    NanoCpus: res.nanoCpus ?? 0,
    CpuShares: res.cpuShares ?? 0,
    CpuQuota: res.cpuQuota ?? 0,
    CpuPeriod: res.cpuPeriod ?? 0,
    CpusetCpus: res.cpusetCpus ?? '',
    CpusetMems: res.cpusetMems ?? '',
    PidsLimit: res.pidsLimit ?? null,
    BlkioWeight: res.blkioWeight ?? 0,
    // dockerd echoes the request: [] from the docker CLI, null from clients that leave it out.
    Ulimits: h.ulimits.length ? h.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })) : Array.isArray(r.wire.hostConfig.Ulimits) ? [] : null,
    Tmpfs: Object.keys(h.tmpfs).length ? h.tmpfs : undefined,
    Mounts: h.mounts.length ? h.mounts.map(mountInputToWire) : undefined,
    VolumesFrom: h.volumesFrom.length ? h.volumesFrom : null,
    VolumeDriver: h.volumeDriver,
    Sysctls: Object.keys(h.sysctls).length ? h.sysctls : undefined,
    // dockerd shows links as /child:/parent/alias.
    Links: h.links?.length
      ? h.links.map((l) => {
          const { name, alias } = parseLink(l);
          return `/${name}:/${r.name}/${alias}`;
        })
      : null,
  };
}

/** GET /containers/{id}/json; `size` adds SizeRw and SizeRootFs. */
export async function containerInspect(r: ContainerRecord, facts: ContainerFacts, execIds: string[], size = false): Promise<Wire.ContainerInspect> {
  const net = facts.netOf(r);
  const files = facts.files(r);
  const bridgeEp = net?.endpoints.find((e) => e.network === 'bridge');
  const s = r.state;
  const args = [...r.config.entrypoint, ...r.config.cmd];
  const out: Wire.ContainerInspect = {
    Id: r.id,
    Created: r.created,
    Path: args[0] ?? '',
    Args: args.slice(1),
    State: {
      Status: s.status,
      Running: s.status === 'running' || s.status === 'paused',
      Paused: s.status === 'paused',
      Restarting: s.status === 'restarting',
      OOMKilled: s.oomKilled,
      Dead: s.status === 'dead',
      Pid: s.pid,
      ExitCode: s.exitCode,
      Error: s.error,
      StartedAt: s.startedAt,
      FinishedAt: s.finishedAt,
      ...(s.health
        ? {
            Health: {
              Status: s.health.status,
              FailingStreak: s.health.failingStreak,
              Log: s.health.log.map((l) => ({ Start: l.start, End: l.end, ExitCode: l.exitCode, Output: l.output })),
            },
          }
        : {}),
    },
    Image: r.imageId,
    ResolvConfPath: files.resolvConf,
    HostnamePath: files.hostname,
    HostsPath: files.hosts,
    LogPath: r.host.logConfig.type === 'none' ? '' : files.log,
    Name: `/${r.name}`,
    RestartCount: r.restartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: execIds.length ? execIds : null,
    HostConfig: hostConfigToWire(r),
    GraphDriver: facts.graphDriver(r),
    Mounts: facts.mountsOf(r),
    Config: configToWire(r),
    NetworkSettings: {
      Bridge: '',
      SandboxID: net && typeof net.netns === 'object' ? r.id : '',
      SandboxKey: net && typeof net.netns === 'object' ? net.netns.path : '',
      Ports: portsMap(r, net),
      HairpinMode: false,
      LinkLocalIPv6Address: '',
      LinkLocalIPv6PrefixLen: 0,
      SecondaryIPAddresses: null,
      SecondaryIPv6Addresses: null,
      // The top-level fields describe the default bridge endpoint only, as in Docker.
      EndpointID: bridgeEp?.endpointId ?? '',
      Gateway: bridgeEp?.gateway ?? '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      IPAddress: bridgeEp?.ip ?? '',
      IPPrefixLen: bridgeEp?.prefixLen ?? 0,
      IPv6Gateway: '',
      MacAddress: bridgeEp?.mac ?? '',
      Networks: networksOf(r, net),
    },
  };
  if (size) {
    const s = await facts.sizeOf(r);
    out.SizeRw = s.rw;
    out.SizeRootFs = s.rootFs;
  }
  return out;
}
