// Content hash of COPY/ADD sources for cache keys: a stable sha256 over each matched entry's
// context-relative path, type, permission bits and content hash (symlink: its target), never
// mtimes or owners. Sources are COPY-style: Go filepath.Match globs, a directory means itself
// and everything below it. Symlinks are recorded, never followed.
//
// Contexts hold thousands of small files, so entries are looked at with synchronous calls
// (yielding to the event loop every few hundred) and file digests come from the ones taken
// while the context was unpacked (ContextDigests) whenever the caller has them.
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, readlinkSync, readFileSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { errnoCode, notFound } from '../../lib/errors.js';
import { resolveInRoot } from '../../lib/safe-path.js';
import { PatternMatcher } from '../../lib/dockerignore.js';
import { goMatch, hasGlobMeta } from '../../lib/go-match.js';

export interface HashPathsOptions {
  exclude?: readonly string[]; // COPY --exclude patterns (dockerignore syntax)
  /** sha256 hex of files by context-relative path, trusted as their current content. */
  digests?: ReadonlyMap<string, string>;
  /**
   * What the context holds by relative path (as unpacked, kept true by every later change):
   * the entries below a source and their kind, mode and link target are read from it instead
   * of walking and stat-ing the disk. Files need `digests` too.
   */
  index?: ReadonlyMap<string, { t: 'f' | 'd' | 'l'; m: number; l?: string }>;
}

const SMALL_FILE = 1 << 20; // read in one go below this size; stream above

export interface HashPathsResult {
  digest: string; // "sha256:<hex>"
  files: string[]; // the context-relative entries hashed, sorted
}

function cleanSource(p: string): string {
  const c = posix.normalize('/' + p).slice(1);
  return c.replace(/\/+$/, '');
}

async function fileDigest(path: string, size: number): Promise<string> {
  const h = createHash('sha256');
  if (size < SMALL_FILE) return h.update(readFileSync(path)).digest('hex');
  await pipeline(createReadStream(path), h);
  return h.digest('hex');
}

async function walkAll(root: string, rel: string, out: string[]): Promise<void> {
  for (const d of await readdir(rel ? posix.join(root, rel) : root, { withFileTypes: true })) {
    const r = rel ? `${rel}/${d.name}` : d.name;
    out.push(r);
    if (d.isDirectory()) await walkAll(root, r, out);
  }
}

/** Matches sources against the context like COPY does; throws not-found for a missing source. */
export async function matchSources(contextDir: string, patterns: readonly string[]): Promise<string[]> {
  const roots = new Set<string>();
  let all: string[] | undefined;
  for (const raw of patterns) {
    const p = cleanSource(raw);
    if (hasGlobMeta(p)) {
      all ??= await (async () => {
        const a: string[] = [];
        await walkAll(contextDir, '', a);
        return a;
      })();
      const hits = all.filter((f) => goMatch(p, f));
      if (hits.length === 0) throw notFound(`failed to compute cache key: "/${p}": not found`);
      hits.forEach((h) => roots.add(h));
    } else {
      // Symlinks on the way are resolved inside the context, never out of it.
      const abs = await resolveInRoot(contextDir, p, false);
      try {
        await lstat(abs);
      } catch (e) {
        if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') throw notFound(`failed to compute cache key: "/${p}": not found`);
        throw e;
      }
      roots.add(posix.relative(contextDir, abs));
    }
  }
  return [...roots];
}

export async function hashPaths(contextDir: string, patterns: readonly string[], options: HashPathsOptions = {}): Promise<HashPathsResult> {
  const exclude = options.exclude?.length ? new PatternMatcher(options.exclude) : undefined;
  const roots = await matchSources(contextDir, patterns);
  const entries = new Set<string>();
  const index = options.index && options.digests ? options.index : undefined;
  for (const r of roots) {
    entries.add(r);
    if (index) {
      if (r !== '' && index.get(r)?.t !== 'd') continue;
      const prefix = r === '' ? '' : `${r}/`;
      for (const k of index.keys()) if (k.startsWith(prefix)) entries.add(k);
      continue;
    }
    const st = lstatSync(posix.join(contextDir, r));
    if (st.isDirectory()) {
      const below: string[] = [];
      await walkAll(contextDir, r, below);
      below.forEach((b) => entries.add(b));
    }
  }
  const files = [...entries].filter((e) => e === '' || !exclude?.matches(e)).sort();
  const h = createHash('sha256');
  // Records are gathered into one string and hashed in large pieces: the same bytes as one
  // update per field (so the same keys), without thousands of small hash calls per step.
  let pending = '';
  const record = (fields: string[]) => {
    for (const f of fields) pending += `${Buffer.byteLength(f)}:${f};`;
    if (pending.length > 1 << 16) {
      h.update(pending);
      pending = '';
    }
  };
  let n = 0;
  for (const rel of files) {
    if (++n % 512 === 0) await nextTurn(); // let other requests in on big contexts
    const known = rel === '' ? undefined : index?.get(rel);
    if (known) {
      const data = known.t === 'f' ? options.digests!.get(rel) : known.t === 'l' ? (known.l ?? '') : '';
      if (data !== undefined) {
        record([rel, known.t === 'f' ? 'file' : known.t === 'l' ? 'symlink' : 'dir', known.m.toString(8), data]);
        continue;
      }
    }
    const abs = rel === '' ? contextDir : posix.join(contextDir, rel);
    const st = lstatSync(abs);
    const perm = (st.mode & 0o7777).toString(8);
    let kind: string;
    let data = '';
    if (st.isDirectory()) kind = 'dir';
    else if (st.isSymbolicLink()) {
      kind = 'symlink';
      data = readlinkSync(abs);
    } else if (st.isFile()) {
      kind = 'file';
      data = options.digests?.get(rel) ?? (await fileDigest(abs, st.size));
    } else kind = 'other';
    // Length-prefixed fields: no path or link target can forge another record.
    record([rel, kind, perm, data]);
  }
  h.update(pending);
  return { digest: 'sha256:' + h.digest('hex'), files };
}
