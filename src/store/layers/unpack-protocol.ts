// Messages between the main thread and a layer-unpack worker (unpack-off-thread.ts, unpack-worker.ts).
import type { Digest } from '../../lib/digest.js';
import type { ErrorKind } from '../../lib/errors.js';
import type { IdMap } from '../../lib/id-map.js';

export type ToWorker =
  | { t: 'start'; id: number; dir: string; idMap?: IdMap }
  | { t: 'data'; id: number; b: Uint8Array }
  | { t: 'end'; id: number }
  | { t: 'abort'; id: number; reason?: string };

/** An error crossing the thread boundary: a BerthError keeps kind, code and detail; others name and errno code. */
export type WireError =
  | { berth: true; kind: ErrorKind; code: string; message: string; detail?: unknown }
  | { berth: false; name: string; message: string; code?: string };

export type FromWorker = { t: 'ack'; id: number } | { t: 'done'; id: number; diffId: Digest; size: number } | { t: 'error'; id: number; error: WireError };
