// The torture driver's leak oracle: what berthd keeps on the host (mounts under its data root,
// network namespaces, veths and bridges tagged with its ifalias, cgroups under its cgroup parent,
// DNAT rules in its nftables table) compared with what the surviving objects explain. Anything
// more is a leak. Only this daemon's own objects are looked at (its tag, table, data root and
// cgroup parent), so other daemons on the machine never count.
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestDaemon } from '../support/daemon.js';

const execFileP = promisify(execFile);

/** Mount points under the data root (read from /proc/self/mountinfo). */
export async function mountsUnder(dataRoot: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === dataRoot || m.startsWith(`${dataRoot}/`));
}

/** What the daemon's running containers account for, read through the API. */
interface Explained {
  /** Full ids of running containers (their rootfs mount, netns and cgroup carry the id). */
  ids: Set<string>;
  /** Host-side veth names: one per endpoint of a running container (sandboxes.ts names them). */
  veths: Set<string>;
  bridges: Set<string>;
  /** Addresses of running containers: the only DNAT targets the table may hold. */
  ips: Set<string>;
}

async function explained(d: TestDaemon): Promise<Explained> {
  const ex: Explained = { ids: new Set(), veths: new Set(), bridges: new Set(), ips: new Set() };
  const list = await d.api('GET', '/containers/json');
  if (list.status !== 200) throw new Error(`containers/json: ${list.status} ${list.text}`);
  for (const c of list.json as { Id: string; NetworkSettings?: { Networks?: Record<string, { NetworkID: string; IPAddress: string }> } }[]) {
    ex.ids.add(c.Id);
    for (const n of Object.values(c.NetworkSettings?.Networks ?? {})) {
      if (!n.NetworkID || !n.IPAddress) continue;
      ex.veths.add('vb' + createHash('sha256').update(`${c.Id}/${n.NetworkID}`).digest('hex').slice(0, 11));
      ex.ips.add(n.IPAddress);
    }
  }
  const nets = await d.api('GET', '/networks');
  for (const n of nets.json as { Id: string; Driver: string; Options?: Record<string, string> }[]) {
    if (n.Driver !== 'bridge') continue;
    ex.bridges.add(n.Options?.['com.docker.network.bridge.name'] || `br-${n.Id.slice(0, 12)}`);
  }
  return ex;
}

/** Links whose ifalias is this daemon's tag (network-manager.ts: berth:<sha256(stateDir)[:8]>). */
async function taggedLinks(tag: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir('/sys/class/net')) {
    const alias = await readFile(`/sys/class/net/${name}/ifalias`, 'utf8').catch(() => '');
    if (alias.trim() === tag) out.push(name);
  }
  return out;
}

/** Cgroup directories under the daemon's cgroup parent, in every controller hierarchy. */
async function cgroupDirs(parent: string): Promise<{ path: string; name: string }[]> {
  const out: { path: string; name: string }[] = [];
  for (const ctl of await readdir('/sys/fs/cgroup').catch(() => [] as string[])) {
    const base = join('/sys/fs/cgroup', ctl, parent);
    for (const e of await readdir(base, { withFileTypes: true }).catch(() => [])) if (e.isDirectory()) out.push({ path: join(base, e.name), name: e.name });
  }
  return out;
}

/** The table's DNAT targets (`dnat to 10.x.y.z:80`). No table at all is not a leak. */
async function dnatTargets(table: string): Promise<string[]> {
  const r = await execFileP('nft', ['list', 'table', 'ip', table]).catch(() => undefined);
  if (!r) return [];
  return [...r.stdout.matchAll(/dnat to (\d+\.\d+\.\d+\.\d+)/g)].map((m) => m[1]!);
}

/** One pass: every host object of the daemon not explained by a running container or a network. */
export async function hostLeaks(d: TestDaemon): Promise<string[]> {
  const h = createHash('sha256').update(join(d.dataRoot, 'network')).digest('hex').slice(0, 8);
  const ex = await explained(d);
  const byId = (p: string) => [...ex.ids].some((id) => p.includes(id));
  const leaks: string[] = [];
  for (const m of await mountsUnder(d.dataRoot)) if (!byId(m)) leaks.push(`mount ${m}`);
  for (const ns of await readdir(join(d.dataRoot, 'netns')).catch(() => [] as string[])) if (!ex.ids.has(ns)) leaks.push(`netns ${ns}`);
  for (const link of await taggedLinks(`berth:${h}`)) {
    if (link.startsWith('vb') ? !ex.veths.has(link) : !ex.bridges.has(link)) leaks.push(`link ${link}`);
  }
  for (const cg of await cgroupDirs(d.cgroupParent)) if (!ex.ids.has(cg.name)) leaks.push(`cgroup ${cg.path}`);
  for (const ip of await dnatTargets(`berth_${h}`)) if (!ex.ips.has(ip)) leaks.push(`nft dnat to ${ip} in berth_${h}`);
  return leaks;
}

/**
 * Leaks that stay: the kernel frees a namespace's veths in the background and berthd reaps in the
 * background too (reaper.ts), so a check right after a removal may see them for a moment. Polls
 * until nothing is left (but the `known` leaks, reported before) or `ms` passes, and returns what was still there.
 */
export async function settledLeaks(d: TestDaemon, ms = 15_000, known: ReadonlySet<string> = new Set()): Promise<string[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const leaks = await hostLeaks(d);
    if (!leaks.some((l) => !known.has(l)) || Date.now() > deadline) return leaks;
    await new Promise((r) => setTimeout(r, 250));
  }
}
