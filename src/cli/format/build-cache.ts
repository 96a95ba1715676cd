// The Build Cache parts of `system df` as the docker CLI prints them (formatter/disk_usage.go,
// formatter/buildcache.go): shared records are left out of SIZE (their bytes belong to images),
// RECLAIMABLE is SIZE minus what is in use, and -v lists the records oldest-used first.
import type { BuildCacheItem } from '../../api/types/system.js';
import { humanSizeWithPrecision } from '../../lib/go-units.js';
import { humanDuration } from '../../client/units.js';
import { truncateId } from './ellipsis.js';
import { tabwrite } from './tabwriter.js';

export interface BuildCacheTotals {
  total: number;
  active: number;
  /** Bytes of the records that are not shared. */
  size: number;
  reclaimable: number;
}

export function buildCacheTotals(bc: readonly BuildCacheItem[]): BuildCacheTotals {
  const own = bc.filter((b) => !b.Shared);
  const size = own.reduce((a, b) => a + b.Size, 0);
  const inUse = own.filter((b) => b.InUse).reduce((a, b) => a + b.Size, 0);
  return { total: bc.length, active: bc.filter((b) => b.InUse).length, size, reclaimable: size - inUse };
}

/** The "Build Cache" row of the summary table. */
export function buildCacheRow(bc: readonly BuildCacheItem[]): Record<string, string> {
  const t = buildCacheTotals(bc);
  return {
    Type: 'Build Cache',
    TotalCount: String(t.total),
    Active: String(t.active),
    Size: humanSizeWithPrecision(t.size, 4),
    Reclaimable: humanSizeWithPrecision(t.reclaimable, 4),
  };
}

const since = (iso: string | null | undefined, now: number) => (iso ? `${humanDuration(Math.max(0, now - Date.parse(iso)) / 1000)} ago` : '');

/** The "Build cache usage" section of `system df -v`. */
export function buildCacheVerbose(bc: readonly BuildCacheItem[], now = Date.now()): string {
  const sorted = [...bc].sort((a, b) => {
    const la = a.LastUsedAt ? Date.parse(a.LastUsedAt) : undefined;
    const lb = b.LastUsedAt ? Date.parse(b.LastUsedAt) : undefined;
    if (la === lb) return a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0;
    if (la === undefined) return -1;
    if (lb === undefined) return 1;
    return la - lb;
  });
  const rows = sorted.map((b) =>
    [
      truncateId(b.ID) + (b.InUse ? '*' : ''),
      b.Type,
      humanSizeWithPrecision(b.Size, 3),
      since(b.CreatedAt, now),
      since(b.LastUsedAt, now),
      String(b.UsageCount),
      String(b.Shared),
    ].join('\t'),
  );
  const head = `\nBuild cache usage: ${humanSizeWithPrecision(buildCacheTotals(bc).size, 4)}\n\n`;
  return head + tabwrite(['CACHE ID\tCACHE TYPE\tSIZE\tCREATED\tLAST USED\tUSAGE\tSHARED', ...rows].join('\n') + '\n');
}
