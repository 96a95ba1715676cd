// The pure text of a container's /etc/resolv.conf and the standard lines of its /etc/hosts, as
// Docker writes them; shared by containers and by build RUN steps.

/** The lines every Docker /etc/hosts starts with. */
export const STANDARD_HOSTS = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

/** /etc/hosts lines for --add-host entries "name:ip", split at the first colon (the address may be IPv6), as Docker does. */
export function extraHostLines(extraHosts: readonly string[]): string[] {
  const out: string[] = [];
  for (const h of extraHosts) {
    const i = h.indexOf(':');
    if (i > 0) out.push(`${h.slice(i + 1)}\t${h.slice(0, i)}`);
  }
  return out;
}

/**
 * resolv.conf from the host's text: the given nameservers, else the host's minus loopback ones
 * (they would point at the container itself), else Google's, as Docker does. search/options come
 * from the arguments when given, else from the host.
 */
export function resolvConfText(hostResolv: string, dns: readonly string[], search: readonly string[] = [], options: readonly string[] = []): string {
  const lines = hostResolv.split('\n');
  let nameservers = dns.length ? [...dns] : lines.map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1]).filter((x): x is string => !!x && !/^127\.|^::1$/.test(x));
  if (nameservers.length === 0) nameservers = ['8.8.8.8', '8.8.4.4'];
  const out = nameservers.map((n) => `nameserver ${n}`);
  const s = search.length ? search.join(' ') : lines.map((l) => /^\s*search\s+(.+)/.exec(l)?.[1]).find(Boolean);
  if (s) out.push(`search ${s}`);
  const o = options.length ? options.join(' ') : lines.map((l) => /^\s*options\s+(.+)/.exec(l)?.[1]).find(Boolean);
  if (o) out.push(`options ${o}`);
  return out.join('\n') + '\n';
}
