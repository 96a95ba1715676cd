// The worker side of off-thread layer unpacking (see unpack-off-thread.ts): runs unpackLayer
// (gunzip, sha256 of the tar, untar) or a blob's hashed write on this thread, one job at a time,
// with the bytes the main thread posts. A worker serves one job after another and is kept by the pool between them.
// Flow control: every posted batch is acknowledged once the job's input stream took it (at once,
// or when the unpacker asks for more), so the main thread never has more than a few MiB queued.
// An unpack job that also checks its compressed blob (a pull) hashes each batch as it arrives;
// if the unpack fails first, the rest of the blob is still read and hashed, so a damaged blob is
// reported as such (blob-check.ts) rather than as the broken gzip or tar it also makes.
import { Readable } from 'node:stream';
import { parentPort } from 'node:worker_threads';
import { canceled, isBerthError, isNoSpace } from '../../lib/errors.js';
import { unpackLayer } from './unpack-layer.js';
import { writeHashed } from '../content/hashed-write.js';
import { BlobCheck } from './blob-check.js';
import type { ToWorker, FromWorker, JobResult, JobSpec, WireError } from './unpack-protocol.js';

function wireError(e: unknown): WireError {
  if (isBerthError(e)) return { berth: true, kind: e.kind, code: e.code, message: e.message, detail: e.detail };
  const err = e instanceof Error ? e : new Error(String(e));
  return { berth: false, name: err.name, message: err.message, code: (err as NodeJS.ErrnoException).code };
}

function run(spec: JobSpec, input: Readable): Promise<JobResult> {
  if (spec.kind === 'blob') return writeHashed(input, spec.path, spec.maxSize);
  return unpackLayer(input, spec.dir, undefined, spec.idMap, spec.layoutDir).then((r) => ({
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
}

const port = parentPort!;
let job: Job | undefined;
const send = (m: FromWorker) => port.postMessage(m);

function answer(j: Job, m: FromWorker): void {
  if (j.answered) return;
  j.answered = true;
  send(m);
}

/** The unpack's failure, unless the blob itself is wrong (which is reported first). */
function fail(j: Job, e: unknown): void {
  if (j.answered) return; // the verdict is taken once (a hash is digested once)
  answer(j, { t: 'error', id: j.id, error: wireError((j.ended && j.check?.verdict()) || e) });
}

port.on('message', (m: ToWorker) => {
  if (m.t === 'start') {
    const j: Job = {
      id: m.id,
      owed: 0,
      ended: false,
      answered: false,
      ...(m.job.kind === 'unpack' && m.job.blob ? { check: new BlobCheck(m.job.blob) } : {}),
      // Object mode: each posted batch is handed on as it came. A byte-mode stream read through an
      // async iterator concatenates everything buffered into a new Buffer on each read (a copy of
      // the whole blob: 0.1-0.4 s of a 100 MiB job in a profile).
      input: new Readable({
        objectMode: true,
        highWaterMark: 4,
        read() {
          for (; j.owed > 0; j.owed--) send({ t: 'ack', id: j.id });
        },
      }),
    };
    // An abort can come before the job's reader has started (it opens its file first): the error
    // then waits in the stream for that reader instead of being an uncaught 'error' event.
    j.input.on('error', () => {});
    job = j;
    run(m.job, j.input).then(
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
          for (; j.owed > 0; j.owed--) send({ t: 'ack', id: j.id });
        } else fail(j, e);
      },
    );
    return;
  }
  const j = job;
  if (!j || j.id !== m.id) return; // a message for a job that has already ended
  if (m.t === 'data') {
    const b = Buffer.from(m.b.buffer, m.b.byteOffset, m.b.byteLength);
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
        return;
      }
    }
    if (j.failed !== undefined) send({ t: 'ack', id: j.id });
    else if (j.input.push(b)) send({ t: 'ack', id: j.id });
    else j.owed++;
  } else if (m.t === 'end') {
    j.ended = true;
    if (j.failed !== undefined) fail(j, j.failed);
    else j.input.push(null);
  } else if (m.t === 'abort') {
    j.check = undefined; // the caller gave up: its reason is the answer, not a verdict on a partial blob
    j.ended = true;
    if (j.failed !== undefined) fail(j, j.failed);
    else j.input.destroy(canceled(m.reason ?? 'layer unpack canceled'));
  }
});
