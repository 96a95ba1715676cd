// Docker's filters for `network ls` (driver, id, label, name, scope, type, dangling) and
// `network prune` (label, label!, until), with dockerd's error texts for unknown keys and values.
import { invalidArgument } from '../lib/errors.js';
import { labelsMatch } from '../lib/label-filter.js';
import { parseUntilFilterMs } from '../lib/time-parse.js';
import type { NetworkRecord } from './types.js';

export type NetworkFilters = Record<string, string[]>;

const LIST_KEYS = new Set(['driver', 'id', 'label', 'name', 'scope', 'type', 'dangling']);
const PRUNE_KEYS = new Set(['label', 'label!', 'until']);

/**
 * The `network ls` predicate; `inUse` says whether a network has endpoints (for `dangling`).
 * Values of one key OR, keys AND; bad keys and `type` values are 400s before anything is listed.
 */
export function networkListFilter(f: NetworkFilters): (n: NetworkRecord, inUse: () => boolean) => boolean {
  for (const k of Object.keys(f)) if (!LIST_KEYS.has(k)) throw invalidArgument(`invalid filter '${k}'`);
  for (const t of f.type ?? []) if (t !== 'custom' && t !== 'builtin') throw invalidArgument(`invalid filter: 'type'='${t}'`);
  return (n, inUse) => {
    if (f.name && !f.name.some((v) => n.name.includes(v))) return false;
    if (f.id && !f.id.some((v) => n.id.startsWith(v))) return false;
    if (f.driver && !f.driver.includes(n.driver)) return false;
    if (f.scope && !f.scope.includes('local')) return false;
    if (f.label && !labelsMatch(n.labels, f.label)) return false;
    if (f.type && !f.type.some((t) => (t === 'custom' ? !n.predefined : !!n.predefined))) return false;
    if (f.dangling?.length) {
      const want = f.dangling[0] === 'true' || f.dangling[0] === '1';
      if (want === (n.predefined || inUse())) return false;
    }
    return true;
  };
}

/** The `network prune` predicate (which networks are unused is the manager's to know). */
export function networkPruneFilter(f: NetworkFilters): (n: NetworkRecord) => boolean {
  for (const k of Object.keys(f)) if (!PRUNE_KEYS.has(k)) throw invalidArgument(`invalid filter '${k}'`);
  const until = f.until?.[0] ? parseUntilFilterMs(f.until[0]) : undefined;
  return (n) => labelsMatch(n.labels, f.label ?? [], f['label!'] ?? []) && (until === undefined || Date.parse(n.created) < until);
}
