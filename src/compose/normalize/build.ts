// `build:` in its long form: the context absolute (or a URL), the Dockerfile named, args with
// bare names taken from the environment.
import { isAbsolute, resolve } from 'node:path';
import type { BuildConfig } from '../model.js';
import { isMap, type RawMap } from '../load/tags.js';
import { isRemoteContext } from '../load/rebase.js';
import { listOrDict, stringList, stringMap, toBool, toBytes } from './cast.js';
import { at, fieldError, type NormalizeContext } from './context.js';
import { buildContextPath } from './paths.js';
import { extraHosts, ulimits } from './fields.js';
import { serviceFileRef } from './mounts.js';

export function buildConfig(ctx: NormalizeContext, raw: unknown, path: string): BuildConfig {
  const b: RawMap = typeof raw === 'string' ? { context: raw } : isMap(raw) ? raw : {};
  const { context, dockerfile, dockerfile_inline, args, labels, ssh, ...rest } = b;
  const out: BuildConfig = {
    ...(rest as Partial<BuildConfig>),
    context: at(ctx, `${path}.context`, () => buildContextPath(ctx, String(context ?? '.'))),
    dockerfile: String(dockerfile ?? 'Dockerfile'),
  };
  if (dockerfile_inline !== undefined) {
    if (dockerfile !== undefined) throw fieldError(ctx, path, `declares mutually exclusive dockerfile and dockerfile_inline: invalid compose project`);
    out.dockerfile_inline = String(dockerfile_inline);
  }
  if (args !== undefined) {
    const a = listOrDict(args);
    // A bare arg takes the environment's value; compose drops one the environment lacks.
    for (const [k, v] of Object.entries(a)) {
      if (v !== null) continue;
      if (ctx.environment[k] !== undefined) a[k] = ctx.environment[k]!;
      else delete a[k];
    }
    out.args = a;
  }
  if (labels !== undefined) out.labels = stringMap(labels);
  if (ssh !== undefined) out.ssh = Array.isArray(ssh) ? ssh.map(String) : Object.entries(stringMap(ssh)).map(([k, v]) => (v ? `${k}=${v}` : k));
  for (const key of ['cache_from', 'cache_to', 'tags', 'platforms', 'entitlements'] as const) if (b[key] !== undefined) out[key] = stringList(b[key]);
  for (const key of ['no_cache', 'pull', 'privileged'] as const) if (b[key] !== undefined) out[key] = at(ctx, `${path}.${key}`, () => toBool(b[key]));
  if (b.shm_size !== undefined) out.shm_size = at(ctx, `${path}.shm_size`, () => toBytes(b.shm_size));
  if (b.extra_hosts !== undefined) out.extra_hosts = at(ctx, `${path}.extra_hosts`, () => extraHosts(b.extra_hosts));
  if (b.ulimits !== undefined) out.ulimits = at(ctx, `${path}.ulimits`, () => ulimits(b.ulimits));
  if (Array.isArray(b.secrets)) out.secrets = b.secrets.map((s, i) => serviceFileRef(ctx, s, `${path}.secrets.${i}`));
  if (b.additional_contexts !== undefined) {
    const extra = stringMap(b.additional_contexts);
    for (const [k, v] of Object.entries(extra)) {
      // Only plain paths are relative to the project; URLs, `docker-image://` and `service:` are not.
      if (!v.includes('://') && !v.startsWith('service:') && !isRemoteContext(v) && !isAbsolute(v)) extra[k] = resolve(ctx.workingDir, v);
    }
    out.additional_contexts = extra;
  }
  return out;
}
