// The dashboard's --dashboard address. It is a root-equivalent control panel: without TLS a
// session cookie on any other interface than loopback could be read off the wire, so a
// non-loopback address needs --dashboard-tls-cert and --dashboard-tls-key (then it is HTTPS).
import { isIP } from 'node:net';
import { invalidArgument } from '../lib/errors.js';

export interface ListenAddress {
  host: string;
  port: number;
}

/** "127.0.0.1:7070", "[::1]:7070", "localhost:7070" or a bare port (then 127.0.0.1). */
export function parseDashboardAddress(value: string, opts: { tls?: boolean } = {}): ListenAddress {
  const bare = /^\d+$/.test(value);
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(bare ? `127.0.0.1:${value}` : value);
  if (!m) throw invalidArgument(`invalid --dashboard address ${JSON.stringify(value)}: want HOST:PORT, e.g. 127.0.0.1:7070`);
  // ":7070" means every interface to Go's (and docker's) listeners: refused below, like 0.0.0.0.
  const host = (m[1] ?? m[2] ?? '').toLowerCase() || '0.0.0.0';
  const port = Number(m[3]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalidArgument(`invalid --dashboard port in ${JSON.stringify(value)}`);
  if (!isLoopback(host) && !opts.tls) {
    throw invalidArgument(
      `--dashboard ${value}: only a loopback address (127.0.0.1, ::1, localhost) is allowed without TLS; give --dashboard-tls-cert and --dashboard-tls-key to serve HTTPS on ${host}`,
    );
  }
  return { host: host === 'localhost' ? '127.0.0.1' : host, port };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

/** The origin a browser uses for this listener ("http://127.0.0.1:7070"). */
export function originOf(a: ListenAddress, scheme: 'http' | 'https' = 'http'): string {
  return `${scheme}://${isIP(a.host) === 6 ? `[${a.host}]` : a.host}:${a.port}`;
}
