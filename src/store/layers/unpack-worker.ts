// The worker side of off-thread layer unpacking (see unpack-off-thread.ts): runs unpackLayer
// (gunzip, sha256 of the tar, untar) or a blob's hashed write on this thread, one job at a time,
// with the bytes the main thread posts. A worker serves one job after another and is kept by the pool between them.
// Flow control: every posted batch is acknowledged once the job's input stream took it (at once,
// or when the unpacker asks for more), so the main thread never has more than a few MiB queued.
import { Readable } from 'node:stream';
import { parentPort } from 'node:worker_threads';
import { canceled, isBerthError } from '../../lib/errors.js';
import { unpackLayer } from './unpack-layer.js';
import { writeHashed } from '../content/hashed-write.js';
import type { ToWorker, FromWorker, JobResult, JobSpec, WireError } from './unpack-protocol.js';

function wireError(e: unknown): WireError {
  if (isBerthError(e)) return { berth: true, kind: e.kind, code: e.code, message: e.message, detail: e.detail };
  const err = e instanceof Error ? e : new Error(String(e));
  return { berth: false, name: err.name, message: err.message, code: (err as NodeJS.ErrnoException).code };
}

function run(spec: JobSpec, input: Readable): Promise<JobResult> {
  if (spec.kind === 'blob') return writeHashed(input, spec.path, spec.maxSize);
  return unpackLayer(input, spec.dir, undefined, spec.idMap).then((r) => ({ digest: r.diffId, size: r.size }));
}

interface Job {
  id: number;
  input: Readable;
  /** Batches the input could not take yet: their acks wait for the next read. */
  owed: number;
}

const port = parentPort!;
let job: Job | undefined;
const send = (m: FromWorker) => port.postMessage(m);

port.on('message', (m: ToWorker) => {
  if (m.t === 'start') {
    const j: Job = {
      id: m.id,
      owed: 0,
      input: new Readable({
        highWaterMark: 4 << 20,
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
      (result) => send({ t: 'done', id: j.id, result }),
      (e: unknown) => send({ t: 'error', id: j.id, error: wireError(e) }),
    );
    return;
  }
  if (!job || job.id !== m.id) return; // a message for a job that has already ended
  if (m.t === 'data') {
    if (job.input.push(Buffer.from(m.b.buffer, m.b.byteOffset, m.b.byteLength))) send({ t: 'ack', id: job.id });
    else job.owed++;
  } else if (m.t === 'end') {
    job.input.push(null);
  } else if (m.t === 'abort') {
    job.input.destroy(canceled(m.reason ?? 'layer unpack canceled'));
  }
});
