// Phase 2 of a pull, under the image store's writer lock: stack the layers the download phase
// unpacked (staged, diffIds verified) onto their parents, bottom first, each made visible by
// one rename. Layers already present are reused (a staged copy of one is dropped). Every new
// layer is noted in the journal and in the undo log before it is made.
import type { Digest } from '../../lib/digest.js';
import { conflict } from '../../lib/errors.js';
import type { Descriptor } from '../../image/image-config.js';
import type { ImageLayerRef } from '../../image/image-record.js';
import type { ImageStore } from '../../image/image-store.js';
import type { OpJournal } from '../../image/journal.js';
import type { Undo } from '../../image/layer-apply.js';
import type { StagedLayer } from '../../store/layers/layer-store.js';
import { progressMessage, type OnPullMessage } from './progress.js';

export interface PulledLayer {
  desc: Descriptor;
  diffId: Digest;
  chainId: Digest;
  /** Short id shown in progress (the blob digest's first 12 hex). */
  id: string;
  /** The layer (its chain) was already in the layer store before the pull. */
  present: boolean;
  /** Unpacked by the download phase, not yet committed (the commit consumes it). */
  staged?: StagedLayer;
}

/** Drops every staged layer not committed (a failed or abandoned pull). */
export async function discardStaged(store: ImageStore, layers: PulledLayer[]): Promise<void> {
  for (const l of layers) {
    const s = l.staged;
    l.staged = undefined;
    if (s) await store.layers.discardStaged(s).catch(() => {});
  }
}

export async function applyPulledLayers(
  store: ImageStore,
  layers: PulledLayer[],
  undo: Undo,
  journal: OpJournal,
  send: OnPullMessage,
): Promise<ImageLayerRef[]> {
  const out: ImageLayerRef[] = [];
  let parent: Digest | null = null;
  for (const l of layers) {
    const existing = await store.layers.get(l.chainId);
    let size: number;
    if (existing) {
      size = existing.size;
      if (l.staged) await discardStaged(store, [l]);
      if (!l.present) send({ status: 'Pull complete', id: l.id, progressDetail: {} });
    } else {
      const staged = l.staged;
      if (!staged) throw conflict(`layer ${l.chainId} was removed while it was being pulled: pull again`);
      await journal.note({ layers: [l.chainId] });
      l.staged = undefined; // consumed by the commit, whatever its outcome
      const info = await store.layers.commitStaged(parent, staged);
      undo.add(() => store.layers.remove(info.chainId));
      size = info.size;
      send(progressMessage('Extracting', l.id, l.desc.size, l.desc.size));
      send({ status: 'Pull complete', id: l.id, progressDetail: {} });
    }
    const ref: ImageLayerRef = { diffId: l.diffId, chainId: l.chainId, size };
    // Name the compressed blob (its bytes are not kept: a push HEADs or mounts it by this digest,
    // save and push replay the layer's recorded tar); a plain tar blob is the diffId itself.
    if (!l.present && l.desc.digest !== l.diffId) ref.blob = { digest: l.desc.digest, mediaType: l.desc.mediaType, size: l.desc.size };
    out.push(ref);
    parent = l.chainId;
  }
  return out;
}
