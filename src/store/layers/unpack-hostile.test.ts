// Hostile layer tars: each must be rejected with invalid-argument, write nothing outside the
// store, and leave the store exactly as before.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, readdir, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { OverlayLayerStore } from './overlay-layer-store.js';
import { makeTar, tarStream, Scratch, type TarEntry } from './layer-test-util.js';
import type { Digest } from '../../lib/digest.js';
import { isBerthError } from '../../lib/errors.js';

const scratch = new Scratch();
let store: OverlayLayerStore;
let base: Digest;
let outsideDir: string;
after(() => scratch.cleanup());
before(async () => {
  store = await OverlayLayerStore.open(join(await scratch.dir('hostile'), 'store'));
  base = (await store.applyLayer(null, tarStream(await makeTar([{ name: 'ok', data: 'ok' }])))).chainId;
  outsideDir = await scratch.dir('outside'); // an existing directory outside the store
});

async function exists(p: string): Promise<boolean> {
  return lstat(p).then(
    () => true,
    () => false,
  );
}

async function storeState(): Promise<string> {
  const parts = await Promise.all(['layers', 'l', 'tmp', 'snapshots'].map(async (d) => `${d}:${(await readdir(join(store.root, d))).sort().join(',')}`));
  return parts.join(' ');
}

async function expectRejected(entries: TarEntry[], message: RegExp, outside: string[], parent: Digest | null = base): Promise<void> {
  const before = await storeState();
  const listBefore = await store.list();
  await assert.rejects(store.applyLayer(parent, tarStream(await makeTar(entries))), (e: unknown) => {
    assert.ok(isBerthError(e, 'invalid-argument'), `invalid-argument, got ${String(e)}`);
    assert.match(e.message, message);
    return true;
  });
  for (const p of outside) assert.equal(await exists(p), false, `${p} must not exist`);
  assert.deepEqual(await store.list(), listBefore);
  assert.equal(await storeState(), before);
}

const uniq = () => `berth-evil-${process.pid}-${randomBytes(4).toString('hex')}`;

test('rejects ../ climbing out', async () => {
  const name = uniq();
  await expectRejected(
    [
      { name: 'fine', data: '1' },
      { name: `../../../../../../../../tmp/${name}`, data: 'x' },
    ],
    /climbs out/,
    [join('/tmp', name)],
  );
  await expectRejected([{ name: `a/../../${name}`, data: 'x' }], /climbs out/, [join(store.root, 'tmp', name)]);
});

test('rejects absolute names', async () => {
  const p = join(outsideDir, 'abs');
  await expectRejected([{ name: p, data: 'x' }], /absolute path/, [p]);
});

test('rejects writing through a symlink created earlier in the tar', async () => {
  await expectRejected(
    [
      { name: 'a', type: 'symlink', linkname: outsideDir },
      { name: 'a/evil', data: 'x' },
    ],
    /"a" is a symlink/,
    [join(outsideDir, 'evil')],
  );
  const name = uniq();
  await expectRejected(
    [
      { name: 'up', type: 'symlink', linkname: '../../../../../../../..' },
      { name: `up/tmp/${name}`, data: 'x' },
    ],
    /symlink/,
    [join('/tmp', name)],
  );
  await expectRejected(
    [
      { name: 'd', type: 'symlink', linkname: outsideDir },
      { name: 'd/', type: 'directory' }, // replaces the link: fine
      { name: 'e', type: 'symlink', linkname: outsideDir },
      { name: 'e/sub/', type: 'directory' },
    ],
    /"e" is a symlink/,
    [join(outsideDir, 'sub')],
  );
  await expectRejected([{ name: 'w', type: 'symlink', linkname: outsideDir }, { name: 'w/.wh.victim' }], /symlink/, [join(outsideDir, 'victim')]);
});

test('rejects hard links that leave the layer', async () => {
  const before = (await stat('/etc/passwd')).nlink;
  await expectRejected([{ name: 'pw', type: 'link', linkname: '/etc/passwd' }], /outside the layer/, []);
  await expectRejected([{ name: 'pw', type: 'link', linkname: '../../../../../../../etc/passwd' }], /outside the layer/, []);
  await expectRejected(
    [
      { name: 's', type: 'symlink', linkname: '/etc' },
      { name: 'pw', type: 'link', linkname: 's/passwd' },
    ],
    /symlink/,
    [],
  );
  await expectRejected([{ name: 'pw', type: 'link', linkname: 'etc/passwd' }], /not|does not exist/, []);
  assert.equal((await stat('/etc/passwd')).nlink, before);
});

test('rejects empty whiteout names', async () => {
  await expectRejected([{ name: 'd/x', data: 'x' }, { name: 'd/.wh.' }], /invalid whiteout/, []);
  await expectRejected([{ name: '.wh.' }], /invalid whiteout/, []);
});

test('rejects device nodes, naming the entry', async () => {
  await expectRejected([{ name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3 }], /"dev\/null".*device nodes/, []);
  await expectRejected([{ name: 'sda', type: 'block-device', devmajor: 8, devminor: 0 }], /"sda".*device nodes/, []);
});

test('rejects garbage and reports zstd as not implemented', async () => {
  const before = await storeState();
  await assert.rejects(store.applyLayer(null, tarStream(gzipSync(Buffer.alloc(2048, 1)))), (e) => isBerthError(e, 'invalid-argument'));
  await assert.rejects(
    store.applyLayer(null, tarStream(Buffer.concat([gzipSync(await makeTar([{ name: 'a', data: 'x'.repeat(5000) }])).subarray(0, 100)]))),
    (e) => isBerthError(e, 'invalid-argument'),
  );
  const zstd = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]);
  await assert.rejects(store.applyLayer(null, tarStream(zstd)), (e) => isBerthError(e, 'not-implemented') && /zstd/.test(e.message));
  assert.equal(await storeState(), before);
});

test('an aborted apply is canceled and leaves nothing', async () => {
  const before = await storeState();
  const ac = new AbortController();
  async function* slow() {
    yield await makeTar([{ name: 'a', data: 'a' }]).then((b) => b.subarray(0, 1024));
    ac.abort();
    await new Promise((r) => setTimeout(r, 50));
    yield Buffer.alloc(1024);
  }
  const { Readable } = await import('node:stream');
  await assert.rejects(store.applyLayer(null, Readable.from(slow()), { signal: ac.signal }), (e) => isBerthError(e, 'canceled'));
  assert.equal(await storeState(), before);
});

test('a symlink target is stored verbatim and never followed', async () => {
  const l = await store.applyLayer(
    base,
    tarStream(
      await makeTar([
        { name: 'etc', type: 'symlink', linkname: '/etc' },
        { name: 'x', type: 'symlink', linkname: '../../../../..' },
      ]),
    ),
  );
  const d = join(store.root, 'layers', l.chainId.slice(7), 'diff');
  assert.ok((await lstat(join(d, 'etc'))).isSymbolicLink());
  await mkdir(join(outsideDir, 'still-here'));
  assert.ok(await exists(join(outsideDir, 'still-here')));
  await store.remove(l.chainId);
});
