import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Digest } from '../../lib/digest.js';
import type { HistoryEntry } from '../../image/image-config.js';
import { isPrefixImage, matchCacheFrom, type CacheSource } from './cache-from.js';

const d = (c: string) => `sha256:${c.repeat(64)}` as Digest;
const h = (created_by: string, empty = false): HistoryEntry => ({ created: '2026-01-01T00:00:00Z', created_by, ...(empty ? { empty_layer: true } : {}) });
const img = (id: string, history: HistoryEntry[], diff: Digest[]): CacheSource => ({
  id: d(id),
  config: { history, rootfs: { type: 'layers', diff_ids: diff } },
});

// base: one layer; built: base + RUN (layer) + CMD (empty) + COPY (layer)
const base = img('a', [h('imported')], [d('1')]);
const built = img('b', [h('imported'), h('RUN make'), h('CMD x', true), h('COPY f')], [d('1'), d('2'), d('3')]);

test('a step on a prefix of a source with the same created_by is restored from it; the last one is the source itself', () => {
  assert.deepEqual(matchCacheFrom(base, 'RUN make', [built]), { kind: 'restore', source: built, entry: built.config.history![1], layerIndex: 1 });
  const afterRun = img('c', [h('imported'), h('RUN make')], [d('1'), d('2')]);
  assert.deepEqual(matchCacheFrom(afterRun, 'CMD x', [built]), { kind: 'restore', source: built, entry: built.config.history![2], layerIndex: null });
  const afterCmd = img('e', [h('imported'), h('RUN make'), h('CMD x', true)], [d('1'), d('2')]);
  assert.deepEqual(matchCacheFrom(afterCmd, 'COPY f', [built]), { kind: 'image', id: d('b') });
});

test('no hit: another command, another parent history or layers, an empty source', () => {
  assert.equal(matchCacheFrom(base, 'RUN other', [built]), null);
  assert.equal(matchCacheFrom(img('f', [h('imported elsewhere')], [d('1')]), 'RUN make', [built]), null);
  assert.equal(matchCacheFrom(img('g', [h('imported')], [d('9')]), 'RUN make', [built]), null);
  assert.equal(matchCacheFrom(base, 'RUN make', [img('h', [], [])]), null);
  assert.equal(isPrefixImage(built.config, built.config), false, 'an image is no proper prefix of itself');
  assert.equal(isPrefixImage(built.config, null), true, 'scratch is a prefix of any image with history');
});

test('an empty_layer flag absent or false compares equal (reflect.DeepEqual on the decoded struct)', () => {
  const parent = img('i', [{ created: '2026-01-01T00:00:00Z', created_by: 'imported', empty_layer: false }], [d('1')]);
  assert.equal(matchCacheFrom(parent, 'RUN make', [built])?.kind, 'restore');
});
