// Phase 2 of a pull, under the image store's writer lock: unpack each downloaded layer blob
// (gzip or plain tar) onto its parent, bottom first, and check that the tar's digest as the
// layer store measured it is the diffId the config promised. Layers already present are
// reused. Every new layer is noted in the journal and in the undo log before it is made.
import type { Digest } from '../../lib/digest.js';
import { conflict, invalidArgument } from '../../lib/errors.js';
import type { Descriptor } from '../../image/image-config.js';
import type { ImageLayerRef } from '../../image/image-record.js';
import type { ImageStore } from '../../image/image-store.js';
import type { OpJournal } from '../../image/journal.js';
import type { Undo } from '../../image/layer-apply.js';
import { decompressed } from '../../image/layer-blob.js';
import { counting } from './layer-download.js';
import { progressMessage, throttled, type OnPullMessage } from './progress.js';

export interface PulledLayer {
  desc: Descriptor;
  diffId: Digest;
  chainId: Digest;
  /** Short id shown in progress (the blob digest's first 12 hex). */
  id: string;
  /** The layer (its chain) was already in the layer store before the pull. */
  present: boolean;
}

export async function applyPulledLayers(
  store: ImageStore,
  layers: PulledLayer[],
  undo: Undo,
  journal: OpJournal,
  send: OnPullMessage,
  signal?: AbortSignal,
): Promise<ImageLayerRef[]> {
  const out: ImageLayerRef[] = [];
  let parent: Digest | null = null;
  for (const l of layers) {
    const existing = await store.layers.get(l.chainId);
    let size: number;
    if (existing) {
      size = existing.size;
      if (!l.present) send({ status: 'Pull complete', id: l.id, progressDetail: {} });
    } else {
      if (l.present) throw conflict(`layer ${l.chainId} was removed while it was being pulled: pull again`);
      await journal.note({ layers: [l.chainId] });
      const t = throttled((n) => send(progressMessage('Extracting', l.id, n, l.desc.size)));
      const raw = store.content.readStream(l.desc.digest).pipe(counting((n) => t.update(n)));
      const info = await store.layers.applyLayer(parent, await decompressed(raw), { signal });
      t.flush();
      if (info.diffId !== l.diffId || info.chainId !== l.chainId) {
        // The tar is not the one the config names. The layer store may have handed back a layer
        // some image already uses (same content): remove it only if nothing names it.
        if (!store.all().some((r) => r.layers.some((x) => x.chainId === info.chainId))) await store.layers.remove(info.chainId).catch(() => {});
        throw invalidArgument(
          `filesystem layer verification failed for digest ${l.desc.digest}: it unpacks to diffId ${info.diffId}, the image config says ${l.diffId}`,
        );
      }
      undo.add(() => store.layers.remove(info.chainId));
      size = info.size;
      send({ status: 'Pull complete', id: l.id, progressDetail: {} });
    }
    const ref: ImageLayerRef = { diffId: l.diffId, chainId: l.chainId, size };
    // Keep the compressed blob (push and save read it); a plain tar blob is the diffId itself.
    if (!l.present && l.desc.digest !== l.diffId) ref.blob = { digest: l.desc.digest, mediaType: l.desc.mediaType, size: l.desc.size };
    out.push(ref);
    parent = l.chainId;
  }
  return out;
}
