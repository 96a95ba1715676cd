// What a test daemon's networking leaves on the host, read straight from the kernel's views
// (/sys/class/net, /proc/self/mountinfo, nft) and the data root, so a test can assert that
// removing its containers and networks (and finally stopping the daemon) leaves nothing behind.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import assert from 'node:assert/strict';

/** The ifalias tag and nft table name NetworkManager derives from its state dir (<data-root>/network). */
export function daemonIds(dataRoot: string): { tag: string; table: string } {
  const h = createHash('sha256').update(join(dataRoot, 'network')).digest('hex').slice(0, 8);
  return { tag: `berth:${h}`, table: `berth_${h}` };
}

/** Links whose ifalias is the daemon's tag (its bridges and veth host ends). */
export function taggedLinks(tag: string): string[] {
  return readdirSync('/sys/class/net').filter((n) => {
    try {
      return readFileSync(`/sys/class/net/${n}/ifalias`, 'utf8').trim() === tag;
    } catch {
      return false;
    }
  });
}

export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

/** nsfs mount points under dir, from this process's mountinfo. */
export function nsfsMountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f[4]?.startsWith(dir + '/') && f[f.indexOf('-') + 1] === 'nsfs')
    .map((f) => f[4]!);
}

export function netnsFiles(dataRoot: string): string[] {
  const d = join(dataRoot, 'netns');
  return existsSync(d) ? readdirSync(d) : [];
}

export function nftTables(): string[] {
  return execFileSync('nft', ['list', 'tables']).toString().split('\n').filter(Boolean);
}

/** The daemon's table as nft prints it, '' when absent. */
export function nftTable(table: string): string {
  try {
    return execFileSync('nft', ['list', 'table', 'ip', table], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  } catch {
    return '';
  }
}

/**
 * While the daemon runs with no containers: only its bridges are tagged, no namespaces, no DNAT
 * rules. A removed container's veth goes with its namespace a moment after the removal (the
 * kernel destroys it, berthd's reaper then drops the namespace file), so that gets up to 5 s.
 */
export async function assertNoContainerLeftovers(dataRoot: string, bridges: string[], why: string): Promise<void> {
  const { tag, table } = daemonIds(dataRoot);
  const settled = () => taggedLinks(tag).every((l) => bridges.includes(l)) && netnsFiles(dataRoot).length === 0;
  for (const deadline = Date.now() + 5_000; !settled() && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50));
  const links = taggedLinks(tag).filter((l) => !bridges.includes(l));
  assert.deepEqual(links, [], `${why}: veth links left: ${links.join(' ')} (ip -o link)`);
  assert.deepEqual(nsfsMountsUnder(dataRoot), [], `${why}: nsfs mounts left under ${dataRoot}`);
  assert.deepEqual(netnsFiles(dataRoot), [], `${why}: netns files left under ${dataRoot}/netns`);
  const t = nftTable(table);
  assert.doesNotMatch(t, /dnat to/, `${why}: DNAT rules left in ${table}:\n${t}`);
}

/** After TestDaemon.stop(): nothing of the daemon is left on the host. */
export function assertNothingLeft(dataRoot: string, bridges: string[]): void {
  const { tag, table } = daemonIds(dataRoot);
  assert.deepEqual(taggedLinks(tag), [], 'links tagged by the daemon left after stop');
  for (const b of bridges) assert.ok(!linkExists(b), `bridge ${b} left after stop`);
  assert.deepEqual(nsfsMountsUnder(dataRoot), [], 'nsfs mounts left after stop');
  assert.ok(!existsSync(join(dataRoot, 'netns')) || netnsFiles(dataRoot).length === 0, 'netns files left after stop');
  assert.ok(!nftTables().some((l) => l.endsWith(` ${table}`)), `nft table ${table} left after stop`);
}
