// `docker commit` / POST /commit (and build steps): a container's changes (the diff tar from
// LayerStore.diff) on top of its image become a new image. As moby's CommitImage: an empty diff
// adds a history entry with empty_layer=true and no diff_id; the parent's history and rootfs
// carry over; created_by is the container's command.
import type { Readable } from 'node:stream';
import type { Digest } from '../lib/digest.js';
import { invalidArgument } from '../lib/errors.js';
import { applyChanges } from './changes.js';
import { hostPlatform, type ImageRuntimeConfig, type ImageConfig, type Platform } from './image-config.js';
import type { ImageStore } from './image-store.js';
import { topChainId } from './image-record.js';
import { ingestLayerTar, isEmptyTarBlob } from './layer-blob.js';
import { applyLayers, Undo } from './layer-apply.js';
import { rollbackBlobs } from './rollback.js';
import { familiarString, parseRepoTag, type ImageReference } from '../lib/reference.js';
import { noteImage, type OpJournal } from './journal.js';

export interface CommitOptions {
  parentImageId: Digest | null;
  /** The container's changes as a tar (LayerStore.diff(containerKey)). */
  diff: Readable;
  /** The new image's runtime config before `changes` (the caller merges container + request). */
  config: ImageRuntimeConfig;
  changes?: string[];
  author?: string;
  comment?: string;
  /** History created_by (Docker: the container's Cmd joined by spaces). */
  createdBy?: string;
  ref?: string; // repo[:tag]
  containerId?: string;
  /** The source container's config, recorded as the legacy container_config. */
  containerConfig?: ImageRuntimeConfig;
  signal?: AbortSignal;
  /** The platform of an image without a parent (a build stage FROM scratch for --platform); else the parent's, else the host's. */
  platform?: Platform;
}

export async function commitImage(store: ImageStore, opts: CommitOptions): Promise<{ id: Digest; ref?: string }> {
  const ref = opts.ref ? parseRepoTag(opts.ref) : undefined;
  const config = applyChanges(opts.config, opts.changes ?? []);
  const journal = await store.beginOp();
  try {
    return await commitJournaled(store, opts, journal, ref, config);
  } finally {
    await journal.end();
  }
}

async function commitJournaled(
  store: ImageStore,
  opts: CommitOptions,
  journal: OpJournal,
  ref: ImageReference | undefined,
  config: ImageRuntimeConfig,
): Promise<{ id: Digest; ref?: string }> {
  const blob = await ingestLayerTar(store.content, opts.diff, opts.signal);
  await journal.note({ blobs: [blob.digest] });
  const empty = await isEmptyTarBlob(store.content, blob);
  return store.withWriteLock(async () => {
    const undo = new Undo();
    try {
      const parent = opts.parentImageId ? store.resolve(opts.parentImageId) : undefined;
      if (opts.parentImageId && parent?.id !== opts.parentImageId) throw invalidArgument(`parent image ${opts.parentImageId} not found`);
      const pcfg = parent ? store.config(parent.id) : undefined;
      const base = parent ? parent.layers : [];
      const added = empty ? [] : await applyLayers(store.content, store.layers, parent ? topChainId(parent) : null, [blob.digest], undo, opts.signal, journal);
      const created = new Date().toISOString();
      const plat = pcfg ?? opts.platform ?? hostPlatform();
      const cfg: ImageConfig = {
        architecture: plat.architecture,
        ...(plat.variant ? { variant: plat.variant } : {}),
        os: plat.os,
        ...(opts.author ? { author: opts.author } : {}),
        ...(opts.comment ? { comment: opts.comment } : {}),
        config,
        ...(opts.containerId ? { container: opts.containerId } : {}),
        ...(opts.containerConfig ? { container_config: opts.containerConfig } : {}),
        created,
        history: [
          ...(pcfg?.history ?? []),
          {
            created,
            ...(opts.author ? { author: opts.author } : {}),
            created_by: opts.createdBy ?? '',
            ...(opts.comment ? { comment: opts.comment } : {}),
            ...(empty ? { empty_layer: true } : {}),
          },
        ],
        rootfs: { type: 'layers', diff_ids: [...(pcfg?.rootfs.diff_ids ?? []), ...added.map((l) => l.diffId)] },
      };
      const configBytes = Buffer.from(JSON.stringify(cfg));
      await noteImage(store, journal, configBytes);
      const input = { config: configBytes, layers: [...base, ...added], refs: ref ? [familiarString(ref)] : [] };
      const { record } = await store.registerLocked(parent ? { ...input, parent: parent.id } : input);
      if (empty) await rollbackBlobs(store, [blob.digest]);
      return ref ? { id: record.id, ref: familiarString(ref) } : { id: record.id };
    } catch (e) {
      await undo.run();
      await rollbackBlobs(store, [blob.digest]);
      throw e;
    }
  });
}
