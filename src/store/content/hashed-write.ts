// Writing a blob's bytes to a new file while hashing them, with a size cap: the content store's
// ingest (on the caller's thread for small blobs) and the off-thread worker (large blobs: see
// store/layers/unpack-off-thread.ts) both run this one function, so the checks and the flush
// policy are the same wherever it runs.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { Digest } from '../../lib/digest.js';
import { BatchedWriter } from '../../lib/batched-writer.js';
import { canceled, invalidArgument } from '../../lib/errors.js';

export interface HashedFile {
  digest: Digest;
  size: number;
}

/**
 * Creates `path` (it must not exist; none: the bytes are only hashed and counted), writes `source` into it and fsyncs it. Fails with
 * invalid-argument as soon as more than `maxSize` bytes arrive. The caller removes the file on
 * failure and decides (digest check, rename) on success.
 */
export async function writeHashed(
  source: AsyncIterable<Buffer | string>,
  path: string | undefined,
  maxSize?: number,
  signal?: AbortSignal,
): Promise<HashedFile> {
  const hash = createHash('sha256');
  let size = 0;
  const fh = path === undefined ? undefined : await open(path, 'wx', 0o644);
  try {
    const out = fh && new BatchedWriter(fh);
    for await (const chunk of source) {
      if (signal?.aborted) throw canceled();
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      hash.update(b);
      size += b.length;
      if (maxSize !== undefined && size > maxSize) throw invalidArgument(`content size mismatch: got more than the expected ${maxSize} bytes`);
      await out?.write(b);
    }
    if (signal?.aborted) throw canceled();
    await out?.done();
    await fh?.sync();
  } finally {
    await fh?.close();
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}
