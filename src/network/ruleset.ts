// The whole Berth nftables table as a pure function of the networks and sandboxes on disk.
// Applying it replaces the table in one nft transaction, so the kernel never holds a half
// update, recovery is "render and apply", and cleanup is deleting one table. Rules live only in
// Berth's own table; other tables (iptables-nft, firewalld) are untouched.
import { nft, nftList } from './nft.js';
import type { NetworkRecord, SandboxRecord } from './types.js';

const q = (s: string) => JSON.stringify(s);

export function renderRules(networks: NetworkRecord[], sandboxes: SandboxRecord[]): { fwd: string[]; ports: string[]; post: string[] } {
  const bridges = networks.filter((n) => n.driver === 'bridge');
  const names = bridges.map((n) => q(n.bridgeName));
  const set = `{ ${names.join(', ')} }`;
  const fwd: string[] = [];
  const post: string[] = [];
  const ports: string[] = [];
  for (const n of bridges) {
    const b = q(n.bridgeName);
    if (n.internal) fwd.push(`iifname ${b} oifname != ${b} drop`, `oifname ${b} iifname != ${b} drop`);
    else post.push(`ip saddr ${n.subnet} oifname != ${b} masquerade`);
    // Loopback clients of published ports, and containers reaching a published port of their
    // own network (hairpin): the reply must come back through the host to be un-NATed.
    post.push(`oifname ${b} ip saddr 127.0.0.0/8 masquerade`, `oifname ${b} ct status dnat ip saddr ${n.subnet} masquerade`);
  }
  if (names.length) {
    // Published ports are reachable from everywhere, other networks included.
    fwd.push('ct status dnat accept');
    for (const b of names) fwd.push(`iifname ${b} oifname ${b} accept`);
    fwd.push(`iifname ${set} oifname ${set} drop`, `oifname ${set} ct state established,related accept`, `oifname ${set} drop`);
  }
  for (const s of sandboxes) ports.push(...portRules(s, networks));
  return { fwd, ports, post };
}

const chain = (name: string, hook: string, body: string[]) => `  chain ${name} {\n${hook ? `    ${hook}\n` : ''}${body.map((l) => `    ${l}\n`).join('')}  }\n`;

/** DNAT rules of one sandbox: to its first non-internal endpoint. */
export function portRules(s: SandboxRecord, networks: NetworkRecord[]): string[] {
  const ep = s.endpoints.find((e) => !networks.find((n) => n.id === e.networkId)?.internal) ?? s.endpoints[0];
  if (!ep) return [];
  return s.ports.map((p) => `${p.hostIp === '0.0.0.0' ? '' : `ip daddr ${p.hostIp} `}${p.protocol} dport ${p.hostPort} dnat to ${ep.ip}:${p.containerPort}`);
}

/**
 * Rules added to an installed table without replacing anything. Container start only adds; stop
 * and network changes refill the regular chains (cheap through nft.ts's long-lived context: the
 * RCU grace period a deletion needs passes in the background).
 */
export function renderAdd(table: string, s: SandboxRecord, networks: NetworkRecord[]): string {
  return portRules(s, networks)
    .map((r) => `add rule ip ${table} published ${r}\n`)
    .join('');
}

/**
 * The whole table. Base chains (the hooks) only jump to regular chains, because replacing a
 * base chain costs the kernel an RCU grace period (~10-20 ms); updates refill regular chains.
 */
export function renderRuleset(table: string, networks: NetworkRecord[], sandboxes: SandboxRecord[], comment?: string): string {
  const r = renderRules(networks, sandboxes);
  return (
    `table ip ${table} {\n` +
    (comment ? `  comment ${q(comment)}\n` : '') +
    chain('isolate', '', r.fwd) +
    chain('published', '', r.ports) +
    chain('masq', '', r.post) +
    chain('forward', 'type filter hook forward priority filter; policy accept;', ['jump isolate']) +
    chain('prerouting', 'type nat hook prerouting priority dstnat; policy accept;', ['fib daddr type local jump published']) +
    chain('output', 'type nat hook output priority -100; policy accept;', ['fib daddr type local jump published']) +
    chain('postrouting', 'type nat hook postrouting priority srcnat; policy accept;', ['jump masq']) +
    '}\n'
  );
}

/** Refills the regular chains of an installed table (one atomic nft transaction). */
export function renderUpdate(table: string, networks: NetworkRecord[], sandboxes: SandboxRecord[]): string {
  const r = renderRules(networks, sandboxes);
  return (
    ['isolate', 'published', 'masq'].map((c) => `flush chain ip ${table} ${c}\n`).join('') +
    `table ip ${table} {\n` +
    chain('isolate', '', r.fwd) +
    chain('published', '', r.ports) +
    chain('masq', '', r.post) +
    '}\n'
  );
}

/** Replaces the table atomically ("add" makes the delete valid when it does not exist yet). */
export async function applyRuleset(table: string, text: string): Promise<void> {
  await nft(`add table ip ${table}\ndelete table ip ${table}\n${text}`);
}

export async function applyUpdate(text: string): Promise<void> {
  await nft(text);
}

export async function deleteTable(table: string): Promise<void> {
  await nft(`add table ip ${table}\ndelete table ip ${table}\n`);
}

/** Names of the ip tables whose name starts with `prefix`. */
export async function listTables(prefix: string): Promise<string[]> {
  const out = await nftList('list tables\n');
  return [...out.matchAll(/^table ip (\S+)$/gm)].map((m) => m[1]!).filter((t) => t.startsWith(prefix));
}

/** The table as nft prints it, or '' when absent (tests, diagnostics). */
export async function listTable(table: string): Promise<string> {
  return nftList(`list table ip ${table}\n`).catch(() => '');
}
