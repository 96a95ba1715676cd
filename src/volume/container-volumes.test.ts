import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chown, mkdir, mkdtemp, readdir, readFile, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMountPoint, mountPointsUnder, unmount } from '../lib/mount.js';
import { VolumeStore } from './volume-store.js';
import { ContainerVolumes } from './container-volumes.js';
import type { MountsInput } from './mount-point.js';
import { requiresRoot } from '../../test/support/requires-root.js';

const none: MountsInput = { binds: [], mounts: [], tmpfs: {}, volumesFrom: [], imageVolumes: [] };
const id = (c: string) => c.repeat(64);

async function setup(t: { after: (fn: () => Promise<void>) => void }) {
  const d = await mkdtemp(join(tmpdir(), `berth-cv-${process.pid}-`));
  t.after(async () => {
    for (const m of await mountPointsUnder(d)) await unmount(m, { detach: true }).catch(() => {});
    await rm(d, { recursive: true, force: true });
  });
  const events: string[] = [];
  const store = await VolumeStore.open(join(d, 'volumes'), { events: { emit: (action, name) => events.push(`${action} ${name}`) } });
  const cv = new ContainerVolumes(store);
  const rootfs = join(d, 'rootfs');
  await mkdir(join(rootfs, 'var/lib/db'), { recursive: true });
  await writeFile(join(rootfs, 'var/lib/db/seed'), 'seed');
  await chown(join(rootfs, 'var/lib/db'), 999, 999);
  return { d, store, cv, rootfs, events };
}

test('lifecycle: attach creates volumes, prepare copies up and makes host dirs, rm -v removes anonymous ones', { skip: requiresRoot() }, async (t) => {
  const { d, store, cv, rootfs, events } = await setup(t);
  const hostDir = join(d, 'host/missing/dir');
  const names = new Map([['first', id('a')]]);
  const a = id('a');
  const mps = await cv.attach(
    a,
    { ...none, binds: ['db:/var/lib/db', `${hostDir}:/src:ro`], imageVolumes: ['/var/lib/db', '/cache'], tmpfs: { '/run': 'size=1m' } },
    { resolveContainer: (r) => names.get(r) },
  );
  assert.deepEqual(
    mps.map((m) => [m.type, m.destination]),
    [
      ['volume', '/var/lib/db'],
      ['bind', '/src'],
      ['volume', '/cache'],
      ['tmpfs', '/run'],
    ],
  );
  assert.deepEqual(
    store
      .list()
      .map((v) => v.name)
      .includes('db'),
    true,
  );
  assert.deepEqual(cv.mountPoints(a), mps);

  const hm = await cv.prepare(a, rootfs);
  assert.deepEqual(
    hm.map((m) => m.destination),
    ['/src', '/cache', '/run', '/var/lib/db'],
  );
  assert.equal(await readFile(join(store.path('db'), 'seed'), 'utf8'), 'seed', 'copy-up into the new named volume');
  assert.equal((await stat(store.path('db'))).uid, 999, 'volume root takes the image dir owner');
  assert.ok((await stat(hostDir)).isDirectory(), '-v creates a missing host dir');
  assert.deepEqual(
    hm.find((m) => m.destination === '/src'),
    { destination: '/src', type: 'bind', source: hostDir, options: ['rbind', 'ro', 'rprivate'] },
  );

  // The copy-up happens once: an emptied volume stays empty on the next start.
  await rm(join(store.path('db'), 'seed'));
  await cv.release(a);
  await cv.prepare(a, rootfs);
  assert.deepEqual(await readdir(store.path('db')), []);

  // A second container sees the first one's volumes with --volumes-from, read-only.
  const b = id('b');
  const bm = await cv.attach(b, { ...none, volumesFrom: ['first:ro'] }, { resolveContainer: (r) => names.get(r) });
  assert.deepEqual(
    bm.map((m) => [m.destination, m.rw]),
    [
      ['/var/lib/db', false],
      ['/src', false],
      ['/cache', false],
    ],
  );
  const anonName = mps.find((m) => m.destination === '/cache')!.name!;
  await assert.rejects(store.remove(anonName), /volume is in use - \[/);
  assert.deepEqual(store.refsOf(anonName).sort(), [a, b].sort());

  // rm -v of the first: its anonymous volume is still used by b, so it stays (no error).
  assert.deepEqual(await cv.detach(a, { removeAnonymous: true }), []);
  assert.equal(store.has(anonName), true);
  // rm -v of the second now removes it; the named volume always stays.
  assert.deepEqual(await cv.detach(b, { removeAnonymous: true }), [anonName]);
  assert.equal(store.has(anonName), false);
  assert.equal(store.has('db'), true);
  assert.deepEqual(store.refsOf('db'), []);
  assert.ok(events.includes('create db') && events.includes(`destroy ${anonName}`));
});

test('--mount bind with a missing source fails at attach; nothing is recorded or created', async (t) => {
  const { store, cv } = await setup(t);
  await assert.rejects(
    cv.attach(
      id('c'),
      { ...none, binds: ['newvol:/n'], mounts: [{ type: 'bind', source: '/nonexistent-berth-x', target: '/x' }] },
      { resolveContainer: () => undefined },
    ),
    { message: 'invalid mount config for type "bind": bind source path does not exist: /nonexistent-berth-x' },
  );
  await assert.rejects(
    cv.attach(
      id('c'),
      { ...none, mounts: [{ type: 'volume', source: 'bad', target: '/x', volumeOptions: { driverConfig: { options: { bogus: '1' } } } }] },
      { resolveContainer: () => undefined },
    ),
    {
      message: 'invalid option: "bogus"',
    },
  );
  assert.deepEqual(store.list(), []);
  assert.deepEqual(cv.mountPoints(id('c')), []);
});

test('a tmpfs-backed local volume is mounted while used and unmounted when the last user stops', { skip: requiresRoot() }, async (t) => {
  const { store, cv, rootfs } = await setup(t);
  await store.create('fast', { options: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' } });
  const [a, b] = [id('1'), id('2')];
  for (const c of [a, b]) await cv.attach(c, { ...none, binds: ['fast:/var/lib/db'] }, { resolveContainer: () => undefined });
  await cv.prepare(a, rootfs);
  assert.equal(await isMountPoint(store.path('fast')), true);
  const fs = await statfs(store.path('fast'));
  assert.equal(fs.type, 0x01021994, 'tmpfs');
  assert.equal(fs.blocks * fs.bsize, 1024 * 1024, 'o=size=1m applied');
  assert.equal(await readFile(join(store.path('fast'), 'seed'), 'utf8'), 'seed', 'copy-up lands in the mounted tmpfs');
  await cv.prepare(b, rootfs);
  await cv.release(a);
  assert.equal(await isMountPoint(store.path('fast')), true, 'still used by b');
  await cv.release(b);
  assert.equal(await isMountPoint(store.path('fast')), false);
  await cv.detach(a, { removeAnonymous: true });
  await cv.detach(b, { removeAnonymous: true });
  await store.remove('fast');
});

test('reconcile drops references of containers that no longer exist', async (t) => {
  const { store, cv } = await setup(t);
  await cv.attach(id('e'), { ...none, binds: ['kept:/k'] }, { resolveContainer: () => undefined });
  await cv.attach(id('f'), { ...none, binds: ['kept:/k'] }, { resolveContainer: () => undefined });
  await cv.reconcile(new Set([id('f')]), new Set());
  assert.deepEqual(store.refsOf('kept'), [id('f')]);
});

test('a container without mounts leaves no record: prepare, release and detach treat it as none', async (t) => {
  const { d, cv } = await setup(t);
  assert.deepEqual(await cv.attach(id('g'), none, { resolveContainer: () => undefined }), []);
  assert.deepEqual(await readdir(join(d, 'volumes', '_containers')).catch(() => []), [], 'nothing written');
  assert.deepEqual(await cv.prepare(id('g'), join(d, 'rootfs')), []);
  await cv.release(id('g'));
  assert.deepEqual(await cv.detach(id('g'), { removeAnonymous: true }), []);
  assert.deepEqual(cv.mountPoints(id('g')), []);
});
