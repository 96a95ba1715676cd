// `docker diff`: a snapshot's upper dir compared with the layers under it, with the rules of
// moby's archive.OverlayChanges: walk the upper dir in lexical pre-order; a whiteout (char
// device 0/0) is a deletion, and so is an opaque directory that hid one of the lower layers'
// (its new children are additions); anything else is an addition unless a lower layer has the
// path, then a modification; a directory that is in a lower layer with the same mode, size and
// mtime is no change of its own. The parent of an addition or deletion is reported modified
// (once, before it) even when its metadata did not change, as Docker does.
import type { Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { lgetxattr } from '../../lib/libc.js';

/** Docker's change kinds (the API's numbers): 0 modified, 1 added, 2 deleted. */
export const ChangeKind = { modified: 0, added: 1, deleted: 2 } as const;
export type ChangeKind = (typeof ChangeKind)[keyof typeof ChangeKind];

export interface LayerChange {
  /** Absolute in the container: "/etc/passwd". */
  path: string;
  kind: ChangeKind;
}

export interface ChangesOptions {
  /**
   * Paths the runtime owns (mount points such as /etc/hosts, /proc, volume destinations): left
   * out with what is under them, and a directory whose only upper entries they are keeps its
   * mtime out of the comparison (creating the mount point touched it, the user did not).
   */
  skip?: (path: string) => boolean;
}

const isWhiteout = (st: Stats) => st.isCharacterDevice() && st.rdev === 0;
const isOpaque = (p: string) => lgetxattr(p, 'trusted.overlay.opaque')?.toString() === 'y';

async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await lstat(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/** Go's sameFsTime: equal, or the same second where one side has no sub-second part (a filesystem that keeps none). */
function sameFsTime(a: number, b: number): boolean {
  return a === b || (Math.floor(a / 1000) === Math.floor(b / 1000) && (a % 1000 === 0 || b % 1000 === 0));
}

/** The first lower layer (top first) that has `path`; lstat, so a lower symlink never leads out of its layer. */
async function inLowers(lowers: readonly string[], path: string): Promise<Stats | undefined> {
  for (const l of lowers) {
    const st = await lstatOrUndefined(join(l, path));
    if (st) return st;
  }
  return undefined;
}

/** The changes in `upper` over `lowers` (top layer first), in the order Docker reports them. */
export async function overlayChanges(upper: string, lowers: readonly string[], opts: ChangesOptions = {}): Promise<LayerChange[]> {
  const skip = opts.skip ?? (() => false);
  const out: LayerChange[] = [];
  const changedDirs = new Set<string>();

  const visit = async (path: string, st: Stats, hostPath: string): Promise<void> => {
    const parent = path.slice(0, path.lastIndexOf('/')) || '/';
    let kind: ChangeKind;
    if (isWhiteout(st)) kind = ChangeKind.deleted;
    else if (st.isDirectory() && isOpaque(hostPath) && (await inLowers(lowers, path))) kind = ChangeKind.deleted;
    else {
      const lower = await inLowers(lowers, path);
      kind = lower ? ChangeKind.modified : ChangeKind.added;
      if (lower && lower.isDirectory() && st.isDirectory()) {
        const names = await readdir(hostPath);
        const touchedByMounts = names.length > 0 && names.every((n) => skip(path === '/' ? `/${n}` : `${path}/${n}`));
        const sameTime = touchedByMounts || sameFsTime(st.mtimeMs, lower.mtimeMs);
        if (st.size === lower.size && st.mode === lower.mode && sameTime) return descend(path, hostPath);
      }
    }
    if (st.isDirectory()) changedDirs.add(path);
    if (kind !== ChangeKind.modified && parent !== '/' && !changedDirs.has(parent)) {
      out.push({ path: parent, kind: ChangeKind.modified });
      changedDirs.add(parent);
    }
    out.push({ path, kind });
    if (st.isDirectory()) await descend(path, hostPath);
  };

  const descend = async (path: string, hostPath: string): Promise<void> => {
    for (const name of (await readdir(hostPath)).sort()) {
      const child = path === '/' ? `/${name}` : `${path}/${name}`;
      if (skip(child)) continue;
      const childHost = join(hostPath, name);
      await visit(child, await lstat(childHost), childHost);
    }
  };

  await descend('/', upper);
  return out;
}
