import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VolumeStore } from './volume-store.js';
import { ContainerVolumes } from './container-volumes.js';
import type { MountsInput } from './mount-point.js';

async function tempRoot(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), `berth-vol-${process.pid}-`));
  t.after(() => rm(d, { recursive: true, force: true }));
  return join(d, 'volumes');
}
const none: MountsInput = { binds: [], mounts: [], tmpfs: {}, volumesFrom: [], imageVolumes: [] };
const noLookup = { resolveContainer: () => undefined };

async function rejects(p: Promise<unknown>, kind: string, message: string): Promise<void> {
  await assert.rejects(p, (e: Error & { kind?: string }) => {
    assert.equal(e.message, message);
    assert.equal(e.kind, kind);
    return true;
  });
}

test('create, get, list and remove a named volume', async (t) => {
  const root = await tempRoot(t);
  const s = await VolumeStore.open(root);
  const v = await s.create('data', { labels: { a: 'b' } });
  assert.equal(v.name, 'data');
  assert.equal(v.mountpoint, join(root, 'data/_data'));
  assert.ok((await stat(v.mountpoint)).isDirectory());
  assert.deepEqual(v.labels, { a: 'b' });
  assert.equal(v.options, null);
  assert.match(v.createdAt, /^\d{4}-\d\d-\d\dT/);
  const again = await s.create('data', { labels: { other: '1' } });
  assert.equal(again.createdAt, v.createdAt, 'creating an existing name returns it unchanged');
  assert.deepEqual(again.labels, { a: 'b' });
  assert.deepEqual(
    s.list().map((x) => x.name),
    ['data'],
  );
  await s.remove('data');
  assert.equal(s.has('data'), false);
  await assert.rejects(stat(join(root, 'data')));
  await rejects(s.remove('data'), 'not-found', 'get data: no such volume');
  await s.remove('data', { force: true }); // -f hides "no such volume"
  await rejects(
    Promise.resolve().then(() => s.get('nope')),
    'not-found',
    'get nope: no such volume',
  );
});

test('names, drivers and local driver options are validated with Docker texts', async (t) => {
  const s = await VolumeStore.open(await tempRoot(t));
  await rejects(
    s.create('x/y'),
    'invalid-argument',
    `create x/y: "x/y" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
  );
  await rejects(
    s.create('-ab'),
    'invalid-argument',
    `create -ab: "-ab" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
  );
  await rejects(s.create('q'), 'invalid-argument', 'create q: volume name is too short, names should be at least two alphanumeric characters');
  await rejects(s.create('ok', { options: { foo: 'bar' } }), 'invalid-argument', 'invalid option: "foo"');
  await rejects(s.create('ok', { options: { type: 'tmpfs' } }), 'invalid-argument', 'missing required option: "device"');
  await rejects(s.create('ok', { options: { o: 'size=1m', type: 'tmpfs' } }), 'invalid-argument', 'missing required option: "device"');
  await rejects(s.create('ok', { driver: 'nfs' }), 'not-found', 'error looking up volume plugin nfs: plugin "nfs" not found');
  assert.equal(s.list().length, 0);
  const anon = await s.create('');
  assert.match(anon.name, /^[0-9a-f]{64}$/);
  assert.deepEqual(anon.labels, { 'com.docker.volume.anonymous': '' });
});

test('references persist: a volume in use cannot be removed, even after a restart', async (t) => {
  const root = await tempRoot(t);
  let s = await VolumeStore.open(root);
  const cv = new ContainerVolumes(s);
  const cid = 'c'.repeat(64);
  const mps = await cv.attach(cid, { ...none, binds: ['data:/var/lib/x'], imageVolumes: ['/anon'] }, noLookup);
  assert.equal(mps.length, 2);
  assert.equal(s.list().length, 2, 'named and anonymous volumes are created at attach');
  await rejects(s.remove('data'), 'conflict', `remove data: volume is in use - [${cid}]`);
  await rejects(s.remove('data', { force: true }), 'conflict', `remove data: volume is in use - [${cid}]`);
  s = await VolumeStore.open(root); // daemon restart
  await rejects(s.remove('data'), 'conflict', `remove data: volume is in use - [${cid}]`);
  assert.deepEqual(
    s.list({ dangling: ['true'] }).map((v) => v.name),
    [],
  );
  const removed = await new ContainerVolumes(s).detach(cid, { removeAnonymous: false });
  assert.deepEqual(removed, []);
  assert.equal(s.list({ dangling: ['true'] }).length, 2);
  await s.remove('data');
});

test('list filters', async (t) => {
  const s = await VolumeStore.open(await tempRoot(t));
  await s.create('alpha', { labels: { tier: 'db', x: '' } });
  await s.create('beta', { labels: { tier: 'web' } });
  await s.create('gamma');
  await new ContainerVolumes(s).attach('d'.repeat(64), { ...none, binds: ['beta:/b'] }, noLookup);
  const names = (f: Record<string, string[]>) => s.list(f).map((v) => v.name);
  assert.deepEqual(names({ dangling: ['true'] }), ['alpha', 'gamma']);
  assert.deepEqual(names({ dangling: ['0'] }), ['beta']);
  assert.deepEqual(names({ name: ['^a', 'mm'] }), ['alpha', 'gamma']);
  assert.deepEqual(names({ label: ['tier'] }), ['alpha', 'beta']);
  assert.deepEqual(names({ label: ['tier=db', 'x'] }), ['alpha']);
  assert.deepEqual(names({ driver: ['local'] }), ['alpha', 'beta', 'gamma']);
  assert.throws(() => s.list({ bogus: ['1'] }), /invalid filter 'bogus'/);
  assert.throws(() => s.list({ dangling: ['maybe'] }), /invalid filter 'dangling=maybe'/);
});

test('prune: anonymous unused volumes by default, named too with all, label filters', async (t) => {
  const s = await VolumeStore.open(await tempRoot(t));
  const cv = new ContainerVolumes(s);
  await s.create('keep', { labels: { k: 'v' } });
  await s.create('named2');
  const anon = await s.create('');
  await writeFile(join(anon.mountpoint, 'f'), Buffer.alloc(1000));
  await cv.attach('e'.repeat(64), { ...none, imageVolumes: ['/used'] }, noLookup);
  const used = s.list().find((v) => v.refs.length)!.name;
  let r = await s.prune({}, { all: false });
  assert.deepEqual(r, { deleted: [anon.name], spaceReclaimed: 1000 });
  r = await s.prune({ 'label!': ['k=v'] }, { all: true });
  assert.deepEqual(r.deleted, ['named2']);
  assert.deepEqual(
    s
      .list()
      .map((v) => v.name)
      .sort(),
    ['keep', used].sort(),
  );
  await assert.rejects(s.prune({ dangling: ['true'] }, { all: true }), /invalid filter 'dangling'/);
});

test('open finishes interrupted removals and adopts volume dirs without a record', async (t) => {
  const root = await tempRoot(t);
  await mkdir(join(root, '_trash/old.1234/_data'), { recursive: true });
  await mkdir(join(root, 'orphan/_data'), { recursive: true });
  const s = await VolumeStore.open(root);
  assert.deepEqual(await readdir(join(root)).then((l) => l.includes('_trash')), false);
  assert.deepEqual(
    s.list().map((v) => v.name),
    ['orphan'],
  );
  assert.equal(s.get('orphan').driver, 'local');
});

test('a create killed between its record and its directory: open finishes it with its labels', async (t) => {
  const root = await tempRoot(t);
  const s = await VolumeStore.open(root);
  await s.create('proj_data', { labels: { 'com.docker.compose.project': 'proj' } });
  // What a kill right after the record's write leaves: the record, no directory.
  await rm(join(root, 'proj_data'), { recursive: true });
  const again = await VolumeStore.open(root);
  assert.deepEqual(again.get('proj_data').labels, { 'com.docker.compose.project': 'proj' });
  assert.ok((await stat(again.path('proj_data'))).isDirectory());
  assert.deepEqual(
    again.list({ label: ['com.docker.compose.project=proj'] }).map((v) => v.name),
    ['proj_data'],
  );
});
