// berthd's bridges, veth host ends and nftables table outlive the daemon by design (containers
// keep their networking across a daemon restart), so a benchmark's throwaway daemon must take
// them along itself. BenchDaemon.cleanup() unmounts the namespaces (they are nsfs mounts under
// the data root) but leaves the links and the table; this removes them, by the daemon's own tag,
// from a synchronous process 'exit' hook: that runs on every way out of runBench (normal end,
// failure, time limit, Ctrl-C), after the daemon was stopped, and needs no state on disk.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The ifalias tag and nftables table name berthd derives from <data-root>/network. */
export function daemonNetworkIds(dataRoot: string): { tag: string; table: string } {
  const h = createHash('sha256').update(join(dataRoot, 'network')).digest('hex').slice(0, 8);
  return { tag: `berth:${h}`, table: `berth_${h}` };
}

function taggedLinks(tag: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync('/sys/class/net')) {
    let alias = '';
    try {
      alias = readFileSync(`/sys/class/net/${name}/ifalias`, 'utf8').trim();
    } catch {
      /* gone meanwhile */
    }
    if (alias === tag) out.push(name);
  }
  return out;
}

function nsfsMountsUnder(dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : dir + '/';
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f[4]?.startsWith(prefix) && f[f.indexOf('-') + 1] === 'nsfs')
    .map((f) => f[4]!);
}

function tableExists(table: string): boolean {
  try {
    execFileSync('nft', ['list', 'table', 'ip', table], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** What of this daemon's networking is on the host right now. */
export function networkLeftovers(dataRoot: string, dir: string): { links: string[]; nsfs: string[]; table: boolean } {
  const { tag, table } = daemonNetworkIds(dataRoot);
  return { links: taggedLinks(tag), nsfs: nsfsMountsUnder(dir), table: tableExists(table) };
}

/** Deletes the daemon's links and table (synchronously; bounded by per-command timeouts). */
export function removeDaemonNetworking(dataRoot: string): void {
  const { tag, table } = daemonNetworkIds(dataRoot);
  const links = taggedLinks(tag);
  // Bridges first is not needed: deleting a bridge detaches its ports, deleting a veth end kills both ends.
  if (links.length) {
    try {
      execFileSync('ip', ['-force', '-batch', '-'], {
        input: links.map((l) => `link del ${l}\n`).join(''),
        stdio: ['pipe', 'ignore', 'ignore'],
        timeout: 20_000,
      });
    } catch {
      /* some vanished meanwhile: the check below reports what is really left */
    }
  }
  if (tableExists(table)) {
    try {
      execFileSync('nft', ['delete', 'table', 'ip', table], { stdio: 'ignore', timeout: 10_000 });
    } catch {
      /* reported below */
    }
  }
}

/**
 * Installs the exit hook: removes the daemon's networking and prints one line saying whether
 * anything (tagged links, nsfs mounts under the run's temp dir, the nftables table) is left.
 */
export function cleanNetworkingOnExit(dataRoot: string, dir: string): void {
  process.once('exit', () => {
    try {
      removeDaemonNetworking(dataRoot);
      const left = networkLeftovers(dataRoot, dir);
      const parts = [
        ...left.links.map((l) => `link ${l}`),
        ...left.nsfs.map((m) => `netns mount ${m}`),
        ...(left.table ? [`nft table ${daemonNetworkIds(dataRoot).table}`] : []),
      ];
      if (parts.length) console.error(`network cleanup: LEFT BEHIND: ${parts.join(', ')}`);
      else console.log('network cleanup: no bridge, veth, netns mount or nft table of this run left');
    } catch (e) {
      console.error(`network cleanup: ${(e as Error).message}`);
    }
  });
}
