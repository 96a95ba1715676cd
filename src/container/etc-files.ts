// The per-container /etc/hostname, /etc/hosts and /etc/resolv.conf, written on the host and
// bind-mounted in, as Docker does.
import { readFileSync, writeFileSync } from 'node:fs';
import { chown, readFile } from 'node:fs/promises';
import type { Owner } from '../lib/id-map.js';
import { extraHostLines, resolvConfText, STANDARD_HOSTS } from '../lib/etc-files.js';
import type { ContainerRecord } from './container-record.js';
import type { ContainerPaths } from './paths.js';

const HOST_RESOLV = '/etc/resolv.conf';

/** Host resolvers, minus loopback ones that would point at the container itself. */
export async function containerResolvConf(dns: string[], search: string[], options: string[]): Promise<string> {
  let host = ''; // none: the defaults
  try {
    host = readFileSync(HOST_RESOLV, 'utf8'); // a small file read at every start: synchronous, no thread-pool round trips
  } catch {}
  return resolvConfText(host, dns, search, options);
}

/** `links`: the addresses of legacy-linked containers (default bridge), before the container's own. */
export function hostsFile(
  rec: ContainerRecord,
  hostNetwork: boolean,
  own: { ip: string; names: string[] }[] = [],
  links: { ip: string; names: string[] }[] = [],
): string {
  const lines = [...STANDARD_HOSTS, ...extraHostLines(rec.host.extraHosts)];
  for (const l of links) lines.push(`${l.ip}\t${l.names.join(' ')}`);
  const fqdn = `${rec.config.hostname}${rec.config.domainname ? '.' + rec.config.domainname : ''}`;
  // Docker maps the hostname to the container's own address; without one, to a loopback address.
  if (!hostNetwork && own.length === 0) lines.push(`127.0.1.1\t${fqdn}`);
  for (const e of own) lines.push(`${e.ip}\t${e.names.join(' ')}`);
  return lines.join('\n') + '\n';
}

// Plain writes, no fsync: these files are rewritten before every start, so a torn one after a
// host crash is repaired by the next start. Synchronous: three small files in the container's
// own directory cost berthd's loop less than their thread-pool round trips.
export async function writeEtcFiles(
  paths: ContainerPaths,
  rec: ContainerRecord,
  net?: { netns: unknown; dnsServers: string[]; hostsEntries: { ip: string; names: string[] }[] },
  daemonDns: string[] = [],
  links: { ip: string; names: string[] }[] = [],
  /** The container's root on the host (its remapped root under --userns-remap): it owns the files, as with dockerd. */
  owner?: Owner,
): Promise<void> {
  const hostNet = net ? net.netns === 'host' : rec.host.networkMode === 'host';
  const hostname = hostNet ? (await readFile('/etc/hostname', 'utf8').catch(() => 'localhost')).trim() : rec.config.hostname;
  writeFileSync(paths.hostname(rec.id), hostname + '\n');
  writeFileSync(
    paths.hosts(rec.id),
    hostNet ? await readFile('/etc/hosts', 'utf8').catch(() => hostsFile(rec, true)) : hostsFile(rec, false, net?.hostsEntries, links),
  );
  // On user networks the embedded DNS answers, also with --dns (as Docker: it stays the
  // nameserver so container names resolve); elsewhere --dns, then the daemon's --dns, then the host's.
  const dns = net?.dnsServers.length ? net.dnsServers : rec.host.dns.length ? rec.host.dns : daemonDns;
  writeFileSync(paths.resolvConf(rec.id), await containerResolvConf(dns, rec.host.dnsSearch, rec.host.dnsOptions));
  if (owner) for (const f of [paths.hostname(rec.id), paths.hosts(rec.id), paths.resolvConf(rec.id)]) await chown(f, owner.uid, owner.gid);
}
