// `docker load`: spill the archive, plan (load-plan.ts), verify every blob and layer against the
// digests the archive and the configs promise while streaming each layer once into the content
// store, and only then unpack layers and add images and tags. Any failure leaves no image, no
// tag and no layer of this load behind.
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import type { Digest } from '../lib/digest.js';
import { invalidArgument } from '../lib/errors.js';
import { parseImageConfig } from './image-config.js';
import type { ImageStore } from './image-store.js';
import { decompressed } from './layer-blob.js';
import { applyLayers, Undo } from './layer-apply.js';
import { planLoad, type PlannedLayer } from './load-plan.js';
import { rollbackBlobs } from './rollback.js';
import { familiarString, parseReference } from '../lib/reference.js';
import { SpilledTar } from './tar-spill.js';
import { noteImage, type OpJournal } from './journal.js';
import { sha256 } from '../lib/digest.js';

export interface LoadedImage {
  id: Digest;
  refs: string[]; // familiar tags ("busybox:latest")
}

export interface LoadResult {
  images: LoadedImage[];
  /** Tags that moved from another image ("renaming the old one with ID ... to empty string"). */
  moved: { ref: string; oldId: Digest }[];
}

function hashing(onDone: (hex: string, size: number) => void): Transform {
  const h = createHash('sha256');
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      h.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
    flush(cb) {
      onDone(h.digest('hex'), size);
      cb();
    },
  });
}

/** Streams one layer file (plain or gzip) into the content store as its uncompressed tar. */
async function ingestVerified(store: ImageStore, spill: SpilledTar, l: PlannedLayer, diffId: Digest, index: number, signal?: AbortSignal): Promise<void> {
  const file = spill.require(l.path);
  if (l.size !== undefined && file.size !== l.size) throw invalidArgument(`size mismatch for layer ${l.path}: expected ${l.size}, got ${file.size}`);
  let raw: { hex: string; size: number } | undefined;
  const src = createReadStream(file.path).pipe(hashing((hex, size) => (raw = { hex, size })));
  let info;
  try {
    info = await store.content.ingest(await decompressed(src), undefined, signal);
  } catch (e) {
    throw invalidArgument(`invalid layer ${l.path}: ${(e as Error).message}`, e);
  }
  const problems: string[] = [];
  if (l.digest && raw && `sha256:${raw.hex}` !== l.digest) problems.push(`digest mismatch for ${l.path}: got sha256:${raw.hex}`);
  if (info.digest !== diffId) problems.push(`invalid diffID for layer ${index}: expected ${diffId}, got ${info.digest}`);
  if (problems.length) {
    await rollbackBlobs(store, [info.digest]);
    throw invalidArgument(problems.join('; '));
  }
}

export async function loadImages(store: ImageStore, archive: Readable, opts: { signal?: AbortSignal } = {}): Promise<LoadResult> {
  const journal = await store.beginOp();
  try {
    return await loadJournaled(store, archive, journal, opts);
  } finally {
    await journal.end();
  }
}

async function loadJournaled(store: ImageStore, archive: Readable, journal: OpJournal, opts: { signal?: AbortSignal }): Promise<LoadResult> {
  await using spill = await SpilledTar.from(await decompressed(archive), store.tmpDir(), opts.signal);
  const plan = await planLoad(spill);
  if (!plan.length) throw invalidArgument('no images found in archive');
  const touched: Digest[] = [];
  const staged: { config: Buffer; diffIds: Digest[]; refs: string[] }[] = [];
  try {
    // Phase 1, no lock: verify everything; layer tars land in the content store (undone on error).
    const ingested = new Set<string>();
    for (const img of plan) {
      const config = img.config ?? (await spill.readSmall(img.configPath));
      const id = sha256(config);
      if (img.configDigest && id !== img.configDigest) throw invalidArgument(`digest mismatch for config ${img.configPath}: got ${id}`);
      const cfg = parseImageConfig(config);
      const diffIds = cfg.rootfs.diff_ids;
      if (diffIds.length !== img.layers.length)
        throw invalidArgument(`invalid manifest, layers length mismatch: expected ${diffIds.length}, got ${img.layers.length}`);
      for (const [i, l] of img.layers.entries()) {
        const key = `${l.path} ${diffIds[i]}`;
        if (ingested.has(key)) continue;
        touched.push(diffIds[i]!);
        await journal.note({ blobs: [diffIds[i]!] });
        await ingestVerified(store, spill, l, diffIds[i]!, i, opts.signal);
        ingested.add(key);
      }
      staged.push({ config, diffIds, refs: img.refs });
    }
  } catch (e) {
    await store.withWriteLock(() => rollbackBlobs(store, touched));
    throw e;
  }
  // Phase 2, under the writer lock: unpack all layers, then add every image and its tags.
  const result = await store.withWriteLock(async () => {
    const undo = new Undo();
    try {
      const applied = [];
      for (const s of staged) applied.push(await applyLayers(store.content, store.layers, null, s.diffIds, undo, opts.signal, journal));
      const result: LoadResult = { images: [], moved: [] };
      for (const [i, s] of staged.entries()) {
        await noteImage(store, journal, s.config);
        const { record, moved } = await store.registerLocked({ config: s.config, layers: applied[i]!, refs: s.refs });
        result.images.push({ id: record.id, refs: s.refs.map((r) => familiarString(parseReference(r))) });
        result.moved.push(...moved);
      }
      return result;
    } catch (e) {
      await undo.run();
      await rollbackBlobs(store, touched);
      throw e;
    }
  });
  for (const img of result.images) store.emitEvent('load', img.id);
  return result;
}
