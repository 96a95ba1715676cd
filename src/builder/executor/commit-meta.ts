// A metadata-only build step (ENV, LABEL, CMD, ...): a new image with the parent's layers, the
// new runtime config and one history entry marked empty_layer, as the classic builder commits
// it. No snapshot, no diff: nothing on disk changes but the image store.
import type { Digest } from '../../lib/digest.js';
import { noteImage } from '../../image/journal.js';
import { hostPlatform, type ImageRuntimeConfig, type ImageConfig, type Platform } from '../../image/image-config.js';
import type { ImageStore } from '../../image/image-store.js';

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
