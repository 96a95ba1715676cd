// ContentStore on a plain directory: <root>/blobs/sha256/<hex>, written through
// <root>/ingest/<random> (hash while writing, fsync, verify, rename, fsync the directory; the
// hashing write of a large blob runs on a worker thread).
// Concurrent ingests of the same digest are safe: each writes its own temp file and rename
// replaces one verified copy by another identical one.
import { createReadStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { BlobInfo, ContentStore } from './content-store.js';
import { type Digest, hexOf, isDigest, parseDigest } from '../../lib/digest.js';
import { ensureDir, fsyncDir } from '../../lib/atomic-fs.js';
import { writeHashed } from './hashed-write.js';
import { writeHashedOffThread } from '../layers/unpack-off-thread.js';
import { errnoCode, invalidArgument, notFound } from '../../lib/errors.js';

/** Blobs at least this large (or of unknown size) are hashed and written on a worker thread. */
const OFF_THREAD_FROM = 4 << 20;

export class FsContentStore implements ContentStore {
  private constructor(readonly root: string) {}

  /** Opens (creating if needed) a store at `root` and removes temp files of interrupted ingests. */
  static async open(root: string): Promise<FsContentStore> {
    await ensureDir(join(root, 'blobs', 'sha256'));
    await ensureDir(join(root, 'ingest'));
    await rm(join(root, 'ingest'), { recursive: true, force: true });
    await ensureDir(join(root, 'ingest'));
    return new FsContentStore(root);
  }

  path(digest: Digest): string {
    return join(this.root, 'blobs', 'sha256', hexOf(parseDigest(digest)));
  }

  async has(digest: Digest): Promise<boolean> {
    try {
      await stat(this.path(digest));
      return true;
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return false;
      throw e;
    }
  }

  async info(digest: Digest): Promise<BlobInfo> {
    try {
      const st = await stat(this.path(digest));
      return { digest, size: st.size };
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') throw notFound(`content ${digest}: not found`);
      throw e;
    }
  }

  async read(digest: Digest): Promise<Buffer> {
    try {
      return await readFile(this.path(digest));
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') throw notFound(`content ${digest}: not found`);
      throw e;
    }
  }

  readStream(digest: Digest): Readable {
    // The open error (ENOENT) surfaces as a stream error; map it to not-found there.
    // 1 MiB reads: blobs are large, and each 64 KiB default read is a thread-pool round trip
    // (a 100 MiB layer read 9x faster this way on a busy 2-core machine).
    const s = createReadStream(this.path(digest), { highWaterMark: 1 << 20 });
    const emit = s.emit.bind(s);
    s.emit = ((event: string, ...args: unknown[]) => {
      if (event === 'error' && errnoCode(args[0]) === 'ENOENT') args[0] = notFound(`content ${digest}: not found`, args[0]);
      return emit(event, ...args);
    }) as typeof s.emit;
    return s;
  }

  async put(data: Buffer | string, expected?: Digest): Promise<BlobInfo> {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    return this.ingest(Readable.from([buf]), { digest: expected, size: buf.length });
  }

  async ingest(source: AsyncIterable<Buffer> | Readable, expected?: { digest?: Digest; size?: number }, signal?: AbortSignal): Promise<BlobInfo> {
    if (expected?.digest !== undefined && !isDigest(expected.digest)) throw invalidArgument(`invalid digest: ${JSON.stringify(expected.digest)}`);
    const tmp = join(this.root, 'ingest', randomBytes(12).toString('hex'));
    let committed = false;
    try {
      // A large (or unknown) blob is hashed and written on a worker thread: during a pull this
      // thread also receives the bytes and feeds the unpacker, and the sha256 would cost it as much.
      const small = expected?.size !== undefined && expected.size < OFF_THREAD_FROM;
      const { digest, size } = await (small ? writeHashed : writeHashedOffThread)(source, tmp, expected?.size, signal);
      if (expected?.size !== undefined && size !== expected.size) {
        throw invalidArgument(`content size mismatch: expected ${expected.size} bytes, got ${size}`);
      }
      if (expected?.digest !== undefined && digest !== expected.digest) {
        throw invalidArgument(`content digest mismatch: expected ${expected.digest}, got ${digest}`);
      }
      await rename(tmp, this.path(digest));
      committed = true;
      await fsyncDir(join(this.root, 'blobs', 'sha256'));
      return { digest, size };
    } finally {
      if (!committed) await unlink(tmp).catch(() => {});
    }
  }

  async delete(digest: Digest): Promise<void> {
    try {
      await unlink(this.path(digest));
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') throw notFound(`content ${digest}: not found`);
      throw e;
    }
    await fsyncDir(join(this.root, 'blobs', 'sha256'));
  }

  async list(): Promise<BlobInfo[]> {
    const dir = join(this.root, 'blobs', 'sha256');
    const out: BlobInfo[] = [];
    for (const name of (await readdir(dir)).sort()) {
      const digest = `sha256:${name}`;
      if (!isDigest(digest)) continue;
      try {
        out.push({ digest, size: (await stat(join(dir, name))).size });
      } catch (e) {
        if (errnoCode(e) !== 'ENOENT') throw e; // deleted meanwhile
      }
    }
    return out;
  }

  async verify(digest: Digest): Promise<boolean> {
    const hash = createHash('sha256');
    await pipeline(this.readStream(digest), hash);
    return `sha256:${hash.digest('hex')}` === digest;
  }

  async quarantine(digest: Digest, dir: string): Promise<void> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    try {
      await rename(this.path(digest), join(dir, hexOf(parseDigest(digest))));
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw e;
    }
    await fsyncDir(join(this.root, 'blobs', 'sha256'));
  }
}
