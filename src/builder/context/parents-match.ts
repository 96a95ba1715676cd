// COPY --parents sources (BuildKit's dockerfile frontend): each source keeps its path under the
// destination. A `/./` in a source is the pivot: only the part after it is kept. The part after
// the pivot is an include pattern with dockerignore syntax (`*` stays in one path element, `**`
// spans any number of them); a matched directory brings everything below it. Symlinks are
// matched as entries, never followed, except on the way to a literal source.
import { lstat, readdir } from 'node:fs/promises';
import { posix } from 'node:path';
import { errnoCode, notFound } from '../../lib/errors.js';
import { cleanInRoot, resolveInRoot } from '../../lib/safe-path.js';
import { PatternMatcher } from '../../lib/dockerignore.js';
import { hasGlobMeta } from '../../lib/go-match.js';

export interface ParentsEntry {
  /** Path relative to the source root (a context or a mounted image) of the pivot directory. */
  base: string;
  /** Path of the matched entry below the pivot; it is also its path below the destination. */
  rel: string;
}

/** The entry's path relative to the source root. */
export const entrySource = (e: ParentsEntry): string => (e.base && e.rel ? `${e.base}/${e.rel}` : e.base || e.rel);

const missing = (p: string) => notFound(`failed to compute cache key: "/${p}": not found`);

async function exists(abs: string): Promise<boolean> {
  try {
    await lstat(abs);
    return true;
  } catch (e) {
    if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') return false;
    throw e;
  }
}

async function walk(root: string, rel: string, out: string[]): Promise<void> {
  for (const d of await readdir(rel ? posix.join(root, rel) : root, { withFileTypes: true })) {
    const r = rel ? `${rel}/${d.name}` : d.name;
    out.push(r);
    if (d.isDirectory()) await walk(root, r, out);
  }
}

/** Splits a source at its first `/./`; a leading `./` is not a pivot. */
export function splitPivot(source: string): { pivot: string; pattern: string } {
  const i = source.indexOf('/./');
  if (i < 0) return { pivot: '', pattern: cleanInRoot(source) };
  return { pivot: cleanInRoot(source.slice(0, i)), pattern: cleanInRoot(source.slice(i + 3)) };
}

async function matchOne(root: string, source: string): Promise<ParentsEntry[]> {
  const { pivot, pattern } = splitPivot(source);
  const pivotAbs = await resolveInRoot(root, pivot, true);
  const pst = await lstat(pivotAbs).catch(() => undefined);
  if (!pst?.isDirectory()) throw missing(pivot);
  const base = posix.relative(root, pivotAbs);
  if (!hasGlobMeta(pattern)) {
    // Symlinks on the way resolve inside the root; the entry itself is taken as it is.
    const abs = await resolveInRoot(root, posix.join(base, pattern), false);
    if (!(await exists(abs))) throw missing(posix.join(pivot, pattern));
    const resolved = posix.relative(pivotAbs, abs);
    // A symlinked parent can lead out of the pivot: keep the path as written then.
    return [{ base, rel: resolved.startsWith('..') ? pattern : resolved }];
  }
  // Walk only below the pattern's literal leading elements.
  const segs = pattern.split('/');
  const lit = segs.slice(0, segs.findIndex(hasGlobMeta)).join('/');
  const start = lit ? posix.join(pivotAbs, lit) : pivotAbs;
  const all: string[] = [];
  const sst = await lstat(start).catch(() => undefined);
  if (sst?.isDirectory()) await walk(start, '', all);
  const m = new PatternMatcher([pattern]);
  const hits: string[] = [];
  for (const r of all) {
    const rel = lit ? `${lit}/${r}` : r;
    // matches() also holds for everything below a matched directory: keep only the topmost.
    if (m.matches(rel) && !(posix.dirname(rel) !== '.' && m.matches(posix.dirname(rel)))) hits.push(rel);
  }
  if (!hits.length) throw missing(posix.join(pivot, pattern));
  return hits.map((rel) => ({ base, rel }));
}

/** All entries the --parents sources name, in source order; throws not-found for a miss. */
export async function matchParents(root: string, sources: readonly string[]): Promise<ParentsEntry[]> {
  const out: ParentsEntry[] = [];
  const seen = new Set<string>();
  for (const s of sources) {
    for (const e of await matchOne(root, s)) {
      const k = `${e.base}\0${e.rel}`;
      if (!seen.has(k)) out.push(e);
      seen.add(k);
    }
  }
  return out;
}

/** Literal (glob-escaped) source-root paths of the entries, for hashing like plain COPY sources. */
export function literalPatterns(entries: readonly ParentsEntry[]): string[] {
  return [...new Set(entries.map((e) => entrySource(e).replace(/[*?[\\]/g, '\\$&')))];
}
