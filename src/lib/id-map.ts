// User-namespace id maps (dockerd's --userns-remap): container ids in ranges of host ids, as in
// /etc/subuid and /etc/subgid. Pure. Files in a remapped store carry host ids; tars in and out of
// it carry container ids, so unpacking maps to the host and packing maps back.
import { invalidArgument } from './errors.js';

export interface IdRange {
  containerId: number;
  hostId: number;
  size: number;
}

/** Both maps; the container's root is uids[0]/gids[0] at container id 0. */
export interface IdMap {
  uids: readonly IdRange[];
  gids: readonly IdRange[];
}

/** A file's owner, host or container ids as the caller says. */
export interface Owner {
  uid: number;
  gid: number;
}

/** The kernel's overflow id: what a host id outside the map shows as in the container (nobody). */
export const OVERFLOW_ID = 65534;

export function toHostId(ranges: readonly IdRange[], id: number): number {
  for (const r of ranges) if (id >= r.containerId && id < r.containerId + r.size) return r.hostId + (id - r.containerId);
  throw invalidArgument(`Container ID ${id} cannot be mapped to a host ID`);
}

export function toContainerId(ranges: readonly IdRange[], id: number): number {
  for (const r of ranges) if (id >= r.hostId && id < r.hostId + r.size) return r.containerId + (id - r.hostId);
  return OVERFLOW_ID;
}

/** Host uid/gid of a container uid/gid pair, or the pair itself without a map. */
export function hostOwner(map: IdMap | undefined, uid: number, gid: number): Owner {
  return map ? { uid: toHostId(map.uids, uid), gid: toHostId(map.gids, gid) } : { uid, gid };
}

/** The host owner of the container's root under a map; undefined (root stays root) without one. */
export function rootOwnerOf(map: IdMap | undefined): Owner | undefined {
  return map ? hostOwner(map, 0, 0) : undefined;
}

/** Container uid/gid of a host pair, or the pair itself without a map. */
export function containerOwner(map: IdMap | undefined, uid: number, gid: number): Owner {
  return map ? { uid: toContainerId(map.uids, uid), gid: toContainerId(map.gids, gid) } : { uid, gid };
}

/**
 * The ranges of one user in /etc/subuid (or /etc/subgid) text: lines `name-or-id:start:count`,
 * sorted by host id and stacked from container id 0, as dockerd does.
 */
export function subIdRanges(text: string, names: readonly string[]): IdRange[] {
  const found: { hostId: number; size: number }[] = [];
  for (const line of text.split('\n')) {
    const [who, start, count] = line.trim().split(':');
    if (!who || start === undefined || count === undefined || !names.includes(who)) continue;
    const hostId = Number(start);
    const size = Number(count);
    if (!Number.isInteger(hostId) || !Number.isInteger(size) || size <= 0 || hostId < 0) continue;
    found.push({ hostId, size });
  }
  let next = 0;
  return found
    .sort((a, b) => a.hostId - b.hostId)
    .map((r) => {
      const range = { containerId: next, hostId: r.hostId, size: r.size };
      next += r.size;
      return range;
    });
}

/** The first free start at or above `from` for a new range of `size` among the file's ranges (dockerd starts at 100000). */
export function freeSubIdStart(text: string, size: number, from = 100000): number {
  const taken = text
    .split('\n')
    .map((l) => l.trim().split(':'))
    .filter((p) => p.length >= 3)
    .map((p) => ({ start: Number(p[1]), end: Number(p[1]) + Number(p[2]) }))
    .filter((r) => Number.isFinite(r.start) && Number.isFinite(r.end))
    .sort((a, b) => a.start - b.start);
  let start = from;
  for (const r of taken) if (start < r.end && r.start < start + size) start = r.end;
  return start;
}
