// Messages between the main thread and a layer-unpack worker (unpack-off-thread.ts, unpack-worker.ts).
// A job either unpacks a layer into `dir` or hashes a blob (writing it to `path` when given).
import type { Digest } from '../../lib/digest.js';
import type { ErrorKind } from '../../lib/errors.js';
import type { IdMap } from '../../lib/id-map.js';

export type ToWorker =
  | { t: 'start'; id: number; job: JobSpec }
  | { t: 'data'; id: number; b: Uint8Array }
  | { t: 'end'; id: number }
  | { t: 'abort'; id: number; reason?: string };

/** An error crossing the thread boundary: a BerthError keeps kind, code and detail; others name and errno code. */
export type WireError =
  | { berth: true; kind: ErrorKind; code: string; message: string; detail?: unknown }
  | { berth: false; name: string; message: string; code?: string };

export type JobSpec = { kind: 'unpack'; dir: string; idMap?: IdMap } | { kind: 'blob'; path?: string; maxSize?: number };

/** What a job found: the unpacked tar's sha256 (a layer's diffId) or the written blob's, and the size. */
export interface JobResult {
  digest: Digest;
  size: number;
}

export type FromWorker = { t: 'ack'; id: number } | { t: 'done'; id: number; result: JobResult } | { t: 'error'; id: number; error: WireError };
