// Reads a container's json-file log (see log-format.ts) as output chunks, with Docker's
// `logs` options. Lifecycle: the iterator owns its file handle and watcher; breaking out of
// the loop, an abort, `until` passing or `isDone()` answering true all release them. Aborts
// end the iteration quietly (the reader's client has gone; there is nobody to throw to).
import { open, stat, type FileHandle } from 'node:fs/promises';
import { errnoCode } from '../../lib/errors.js';
import { nowNs, parseApiTimestampNs } from '../../lib/time-parse.js';
import { parseLogLine, type LogStream } from './log-format.js';
import { LogEmitter, type LogChunk } from './log-emitter.js';
import { findTailStart } from './log-tail.js';
import { FileChangeWaiter } from './log-watch.js';

export type { LogChunk } from './log-emitter.js';

export interface ReadLogsOptions {
  stdout: boolean;
  stderr: boolean;
  /** Epoch ns, or a Docker API value ("1700000000.5", RFC 3339). Entries before it are skipped. */
  since?: bigint | string | undefined;
  /** Epoch ns or API value. Reading (and following) ends at the first entry after it. */
  until?: bigint | string | undefined;
  /** Last N output lines (combined streams); 'all', undefined or negative for everything. */
  tail?: number | 'all' | undefined;
  timestamps?: boolean | undefined;
  follow?: boolean | undefined;
  signal?: AbortSignal | undefined;
  /** For follow: true once the container has stopped; the reader then drains and ends. */
  isDone?: (() => Promise<boolean> | boolean) | undefined;
  /** For follow: aborts when the container's process exits, so the reader drains and ends at once, not at its next poll. */
  exited?: AbortSignal | undefined;
  /** Poll interval for follow when no file event arrives. */
  pollMs?: number | undefined;
}

const READ_BLOCK = 2 * 1024 * 1024;

function toNs(v: bigint | string | undefined): bigint | undefined {
  return typeof v === 'string' ? parseApiTimestampNs(v) : v;
}

async function openIfExists(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, 'r');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    throw e;
  }
}

export async function* readLogs(path: string, opts: ReadLogsOptions): AsyncGenerator<{ stream: LogStream; data: Buffer }> {
  const untilNs = toNs(opts.until);
  const emitter = new LogEmitter({
    stdout: opts.stdout,
    stderr: opts.stderr,
    timestamps: opts.timestamps ?? false,
    sinceNs: toNs(opts.since),
    untilNs,
  });
  const hasUntil = untilNs !== undefined && untilNs > 0n;
  const tail = typeof opts.tail === 'number' && opts.tail >= 0 ? opts.tail : undefined;
  const signal = opts.signal;
  const pollMs = opts.pollMs ?? 150;
  const waiter = opts.follow ? new FileChangeWaiter(path, pollMs) : undefined;

  let fh: FileHandle | undefined;
  let ino = 0;
  let offset = 0;
  let skipChars = 0;
  let carry: Buffer[] = [];
  const buf = Buffer.allocUnsafe(READ_BLOCK);

  const handleLine = (text: string) => {
    const e = parseLogLine(text);
    if (e) emitter.entry(e, skipChars);
    skipChars = 0; // only the first line after a tail cut is cut
  };

  // Reads from `offset` to the current end; complete lines are emitted, a trailing partial
  // line stays in `carry`.
  async function* readAvailable(): AsyncGenerator<LogChunk> {
    if (!fh) return;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, READ_BLOCK, offset);
      if (bytesRead === 0) return;
      offset += bytesRead;
      const view = buf.subarray(0, bytesRead);
      let s = 0;
      let nl = view.indexOf(10);
      if (carry.length > 0) {
        if (nl < 0) {
          carry.push(Buffer.from(view));
          continue;
        }
        carry.push(view.subarray(0, nl));
        handleLine(Buffer.concat(carry).toString('utf8'));
        carry = [];
        s = nl + 1;
        nl = view.indexOf(10, s);
      }
      while (nl >= 0 && !emitter.ended) {
        handleLine(view.toString('utf8', s, nl));
        s = nl + 1;
        nl = view.indexOf(10, s);
      }
      if (s < view.length && !emitter.ended) carry = [Buffer.from(view.subarray(s))]; // copy: buf is reused
      yield* emitter.take();
      if (emitter.ended || signal?.aborted) return;
    }
  }

  // A last line without its newline: a writer killed mid-line leaves garbage, which is skipped.
  function* finishPartial(): Generator<LogChunk> {
    if (carry.length > 0) handleLine(Buffer.concat(carry).toString('utf8'));
    carry = [];
    yield* emitter.take();
  }

  async function openAt(fromStart: boolean): Promise<boolean> {
    fh = await openIfExists(path);
    if (!fh) return false;
    const st = await fh.stat();
    ino = st.ino;
    offset = 0;
    if (!fromStart && tail !== undefined) {
      const t = await findTailStart(fh, st.size, tail);
      offset = t.offset;
      skipChars = t.skipChars;
    }
    waiter?.ensureWatching();
    return true;
  }

  // After EOF in follow mode: a truncated or replaced (rotated) file restarts from its start.
  async function checkReplaced(): Promise<void> {
    if (!fh) {
      if (await openAt(true)) emitter.resetLineState();
      return;
    }
    let st;
    try {
      st = await stat(path);
    } catch {
      return; // removed: keep reading what we have until told to stop
    }
    if (st.ino !== ino) {
      await fh.close();
      fh = undefined;
      carry = [];
      if (await openAt(true)) emitter.resetLineState();
    } else if (st.size < offset) {
      offset = 0;
      carry = [];
      emitter.resetLineState();
    }
  }

  try {
    await openAt(false);
    let lastDoneCheck = -Infinity;
    for (;;) {
      if (signal?.aborted) return;
      yield* readAvailable();
      if (emitter.ended || signal?.aborted) return;
      if (!waiter) {
        yield* finishPartial();
        return;
      }
      let done = opts.exited?.aborted ?? false;
      if (!done && opts.isDone && performance.now() - lastDoneCheck >= pollMs) {
        lastDoneCheck = performance.now();
        done = await opts.isDone();
      }
      const untilPassed = hasUntil && nowNs() > untilNs!;
      if (done || untilPassed) {
        await checkReplaced();
        yield* readAvailable(); // drain what the process wrote before it stopped
        if (!emitter.ended) yield* finishPartial();
        return;
      }
      const maxMs = hasUntil ? Number((untilNs! - nowNs()) / 1_000_000n) + 1 : undefined;
      await waiter.wait(opts.exited && signal ? AbortSignal.any([signal, opts.exited]) : (opts.exited ?? signal), maxMs);
      await checkReplaced();
    }
  } finally {
    waiter?.close();
    await fh?.close();
  }
}
