// Fetching one layer in a single pass: the blob streams from the registry once and is split two
// ways while it arrives: into the content store (sha256 of the compressed bytes, capped at the
// descriptor's size, committed only if digest and size match) and into the layer store's
// unpacker (gunzip, sha256 of the tar = diffId, untar into a staged, still invisible layer dir).
// The staged layer is kept only if both digests are right; the caller stacks staged layers in
// order afterwards. Docker's texts for a bad blob.
import { PassThrough, Transform, type Readable } from 'node:stream';
import type { Digest } from '../../lib/digest.js';
import { invalidArgument, isBerthError, isNoSpace } from '../../lib/errors.js';
import type { ContentStore } from '../../store/content/content-store.js';
import type { LayerStore, StagedLayer } from '../../store/layers/layer-store.js';
import type { Descriptor } from '../../image/image-config.js';
import { readBody } from './http-request.js';
import type { RegistrySession } from './session.js';
import { registryErrorText } from './registry-errors.js';

export function counting(onBytes: (total: number) => void): Transform {
  let n = 0;
  return new Transform({
    readableObjectMode: true, // chunks as they come: its readers iterate it (see BRANCH_CHUNKS)
    transform(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      onBytes(n);
      cb(null, chunk);
    },
  });
}

export interface LayerToFetch {
  desc: Descriptor;
  /** The diffId the image config promises for this layer. */
  diffId: Digest;
}

export interface LayerStores {
  content: ContentStore;
  layers: LayerStore;
}

/**
 * What each branch may hold before it slows the download: 64 chunks (~4 MiB), so one branch
 * stalling briefly does not stall the other chunk by chunk. Object mode, because an async
 * iterator over a byte-mode stream concatenates everything buffered into a new Buffer on each
 * read: a copy of the whole blob and much garbage.
 */
const BRANCH_CHUNKS = 64;

function layerVerificationFailed(d: Descriptor, cause?: unknown): Error {
  return invalidArgument(`filesystem layer verification failed for digest ${d.digest}`, cause);
}

/** Drops a staged layer whose diffId is not the promised one, and says so. */
async function checkDiffId(stores: LayerStores, l: LayerToFetch, staged: StagedLayer): Promise<StagedLayer> {
  if (staged.diffId === l.diffId) return staged;
  await stores.layers.discardStaged(staged);
  throw invalidArgument(
    `filesystem layer verification failed for digest ${l.desc.digest}: it unpacks to diffId ${staged.diffId}, the image config says ${l.diffId}`,
  );
}

/** Unpacks a blob the content store already holds into a staged layer (verified against its diffId). */
export async function stageStoredLayer(stores: LayerStores, l: LayerToFetch, onBytes: (n: number) => void, signal?: AbortSignal): Promise<StagedLayer> {
  const raw = stores.content.readStream(l.desc.digest).pipe(counting(onBytes));
  return checkDiffId(stores, l, await stores.layers.stageLayer(raw, { signal }));
}

/**
 * GETs the blob and, in the same pass, stores it under its digest and unpacks it into a staged
 * layer. `onBytes` sees the running count of downloaded bytes. On any failure nothing is staged;
 * the blob may have been committed (verified) and is the caller's to roll back.
 */
export async function fetchLayer(
  s: RegistrySession,
  stores: LayerStores,
  l: LayerToFetch,
  onBytes: (n: number) => void,
  signal?: AbortSignal,
): Promise<StagedLayer> {
  const d = l.desc;
  const res = await s.request('blobs', d.digest);
  if (res.status !== 200) {
    const body = await readBody(res.body, 64 * 1024, 'error body').catch(() => Buffer.alloc(0));
    throw invalidArgument(`error pulling layer ${d.digest}: ${registryErrorText(body) ?? `unexpected status ${res.status}`}`);
  }
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared !== d.size) {
    res.body.destroy();
    throw layerVerificationFailed(d, new Error(`size ${declared}, expected ${d.size}`));
  }
  const body: Readable = res.body;
  const toStore = new PassThrough({ objectMode: true, highWaterMark: BRANCH_CHUNKS });
  const toUnpack = new PassThrough({ objectMode: true, highWaterMark: BRANCH_CHUNKS });
  // A broken download fails both branches; pipe() alone would leave them waiting for an end.
  body.on('error', (e) => {
    toStore.destroy(e);
    toUnpack.destroy(e);
  });
  let received = 0;
  body.on('data', (c: Buffer) => onBytes((received += c.length))); // an observer, not one more stream stage per chunk
  body.pipe(toStore);
  body.pipe(toUnpack);

  // The blob's own digest is checked first, as Docker does: a corrupted blob is a verification
  // failure even when its damage also breaks the gzip or tar. So an unpacker that gives up
  // (its branch is unpiped) lets the store branch read the blob to its (capped) end; only a
  // store branch that fails stops the download for both.
  const storing = stores.content.ingest(toStore, { digest: d.digest, size: d.size }, signal).catch((e: unknown) => {
    body.destroy(e instanceof Error ? e : new Error(String(e)));
    throw e;
  });
  const staging = stores.layers.stageLayer(toUnpack, { signal }).catch((e: unknown) => {
    toUnpack.destroy(); // never left full and unread, which would stall the store branch
    throw e;
  });
  const [stored, staged] = await Promise.allSettled([storing, staging]);
  // A full disk in either branch is the cause, whatever the other branch saw when it was cut
  // ("Premature close"): report that one, as the user can act on it.
  const noSpace = [stored, staged].find((r) => r.status === 'rejected' && isNoSpace(r.reason));
  if (noSpace?.status === 'rejected') {
    if (staged.status === 'fulfilled') await stores.layers.discardStaged(staged.value);
    throw noSpace.reason;
  }
  if (stored.status === 'rejected') {
    if (staged.status === 'fulfilled') await stores.layers.discardStaged(staged.value);
    if (isBerthError(stored.reason, 'invalid-argument')) throw layerVerificationFailed(d, stored.reason);
    throw stored.reason;
  }
  if (staged.status === 'rejected') throw staged.reason;
  return checkDiffId(stores, l, staged.value);
}
