// Docker's filters for `volume ls` (dangling, name, driver, label) and `volume prune` (label,
// label!), with its error texts for unknown filters and bad values.
import { invalidArgument } from '../lib/errors.js';
import { labelsMatch } from '../lib/label-filter.js';
import type { VolumeRecord } from './volume-record.js';

export type Filters = Record<string, string[]>;

const invalidFilter = (key: string, value?: string[]) =>
  invalidArgument(value === undefined ? `invalid filter '${key}'` : `invalid filter '${key}=${value.length === 1 ? value[0] : `[${value.join(' ')}]`}'`);

function checkKeys(filters: Filters, accepted: string[]): void {
  for (const k of Object.keys(filters)) if (!accepted.includes(k)) throw invalidFilter(k);
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
    if (filters.label?.length && !labelsMatch(rec.labels, filters.label)) return false;
    return true;
  };
}

/**
 * Docker's `all` prune filter (API >= 1.42; GetBoolOrDefault): whether named volumes go too,
 * and the other filters.
 */
export function splitAllFilter(filters: Filters): { all: boolean; rest: Filters } {
  const { all, ...rest } = filters;
  return { all: all ? (boolFilter({ all }, 'all') ?? false) : false, rest };
}

/** `volume prune` filters (after `all` was taken out, where the API knows it). */
export function pruneFilter(filters: Filters): (rec: VolumeRecord) => boolean {
  checkKeys(filters, ['label', 'label!']);
  return (rec) => labelsMatch(rec.labels, filters.label ?? [], filters['label!'] ?? []);
}
