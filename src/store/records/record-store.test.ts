import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordStore } from './record-store.js';

interface Thing {
  schemaVersion: number;
  n: number;
  tags: string[];
  inner: { v: string };
}

async function withStore(fn: (s: RecordStore<Thing>, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'records-'));
  try {
    await fn(await RecordStore.open<Thing>(dir), dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('get returns a frozen snapshot that later writes do not change', () =>
  withStore(async (s) => {
    await s.put('a', { schemaVersion: 0, n: 1, tags: ['x'], inner: { v: 'one' } });
    const first = s.get('a')!;
    assert.ok(Object.isFrozen(first) && Object.isFrozen(first.inner) && Object.isFrozen(first.tags));
    assert.throws(() => (first.tags as string[]).push('y'), TypeError);
    await s.update('a', (r) => ({ ...r, n: 2, inner: { v: 'two' } }));
    assert.equal(first.n, 1);
    assert.equal(first.inner.v, 'one');
    assert.equal(s.get('a')!.n, 2);
    assert.equal(s.get('a'), s.get('a'), 'reads allocate nothing');
  }));

test('put does not keep the caller object, and stores the schema version', () =>
  withStore(async (s, dir) => {
    const mine: Thing = { schemaVersion: 0, n: 1, tags: [], inner: { v: 'a' } };
    await s.put('a', mine);
    mine.inner.v = 'changed';
    assert.equal(s.get('a')!.inner.v, 'a');
    assert.equal(mine.schemaVersion, 0);
    assert.equal(JSON.parse(await readFile(join(dir, 'a.json'), 'utf8')).schemaVersion, 1);
  }));

test('update computes from the latest record when writes overlap', () =>
  withStore(async (s) => {
    await s.put('a', { schemaVersion: 1, n: 0, tags: [], inner: { v: '' } });
    await Promise.all(Array.from({ length: 10 }, () => s.update('a', (r) => ({ ...r, n: r.n + 1 }))));
    assert.equal(s.get('a')!.n, 10);
  }));

test('a failed write (the directory is gone) leaves memory as it was', () =>
  withStore(async (s, dir) => {
    await s.put('a', { schemaVersion: 1, n: 1, tags: [], inner: { v: '' } });
    await rm(dir, { recursive: true, force: true });
    await assert.rejects(s.update('a', (r) => ({ ...r, n: 2 })));
    assert.equal(s.get('a')!.n, 1);
  }));

test('update of a missing record is not-found; returning undefined writes nothing', () =>
  withStore(async (s) => {
    await assert.rejects(
      s.update('nope', (r) => r),
      /no record/,
    );
    const snap = await s.put('a', { schemaVersion: 1, n: 1, tags: [], inner: { v: '' } });
    assert.equal(await s.update('a', () => undefined), snap);
  }));
