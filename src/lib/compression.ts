// Which compression a stream is in, from its magic number: the only reliable signal (media
// types lie, `docker load` and build contexts send no type at all). One table for the daemon
// (layers, archives, contexts) and the clients (`berth build -` on stdin).
import { Readable } from 'node:stream';

export type Compression = 'none' | 'gzip' | 'bzip2' | 'xz' | 'zstd';

const MAGIC: readonly [Exclude<Compression, 'none'>, Buffer][] = [
  ['gzip', Buffer.from([0x1f, 0x8b])],
  ['bzip2', Buffer.from('BZh', 'latin1')],
  ['xz', Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])],
  ['zstd', Buffer.from([0x28, 0xb5, 0x2f, 0xfd])],
];

/** How many leading bytes detectCompression needs to be sure. */
export const MAGIC_LENGTH = Math.max(...MAGIC.map(([, m]) => m.length));

/** Detects the compression of a stream from its first bytes (at least MAGIC_LENGTH to be sure). */
export function detectCompression(head: Uint8Array): Compression {
  for (const [name, magic] of MAGIC) if (head.length >= magic.length && magic.equals(head.subarray(0, magic.length))) return name;
  return 'none';
}

/**
 * Reads at least `n` bytes (fewer if the input ends) and returns them with a stream of all the
 * input's bytes, the head included. Ending the returned stream early closes the input.
 */
export async function peekHead(input: Readable | AsyncIterable<Buffer | string>, n = MAGIC_LENGTH): Promise<{ head: Buffer; stream: Readable }> {
  // An HTTP request body (it has a socket) is not ours to destroy: that would cut the
  // connection, and the client would see ECONNRESET instead of the error we answer with (a
  // build context on a full disk). It is left to drain instead; any other stream is destroyed.
  const body = input instanceof Readable && 'socket' in input ? input : undefined;
  const it = body ? body.iterator({ destroyOnReturn: false }) : (input as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const heads: Buffer[] = [];
  let headLen = 0;
  let done = false;
  while (headLen < n) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    const b = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    heads.push(b);
    headLen += b.length;
  }
  const head = Buffer.concat(heads);
  let finished = done;
  async function* all(): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    if (finished) return;
    for (;;) {
      const r = await it.next();
      if (r.done) {
        finished = true;
        return;
      }
      yield typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    }
  }
  const stream = Readable.from(all(), { objectMode: false });
  // Destroyed by a consumer that stopped iterating: not the process's error (readers see errors through iteration).
  stream.on('error', () => {});
  // Destroyed before the input ended (even before the first read, when a generator's own
  // cleanup would never run): the input is closed too.
  // A stream input is destroyed outright: returning its iterator while a next() is pending
  // left that next() to reject with an AbortError nobody awaited (a commit whose blob write
  // hit ENOSPC took berthd down that way).
  stream.once('close', () => {
    if (finished) return;
    if (body)
      void Promise.resolve(it.return?.()).then(
        () => body.resume(),
        () => body.resume(),
      );
    else if (input instanceof Readable) input.destroy();
    else void Promise.resolve(it.return?.()).catch(() => {});
  });
  return { head, stream };
}
