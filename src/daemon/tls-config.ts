// berthd's --tls / --tlsverify / --tlscacert / --tlscert / --tlskey, decided as dockerd does:
// --tlsverify (or DOCKER_TLS_VERIFY in the environment) implies --tls; the files default to
// $DOCKER_CERT_PATH (or ~/.docker) /{ca,cert,key}.pem. TLS applies to the TCP listeners only.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { invalidArgument } from '../lib/errors.js';
import { CA_FILE, CERT_FILE, KEY_FILE, defaultCertDir } from '../lib/tls-files.js';
import { parseGoBool } from '../lib/go-bool.js';

export interface DaemonTls {
  certFile: string;
  keyFile: string;
  /** Set with --tlsverify: clients must present a certificate signed by this CA. */
  caFile?: string;
  verifyClients: boolean;
}

export interface TlsFlags {
  tls?: boolean;
  tlsverify?: boolean;
  cacert?: string;
  cert?: string;
  key?: string;
}

export function daemonTls(f: TlsFlags, env: NodeJS.ProcessEnv, home = homedir()): DaemonTls | undefined {
  const verify = f.tlsverify ?? !!env.DOCKER_TLS_VERIFY;
  if (!verify && f.tls !== true) return undefined;
  const dir = defaultCertDir(env, home);
  return {
    certFile: f.cert ?? join(dir, CERT_FILE),
    keyFile: f.key ?? join(dir, KEY_FILE),
    ...(verify ? { caFile: f.cacert ?? join(dir, CA_FILE) } : {}),
    verifyClients: verify,
  };
}

/**
 * Takes Go-style boolean flags (`--x`, `--x=false`) out of argv, since node's parseArgs has no
 * boolean that takes a value. Returns each flag's value (undefined when absent) and the rest.
 */
export function splitGoBools<N extends string>(argv: string[], names: readonly N[]): { bools: Partial<Record<N, boolean>>; rest: string[] } {
  const bools: Partial<Record<N, boolean>> = {};
  const rest: string[] = [];
  for (const a of argv) {
    const name = names.find((n) => a === `--${n}` || a.startsWith(`--${n}=`));
    if (name === undefined) {
      rest.push(a);
      continue;
    }
    const v = a === `--${name}` ? true : parseGoBool(a.slice(name.length + 3));
    if (v === undefined) throw invalidArgument(`invalid value for --${name}: ${a}`);
    bools[name] = v;
  }
  return { bools, rest };
}
