import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuildCache } from './build-cache.js';
import { cacheKey } from './cache-key.js';
import { buildCacheUsage, type CacheImages } from './cache-usage.js';
import type { ImageRecord } from '../../image/image-record.js';

const id = (c: string) => `sha256:${c.repeat(64)}` as const;

test('cache keys: every input counts, arg order does not, fields cannot run together', () => {
  const base = { parent: id('a'), instruction: { kind: 'run', cmd: ['sh', '-c', 'x'] }, args: { A: '1', B: '2' }, sources: ['sha256:s'] };
  const k = cacheKey(base);
  assert.match(k, /^sha256:[0-9a-f]{64}$/);
  assert.equal(cacheKey({ ...base, args: { B: '2', A: '1' } }), k);
  assert.notEqual(cacheKey({ ...base, parent: id('b') }), k);
  assert.notEqual(cacheKey({ ...base, parent: null }), k);
  assert.notEqual(cacheKey({ ...base, args: { A: '1', B: '3' } }), k);
  assert.notEqual(cacheKey({ ...base, sources: ['sha256:t'] }), k);
  assert.notEqual(cacheKey({ ...base, instruction: { kind: 'run', cmd: ['sh', '-c', 'y'] } }), k);
  assert.notEqual(cacheKey({ ...base, sources: ['ab', 'c'] }), cacheKey({ ...base, sources: ['a', 'bc'] }));
  assert.notEqual(cacheKey({ ...base, sources: ['x'] }), cacheKey({ ...base, sources: [], extra: ['x'] }));
});

test('index persists across reopen, drops entries whose image is gone, prune clears mounts', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), `berth-cache-${process.pid}-`));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const c = await BuildCache.open(dir);
  c.put('k1', id('1'));
  c.put('k2', id('2'));
  await c.flush();
  const c2 = await BuildCache.open(dir);
  assert.equal(
    c2.get('k1', () => true),
    id('1'),
  );
  assert.equal(
    c2.get('k2', (i) => i !== id('2')),
    undefined,
    'image gone: a miss',
  );
  assert.equal(
    c2.get('k2', () => true),
    undefined,
    'and the entry is dropped',
  );
  await c2.flush();
  assert.deepEqual(Object.keys(JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')).entries), ['k1']);
  await mkdir(join(c2.mountsDir, 'abc'), { recursive: true });
  await writeFile(join(c2.mountsDir, 'abc', 'f'), 'x'.repeat(100));
  const r = await c2.prune();
  assert.deepEqual(r.cachesDeleted, ['k1', 'abc']);
  assert.equal(r.spaceReclaimed, 100);
  assert.equal((await BuildCache.open(dir)).size, 0);
  await writeFile(join(dir, 'index.json'), '{not json');
  assert.equal((await BuildCache.open(dir)).size, 0, 'a torn index starts empty');
});

test('entries and mounts keep created/last used/usage; a v1 index is read; prune spares mounts in use', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), `berth-cache-${process.pid}-`));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 1, entries: { 'sha256:k1': id('1') } }));
  const c = await BuildCache.open(dir);
  const e1 = c.list()[0]![1];
  assert.equal(e1.usage, 1);
  assert.ok(!Number.isNaN(Date.parse(e1.created)));
  assert.equal(e1.lastUsed, undefined);
  assert.equal(
    c.get('sha256:k1', () => true),
    id('1'),
  );
  const after = c.list()[0]![1];
  assert.equal(after.usage, 2, 'a hit is a use');
  assert.ok(after.lastUsed);

  await mkdir(join(c.mountsDir, 'busy'));
  await writeFile(join(c.mountsDir, 'busy', 'f'), 'y'.repeat(10));
  await mkdir(join(c.mountsDir, 'idle'));
  await writeFile(join(c.mountsDir, 'idle', 'f'), 'z'.repeat(7));
  const release = c.useMount('busy', 'cached mount /c from exec sh');
  c.useMount('idle', 'cached mount /d from exec sh')();
  await c.flush();
  const reopened = await BuildCache.open(dir);
  const mounts = new Map((await reopened.listMounts()).map((m) => [m.name, m]));
  assert.equal(mounts.get('busy')?.meta.description, 'cached mount /c from exec sh', 'mount metadata persists');
  assert.equal(mounts.get('idle')?.size, 7);
  assert.equal((await c.listMounts()).find((m) => m.name === 'busy')?.inUse, true);
  const r = await c.prune();
  assert.deepEqual(r.cachesDeleted, ['k1', 'idle']);
  assert.equal(r.spaceReclaimed, 7);
  assert.deepEqual(
    (await c.listMounts()).map((m) => m.name),
    ['busy'],
    'the mount in use stays',
  );
  release();
  assert.deepEqual((await c.prune()).cachesDeleted, ['busy']);
});

test('usage report: a regular record per live entry with its own layer size (shared), a cachemount record per directory', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), `berth-cache-${process.pid}-`));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const layer = (n: string, size: number) => ({ diffId: id(n), chainId: id(n), size });
  const rec = (i: string, layers: ReturnType<typeof layer>[], parent?: string): ImageRecord => ({
    schemaVersion: 1,
    id: id(i),
    ...(parent ? { parent: id(parent) } : {}),
    created: '',
    addedAt: '',
    size: 0,
    layers,
    manifests: [],
  });
  const base = rec('a', [layer('1', 1000)]);
  const run = rec('b', [layer('1', 1000), layer('2', 300)], 'a');
  const env = rec('c', [layer('1', 1000), layer('2', 300)], 'b');
  const images: CacheImages = {
    all: () => [base, run, env],
    config: (i) => ({ history: [{ created_by: i === id('b') ? '/bin/sh -c make' : '/bin/sh -c #(nop)  ENV A=1' }] }),
  };
  const c = await BuildCache.open(dir);
  c.put('sha256:kb', id('b'));
  c.put('sha256:kc', id('c'));
  c.put('sha256:gone', id('f'));
  await mkdir(join(c.mountsDir, 'm1'));
  await writeFile(join(c.mountsDir, 'm1', 'f'), 'x'.repeat(42));
  const release = c.useMount('m1', 'cached mount /c from exec make');
  const recs = new Map((await buildCacheUsage(c, images)).map((r) => [r.id, r]));
  assert.deepEqual([...recs.keys()].sort(), ['kb', 'kc', 'm1'], 'an entry whose image is gone is not reported');
  assert.equal(recs.get('kb')!.size, 300);
  assert.equal(recs.get('kb')!.description, '/bin/sh -c make');
  assert.equal(recs.get('kc')!.size, 0, 'a config-only step adds no layer');
  assert.deepEqual(recs.get('kc')!.parents, ['kb']);
  assert.equal(recs.get('kb')!.shared, true);
  assert.equal(recs.get('kb')!.type, 'regular');
  const m = recs.get('m1')!;
  assert.deepEqual([m.type, m.size, m.shared, m.inUse, m.usageCount], ['exec.cachemount', 42, false, true, 1]);
  release();
  assert.equal((await buildCacheUsage(c, images)).find((r) => r.id === 'm1')!.inUse, false);
});
