// Where the daemon is: -H/--host, then DOCKER_HOST, then Berth's default socket; or a docker
// context (-c/--context, DOCKER_CONTEXT, config.json's currentContext) chosen by docker's rules.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const DEFAULT_HOST = 'unix:///run/berth/berth.sock';

export interface Endpoint {
  /** As given (normalised), used in messages: "unix:///run/berth/berth.sock". */
  host: string;
  socketPath?: string;
  hostname?: string;
  port?: number;
}

export function resolveHost(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return flag || env.DOCKER_HOST || env.BERTH_HOST || DEFAULT_HOST;
}

export function parseHost(host: string): Endpoint {
  if (host.startsWith('unix://')) return { host, socketPath: host.slice('unix://'.length) };
  if (host.startsWith('/')) return { host: `unix://${host}`, socketPath: host };
  const m = /^(?:tcp|http):\/\/\[?([^\]/]*?)\]?(?::(\d+))?\/?$/.exec(host);
  if (m) return { host, hostname: m[1] || '127.0.0.1', port: m[2] ? Number(m[2]) : 2375 };
  throw new Error(`unable to parse docker host \`${host}\``);
}

/** The context that stands for -H / DOCKER_HOST (or the default socket); docker's reserved name. */
export const DEFAULT_CONTEXT = 'default';

/**
 * The user's home: $HOME, else the password database's (Go's os.UserHomeDir reads $HOME alone).
 * node:os loads only without $HOME: every CLI run asks, and loading it costs ~0.5 ms.
 */
export function homeDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HOME || (process.getBuiltinModule('node:os') as typeof import('node:os')).homedir();
}

/** The docker CLI's config directory: $DOCKER_CONFIG, else ~/.docker. */
export function dockerConfigDir(env: NodeJS.ProcessEnv): string {
  return env.DOCKER_CONFIG || join(homeDir(env), '.docker');
}

/** config.json's `currentContext` (set by `context use`); a missing or unreadable file has none. */
export function currentContextSetting(env: NodeJS.ProcessEnv): string | undefined {
  try {
    const v = (JSON.parse(readFileSync(join(dockerConfigDir(env), 'config.json'), 'utf8')) as { currentContext?: unknown }).currentContext;
    return typeof v === 'string' && v ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Which context a command uses, as the docker CLI decides: --context (never with --host), then
 * --host or DOCKER_HOST (the default context), then DOCKER_CONTEXT, then config.json's
 * currentContext, then the default. `current` is read only when it decides.
 */
export function chooseContext(hostFlag: string | undefined, contextFlag: string | undefined, env: NodeJS.ProcessEnv, current = currentContextSetting): string {
  if (contextFlag) {
    if (hostFlag) throw new Error('conflicting options: cannot specify both --host and --context');
    return contextFlag;
  }
  if (hostFlag || env.DOCKER_HOST) return DEFAULT_CONTEXT;
  return env.DOCKER_CONTEXT || current(env) || DEFAULT_CONTEXT;
}
