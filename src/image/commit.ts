// `docker commit` / POST /commit (and build steps): a container's changes (the diff tar from
// LayerStore.diff) on top of its image become a new image. As moby's CommitImage: an empty diff
// adds a history entry with empty_layer=true and no diff_id; the parent's history and rootfs
// carry over; created_by is the container's command.
// A build step's snapshot is committed in place instead (`snapshot`): its upper dir becomes the
// layer by a rename, the diffID is hashed from the tar as it is packed (written nowhere), and no
// tar is kept: save and push re-export the layer from the layer store when they need its bytes
// (layer-blob.ts), which reproduces that diffID. So a COPY writes each byte once, not three times
// (copy, tar blob, unpack). A snapshot whose tar would lose something goes the tar way.
import type { Readable } from 'node:stream';
import { chainIdOf } from '../lib/chain-id.js';
import { log } from '../lib/log.js';
import type { Digest } from '../lib/digest.js';
import { invalidArgument } from '../lib/errors.js';
import { applyChanges } from './changes.js';
import { hostPlatform, type ImageRuntimeConfig, type ImageConfig, type Platform } from './image-config.js';
import type { ImageStore } from './image-store.js';
import { topChainId, type ImageLayerRef, type ImageRecord } from './image-record.js';
import { ingestLayerTar, isEmptyTarBlob } from './layer-blob.js';
import { applyLayers, Undo } from './layer-apply.js';
import { rollbackBlobs } from './rollback.js';
import { familiarString, parseRepoTag, type ImageReference } from '../lib/reference.js';
import { noteImage, type OpJournal } from './journal.js';

export interface CommitOptions {
  parentImageId: Digest | null;
  /**
   * The container's changes as a tar (LayerStore.diff(containerKey)), or the key of an unmounted
   * snapshot over the parent image's top layer to commit in place (consumed unless it fell back to a tar).
   */
  diff: Readable | { snapshot: string };
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
  let diff = opts.diff;
  if ('snapshot' in diff) {
    const key = diff.snapshot;
    const measured = await store.layers.diffDigest(key, opts.signal);
    if (!measured.lossy) return commitInPlace(store, opts, journal, ref, config, key, measured);
    log.debug('commit: the snapshot goes through a tar', { key, reason: measured.lossy });
    diff = store.layers.diff(key);
  }
  const blob = await ingestLayerTar(store.content, diff, opts.signal);
  await journal.note({ blobs: [blob.digest] });
  const empty = await isEmptyTarBlob(store.content, blob);
  return store.withWriteLock(async () => {
    const undo = new Undo();
    try {
      const parent = resolveParent(store, opts.parentImageId);
      const added = empty ? [] : await applyLayers(store.content, store.layers, parent ? topChainId(parent) : null, [blob.digest], undo, opts.signal, journal);
      const r = await registerCommit(store, opts, journal, ref, config, parent, added);
      if (empty) await rollbackBlobs(store, [blob.digest]);
      return r;
    } catch (e) {
      await undo.run();
      await rollbackBlobs(store, [blob.digest]);
      throw e;
    }
  });
}

async function commitInPlace(
  store: ImageStore,
  opts: CommitOptions,
  journal: OpJournal,
  ref: ImageReference | undefined,
  config: ImageRuntimeConfig,
  key: string,
  measured: { diffId: Digest; size: number; entries: number },
): Promise<{ id: Digest; ref?: string }> {
  return store.withWriteLock(async () => {
    const undo = new Undo();
    try {
      const parent = resolveParent(store, opts.parentImageId);
      const added: ImageLayerRef[] = [];
      if (measured.entries > 0) {
        const chainId = chainIdOf(parent ? topChainId(parent) : null, measured.diffId);
        const existed = await store.layers.get(chainId);
        // Noted before the rename: a crash after it leaves a layer that startup recovery removes.
        if (!existed) await journal.note({ layers: [chainId] });
        const info = await store.layers.commitSnapshot(key, measured);
        if (!existed) undo.add(() => store.layers.remove(info.chainId));
        if (info.chainId !== chainId) throw invalidArgument(`snapshot ${key} does not stand on the parent image's top layer`);
        added.push({ diffId: measured.diffId, chainId, size: info.size });
      }
      return await registerCommit(store, opts, journal, ref, config, parent, added);
    } catch (e) {
      await undo.run();
      throw e;
    }
  });
}

function resolveParent(store: ImageStore, parentImageId: Digest | null): ImageRecord | undefined {
  const parent = parentImageId ? store.resolve(parentImageId) : undefined;
  if (parentImageId && parent?.id !== parentImageId) throw invalidArgument(`parent image ${parentImageId} not found`);
  return parent;
}

/** The new image's config and record over `parent` with the `added` layer (none: an empty layer); under the writer lock. */
async function registerCommit(
  store: ImageStore,
  opts: CommitOptions,
  journal: OpJournal,
  ref: ImageReference | undefined,
  config: ImageRuntimeConfig,
  parent: ImageRecord | undefined,
  added: ImageLayerRef[],
): Promise<{ id: Digest; ref?: string }> {
  const empty = added.length === 0;
  const pcfg = parent ? store.config(parent.id) : undefined;
  const base = parent ? parent.layers : [];
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
  return ref ? { id: record.id, ref: familiarString(ref) } : { id: record.id };
}
