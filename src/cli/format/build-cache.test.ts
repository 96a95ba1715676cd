import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCacheRow, buildCacheVerbose } from './build-cache.js';
import { humanSizeWithPrecision } from '../../lib/go-units.js';
import type { BuildCacheItem } from '../../api/types/system.js';

const item = (over: Partial<BuildCacheItem>): BuildCacheItem => ({
  ID: 'x',
  Type: 'regular',
  Description: '',
  InUse: false,
  Shared: false,
  Size: 0,
  CreatedAt: '2024-01-01T00:00:00Z',
  LastUsedAt: null,
  UsageCount: 1,
  ...over,
});

test('go-units sizes', () => {
  assert.equal(humanSizeWithPrecision(0, 4), '0B');
  assert.equal(humanSizeWithPrecision(16_432_000, 4), '16.43MB');
  assert.equal(humanSizeWithPrecision(16_432_000, 3), '16.4MB');
  assert.equal(humanSizeWithPrecision(999, 4), '999B');
});

test('the Build Cache row leaves shared records out of SIZE and in-use ones out of RECLAIMABLE', () => {
  const bc = [item({ ID: 'a', Shared: true, Size: 5_000_000 }), item({ ID: 'b', Size: 2000 }), item({ ID: 'c', Size: 1000, InUse: true })];
  assert.deepEqual(buildCacheRow(bc), { Type: 'Build Cache', TotalCount: '3', Active: '1', Size: '3kB', Reclaimable: '2kB' });
  assert.deepEqual(buildCacheRow([]), { Type: 'Build Cache', TotalCount: '0', Active: '0', Size: '0B', Reclaimable: '0B' });
});

test('-v lists records never used first, then by last use; in-use ids get a star', () => {
  const now = Date.parse('2024-01-01T01:00:00Z');
  const out = buildCacheVerbose(
    [
      item({ ID: 'bbbbbbbbbbbbbbbbbbbb', LastUsedAt: '2024-01-01T00:59:00Z', Size: 1234, InUse: true, Type: 'exec.cachemount' }),
      item({ ID: 'aaaa', Shared: true, Size: 10 }),
    ],
    now,
  );
  const lines = out.split('\n');
  assert.equal(lines[1], 'Build cache usage: 1.234kB');
  assert.match(lines[3]!, /^CACHE ID\s+CACHE TYPE\s+SIZE\s+CREATED\s+LAST USED\s+USAGE\s+SHARED$/);
  assert.match(lines[4]!, /^aaaa\s+regular\s+10B\s+About an hour ago\s+1\s+true$/);
  assert.match(lines[5]!, /^bbbbbbbbbbbb\*\s+exec\.cachemount\s+1\.23kB\s+About an hour ago\s+About a minute ago\s+1\s+false$/);
});
