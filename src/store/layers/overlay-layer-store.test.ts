import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, chmod, truncate, chown, lstat, mkdir, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { OverlayLayerStore } from './overlay-layer-store.js';
import { chainIdOf, chainIds } from '../../lib/chain-id.js';
import { makeTar, tarStream, tarNames, readAll, describeTree, Scratch, T0 } from './layer-test-util.js';
import { sha256, type Digest } from '../../lib/digest.js';
import { isBerthError } from '../../lib/errors.js';
import { lgetxattr } from '../../lib/libc.js';

const scratch = new Scratch();
let store: OverlayLayerStore;
let root: string;
after(() => scratch.cleanup());
before(async () => {
  root = await scratch.dir('ls');
  store = await OverlayLayerStore.open(join(root, 'store'));
});

const L1 = () =>
  makeTar(
    [
      { name: 'etc/', type: 'directory' },
      { name: 'etc/a', data: 'a1' },
      { name: 'hl', type: 'link', linkname: 'etc/a' },
      { name: 'bin/sh', type: 'symlink', linkname: '/bin/busybox' },
      { name: 'keep/x', data: 'x' },
      { name: 'opq/old1', data: 'o1' },
      { name: 'opq/sub/old2', data: 'o2' },
      { name: 'gone', data: 'bye' },
      { name: 'deldir/f', data: 'f' },
      { name: 'pipe', type: 'fifo', mode: 0o640 },
      { name: 'xa', data: 'xattr', pax: { 'SCHILY.xattr.user.test': 'hello', 'SCHILY.xattr.trusted.overlay.opaque': 'y' } },
    ],
    true,
  );
const L2 = () =>
  makeTar([
    { name: 'etc/a', data: 'a2' },
    { name: '.wh.gone' },
    { name: 'opq/', type: 'directory', mode: 0o750 },
    { name: 'opq/.wh..wh..opq' },
    { name: 'opq/new', data: 'n' },
    { name: './keep/y', data: 'y' },
  ]);
const L3 = () =>
  makeTar([
    { name: 'suid', data: '#!', mode: 0o4755, uid: 1000, gid: 1000 },
    { name: 'etc/b', data: 'b' },
    { name: 'a/very/' + 'long/'.repeat(40) + 'name', data: 'deep' },
  ]);

let c1: Digest, c2: Digest, c3: Digest;

test('applyLayer builds a chain with Docker chainIds', async () => {
  const raw1 = (await import('node:zlib')).gunzipSync(await L1());
  const l1 = await store.applyLayer(null, tarStream(await L1()));
  assert.equal(l1.diffId, sha256(raw1), 'diffId is the sha256 of the uncompressed tar');
  assert.equal(l1.chainId, l1.diffId);
  assert.equal(l1.parent, null);
  const raw2 = await L2();
  const l2 = await store.applyLayer(l1.chainId, tarStream(raw2));
  assert.equal(l2.diffId, sha256(raw2));
  assert.equal(l2.chainId, sha256(`${l1.chainId} ${l2.diffId}`));
  const l3 = await store.applyLayer(l2.chainId, tarStream(await L3()));
  assert.deepEqual(chainIds([l1.diffId, l2.diffId, l3.diffId]), [l1.chainId, l2.chainId, l3.chainId]);
  assert.equal(chainIdOf(null, l1.diffId), l1.chainId);
  [c1, c2, c3] = [l1.chainId, l2.chainId, l3.chainId];
  assert.deepEqual(await store.get(c2), l2);
  assert.equal((await store.list()).length, 3);
  assert.equal(l1.size, 2 + 1 + 2 + 2 + 3 + 1 + 5);

  // Same content again: the existing layer comes back and nothing is added.
  const again = await store.applyLayer(l1.chainId, tarStream(raw2));
  assert.deepEqual(again, l2);
  assert.equal((await store.list()).length, 3);
  assert.deepEqual(await readdir(join(store.root, 'tmp')), []);

  // On disk: overlay whiteouts and opaque markers.
  const d2 = join(store.root, 'layers', c2.slice(7), 'diff');
  const wh = await lstat(join(d2, 'gone'));
  assert.ok(wh.isCharacterDevice() && wh.rdev === 0);
  assert.equal(lgetxattr(join(d2, 'opq'), 'trusted.overlay.opaque')?.toString(), 'y');
  const d1 = join(store.root, 'layers', c1.slice(7), 'diff');
  assert.equal(lgetxattr(join(d1, 'xa'), 'trusted.overlay.opaque'), undefined, 'trusted.* xattrs from a tar are dropped');
});

test('prepare + mount shows the merged view', async () => {
  const mounts = await store.prepare('merged-1', c3);
  assert.equal(mounts.length, 1);
  assert.equal(mounts[0]!.type, 'overlay');
  const m = await scratch.mount(mounts, root);
  const tree = await describeTree(m);
  assert.equal(tree['etc/a'], `file 644 0:0 t=${T0.getTime() / 1000} "a2"`);
  assert.equal(tree['hl'], `file 644 0:0 t=${T0.getTime() / 1000} "a1"`);
  assert.equal(tree['bin/sh'], 'symlink -> /bin/busybox 0:0');
  assert.equal(tree['gone'], undefined);
  assert.deepEqual(await readdir(join(m, 'opq')), ['new']);
  assert.equal(tree['opq'], 'dir 750 0:0');
  assert.deepEqual(await readdir(join(m, 'keep')), ['x', 'y']);
  assert.equal(tree['pipe'], 'fifo 640 0:0');
  assert.match(tree['xa']!, /x=hello$/);
  assert.equal(tree['suid'], `file 4755 1000:1000 t=${T0.getTime() / 1000} "#!"`);
  assert.equal(await readFile(join(m, 'a/very/' + 'long/'.repeat(40) + 'name'), 'utf8'), 'deep');
  await writeFile(join(m, 'written'), 'w');
  assert.equal(await readFile(join(store.upperDir('merged-1'), 'written'), 'utf8'), 'w');
  await assert.rejects(store.removeSnapshot('merged-1'), (e) => isBerthError(e, 'conflict') && /mounted/.test(e.message));
  await scratch.unmount(m);
  await store.removeSnapshot('merged-1');
});

test('readonly view and empty snapshots', async () => {
  const ro = await store.prepare('view-1', c1, { readonly: true });
  assert.ok(ro[0]!.options.includes('ro'));
  assert.ok(!ro[0]!.options.some((o) => o.startsWith('upperdir=')));
  const m = await scratch.mount(ro, root);
  assert.equal(await readFile(join(m, 'etc/a'), 'utf8'), 'a1');
  await assert.rejects(writeFile(join(m, 'nope'), 'x'), { code: 'EROFS' });
  await scratch.unmount(m);
  await store.prepare('empty-1', null);
  const e = await scratch.mount(await store.mounts('empty-1'), root);
  assert.deepEqual(await readdir(e), []);
  await writeFile(join(e, 'f'), 'x');
  await scratch.unmount(e);
  await store.prepare('empty-ro', null, { readonly: true });
  const er = await scratch.mount(await store.mounts('empty-ro'), root);
  assert.deepEqual(await readdir(er), []);
  await scratch.unmount(er);
  assert.deepEqual(await store.listSnapshots(), ['empty-1', 'empty-ro', 'view-1']);
  await assert.rejects(store.prepare('empty-1', null), (err) => isBerthError(err, 'conflict'));
  await assert.rejects(store.prepare('bad/key', null), (err) => isBerthError(err, 'invalid-argument'));
  await assert.rejects(store.prepare('p', sha256('nope')), (err) => isBerthError(err, 'not-found'));
  for (const k of ['empty-1', 'empty-ro', 'view-1']) await store.removeSnapshot(k);
  assert.deepEqual(await store.listSnapshots(), []);
});

test('diff of a changed snapshot round-trips through applyLayer', async () => {
  await store.prepare('work-1', c3);
  const m = await scratch.mount(await store.mounts('work-1'), root);
  await writeFile(join(m, 'added'), 'new file');
  await appendFile(join(m, 'etc/b'), '+more');
  await rm(join(m, 'keep/x'));
  await rm(join(m, 'deldir'), { recursive: true });
  await rm(join(m, 'opq'), { recursive: true });
  await mkdir(join(m, 'opq'));
  await writeFile(join(m, 'opq/fresh'), 'fresh');
  await mkdir(join(m, 'newdir/sub'), { recursive: true });
  await writeFile(join(m, 'newdir/sub/f'), 'f');
  await chown(join(m, 'newdir/sub/f'), 7, 8);
  await chmod(join(m, 'newdir/sub/f'), 0o600);
  // A renamed lower directory must come out whole (mv falls back to copying on EXDEV).
  execFileSync('mv', [join(m, 'a'), join(m, 'renamed')]);
  const expected = await describeTree(m);
  await scratch.unmount(m);
  assert.ok((await store.usage('work-1')) >= 'new file'.length + 'b+more'.length + 5 + 1);

  const diffTar = await readAll(store.diff('work-1'));
  const names = await tarNames(diffTar);
  for (const n of [
    '.wh.a',
    'renamed/very/long/long/long/long/long/long/long/long/long/long/long/long/long/long/long/long/long/long/long/long/long/long/long/long/long/long/long/long/long/long/long/long/long/long/long/long/long/long/long/long/name',
    '.wh.deldir',
    'keep/.wh.x',
    'opq/',
    'opq/.wh..wh..opq',
    'opq/fresh',
    'added',
    'etc/b',
    'newdir/sub/f',
  ]) {
    assert.ok(names.includes(n), `diff contains ${n}: ${names.join(',')}`);
  }
  assert.ok(!names.includes('opq/new'));
  assert.deepEqual(await readAll(store.diff('work-1')), diffTar, 'diff is deterministic');

  const l4 = await store.applyLayer(c3, tarStream(diffTar));
  assert.equal(l4.diffId, sha256(diffTar));
  await store.prepare('check-1', l4.chainId);
  const m2 = await scratch.mount(await store.mounts('check-1'), root);
  const got = await describeTree(m2);
  await scratch.unmount(m2);
  assert.deepEqual(got, expected);

  // exportLayer of a layer with whiteouts gives Docker whiteouts back.
  const exp2 = await tarNames(await readAll(store.exportLayer(c2)));
  assert.ok(exp2.includes('.wh.gone') && exp2.includes('opq/.wh..wh..opq'), exp2.join(','));
  await store.removeSnapshot('check-1');
  await store.removeSnapshot('work-1');
  await store.remove(l4.chainId);
});

test('exportLayer of a base layer re-imports to the same tree', async () => {
  const exported = await readAll(store.exportLayer(c1));
  const other = await OverlayLayerStore.open(join(root, 'store2'));
  const l = await other.applyLayer(null, tarStream(exported));
  const a = await describeTree(join(store.root, 'layers', c1.slice(7), 'diff'));
  const b = await describeTree(join(other.root, 'layers', l.chainId.slice(7), 'diff'));
  assert.deepEqual(b, a);
  await assert.rejects(readAll(store.exportLayer(sha256('absent'))), (e) => isBerthError(e, 'not-found'));
});

test('remove refuses layers with children or snapshots', async () => {
  await assert.rejects(store.remove(c1), (e) => isBerthError(e, 'conflict'));
  await store.prepare('holder', c3);
  await assert.rejects(store.remove(c3), (e) => isBerthError(e, 'conflict') && /holder/.test(e.message));
  await store.removeSnapshot('holder');
  await assert.rejects(store.removeSnapshot('holder'), (e) => isBerthError(e, 'not-found'));
  const link = (await readdir(join(store.root, 'l'))).length;
  await store.remove(c3);
  assert.equal(await store.get(c3), undefined);
  assert.equal((await readdir(join(store.root, 'l'))).length, link - 1);
  await assert.rejects(store.remove(c3), (e) => isBerthError(e, 'not-found'));
});

test('open cleans crash leftovers and repairs links', async () => {
  await mkdir(join(store.root, 'tmp', 'half-unpacked', 'diff'), { recursive: true });
  await mkdir(join(store.root, 'snapshots', 'half-prepared', 'upper'), { recursive: true });
  const meta = JSON.parse(await readFile(join(store.root, 'layers', c1.slice(7), 'meta.json'), 'utf8'));
  await rm(join(store.root, 'l', meta.link));
  const reopened = await OverlayLayerStore.open(store.root);
  assert.deepEqual(await readdir(join(store.root, 'tmp')), []);
  assert.deepEqual(await reopened.listSnapshots(), []);
  assert.ok((await stat(join(store.root, 'l', meta.link, 'etc'))).isDirectory());
});

test('120 layers mount (option data above one page)', async () => {
  const s = await OverlayLayerStore.open(join(root, 'deep'));
  let parent: Digest | null = null;
  for (let i = 0; i < 120; i++) {
    const t = await makeTar([
      { name: `f${i}`, data: String(i) },
      { name: 'top', data: String(i) },
    ]);
    parent = (await s.applyLayer(parent, tarStream(t))).chainId;
  }
  const mounts = await s.prepare('deep-1', parent);
  assert.ok(mounts[0]!.options.join(',').length > 4096, 'exercises the path beyond mount(2)');
  const m = await scratch.mount(mounts, root);
  assert.equal(await readFile(join(m, 'top'), 'utf8'), '119');
  assert.equal((await readdir(m)).length, 121);
  assert.equal(await readFile(join(m, 'f0'), 'utf8'), '0');
  await scratch.unmount(m);
  const ro = await s.prepare('deep-ro', parent, { readonly: true });
  const m2 = await scratch.mount(ro, root);
  assert.equal(await readFile(join(m2, 'f57'), 'utf8'), '57');
  await scratch.unmount(m2);
});

test('concurrent applyLayer of the same content yields one layer', async () => {
  const s = await OverlayLayerStore.open(join(root, 'race'));
  const t = await makeTar([{ name: 'same', data: 'same' }]);
  const res = await Promise.all([1, 2, 3].map(() => s.applyLayer(null, tarStream(t))));
  assert.ok(res.every((r) => r.chainId === res[0]!.chainId));
  assert.equal((await s.list()).length, 1);
  assert.equal((await readdir(join(s.root, 'l'))).length, 1);
  assert.deepEqual(await readdir(join(s.root, 'tmp')), []);
});

test('a staged layer is invisible until committed; discarded or left by a crash, nothing remains', async () => {
  const s = await OverlayLayerStore.open(join(root, 'staged'));
  const base = await s.applyLayer(null, tarStream(await makeTar([{ name: 'base', data: 'b' }])));
  const t = await makeTar([{ name: 'top', data: 't' }]);
  // Unpacked without a parent (a pull unpacks its layers side by side), stacked at commit.
  const staged = await s.stageLayer(tarStream(t));
  assert.equal(staged.diffId, sha256(t));
  assert.equal((await s.list()).length, 1, 'not a layer yet');
  assert.equal((await readdir(join(s.root, 'tmp'))).length, 1);
  const top = await s.commitStaged(base.chainId, staged);
  assert.equal(top.chainId, chainIdOf(base.chainId, sha256(t)));
  assert.equal(top.parent, base.chainId);
  assert.deepEqual(await readdir(join(s.root, 'tmp')), []);
  const m = await scratch.mount(await s.prepare('staged-1', top.chainId, { readonly: true }), root);
  assert.equal(await readFile(join(m, 'base'), 'utf8'), 'b');
  assert.equal(await readFile(join(m, 'top'), 'utf8'), 't');
  await scratch.unmount(m);
  // The same content staged again: the commit hands back the existing layer and drops the copy.
  const again = await s.commitStaged(base.chainId, await s.stageLayer(tarStream(t)));
  assert.equal(again.chainId, top.chainId);
  assert.deepEqual(await readdir(join(s.root, 'tmp')), []);
  // Discarded, or left behind by a crash (reopen), it is gone; a hostile tar never stages.
  await s.discardStaged(await s.stageLayer(tarStream(await makeTar([{ name: 'x', data: 'x' }]))));
  assert.deepEqual(await readdir(join(s.root, 'tmp')), []);
  await assert.rejects(s.stageLayer(tarStream(await makeTar([{ name: '../escape', data: 'x' }]))), (e) => isBerthError(e, 'invalid-argument'));
  assert.deepEqual(await readdir(join(s.root, 'tmp')), []);
  await s.stageLayer(tarStream(await makeTar([{ name: 'y', data: 'y' }])));
  const reopened = await OverlayLayerStore.open(s.root);
  assert.deepEqual(await readdir(join(s.root, 'tmp')), []);
  assert.equal((await reopened.list()).length, 2);
  await assert.rejects(s.commitStaged(null, { diffId: staged.diffId, size: 0, handle: '/etc' }), (e) => isBerthError(e, 'invalid-argument'));
});

test('a snapshot committed in place becomes the layer its diff tar would unpack to, and exports to that tar', async () => {
  const s = await OverlayLayerStore.open(join(root, 'inplace'));
  const base = await s.applyLayer(null, tarStream(await L1()));
  await s.prepare('step-1', base.chainId);
  const m = await scratch.mount(await s.mounts('step-1'), root);
  await writeFile(join(m, 'added'), 'new file');
  await appendFile(join(m, 'etc/a'), '+more'); // a copy-up
  await rm(join(m, 'gone'));
  await rm(join(m, 'opq'), { recursive: true });
  await mkdir(join(m, 'opq/deep'), { recursive: true });
  await writeFile(join(m, 'opq/deep/f'), 'fresh');
  execFileSync('ln', [join(m, 'added'), join(m, 'added-link')]);
  const expected = await describeTree(m);
  await scratch.unmount(m);

  const diffTar = await readAll(s.diff('step-1'));
  const measured = await s.diffDigest('step-1');
  assert.equal(measured.diffId, sha256(diffTar), 'the diffID is the hash of the tar diff() streams');
  assert.equal(measured.lossy, undefined);
  assert.equal(measured.size, 'new file'.length + 'a1+more'.length + 'fresh'.length, 'regular files, a hard link counted once');
  const layer = await s.commitSnapshot('step-1', measured);
  assert.equal(layer.chainId, chainIdOf(base.chainId, measured.diffId));
  assert.equal(layer.parent, base.chainId);
  assert.equal(layer.size, measured.size);
  assert.deepEqual(await s.listSnapshots(), [], 'the snapshot is consumed');
  assert.deepEqual(await readdir(join(s.root, 'tmp')), []);
  // What save and push send: the layer re-exported gives the very bytes the diffID names.
  assert.deepEqual(await readAll(s.exportLayer(layer.chainId)), diffTar);
  await s.prepare('check-1', layer.chainId);
  const m2 = await scratch.mount(await s.mounts('check-1'), root);
  assert.deepEqual(await describeTree(m2), expected);
  await scratch.unmount(m2);
  await s.removeSnapshot('check-1');

  // The same changes again: the existing layer is handed back and the upper dir dropped.
  await s.prepare('step-2', base.chainId);
  // Same content and the same mtime (a tar carries it in seconds; the two writes may straddle one).
  const sameFile = async (key: string) => {
    await writeFile(join(s.upperDir(key), 'x'), 'x');
    await utimes(join(s.upperDir(key), 'x'), 1_700_000_000, 1_700_000_000);
  };
  await sameFile('step-2');
  const again = await s.diffDigest('step-2');
  const second = await s.commitSnapshot('step-2', again);
  await assert.rejects(s.commitSnapshot('step-2', again), (e) => isBerthError(e, 'not-found'), 'a consumed snapshot is gone');
  await s.prepare('step-4', base.chainId);
  await sameFile('step-4');
  const dup = await s.commitSnapshot('step-4', await s.diffDigest('step-4'));
  assert.equal(dup.chainId, second.chainId);
  assert.deepEqual(await s.listSnapshots(), []);
  assert.deepEqual(await readdir(join(s.root, 'tmp')), []);
  assert.equal((await s.list()).length, 3);
  const reopened = await OverlayLayerStore.open(s.root);
  assert.deepEqual((await reopened.checkLayers()).damaged, []);
});

test('diffDigest says when the tar would lose what the upper dir holds', async () => {
  const s = await OverlayLayerStore.open(join(root, 'lossy'));
  await s.prepare('sock-1', null);
  execFileSync('python3', ['-c', `import socket; socket.socket(socket.AF_UNIX).bind(${JSON.stringify(join(s.upperDir('sock-1'), 'sock'))})`]);
  assert.match((await s.diffDigest('sock-1')).lossy ?? '', /socket/);
  await s.prepare('empty-1', null);
  const empty = await s.diffDigest('empty-1');
  assert.equal(empty.entries, 0);
  assert.equal(empty.lossy, undefined);
});

test('a pulled layer: its blob checked as it arrives (first), its exact tar replayed by exportLayer, and system check --full finds lost bytes', async () => {
  const s = await OverlayLayerStore.open(join(root, 'pulled'));
  // A PAX size record, a PAX path, an odd-sized body, an empty file, links, and bytes past the end-of-archive blocks.
  const plain = Buffer.concat([
    await makeTar([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/odd', data: 'z'.repeat(1025), pax: { comment: 'a PAX record before the body' } },
      { name: `etc/${'n'.repeat(150)}`, data: 'long name' },
      { name: 'etc/empty', data: '' },
      { name: 'etc/hard', type: 'link', linkname: 'etc/odd' },
      { name: 'etc/sym', type: 'symlink', linkname: 'odd' },
      { name: 'xa', data: 'xattr', pax: { 'SCHILY.xattr.user.test': 'hello' } },
    ]),
    Buffer.alloc(4096),
  ]);
  const gz = gzipSync(plain);
  const blob = { digest: sha256(gz), size: gz.length };
  const staged = await s.stageLayer(tarStream(gz), { blob, layout: true });
  assert.equal(staged.diffId, sha256(plain));
  assert.equal(staged.layout, true);
  const l = await s.commitStaged(null, staged);
  assert.ok((await readAll(s.exportLayer(l.chainId))).equals(plain), 'the exact tar back');
  assert.deepEqual((await s.checkLayers({ full: true })).damaged, []);
  // A wrong digest, a short blob, a long one, and damage that also breaks the gzip: all the blob's mismatch.
  const mismatch = (e: unknown) => isBerthError(e, 'invalid-argument') && e.code === 'LAYER_BLOB_MISMATCH';
  await assert.rejects(s.stageLayer(tarStream(gz), { blob: { digest: sha256('other'), size: gz.length } }), mismatch);
  await assert.rejects(s.stageLayer(tarStream(gz), { blob: { ...blob, size: gz.length + 1 } }), mismatch);
  await assert.rejects(s.stageLayer(tarStream(gz), { blob: { ...blob, size: gz.length - 1 } }), mismatch);
  const broken = Buffer.from(gz);
  broken[Math.floor(broken.length / 2)]! ^= 0xff;
  await assert.rejects(s.stageLayer(tarStream(broken), { blob }), mismatch);
  // Damage near the start of a multi-MiB blob that is also too long: the unpack fails first, the
  // rest is still read and hashed, and the answer is the blob's mismatch (never a hang).
  const bigGz = gzipSync(await makeTar([{ name: 'big', data: randomBytes(3 << 20).toString('base64') }]));
  const bigBroken = Buffer.from(bigGz);
  bigBroken[600]! ^= 0xff;
  const chunked = (b: Buffer) => Readable.from(Array.from({ length: Math.ceil(b.length / 65536) }, (_, i) => b.subarray(i * 65536, (i + 1) * 65536)));
  await assert.rejects(s.stageLayer(chunked(bigBroken), { blob: { digest: sha256(bigGz), size: bigGz.length - 1 } }), mismatch);
  await assert.rejects(s.stageLayer(chunked(bigBroken), { blob: { digest: sha256(bigGz), size: bigGz.length } }), mismatch);
  const bigOk = await s.stageLayer(chunked(bigGz), { blob: { digest: sha256(bigGz), size: bigGz.length } });
  assert.match(bigOk.diffId, /^sha256:[0-9a-f]{64}$/);
  await s.discardStaged(bigOk);
  // The same damage without a blob to check is the gzip's or tar's own error.
  await assert.rejects(s.stageLayer(tarStream(broken)), (e) => isBerthError(e, 'invalid-argument') && e.code !== 'LAYER_BLOB_MISMATCH');
  assert.deepEqual(await readdir(join(s.root, 'tmp')), []);
  // A tar that replaces its own entry cannot be replayed: no layout, exportLayer packs the files.
  const dup = await makeTar([
    { name: 'f', data: 'first' },
    { name: 'f', data: 'second' },
  ]);
  const noLayout = await s.stageLayer(tarStream(dup), { blob: { digest: sha256(dup), size: dup.length }, layout: true });
  assert.equal(noLayout.layout, undefined);
  await s.discardStaged(noLayout);
  // Bytes lost from a file (a power cut before writeback): --full finds it, the quick check does not.
  await truncate(join(s.root, 'layers', l.chainId.slice(7), 'diff', 'xa'), 2);
  assert.deepEqual((await s.checkLayers()).damaged, []);
  const damaged = (await s.checkLayers({ full: true })).damaged;
  assert.equal(damaged.length, 1);
  assert.equal(damaged[0]!.chainId, l.chainId);
  assert.match(damaged[0]!.problem, /no longer give back the tar of its diffID/);
});
