// Where docker (CLI and dockerd alike) looks for its TLS files.
// Shared by berthd's --tls/--tlsverify and the berth CLI's, which must agree with docker's.
import { join } from 'node:path';

/** $DOCKER_CERT_PATH, else the docker config directory ($DOCKER_CONFIG or ~/.docker). */
export function defaultCertDir(env: NodeJS.ProcessEnv, home: string): string {
  return env.DOCKER_CERT_PATH || env.DOCKER_CONFIG || join(home, '.docker');
}

export const CA_FILE = 'ca.pem';
export const CERT_FILE = 'cert.pem';
export const KEY_FILE = 'key.pem';
