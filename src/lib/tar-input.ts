// Layer and image archives arrive plain or compressed (told apart by lib/compression's magic
// numbers); this undoes gzip and refuses what Node has no decoder for.
import { PassThrough, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { invalidArgument, notImplemented } from './errors.js';
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
  // zlib's errors (Z_DATA_ERROR: "invalid block type", a truncated stream) are bad input, not a
  // daemon fault: readers get them as invalid-argument (400) instead of a bare Error (500).
  const out = new PassThrough();
  gunzip.on('error', (e: NodeJS.ErrnoException) => out.destroy(e.code?.startsWith('Z_') ? invalidArgument(`invalid gzip data: ${e.message}`) : e));
  out.on('close', () => gunzip.destroy());
  plain.pipe(gunzip);
  return { stream: gunzip.pipe(out), compression };
}
