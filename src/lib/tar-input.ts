// Layer and image archives arrive plain or compressed (told apart by lib/compression's magic
// numbers); this undoes gzip and refuses what Node has no decoder for.
import { Readable } from 'node:stream';
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
  // 256 KiB output chunks instead of zlib's 16 KiB: fewer round trips through every stage after.
  const gunzip = createGunzip({ chunkSize: 256 << 10 });
  plain.on('error', (e) => gunzip.destroy(e));
  gunzip.on('close', () => plain.destroy());
  return { stream: plain.pipe(gunzip), compression };
}
