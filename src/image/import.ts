// `docker import` / POST /images/create?fromSrc=-: a root filesystem tar (plain or gzip)
// becomes a one-layer image. Config and history follow moby's ImportImage: the comment is the
// message (default "Imported from <src>"), history has one entry with that comment.
import type { Readable } from 'node:stream';
import type { Digest } from '../lib/digest.js';
import { invalidArgument } from '../lib/errors.js';
import { applyChanges } from './changes.js';
import { hostPlatform, parsePlatform, type ImageRuntimeConfig, type ImageConfig, type Platform } from './image-config.js';
import type { ImageStore } from './image-store.js';
import { ingestLayerTar } from './layer-blob.js';
import { applyLayers, Undo } from './layer-apply.js';
import { rollbackBlobs } from './rollback.js';
import { familiarString, parseReference, withDefaultTag, type ImageReference } from '../lib/reference.js';
import { noteImage, type OpJournal } from './journal.js';

export interface ImportOptions {
  /** Target reference (repo[:tag]); untagged image when absent. */
  ref?: string;
  changes?: string[];
  message?: string;
  /** Shown in the default comment: "Imported from <source>" ("-" for a request body). */
  source?: string;
  platform?: string;
  signal?: AbortSignal;
}

export interface ImportResult {
  id: Digest;
  ref?: string; // familiar
}

export async function importRootfs(store: ImageStore, tar: Readable, opts: ImportOptions = {}): Promise<ImportResult> {
  // Validate everything cheap before reading the (possibly large) body.
  const ref = opts.ref ? withDefaultTag(parseReference(opts.ref)) : undefined;
  if (ref?.digest) throw invalidArgument('cannot import digest reference');
  const platform = opts.platform ? parsePlatform(opts.platform) : hostPlatform();
  const config = applyChanges({}, opts.changes ?? []);
  const comment = opts.message || `Imported from ${opts.source ?? '-'}`;

  const journal = await store.beginOp();
  let result: ImportResult;
  try {
    result = await importJournaled(store, tar, journal, opts.signal, { ref, platform, config, comment });
  } finally {
    await journal.end();
  }
  store.emitEvent('import', result.id);
  return result;
}

async function importJournaled(
  store: ImageStore,
  tar: Readable,
  journal: OpJournal,
  signal: AbortSignal | undefined,
  v: { ref: ImageReference | undefined; platform: Platform; config: ImageRuntimeConfig; comment: string },
): Promise<ImportResult> {
  const { ref, platform, config, comment } = v;
  const opts = { signal };
  const blob = await ingestLayerTar(store.content, tar, opts.signal);
  await journal.note({ blobs: [blob.digest] });
  return store.withWriteLock(async () => {
    const undo = new Undo();
    try {
      const layers = await applyLayers(store.content, store.layers, null, [blob.digest], undo, opts.signal, journal);
      const created = new Date().toISOString();
      const cfg: ImageConfig = {
        architecture: platform.architecture,
        ...(platform.variant ? { variant: platform.variant } : {}),
        os: platform.os,
        comment,
        config,
        created,
        history: [{ created, comment }],
        rootfs: { type: 'layers', diff_ids: [blob.digest] },
      };
      const configBytes = Buffer.from(JSON.stringify(cfg));
      await noteImage(store, journal, configBytes);
      const { record } = await store.registerLocked({ config: configBytes, layers, refs: ref ? [familiarString(ref)] : [] });
      return ref ? { id: record.id, ref: familiarString(ref) } : { id: record.id };
    } catch (e) {
      await undo.run();
      await rollbackBlobs(store, [blob.digest]);
      throw e;
    }
  });
}
