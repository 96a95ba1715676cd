// Docker's filters for `volume ls` (dangling, name, driver, label) and `volume prune` (label,
// label!), with its error texts for unknown filters and bad values.
import { invalidArgument } from '../lib/errors.js';
import type { VolumeRecord } from './volume-record.js';

export type Filters = Record<string, string[]>;

const invalidFilter = (key: string, value?: string[]) =>
  invalidArgument(value === undefined ? `invalid filter '${key}'` : `invalid filter '${key}=${value.length === 1 ? value[0] : `[${value.join(' ')}]`}'`);

function checkKeys(filters: Filters, accepted: string[]): void {
  for (const k of Object.keys(filters)) if (!accepted.includes(k)) throw invalidFilter(k);
}

/** `label=k` (has key) or `label=k=v` (key with value). */
function labelMatches(labels: Record<string, string> | null, spec: string): boolean {
  const i = spec.indexOf('=');
  const key = i < 0 ? spec : spec.slice(0, i);
  if (!labels || !(key in labels)) return false;
  return i < 0 || labels[key] === spec.slice(i + 1);
}

function boolFilter(filters: Filters, key: string): boolean | undefined {
  const v = filters[key];
  if (!v || v.length === 0) return undefined;
  const on = v.map((x) => x.toLowerCase());
  if (on.every((x) => x === 'true' || x === '1')) return true;
  if (on.every((x) => x === 'false' || x === '0')) return false;
  throw invalidFilter(key, v);
}

export interface VolumeView {
  rec: VolumeRecord;
  inUse: boolean;
}

/** `volume ls` filters; several values of one key are ORed, keys are ANDed. */
export function listFilter(filters: Filters): (v: VolumeView) => boolean {
  checkKeys(filters, ['dangling', 'name', 'driver', 'label']);
  const dangling = boolFilter(filters, 'dangling');
  const names = (filters.name ?? []).map((n) => {
    try {
      return new RegExp(n);
    } catch {
      throw invalidFilter('name', [n]);
    }
  });
  return ({ rec, inUse }) => {
    if (dangling !== undefined && dangling === inUse) return false;
    if (names.length && !names.some((re) => re.test(rec.name))) return false;
    if (filters.driver?.length && !filters.driver.includes(rec.driver)) return false;
    if (filters.label?.length && !filters.label.every((l) => labelMatches(rec.labels, l))) return false;
    return true;
  };
}

/** `volume prune` filters (after the route handled `all`). */
export function pruneFilter(filters: Filters): (rec: VolumeRecord) => boolean {
  checkKeys(filters, ['label', 'label!']);
  return (rec) => (filters.label ?? []).every((l) => labelMatches(rec.labels, l)) && (filters['label!'] ?? []).every((l) => !labelMatches(rec.labels, l));
}
