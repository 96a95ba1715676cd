// Bridges and veth host ends on the host, through `ip -batch` (one exec for several changes).
// Every device Berth makes carries an ifalias tag naming the owning daemon state directory, so
// recovery removes only its own leftovers, never another engine's `br-*` or `veth*`.
import { readdir, readFile, writeFile, access } from 'node:fs/promises';
import { run } from './exec.js';
import { macForIp, parseIp } from './subnet.js';

export async function linkExists(name: string): Promise<boolean> {
  return access(`/sys/class/net/${name}`).then(
    () => true,
    () => false,
  );
}

/** Names of links whose ifalias equals `tag`. */
export async function taggedLinks(tag: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir('/sys/class/net')) {
    const alias = await readFile(`/sys/class/net/${name}/ifalias`, 'utf8').catch(() => '');
    if (alias.trim() === tag) out.push(name);
  }
  return out;
}

export async function ipBatch(lines: string[]): Promise<void> {
  if (lines.length) await run('ip', ['-batch', '-'], lines.join('\n') + '\n');
}

/**
 * Creates the bridge with its gateway address unless it exists (recovery calls this too). The
 * bridge gets a fixed MAC (02:42 + the gateway address, like containers' own): a bridge without
 * one takes the lowest MAC of its ports, so attaching a container could change the gateway's MAC
 * under the other containers' ARP caches and cut them off from it (DNS, NAT) for tens of seconds.
 */
export async function ensureBridge(name: string, gatewayCidr: string, mtu: number, tag: string): Promise<void> {
  const mac = macForIp(parseIp(gatewayCidr.split('/')[0]!)!);
  if (!(await linkExists(name))) {
    await ipBatch([
      `link add name ${name} mtu ${mtu} address ${mac} type bridge`,
      `link set dev ${name} alias ${tag}`,
      `addr add ${gatewayCidr} dev ${name}`,
      `link set ${name} up`,
    ]);
  } else {
    // An existing bridge (ours after a restart, or one a killed daemon left behind whose data root
    // is gone) is made to match the record: its gateway address and no other IPv4 address, or
    // containers would get addresses the host has no route for; our tag, so our recovery owns it;
    // our MAC (an older Berth made bridges without one).
    const addrs = await ipv4Addresses(name);
    const lines = addrs.filter((a) => a !== gatewayCidr).map((a) => `addr del ${a} dev ${name}`);
    if (!addrs.includes(gatewayCidr)) lines.push(`addr add ${gatewayCidr} dev ${name}`);
    if ((await readFile(`/sys/class/net/${name}/address`, 'utf8').catch(() => '')).trim() !== mac) lines.push(`link set dev ${name} address ${mac}`);
    if ((await readFile(`/sys/class/net/${name}/ifalias`, 'utf8').catch(() => '')).trim() !== tag) lines.push(`link set dev ${name} alias ${tag}`);
    lines.push(`link set ${name} up`);
    await ipBatch(lines);
  }
  // DNAT of 127.0.0.1:port to a container needs loopback-sourced packets routed out the bridge
  // (they are masqueraded to the gateway address before leaving). Goes away with the bridge.
  await writeFile(`/proc/sys/net/ipv4/conf/${name}/route_localnet`, '1');
}

/** The link's IPv4 addresses as "ip/prefix" (global scope first, as the kernel lists them); [] when it does not exist. */
export async function ipv4Addresses(name: string): Promise<string[]> {
  if (!(await linkExists(name))) return [];
  const out = await run('ip', ['-j', '-4', 'addr', 'show', 'dev', name]).catch(() => '[]');
  const links = JSON.parse(out || '[]') as { addr_info?: { family: string; local: string; prefixlen: number }[] }[];
  return links
    .flatMap((l) => l.addr_info ?? [])
    .filter((a) => a.family === 'inet')
    .map((a) => `${a.local}/${a.prefixlen}`);
}

export async function deleteLinks(names: string[]): Promise<void> {
  const present: string[] = [];
  for (const n of names) if (await linkExists(n)) present.push(n);
  // -force: keep going if one vanished meanwhile (its namespace was destroyed).
  if (present.length) await run('ip', ['-force', '-batch', '-'], present.map((n) => `link del ${n}`).join('\n') + '\n').catch(() => {});
}

/** Batch lines that plug a veth's host end into a bridge; hairpin lets a container reach its own published port. */
export function hostVethLines(veth: string, bridge: string, tag: string): string[] {
  return [
    `link set dev ${veth} alias ${tag}`,
    `link set dev ${veth} master ${bridge}`,
    `link set dev ${veth} type bridge_slave hairpin on`,
    `link set dev ${veth} up`,
  ];
}

/** Batch lines run inside the namespace: make the veth pair (host end moved out to `hostPid`'s namespace) and address it. */
export function nsEndpointLines(o: {
  ifName: string;
  veth: string;
  mac: string;
  mtu: number;
  ip: string;
  prefixLen: number;
  gateway?: string;
  hostPid: number;
  first: boolean;
}): string[] {
  const lines = [`link add ${o.ifName} mtu ${o.mtu} address ${o.mac} type veth peer name ${o.veth} mtu ${o.mtu} netns ${o.hostPid}`];
  if (o.first) lines.push('link set lo up');
  lines.push(`link set ${o.ifName} up`, `addr add ${o.ip}/${o.prefixLen} dev ${o.ifName}`);
  if (o.gateway) lines.push(`route add default via ${o.gateway} dev ${o.ifName}`);
  return lines;
}

export async function enableIpForward(): Promise<void> {
  const p = '/proc/sys/net/ipv4/ip_forward';
  if ((await readFile(p, 'utf8')).trim() !== '1') await writeFile(p, '1');
}
