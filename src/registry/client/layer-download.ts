// Fetching one layer in a single pass: the blob streams from the registry once into the layer
// store's unpacker (sha256 of the compressed bytes capped at the descriptor's size, gunzip,
// sha256 of the tar = diffId, untar into a staged, still invisible layer dir, the tar's layout).
// The staged layer is kept only if both digests are right; the caller stacks staged layers in
// order afterwards. Docker's texts for a bad blob.
import { PassThrough, Transform, type Readable } from 'node:stream';
import type { Digest } from '../../lib/digest.js';
import { hasErrorCode, invalidArgument, isBerthError, isNoSpace } from '../../lib/errors.js';
import { BLOB_MISMATCH } from '../../store/layers/blob-check.js';
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

/** GETs a blob, refusing an error status or a Content-Length other than the descriptor's. */
async function getBlob(s: RegistrySession, d: Descriptor): Promise<Readable> {
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
  return res.body;
}

/** Splits `body` into object-mode branches (see BRANCH_CHUNKS); a broken download fails them all. */
function branches(body: Readable, n: number, onBytes: (n: number) => void): PassThrough[] {
  const out = Array.from({ length: n }, () => new PassThrough({ objectMode: true, highWaterMark: BRANCH_CHUNKS }));
  // pipe() alone would leave the branches waiting for an end.
  body.on('error', (e) => out.forEach((b) => b.destroy(e)));
  let received = 0;
  body.on('data', (c: Buffer) => onBytes((received += c.length))); // an observer, not one more stream stage per chunk
  for (const b of out) body.pipe(b);
  return out;
}

/**
 * GETs the blob and unpacks it into a staged layer in one pass, keeping no copy of the blob (as
 * dockerd): its sha256 and size are checked as it arrives (on the unpack worker), and the tar's
 * layout is recorded beside the layer, so save and push get the exact tar back from the unpacked
 * files (store/layers/tar-layout.ts); the image record still names the blob's digest, so a push
 * to a registry that has it sends nothing. A tar that cannot be replayed (it overwrites its own
 * entries) has its blob fetched again into the content store, the one copy save and push then
 * read. `keepBlob` (a blob the manifest names twice: the repeat is unpacked from the store)
 * stores the blob in the same pass instead. `onBytes` sees the running count of downloaded bytes.
 * On any failure nothing is staged; a stored blob is the caller's to roll back.
 */
export async function fetchLayer(
  s: RegistrySession,
  stores: LayerStores,
  l: LayerToFetch,
  onBytes: (n: number) => void,
  signal?: AbortSignal,
  opts: { keepBlob?: boolean } = {},
): Promise<StagedLayer> {
  const d = l.desc;
  if (opts.keepBlob) return fetchAndStore(s, stores, l, onBytes, signal);
  const blob = { digest: d.digest, size: d.size };
  // The unpacker's worker GETs the blob itself when it can (the bytes then never cross threads);
  // it declines anything but the whole blob (a 401 to retry, a redirect), which comes here.
  const source = s.blobSource(d.digest);
  let staged: StagedLayer | undefined;
  if (source && stores.layers.stageFetchedLayer) {
    try {
      staged = await stores.layers.stageFetchedLayer(source, { signal, blob, layout: true, onBytes });
    } catch (e) {
      if (hasErrorCode(e, BLOB_MISMATCH)) throw layerVerificationFailed(d, e);
      throw e;
    }
  }
  if (!staged) {
    const body = await getBlob(s, d);
    const [toUnpack] = branches(body, 1, onBytes) as [PassThrough];
    try {
      staged = await stores.layers.stageLayer(toUnpack, { signal, blob, layout: true });
    } catch (e) {
      toUnpack.destroy();
      body.destroy();
      if (hasErrorCode(e, BLOB_MISMATCH)) throw layerVerificationFailed(d, e);
      throw e;
    }
  }
  await checkDiffId(stores, l, staged);
  if (staged.layout) return staged;
  try {
    await stores.content.ingest(await getBlob(s, d), blob, signal);
  } catch (e) {
    await stores.layers.discardStaged(staged);
    if (isBerthError(e, 'invalid-argument')) throw layerVerificationFailed(d, e);
    throw e;
  }
  return staged;
}

/** The blob into the content store and the unpacker at once (a blob the pull unpacks twice). */
async function fetchAndStore(
  s: RegistrySession,
  stores: LayerStores,
  l: LayerToFetch,
  onBytes: (n: number) => void,
  signal?: AbortSignal,
): Promise<StagedLayer> {
  const d = l.desc;
  const body = await getBlob(s, d);
  const [toStore, toUnpack] = branches(body, 2, onBytes) as [PassThrough, PassThrough];
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
