// Reads a container's json-file log (see log-format.ts) as output chunks, with Docker's
// `logs` options, across the files of a rotated log (path.N ... path.1, then path: dockerd's
// order), `--tail` counting back into older files and `--follow` carrying on through a rotation. Lifecycle: the iterator owns its file handle and watcher; breaking out of
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
/**
 * The first reads use a small block: most reads are of a few lines (`logs --tail 5`, the output
 * of a short run), and a 2 MiB buffer per request is an allocation V8 counts as external memory,
 * bringing on full collections under many such requests. A read that fills it moves to READ_BLOCK.
 */
const FIRST_BLOCK = 64 * 1024;

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

/** The rotated files of the log at `path` (`path.1`, `path.2`, ... as berth-shim and dockerd name them), opened, oldest first. */
async function openRotated(path: string): Promise<FileHandle[]> {
  const fhs: FileHandle[] = [];
  for (let n = 1; ; n++) {
    const fh = await openIfExists(`${path}.${n}`);
    if (!fh) break;
    fhs.push(fh);
  }
  return fhs.reverse();
}

/** Where reading starts in one of the older files: the whole file, or the tail's cut. */
interface OlderStart {
  fh: FileHandle;
  offset: number;
  skipChars: number;
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
  let buf = Buffer.allocUnsafe(FIRST_BLOCK);

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
      const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
      if (bytesRead === 0) return;
      offset += bytesRead;
      const view = buf.subarray(0, bytesRead);
      // The next read goes into a fresh, larger buffer: this one's lines are handled below first.
      if (bytesRead === buf.length && buf.length < READ_BLOCK) buf = Buffer.allocUnsafe(READ_BLOCK);
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

  async function openAt(): Promise<boolean> {
    fh = await openIfExists(path);
    if (!fh) return false;
    ino = (await fh.stat()).ino;
    offset = 0;
    waiter?.ensureWatching();
    return true;
  }

  // The first read: the tail's cut in the current file, or (the current file holding fewer
  // lines) in an older one; everything after it in older files is read before the current one.
  async function planStart(older: FileHandle[]): Promise<OlderStart[]> {
    const all = older.map((o) => ({ fh: o, offset: 0, skipChars: 0 }));
    if (tail === undefined) return all;
    let pass: number | undefined;
    if (fh) {
      const t = await findTailStart(fh, (await fh.stat()).size, tail);
      offset = t.offset;
      skipChars = t.skipChars;
      if (!t.short) return [];
      pass = t.short.pass;
    }
    for (let i = older.length - 1; i >= 0; i--) {
      const o = older[i]!;
      const t = await findTailStart(o, (await o.stat()).size, tail, pass);
      if (!t.short) return [{ fh: o, offset: t.offset, skipChars: t.skipChars }, ...all.slice(i + 1)];
      pass = t.short.pass;
    }
    return all;
  }

  // Reads whole older files (or from a tail's cut) through the same line machinery, then
  // returns to the current file where it was.
  async function* readOlder(files: OlderStart[]): AsyncGenerator<LogChunk> {
    const cur = { fh, offset, skipChars };
    for (const f of files) {
      if (emitter.ended || signal?.aborted) break;
      fh = f.fh;
      offset = f.offset;
      skipChars = f.skipChars;
      yield* readAvailable();
      yield* finishPartial(); // rotation happens between lines: a partial tail here is garbage
    }
    fh = cur.fh;
    offset = cur.offset;
    skipChars = cur.skipChars;
  }

  // After EOF in follow mode. Truncated (max-file 1): restart from its start. Rotated (the
  // path names a new file): read the old file to its end, then any file that was rotated in
  // between (path.k-1 ... path.1, when ours is now path.k), then the new file from its start.
  async function* checkReplaced(): AsyncGenerator<LogChunk> {
    if (!fh) {
      if (await openAt()) emitter.resetLineState();
      return;
    }
    let st;
    try {
      st = await stat(path);
    } catch {
      return; // removed: keep reading what we have until told to stop
    }
    if (st.ino !== ino) {
      yield* readAvailable();
      yield* finishPartial();
      const between = await rotatedSince(ino);
      await fh.close();
      fh = undefined;
      yield* readOlder(between.map((o) => ({ fh: o, offset: 0, skipChars: 0 })));
      await Promise.all(between.map((o) => o.close()));
      if (await openAt()) waiter?.rewatch();
    } else if (st.size < offset) {
      offset = 0;
      carry = [];
      emitter.resetLineState();
    }
  }

  // The rotated files newer than the one with inode `oldIno`, oldest first (none if it is gone).
  async function rotatedSince(oldIno: number): Promise<FileHandle[]> {
    const newer: string[] = [];
    for (let n = 1; ; n++) {
      const p = `${path}.${n}`;
      const s = await stat(p).catch(() => undefined);
      if (!s) return [];
      if (s.ino === oldIno) break;
      newer.push(p);
    }
    const fhs: FileHandle[] = [];
    for (const p of newer.reverse()) {
      const o = await openIfExists(p);
      if (o) fhs.push(o);
    }
    return fhs;
  }

  let older: FileHandle[] = [];
  try {
    older = await openRotated(path);
    await openAt();
    yield* readOlder(await planStart(older));
    await Promise.all(older.map((o) => o.close()));
    older = [];
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
        yield* checkReplaced();
        yield* readAvailable(); // drain what the process wrote before it stopped
        if (!emitter.ended) yield* finishPartial();
        return;
      }
      const maxMs = hasUntil ? Number((untilNs! - nowNs()) / 1_000_000n) + 1 : undefined;
      await waiter.wait(opts.exited && signal ? AbortSignal.any([signal, opts.exited]) : (opts.exited ?? signal), maxMs);
      yield* checkReplaced();
    }
  } finally {
    waiter?.close();
    await fh?.close();
    await Promise.all(older.map((o) => o.close()));
  }
}
