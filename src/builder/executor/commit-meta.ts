// A metadata-only build step (ENV, LABEL, CMD, ...): a new image with the parent's layers, the
// new runtime config and one history entry marked empty_layer, as the classic builder commits
// it. No snapshot, no diff: nothing on disk changes but the image store.
import type { Digest } from '../../lib/digest.js';
import { noteImage } from '../../image/journal.js';
import { hostPlatform, type ImageRuntimeConfig, type ImageConfig, type Platform } from '../../image/image-config.js';
import type { ImageStore } from '../../image/image-store.js';
import type { HistoryEntry } from '../../image/image-config.js';

export async function commitMeta(
  store: ImageStore,
  parentId: Digest | null,
  config: ImageRuntimeConfig,
  createdBy: string,
  author?: string,
  /** For an image without a parent (FROM scratch); else the parent's platform is kept. */
  platform?: Platform,
): Promise<Digest> {
  const parent = parentId ? store.resolve(parentId) : undefined;
  const pcfg = parent ? store.config(parent.id) : undefined;
  const created = new Date().toISOString();
  const plat = pcfg ?? platform ?? hostPlatform();
  const cfg: ImageConfig = {
    architecture: plat.architecture,
    ...(plat.variant ? { variant: plat.variant } : {}),
    os: plat.os,
    ...(author ? { author } : {}),
    config,
    created,
    history: [...(pcfg?.history ?? []), { created, ...(author ? { author } : {}), created_by: createdBy, empty_layer: true }],
    rootfs: { type: 'layers', diff_ids: [...(pcfg?.rootfs.diff_ids ?? [])] },
  };
  const bytes = Buffer.from(JSON.stringify(cfg));
  const journal = await store.beginOp();
  try {
    await noteImage(store, journal, bytes);
    const input = { config: bytes, layers: parent ? parent.layers : [] };
    const { record } = await store.register(parent ? { ...input, parent: parent.id } : input);
    return record.id;
  } finally {
    await journal.end();
  }
}

/**
 * A step's result restored from a --cache-from image (moby's restoreCachedImage): the parent's
 * layers and history plus the source's history entry and, unless that entry is empty, the
 * source's layer at `layerIndex` (already in the layer store: the source holds it).
 */
export async function commitRestored(
  store: ImageStore,
  parentId: Digest | null,
  source: Digest,
  entry: HistoryEntry,
  layerIndex: number | null,
  config: ImageRuntimeConfig,
): Promise<Digest> {
  const parent = parentId ? store.resolve(parentId) : undefined;
  const pcfg = parent ? store.config(parent.id) : undefined;
  const src = store.resolve(source);
  const scfg = store.config(src.id);
  const layer = layerIndex === null ? undefined : src.layers[layerIndex];
  const cfg: ImageConfig = {
    architecture: scfg.architecture,
    ...(scfg.variant ? { variant: scfg.variant } : {}),
    os: scfg.os,
    ...(scfg.author ? { author: scfg.author } : {}),
    config,
    ...(entry.created ? { created: entry.created } : {}),
    history: [...(pcfg?.history ?? []), entry],
    rootfs: { type: 'layers', diff_ids: [...(pcfg?.rootfs.diff_ids ?? []), ...(layer ? [layer.diffId] : [])] },
  };
  const bytes = Buffer.from(JSON.stringify(cfg));
  const journal = await store.beginOp();
  try {
    await noteImage(store, journal, bytes);
    const input = { config: bytes, layers: [...(parent?.layers ?? []), ...(layer ? [layer] : [])] };
    const { record } = await store.register(parent ? { ...input, parent: parent.id } : input);
    return record.id;
  } finally {
    await journal.end();
  }
}
