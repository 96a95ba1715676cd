// Top-level networks, volumes, secrets and configs. Each gets its engine-side `name`: as written,
// else the key itself when external, else `<project>_<key>`, as compose names what it creates.
import type { FileObjectConfig, IpamPool, NetworkConfig, VolumeConfig } from '../model.js';
import { isMap, type RawMap } from '../load/tags.js';
import { stringMap, toBool } from './cast.js';
import { at, type NormalizeContext } from './context.js';
import { hostPath } from './paths.js';

/** `external: true`, `external: {name: x}` (deprecated) and the name they imply. */
function external(key: string, raw: RawMap, ctx: NormalizeContext): { external?: boolean; name: string } {
  let ext = false;
  let name = raw.name === undefined ? undefined : String(raw.name);
  if (isMap(raw.external)) {
    ext = true;
    if (raw.external.name !== undefined) name ??= String(raw.external.name);
  } else if (raw.external !== undefined) ext = toBool(raw.external);
  return { ...(ext ? { external: true } : {}), name: name ?? (ext ? key : `${ctx.projectName}_${key}`) };
}

export function networkConfig(ctx: NormalizeContext, key: string, v: unknown): NetworkConfig {
  const raw = isMap(v) ? v : {};
  const path = `networks.${key}`;
  return at(ctx, path, () => {
    const out: NetworkConfig = { ...(raw as Partial<NetworkConfig>), ...external(key, raw, ctx) };
    if (raw.driver_opts !== undefined) out.driver_opts = stringMap(raw.driver_opts);
    if (raw.labels !== undefined) out.labels = stringMap(raw.labels);
    for (const k of ['internal', 'attachable', 'enable_ipv4', 'enable_ipv6'] as const) if (raw[k] !== undefined) out[k] = toBool(raw[k]);
    if (isMap(raw.ipam)) {
      const ipam = raw.ipam;
      out.ipam = { ...ipam };
      if (Array.isArray(ipam.config)) {
        out.ipam.config = ipam.config.map((c) => {
          const pool = (isMap(c) ? { ...c } : {}) as IpamPool;
          if (pool.aux_addresses !== undefined) pool.aux_addresses = stringMap(pool.aux_addresses);
          return pool;
        });
      }
      if (ipam.options !== undefined) out.ipam.options = stringMap(ipam.options);
    }
    return out;
  });
}

export function volumeConfig(ctx: NormalizeContext, key: string, v: unknown): VolumeConfig {
  const raw = isMap(v) ? v : {};
  return at(ctx, `volumes.${key}`, () => {
    const out: VolumeConfig = { ...(raw as Partial<VolumeConfig>), ...external(key, raw, ctx) };
    if (raw.driver_opts !== undefined) out.driver_opts = stringMap(raw.driver_opts);
    if (raw.labels !== undefined) out.labels = stringMap(raw.labels);
    return out;
  });
}

/** Secrets and configs: `file` absolute; exactly one source unless external. */
export function fileObjectConfig(ctx: NormalizeContext, section: 'secrets' | 'configs', key: string, v: unknown): FileObjectConfig {
  const raw = isMap(v) ? v : {};
  const path = `${section}.${key}`;
  return at(ctx, path, () => {
    const out: FileObjectConfig = { ...(raw as Partial<FileObjectConfig>), ...external(key, raw, ctx) };
    if (raw.file !== undefined) out.file = hostPath(ctx, String(raw.file));
    if (raw.labels !== undefined) out.labels = stringMap(raw.labels);
    if (raw.driver_opts !== undefined) out.driver_opts = stringMap(raw.driver_opts);
    const sources = ['file', 'environment', 'content'].filter((k) => raw[k] !== undefined);
    if (!out.external && sources.length !== 1) {
      throw new Error(sources.length ? `must set only one of file, environment or content` : `must set one of file, environment or content, or external`);
    }
    return out;
  });
}
