// One service from its merged raw mapping to the canonical ServiceConfig: every short syntax in
// its long form, strings cast to the types compose uses, host paths absolute, env files read.
import { readFileSync } from 'node:fs';
import type {
  DeployConfig,
  DevelopConfig,
  EnvFileConfig,
  HealthCheckConfig,
  ServiceConfig,
  ServiceDependency,
  ServiceHook,
  ServiceNetworkConfig,
  ServicePortConfig,
  WatchAction,
} from '../model.js';
import { isMap, type RawMap } from '../load/tags.js';
import { readDotenv, readRawEnvFile } from '../load/dotenv.js';
import { CastError, listOrDict, stringList, stringMap, toBool, toBytes, toDuration, toFloat, toInt, toStr } from './cast.js';
import { at, fieldError, type NormalizeContext } from './context.js';
import { buildConfig } from './build.js';
import { extraHosts, ulimits } from './fields.js';
import { device, serviceFileRef, serviceVolume } from './mounts.js';
import { hostPath } from './paths.js';
import { parsePortSpec } from './port-spec.js';
import { shellSplit } from './shell-split.js';
import { deployConfig } from './deploy.js';

type Field = (ctx: NormalizeContext, v: unknown, path: string) => unknown;

const bool: Field = (_c, v) => toBool(v);
const int: Field = (_c, v) => toInt(v);
const float: Field = (_c, v) => toFloat(v);
const bytes: Field = (_c, v) => toBytes(v);
const duration: Field = (_c, v) => toDuration(v);
const list: Field = (_c, v) => stringList(v);
const map: Field = (_c, v) => stringMap(v);
const str: Field = (_c, v) => toStr(v);

export const command = (v: unknown): string[] | null => (v === null ? null : typeof v === 'string' ? shellSplit(v) : stringList(v));

function ports(ctx: NormalizeContext, v: unknown, path: string): ServicePortConfig[] {
  const out = new Map<string, ServicePortConfig>();
  (Array.isArray(v) ? v : []).forEach((p, i) => {
    const entries = at(ctx, `${path}.${i}`, () => {
      if (typeof p === 'number' || typeof p === 'string') return parsePortSpec(p);
      if (!isMap(p)) throw new CastError('must be a number, string or mapping');
      const { target, published, protocol, mode, host_ip, name, app_protocol, ...rest } = p;
      const port: ServicePortConfig = { ...rest, mode: String(mode ?? 'ingress'), target: toInt(target), protocol: String(protocol ?? 'tcp') };
      if (host_ip !== undefined) port.host_ip = String(host_ip);
      if (published !== undefined && published !== null && published !== '') port.published = String(published);
      if (name !== undefined) port.name = String(name);
      if (app_protocol !== undefined) port.app_protocol = String(app_protocol);
      return [port];
    });
    for (const e of entries) out.set(`${e.host_ip ?? ''}|${e.published ?? ''}|${e.target}|${e.protocol}|${e.mode}`, e);
  });
  return [...out.values()];
}

function dependsOn(_ctx: NormalizeContext, v: unknown): Record<string, ServiceDependency> {
  const out: Record<string, ServiceDependency> = {};
  const entries: [string, unknown][] = Array.isArray(v) ? v.map((n) => [String(n), null]) : Object.entries(isMap(v) ? v : {});
  for (const [name, d] of entries) {
    const dep = isMap(d) ? d : {};
    const { condition, required, restart, ...rest } = dep;
    out[name] = {
      ...rest,
      condition: (condition ?? 'service_started') as ServiceDependency['condition'],
      required: required === undefined ? true : toBool(required),
    };
    if (restart !== undefined) out[name]!.restart = toBool(restart);
  }
  return out;
}

function networks(_ctx: NormalizeContext, v: unknown): Record<string, ServiceNetworkConfig | null> {
  if (Array.isArray(v)) return Object.fromEntries(v.map((n) => [String(n), null]));
  const out: Record<string, ServiceNetworkConfig | null> = {};
  for (const [name, n] of Object.entries(isMap(v) ? v : {})) {
    if (!isMap(n)) {
      out[name] = null;
      continue;
    }
    const cfg: ServiceNetworkConfig = { ...n };
    if (n.aliases !== undefined) cfg.aliases = stringList(n.aliases);
    if (n.link_local_ips !== undefined) cfg.link_local_ips = stringList(n.link_local_ips);
    if (n.driver_opts !== undefined) cfg.driver_opts = stringMap(n.driver_opts);
    if (n.priority !== undefined) cfg.priority = toInt(n.priority);
    if (n.gw_priority !== undefined) cfg.gw_priority = toInt(n.gw_priority);
    out[name] = cfg;
  }
  return out;
}

function healthcheck(_ctx: NormalizeContext, v: unknown): HealthCheckConfig {
  const h = isMap(v) ? v : {};
  const out: HealthCheckConfig = {};
  for (const [k, x] of Object.entries(h)) {
    if (k === 'test') out.test = typeof x === 'string' ? ['CMD-SHELL', x] : stringList(x);
    else if (k === 'retries') out.retries = toInt(x);
    else if (k === 'disable') out.disable = toBool(x);
    else if (['interval', 'timeout', 'start_period', 'start_interval'].includes(k)) (out as RawMap)[k] = toDuration(x);
    else (out as RawMap)[k] = x;
  }
  return out;
}

export function hook(ctx: NormalizeContext, v: unknown, path: string): ServiceHook {
  const h = isMap(v) ? v : {};
  const out: ServiceHook = { command: at(ctx, `${path}.command`, () => command(h.command ?? null) ?? []) };
  if (h.user !== undefined) out.user = String(h.user);
  if (h.privileged !== undefined) out.privileged = toBool(h.privileged);
  if (h.working_dir !== undefined) out.working_dir = String(h.working_dir);
  if (h.environment !== undefined) out.environment = listOrDict(h.environment);
  return out;
}

function develop(ctx: NormalizeContext, v: unknown, path: string): DevelopConfig {
  const d = isMap(v) ? v : {};
  const out: DevelopConfig = { ...d } as DevelopConfig;
  if (Array.isArray(d.watch)) {
    out.watch = d.watch.map((w, i) => {
      const r = isMap(w) ? w : {};
      const { path: p, action, target, ignore, include, exec, initial_sync, ...rest } = r;
      const rule = { ...rest, path: at(ctx, `${path}.watch.${i}.path`, () => hostPath(ctx, String(p))), action: String(action) as WatchAction };
      return {
        ...rule,
        ...(target !== undefined ? { target: String(target) } : {}),
        ...(ignore !== undefined ? { ignore: stringList(ignore) } : {}),
        ...(include !== undefined ? { include: stringList(include) } : {}),
        ...(exec !== undefined ? { exec: hook(ctx, exec, `${path}.watch.${i}.exec`) } : {}),
        ...(initial_sync !== undefined ? { initial_sync: toBool(initial_sync) } : {}),
      };
    });
  }
  return out;
}

const FIELDS: Record<string, Field> = {
  build: (c, v, p) => buildConfig(c, v, p),
  command: (_c, v) => command(v),
  entrypoint: (_c, v) => command(v),
  labels: map,
  annotations: map,
  sysctls: map,
  storage_opt: map,
  ports,
  expose: list,
  tmpfs: list,
  volumes: (c, v, p) => (Array.isArray(v) ? v : []).map((x, i) => serviceVolume(c, x, `${p}.${i}`)),
  secrets: (c, v, p) => (Array.isArray(v) ? v : []).map((x, i) => serviceFileRef(c, x, `${p}.${i}`)),
  configs: (c, v, p) => (Array.isArray(v) ? v : []).map((x, i) => serviceFileRef(c, x, `${p}.${i}`)),
  devices: (c, v, p) => (Array.isArray(v) ? v : []).map((x, i) => device(c, x, `${p}.${i}`)),
  depends_on: dependsOn,
  networks,
  healthcheck,
  develop,
  deploy: (c, v, p) => deployConfig(c, v, p) satisfies DeployConfig,
  post_start: (c, v, p) => (Array.isArray(v) ? v : []).map((x, i) => hook(c, x, `${p}.${i}`)),
  pre_stop: (c, v, p) => (Array.isArray(v) ? v : []).map((x, i) => hook(c, x, `${p}.${i}`)),
  extra_hosts: (_c, v) => extraHosts(v),
  ulimits: (_c, v) => ulimits(v),
  logging: (_c, v) => {
    const l = isMap(v) ? v : {};
    return { ...l, ...(l.options !== undefined ? { options: stringMap(l.options) } : {}) };
  },
  scale: int,
  cpu_shares: int,
  cpu_quota: int,
  cpu_period: int,
  mem_swappiness: int,
  oom_score_adj: int,
  pids_limit: int,
  cpu_count: int,
  cpu_percent: int,
  cpus: float,
  mem_limit: bytes,
  mem_reservation: bytes,
  memswap_limit: bytes,
  shm_size: bytes,
  stop_grace_period: duration,
  init: bool,
  tty: bool,
  stdin_open: bool,
  privileged: bool,
  read_only: bool,
  attach: bool,
  oom_kill_disable: bool,
  cap_add: list,
  cap_drop: list,
  dns: list,
  dns_search: list,
  dns_opt: list,
  security_opt: list,
  links: list,
  external_links: list,
  volumes_from: list,
  device_cgroup_rules: list,
  group_add: list,
  profiles: list,
  restart: str,
  user: str,
  working_dir: str,
  hostname: str,
  domainname: str,
  stop_signal: str,
  image: str,
  container_name: str,
  platform: str,
  pull_policy: str,
  network_mode: str,
  pid: str,
  ipc: str,
  uts: str,
};

/** env_file entries in their long form, paths absolute. */
function envFiles(ctx: NormalizeContext, v: unknown): EnvFileConfig[] {
  return (Array.isArray(v) ? v : [v]).map((e) => {
    const r: RawMap = isMap(e) ? e : { path: e };
    const out: EnvFileConfig = { path: hostPath(ctx, String(r.path)), required: r.required === undefined ? true : toBool(r.required) };
    if (r.format !== undefined) out.format = String(r.format);
    return out;
  });
}

/** env_file values, then `environment:` over them; bare names take the project environment's value. */
function environment(ctx: NormalizeContext, raw: RawMap, path: string, files: EnvFileConfig[], lenient: boolean): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  files.forEach((f, i) => {
    try {
      const vars = at(ctx, `${path}.env_file.${i}`, () => {
        if (f.format === undefined) return readDotenv(f.path, (n) => ctx.environment[n], f.required);
        if (f.format === 'raw') return readRawEnvFile(f.path, f.required);
        throw new CastError(`unsupported env_file format ${JSON.stringify(f.format)}`);
      });
      Object.assign(out, vars);
    } catch (e) {
      if (!lenient) throw e;
    }
  });
  for (const [k, v] of Object.entries(listOrDict(raw.environment ?? {}))) out[k] = v ?? ctx.environment[k] ?? null;
  return out;
}

function labelFiles(ctx: NormalizeContext, v: unknown, path: string, lenient: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  stringList(v).forEach((f, i) => {
    let text = '';
    try {
      text = at(ctx, `${path}.label_file.${i}`, () => readFileSync(hostPath(ctx, f), 'utf8'));
    } catch (e) {
      if (!lenient) throw e;
    }
    for (const line of text.split(/\r?\n/)) {
      const l = line.trim();
      if (!l || l.startsWith('#')) continue;
      const eq = l.indexOf('=');
      out[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? '' : l.slice(eq + 1);
    }
  });
  return out;
}

/**
 * `lenient` is for services the active profiles leave out: compose never reads their env and
 * label files, so a missing one (say, of a `prod` profile) is no error; what can be read is, in
 * case the service gets enabled later (withServices).
 */
export function normalizeService(ctx: NormalizeContext, name: string, raw: RawMap, lenient = false): ServiceConfig {
  const path = `services.${name}`;
  const out: ServiceConfig = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'environment' || key === 'env_file' || key === 'label_file' || value === undefined) continue;
    const field = FIELDS[key];
    out[key] = field ? at(ctx, `${path}.${key}`, () => field(ctx, value, `${path}.${key}`)) : value;
  }
  const files = raw.env_file !== undefined ? at(ctx, `${path}.env_file`, () => envFiles(ctx, raw.env_file)) : [];
  if (files.length) out.env_file = files;
  if (raw.environment !== undefined || files.length) out.environment = environment(ctx, raw, path, files, lenient);
  if (raw.label_file !== undefined) out.labels = { ...labelFiles(ctx, raw.label_file, path, lenient), ...out.labels };
  // No networks (or an empty map) and no network_mode: the project's `default` network.
  if ((!out.networks || !Object.keys(out.networks).length) && !out.network_mode && out.provider === undefined) out.networks = { default: null };
  if (out.pull_policy === 'if_not_present') out.pull_policy = 'missing';
  if (out.scale !== undefined && out.deploy?.replicas !== undefined && out.scale !== out.deploy.replicas) {
    throw fieldError(ctx, `${path}.scale`, `can't set distinct values on 'scale' and 'deploy.replicas'`);
  }
  addImplicitDependencies(out);
  return out;
}

/**
 * Services this one needs first without saying so in depends_on, added there as compose does:
 * links and shared namespaces (`service:x` in network_mode/ipc/pid/uts/cgroup) restart with x;
 * volumes_from does not.
 */
function addImplicitDependencies(s: ServiceConfig): void {
  const needs: [string, boolean][] = [];
  for (const l of s.links ?? []) needs.push([l.split(':')[0]!, true]);
  for (const mode of [s.network_mode, s.ipc, s.pid, s.uts, s.cgroup as string | undefined]) if (mode?.startsWith('service:')) needs.push([mode.slice(8), true]);
  for (const v of s.volumes_from ?? []) if (!v.startsWith('container:')) needs.push([v.split(':')[0]!, false]);
  for (const [n, restart] of needs) {
    s.depends_on ??= {};
    s.depends_on[n] ??= { condition: 'service_started', restart, required: true };
  }
}
