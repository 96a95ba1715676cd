// Intent records for image mutations (import, load, commit): before an operation puts a blob,
// a layer or an image in the stores it notes it in <root>/journal/<op>.json, and removes the
// file when it ends (success or rolled-back failure). A file still there at startup belongs to
// an operation the daemon died in: what it noted and no image record names is removed, so a
// crash never leaves half an image behind. (A blob committed in the instant before it is noted
// can still leak; it is unreferenced, never inconsistent.)
import { readdir, rm, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { sha256, type Digest } from '../lib/digest.js';
import { ensureDir, readJsonIfExists, writeJsonAtomic } from '../lib/atomic-fs.js';
import { log } from '../lib/log.js';
import type { ContentStore } from '../store/content/content-store.js';
import type { LayerStore } from '../store/layers/layer-store.js';
import type { ImageRecord } from './image-record.js';

interface JournalData {
  blobs: Digest[];
  layers: Digest[]; // chain ids, bottom first
  images: Digest[]; // image ids new to the store
}

export class OpJournal {
  private readonly data: JournalData = { blobs: [], layers: [], images: [] };
  private constructor(private readonly path: string) {}

  static async begin(dir: string): Promise<OpJournal> {
    await ensureDir(dir);
    const j = new OpJournal(join(dir, `${randomBytes(8).toString('hex')}.json`));
    await writeJsonAtomic(j.path, j.data);
    return j;
  }

  /** Notes objects this operation is about to create (or just created). */
  async note(add: Partial<JournalData>): Promise<void> {
    let changed = false;
    for (const k of ['blobs', 'layers', 'images'] as const) {
      for (const d of add[k] ?? []) {
        if (this.data[k].includes(d)) continue;
        this.data[k].push(d);
        changed = true;
      }
    }
    if (changed) await writeJsonAtomic(this.path, this.data);
  }

  /** The operation ended and cleaned up after itself: nothing to recover. */
  async end(): Promise<void> {
    await unlink(this.path).catch(() => {});
  }
}

/**
 * Startup: undoes what interrupted operations noted. Images they added go first (their records
 * and tags), then layers no remaining image names (a layer a container stands on is kept by
 * the layer store), then blobs no remaining image names.
 */
export async function recoverJournals(
  dir: string,
  stores: { content: ContentStore; layers: LayerStore; dropImage: (id: Digest) => Promise<unknown>; records: () => ImageRecord[] },
): Promise<void> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json'));
  for (const name of names) {
    const j = await readJsonIfExists<JournalData>(join(dir, name)).catch(() => undefined);
    if (j) {
      log.warn('undoing an image operation interrupted by a crash', { journal: name, images: j.images.length, layers: j.layers.length, blobs: j.blobs.length });
      for (const id of j.images ?? []) await stores.dropImage(id).catch((e) => log.warn('undo: image not dropped', { id, error: String(e) }));
      const recs = stores.records();
      const chains = new Set(recs.flatMap((r) => r.layers.map((l) => l.chainId)));
      const blobs = new Set(
        recs.flatMap((r) => [
          r.id,
          ...r.layers.map((l) => l.diffId),
          ...r.layers.flatMap((l) => (l.blob ? [l.blob.digest] : [])),
          ...r.manifests.map((m) => m.digest),
        ]),
      );
      for (const c of [...(j.layers ?? [])].reverse()) {
        if (chains.has(c) || !(await stores.layers.get(c))) continue;
        await stores.layers.remove(c).catch((e) => log.warn('undo: layer kept', { chainId: c, error: String(e) }));
      }
      for (const b of j.blobs ?? []) {
        if (blobs.has(b) || !(await stores.content.has(b))) continue;
        await stores.content.delete(b).catch(() => {});
      }
    }
    await rm(join(dir, name), { force: true });
  }
}

/** Notes the config blob and, if the image is new to the store, the image about to be registered. */
export async function noteImage(store: { has(id: Digest): boolean }, journal: OpJournal, config: Buffer): Promise<void> {
  const id = sha256(config);
  await journal.note({ blobs: [id], images: store.has(id) ? [] : [id] });
}
