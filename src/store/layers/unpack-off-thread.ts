// Layer unpacking on worker threads: gunzip, the tar's sha256 (the diffId) and untar of a
// layer cost as much CPU as receiving, hashing and storing its compressed blob, and on one
// thread a pull did them one after the other. Here the main thread only forwards the bytes
// (in ~1 MiB batches, transferred, at most a few MiB in flight) and a worker runs
// unpackLayer, so a pull's download, blob hashing and unpack run on two cores at once.
// Workers are kept in a small pool between jobs (starting one costs tens of ms) and end after
// half a second unused: the layers of one pull or load come back to back, and an idle worker
// holds ~10 MiB (its own V8 isolate and malloc arena), which an idle daemon should not; a worker
// that cannot start (no worker file in this build) means unpacking on this thread, with the same
// result. The same workers write large blobs while hashing them (the content store's ingest,
// writeHashedOffThread: a load's or push's blobs). A pull keeps no blob: its layer's worker also
// checks the compressed bytes (blob-check.ts), so its main thread only receives and hands on;
// when the blob's URL can be given (unpackFetchedOffThread), the worker receives it too.
import { existsSync } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { BerthError, canceled, hasErrorCode, isBerthError, isNoSpace } from '../../lib/errors.js';
import { BLOB_MISMATCH, BlobCheck, type ExpectedBlob } from './blob-check.js';
import type { IdMap } from '../../lib/id-map.js';
import { unpackLayer, type UnpackResult } from './unpack-layer.js';
import { holdIdleTrim, pokeIdleTrim } from '../../lib/idle-trim.js';
import { writeHashed, type HashedFile } from '../content/hashed-write.js';
import type { BlobSource, FromWorker, JobResult, JobSpec, ToWorker, WireError } from './unpack-protocol.js';

const BATCH = 1 << 20;
/** Batches posted and not yet taken by the worker's input, per job. */
const IN_FLIGHT = 4;
const MAX_IDLE_WORKERS = 3;
const IDLE_MS = 500;

/** The worker script: beside this module in the unbundled tree, at the bundle's root when bundled (this code then sits in chunks/). */
function workerPath(): string | undefined {
  for (const rel of ['./unpack-worker.js', '../layer-unpack-worker.js', './layer-unpack-worker.js']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  return undefined;
}

function fromWire(w: WireError): Error {
  if (w.berth) return new BerthError(w.kind, w.message, { code: w.code, detail: w.detail });
  const e = new Error(w.message) as NodeJS.ErrnoException;
  e.name = w.name;
  if (w.code !== undefined) e.code = w.code;
  return e;
}

interface PooledWorker {
  w: Worker;
  timer?: NodeJS.Timeout;
  /** Receives this worker's messages for the job it runs now. */
  onMessage?: (m: FromWorker) => void;
  onFailure?: (e: Error) => void;
}

const idle: PooledWorker[] = [];
let nextJob = 1;
let path: string | undefined | null = null;

function take(): PooledWorker | undefined {
  const pooled = idle.pop();
  if (pooled) {
    clearTimeout(pooled.timer);
    pooled.w.ref();
    return pooled;
  }
  if (path === null) path = workerPath();
  if (!path) return undefined;
  const pw: PooledWorker = { w: new Worker(path) };
  pw.w.on('message', (m: FromWorker) => pw.onMessage?.(m));
  const gone = (e: Error) => {
    const i = idle.indexOf(pw);
    if (i >= 0) idle.splice(i, 1);
    pw.onFailure?.(e);
  };
  pw.w.on('error', gone);
  pw.w.on('exit', (code) => gone(new Error(`layer unpack worker exited with code ${code}`)));
  return pw;
}

function giveBack(pw: PooledWorker): void {
  pw.onMessage = undefined;
  pw.onFailure = undefined;
  if (idle.length >= MAX_IDLE_WORKERS) {
    void pw.w.terminate();
    return;
  }
  pw.w.unref(); // an idle worker never keeps the process alive
  pw.timer = setTimeout(() => {
    const i = idle.indexOf(pw);
    if (i >= 0) idle.splice(i, 1);
    // The worker's arena is free once it has gone: give it back to the kernel.
    void pw.w.terminate().then(pokeIdleTrim, pokeIdleTrim);
  }, IDLE_MS);
  pw.timer.unref();
  idle.push(pw);
}

export interface UnpackExtras {
  /** The input is this compressed blob: check it as it arrives (blob-check.ts; its verdict comes first). */
  blob?: ExpectedBlob;
  /** Record the tar's layout into this directory (tar-layout.ts). */
  layoutDir?: string;
}

/** unpackLayer(input, dir, signal, idMap, extras), run on a worker thread when one can be had. */
export async function unpackLayerOffThread(
  input: Readable,
  dir: string,
  signal?: AbortSignal,
  idMap?: IdMap,
  extras: UnpackExtras = {},
): Promise<UnpackResult> {
  const r = await runOffThread(input, { kind: 'unpack', dir, ...(idMap ? { idMap } : {}), ...extras }, signal);
  if (r && r !== 'declined') return { diffId: r.digest, size: r.size, ...(r.layout !== undefined ? { layout: r.layout } : {}) };
  return unpackHere(input, dir, signal, idMap, extras);
}

/**
 * unpackLayer of a compressed blob a worker GETs itself (see BlobSource): the bytes go from the
 * socket to the unpack on one thread, never copied or posted between threads. Undefined when
 * the source answered anything but the whole blob, or no worker can be had: nothing was
 * unpacked, and the caller fetches the blob its own way. `onBytes` sees the running count.
 */
export async function unpackFetchedOffThread(
  source: BlobSource,
  blob: ExpectedBlob,
  dir: string,
  opts: { signal?: AbortSignal; idMap?: IdMap; layoutDir?: string; onBytes?: (n: number) => void } = {},
): Promise<UnpackResult | undefined> {
  const job: JobSpec = {
    kind: 'unpack',
    dir,
    blob,
    source,
    ...(opts.idMap ? { idMap: opts.idMap } : {}),
    ...(opts.layoutDir !== undefined ? { layoutDir: opts.layoutDir } : {}),
  };
  const r = await runOffThread(undefined, job, opts.signal, opts.onBytes);
  if (!r || r === 'declined') return undefined;
  return { diffId: r.digest, size: r.size, ...(r.layout !== undefined ? { layout: r.layout } : {}) };
}

/** Starts a worker ahead of the job that will want it (a pull, before its manifests are read): its start-up then overlaps the requests. */
export function prestartUnpackWorker(): void {
  if (idle.length) return;
  const pw = take();
  if (pw) giveBack(pw);
}

/** The same on this thread (no worker file in this build), with the same blob check. */
async function unpackHere(
  input: Readable,
  dir: string,
  signal: AbortSignal | undefined,
  idMap: IdMap | undefined,
  extras: UnpackExtras,
): Promise<UnpackResult> {
  if (!extras.blob) return unpackLayer(input, dir, signal, idMap, extras.layoutDir);
  const check = new BlobCheck(extras.blob);
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const checked = Readable.from(
    (async function* () {
      for (let r = await it.next(); !r.done; r = await it.next()) {
        check.update(r.value);
        yield r.value;
      }
    })(),
    { objectMode: false },
  );
  try {
    const r = await unpackLayer(checked, dir, signal, idMap, extras.layoutDir, false);
    const bad = check.verdict();
    if (bad) throw bad;
    return r;
  } catch (e) {
    if (check.overflow) throw check.overflow;
    if (isNoSpace(e) || isBerthError(e, 'canceled') || hasErrorCode(e, BLOB_MISMATCH)) throw e;
    // A bad gzip or tar: read the rest of the blob, whose own check comes first.
    for (let r = await it.next(); !r.done; r = await it.next()) check.update(r.value);
    throw check.verdict() ?? e;
  }
}

/** writeHashed(input, path, maxSize, signal), run on a worker thread when one can be had (no path: only hashed). */
export async function writeHashedOffThread(
  input: AsyncIterable<Buffer | string>,
  path: string | undefined,
  maxSize?: number,
  signal?: AbortSignal,
): Promise<HashedFile> {
  const r = await runOffThread(input, { kind: 'blob', path, maxSize }, signal);
  return r && r !== 'declined' ? r : writeHashed(input, path, maxSize, signal);
}

/**
 * Runs one job on a pooled worker, feeding it `input` (none: the job fetches its own, see
 * BlobSource); undefined when no worker can be had (run it here then), 'declined' when the
 * job's source answered otherwise.
 */
async function runOffThread(
  input: AsyncIterable<Buffer | string> | undefined,
  job: JobSpec,
  signal?: AbortSignal,
  onProgress?: (n: number) => void,
): Promise<JobResult | 'declined' | undefined> {
  const pw = take();
  if (!pw) return undefined;
  const release = holdIdleTrim();
  const id = nextJob++;
  const post = (m: ToWorker, transfer?: ArrayBuffer[]) => pw.w.postMessage(m, transfer);
  let inFlight = 0;
  let wake: (() => void) | undefined;
  let settled = false;
  let workerFailed = false;
  const result = new Promise<JobResult | 'declined'>((resolve, reject) => {
    const end = (f: () => void) => {
      settled = true;
      wake?.();
      f();
    };
    pw.onMessage = (m) => {
      if (m.id !== id) return;
      if (m.t === 'ack') {
        inFlight--;
        wake?.();
      } else if (m.t === 'progress') onProgress?.(m.n);
      else if (m.t === 'declined') end(() => resolve('declined'));
      else if (m.t === 'done') end(() => resolve(m.result));
      else end(() => reject(fromWire(m.error)));
    };
    pw.onFailure = (e) => {
      workerFailed = true;
      end(() => reject(e));
    };
  });
  result.catch(() => {}); // awaited below; a failure while still feeding must not be "unhandled"
  post({ t: 'start', id, job });
  const onAbort = () => post({ t: 'abort', id, reason: 'operation canceled' });
  signal?.addEventListener('abort', onAbort, { once: true });
  let inputError: unknown;
  try {
    let batch: Buffer[] = [];
    let batched = 0;
    const flush = async () => {
      if (!batched) return;
      // A buffer of its own (never one of Node's pooled slabs) so its memory can be transferred;
      // uninitialised, as every byte is written next (zero-filling was a third of this copy's cost).
      const b = Buffer.allocUnsafeSlow(batched);
      let off = 0;
      for (const c of batch) {
        b.set(c, off);
        off += c.length;
      }
      batch = [];
      batched = 0;
      inFlight++;
      post({ t: 'data', id, b }, [b.buffer as ArrayBuffer]);
      while (inFlight >= IN_FLIGHT && !settled) await new Promise<void>((r) => (wake = r));
    };
    if (signal?.aborted) throw canceled();
    for await (const chunk of input ?? []) {
      if (settled) break; // the worker has given up (a bad tar, too many bytes): its error is the answer
      const c = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      batch.push(c);
      batched += c.length;
      if (batched >= BATCH) await flush();
    }
    if (!settled && input) {
      await flush();
      post({ t: 'end', id });
    }
  } catch (e) {
    inputError = e;
    if (!settled) post({ t: 'abort', id, reason: e instanceof Error ? e.message : String(e) });
  }
  try {
    const r = await result;
    if (inputError) throw inputError;
    return r;
  } catch (e) {
    // The input's own failure (a broken download, an abort) is the cause, not the worker's "canceled".
    throw inputError ?? e;
  } finally {
    release();
    signal?.removeEventListener('abort', onAbort);
    if (!workerFailed) giveBack(pw);
    else void pw.w.terminate();
  }
}
