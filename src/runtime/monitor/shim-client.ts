// Client side of berth-shim's control socket (DIR/shim.sock): connect, send one command line,
// read one reply line. See shim/berth-shim.c for the protocol.
import net from 'node:net';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '../../lib/errors.js';

/** The shim closed the connection before replying (it exited or was killed). */
export class ShimClosedError extends Error {
  constructor() {
    super('shim closed the connection');
    this.name = 'ShimClosedError';
  }
}

// sun_path holds 108 bytes; deep state dirs (exec dirs under a container dir) exceed it, so a
// long path is reached through an open directory fd: /proc/self/fd/N/shim.sock is short.
const MAX_SUN_PATH = 100;

export async function connectShim(stateDir: string): Promise<net.Socket> {
  return (await connectShims(stateDir, 1))[0]!;
}

/**
 * Opens `n` connections at once (an exec attaches, waits and starts on three): through one
 * directory fd when the path is long, so a deep exec dir costs one open and close, not one each.
 * All or none: if one fails, the others are closed.
 */
export async function connectShims(stateDir: string, n: number): Promise<net.Socket[]> {
  const full = join(stateDir, 'shim.sock');
  // Opened and closed synchronously: two thread-pool round trips less on every exec's path.
  const dir = Buffer.byteLength(full) > MAX_SUN_PATH ? openSync(stateDir, 'r') : undefined;
  const path = dir !== undefined ? `/proc/self/fd/${dir}/shim.sock` : full;
  try {
    const tries = await Promise.allSettled(Array.from({ length: n }, () => connectPath(path)));
    const failed = tries.find((t) => t.status === 'rejected');
    if (!failed) return tries.map((t) => (t as PromiseFulfilledResult<net.Socket>).value);
    for (const t of tries) if (t.status === 'fulfilled') t.value.destroy();
    throw failed.reason;
  } finally {
    if (dir !== undefined) closeSync(dir);
  }
}

function connectPath(path: string): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    // allowHalfOpen: ending our input (stdin) must not end the output we still read.
    const s = net.createConnection({ path, allowHalfOpen: true });
    s.once('error', reject);
    s.once('connect', () => {
      s.off('error', reject);
      // A fast process can make the shim exit while we are still in its accept queue: the
      // reset may come before any caller listens. Never let it go unhandled; readers see the
      // socket destroyed instead (readLine checks).
      s.on('error', () => {});
      resolve(s);
    });
  });
}

/** Reads one '\n'-terminated line; bytes after it are pushed back for the next reader. */
export function readLine(s: net.Socket, signal?: AbortSignal, max = 8192): Promise<string> {
  return new Promise((resolve, reject) => {
    let acc = Buffer.alloc(0);
    const cleanup = () => {
      s.off('readable', onReadable);
      s.off('end', onEnd);
      s.off('close', onEnd);
      s.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    const onReadable = () => {
      let chunk: Buffer | null;
      while ((chunk = s.read() as Buffer | null) !== null) {
        acc = Buffer.concat([acc, chunk]);
        const i = acc.indexOf(10);
        if (i >= 0) {
          cleanup();
          if (i + 1 < acc.length) s.unshift(acc.subarray(i + 1));
          resolve(acc.subarray(0, i).toString('utf8'));
          return;
        }
        if (acc.length > max) {
          cleanup();
          reject(new BerthError('internal', 'berth-shim sent an overlong line'));
          return;
        }
      }
    };
    const onEnd = () => {
      cleanup();
      reject(new ShimClosedError());
    };
    const onError = (e: Error) => {
      cleanup();
      // A reset while waiting means the shim went away; callers treat it like a close.
      reject((e as NodeJS.ErrnoException).code === 'ECONNRESET' || (e as NodeJS.ErrnoException).code === 'EPIPE' ? new ShimClosedError() : e);
    };
    const onAbort = () => {
      cleanup();
      reject(new BerthError('canceled', 'operation canceled'));
    };
    if (signal?.aborted) return onAbort();
    if (s.destroyed) return reject(new ShimClosedError());
    s.on('readable', onReadable);
    s.on('end', onEnd);
    s.on('close', onEnd);
    s.on('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
    onReadable();
  });
}

/** Sends one command and returns the text after "ok" ("" if none); "error X" throws. */
export async function shimRequest(stateDir: string, command: string): Promise<string> {
  const s = await connectShim(stateDir);
  try {
    s.write(`${command}\n`);
    return parseReply(await readLine(s));
  } finally {
    s.destroy();
  }
}

export function parseReply(line: string): string {
  if (line === 'ok') return '';
  if (line.startsWith('ok ')) return line.slice(3);
  if (line.startsWith('error ')) throw new BerthError('internal', line.slice(6));
  throw new BerthError('internal', `unexpected reply from berth-shim: ${line}`);
}
