// The CLI process's own standard streams. Text goes out with fs.writeSync until a command asks
// for a stream: `process.stdout` on a pipe builds a net.Socket and its stream machinery, whose
// functions Node compiles on every run (~4 ms of CPU, 1.13x `node -e 0` alone, measured with
// `process.stdout.write('x')` against `fs.writeSync(1, 'x')`), while a command that prints a
// table or a JSON document needs none of it. Streams (logs, attach, save, cp) still get the
// real `process.stdout`; once it exists every write goes through it. Order is kept either way:
// Node writes stdio to files, pipes and terminals synchronously on Linux.
import { writeSync } from 'node:fs';
import type { CliIo } from './context.js';

let streams = false;

/**
 * Writes `s` whole to fd 1 or 2. A write the fd refuses (EAGAIN: a non-blocking pipe that is
 * full; EPIPE: the reader went away) hands the rest to the stream, so such cases end exactly as
 * they did with the stream alone (it waits on a full pipe, and reports a closed one its way).
 */
function write(fd: 1 | 2, s: string | Uint8Array): void {
  const stream = () => (fd === 1 ? process.stdout : process.stderr);
  if (streams) {
    stream().write(s);
    return;
  }
  const b = typeof s === 'string' ? Buffer.from(s) : s;
  let off = 0;
  try {
    while (off < b.length) off += writeSync(fd, b, off);
  } catch {
    streams = true;
    stream().write(b.subarray(off));
  }
}

/** Writes text or bytes to the process's stdout without building the stream. */
export const writeOut = (s: string | Uint8Array): void => write(1, s);
/** Writes text or bytes to the process's stderr without building the stream. */
export const writeErr = (s: string | Uint8Array): void => write(2, s);

/** The process's stdio for a command: the streams are made only when a command reads them. */
export function processIo(): CliIo {
  return {
    get stdout() {
      streams = true;
      return process.stdout;
    },
    get stderr() {
      streams = true;
      return process.stderr;
    },
    get stdin() {
      return process.stdin;
    },
    out: writeOut,
    err: writeErr,
  };
}
