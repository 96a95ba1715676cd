// Merging compose files (`-f a -f b`, override files, `extends`) by the compose spec's rules:
// mappings merge key by key, scalars are replaced, `command`/`entrypoint`/`healthcheck.test` are
// replaced whole, list-or-map fields merge by key, and sequences merge by each item's identity
// (volumes and secrets by target, ports and other lists by value). `!reset` removes what the
// earlier file set, `!override` replaces it without merging.
import { OverrideTag, ResetTag, isMap, type RawMap } from './tags.js';
import { parseVolumeSpec } from '../normalize/volume-spec.js';

type Merger = (base: unknown, over: unknown, path: string[]) => unknown;

const replace: Merger = (_b, o) => o;

/** List (`K=V`, `K`) or map forms to a map, for merging by key. */
function toMap(v: unknown, sep = '='): RawMap {
  if (isMap(v)) return v;
  const out: RawMap = {};
  for (const item of Array.isArray(v) ? v : v === null || v === undefined ? [] : [v]) {
    const s = String(item);
    const i = s.indexOf(sep);
    if (i < 0) out[s] = null;
    else out[s.slice(0, i)] = s.slice(i + 1);
  }
  return out;
}

const byKeyMap: Merger = (b, o, path) => mergeMaps(toMap(b), toMap(o), path);

/** extra_hosts: `host:ip`, `host=ip` or a map (`host: ip | [ips]`); entries appended, duplicates dropped. */
const extraHosts: Merger = (b, o) => {
  const norm = (v: unknown): string[] => {
    if (isMap(v)) return Object.entries(v).flatMap(([host, ips]) => (Array.isArray(ips) ? ips : [ips]).map((ip) => `${host}:${String(ip ?? '')}`));
    return (Array.isArray(v) ? v : v === null || v === undefined ? [] : [v]).map((item) => {
      const s = String(item);
      const eq = s.indexOf('=');
      return eq > 0 ? `${s.slice(0, eq)}:${s.slice(eq + 1)}` : s;
    });
  };
  return [...new Set([...norm(b), ...norm(o)])];
};

/** IPAM pools: one per subnet; a later pool for the same subnet merges into it. */
const ipamPools: Merger = (b, o, path) => {
  const out: unknown[] = Array.isArray(b) ? [...b] : [];
  for (const pool of Array.isArray(o) ? o : []) {
    const i = out.findIndex((p) => isMap(p) && isMap(pool) && p.subnet === pool.subnet);
    if (i < 0) out.push(pool);
    else out[i] = mergeValues(out[i], pool, path, true);
  }
  return out;
};

/** Service networks and depends_on: a list of names or a map; entries merge per name. */
const namedEntries: Merger = (b, o, path) => {
  const norm = (v: unknown): RawMap => (isMap(v) ? v : Object.fromEntries((Array.isArray(v) ? v : []).map((n) => [String(n), null])));
  return mergeMaps(norm(b), norm(o), path);
};

function unionBy(key: (item: unknown) => string): Merger {
  return (b, o) => {
    const list = (v: unknown) => (Array.isArray(v) ? v : v === null || v === undefined ? [] : [v]);
    const out = new Map<string, unknown>();
    for (const item of [...list(b), ...list(o)]) {
      if (item instanceof ResetTag) continue;
      out.set(key(item), item); // a later entry with the same identity replaces the earlier, in place
    }
    return [...out.values()];
  };
}

const byValue = unionBy((v) => JSON.stringify(v));

function volumeTarget(v: unknown): string {
  if (typeof v === 'string') {
    try {
      return parseVolumeSpec(v).target;
    } catch {
      return v;
    }
  }
  return isMap(v) && typeof v.target === 'string' ? v.target : JSON.stringify(v);
}

function mountTarget(defaultDir: string): (v: unknown) => string {
  return (v) => {
    if (typeof v === 'string') return `${defaultDir}${v}`;
    if (isMap(v)) return typeof v.target === 'string' ? (v.target.startsWith('/') ? v.target : `${defaultDir}${v.target}`) : `${defaultDir}${String(v.source)}`;
    return JSON.stringify(v);
  };
}

const deviceTarget = (v: unknown) => {
  if (typeof v === 'string') {
    const [src, dst] = v.split(':');
    return dst ?? src ?? v;
  }
  return isMap(v) ? String(v.target ?? v.source) : JSON.stringify(v);
};

const envFilePath = (v: unknown) => (isMap(v) ? String(v.path) : String(v));

const build: Merger = (b, o, path) => {
  const norm = (v: unknown) => (typeof v === 'string' ? { context: v } : v);
  return mergeValues(norm(b), norm(o), path, true);
};

const logging: Merger = (b, o, path) => {
  if (isMap(b) && isMap(o) && b.driver !== undefined && o.driver !== undefined && b.driver !== o.driver) return o;
  return mergeValues(b, o, path, true);
};

// Patterns over the dotted path; '*' matches one key.
const RULES: [string, Merger][] = [
  ['services.*.command', replace],
  ['services.*.entrypoint', replace],
  ['services.*.healthcheck.test', replace],
  ['services.*.extends', replace],
  ['services.*.build', build],
  ['services.*.logging', logging],
  ['services.*.ulimits.*', replace],
  ['services.*.environment', byKeyMap],
  ['services.*.labels', byKeyMap],
  ['services.*.annotations', byKeyMap],
  ['services.*.sysctls', byKeyMap],
  ['services.*.storage_opt', byKeyMap],
  ['services.*.build.args', byKeyMap],
  ['services.*.build.labels', byKeyMap],
  ['services.*.build.additional_contexts', byKeyMap],
  ['services.*.deploy.labels', byKeyMap],
  ['services.*.extra_hosts', extraHosts],
  ['services.*.build.extra_hosts', extraHosts],
  ['services.*.networks', namedEntries],
  ['services.*.depends_on', namedEntries],
  ['services.*.volumes', unionBy(volumeTarget)],
  ['services.*.secrets', unionBy(mountTarget('/run/secrets/'))],
  ['services.*.configs', unionBy(mountTarget('/'))],
  ['services.*.devices', unionBy(deviceTarget)],
  ['services.*.env_file', unionBy(envFilePath)],
  ['services.*.label_file', unionBy(String)],
  // string-or-list fields: a single string is a one-item list
  ...[
    'dns',
    'dns_search',
    'dns_opt',
    'tmpfs',
    'expose',
    'cap_add',
    'cap_drop',
    'profiles',
    'links',
    'external_links',
    'security_opt',
    'group_add',
    'volumes_from',
    'device_cgroup_rules',
    'networks.*.aliases',
  ].map((f) => [`services.*.${f}`, byValue] as [string, Merger]),
  ['networks.*.labels', byKeyMap],
  ['networks.*.ipam.config', ipamPools],
  ['services.*.volumes.*.volume.labels', byKeyMap],
  ['volumes.*.labels', byKeyMap],
  ['secrets.*.labels', byKeyMap],
  ['configs.*.labels', byKeyMap],
];
const COMPILED = RULES.map(([p, m]) => [new RegExp(`^${p.replace(/\./g, '\\.').replace(/\*/g, '[^.]+')}$`), m] as const);

function ruleFor(path: string[]): Merger | undefined {
  const dotted = path.join('.');
  return COMPILED.find(([re]) => re.test(dotted))?.[1];
}

function mergeMaps(base: RawMap, over: RawMap, path: string[]): RawMap {
  const out: RawMap = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in base ? mergeValues(base[k], v, [...path, k]) : v;
  return out;
}

/** Merges `over` onto `base` at `path` (keys from the file's root). */
export function mergeValues(base: unknown, over: unknown, path: string[], skipRule = false): unknown {
  if (over instanceof ResetTag) return over;
  if (over instanceof OverrideTag) return over.value;
  if (base === undefined || base instanceof ResetTag) return over;
  if (base instanceof OverrideTag) return mergeValues(base.value, over, path);
  const rule = skipRule ? undefined : ruleFor(path);
  if (rule) return rule(base, over, path);
  if (isMap(base) && isMap(over)) return mergeMaps(base, over, path);
  if (Array.isArray(base) && Array.isArray(over)) return byValue(base, over, path);
  return over;
}

/** Merges two whole compose files. */
export function mergeFiles(base: RawMap, over: RawMap): RawMap {
  return mergeValues(base, over, []) as RawMap;
}

/** Merges a service definition onto another (for `extends`), with the service rules. */
export function mergeService(base: RawMap, over: RawMap, name: string): RawMap {
  return mergeValues(base, over, ['services', name]) as RawMap;
}
