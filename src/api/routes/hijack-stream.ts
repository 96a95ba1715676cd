// Joining a hijacked client connection to a monitor stream (attach, exec start): the output
// out (re-encoded on the way when the client's framing differs from the monitor's), the input in
// with half-close kept, and dockerd's detach sequence on TTY sessions: the client is let go,
// the process keeps running.
import type { Duplex, Readable, Transform } from 'node:stream';
import { invalidArgument } from '../../lib/errors.js';
import { DEFAULT_DETACH_KEYS, detachKeyBytes, escapeProxy } from '../../lib/detach-keys.js';

export interface SpliceOptions {
  /** Whether the client's input goes to the process. */
  stdin: boolean;
  /** For TTY sessions with stdin: the key sequence that detaches the client (dockerd's escape proxy). */
  detachKeys?: number[];
  onDetach?: () => void;
  /** Re-encodes the output on its way to the client (see lib/stdcopy: LineFramer, FrameWrapper, FrameUnwrapper). */
  output?: Transform;
  /** The client's output ends after this settles (exec: once the exit code is recorded, because the docker CLI inspects the exec as soon as its stream ends). */
  beforeEnd?: Promise<unknown>;
}

/** Resolves once the monitor stream is closed. */
export function splice(client: Duplex, monitor: Duplex, o: SpliceOptions): Promise<void> {
  return new Promise((resolve) => {
    const out: Readable = o.output ? monitor.pipe(o.output) : monitor;
    out.pipe(client, { end: false });
    // A socket whose peer ended with nothing left to read has already emitted 'end' and 'close'
    // by itself (node:net reads its EOF at once), listeners or not: an exec that ends, silent,
    // between its launch and this call (`true` does) would otherwise keep the client for ever.
    const ended = () => void Promise.resolve(o.beforeEnd).finally(() => client.end());
    if (out.readableEnded) ended();
    else out.once('end', ended);
    if (!o.stdin) client.resume();
    else if (o.detachKeys?.length) {
      const detach = () => {
        out.unpipe(client);
        o.onDetach?.();
        // As dockerd: the connection is closed, the process goes on.
        client.end(() => client.destroy());
        monitor.destroy();
      };
      const feed = escapeProxy(
        o.detachKeys,
        (b) => {
          if (!monitor.write(b)) {
            client.pause();
            monitor.once('drain', () => client.resume());
          }
        },
        detach,
      );
      client.on('data', feed);
      client.once('end', () => monitor.end());
    } else client.pipe(monitor, { end: true });
    if (monitor.closed) resolve();
    else monitor.on('close', () => resolve());
    monitor.on('error', () => client.destroy());
    o.output?.on('error', () => client.destroy());
    client.on('error', () => monitor.destroy());
    client.on('close', () => monitor.destroy());
  });
}

/** A session's detach keys: docker's grammar, ctrl-p,ctrl-q when none are given; `what` names them in the 400 as dockerd does. */
export function detachKeysFrom(keys: string | undefined, what: 'detach' | 'escape'): number[] {
  try {
    return detachKeyBytes(keys || DEFAULT_DETACH_KEYS);
  } catch {
    throw invalidArgument(`Invalid ${what} keys (${keys}) provided`);
  }
}
