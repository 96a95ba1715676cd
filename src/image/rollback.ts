// Undoing content a failed import/commit/load added: a blob is deleted only if no image record
// names it (as config, layer diffId, compressed layer or manifest). Callers hold the writer lock.
import type { Digest } from '../lib/digest.js';
import type { ImageStore } from './image-store.js';

export function referencedBlobs(store: ImageStore): Set<string> {
  const used = new Set<string>();
  for (const r of store.all()) {
    used.add(r.id);
    for (const l of r.layers) {
      used.add(l.diffId);
      if (l.blob) used.add(l.blob.digest);
    }
    for (const m of r.manifests) used.add(m.digest);
  }
  return used;
}

export async function rollbackBlobs(store: ImageStore, blobs: Iterable<Digest>): Promise<void> {
  const used = referencedBlobs(store);
  for (const b of new Set(blobs)) if (!used.has(b)) await store.content.delete(b).catch(() => {});
}
