// Applying layer tars already in the content store (under their diffIds) to the LayerStore,
// with an undo log: an import/commit/load that fails half-way removes the layers and blobs it
// created, so the store is as before. Callers hold the image store's writer lock.
import { sha256, type Digest } from '../lib/digest.js';
import { invalidArgument } from '../lib/errors.js';
import { log } from '../lib/log.js';
import type { ContentStore } from '../store/content/content-store.js';
import type { LayerStore } from '../store/layers/layer-store.js';
import type { ImageLayerRef } from './image-record.js';
import type { OpJournal } from './journal.js';

export class Undo {
  private readonly steps: (() => Promise<void>)[] = [];

  add(step: () => Promise<void>): void {
    this.steps.push(step);
  }

  /** Runs the steps newest first; failures are logged, never thrown over the original error. */
  async run(): Promise<void> {
    for (const s of this.steps.reverse()) await s().catch((e) => log.warn('undo step failed', { error: String(e) }));
    this.steps.length = 0;
  }

  clear(): void {
    this.steps.length = 0;
  }
}

/** Puts bytes in the content store, recording an undo step when the blob is new. */
export async function putBlob(content: ContentStore, data: Buffer, undo: Undo, expected?: Digest): Promise<Digest> {
  const existed = await content.has(sha256(data));
  const info = await content.put(data, expected);
  if (!existed) undo.add(() => content.delete(info.digest));
  return info.digest;
}

/**
 * Applies diffIds (tars in the content store) bottom-up on `parent`; each layer's diffId as
 * measured by the LayerStore must equal the blob's digest.
 */
export async function applyLayers(
  content: ContentStore,
  layers: LayerStore,
  parent: Digest | null,
  diffIds: Digest[],
  undo: Undo,
  signal?: AbortSignal,
  journal?: OpJournal,
): Promise<ImageLayerRef[]> {
  const out: ImageLayerRef[] = [];
  let chain = parent;
  for (const diffId of diffIds) {
    const expectedChain = chain === null ? diffId : sha256(`${chain} ${diffId}`);
    const existing = await layers.get(expectedChain);
    if (!existing) await journal?.note({ layers: [expectedChain] });
    const info = existing ?? (await layers.applyLayer(chain, content.readStream(diffId), { signal }));
    if (!existing) undo.add(() => layers.remove(info.chainId));
    if (info.diffId !== diffId || info.chainId !== expectedChain) throw invalidArgument(`layer ${diffId} unpacked with diffId ${info.diffId}`);
    out.push({ diffId, chainId: info.chainId, size: info.size });
    chain = info.chainId;
  }
  return out;
}
