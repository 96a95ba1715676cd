import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuildCache } from './build-cache.js';
import { cacheKey } from './cache-key.js';

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
  assert.equal(c2.get('k1', () => true), id('1'));
  assert.equal(c2.get('k2', (i) => i !== id('2')), undefined, 'image gone: a miss');
  assert.equal(c2.get('k2', () => true), undefined, 'and the entry is dropped');
  await c2.flush();
  assert.deepEqual(Object.keys(JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')).entries), ['k1']);
  await mkdir(join(c2.mountsDir, 'abc'), { recursive: true });
  await writeFile(join(c2.mountsDir, 'abc', 'f'), 'x'.repeat(100));
  const r = await c2.prune();
  assert.deepEqual(r.cachesDeleted, ['k1', 'mount:abc']);
  assert.equal(r.spaceReclaimed, 100);
  assert.equal((await BuildCache.open(dir)).size, 0);
  await writeFile(join(dir, 'index.json'), '{not json');
  assert.equal((await BuildCache.open(dir)).size, 0, 'a torn index starts empty');
});
