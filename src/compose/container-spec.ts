// A service's container as the Engine API's create request: decided in pure code from the model,
// the container's number and what the plan knows (image id, container ids of other services for
// network_mode/ipc/volumes_from `service:x`, anonymous volumes kept from the container replaced).
import type * as T from '../api/types/index.js';
import { parseGoDurationSeconds } from '../lib/go-duration.js';
import { serviceConfigHash } from './config-hash.js';
import { COMPOSE_VERSION } from './version.js';
import * as L from './labels.js';
import type { Project, ServiceConfig, ServicePortConfig, ServiceVolumeConfig } from './model.js';

export interface ContainerSpecInput {
  project: Project;
  service: string;
  number: number;
  /** The container's name (see containerName). */
  name: string;
  /** One-off `run` containers are labelled apart and never counted as replicas. */
  oneoff?: boolean;
  /** The image id the service resolves to now (com.docker.compose.image). */
  imageId?: string;
  /** `service:x` references resolved to a container id or name of that service. */
  containerOf: (service: string) => string;
  /** Anonymous volumes (target -> volume name) of the container this one replaces. */
  keepVolumes?: Record<string, string>;
}

export interface ContainerSpec {
  name: string;
  body: T.ContainerCreateRequest;
  /** Networks joined after create, before start (the first one is joined at create). */
  moreNetworks: { network: string; endpoint: T.EndpointSettings }[];
  /** Files copied in after create: secrets and configs given as content or environment. */
  files: { path: string; content: string; mode: number }[];
}

/** `<project>-<service>-<n>` as Compose v2 names containers, or `container_name`. */
export function containerName(project: Project, service: string, number: number): string {
  return project.services[service]?.container_name ?? `${project.name}-${service}-${number}`;
}

/** The image a service runs: its `image`, or `<project>-<service>` when it is only built. */
export function imageName(project: Project, service: string): string {
  const s = project.services[service] ?? project.disabledServices[service];
  return s?.image ?? `${project.name}-${service}`;
}

/** The engine name of a project network or volume key. */
export const networkName = (project: Project, key: string): string => project.networks[key]?.name ?? `${project.name}_${key}`;
export const volumeName = (project: Project, key: string): string => project.volumes[key]?.name ?? `${project.name}_${key}`;

/** Services a service's networks, in the order compose joins them: by priority, then by name. */
export function serviceNetworks(s: ServiceConfig): string[] {
  if (s.network_mode) return [];
  const nets = s.networks ?? { default: null };
  return Object.keys(nets).sort((a, b) => (nets[b]?.priority ?? 0) - (nets[a]?.priority ?? 0) || a.localeCompare(b));
}

/** "db:service_healthy:false,cache:service_started:false" as compose's depends_on label. */
export function dependsOnLabel(s: ServiceConfig): string {
  return Object.entries(s.depends_on ?? {})
    .map(([name, d]) => `${name}:${d.condition}:${d.restart ?? false}`)
    .join(',');
}

export function containerLabels(i: Pick<ContainerSpecInput, 'project' | 'service' | 'number' | 'oneoff' | 'imageId'>): Record<string, string> {
  const { project, service } = i;
  const s = project.services[service]!;
  return {
    ...s.labels,
    [L.LABEL_PROJECT]: project.name,
    [L.LABEL_SERVICE]: service,
    [L.LABEL_CONTAINER_NUMBER]: String(i.number),
    [L.LABEL_ONEOFF]: i.oneoff ? 'True' : 'False',
    [L.LABEL_CONFIG_HASH]: serviceConfigHash(project, service),
    [L.LABEL_WORKING_DIR]: project.workingDir,
    [L.LABEL_CONFIG_FILES]: project.configFiles.join(','),
    [L.LABEL_DEPENDENCIES]: dependsOnLabel(s),
    [L.LABEL_VERSION]: COMPOSE_VERSION,
    ...(i.imageId ? { [L.LABEL_IMAGE]: i.imageId } : {}),
  };
}

const seconds = (d: string | undefined): number | undefined => (d === undefined ? undefined : parseGoDurationSeconds(d));
const nanos = (d: string | undefined): number => Math.round((seconds(d) ?? 0) * 1e9);

function healthcheck(s: ServiceConfig): T.HealthConfig | undefined {
  const h = s.healthcheck;
  if (!h) return undefined;
  if (h.disable) return { Test: ['NONE'] };
  return {
    ...(h.test ? { Test: h.test } : {}),
    Interval: nanos(h.interval),
    Timeout: nanos(h.timeout),
    StartPeriod: nanos(h.start_period),
    ...(h.start_interval ? { StartInterval: nanos(h.start_interval) } : {}),
    Retries: h.retries ?? 0,
  };
}

function restartPolicy(r: string | undefined): T.RestartPolicy {
  if (!r || r === 'no') return { Name: 'no' };
  const m = /^on-failure(?::(\d+))?$/.exec(r);
  if (m) return { Name: 'on-failure', MaximumRetryCount: Number(m[1] ?? 0) };
  return { Name: r as T.RestartPolicy['Name'] };
}

function portKey(p: ServicePortConfig): string {
  return `${p.target}/${p.protocol || 'tcp'}`;
}

/** `service:x` and `container:x` modes as the engine's `container:<id>`. */
function sharedMode(mode: string | undefined, containerOf: (s: string) => string): string {
  if (!mode) return '';
  return mode.startsWith('service:') ? `container:${containerOf(mode.slice(8))}` : mode;
}

interface MountsOut {
  binds: string[];
  mounts: T.MountSpec[];
  anonymous: Record<string, Record<string, never>>;
  tmpfs: Record<string, string>;
}

function volumeMounts(i: ContainerSpecInput, s: ServiceConfig): MountsOut {
  const out: MountsOut = { binds: [], mounts: [], anonymous: {}, tmpfs: {} };
  for (const t of s.tmpfs ?? []) {
    const c = t.indexOf(':');
    out.tmpfs[c < 0 ? t : t.slice(0, c)] = c < 0 ? '' : t.slice(c + 1);
  }
  for (const v of s.volumes ?? []) addVolume(out, i, v);
  for (const kind of ['secrets', 'configs'] as const) {
    for (const ref of s[kind] ?? []) {
      const def = i.project[kind][ref.source];
      if (!def?.file) continue; // content and environment sources are copied in after create
      const target = fileObjectTarget(kind, ref.source, ref.target);
      out.binds.push(`${def.file}:${target}:ro`);
    }
  }
  return out;
}

/** Where a secret or config lands: compose's /run/secrets/<name> and /<name> defaults. */
export function fileObjectTarget(kind: 'secrets' | 'configs', source: string, target?: string): string {
  if (kind === 'secrets') return target ? (target.startsWith('/') ? target : `/run/secrets/${target}`) : `/run/secrets/${source}`;
  return target ?? `/${source}`;
}

function addVolume(out: MountsOut, i: ContainerSpecInput, v: ServiceVolumeConfig): void {
  const ro = !!v.read_only;
  switch (v.type) {
    case 'bind': {
      // Binds (not Mounts) create a missing host path, which is compose's create_host_path default.
      if (v.bind?.create_host_path !== false) {
        const opts = [ro ? 'ro' : '', v.bind?.propagation ?? '', v.bind?.selinux ?? ''].filter(Boolean);
        out.binds.push(`${v.source}:${v.target}${opts.length ? `:${opts.join(',')}` : ''}`);
      } else {
        out.mounts.push({
          Type: 'bind',
          Source: v.source!,
          Target: v.target,
          ReadOnly: ro,
          ...(v.bind?.propagation ? { BindOptions: { Propagation: v.bind.propagation } } : {}),
        } as T.MountSpec);
      }
      return;
    }
    case 'volume': {
      if (!v.source) {
        const kept = i.keepVolumes?.[v.target];
        if (kept) out.mounts.push({ Type: 'volume', Source: kept, Target: v.target, ReadOnly: ro } as T.MountSpec);
        else out.anonymous[v.target] = {};
        return;
      }
      const source = i.project.volumes[v.source] ? volumeName(i.project, v.source) : v.source;
      out.mounts.push({
        Type: 'volume',
        Source: source,
        Target: v.target,
        ReadOnly: ro,
        ...(v.volume?.nocopy || v.volume?.subpath
          ? { VolumeOptions: { NoCopy: !!v.volume.nocopy, ...(v.volume.subpath ? { Subpath: v.volume.subpath } : {}) } }
          : {}),
      } as T.MountSpec);
      return;
    }
    case 'tmpfs':
      out.mounts.push({
        Type: 'tmpfs',
        Target: v.target,
        ReadOnly: ro,
        ...(v.tmpfs
          ? {
              TmpfsOptions: {
                ...(v.tmpfs.size !== undefined ? { SizeBytes: v.tmpfs.size } : {}),
                ...(v.tmpfs.mode !== undefined ? { Mode: v.tmpfs.mode } : {}),
              },
            }
          : {}),
      } as T.MountSpec);
      return;
    default:
      throw new Error(`volume type ${v.type} is not supported by berth compose (service ${i.service}, target ${v.target})`);
  }
}

function endpoint(i: ContainerSpecInput, s: ServiceConfig, key: string, nameAlias: boolean): T.EndpointSettings {
  const n = s.networks?.[key] ?? null;
  // The service name resolves to every replica; `<service>-<n>` names one of them.
  const aliases = [i.service, ...(nameAlias ? [`${i.service}-${i.number}`] : []), ...(n?.aliases ?? [])];
  return {
    Aliases: [...new Set(aliases)],
    ...(n?.ipv4_address || n?.ipv6_address
      ? { IPAMConfig: { ...(n.ipv4_address ? { IPv4Address: n.ipv4_address } : {}), ...(n.ipv6_address ? { IPv6Address: n.ipv6_address } : {}) } }
      : {}),
    ...(n?.mac_address ? { MacAddress: n.mac_address } : {}),
    ...(n?.driver_opts ? { DriverOpts: n.driver_opts } : {}),
  } as T.EndpointSettings;
}

export function containerSpec(i: ContainerSpecInput): ContainerSpec {
  const { project, service } = i;
  const s = project.services[service];
  if (!s) throw new Error(`no such service: ${service}`);
  const env = Object.entries(s.environment ?? {})
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k}=${v}`);
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: T.PortMap = {};
  for (const e of s.expose ?? []) exposed[/\//.test(e) ? e : `${e}/tcp`] = {};
  for (const p of s.ports ?? []) {
    const key = portKey(p);
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: p.host_ip ?? '', HostPort: p.published ?? '' });
  }
  const m = volumeMounts(i, s);
  const nets = serviceNetworks(s);
  const oneoffNoAlias = !!i.oneoff;
  const networkMode = s.network_mode ? sharedMode(s.network_mode, i.containerOf) : nets.length ? networkName(project, nets[0]!) : 'default';
  const limits = s.deploy?.resources?.limits;
  const reservations = s.deploy?.resources?.reservations;
  const memory = s.mem_limit ?? limits?.memory;
  const cpus = s.cpus ?? limits?.cpus;
  const stopTimeout = seconds(s.stop_grace_period);
  const hc = healthcheck(s);

  const hostConfig: T.HostConfig & Record<string, unknown> = {
    Binds: m.binds.length ? m.binds : null,
    Mounts: m.mounts.length ? m.mounts : undefined,
    Tmpfs: Object.keys(m.tmpfs).length ? m.tmpfs : undefined,
    NetworkMode: networkMode,
    PortBindings: bindings,
    RestartPolicy: restartPolicy(s.restart),
    VolumesFrom: s.volumes_from?.length
      ? s.volumes_from.map((v) => (v.startsWith('container:') ? v.slice(10) : i.containerOf(v.replace(/:(ro|rw)$/, '')) + (/:(ro|rw)$/.exec(v)?.[0] ?? '')))
      : null,
    CapAdd: s.cap_add ?? null,
    CapDrop: s.cap_drop ?? null,
    Privileged: !!s.privileged,
    ReadonlyRootfs: !!s.read_only,
    SecurityOpt: s.security_opt ?? null,
    Sysctls: s.sysctls,
    Dns: s.dns ?? null,
    DnsSearch: s.dns_search ?? null,
    DnsOptions: s.dns_opt ?? null,
    ExtraHosts: s.extra_hosts ?? null,
    GroupAdd: s.group_add ?? null,
    PidMode: sharedMode(s.pid, i.containerOf),
    IpcMode: sharedMode(s.ipc, i.containerOf),
    UTSMode: s.uts ?? '',
    UsernsMode: s.userns_mode ?? '',
    CgroupnsMode: s.cgroup ?? '',
    CgroupParent: s.cgroup_parent ?? '',
    ShmSize: s.shm_size ?? 0,
    Memory: memory ?? 0,
    MemoryReservation: s.mem_reservation ?? reservations?.memory ?? 0,
    MemorySwap: s.memswap_limit ?? 0,
    NanoCpus: cpus ? Math.round(cpus * 1e9) : 0,
    CpuShares: s.cpu_shares ?? 0,
    CpuQuota: s.cpu_quota ?? 0,
    CpuPeriod: s.cpu_period ?? 0,
    CpusetCpus: s.cpuset ?? '',
    PidsLimit: s.pids_limit ?? limits?.pids ?? 0,
    OomKillDisable: !!s.oom_kill_disable,
    OomScoreAdj: s.oom_score_adj ?? 0,
    Ulimits: Object.entries(s.ulimits ?? {}).map(([Name, u]) => (typeof u === 'number' ? { Name, Soft: u, Hard: u } : { Name, Soft: u.soft, Hard: u.hard })),
    Devices: (s.devices ?? []).map((d) => ({ PathOnHost: d.source, PathInContainer: d.target, CgroupPermissions: d.permissions || 'rwm' })),
    DeviceCgroupRules: s.device_cgroup_rules ?? null,
    LogConfig: { Type: s.logging?.driver ?? '', Config: s.logging?.options ?? {} },
    ...(s.init !== undefined ? { Init: s.init } : {}),
    ...(s.runtime ? { Runtime: s.runtime } : {}),
  };
  for (const k of Object.keys(hostConfig)) if (hostConfig[k] === undefined) delete hostConfig[k];

  const body: T.ContainerCreateRequest & Record<string, unknown> = {
    Hostname: s.hostname ?? '',
    Domainname: s.domainname ?? '',
    User: s.user ?? '',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    ExposedPorts: exposed,
    Tty: !!s.tty,
    OpenStdin: !!s.stdin_open,
    StdinOnce: false,
    Env: env,
    Cmd: s.command ?? null,
    Entrypoint: s.entrypoint ?? null,
    Image: imageName(project, service),
    Volumes: Object.keys(m.anonymous).length ? m.anonymous : null,
    WorkingDir: s.working_dir ?? '',
    Labels: containerLabels(i),
    ...(hc ? { Healthcheck: hc } : {}),
    ...(s.stop_signal ? { StopSignal: s.stop_signal } : {}),
    ...(stopTimeout !== undefined ? { StopTimeout: Math.ceil(stopTimeout) } : {}),
    ...(s.mac_address ? { MacAddress: s.mac_address } : {}),
    HostConfig: hostConfig,
    NetworkingConfig: { EndpointsConfig: nets.length ? { [networkName(project, nets[0]!)]: endpoint(i, s, nets[0]!, !oneoffNoAlias) } : {} },
  };
  const moreNetworks = nets.slice(1).map((key) => ({ network: networkName(project, key), endpoint: endpoint(i, s, key, !oneoffNoAlias) }));
  const files: ContainerSpec['files'] = [];
  for (const kind of ['secrets', 'configs'] as const) {
    for (const ref of s[kind] ?? []) {
      const def = project[kind][ref.source];
      if (!def || def.file) continue;
      const content = def.content ?? (def.environment ? (project.environment[def.environment] ?? '') : undefined);
      if (content === undefined) continue;
      files.push({ path: fileObjectTarget(kind, ref.source, ref.target), content, mode: ref.mode ?? 0o444 });
    }
  }
  return { name: i.name, body, moreNetworks, files };
}
