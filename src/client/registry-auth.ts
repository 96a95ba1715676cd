// The X-Registry-Auth a docker client sends for a registry: the entry of ~/.docker/config.json
// (or $DOCKER_CONFIG/config.json) under `auths`, as {username, password, serveraddress} in
// base64url JSON; "e30=" ({}) when there is none. Credential helpers are not consulted.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ensureDir, writeFileAtomic } from '../lib/atomic-fs.js';

export function configPath(env: NodeJS.ProcessEnv): string {
  return join(env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), '.docker'), 'config.json');
}

/** `host` is the registry as named in the image reference ("127.0.0.1:5000"; docker.io for Hub). */
export function registryAuthHeader(host: string, env: NodeJS.ProcessEnv): string {
  let cfg: { auths?: Record<string, { auth?: string }> };
  try {
    cfg = JSON.parse(readFileSync(configPath(env), 'utf8')) as typeof cfg;
  } catch {
    return 'e30=';
  }
  const keys = host === 'docker.io' ? ['https://index.docker.io/v1/', 'docker.io', 'index.docker.io'] : [host, `https://${host}`, `http://${host}`];
  // (login files the entry under configKey(host): the first of these)
  const entry = keys.map((k) => cfg.auths?.[k]).find((e) => e?.auth);
  if (!entry?.auth) return 'e30=';
  const plain = Buffer.from(entry.auth, 'base64').toString('utf8');
  const i = plain.indexOf(':');
  if (i <= 0) return 'e30=';
  return Buffer.from(JSON.stringify({ username: plain.slice(0, i), password: plain.slice(i + 1), serveraddress: host })).toString('base64url');
}

/** The key docker's config.json files a registry's credentials under. */
export function configKey(server: string | undefined): string {
  const s = (server ?? '').trim().replace(/\/+$/, '');
  if (!s || ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'https://index.docker.io/v1'].includes(s)) return 'https://index.docker.io/v1/';
  return s.replace(/^https?:\/\//, '');
}

function readConfig(env: NodeJS.ProcessEnv): Record<string, unknown> {
  try {
    const v = JSON.parse(readFileSync(configPath(env), 'utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Stores user:password for `key` (docker's plain "auth" entry), keeping the file's other keys; mode 0600. */
export async function saveCredentials(key: string, user: string, password: string, env: NodeJS.ProcessEnv): Promise<string> {
  const cfg = readConfig(env);
  const auths = (typeof cfg.auths === 'object' && cfg.auths !== null ? cfg.auths : {}) as Record<string, unknown>;
  auths[key] = { auth: Buffer.from(`${user}:${password}`).toString('base64') };
  cfg.auths = auths;
  const path = configPath(env);
  await ensureDir(dirname(path));
  await writeFileAtomic(path, JSON.stringify(cfg, null, '\t') + '\n', 0o600);
  return path;
}

/** Removes the entry; false when there was none. */
export async function removeCredentials(key: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const cfg = readConfig(env);
  const auths = cfg.auths as Record<string, unknown> | undefined;
  if (!auths || !(key in auths)) return false;
  delete auths[key];
  await writeFileAtomic(configPath(env), JSON.stringify(cfg, null, '\t') + '\n', 0o600);
  return true;
}
