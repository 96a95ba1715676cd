// Layer and image archives arrive plain or compressed; the only reliable signal is the magic
// number at the start of the stream (media types lie, `docker load` sends no type at all).
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { notImplemented } from './errors.js';

export type Compression = 'none' | 'gzip' | 'zstd' | 'xz' | 'bzip2';

/** Detects the compression of a stream from its first bytes (at least 6 are needed to be sure). */
export function detectCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.length >= 3 && head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  return 'none';
}

/**
 * Returns the decompressed bytes of `input` (gzip is undone; plain passes through). zstd, xz
 * and bzip2 fail with not-implemented: Node 20 ships no decoder for them.
 */
export async function decompressed(input: Readable | AsyncIterable<Buffer>): Promise<{ stream: Readable; compression: Compression }> {
  const it = (input as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const heads: Buffer[] = [];
  let headLen = 0;
  let done = false;
  while (headLen < 6) {
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
  const compression = detectCompression(head);
  if (compression !== 'none' && compression !== 'gzip') {
    await it.return?.();
    throw notImplemented(`${compression}-compressed layers are not supported`);
  }
  async function* rest(): AsyncGenerator<Buffer> {
    try {
      if (head.length) yield head;
      if (done) return;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
      }
    } finally {
      if (!done) await it.return?.();
    }
  }
  const plain = Readable.from(rest(), { objectMode: false });
  if (compression === 'none') return { stream: plain, compression };
  const gunzip = createGunzip();
  plain.on('error', (e) => gunzip.destroy(e));
  gunzip.on('close', () => plain.destroy());
  return { stream: plain.pipe(gunzip), compression };
}
