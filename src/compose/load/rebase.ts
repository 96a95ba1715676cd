// Relative paths in a service taken from another folder (a file reached by `extends.file` or
// `include`) are relative to that folder, not to the project: make them absolute before the
// service is merged into the project, where remaining relative paths mean the project directory.
import { isAbsolute, resolve } from 'node:path';
import { isMap, type RawMap } from './tags.js';
import { isPathLike } from '../normalize/volume-spec.js';

export function isRemoteContext(ctx: string): boolean {
  return /^(https?:\/\/|git:\/\/|git@|github\.com\/|ssh:\/\/)/.test(ctx);
}

const abs = (dir: string, p: string) => (isAbsolute(p) || p.startsWith('~') ? p : resolve(dir, p));

function rebaseEnvFiles(v: unknown, dir: string): unknown {
  const one = (e: unknown) => (typeof e === 'string' ? abs(dir, e) : isMap(e) && typeof e.path === 'string' ? { ...e, path: abs(dir, e.path) } : e);
  return Array.isArray(v) ? v.map(one) : one(v);
}

function rebaseVolume(v: unknown, dir: string): unknown {
  if (typeof v === 'string') {
    const colon = v.indexOf(':');
    if (colon > 0 && v.startsWith('.')) return abs(dir, v.slice(0, colon)) + v.slice(colon);
    return v;
  }
  if (isMap(v) && v.type === 'bind' && typeof v.source === 'string' && isPathLike(v.source)) return { ...v, source: abs(dir, v.source) };
  return v;
}

export function rebaseService(service: RawMap, dir: string): RawMap {
  const out: RawMap = { ...service };
  const b = out.build;
  if (typeof b === 'string') out.build = isRemoteContext(b) ? b : abs(dir, b);
  else if (isMap(b)) {
    const ctx = typeof b.context === 'string' ? b.context : '.';
    out.build = { ...b, context: isRemoteContext(ctx) ? ctx : abs(dir, ctx) };
  }
  if (out.env_file !== undefined) out.env_file = rebaseEnvFiles(out.env_file, dir);
  if (out.label_file !== undefined)
    out.label_file = Array.isArray(out.label_file) ? out.label_file.map((f) => abs(dir, String(f))) : abs(dir, String(out.label_file));
  if (Array.isArray(out.volumes)) out.volumes = out.volumes.map((v) => rebaseVolume(v, dir));
  if (isMap(out.develop) && Array.isArray(out.develop.watch)) {
    out.develop = { ...out.develop, watch: out.develop.watch.map((w) => (isMap(w) && typeof w.path === 'string' ? { ...w, path: abs(dir, w.path) } : w)) };
  }
  return out;
}

/** Every service plus top-level secret and config files. */
export function rebaseFile(dict: RawMap, dir: string): RawMap {
  const out: RawMap = { ...dict };
  if (isMap(dict.services)) {
    out.services = Object.fromEntries(Object.entries(dict.services).map(([n, s]) => [n, isMap(s) ? rebaseService(s, dir) : s]));
  }
  for (const section of ['secrets', 'configs']) {
    const objs = dict[section];
    if (!isMap(objs)) continue;
    out[section] = Object.fromEntries(Object.entries(objs).map(([n, o]) => [n, isMap(o) && typeof o.file === 'string' ? { ...o, file: abs(dir, o.file) } : o]));
  }
  return out;
}
