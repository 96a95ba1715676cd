// Joining an untrusted relative path (from a tar, an API call, an image) under a root so that
// the result can never name anything outside the root, even through symlinks inside the root.
import { lstat, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { errnoCode, invalidArgument } from './errors.js';

/** Lexically cleans `rel` as if `/` were the root: `..` cannot climb above it. */
export function cleanInRoot(rel: string): string {
  const parts: string[] = [];
  for (const p of rel.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return parts.join('/');
}

/** True if a tar entry name tries to leave its root lexically (absolute or with `..`). */
export function escapesRoot(name: string): boolean {
  let depth = 0;
  for (const p of name.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') {
      if (--depth < 0) return true;
    } else depth++;
  }
  return false;
}

/**
 * Resolves `rel` under `root` following symlinks as the container would see them: every
 * symlink is interpreted relative to `root` (an absolute target means root-relative), so the
 * result always stays inside `root`. The last component is followed only if followLast.
 */
export async function resolveInRoot(root: string, rel: string, followLast = true): Promise<string> {
  const pending = cleanInRoot(rel).split('/').filter(Boolean);
  const done: string[] = [];
  let hops = 0;
  while (pending.length) {
    const part = pending.shift()!;
    if (part === '..') {
      done.pop();
      continue;
    }
    if (part === '.') continue;
    const candidate = posix.join(root, ...done, part);
    const isLast = pending.length === 0;
    let link: string | undefined;
    if (!isLast || followLast) {
      try {
        const st = await lstat(candidate);
        if (st.isSymbolicLink()) link = await readlink(candidate);
      } catch (e) {
        if (errnoCode(e) !== 'ENOENT' && errnoCode(e) !== 'ENOTDIR') throw e;
      }
    }
    if (link !== undefined) {
      if (++hops > 255) throw invalidArgument(`too many levels of symbolic links: ${rel}`);
      if (link.startsWith('/')) done.length = 0;
      pending.unshift(...link.split('/').filter((p) => p && p !== '.'));
      continue;
    }
    done.push(part);
  }
  return posix.join(root, ...done);
}
