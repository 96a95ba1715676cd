// What `system df` reports as build cache, in domain terms (api/routes maps it to Docker's
// BuildCache records). Two kinds of record, as BuildKit names them:
// - "regular": one per cache entry, i.e. per step result the classic builder can reuse. Its size
//   is the layer that step added (0 for a config-only step), and it is "shared": the layer
//   belongs to an image the image store keeps and counts (`docker images -a`), so pruning the
//   cache frees none of it. The docker CLI therefore leaves it out of the Build Cache SIZE.
// - "exec.cachemount": one per RUN --mount=type=cache directory, sized by its files; not
//   shared, in use while a RUN step has it mounted. This is the space `builder prune` frees.
import type { Digest } from '../../lib/digest.js';
import type { ImageRecord } from '../../image/image-record.js';
import { entryRecordId, type BuildCache } from './build-cache.js';

export interface BuildCacheRecord {
  id: string;
  parents: string[];
  type: 'regular' | 'exec.cachemount';
  description: string;
  inUse: boolean;
  shared: boolean;
  size: number;
  createdAt: string; // RFC 3339
  lastUsedAt: string | null;
  usageCount: number;
}

/** What the usage report reads of the image store. */
export interface CacheImages {
  all(): ImageRecord[];
  config(id: Digest): { history?: Array<{ created_by?: string }> };
}

export async function buildCacheUsage(cache: BuildCache, images: CacheImages): Promise<BuildCacheRecord[]> {
  const byId = new Map(images.all().map((r) => [r.id, r]));
  const entries = cache.list().filter(([, e]) => byId.has(e.image));
  const keysOf = new Map<Digest, string[]>();
  for (const [k, e] of entries) (keysOf.get(e.image) ?? keysOf.set(e.image, []).get(e.image)!).push(entryRecordId(k));
  const out: BuildCacheRecord[] = [];
  for (const [key, e] of entries) {
    const rec = byId.get(e.image)!;
    const parent = rec.parent ? byId.get(rec.parent) : undefined;
    const own = rec.layers.length > (parent?.layers.length ?? 0) ? rec.layers[rec.layers.length - 1]!.size : 0;
    let description = '';
    try {
      description = images.config(e.image).history?.at(-1)?.created_by ?? '';
    } catch {
      /* config gone meanwhile: no description */
    }
    out.push({
      id: entryRecordId(key),
      parents: rec.parent ? (keysOf.get(rec.parent) ?? []) : [],
      type: 'regular',
      description,
      inUse: false,
      shared: true,
      size: own,
      createdAt: e.created,
      lastUsedAt: e.lastUsed ?? null,
      usageCount: e.usage,
    });
  }
  for (const m of await cache.listMounts()) {
    out.push({
      id: m.name,
      parents: [],
      type: 'exec.cachemount',
      description: m.meta.description,
      inUse: m.inUse,
      shared: false,
      size: m.size,
      createdAt: m.meta.created,
      lastUsedAt: m.meta.lastUsed ?? null,
      usageCount: m.meta.usage,
    });
  }
  return out;
}
