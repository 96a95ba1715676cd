// The content store of incremental build contexts: file contents the berth CLI uploaded (or the
// daemon staged from a kept context) named by their sha256, waiting to be placed into a context
// directory. A blob is written under a temporary name while its bytes are hashed and renamed to
// its digest only when the hash matches, so after kill -9 the store holds whole, verified blobs
// and temporary files (removed at the next start), never a blob with wrong content. Placing a
// blob moves it (rename) into the context directory, so a store that is not in use is nearly
// empty: what stays is what a cut transfer left, which the retry of that transfer reuses. The
// store is bounded (oldest blobs go first) and `builder prune` empties it.
import {
  closeSync,
  copyFileSync,
  constants,
  fchmodSync,
  futimesSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { invalidArgument } from '../../lib/errors.js';
import { SHA256_HEX } from '../../lib/context-manifest.js';

const TMP_PREFIX = '.tmp-';

/**
 * Writes `chunks` to a new file at `path` (0600), hashing them as they go; when they do not hash
 * to `digest` (the client's error, 400) the file is removed. No fsync: a layer made from these
 * bytes is flushed when it is committed, and a context cut off by a crash is discarded whole.
 */
export async function writeVerified(
  path: string,
  digest: string,
  chunks: AsyncIterable<Buffer>,
  /** Given: the file gets this mode and time (ms) once written, through its descriptor. */
  meta?: { mode: number; mtime: number },
): Promise<number> {
  // A mode open() gives exactly (plain permission bits the umask keeps) needs no fchmod after.
  const umask = processUmask();
  const exact = meta !== undefined && umask !== undefined && (meta.mode & ~0o777) === 0 && (meta.mode & umask) === 0;
  const fd = openSync(path, 'wx', exact ? meta.mode : 0o600);
  const sha = createHash('sha256');
  let size = 0;
  try {
    try {
      for await (const chunk of chunks) {
        sha.update(chunk);
        size += chunk.length;
        for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off, chunk.length - off);
      }
      if (meta) {
        if (!exact) fchmodSync(fd, meta.mode);
        futimesSync(fd, new Date(meta.mtime), new Date(meta.mtime));
      }
    } finally {
      closeSync(fd);
    }
    const got = sha.digest('hex');
    if (got !== digest) throw invalidArgument(`invalid build context upload: blob ${digest} has content with digest ${got}`);
  } catch (e) {
    rmSync(path, { force: true });
    throw e;
  }
  return size;
}

let umaskRead: number | undefined | null = null;

/** berthd's umask (nothing in it changes it), read once from /proc: process.umask() without an argument is deprecated. */
function processUmask(): number | undefined {
  if (umaskRead === null) {
    try {
      const m = /^Umask:\s*([0-7]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
      umaskRead = m ? Number.parseInt(m[1]!, 8) : undefined;
    } catch {
      umaskRead = undefined;
    }
  }
  return umaskRead;
}

export class ContextStore {
  constructor(
    readonly root: string,
    /** Total bytes kept between builds; older blobs are removed past it. */
    private readonly maxBytes = 1 << 30,
  ) {}

  /** Removes what a killed daemon left mid-write and trims the store to its bound. */
  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    for (const name of readdirSync(this.root)) if (!SHA256_HEX.test(name)) rmSync(join(this.root, name), { recursive: true, force: true });
    this.trim();
  }

  path(digest: string): string {
    return join(this.root, digest);
  }

  has(digest: string): boolean {
    try {
      return statSync(this.path(digest)).isFile();
    } catch {
      return false;
    }
  }

  /** The digests the store holds now: one directory read (a question over thousands of files made a stat each). */
  digests(): Set<string> {
    const out = new Set<string>();
    for (const name of readdirSync(this.root)) if (SHA256_HEX.test(name)) out.add(name);
    return out;
  }

  /** Stores the bytes of `chunks` under `digest`; a mismatch is the client's error (400) and stores nothing. */
  async write(digest: string, chunks: AsyncIterable<Buffer>): Promise<number> {
    const tmp = join(this.root, `${TMP_PREFIX}${randomBytes(8).toString('hex')}`);
    const size = await writeVerified(tmp, digest, chunks);
    try {
      renameSync(tmp, this.path(digest));
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
    return size;
  }

  /** Copies a file the daemon already trusts (a kept context's, whose digest its index records) into the store. */
  stageCopy(src: string, digest: string): void {
    const tmp = join(this.root, `${TMP_PREFIX}${randomBytes(8).toString('hex')}`);
    try {
      copyFileSync(src, tmp, constants.COPYFILE_FICLONE);
      renameSync(tmp, this.path(digest));
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
  }

  /** Takes a file the daemon trusts to hold `digest` (one leaving a context directory) into the store by rename. */
  adopt(path: string, digest: string): void {
    if (this.has(digest)) return;
    renameSync(path, this.path(digest));
  }

  /** Places the blob at `target` (which must not exist): moved when `last`, else copied (a reflink where the filesystem can). */
  place(digest: string, target: string, last: boolean): void {
    if (last) renameSync(this.path(digest), target);
    else copyFileSync(this.path(digest), target, constants.COPYFILE_FICLONE | constants.COPYFILE_EXCL);
  }

  /** Removes every blob (builder prune); returns the bytes freed. */
  clear(): number {
    let freed = 0;
    for (const name of readdirSync(this.root)) {
      const p = join(this.root, name);
      try {
        freed += statSync(p).size;
        unlinkSync(p);
      } catch {
        // a blob placed meanwhile
      }
    }
    return freed;
  }

  /** Keeps the store under its bound, removing the least recently written blobs first. */
  trim(): void {
    const blobs: Array<{ p: string; size: number; mtime: number }> = [];
    let total = 0;
    for (const name of readdirSync(this.root)) {
      if (!SHA256_HEX.test(name)) continue;
      try {
        const st = statSync(join(this.root, name));
        blobs.push({ p: join(this.root, name), size: st.size, mtime: st.mtimeMs });
        total += st.size;
      } catch {
        // placed meanwhile
      }
    }
    if (total <= this.maxBytes) return;
    for (const b of blobs.sort((x, y) => x.mtime - y.mtime)) {
      if (total <= this.maxBytes) break;
      rmSync(b.p, { force: true });
      total -= b.size;
    }
  }
}
