// A docker client's registry credentials, kept as the docker CLI keeps them in
// ~/.docker/config.json (or $DOCKER_CONFIG/config.json): in a credential helper when the file
// names one (`credHelpers[<registry>]`, else `credsStore`), otherwise base64 "user:password"
// under `auths[<registry>]`. With a helper, the file keeps an empty `auths` entry for the
// registry (docker's native store does the same) so that logout knows it is logged in.
// They travel to the daemon as X-Registry-Auth: {username, password, serveraddress} in
// base64url JSON; "e30=" ({}) when there are none. A login whose registry answered an identity
// token (a token server's refresh token) keeps that instead of the password, as docker does:
// `identitytoken` beside "user:" in the file, or Username "<token>" in a helper.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ensureDir, writeFileAtomic } from '../lib/atomic-fs.js';
import { helperErase, helperGet, helperStore } from './credential-helper.js';

export interface RegistryCredentials {
  username: string;
  password: string;
  identityToken?: string;
}

/** The username docker's credential helpers file an identity token under. */
const TOKEN_USERNAME = '<token>';

export function configPath(env: NodeJS.ProcessEnv): string {
  return join(env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), '.docker'), 'config.json');
}

function readConfig(env: NodeJS.ProcessEnv): Record<string, unknown> {
  try {
    const v = JSON.parse(readFileSync(configPath(env), 'utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function objectAt(cfg: Record<string, unknown>, k: string): Record<string, unknown> | undefined {
  const v = cfg[k];
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** The credential helper configured for `key` (credHelpers wins over credsStore), if any. */
export function helperFor(key: string, env: NodeJS.ProcessEnv): string | undefined {
  const cfg = readConfig(env);
  const per = objectAt(cfg, 'credHelpers')?.[key];
  if (typeof per === 'string' && per) return per;
  return typeof cfg.credsStore === 'string' && cfg.credsStore ? cfg.credsStore : undefined;
}

/** `host` is the registry as named in the image reference ("127.0.0.1:5000"; docker.io for Hub). */
export async function credentialsFor(host: string, env: NodeJS.ProcessEnv): Promise<RegistryCredentials | undefined> {
  const key = configKey(host);
  const helper = helperFor(key, env);
  if (helper) {
    const c = await helperGet(helper, key, env);
    if (c?.Username === TOKEN_USERNAME) return { username: '', password: '', identityToken: c.Secret };
    return c?.Username ? { username: c.Username, password: c.Secret } : undefined;
  }
  const auths = objectAt(readConfig(env), 'auths') ?? {};
  const keys = host === 'docker.io' ? ['https://index.docker.io/v1/', 'docker.io', 'index.docker.io'] : [host, `https://${host}`, `http://${host}`];
  const entry = keys
    .map((k) => auths[k] as { auth?: unknown; identitytoken?: unknown } | undefined)
    .find((e) => (typeof e?.auth === 'string' && e.auth) || (typeof e?.identitytoken === 'string' && e.identitytoken));
  if (!entry) return undefined;
  const plain = typeof entry.auth === 'string' ? Buffer.from(entry.auth, 'base64').toString('utf8') : '';
  const i = plain.indexOf(':');
  const c: RegistryCredentials = i > 0 ? { username: plain.slice(0, i), password: plain.slice(i + 1) } : { username: '', password: '' };
  if (typeof entry.identitytoken === 'string' && entry.identitytoken) c.identityToken = entry.identitytoken;
  return c.username || c.identityToken ? c : undefined;
}

export async function registryAuthHeader(host: string, env: NodeJS.ProcessEnv): Promise<string> {
  const c = await credentialsFor(host, env);
  if (!c) return 'e30=';
  const body: Record<string, string> = { username: c.username, password: c.password, serveraddress: host };
  if (c.identityToken) body.identitytoken = c.identityToken;
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

/** The key docker's config.json files a registry's credentials under. */
export function configKey(server: string | undefined): string {
  const s = (server ?? '').trim().replace(/\/+$/, '');
  if (!s || ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'https://index.docker.io/v1'].includes(s)) return 'https://index.docker.io/v1/';
  return s.replace(/^https?:\/\//, '');
}

async function writeConfig(cfg: Record<string, unknown>, env: NodeJS.ProcessEnv): Promise<string> {
  const path = configPath(env);
  await ensureDir(dirname(path));
  await writeFileAtomic(path, JSON.stringify(cfg, null, '\t') + '\n', 0o600);
  return path;
}

/**
 * Stores user:password (or, given one, the identity token in the password's place) for `key`:
 * through the configured helper (the file then keeps an empty entry), else as docker's plain
 * "auth" entry; the file's other keys are kept, mode 0600. Returns the file written and the helper used.
 */
export async function saveCredentials(
  key: string,
  user: string,
  password: string,
  env: NodeJS.ProcessEnv,
  identityToken?: string,
): Promise<{ path: string; helper?: string }> {
  const helper = helperFor(key, env);
  if (helper) {
    const entry = identityToken ? { ServerURL: key, Username: TOKEN_USERNAME, Secret: identityToken } : { ServerURL: key, Username: user, Secret: password };
    await helperStore(helper, entry, env);
  }
  const cfg = readConfig(env);
  const auths = objectAt(cfg, 'auths') ?? {};
  const plain: Record<string, string> = identityToken
    ? { auth: Buffer.from(`${user}:`).toString('base64'), identitytoken: identityToken }
    : { auth: Buffer.from(`${user}:${password}`).toString('base64') };
  auths[key] = helper ? {} : plain;
  cfg.auths = auths;
  return { path: await writeConfig(cfg, env), helper };
}

/**
 * Removes the entry (and erases it from the helper). false when the file has no entry for
 * `key`: docker decides "logged in" from the file alone. A helper's failure to erase is
 * returned as a warning, as docker prints one and still succeeds.
 */
export async function removeCredentials(key: string, env: NodeJS.ProcessEnv): Promise<{ removed: boolean; warning?: string }> {
  const cfg = readConfig(env);
  const auths = objectAt(cfg, 'auths');
  if (!auths || !(key in auths)) return { removed: false };
  let warning: string | undefined;
  const helper = helperFor(key, env);
  if (helper) await helperErase(helper, key, env).catch((e: Error) => (warning = `could not erase credentials: ${key}: ${e.message}`));
  delete auths[key];
  await writeConfig(cfg, env);
  return { removed: true, warning };
}
