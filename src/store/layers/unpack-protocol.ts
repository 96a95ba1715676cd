// Messages between the main thread and a layer-unpack worker (unpack-off-thread.ts, unpack-worker.ts).
// A job either unpacks a layer into `dir` or hashes a blob (writing it to `path` when given).
import type { Digest } from '../../lib/digest.js';
import type { ErrorKind } from '../../lib/errors.js';
import type { IdMap } from '../../lib/id-map.js';
import type { ExpectedBlob } from './blob-check.js';

/**
 * A blob the worker GETs itself (a pull's layer over plain HTTP or HTTPS), so its bytes never
 * cross threads: one request, no redirect. Anything but a 200 with exactly `size` bytes
 * declared, or no connection, is handed back undone (`declined`): the caller then fetches the
 * blob its own way (auth retry, redirects, its error texts).
 */
export interface BlobSource {
  url: string;
  headers: Record<string, string>;
  /** Skip TLS verification (an insecure registry). */
  insecureTls?: boolean;
  /** Socket inactivity limit (connect and every read). */
  timeoutMs?: number;
}

export type ToWorker =
  | { t: 'start'; id: number; job: JobSpec }
  | { t: 'data'; id: number; b: Uint8Array }
  | { t: 'end'; id: number }
  | { t: 'abort'; id: number; reason?: string };

/** An error crossing the thread boundary: a BerthError keeps kind, code and detail; others name and errno code. */
export type WireError =
  | { berth: true; kind: ErrorKind; code: string; message: string; detail?: unknown }
  | { berth: false; name: string; message: string; code?: string };

/**
 * `blob`: the input is a compressed blob to check (hashed as it arrives, capped at its size; its
 * verdict comes first). `layoutDir`: record the tar's layout there (tar-layout.ts). `source`: the
 * worker fetches the input itself (then `blob` is required).
 */
export type JobSpec =
  | { kind: 'unpack'; dir: string; idMap?: IdMap; blob?: ExpectedBlob; layoutDir?: string; source?: BlobSource }
  | { kind: 'blob'; path?: string; maxSize?: number };

/** What a job found: the unpacked tar's sha256 (a layer's diffId) or the written blob's, and the size. */
export interface JobResult {
  digest: Digest;
  size: number;
  /** An unpack job's layout was written (see JobSpec). */
  layout?: boolean;
}

export type FromWorker =
  | { t: 'ack'; id: number }
  /** A source job's running count of bytes received (every 100 ms, at most every 1 MiB, and at the end). */
  | { t: 'progress'; id: number; n: number }
  /** A source job whose source answered otherwise (see BlobSource): nothing was unpacked. */
  | { t: 'declined'; id: number }
  | { t: 'done'; id: number; result: JobResult }
  | { t: 'error'; id: number; error: WireError };
