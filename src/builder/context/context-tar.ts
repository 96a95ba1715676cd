// Unpacks a build context tar (POST /build body: plain or gzip) into a directory. The stream
// is hostile: names that are absolute or contain `..` are rejected, symlinks are created but
// never followed out of the root, hard links must point at regular files already inside, and
// entry/byte limits bound the work. .dockerignore is applied afterwards (API callers may not).
//
// Speed matters here: every build, cached or not, pays for unpacking its whole context. So the
// per-entry work is synchronous syscalls (an async fs call costs a thread-pool round trip, which
// dominated at ~1 ms per file), directories already made or checked are remembered, and each
// file's sha256 is taken from the bytes on their way to disk so cache keys never read them back.
// A directory left by an earlier build can be reused (ContextPool): given its index, entries
// whose content, mode and time are unchanged are not written at all and stale ones are removed,
// so a rebuild of an unchanged context creates no files (on this machine's disk a file creation
// costs ~0.5 ms, a whole context of thousands of files seconds).
import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  futimesSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readlinkSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeSync,
  lutimesSync,
} from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { errnoCode, invalidArgument, isBerthError } from '../../lib/errors.js';
import { resolveInRoot } from '../../lib/safe-path.js';
import { decompressed } from '../../lib/tar-input.js';
import { ignoreFileCandidates, parseDockerignore, PatternMatcher, withAlwaysSent } from '../../lib/dockerignore.js';

export interface ExtractContextOptions {
  maxEntries?: number; // default 1,000,000
  maxBytes?: number; // total file bytes, default 16 GiB
  dockerfile?: string; // context-relative Dockerfile path (default "Dockerfile")
  applyDockerignore?: boolean; // default true
  signal?: AbortSignal;
  /** dest holds an earlier context unpacked with this index: reuse what is unchanged. */
  previous?: ContextIndex;
}

/** sha256 (hex) of each regular file's content by context-relative path, as unpacked. */
export type ContextDigests = ReadonlyMap<string, string>;

/** What an unpacked context holds, by relative path (directories made implicitly included). */
export interface ContextIndexEntry {
  t: 'f' | 'd' | 'l';
  m: number; // permission bits
  s?: number; // file size
  d?: string; // file sha256 hex
  l?: string; // symlink target
  mt?: number; // mtime in ms, when the tar gave one
}
export type ContextIndex = Map<string, ContextIndexEntry>;

export interface ExtractContextResult {
  entries: number;
  bytes: number;
  ignorePatterns: string[]; // patterns applied (empty when none)
  ignoreFile?: string; // which ignore file was used
  removed: number; // entries removed by the ignore patterns
  digests: ContextDigests;
  index: ContextIndex;
  reused: number; // files left as they were (previous given)
  /**
   * The build files the ignore patterns name (the ignore file, .dockerignore, the Dockerfile):
   * clients send them whatever the patterns say (`!Dockerfile` exceptions), and dockerd removes
   * the matched ones once it has read the Dockerfile (remotecontext.removeDockerfile), so COPY
   * never sees them: e.g. the `.dockerfile.<hex>` a client adds for a Dockerfile from outside
   * the context, listed in the .dockerignore it writes beside it. See removeFromContext.
   */
  buildFilesIgnored: string[];
}

/** Cleans a tar entry name to a context-relative path, or throws for a hostile one. */
export function contextEntryName(raw: string): string {
  if (raw.includes('\0')) throw invalidArgument(`invalid build context entry name: ${JSON.stringify(raw)}`);
  if (raw.startsWith('/')) throw invalidArgument(`invalid build context entry: absolute path ${JSON.stringify(raw)}`);
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw invalidArgument(`invalid build context entry: path ${JSON.stringify(raw)} contains ".."`);
  return parts.join('/');
}

function lstatOrNull(path: string) {
  try {
    return lstatSync(path);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') return null;
    throw e;
  }
}

/**
 * Where entries go under `root`. Directories made or checked in this extraction are known to
 * be real directories (never symlinks), so most entries need no lookup at all; anything under
 * a symlink (one from the tar, or one already in the root, as when ADD unpacks into an image)
 * is resolved inside the root by resolveInRoot and never followed out of it.
 */
class Placement {
  private readonly knownDirs = new Set<string>(['']);
  constructor(
    private readonly root: string,
    private readonly index: ContextIndex,
    private readonly reusing: boolean,
  ) {}

  /** The host path for entry `rel`: its parent made and resolved inside the root, last part not followed. */
  async target(rel: string): Promise<string> {
    const parent = posix.dirname(rel) === '.' ? '' : posix.dirname(rel);
    return posix.join(this.knownDirs.has(parent) ? posix.join(this.root, parent) : await this.makeParent(parent), posix.basename(rel));
  }

  private async makeParent(parent: string): Promise<string> {
    const parts = parent.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const p = parts.slice(0, i).join('/');
      if (this.knownDirs.has(p)) continue;
      const abs = posix.join(this.root, p);
      let st = lstatOrNull(abs);
      if (st && !st.isDirectory() && this.reusing && !this.index.has(p)) {
        rmSync(abs); // left by the previous context: a fresh unpack would not have it here
        st = null;
      }
      if (!st) {
        mkdirSync(abs, 0o755);
      } else if (st.isSymbolicLink()) {
        // Rare and slow on purpose: follow the links inside the root, never remembered.
        const resolved = await resolveInRoot(this.root, parent);
        await mkdir(resolved, { recursive: true });
        return resolved;
      } else if (!st.isDirectory()) {
        throw invalidArgument(`invalid build context entry: ${JSON.stringify(p)} is not a directory`);
      } else if (this.reusing && !this.index.has(p) && (st.mode & 0o7777) !== 0o755) {
        chmodSync(abs, 0o755); // as a fresh unpack would have made it (an explicit entry may follow)
      }
      this.knownDirs.add(p);
      if (!this.index.has(p)) this.index.set(p, { t: 'd', m: 0o755 });
    }
    return posix.join(this.root, parent);
  }

  /** Makes room for a new entry at `abs` (`rel`): a directory stays only if keepDir. `st`: its lstat, when the caller has it. */
  clear(abs: string, rel: string, keepDir: boolean, st = lstatOrNull(abs)): void {
    if (!st || (st.isDirectory() && keepDir)) return;
    rmSync(abs, { recursive: true, force: true });
    if (st.isDirectory()) this.forget(rel);
  }

  markDir(rel: string): void {
    this.knownDirs.add(rel);
  }

  private forget(rel: string): void {
    for (const d of this.knownDirs) if (d === rel || d.startsWith(rel + '/')) this.knownDirs.delete(d);
    for (const d of this.index.keys()) if (d.startsWith(rel + '/')) this.index.delete(d);
  }
}

// Up to this size an unchanged file is recognised in memory before anything is written.
const COMPARE_IN_MEMORY = 64 << 20;

/** Writes a file's bytes at `target`, reusing an existing regular file's inode when it has no other links. */
async function writeFileEntry(
  target: string,
  chunks: AsyncIterable<Buffer> | Buffer[],
  mode: number,
  mtime: Date | undefined,
  reuseInode: boolean,
  sha?: ReturnType<typeof createHash>,
): Promise<void> {
  const fd = reuseInode ? openSync(target, constants.O_WRONLY | constants.O_TRUNC | constants.O_NOFOLLOW) : openSync(target, 'wx', mode);
  try {
    for await (const chunk of chunks) {
      sha?.update(chunk);
      writeAll(fd, chunk);
    }
    fchmodSync(fd, mode); // the umask narrowed open()'s mode
    if (mtime) futimesSync(fd, mtime, mtime);
  } finally {
    closeSync(fd);
  }
}

/** True if every component of `rel` below root is a real directory (no symlink on the way). */
function realDirsUpTo(root: string, rel: string): boolean {
  const parts = rel.split('/');
  for (let i = 1; i < parts.length; i++) {
    if (!lstatOrNull(posix.join(root, ...parts.slice(0, i)))?.isDirectory()) return false;
  }
  return true;
}

/** Removes what the previous context had and this one does not, shallowest first. */
function removeStale(root: string, previous: ContextIndex, index: ContextIndex): void {
  const stale = [...previous.keys()].filter((r) => !index.has(r)).sort((a, b) => a.split('/').length - b.split('/').length);
  const gone: string[] = [];
  for (const rel of stale) {
    if (gone.some((g) => rel.startsWith(g + '/'))) continue;
    if (!realDirsUpTo(root, rel)) continue; // under something replaced: already gone with it
    rmSync(posix.join(root, rel), { recursive: true, force: true });
    gone.push(rel);
  }
}

function writeAll(fd: number, chunk: Buffer): void {
  for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off, chunk.length - off);
}

export async function extractContext(
  input: Readable | AsyncIterable<Buffer>,
  dest: string,
  options: ExtractContextOptions = {},
): Promise<ExtractContextResult> {
  const maxEntries = options.maxEntries ?? 1_000_000;
  const maxBytes = options.maxBytes ?? 16 * 1024 ** 3;
  await mkdir(dest, { recursive: true });
  const { stream } = await decompressed(input);
  const extract = tarStream.extract();
  const onAbort = () => extract.destroy(new Error('build context upload aborted'));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let fed = 0; // bytes given to the tar reader, to tell where the stream ended
  stream.on('data', (c: Buffer) => (fed += c.length));
  const feeding = pipeline(stream, extract).catch((e: unknown) => extract.destroy(e as Error));
  const index: ContextIndex = new Map();
  const place = new Placement(dest, index, !!options.previous);
  const previous = options.previous;
  const digests = new Map<string, string>();
  let reused = 0;
  let entries = 0;
  let bytes = 0;
  const dirTimes: Array<[string, Date]> = [];
  let entryDone = true; // the last entry (if any) was unpacked whole
  let lastSize = 0; // its data size
  try {
    try {
      for await (const entry of extract) {
        entryDone = false;
        const h = entry.header;
        lastSize = h.size ?? 0;
        if (++entries > maxEntries) throw invalidArgument(`build context has more than ${maxEntries} entries`);
        const name = contextEntryName(h.name);
        if (name === '') {
          entry.resume();
          entryDone = true;
          continue;
        }
        const target = await place.target(name);
        const mode = (h.mode ?? 0o644) & 0o7777;
        switch (h.type) {
          case 'directory': {
            entry.resume();
            const found = lstatOrNull(target);
            place.clear(target, name, true, found);
            const st = found?.isDirectory() ? found : null; // anything else was just removed
            if (!st) mkdirSync(target, { recursive: true });
            if (!st || (st.mode & 0o7777) !== mode) chmodSync(target, mode);
            place.markDir(name);
            index.set(name, { t: 'd', m: mode, mt: h.mtime?.getTime() });
            if (h.mtime) dirTimes.push([target, h.mtime]);
            break;
          }
          case 'file':
          case 'contiguous-file': {
            bytes += h.size ?? 0;
            if (bytes > maxBytes) throw invalidArgument(`build context is larger than ${maxBytes} bytes`);
            const size = h.size ?? 0;
            const mtime = h.mtime?.getTime();
            const prev = previous?.get(name);
            const st = lstatOrNull(target);
            // Writing in place keeps the inode (no creation); a hard-linked one must not change under its twin.
            const inPlace = !!st?.isFile() && st.nlink === 1;
            const compare = !!st?.isFile() && prev?.t === 'f' && prev.s === size && st.size === size && size <= COMPARE_IN_MEMORY;
            if (!inPlace && !compare) place.clear(target, name, false, st);
            const sha = createHash('sha256');
            let digest: string;
            // A file a COPY hard-linked into a layer (nlink > 1) is compared too, but never changed in place.
            if (compare && st) {
              const chunks: Buffer[] = [];
              for await (const chunk of entry as AsyncIterable<Buffer>) {
                sha.update(chunk);
                chunks.push(chunk);
              }
              digest = sha.digest('hex');
              const metaSame = (st.mode & 0o7777) === mode && !(h.mtime && st.mtimeMs !== mtime);
              if (digest === prev.d && (inPlace || metaSame)) {
                if ((st.mode & 0o7777) !== mode) chmodSync(target, mode);
                if (h.mtime && st.mtimeMs !== mtime) utimesSync(target, h.mtime, h.mtime);
                reused++;
              } else {
                if (!inPlace) place.clear(target, name, false, st);
                await writeFileEntry(target, chunks, mode, h.mtime, inPlace);
              }
            } else {
              await writeFileEntry(target, entry as AsyncIterable<Buffer>, mode, h.mtime, inPlace, sha);
              digest = sha.digest('hex');
            }
            digests.set(name, digest);
            index.set(name, { t: 'f', m: mode, s: size, d: digest, mt: mtime });
            break;
          }
          case 'symlink': {
            entry.resume();
            digests.delete(name);
            index.set(name, { t: 'l', m: 0o777, l: h.linkname ?? '', mt: h.mtime?.getTime() });
            const st = lstatOrNull(target);
            if (st?.isSymbolicLink() && readlinkSync(target) === (h.linkname ?? '')) break;
            place.clear(target, name, false, st);
            symlinkSync(h.linkname ?? '', target);
            if (h.mtime) {
              try {
                lutimesSync(target, h.mtime, h.mtime);
              } catch {
                // some filesystems refuse symlink times; they are not part of the cache key
              }
            }
            break;
          }
          case 'link': {
            entry.resume();
            const srcRel = contextEntryName(h.linkname ?? '');
            const src = await resolveInRoot(dest, srcRel, false);
            if (!lstatOrNull(src)?.isFile())
              throw invalidArgument(`invalid build context entry: hard link ${JSON.stringify(h.name)} to ${JSON.stringify(h.linkname)}`);
            place.clear(target, name, false);
            linkSync(src, target);
            const d = digests.get(srcRel);
            if (d) digests.set(name, d);
            else digests.delete(name);
            const srcEntry = index.get(srcRel);
            index.set(name, srcEntry ?? { t: 'f', m: lstatSync(target).mode & 0o7777 });
            break;
          }
          default:
            entry.resume(); // devices, fifos: meaningless in a build context
        }
        entryDone = true;
      }
    } catch (e) {
      // Go's archive/tar takes EOF right after an entry's data (no padding, no end blocks) or at
      // a block boundary as the end, and the docker CLI sends such a tar when the Dockerfile is
      // outside the context (ReplaceFileTarWrapper appends it and .dockerignore unpadded);
      // tar-stream calls both an error. A stream cut anywhere else stays one.
      const cleanEnd = entryDone && (fed % 512 === 0 || fed % 512 === lastSize % 512);
      if (!(cleanEnd && e instanceof Error && e.message === 'Unexpected end of data')) throw e;
    }
    await feeding;
  } catch (e) {
    extract.destroy();
    // tar-stream's own errors (a cut or corrupt tar) are bad input; errno and Berth errors keep their kind.
    if (e instanceof Error && !isBerthError(e) && !errnoCode(e)) {
      stream.destroy();
      throw invalidArgument(`invalid build context tar: ${e.message}`);
    }
    stream.destroy();
    throw e;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  if (previous) removeStale(dest, previous, index);
  for (const [d, t] of dirTimes.reverse()) {
    try {
      lutimesSync(d, t, t); // never through a symlink a later entry put in its place
    } catch {
      // a directory replaced later in the stream: its time does not matter
    }
  }

  const result: ExtractContextResult = { entries, bytes, ignorePatterns: [], removed: 0, digests, index, reused, buildFilesIgnored: [] };
  if (options.applyDockerignore === false) return result;
  await applyContextIgnore(dest, result, options.dockerfile ?? 'Dockerfile');
  return result;
}

/**
 * Applies the context's ignore file to an unpacked context (API callers may send what it
 * excludes) and names the build files to remove once the Dockerfile is read; updates `result`.
 * Shared by the tar upload and the incremental one (context-apply.ts).
 */
export async function applyContextIgnore(dest: string, result: ExtractContextResult, dockerfile: string, changing?: () => void): Promise<void> {
  const { digests, index } = result;
  for (const cand of ignoreFileCandidates(dockerfile)) {
    let text: string;
    try {
      const p = await resolveInRoot(dest, cand);
      if (!lstatSync(p).isFile()) continue;
      text = readFileSync(p, 'utf8');
    } catch (e) {
      if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') continue;
      throw e;
    }
    result.ignoreFile = cand;
    result.ignorePatterns = parseDockerignore(text);
    break;
  }
  if (result.ignorePatterns.length) {
    const pm = new PatternMatcher(withAlwaysSent(result.ignorePatterns, dockerfile, result.ignoreFile));
    result.removed = prune(dest, pm, digests as Map<string, string>, index, changing);
    const plain = new PatternMatcher(result.ignorePatterns);
    const buildFiles = new Set([result.ignoreFile ?? '.dockerignore', '.dockerignore', posix.normalize(dockerfile.replace(/^\/+/, ''))]);
    result.buildFilesIgnored = [...buildFiles].filter((f) => index.get(f)?.t === 'f' && plain.matches(f));
  }
}

/** Removes files of an unpacked context (dockerd's removeDockerfile), keeping its index and digests true. */
export function removeFromContext(dest: string, unpacked: ExtractContextResult, files: readonly string[]): void {
  for (const f of files) {
    rmSync(posix.join(dest, f), { force: true });
    unpacked.index.delete(f);
    (unpacked.digests as Map<string, string>).delete(f);
  }
}

// Removes excluded entries deepest first; an excluded directory goes only once it is empty
// (a later `!exception` may have kept something inside it). The index names everything the
// directory holds (it is kept true by every change), so no directory is read.
function prune(root: string, pm: PatternMatcher, digests: Map<string, string>, index: ContextIndex, changing?: () => void): number {
  let removed = 0;
  const depth = (p: string) => p.split('/').length;
  const keep = new Set<string>(); // directories with something left inside
  const markParents = (p: string) => {
    for (let i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) {
      const parent = p.slice(0, i);
      if (keep.has(parent)) return;
      keep.add(parent);
    }
  };
  for (const r of [...index.keys()].sort((a, b) => depth(b) - depth(a))) {
    const e = index.get(r)!;
    if (!pm.matches(r) || (e.t === 'd' && keep.has(r))) {
      markParents(r);
      continue;
    }
    changing?.();
    if (e.t === 'd') rmdirSync(posix.join(root, r));
    else rmSync(posix.join(root, r), { force: true });
    digests.delete(r);
    index.delete(r);
    removed++;
  }
  return removed;
}
