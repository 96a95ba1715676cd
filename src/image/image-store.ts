// ImageStore: image records (one JSON per image id under <root>/images), the repository index
// (<root>/repositories.json) and image configs (blobs in the content store). Layers live in the
// LayerStore; an image holds them through its record, and deleting the last image that names a
// layer removes it. Readers use in-memory snapshots; writers are serialised by one lock.
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import type { ContentStore } from '../store/content/content-store.js';
import type { LayerStore } from '../store/layers/layer-store.js';
import { RecordStore } from '../store/records/record-store.js';
import { KeyedMutex } from '../lib/mutex.js';
import { ensureDir } from '../lib/atomic-fs.js';
import { invalidArgument, isBerthError } from '../lib/errors.js';
import { noSuchImage } from '../lib/docker-messages.js';
import type { Digest } from '../lib/digest.js';
import { log } from '../lib/log.js';
import { parseImageConfig, type ImageConfig } from './image-config.js';
import { chainIds } from '../lib/chain-id.js';
import { topChainId, type ImageLayerRef, type ImageManifestRef, type ImageRecord } from './image-record.js';
import { RefIndex, isDigestRef } from './ref-index.js';
import {
  familiarString,
  formatReference,
  normaliseRefKey,
  parseImageLookup,
  parseReference,
  parseRepoTag,
  withDefaultTag,
  type ImageReference,
} from '../lib/reference.js';
import { listImages, type ImageListOptions, type ImageSummary } from './image-list.js';
import { imageHistory, type HistoryItem } from './image-history.js';
import { deleteImage, pruneImages, type DeleteItem, type ImageUsers, type PruneResult } from './image-delete.js';
import { OpJournal, recoverJournals } from './journal.js';
import { formatPlatform, hostPlatform, normalizePlatform, platformRank, type Platform } from '../lib/platform.js';

/** Two images of one platform (a config that names no architecture counts as any: the new image replaces it). */
const samePlatform = (a: Platform, b: Platform) =>
  !a.architecture || !b.architecture || formatPlatform(normalizePlatform(a)) === formatPlatform(normalizePlatform(b));

/**
 * The images a name holds, the one it shows first: the best for this host (as Docker's
 * containerd store shows the host's platform of an index), else the newest (`ids[0]`).
 */
function orderForHost(ids: Digest[], platformOf: (id: Digest) => Platform): Digest[] {
  const host = hostPlatform({ maximum: true });
  let best = 0;
  let bestRank = Number.POSITIVE_INFINITY;
  ids.forEach((id, i) => {
    const r = platformRank(host, platformOf(id), { fallback: true });
    if (r >= 0 && r < bestRank) [best, bestRank] = [i, r];
  });
  return [ids[best]!, ...ids.filter((_, i) => i !== best)];
}

/**
 * Where the store reports Docker's image events (tag, untag, delete, load, import, pull). Every
 * image event comes from the image domain, once, after the change it reports is durable.
 */
export interface ImageEventSink {
  emit(action: ImageEventAction, id: string, attributes?: Record<string, string>): void;
}
export type ImageEventAction = 'tag' | 'untag' | 'delete' | 'load' | 'import' | 'pull' | 'push';

export interface ImageStoreOptions {
  root: string;
  content: ContentStore;
  layers: LayerStore;
  events?: ImageEventSink;
}

export interface RegisterInput {
  /** The config's exact bytes: the image id is their sha256. */
  config: Buffer;
  /** Layers already in the LayerStore, bottom first; must match config.rootfs.diff_ids. */
  layers: ImageLayerRef[];
  parent?: Digest;
  manifest?: ImageManifestRef;
  /** References to point at the image (typed or normalised; tags or digests). */
  refs?: string[];
}

export interface RegisterResult {
  record: ImageRecord;
  /** Tags moved away from another image ("renaming the old one ... to empty string"). */
  moved: { ref: string; oldId: Digest }[];
}

/** Everything `docker image inspect` shows, in domain terms (api/routes maps the names). */
export interface ImageDetails {
  record: ImageRecord;
  config: ImageConfig;
  repoTags: string[]; // familiar
  repoDigests: string[]; // familiar
  lastTagTime?: string;
}

export class ImageStore {
  private readonly configs = new Map<Digest, ImageConfig>();
  private readonly lock = new KeyedMutex();

  private constructor(
    readonly root: string,
    readonly content: ContentStore,
    readonly layers: LayerStore,
    /** @internal */ readonly records: RecordStore<ImageRecord>,
    /** @internal */ readonly refs: RefIndex,
    private readonly events: ImageEventSink,
  ) {}

  static async open(opts: ImageStoreOptions): Promise<ImageStore> {
    await ensureDir(opts.root);
    // Spilled load tars from an interrupted load are garbage.
    await rm(join(opts.root, 'tmp'), { recursive: true, force: true });
    const records = await RecordStore.open<ImageRecord>(join(opts.root, 'images'));
    const refs = await RefIndex.open(opts.root);
    const store = new ImageStore(opts.root, opts.content, opts.layers, records, refs, opts.events ?? { emit: () => {} });
    for (const rec of records.values()) {
      try {
        store.configs.set(rec.id, parseImageConfig(await opts.content.read(rec.id)));
      } catch (e) {
        log.warn('image config unreadable; image dropped', { id: rec.id, error: String(e) });
        await records.delete(rec.id);
      }
    }
    // Image operations a crash interrupted: remove the half-made images, layers and blobs.
    await recoverJournals(join(opts.root, 'journal'), {
      content: opts.content,
      layers: opts.layers,
      dropImage: (id) => store.dropImage(id),
      records: () => records.values(),
    });
    // References to images that no longer exist (a crash between record delete and index write).
    await refs.update(
      refs
        .entries()
        .filter(([, id]) => !records.has(id))
        .map(([k]) => [k, undefined]),
    );
    await refs.forget(new Set(refs.entries().flatMap(([k]) => refs.others(k).filter((o) => !records.has(o)))));
    return store;
  }

  /** Where load/import spill temporary files (same filesystem as the content store root). */
  tmpDir(): string {
    return join(this.root, 'tmp');
  }

  /** Starts the intent record of an import/load/commit (see journal.ts); end() it when done. */
  beginOp(): Promise<OpJournal> {
    return OpJournal.begin(join(this.root, 'journal'));
  }

  /** Runs fn with the store's writer lock (one image mutation at a time). */
  withWriteLock<T>(fn: () => Promise<T>): Promise<T> {
    return this.lock.run('images', fn);
  }

  /** Reports an image event; for the image domain's operations (load, import, pull) that change the store. */
  emitEvent(action: ImageEventAction, id: string, attributes?: Record<string, string>): void {
    this.events.emit(action, id, attributes);
  }

  /** Resolves a reference, digest reference, full id or unique id prefix; not-found otherwise. */
  resolve(refOrId: string): ImageRecord {
    const look = parseImageLookup(refOrId);
    if (look.kind === 'id') {
      const rec = this.records.get(look.id);
      if (!rec) throw noSuchImage(look.id);
      return rec;
    }
    const ref = formatReference(look.ref);
    const id = this.refs.get(look.ref.digest ? formatReference({ ...look.ref, tag: undefined }) : ref);
    if (id && this.records.has(id)) return this.records.get(id)!;
    if (look.idPrefix !== undefined) {
      const hits = this.records.keys().filter((k) => k.slice(7).startsWith(look.idPrefix!));
      if (hits.length === 1) return this.records.get(hits[0]!)!;
    }
    throw noSuchImage(familiarString(look.ref));
  }

  async get(refOrId: string): Promise<ImageRecord> {
    return this.resolve(refOrId);
  }

  /** The image `refOrId` shows, then the other platforms' images a name holds (multi-platform names). */
  resolveAll(refOrId: string): ImageRecord[] {
    const rec = this.resolve(refOrId);
    const look = parseImageLookup(refOrId);
    if (look.kind === 'id' || this.refs.get(normaliseRefKey(refOrId)) !== rec.id) return [rec];
    return [rec, ...this.refs.others(normaliseRefKey(refOrId)).flatMap((o) => this.records.get(o) ?? [])];
  }

  /** An image's platform as its config names it. */
  platformOf(id: Digest): Platform {
    const c = this.config(id);
    return { os: c.os, architecture: c.architecture, ...(c.variant ? { variant: c.variant } : {}) };
  }

  has(id: Digest): boolean {
    return this.records.has(id);
  }

  /** The parsed config of a stored image (cached). */
  config(imageId: Digest): ImageConfig {
    const c = this.configs.get(imageId);
    if (!c) throw noSuchImage(imageId);
    return c;
  }

  /** The config's exact bytes (for save/push). */
  configBytes(imageId: Digest): Promise<Buffer> {
    return this.content.read(imageId);
  }

  /** The committed layer a container's snapshot stands on (null for an image with no layers). */
  rootfsChainId(refOrId: string): Digest | null {
    return topChainId(this.resolve(refOrId));
  }

  repoTags(id: Digest): string[] {
    return this.refs
      .refsOf(id)
      .filter((r) => !isDigestRef(r))
      .map((r) => familiarString(parseReference(r)));
  }

  repoDigests(id: Digest): string[] {
    return this.refs
      .refsOf(id)
      .filter(isDigestRef)
      .map((r) => familiarString(parseReference(r)));
  }

  inspect(refOrId: string): ImageDetails {
    const record = this.resolve(refOrId);
    const d: ImageDetails = { record, config: this.config(record.id), repoTags: this.repoTags(record.id), repoDigests: this.repoDigests(record.id) };
    const t = this.refs.lastTagTime(record.id);
    if (t) d.lastTagTime = t;
    return d;
  }

  all(): ImageRecord[] {
    return this.records.values();
  }

  /** Image ids whose local parent is `id`. */
  children(id: Digest): Digest[] {
    return this.records
      .values()
      .filter((r) => r.parent === id)
      .map((r) => r.id);
  }

  list(opts: ImageListOptions = {}): ImageSummary[] {
    return listImages(this, opts);
  }

  history(refOrId: string): HistoryItem[] {
    return imageHistory(this, this.resolve(refOrId));
  }

  /**
   * `docker tag source target` (and a build's -t): target is repo[:tag]; an existing tag moves
   * to the image. The one `tag` event names the target in its familiar form, as dockerd does.
   */
  async tag(source: string, target: string | ImageReference): Promise<void> {
    const [rec, ...others] = this.resolveAll(source);
    const ref = typeof target === 'string' ? parseRepoTag(target) : withDefaultTag(target);
    if (ref.digest !== undefined) throw invalidArgument('refusing to create a tag with a digest reference');
    // The new name holds every platform the source name holds.
    await this.withWriteLock(() => this.refs.update([[formatReference(ref), rec!.id, others.map((o) => o.id)]]));
    this.events.emit('tag', rec.id, { name: familiarString(ref) });
  }

  /**
   * Points one reference (tag or digest) at several images, one per platform (a multi-platform
   * build's -t, the digest of a pushed index): the name shows the host's best, as registerLocked
   * orders it. `event`: report Docker's tag event (a build's -t) or not (a digest reference).
   */
  async setPlatforms(target: string, ids: readonly Digest[], o: { event?: boolean } = {}): Promise<void> {
    const key = normaliseRefKey(target);
    const recs = ids.map((id) => this.resolve(id));
    const [shown, ...others] = orderForHost(
      recs.map((r) => r.id),
      (o) => this.platformOf(o),
    );
    await this.withWriteLock(() => this.refs.update([[key, shown!, others]]));
    if (o.event !== false) this.events.emit('tag', shown!, { name: familiarString(parseReference(key)) });
  }

  /** Removes one reference (tag or digest), leaving the image; not-found if it is not set. */
  async untag(ref: string): Promise<Digest> {
    const key = normaliseRefKey(ref);
    return this.withWriteLock(async () => {
      const id = this.refs.get(key);
      if (!id) throw noSuchImage(familiarString(parseReference(key)));
      await this.refs.update([[key, undefined]]);
      return id;
    });
  }

  /** `docker rmi`: Docker's untag-vs-delete rules and conflicts; see image-delete.ts. */
  async remove(refOrId: string, opts: { force?: boolean; noPrune?: boolean } = {}, users: ImageUsers = () => []): Promise<DeleteItem[]> {
    const items = await this.withWriteLock(() => deleteImage(this, refOrId, !!opts.force, !opts.noPrune, users));
    for (const i of items) {
      if ('Untagged' in i) this.events.emit('untag', i.Untagged);
      else this.events.emit('delete', i.Deleted);
    }
    return items;
  }

  prune(opts: { all?: boolean; filters?: Record<string, string[]> } = {}, users: ImageUsers = () => []): Promise<PruneResult> {
    return this.withWriteLock(() => pruneImages(this, opts, users));
  }

  /**
   * Adds an image whose layers are already applied. Idempotent: an existing image keeps its
   * record (a new manifest digest is added). Call inside withWriteLock when the caller also
   * applied layers, so a concurrent delete cannot drop them in between.
   */
  async registerLocked(input: RegisterInput): Promise<RegisterResult> {
    const config = parseImageConfig(input.config);
    const diffIds = config.rootfs.diff_ids;
    const chains = chainIds(diffIds);
    if (diffIds.length !== input.layers.length || input.layers.some((l, i) => l.diffId !== diffIds[i] || l.chainId !== chains[i]))
      throw invalidArgument('image layers do not match the config rootfs.diff_ids');
    const id = (await this.content.put(input.config)).digest;
    let record = this.records.get(id);
    if (!record) {
      const now = new Date().toISOString();
      record = {
        schemaVersion: 1,
        id,
        created: config.created ?? now,
        addedAt: now,
        size: input.layers.reduce((s, l) => s + l.size, 0),
        layers: input.layers,
        manifests: input.manifest ? [input.manifest] : [],
        ...(input.parent && this.records.has(input.parent) ? { parent: input.parent } : {}),
      };
      await this.records.put(id, record);
    } else if (input.manifest && !record.manifests.some((m) => m.digest === input.manifest!.digest)) {
      record = { ...record, manifests: [...record.manifests, input.manifest] };
      await this.records.put(id, record);
    }
    this.configs.set(id, config);
    const moved: RegisterResult['moved'] = [];
    const changes: [string, Digest, Digest[]][] = [];
    for (const r of input.refs ?? []) {
      const key = normaliseRefKey(r);
      const old = this.refs.get(key);
      // A name keeps one image per platform: the new one replaces the image of its own platform.
      const held = old === undefined ? [] : [old, ...this.refs.others(key)].filter((o) => o !== id && this.records.has(o));
      const kept = held.filter((o) => !samePlatform(this.platformOf(o), this.platformOf(id)));
      for (const o of held) if (!kept.includes(o)) moved.push({ ref: familiarString(parseReference(key)), oldId: o });
      const [shown, ...others] = orderForHost([id, ...kept], (o) => this.platformOf(o));
      changes.push([key, shown!, others]);
    }
    await this.refs.update(changes);
    return { record, moved };
  }

  /**
   * Remembers the compressed blob a push made for a layer (its digest and size; the bytes are
   * not kept), so the next push of the same image finds its digest without compressing again.
   * Returns false when the image is gone. Layers already naming a blob keep it.
   */
  async recordLayerBlobs(id: Digest, blobs: ReadonlyMap<Digest, NonNullable<ImageLayerRef['blob']>>): Promise<boolean> {
    return this.withWriteLock(async () => {
      const rec = this.records.get(id);
      if (!rec) return false;
      let changed = false;
      const layers = rec.layers.map((l) => {
        const b = blobs.get(l.diffId);
        if (l.blob || !b) return l;
        changed = true;
        return { ...l, blob: b };
      });
      if (changed) await this.records.put(id, { ...rec, layers });
      return true;
    });
  }

  register(input: RegisterInput): Promise<RegisterResult> {
    return this.withWriteLock(() => this.registerLocked(input));
  }

  /**
   * Removes a damaged image (system check's repair): its references and record go, the layers and
   * blobs no other image uses are released (damaged ones were already moved aside). One
   * `delete` event, as an rmi would report.
   */
  async removeDamaged(id: Digest): Promise<void> {
    const dropped = await this.withWriteLock(async () => (this.records.has(id) ? (await this.dropImage(id), true) : false));
    if (dropped) this.events.emit('delete', id);
  }

  /** Forgets the compressed blobs and manifests of an image that are no longer in the content store (system check's repair). */
  async forgetMissingBlobs(id: Digest, missing: ReadonlySet<Digest>): Promise<void> {
    await this.withWriteLock(async () => {
      const rec = this.records.get(id);
      if (!rec) return;
      const layers = rec.layers.map((l) => {
        if (!l.blob || !missing.has(l.blob.digest)) return l;
        const { blob: _gone, ...rest } = l;
        return rest;
      });
      const manifests = rec.manifests.filter((m) => !missing.has(m.digest));
      await this.records.put(id, { ...rec, layers, manifests });
    });
  }

  /** @internal Drops an image record and releases its config and the layers no other image uses. */
  async dropImage(id: Digest): Promise<Digest[]> {
    const rec = this.records.get(id);
    if (!rec) return [];
    await this.refs.update(this.refs.refsOf(id).map((k) => [k, undefined]));
    await this.refs.forget(new Set([id]));
    await this.records.delete(id);
    this.configs.delete(id);
    await this.content.delete(id).catch((e) => log.warn('config blob not deleted', { id, error: String(e) }));
    return this.releaseLayers(rec);
  }

  /** @internal Removes the layers (and their blobs) of `rec` that no remaining image names. */
  async releaseLayers(rec: Pick<ImageRecord, 'layers' | 'manifests'>): Promise<Digest[]> {
    const others = this.records.values();
    const usedChains = new Set(others.flatMap((r) => r.layers.map((l) => l.chainId)));
    const usedBlobs = new Set(
      others.flatMap((r) => [
        ...r.layers.map((l) => l.diffId),
        ...r.layers.flatMap((l) => (l.blob ? [l.blob.digest] : [])),
        ...r.manifests.map((m) => m.digest),
      ]),
    );
    const removed: Digest[] = [];
    for (const l of [...rec.layers].reverse()) {
      if (usedChains.has(l.chainId)) continue;
      try {
        await this.layers.remove(l.chainId);
        removed.push(l.chainId);
      } catch (e) {
        if (isBerthError(e, 'not-found')) continue; // already gone (a damaged layer quarantined by system check)
        // A container snapshot still stands on it (forced delete): the layer outlives the image.
        log.debug('layer kept', { chainId: l.chainId, error: String(e) });
        break;
      }
    }
    const blobs = [...rec.layers.flatMap((l) => [l.diffId, ...(l.blob ? [l.blob.digest] : [])]), ...rec.manifests.map((m) => m.digest)];
    for (const b of new Set(blobs)) if (!usedBlobs.has(b)) await this.content.delete(b).catch(() => {});
    return removed;
  }
}
