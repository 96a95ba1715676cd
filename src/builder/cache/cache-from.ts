// `--cache-from` as the classic builder does it (moby daemon/images/cache.go, imageCache): the
// named images' history is the cache. A step on parent P hits source image T when P is a
// prefix of T (the same history entries and layer diffIDs) and T's next history entry was
// created by the same command as the step; the step's result is then T itself (when that entry
// is T's last) or an image of P's layers plus T's layer for that entry. While cache sources are
// named, a hit of the local build cache counts only if it is an ancestor of one of them.
// Pure decisions here; executor/commit-meta.ts makes the images.
import type { Digest } from '../../lib/digest.js';
import type { HistoryEntry, ImageConfig } from '../../image/image-config.js';

export interface CacheSource {
  id: Digest;
  config: Pick<ImageConfig, 'history' | 'rootfs'>;
}

export type CacheFromHit =
  /** The source image itself is the step's result. */
  | { kind: 'image'; id: Digest }
  /** A new image: the parent plus the source's history entry (and its layer, unless empty). */
  | { kind: 'restore'; source: CacheSource; entry: HistoryEntry; layerIndex: number | null };

/** Docker compares history entries with reflect.DeepEqual: the same fields, an absent empty_layer as false. */
function sameEntry(a: HistoryEntry, b: HistoryEntry): boolean {
  const norm = (h: HistoryEntry) => JSON.stringify([h.created ?? '', h.created_by ?? '', h.author ?? '', h.comment ?? '', h.empty_layer === true]);
  return norm(a) === norm(b);
}

/** moby's isValidParent: `parent` (null: scratch) is a prefix of `img`. */
export function isPrefixImage(img: CacheSource['config'], parent: CacheSource['config'] | null): boolean {
  const ih = img.history ?? [];
  if (!ih.length) return false;
  const ph = parent?.history ?? [];
  const pd = parent?.rootfs.diff_ids ?? [];
  if (!ph.length && !pd.length) return true;
  if (ph.length >= ih.length || pd.length > img.rootfs.diff_ids.length) return false;
  return ph.every((h, i) => sameEntry(h, ih[i]!)) && pd.every((d, i) => d === img.rootfs.diff_ids[i]);
}

/** The index in rootfs.diff_ids of the layer history entry `index` made, or null for an empty one. */
function layerIndexOf(history: readonly HistoryEntry[], index: number): number | null {
  if (history[index]!.empty_layer) return null;
  return history.slice(0, index).filter((h) => !h.empty_layer).length;
}

/**
 * The source that caches a step: `parent` is the step's parent image (null on scratch),
 * `createdBy` the history text the step would record. Sources are tried in order.
 */
export function matchCacheFrom(
  parent: { id: Digest; config: CacheSource['config'] } | null,
  createdBy: string,
  sources: readonly CacheSource[],
): CacheFromHit | null {
  const n = parent?.config.history?.length ?? 0;
  for (const src of sources) {
    const h = src.config.history ?? [];
    if (!isPrefixImage(src.config, parent?.config ?? null) || h[n]?.created_by !== createdBy) continue;
    if (h.length - 1 === n) return { kind: 'image', id: src.id };
    const layerIndex = layerIndexOf(h, n);
    // The entry's layer sits right above the parent's (else the image's history and layers disagree).
    if (layerIndex !== null && (layerIndex >= src.config.rootfs.diff_ids.length || layerIndex !== (parent?.config.rootfs.diff_ids.length ?? 0))) continue;
    return { kind: 'restore', source: src, entry: h[n]!, layerIndex };
  }
  return null;
}
