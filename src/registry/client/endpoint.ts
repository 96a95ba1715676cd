// Where a reference's repository lives: the registry host to talk to, the repository path in
// its /v2/ API, and which schemes may be used. Docker's rules: docker.io is served by
// registry-1.docker.io; plain http is allowed only for "insecure" registries, and loopback
// hosts (localhost, 127.0.0.0/8, ::1) are insecure by default. An insecure registry is tried
// over https first (certificate not verified) and then over http.
import { isIP } from 'node:net';
import { DEFAULT_DOMAIN, type ImageReference } from '../../lib/reference.js';
import { netContains, parseCidr, parseIp } from '../../lib/cidr.js';

export const DOCKER_HUB_HOST = 'registry-1.docker.io';

export interface RegistryEndpoint {
  /** The reference's domain as typed and stored (docker.io, 127.0.0.1:5000). */
  domain: string;
  /** host[:port] to connect to (registry-1.docker.io for docker.io). */
  host: string;
  /** The repository's name in the /v2/ API (library/busybox, x). */
  repository: string;
  /** Schemes to try, in order. */
  schemes: ('https' | 'http')[];
  /** TLS certificates are not verified (an insecure registry). */
  insecure: boolean;
}

/** The hostname of host[:port] or [v6]:port, without brackets. */
export function hostnameOf(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const i = host.lastIndexOf(':');
  return i > -1 && host.indexOf(':') === i ? host.slice(0, i) : host;
}

export function isLoopbackHost(host: string): boolean {
  const name = hostnameOf(host).toLowerCase();
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  if (isIP(name) === 6) return name === '::1' || name === '0:0:0:0:0:0:0:1';
  return false;
}

/** Whether `host` matches one of dockerd's --insecure-registry entries (host[:port] or a CIDR, as Go's net reads it). */
export function isInsecureHost(host: string, insecure: readonly string[] = []): boolean {
  if (isLoopbackHost(host)) return true;
  const name = hostnameOf(host);
  for (const entry of insecure) {
    if (entry === host || entry === name) return true;
    if (entry.includes('/') && inCidr(name, entry)) return true;
  }
  return false;
}

function inCidr(address: string, cidr: string): boolean {
  try {
    return netContains(parseCidr(cidr), parseIp(address));
  } catch {
    return false; // an entry with a slash that is no CIDR matches no address
  }
}

export function endpointFor(ref: ImageReference, insecure: readonly string[] = []): RegistryEndpoint {
  const host = ref.domain === DEFAULT_DOMAIN ? DOCKER_HUB_HOST : ref.domain;
  const allowHttp = isInsecureHost(host, insecure);
  return { domain: ref.domain, host, repository: ref.path, schemes: allowHttp ? ['https', 'http'] : ['https'], insecure: allowHttp };
}
