// The docker CLI's context store, read and written where and as the docker CLI 28 does, so that
// both CLIs share contexts: $DOCKER_CONFIG/contexts/meta/<sha256(name)>/meta.json and the TLS
// files under contexts/tls/<sha256(name)>/docker/{ca,cert,key}.pem; the context in use is
// config.json's `currentContext`. Loaded only when a command names a context or manages them.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClientTls } from '../api/client/tls.js';
import { dockerConfigDir } from '../api/client/host.js';
import { writeFileAtomic } from '../lib/atomic-fs.js';

export interface DockerEndpointMeta {
  Host: string;
  SkipTLSVerify: boolean;
}
export interface ContextMeta {
  Name: string;
  Metadata: { Description?: string; [k: string]: unknown };
  Endpoints: { docker?: DockerEndpointMeta; [k: string]: unknown };
}
/** The TLS files a docker endpoint may carry, by their stored file names. */
export const TLS_FILES = ['ca.pem', 'cert.pem', 'key.pem'] as const;
export type TlsFileName = (typeof TLS_FILES)[number];

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$/;

export function validateContextName(name: string): void {
  if (name === 'default') throw new Error('"default" is a reserved context name');
  if (!NAME_RE.test(name)) throw new Error(`context name "${name}" is invalid, names are validated against regexp "${NAME_RE.source}"`);
}

const contextId = (name: string) => createHash('sha256').update(name).digest('hex');
export const metaDir = (env: NodeJS.ProcessEnv, name: string) => join(dockerConfigDir(env), 'contexts', 'meta', contextId(name));
export const tlsDir = (env: NodeJS.ProcessEnv, name: string) => join(dockerConfigDir(env), 'contexts', 'tls', contextId(name));

/** A stored context, or undefined when there is none of that name. */
export function findContext(env: NodeJS.ProcessEnv, name: string): ContextMeta | undefined {
  try {
    return asMeta(JSON.parse(readFileSync(join(metaDir(env, name), 'meta.json'), 'utf8')));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** A stored context, or docker's "context not found" error. */
export function getContext(env: NodeJS.ProcessEnv, name: string): ContextMeta {
  const c = findContext(env, name);
  if (!c) throw new Error(`context "${name}": context not found: open ${join(metaDir(env, name), 'meta.json')}: no such file or directory`);
  return c;
}

function asMeta(v: unknown): ContextMeta {
  const o = (v && typeof v === 'object' ? v : {}) as Partial<ContextMeta>;
  return { Name: String(o.Name ?? ''), Metadata: o.Metadata ?? {}, Endpoints: o.Endpoints ?? {} };
}

/** Every stored context, by name. */
export function listContexts(env: NodeJS.ProcessEnv): ContextMeta[] {
  const root = join(dockerConfigDir(env), 'contexts', 'meta');
  let ids: string[];
  try {
    ids = readdirSync(root);
  } catch {
    return [];
  }
  const out: ContextMeta[] = [];
  for (const id of ids) {
    try {
      out.push(asMeta(JSON.parse(readFileSync(join(root, id, 'meta.json'), 'utf8'))));
    } catch {
      // a half-written or foreign directory: docker skips what it cannot read as well
    }
  }
  return out.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
}

/** The TLS files stored for a context's docker endpoint. */
export function contextTlsFiles(env: NodeJS.ProcessEnv, name: string): TlsFileName[] {
  const dir = join(tlsDir(env, name), 'docker');
  return TLS_FILES.filter((f) => existsSync(join(dir, f)));
}

/** docker's meta.json is compact JSON; the TLS files are written 0600 like the CLI's. */
export async function saveContext(env: NodeJS.ProcessEnv, meta: ContextMeta, tls?: Partial<Record<TlsFileName, Buffer>>): Promise<void> {
  const dir = metaDir(env, meta.Name);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await writeFileAtomic(join(dir, 'meta.json'), JSON.stringify(meta), 0o644);
  if (tls) {
    const t = join(tlsDir(env, meta.Name), 'docker');
    await rm(tlsDir(env, meta.Name), { recursive: true, force: true });
    const files = Object.entries(tls).filter(([, v]) => v);
    if (files.length) await mkdir(t, { recursive: true, mode: 0o700 });
    for (const [f, data] of files) await writeFile(join(t, f), data!, { mode: 0o600 });
  }
}

export async function removeContext(env: NodeJS.ProcessEnv, name: string): Promise<void> {
  await rm(metaDir(env, name), { recursive: true, force: true });
  await rm(tlsDir(env, name), { recursive: true, force: true });
}

/** The daemon address and TLS files a stored context gives (docker's endpoint: TLS when it has files or skips checking). */
export function contextEndpoint(env: NodeJS.ProcessEnv, c: ContextMeta): { host: string; tls?: ClientTls } {
  const d = c.Endpoints.docker;
  if (!d?.Host) throw new Error(`context "${c.Name}": no docker endpoint`);
  const files = contextTlsFiles(env, c.Name);
  if (!files.length && !d.SkipTLSVerify) return { host: d.Host };
  const at = (f: TlsFileName) => (files.includes(f) ? join(tlsDir(env, c.Name), 'docker', f) : undefined);
  const tls: ClientTls = { verify: !d.SkipTLSVerify };
  const ca = at('ca.pem');
  const cert = at('cert.pem');
  const key = at('key.pem');
  if (ca) tls.caFile = ca;
  if (cert) tls.certFile = cert;
  if (key) tls.keyFile = key;
  return { host: d.Host, tls };
}

/** Sets (or, for the default, clears) config.json's currentContext, keeping the rest of the file. */
export async function setCurrentContext(env: NodeJS.ProcessEnv, name: string | undefined): Promise<void> {
  const path = join(dockerConfigDir(env), 'config.json');
  let cfg: Record<string, unknown> = {};
  try {
    const v = JSON.parse(await readFile(path, 'utf8')) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) cfg = v as Record<string, unknown>;
  } catch {
    cfg = { auths: {} };
  }
  if (name && name !== 'default') cfg.currentContext = name;
  else delete cfg.currentContext;
  await mkdir(dockerConfigDir(env), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, JSON.stringify(cfg, null, '\t'), 0o600);
}
