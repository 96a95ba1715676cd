// The client's --tls / --tlsverify / --tlscacert / --tlscert / --tlskey, decided as the docker CLI
// does: DOCKER_TLS_VERIFY turns verification on, naming --tlsverify at all (even =false) turns
// TLS on, --tls alone skips checking the server's certificate, and the files default to
// $DOCKER_CERT_PATH (or ~/.docker) /{ca,cert,key}.pem, the client pair only when it exists.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CA_FILE, CERT_FILE, KEY_FILE, defaultCertDir } from '../../lib/tls-files.js';
import { homeDir } from './host.js';

export interface ClientTlsFlags {
  tls?: boolean;
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
}

/** Which files a TCP connection uses; `verify`: check the daemon's certificate against `caFile`. */
export interface ClientTls {
  verify: boolean;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

/** What node's https agent is given. */
export interface ClientTlsMaterial {
  rejectUnauthorized: boolean;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export function clientTls(f: ClientTlsFlags, env: NodeJS.ProcessEnv = process.env, home?: string, exists = existsSync): ClientTls | undefined {
  const verify = f.tlsverify ?? !!env.DOCKER_TLS_VERIFY;
  if (!f.tls && !verify && f.tlsverify === undefined) return undefined;
  const dir = defaultCertDir(env, home ?? homeDir(env));
  const optional = (given: string | undefined, name: string) => given ?? (exists(join(dir, name)) ? join(dir, name) : undefined);
  const certFile = optional(f.tlscert, CERT_FILE);
  const keyFile = optional(f.tlskey, KEY_FILE);
  return {
    verify,
    ...(verify ? { caFile: f.tlscacert ?? join(dir, CA_FILE) } : {}),
    ...(certFile ? { certFile } : {}),
    ...(keyFile ? { keyFile } : {}),
  };
}

/** Reads the files, with the docker CLI's messages for the ones it cannot read. */
export function loadClientTls(t: ClientTls): ClientTlsMaterial {
  const read = (what: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new Error(`could not read ${what} "${path}": ${(e as Error).message}`);
    }
  };
  if ((t.certFile === undefined) !== (t.keyFile === undefined)) throw new Error('TLS: a client certificate needs its key (--tlscert and --tlskey go together)');
  return {
    rejectUnauthorized: t.verify,
    ...(t.caFile ? { ca: read('CA certificate', t.caFile) } : {}),
    ...(t.certFile ? { cert: read('client certificate', t.certFile) } : {}),
    ...(t.keyFile ? { key: read('client key', t.keyFile) } : {}),
  };
}
