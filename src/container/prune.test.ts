import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pruneContainers, type PruneSource } from './prune.js';
import type { ContainerRecord } from './container-record.js';

test('container prune: stopped ones the filters select, sizes of those removed, failures skipped', async () => {
  const rec = (id: string, created: string) => ({ id, created }) as ContainerRecord;
  const stopped = [rec('a', '2020-01-01T00:00:00Z'), rec('b', '2020-01-02T00:00:00Z'), rec('c', new Date().toISOString())];
  const asked: unknown[] = [];
  const removed: string[] = [];
  const source: PruneSource = {
    list: (o) => {
      asked.push(o);
      return stopped;
    },
    remove: async (id) => {
      if (id === 'b') throw new Error('started meanwhile');
      removed.push(id);
    },
  };
  const r = await pruneContainers(source, { label: ['x=1'], until: ['1h'] }, async (c) => (c.id === 'a' ? 10 : 5));
  assert.deepEqual(asked, [{ all: true, filters: { status: ['exited', 'created', 'dead'], label: ['x=1'] } }]);
  assert.deepEqual(removed, ['a']);
  assert.deepEqual(r, { deleted: ['a'], spaceReclaimed: 10 });
  await assert.rejects(
    pruneContainers(source, { until: ['later'] }, async () => 0),
    /invalid filter 'until=later'/,
  );
});
