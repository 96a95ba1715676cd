// `berth build`'s incremental context (the daemon side is src/builder/context/context-apply.ts;
// the routes are described in docs/build-context.md). Instead of the whole context tar the CLI
// sends a manifest (path, kind, mode, mtime, size, sha256 of each entry, after .dockerignore),
// the daemon answers which contents it lacks for this context, and the CLI sends only those.
// BuildKit's incremental file transfer is the model; the classic POST /build stays for the
// docker CLI and for daemons without the extension.
//
// Hashing the whole context every build would cost what sending it costs, so digests are kept in
// a cache file per context under the user's config directory, keyed by path, inode, size, mtime
// and ctime: an unchanged file is not read at all (ctime catches a rewrite that restored the
// mtime). The cache is written atomically (temp file + rename) and only when it changed.
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { BLOB_PREFIX, MANIFEST_ENTRY, type ManifestEntry } from '../lib/context-manifest.js';
import { TarWriter } from '../lib/tar-write.js';
import { collectContext, readableOf } from './build-context.js';
import { isDir, isFile, isSymlink } from './path-stat.js';

export interface ScannedContext {
  /** The id the daemon keeps this context's directory under: sha256 of the context's real path. */
  id: string;
  entries: ManifestEntry[];
  /** The Dockerfile's path in the context (the `dockerfile` build parameter). */
  dockerfile: string;
  /** The context directory (real path): a file entry's bytes are at `${root}/${p}`. */
  root: string;
  /** The bytes of files added to the context (a Dockerfile from elsewhere, the .dockerignore naming it) by digest. */
  added: Map<string, Buffer>;
  /** How many files were hashed (not found unchanged in the digest cache). */
  hashed: number;
  /** The manifest's JSON (`{"entries": [...]}`), made once: the question and the upload both send it. */
  manifest: Buffer;
}

type CacheRow = [ino: number, size: number, mtimeMs: number, ctimeMs: number, digest: string];
interface CacheFile {
  v: 1;
  root: string;
  files: Record<string, CacheRow>;
}

const CACHE_FILES_KEPT = 64;
/** How recent a file's ctime may be for its digest to be kept (above the coarsest timestamp tick, FAT's 2 s). */
const RACY_MS = 3000;

/** `$XDG_CONFIG_HOME/berth/build-contexts` (default ~/.config/berth/build-contexts). */
export function digestCacheDir(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CONFIG_HOME || join(env.HOME ?? homedir(), '.config'), 'berth', 'build-contexts');
}

function sha256File(path: string, size: number, buf: Buffer): string {
  const h = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    for (let left = size; left > 0; ) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, left), null);
      if (n === 0) break;
      h.update(n === buf.length ? buf : buf.subarray(0, n));
      left -= n;
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

function readCache(file: string, root: string): Record<string, CacheRow> {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as CacheFile;
    if (v?.v === 1 && v.root === root && typeof v.files === 'object' && v.files) return v.files;
  } catch {
    // none yet, or unreadable: every file is hashed and the cache rewritten
  }
  return {};
}

function writeCache(dir: string, file: string, content: CacheFile): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, JSON.stringify(content), { mode: 0o600 });
  renameSync(tmp, file);
  // Bounded: the least recently written caches go (a context not built for a long time is rehashed).
  const names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  if (names.length <= CACHE_FILES_KEPT) return;
  const byAge = names.map((n) => ({ n, t: statSync(join(dir, n)).mtimeMs })).sort((a, b) => a.t - b.t);
  for (const { n } of byAge.slice(0, names.length - CACHE_FILES_KEPT)) unlinkSync(join(dir, n));
}

/** Walks and describes the context (see collectContext for the arguments); hashes only files the cache does not know. */
export async function scanContext(
  contextDir: string,
  dockerfile: string | undefined,
  dockerfileText: Buffer | undefined,
  env: NodeJS.ProcessEnv,
): Promise<ScannedContext> {
  // An added Dockerfile is named by its content, so an unchanged one is not sent again.
  const collected = await collectContext(
    contextDir,
    dockerfile,
    dockerfileText,
    (d) => `.dockerfile.${createHash('sha256').update(d).digest('hex').slice(0, 20)}`,
  );
  const root = realpathSync(collected.root);
  const id = createHash('sha256').update(root).digest('hex').slice(0, 32);
  const cacheDir = digestCacheDir(env);
  const cacheFile = join(cacheDir, `${id}.json`);
  const old = readCache(cacheFile, root);
  const files: Record<string, CacheRow> = {};
  const entries: ManifestEntry[] = [];
  const added = new Map<string, Buffer>();
  const buf = Buffer.allocUnsafe(1 << 20);
  let hashed = 0;
  // Racily clean files (git's term): a file changed just before the walk may change again within
  // the same timestamp tick (ext4 stamps times at kernel-tick granularity) keeping its inode,
  // size, mtime and ctime; so the digest of a file whose ctime is that recent is not kept, and the
  // next build reads it again. ctime, not mtime: no one can set it back.
  const racyAfter = Date.now() - RACY_MS;
  let newRows = 0;
  for (const { rel, abs, st } of collected.entries) {
    const base = { p: rel, m: st.mode & 0o7777, mt: Math.floor(st.mtimeMs) };
    if (isDir(st)) entries.push({ ...base, t: 'd' });
    else if (isSymlink(st)) entries.push({ ...base, t: 'l', m: 0o777, l: readlinkSync(abs) });
    else if (isFile(st)) {
      let row = old[rel];
      const known = row && row[0] === st.ino && row[1] === st.size && row[2] === st.mtimeMs && row[3] === st.ctimeMs;
      if (!known) {
        row = [st.ino, st.size, st.mtimeMs, st.ctimeMs, sha256File(abs, st.size, buf)];
        hashed++;
      }
      if (st.ctimeMs < racyAfter) {
        files[rel] = row!;
        if (!known) newRows++;
      }
      entries.push({ p: rel, t: 'f', m: base.m, mt: base.mt, s: st.size, d: row![4] });
    }
  }
  const now = Date.now();
  for (const x of collected.extras) {
    const digest = createHash('sha256').update(x.data).digest('hex');
    entries.push({ p: x.name, t: 'f', m: 0o644, mt: now, s: x.data.length, d: digest });
    added.set(digest, x.data);
  }
  const changed = newRows > 0 || Object.keys(old).length !== Object.keys(files).length;
  if (changed) {
    try {
      writeCache(cacheDir, cacheFile, { v: 1, root, files });
    } catch {
      // a read-only home: the next build hashes again, nothing else changes
    }
  }
  const manifest = Buffer.from(JSON.stringify({ entries }));
  return { id, entries, dockerfile: collected.dockerfile, root: collected.root, added, hashed, manifest };
}

/** Uploads up to this size (the manifest and the missing contents) go as one buffer: no stream, no node:http. */
const UPLOAD_AS_BYTES_MAX = 8 << 20;

/**
 * The upload: the manifest, then the bytes of each missing digest as `blobs/<sha256>`; as one
 * buffer when small (a rebuild that lacks nothing or a few files), else as a stream.
 */
export function uploadBody(scan: ScannedContext, missing: readonly string[]): Buffer | Readable {
  const files = missingFiles(scan, missing);
  let size = scan.manifest.length;
  for (const d of missing) size += scan.added.get(d)?.length ?? files.get(d)?.size ?? 0;
  if (size > UPLOAD_AS_BYTES_MAX) return readableOf(uploadChunks(scan, missing, files));
  return Buffer.concat([...uploadChunks(scan, missing, files)]);
}

/** Where each asked-for content is: looked up only when something is asked for. */
function missingFiles(scan: ScannedContext, missing: readonly string[]): Map<string, { path: string; size: number }> {
  const wanted = new Set(missing);
  const files = new Map<string, { path: string; size: number }>();
  if (wanted.size)
    for (const e of scan.entries) if (e.t === 'f' && wanted.has(e.d!) && !files.has(e.d!)) files.set(e.d!, { path: `${scan.root}/${e.p}`, size: e.s! });
  return files;
}

function* uploadChunks(scan: ScannedContext, missing: readonly string[], files: Map<string, { path: string; size: number }>): Generator<Buffer> {
  const w = new TarWriter();
  const mtime = Math.floor(Date.now() / 1000);
  w.header({ name: MANIFEST_ENTRY, type: 'file', mode: 0o644, mtime, size: scan.manifest.length });
  w.data(scan.manifest);
  yield* w.take();
  for (const d of missing) {
    const data = scan.added.get(d);
    const file = files.get(d);
    if (data) {
      w.header({ name: `${BLOB_PREFIX}${d}`, type: 'file', mode: 0o600, mtime, size: data.length });
      w.data(data);
    } else if (file) {
      w.header({ name: `${BLOB_PREFIX}${d}`, type: 'file', mode: 0o600, mtime, size: file.size });
      w.file(file.path, file.size);
    } else throw new Error(`the daemon asked for content ${d}, which this context does not have`);
    yield* w.take();
  }
  w.end();
  yield* w.take();
}
