// ContentStore: sha256-addressed blobs under <root>/blobs/sha256/<hex>.
// Lifecycle: a blob becomes visible only after ingest has verified its digest, fsynced it and
// renamed it into place; an interrupted ingest leaves only a temp file under <root>/ingest,
// which open() removes. Blobs are immutable; delete is the garbage collector's job.
import type { Readable } from 'node:stream';
import type { Digest } from '../../lib/digest.js';

export interface BlobInfo {
  digest: Digest;
  size: number;
}

export interface ContentStore {
  readonly root: string;
  has(digest: Digest): Promise<boolean>;
  info(digest: Digest): Promise<BlobInfo>; // not-found error if absent
  /** Filesystem path of a committed blob (for zero-copy reads). */
  path(digest: Digest): string;
  read(digest: Digest): Promise<Buffer>;
  readStream(digest: Digest): Readable;
  /** Stores bytes; if `expected` is given and differs, fails with invalid-argument and stores nothing. */
  put(data: Buffer | string, expected?: Digest): Promise<BlobInfo>;
  /** Streams bytes into the store, hashing on the way; verifies expected digest/size when given. */
  ingest(source: AsyncIterable<Buffer> | Readable, expected?: { digest?: Digest; size?: number }, signal?: AbortSignal): Promise<BlobInfo>;
  delete(digest: Digest): Promise<void>;
  list(): Promise<BlobInfo[]>;
  /** Re-reads a committed blob: true when its bytes still hash to its digest (system check). */
  verify(digest: Digest): Promise<boolean>;
  /** Moves a blob out of the store into `dir` (a corrupt one, kept for inspection); no-op if absent. */
  quarantine(digest: Digest, dir: string): Promise<void>;
}
