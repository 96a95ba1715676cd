// The worker side of off-thread layer unpacking (see unpack-off-thread.ts): runs unpackLayer
// (gunzip, sha256 of the tar, untar) or a blob's hashed write on this thread, one job at a time,
// with the bytes the main thread posts. A worker serves one job after another and is kept by the pool between them.
// Flow control: every posted batch is acknowledged once the job's input stream took it (at once,
// or when the unpacker asks for more), so the main thread never has more than a few MiB queued.
// An unpack job that also checks its compressed blob (a pull) hashes each batch as it arrives;
// if the unpack fails first, the rest of the blob is still read and hashed, so a damaged blob is
// reported as such (blob-check.ts) rather than as the broken gzip or tar it also makes.
// A pull's unpack job may name its blob's URL instead (BlobSource): the worker GETs it itself,
// so the bytes go from the socket to the hashes, gunzip and untar on this one thread (no copy
// to another thread, no batches for the main thread's collector), pausing the response while
// the unpack is behind; any answer but the whole blob is declined untouched for the caller.
import { Readable } from 'node:stream';
import { parentPort } from 'node:worker_threads';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { canceled, isBerthError, isNoSpace } from '../../lib/errors.js';
import { unpackLayer } from './unpack-layer.js';
import { writeHashed } from '../content/hashed-write.js';
import { BlobCheck } from './blob-check.js';
import type { BlobSource, ToWorker, FromWorker, JobResult, JobSpec, WireError } from './unpack-protocol.js';

function wireError(e: unknown): WireError {
  if (isBerthError(e)) return { berth: true, kind: e.kind, code: e.code, message: e.message, detail: e.detail };
  const err = e instanceof Error ? e : new Error(String(e));
  return { berth: false, name: err.name, message: err.message, code: (err as NodeJS.ErrnoException).code };
}

function run(spec: JobSpec, input: Readable): Promise<JobResult> {
  if (spec.kind === 'blob') return writeHashed(input, spec.path, spec.maxSize);
  // A pulled layer (its blob checked here) is never flushed by the store: no early writeback for it.
  return unpackLayer(input, spec.dir, undefined, spec.idMap, spec.layoutDir, !spec.blob).then((r) => ({
    digest: r.diffId,
    size: r.size,
    ...(r.layout !== undefined ? { layout: r.layout } : {}),
  }));
}

interface Job {
  id: number;
  input: Readable;
  /** Batches the input could not take yet: their acks wait for the next read. */
  owed: number;
  check?: BlobCheck;
  /** The unpack failed while the blob was still arriving: the rest is only hashed, then the verdict. */
  failed?: unknown;
  /** The last byte arrived (or the job was aborted). */
  ended: boolean;
  /** The answer was sent. */
  answered: boolean;
  /** The input wants more (or must be read to its end unused): acks owed batches, or lets the response flow. */
  more: () => void;
  /** The download itself broke (a source job): that is the answer, whatever the unpack saw. */
  cause?: unknown;
  /** A source job's request, ended on an abort. */
  request?: ClientRequest;
  /** The unpack has started (a source job starts it only once its response is accepted). */
  running?: boolean;
}

const port = parentPort!;
/** A source job's progress messages, at most one per this many ms (and one at the end). */
const PROGRESS_MS = 100;
/** What a source job hands to the unpack at once. */
const PIECE = 1 << 20;
let job: Job | undefined;
const send = (m: FromWorker) => port.postMessage(m);

function answer(j: Job, m: FromWorker): void {
  if (j.answered) return;
  j.answered = true;
  // A source job's download ends with its answer (an unpack that failed early, a full disk):
  // nothing may hold a half-read connection while this worker waits for its next job.
  j.request?.destroy();
  send(m);
}

/** The unpack's failure, unless the blob itself is wrong (which is reported first). */
function fail(j: Job, e: unknown): void {
  if (j.answered) return; // the verdict is taken once (a hash is digested once)
  answer(j, { t: 'error', id: j.id, error: wireError(j.cause ?? ((j.ended && j.check?.verdict()) || e)) });
}

function newJob(id: number, spec: JobSpec): Job {
  const j: Job = {
    id,
    owed: 0,
    ended: false,
    answered: false,
    ...(spec.kind === 'unpack' && spec.blob ? { check: new BlobCheck(spec.blob) } : {}),
    more: () => {
      for (; j.owed > 0; j.owed--) send({ t: 'ack', id: j.id });
    },
    // Object mode: each posted batch is handed on as it came. A byte-mode stream read through an
    // async iterator concatenates everything buffered into a new Buffer on each read (a copy of
    // the whole blob: 0.1-0.4 s of a 100 MiB job in a profile).
    input: new Readable({
      objectMode: true,
      highWaterMark: 4,
      read: () => j.more(),
    }),
  };
  // An abort can come before the job's reader has started (it opens its file first): the error
  // then waits in the stream for that reader instead of being an uncaught 'error' event.
  j.input.on('error', () => {});
  return j;
}

/** Starts the job's work on its input. */
function runJob(j: Job, spec: JobSpec): void {
  j.running = true;
  run(spec, j.input).then(
    (result) => {
      if (j.answered) return;
      const bad = j.check?.verdict();
      if (bad) fail(j, bad);
      else answer(j, { t: 'done', id: j.id, result });
    },
    (e: unknown) => {
      // A full disk or an abort needs no verdict on the blob; a bad gzip or tar waits for the rest of it.
      if (j.check && !j.ended && !isNoSpace(e) && !isBerthError(e, 'canceled')) {
        j.failed = e;
        j.more();
      } else fail(j, e);
    },
  );
}

/** The next bytes of the input: checked, then handed to the unpack. False: the input is full (or stopped), wait for more(). */
function take(j: Job, b: Buffer): boolean {
  if (j.check) {
    try {
      j.check.update(b);
    } catch {
      // Too many bytes: the unpack is stopped, and answered (with the blob's verdict) only once
      // it has ended, so nothing still writes into the directory the caller then removes.
      j.ended = true;
      if (j.failed !== undefined)
        fail(j, j.failed); // the unpack had already ended: answer now
      else j.input.destroy(canceled('layer unpack canceled'));
      return false;
    }
  }
  if (j.failed !== undefined) return true;
  return j.input.push(b);
}

/** The last byte came. */
function end(j: Job): void {
  j.ended = true;
  if (j.failed !== undefined) fail(j, j.failed);
  else j.input.push(null);
}

/** The input stops early: `cause` (the caller's abort, a broken download) is the answer, not a verdict on a partial blob. */
function cut(j: Job, cause: Error, isCause: boolean): void {
  j.check = undefined;
  j.ended = true;
  if (isCause) j.cause = cause;
  j.request?.destroy();
  if (!j.running)
    fail(j, cause); // a source job cut before its response: nothing to wait for
  else if (j.failed !== undefined) fail(j, j.failed);
  else j.input.destroy(cause);
}

/**
 * A source job: GET the blob here. A 200 declaring exactly the blob's size is unpacked as it
 * arrives (paused while the unpack is behind); anything else, or no connection, is declined
 * before anything is unpacked, and the caller fetches the blob its own way.
 */
async function fetchAndRun(j: Job, spec: JobSpec & { kind: 'unpack' }, source: BlobSource): Promise<void> {
  const url = new URL(source.url);
  const { request } = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  const req = request(url, { headers: source.headers, agent: false, ...(url.protocol === 'https:' ? { rejectUnauthorized: !source.insecureTls } : {}) });
  j.request = req;
  let res: IncomingMessage | undefined;
  req.setTimeout(source.timeoutMs ?? 30_000, () => req.destroy(new Error('i/o timeout')));
  // No response (refused, reset, timed out): the caller's own request reports it, in its words.
  req.on('error', () => {
    if (!res) answer(j, { t: 'declined', id: j.id });
  });
  req.on('response', (r) => {
    res = r;
    if (j.ended) return void r.destroy(); // aborted meanwhile (the answer is on its way)
    if (r.statusCode !== 200 || r.headers['content-length'] !== String(spec.blob?.size)) {
      r.destroy();
      return void answer(j, { t: 'declined', id: j.id });
    }
    let n = 0;
    let reported = 0;
    let reportedAt = 0;
    // The socket's 64 KiB reads are joined into ~1 MiB pieces: each piece written into the
    // gunzip is a thread-pool round trip, so 64 KiB pieces cost 16 times as many.
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const hand = () => {
      const b = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      if (!take(j, b) && j.failed === undefined && !j.ended) r.pause();
    };
    j.more = () => r.resume();
    r.on('data', (b: Buffer) => {
      n += b.length;
      // Progress at most every PROGRESS_MS (a message wakes the main thread: ~100 a pull cost tens of ms).
      if (n - reported >= 1 << 20 && performance.now() - reportedAt >= PROGRESS_MS) {
        reportedAt = performance.now();
        send({ t: 'progress', id: j.id, n: (reported = n) });
      }
      if (j.ended) return; // stopped (too many bytes): nothing more is handed on
      pending.push(b);
      pendingBytes += b.length;
      if (pendingBytes >= PIECE) hand();
    });
    r.on('end', () => {
      if (n !== reported) send({ t: 'progress', id: j.id, n });
      if (pendingBytes && !j.ended) hand();
      if (!j.ended) end(j);
    });
    // A connection cut mid-body ("aborted"): the download's failure is the answer, as the caller's own read would have said.
    r.on('error', (e) => {
      if (!j.ended) cut(j, e, true);
    });
    runJob(j, spec);
  });
  req.end();
}

port.on('message', (m: ToWorker) => {
  if (m.t === 'start') {
    const j = newJob(m.id, m.job);
    job = j;
    if (m.job.kind === 'unpack' && m.job.source) {
      const spec = m.job;
      const source = m.job.source;
      fetchAndRun(j, spec, source).catch((e: unknown) => answer(j, { t: 'error', id: j.id, error: wireError(e) }));
    } else runJob(j, m.job);
    return;
  }
  const j = job;
  if (!j || j.id !== m.id) return; // a message for a job that has already ended
  if (m.t === 'data') {
    const b = Buffer.from(m.b.buffer, m.b.byteOffset, m.b.byteLength);
    if (take(j, b)) send({ t: 'ack', id: j.id });
    else if (!j.ended) j.owed++;
  } else if (m.t === 'end') {
    end(j);
  } else if (m.t === 'abort') {
    // The caller gave up: its reason is the answer, not a verdict on a partial blob.
    cut(j, canceled(m.reason ?? 'layer unpack canceled'), false);
  }
});
