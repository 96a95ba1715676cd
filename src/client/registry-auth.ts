// The X-Registry-Auth a docker client sends for a registry: the entry of ~/.docker/config.json
// (or $DOCKER_CONFIG/config.json) under `auths`, as {username, password, serveraddress} in
// base64url JSON; "e30=" ({}) when there is none. Credential helpers are not consulted.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

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
  const entry = keys.map((k) => cfg.auths?.[k]).find((e) => e?.auth);
  if (!entry?.auth) return 'e30=';
  const plain = Buffer.from(entry.auth, 'base64').toString('utf8');
  const i = plain.indexOf(':');
  if (i <= 0) return 'e30=';
  return Buffer.from(JSON.stringify({ username: plain.slice(0, i), password: plain.slice(i + 1), serveraddress: host })).toString('base64url');
}
