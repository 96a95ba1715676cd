// Where the daemon is: -H/--host, then DOCKER_HOST, then Berth's default socket.
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
