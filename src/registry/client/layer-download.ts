// Downloading one layer blob into the content store: streamed, counted for progress, capped at
// the descriptor's size, and committed only if digest and size match (the content store
// verifies before it renames the blob into place). Docker's texts for a bad blob.
import { Transform } from 'node:stream';
import type { Digest } from '../../lib/digest.js';
import { invalidArgument, isBerthError } from '../../lib/errors.js';
import type { ContentStore } from '../../store/content/content-store.js';
import type { Descriptor } from '../../image/image-config.js';
import { readBody } from './http-request.js';
import type { RegistrySession } from './session.js';
import { registryErrorText } from './registry-errors.js';

export function counting(onBytes: (total: number) => void): Transform {
  let n = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      onBytes(n);
      cb(null, chunk);
    },
  });
}

/** GET the blob and store it under its digest; `onBytes` sees the running byte count. */
export async function downloadBlob(
  s: RegistrySession,
  content: ContentStore,
  d: Descriptor,
  onBytes: (n: number) => void,
  signal?: AbortSignal,
): Promise<Digest> {
  const res = await s.request('blobs', d.digest);
  if (res.status !== 200) {
    const body = await readBody(res.body, 64 * 1024, 'error body').catch(() => Buffer.alloc(0));
    throw invalidArgument(`error pulling layer ${d.digest}: ${registryErrorText(body) ?? `unexpected status ${res.status}`}`);
  }
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared !== d.size) {
    res.body.destroy();
    throw invalidArgument(`filesystem layer verification failed for digest ${d.digest}: size ${declared}, expected ${d.size}`);
  }
  const counter = counting(onBytes);
  res.body.on('error', (e) => counter.destroy(e));
  try {
    const info = await content.ingest(res.body.pipe(counter), { digest: d.digest, size: d.size }, signal);
    return info.digest;
  } catch (e) {
    res.body.destroy();
    if (isBerthError(e, 'invalid-argument')) throw invalidArgument(`filesystem layer verification failed for digest ${d.digest}`, e);
    throw e;
  }
}
