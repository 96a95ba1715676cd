// Wires a hijacked attach/exec connection to the terminal: stdin → socket (half-closed with
// socket.end() when stdin ends), socket → stdout (raw with a TTY, demultiplexed without), raw
// mode and resize on SIGWINCH while attached, and the terminal restored on every path.
import { demuxStream } from '../api/client/stdcopy.js';
import type { HijackedStream } from '../api/client/transport.js';
import type { StdIo } from './std-io.js';
import { DEFAULT_DETACH_KEYS, detachKeyBytes, escapeProxy } from '../lib/detach-keys.js';

export interface SessionOptions {
  tty: boolean;
  /** Forward our stdin into the connection. */
  stdin: boolean;
  /** Called with (rows, cols) once at start and on every SIGWINCH while a TTY is attached. */
  resize?: (h: number, w: number) => Promise<void>;
  /** docker's --detach-keys (default ctrl-p,ctrl-q); watched on stdin only with a TTY, as docker does. */
  detachKeys?: string;
}

export interface Session {
  /** Resolves when the output side has ended (the container or exec finished or detached). */
  done: Promise<void>;
  /** Send the current size now (after start). */
  resizeNow(): void;
  /** Restore the terminal and stop reading stdin. */
  close(): void;
  /** True once the user typed the detach sequence (the container keeps running). */
  readonly detached: boolean;
}

export function startSession(io: StdIo, conn: HijackedStream, o: SessionOptions): Session {
  const { socket, head } = conn;
  const stdin = io.stdin;
  const rawTerminal = o.tty && o.stdin && !!stdin.isTTY && typeof stdin.setRawMode === 'function';
  if (rawTerminal) stdin.setRawMode!(true);
  let closed = false;
  let detached = false;

  const write = (d: Buffer) => {
    if (!socket.destroyed) socket.write(d);
  };
  const onData = o.tty
    ? escapeProxy(detachKeyBytes(o.detachKeys || DEFAULT_DETACH_KEYS), write, () => {
        detached = true;
        socket.destroy();
      })
    : write;
  const onEnd = () => {
    if (!socket.destroyed) socket.end();
  };
  if (o.stdin) {
    stdin.on('data', onData);
    stdin.once('end', onEnd);
    stdin.resume();
  }
  const sendSize = () => {
    const out = io.stdout;
    if (o.resize && out.isTTY && out.rows && out.columns) o.resize(out.rows, out.columns).catch(() => {});
  };
  const onWinch = () => sendSize();
  if (o.tty && o.resize) process.on('SIGWINCH', onWinch);

  const close = () => {
    if (closed) return;
    closed = true;
    if (o.stdin) {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.pause();
    }
    if (rawTerminal) stdin.setRawMode!(false);
    process.off('SIGWINCH', onWinch);
  };

  const done = (async () => {
    try {
      if (o.tty) {
        if (head.length) io.stdout.write(head);
        for await (const chunk of socket) io.stdout.write(chunk as Buffer);
      } else {
        await demuxStream(socket, io.stdout as NodeJS.WritableStream as import('node:stream').Writable, io.stderr as import('node:stream').Writable, head);
      }
    } catch (e) {
      // a reset, or our own close() after a failed start, is the end of output, not an error
      if (!closed && !detached && !['ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE'].includes((e as { code?: string }).code ?? '')) throw e;
    } finally {
      close();
    }
  })();
  return {
    done,
    resizeNow: sendSize,
    close,
    get detached() {
      return detached;
    },
  };
}
