// Layer and image archives arrive plain or compressed (told apart by lib/compression's magic
// numbers); this undoes gzip and refuses what Node has no decoder for.
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { notImplemented } from './errors.js';
import { detectCompression, peekHead, type Compression } from './compression.js';

/**
 * Returns the decompressed bytes of `input` (gzip is undone; plain passes through). zstd, xz
 * and bzip2 fail with not-implemented: Node 20 ships no decoder for them.
 */
export async function decompressed(input: Readable | AsyncIterable<Buffer>): Promise<{ stream: Readable; compression: Compression }> {
  const { head, stream: plain } = await peekHead(input);
  const compression = detectCompression(head);
  if (compression !== 'none' && compression !== 'gzip') {
    plain.destroy();
    throw notImplemented(`${compression}-compressed layers are not supported`);
  }
  if (compression === 'none') return { stream: plain, compression };
  const gunzip = createGunzip();
  plain.on('error', (e) => gunzip.destroy(e));
  gunzip.on('close', () => plain.destroy());
  return { stream: plain.pipe(gunzip), compression };
}

const TAR_BLOCK = 512;

/**
 * Completes an archive that stops right after its last file's data. Go's tar reader (dockerd's)
 * takes such an archive as whole, and the docker CLI sends one: `docker build -f` with a
 * Dockerfile outside the context appends it to the context tar without the padding to the
 * 512-byte block or the end-of-archive blocks (the Dev Containers CLI always builds that way).
 * tar-stream wants the padding, so this adds zeros up to the block boundary. `received` is how
 * many bytes really came: a caller checks that no entry's data ends past it (a cut-short upload
 * must still fail, not end in zeros).
 */
export class TarBlockPadding extends Transform {
  received = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.received += chunk.length;
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    const short = (TAR_BLOCK - (this.received % TAR_BLOCK)) % TAR_BLOCK;
    cb(null, short ? Buffer.alloc(short) : undefined);
  }
}
