// Layer tars as bytes. Choice (documented in README-like form here): for layers imported,
// loaded or committed from a container the content store keeps the UNCOMPRESSED tar under its
// diffId, so `save` reproduces the exact bytes whose digest the config names, and push can
// compress it. Layers pulled from a registry keep neither: the LayerStore replays their exact
// tar from the layout recorded at unpack (store/layers/tar-layout.ts); only a pulled tar that
// cannot be replayed keeps its compressed blob (ImageLayerRef.blob), which decompresses to the
// diffId bytes. Build steps keep neither either (their snapshot became the layer in place,
// image/commit.ts): their layer is re-exported from the LayerStore, whose pack is deterministic
// and reproduces the diffId it was named by. Either way the bytes are checked against the
// diffId (a mismatch is an error for the caller, never a wrong blob).
import { createHash } from 'node:crypto';
import { Readable, PassThrough, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { ContentStore, BlobInfo } from '../store/content/content-store.js';
import type { LayerStore } from '../store/layers/layer-store.js';
import type { ImageLayerRef } from './image-record.js';
import { invalidArgument } from '../lib/errors.js';
import { detectCompression, peekHead } from '../lib/compression.js';

/** A plain tar stream from a plain or gzip-compressed one; zstd, xz and bzip2 are refused (no codec in Node 20). */
export async function decompressed(src: AsyncIterable<Buffer> | Readable): Promise<Readable> {
  const { head, stream } = await peekHead(src);
  const c = detectCompression(head);
  if (c === 'none') return stream;
  if (c !== 'gzip') {
    stream.destroy();
    throw invalidArgument(`${c}-compressed layers are not supported`);
  }
  // Not pipeline(): it would destroy `out` with the raw zlib error before we could say that
  // the input is at fault (a truncated or corrupt gzip is a 400, not a 500).
  const gunzip = createGunzip();
  const out = new PassThrough();
  // The consumer may not be listening yet when the input fails; the error stays on `out`
  // (`errored`) for it to find, and must never surface as an uncaught exception.
  out.on('error', () => {});
  stream.on('error', (e) => out.destroy(e));
  gunzip.on('error', (e) => out.destroy(invalidArgument(`invalid gzip layer: ${e.message}`, e)));
  out.on('close', () => {
    stream.destroy();
    gunzip.destroy();
  });
  stream.pipe(gunzip).pipe(out);
  return out;
}

/** Stores a layer tar (plain or gzip) uncompressed in the content store: digest = diffId. */
export async function ingestLayerTar(content: ContentStore, src: AsyncIterable<Buffer> | Readable, signal?: AbortSignal): Promise<BlobInfo> {
  return content.ingest(await decompressed(src), undefined, signal);
}

/** True if a stored tar has no entries (all zero blocks): Docker marks such a layer empty. */
export async function isEmptyTarBlob(content: ContentStore, info: BlobInfo): Promise<boolean> {
  if (info.size > 20480) return false;
  const b = await content.read(info.digest);
  return b.every((x) => x === 0);
}

/** The uncompressed tar of one image layer (see the choice above). */
export async function openLayerTar(content: ContentStore, layers: LayerStore, l: ImageLayerRef): Promise<{ stream: Readable; size?: number }> {
  if (await content.has(l.diffId)) return { stream: content.readStream(l.diffId), size: (await content.info(l.diffId)).size };
  if (l.blob && (await content.has(l.blob.digest))) return { stream: await decompressed(content.readStream(l.blob.digest)) };
  return { stream: checkedExport(layers.exportLayer(l.chainId), l) };
}

/**
 * A re-exported layer's bytes, hashed as they pass: if they are not the diffId's, the stream
 * fails at its end instead of ending, so a push never completes the blob nor sends a manifest
 * naming bytes that do not match the config.
 */
function checkedExport(src: Readable, l: ImageLayerRef): Readable {
  const hash = createHash('sha256');
  const out = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
    flush(cb) {
      const got = `sha256:${hash.digest('hex')}`;
      cb(got === l.diffId ? null : invalidArgument(`layer ${l.chainId} re-exports as ${got}, not its diffID ${l.diffId}`));
    },
  });
  out.on('error', () => {}); // consumers read errors through iteration or pipe; none may become uncaught
  src.on('error', (e) => out.destroy(e));
  out.on('close', () => src.destroy());
  return src.pipe(out);
}

/** Makes sure the content store holds the layer's uncompressed tar under its diffId. */
export async function ensureLayerBlob(content: ContentStore, layers: LayerStore, l: ImageLayerRef): Promise<BlobInfo> {
  if (await content.has(l.diffId)) return content.info(l.diffId);
  const { stream } = await openLayerTar(content, layers, l);
  try {
    return await content.ingest(stream, { digest: l.diffId });
  } catch (e) {
    throw invalidArgument(`layer ${l.chainId} cannot be reproduced with diffId ${l.diffId}: ${(e as Error).message}`, e);
  }
}
