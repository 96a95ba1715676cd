// The few fields of an lstat a build context's walk reads, without a fs.Stats object per path.
// On Node 20 every lstatSync builds a Stats object (and its Dates for the times), which with their
// garbage collection were most of `berth build`'s CPU over a context of a few thousand files
// (measured: 29 ms of CPU for 2069 paths against 14 ms through the binding). Node's own fs
// binding (`process.binding('fs')`, on the allow list Node keeps for it) fills one shared
// Float64Array per call instead; its layout is checked once against lstatSync on a path that
// exists, and anything unexpected (a future Node, the permission model, --pending-deprecation,
// which would make process.binding print a warning) falls back to lstatSync. The same fields
// either way: times in ms computed as Node computes Stats' `mtimeMs` and `ctimeMs`.
import { lstatSync } from 'node:fs';

export interface PathStat {
  mode: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

const S_IFMT = 0o170000;
export const isDir = (s: PathStat): boolean => (s.mode & S_IFMT) === 0o040000;
export const isFile = (s: PathStat): boolean => (s.mode & S_IFMT) === 0o100000;
export const isSymlink = (s: PathStat): boolean => (s.mode & S_IFMT) === 0o120000;

type BindingLstat = (path: string, bigint: boolean, req: undefined, throwIfNoEntry: boolean) => Float64Array;

// Indexes in Node's stat array (src/node_file.h FsStatsOffset): dev, mode, nlink, uid, gid, rdev,
// blksize, ino, size, blocks, then seconds and nanoseconds of atime, mtime, ctime, birthtime.
const MODE = 1;
const INO = 7;
const SIZE = 8;
const MTIME_S = 12;
const MTIME_NS = 13;
const CTIME_S = 14;
const CTIME_NS = 15;

let binding: BindingLstat | null | undefined;

function fromArray(a: Float64Array): PathStat {
  return { mode: a[MODE]!, ino: a[INO]!, size: a[SIZE]!, mtimeMs: a[MTIME_S]! * 1e3 + a[MTIME_NS]! / 1e6, ctimeMs: a[CTIME_S]! * 1e3 + a[CTIME_NS]! / 1e6 };
}

function viaStats(path: string): PathStat {
  const st = lstatSync(path);
  return { mode: st.mode, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
}

const same = (a: PathStat, b: PathStat): boolean =>
  a.mode === b.mode && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;

/** The binding's lstat when it is there and gives what lstatSync gives for `probe`, else null. */
function bindingLstat(probe: string): BindingLstat | null {
  if (binding !== undefined) return binding;
  binding = null;
  const pending =
    process.execArgv.includes('--pending-deprecation') ||
    /(^|\s)--pending-deprecation\b/.test(process.env.NODE_OPTIONS ?? '') ||
    process.env.NODE_PENDING_DEPRECATION === '1';
  // Before Node 20.16 (no process.getBuiltinModule) the binding took an error context object
  // where it now takes throwIfNoEntry: not called there.
  if (pending || process.env.BERTH_FS_STATS === '1' || typeof process.getBuiltinModule !== 'function') return binding;
  try {
    const b = (process as unknown as { binding?: (name: string) => Record<string, unknown> }).binding?.('fs');
    const fn = b?.lstat;
    if (typeof fn !== 'function') return binding;
    const call: BindingLstat = (path, bigint, req, throwIfNoEntry) => (fn as BindingLstat).call(b, path, bigint, req, throwIfNoEntry);
    const a = call(probe, false, undefined, true);
    if (a instanceof Float64Array && a.length >= 18 && same(fromArray(a), viaStats(probe))) binding = call;
  } catch {
    // not on the allow list, another signature: lstatSync
  }
  return binding;
}

/** lstat of `path` (throws as lstatSync does: ENOENT, EACCES, ...). */
export function pathStat(path: string): PathStat {
  const b = bindingLstat(path);
  return b ? fromArray(b(path, false, undefined, true)) : viaStats(path);
}
