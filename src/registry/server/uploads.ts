// Blob upload sessions. The bytes go to uploads/<uuid>/data and are hashed as they arrive;
// after each chunk the data is fsynced and state.json (repository, size) is rewritten
// atomically, so the session survives a server restart: a restarted server truncates the data
// back to the size state.json vouches for (a chunk cut off by kill -9 is dropped whole) and
// re-hashes it once. A blob becomes visible only when the final digest matches, by rename.
// A session nobody has written to for longer than the server's limit is abandoned: expire()
// (run by the server on a timer) removes it and its bytes, as distribution's upload purger does.
import { randomUUID, createHash, type Hash } from 'node:crypto';
import { open, readdir, stat, truncate, type FileHandle } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { ensureDir, readJsonIfExists, writeJsonAtomic } from '../../lib/atomic-fs.js';
import type { Digest } from '../../lib/digest.js';
import { KeyedMutex } from '../../lib/mutex.js';
import { canceled, errnoCode } from '../../lib/errors.js';
import { BatchedWriter } from '../../lib/batched-writer.js';
import { blobUploadUnknown, digestInvalid, rangeInvalid, sizeInvalid, tooManyRequests } from './errors.js';
import { removeTree, type RegistryStorage } from './storage.js';

interface UploadState {
  repo: string;
  size: number;
  startedAt: string;
  /** The last time a chunk was written (absent in sessions written before it existed). */
  updatedAt?: string;
}

interface Session extends UploadState {
  id: string;
  /** The running hash of bytes [0, size); undefined until rebuilt after a restart. */
  hash: Hash | undefined;
}

export interface UploadStatus {
  id: string;
  repo: string;
  size: number;
}

/** A chunk's declared position (Content-Range, inclusive) and length (Content-Length). */
export interface ChunkBounds {
  start?: number;
  end?: number;
  length?: number;
}

const UUID_RE = /^[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$/;

export class Uploads {
  private readonly sessions = new Map<string, Session>();
  private readonly locks = new KeyedMutex();

  constructor(
    private readonly storage: RegistryStorage,
    /** Open sessions beyond this are refused with TOOMANYREQUESTS (each holds a file and a hash). */
    private readonly maxSessions = 1000,
  ) {}

  private dir(id: string): string {
    return join(this.storage.uploadsDir, id);
  }

  /** Loads the sessions a previous run left, cutting each data file back to its recorded size. */
  async recover(): Promise<number> {
    for (const id of await readdir(this.storage.uploadsDir)) {
      if (!UUID_RE.test(id)) continue;
      const st = await readJsonIfExists<UploadState>(join(this.dir(id), 'state.json'));
      if (!st) {
        await removeTree(this.dir(id)); // killed between mkdir and the first state write
        continue;
      }
      const data = join(this.dir(id), 'data');
      const held = await stat(data).then(
        (x) => x.size,
        () => undefined,
      );
      if (held === undefined) {
        // Killed after finish() renamed the bytes into blobs/ and before the directory went: the
        // blob is committed; the session is over (its URL answers BLOB_UPLOAD_UNKNOWN).
        await removeTree(this.dir(id));
        continue;
      }
      const size = Math.min(st.size, held); // data is fsynced before state.json, so held < size only if damaged
      await truncate(data, size);
      this.sessions.set(id, { ...st, size, id, hash: undefined });
    }
    return this.sessions.size;
  }

  /**
   * Removes the sessions with no write for `maxAgeMs` (waiting for a chunk in flight, which
   * renews its session); returns how many went. Their upload URLs then answer BLOB_UPLOAD_UNKNOWN.
   */
  async expire(maxAgeMs: number, now = Date.now()): Promise<number> {
    const idle = (s: Session) => now - Date.parse(s.updatedAt ?? s.startedAt) > maxAgeMs;
    let removed = 0;
    for (const s of [...this.sessions.values()].filter(idle)) {
      await this.locks.run(s.id, async () => {
        const cur = this.sessions.get(s.id);
        if (!cur || !idle(cur)) return;
        // Bytes first, then the session: once its URL answers BLOB_UPLOAD_UNKNOWN nothing of it is left.
        await removeTree(this.dir(s.id));
        this.sessions.delete(s.id);
        removed++;
      });
    }
    return removed;
  }

  /** The active sessions' ids (the garbage collector's grace: their bytes are not in blobs/ yet). */
  active(): UploadStatus[] {
    return [...this.sessions.values()].map((s) => ({ id: s.id, repo: s.repo, size: s.size }));
  }

  async start(repo: string): Promise<UploadStatus> {
    if (this.sessions.size >= this.maxSessions) throw tooManyRequests(`more than ${this.maxSessions} uploads in progress`);
    const id = randomUUID();
    await ensureDir(this.dir(id));
    const fh = await open(join(this.dir(id), 'data'), 'wx', 0o600);
    await fh.close();
    const s: Session = { id, repo, size: 0, startedAt: new Date().toISOString(), hash: createHash('sha256') };
    await this.persist(s);
    this.sessions.set(id, s);
    return { id, repo, size: 0 };
  }

  status(repo: string, id: string): UploadStatus {
    const s = this.get(repo, id);
    return { id, repo, size: s.size };
  }

  /** Appends one chunk; bytes that do not start where the upload ends are refused with 416. */
  async append(repo: string, id: string, body: AsyncIterable<Buffer>, bounds: ChunkBounds, signal?: AbortSignal): Promise<UploadStatus> {
    return this.locks.run(id, async () => {
      const s = this.get(repo, id);
      this.checkBounds(s, bounds);
      await this.write(s, body, bounds, signal);
      return { id, repo, size: s.size };
    });
  }

  /**
   * Appends the last chunk (if any), checks the digest and moves the bytes into the blob store.
   * A digest mismatch leaves the session as it was before the request's chunk.
   */
  async finish(repo: string, id: string, digest: Digest, body: AsyncIterable<Buffer> | undefined, bounds: ChunkBounds, signal?: AbortSignal): Promise<number> {
    return this.locks.run(id, async () => {
      const s = this.get(repo, id);
      const sizeBefore = s.size;
      const hashBefore = (await this.hashOf(s)).copy();
      if (body) {
        this.checkBounds(s, bounds);
        await this.write(s, body, bounds, signal);
      }
      const got = `sha256:${(await this.hashOf(s)).copy().digest('hex')}`;
      if (got !== digest) {
        if (s.size !== sizeBefore) {
          s.size = sizeBefore;
          s.hash = hashBefore;
          await truncate(join(this.dir(id), 'data'), sizeBefore);
          await this.persist(s);
        }
        throw digestInvalid('provided digest did not match uploaded content', { expected: digest, computed: got });
      }
      await this.storage.commitBlobFile(join(this.dir(id), 'data'), digest);
      await this.storage.linkBlob(repo, digest);
      this.sessions.delete(id);
      await removeTree(this.dir(id));
      return s.size;
    });
  }

  async cancel(repo: string, id: string): Promise<void> {
    await this.locks.run(id, async () => {
      this.get(repo, id);
      this.sessions.delete(id);
      await removeTree(this.dir(id));
    });
  }

  private get(repo: string, id: string): Session {
    const s = UUID_RE.test(id) ? this.sessions.get(id) : undefined;
    // An upload started for another repository is unknown here (its bytes would be linked there).
    if (!s || s.repo !== repo) throw blobUploadUnknown(undefined, { uuid: id });
    return s;
  }

  private checkBounds(s: Session, b: ChunkBounds): void {
    if (b.start === undefined) return; // a streamed chunk (docker push): appended where the data ends
    if (b.start !== s.size) throw rangeInvalid(`chunk starts at ${b.start}, the upload holds ${s.size} bytes`, { offset: s.size });
    if (b.end === undefined || b.end < b.start - 1) throw rangeInvalid('invalid Content-Range', { offset: s.size });
    if (b.length !== undefined && b.length !== b.end - b.start + 1) throw rangeInvalid('Content-Range does not match Content-Length', { offset: s.size });
  }

  private async hashOf(s: Session): Promise<Hash> {
    if (s.hash) return s.hash;
    const h = createHash('sha256');
    if (s.size > 0) for await (const c of createReadStream(join(this.dir(s.id), 'data'), { start: 0, end: s.size - 1 })) h.update(c as Buffer);
    s.hash = h;
    return h;
  }

  private async write(s: Session, body: AsyncIterable<Buffer>, bounds: ChunkBounds, signal?: AbortSignal): Promise<void> {
    const hash = await this.hashOf(s);
    // A chunk that fails half-way is dropped whole: the data is cut back and the hash restored.
    const before = hash.copy();
    const file = join(this.dir(s.id), 'data');
    let fh: FileHandle | undefined = await open(file, 'a');
    let added = 0;
    try {
      await fh.truncate(s.size); // appends start exactly where the vouched-for bytes end
      // Socket chunks are ~64 KiB: written in ~1 MiB batches (far fewer syscalls), with writeback
      // started as the chunk arrives so the fsync below waits for the last few MiB only.
      const out = new BatchedWriter(fh);
      for await (const chunk of body) {
        if (signal?.aborted) throw canceled();
        hash.update(chunk);
        added += chunk.length;
        await out.write(chunk);
      }
      await out.done();
      const declared = bounds.length ?? (bounds.end !== undefined && bounds.start !== undefined ? bounds.end - bounds.start + 1 : undefined);
      if (declared !== undefined && declared !== added) throw sizeInvalid(`chunk of ${added} bytes, ${declared} declared`);
      await fh.sync();
      await fh.close();
      fh = undefined;
      s.size += added;
      await this.persist(s);
    } catch (e) {
      await fh?.close().catch(() => {});
      s.hash = before;
      await truncate(file, s.size).catch(() => {});
      // A client that went away mid-chunk is no server failure (no 500, no error log).
      if (signal?.aborted || errnoCode(e) === 'ECONNRESET' || (e instanceof Error && e.message === 'aborted')) throw canceled('the client went away mid-chunk');
      throw e;
    }
  }

  private async persist(s: Session): Promise<void> {
    s.updatedAt = new Date().toISOString();
    const st: UploadState = { repo: s.repo, size: s.size, startedAt: s.startedAt, updatedAt: s.updatedAt };
    await writeJsonAtomic(join(this.dir(s.id), 'state.json'), st);
  }
}
