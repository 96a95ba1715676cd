// `docker history`: newest entry first; the entry that made the image carries its id and tags,
// the entries of its local parent chain carry theirs, and the rest show `<missing>` (moby's
// daemon/images/image_history.go). Layer sizes come from the LayerStore's records.
import type { Digest } from '../lib/digest.js';
import { internal } from '../lib/errors.js';
import type { ImageRecord } from './image-record.js';
import type { ImageStore } from './image-store.js';

export interface HistoryItem {
  id: string; // image id or '<missing>'
  created: number; // unix seconds
  createdBy: string;
  tags: string[];
  size: number;
  comment: string;
}

export function imageHistory(store: ImageStore, rec: ImageRecord): HistoryItem[] {
  const cfg = store.config(rec.id);
  const items: HistoryItem[] = [];
  let layer = 0;
  for (const h of cfg.history ?? []) {
    let size = 0;
    if (!h.empty_layer) {
      const l = rec.layers[layer];
      if (!l) throw internal('too many non-empty layers in History section');
      size = l.size;
      layer++;
    }
    items.unshift({
      id: '<missing>',
      created: h.created ? Math.floor(Date.parse(h.created) / 1000) : 0,
      createdBy: h.created_by ?? '',
      tags: [],
      size,
      comment: h.comment ?? '',
    });
  }
  let cur: ImageRecord | undefined = rec;
  for (const it of items) {
    if (!cur) break;
    it.id = cur.id;
    it.tags = store.repoTags(cur.id);
    const parent: Digest | undefined = cur.parent;
    cur = parent && store.has(parent) ? store.resolve(parent) : undefined;
  }
  return items;
}
