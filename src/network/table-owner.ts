// Who owns a berth_* nftables table, and whether its owner is gone for good.
//
// A berthd's table and bridges outlive it by design (published ports keep answering while it is
// down). When its data root is deleted too, nothing will ever reclaim them: the table's DNAT rules
// would keep catching ports a new daemon publishes, its masquerade rules would keep matching a
// subnet that is reused. So every table carries a comment naming its owner: the state directory
// (its existence is what "the data root still exists" means) and the daemon's process identity
// (pid and kernel start time, so a reused pid is not taken for the owner). A table is stale only
// when both are gone: a live berthd's table is never removed, even if its data root vanished
// under it or lies in a mount namespace this daemon cannot see.
import { readFile, access } from 'node:fs/promises';

export interface TableOwner {
  stateDir: string;
  pid: number;
  /** Field 22 of /proc/<pid>/stat: the process's start time in clock ticks since boot. */
  startTime: string;
}

/** nftables keeps at most 256 bytes of user data per table (NFT_USERDATA_MAXLEN), the quotes and the NUL included. */
const MAX_COMMENT = 250;

/** The table comment naming `owner`, or undefined when nft cannot carry it (too long, a quote or a newline in the path). */
export function ownerComment(owner: TableOwner): string | undefined {
  if (/["\n\r\\]/.test(owner.stateDir)) return undefined;
  const text = `berth pid=${owner.pid} start=${owner.startTime} state=${owner.stateDir}`;
  return Buffer.byteLength(text) <= MAX_COMMENT ? text : undefined;
}

/** Reads the owner back from `nft list table` output; undefined when the table has no Berth comment (made by an older Berth). */
export function parseOwner(listing: string): TableOwner | undefined {
  const m = /^\s*comment "berth pid=(\d+) start=(\d+) state=([^"\n]*)"\s*$/m.exec(listing);
  return m ? { pid: Number(m[1]), startTime: m[2]!, stateDir: m[3]! } : undefined;
}

/** The decision, pure: remove a table only when its owner is known, its state directory is gone and its process is not running. */
export function isStale(owner: TableOwner | undefined, facts: { stateDirExists: boolean; ownerRunning: boolean }): boolean {
  return owner !== undefined && !facts.stateDirExists && !facts.ownerRunning;
}

/** The kernel's start time of `pid`, or undefined when no such process exists. */
export async function processStartTime(pid: number | 'self'): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!stat) return undefined;
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

export async function ownerFacts(owner: TableOwner): Promise<{ stateDirExists: boolean; ownerRunning: boolean }> {
  const stateDirExists = await access(owner.stateDir).then(
    () => true,
    () => false,
  );
  return { stateDirExists, ownerRunning: (await processStartTime(owner.pid)) === owner.startTime };
}
