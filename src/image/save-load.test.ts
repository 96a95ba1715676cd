import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openLayerTar } from './layer-blob.js';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { sha256, hexOf, type Digest } from '../lib/digest.js';
import { openTestStores, readAll, rootfsTar, streamOf, tarBuffer, type Entry, type TestStores } from './image-test-util.js';
import { importRootfs } from './import.js';
import { commitImage } from './commit.js';
import { saveImages } from './save.js';
import { loadImages } from './load.js';
import type { ImageStore } from './image-store.js';

const stores: TestStores[] = [];
after(async () => {
  for (const s of stores) await s.cleanup();
});
async function fresh(tag: string) {
  const s = await openTestStores(tag);
  stores.push(s);
  return s;
}

async function entriesOf(buf: Buffer): Promise<Map<string, Buffer>> {
  const ex = tar.extract();
  const out = new Map<string, Buffer>();
  const done = (async () => {
    for await (const e of ex) out.set(e.header.name, await readAll(e as unknown as AsyncIterable<Buffer>));
  })();
  ex.end(buf);
  await done;
  return out;
}

function configFor(diffIds: Digest[], extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: '2024-01-01T00:00:00Z',
      config: { Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: diffIds.map(() => ({ created: '2024-01-01T00:00:00Z', created_by: 'x' })),
      ...extra,
    }),
  );
}

async function snapshot(store: ImageStore) {
  return {
    images: store
      .all()
      .map((r) => r.id)
      .sort(),
    refs: store.refs.entries().sort(),
    layers: (await store.layers.list()).map((l) => l.chainId).sort(),
    blobs: (await store.content.list()).map((b) => b.digest).sort(),
    tmp: await readdir(store.tmpDir()).catch(() => []),
  };
}

test('save → load round trip keeps ids, tags and history', async () => {
  const { store } = await fresh('save');
  const a = await importRootfs(store, streamOf(await rootfsTar()), { ref: 'rt/a:1' });
  const b = await commitImage(store, {
    parentImageId: a.id,
    diff: streamOf(await tarBuffer([{ name: 'b.txt', data: 'b' }])),
    config: {},
    ref: 'rt/b:2',
    createdBy: 'make b',
  });
  await store.tag('rt/a:1', 'rt/a:also');
  const buf = await readAll(await saveImages(store, ['rt/a', 'rt/b:2']));
  const files = await entriesOf(buf);
  for (const n of ['manifest.json', 'index.json', 'oci-layout', 'repositories', `blobs/sha256/${hexOf(a.id)}`, `blobs/sha256/${hexOf(b.id)}`])
    assert.ok(files.has(n), n);
  const manifest = JSON.parse(files.get('manifest.json')!.toString());
  assert.equal(manifest.length, 2);
  assert.deepEqual(manifest[0].RepoTags.sort(), ['rt/a:1', 'rt/a:also']);
  assert.equal(manifest[1].Layers.length, 2);
  const index = JSON.parse(files.get('index.json')!.toString());
  assert.equal(index.manifests.length, 3);
  assert.ok(index.manifests.some((m: { annotations?: Record<string, string> }) => m.annotations?.['io.containerd.image.name'] === 'docker.io/rt/b:2'));
  for (const [name, data] of files) if (name.startsWith('blobs/sha256/') && data.length) assert.equal(sha256(data), `sha256:${name.slice(13)}`, name);

  const { store: other } = await fresh('load');
  const res = await loadImages(other, streamOf(buf));
  assert.deepEqual(
    res.images.map((i) => i.id),
    [a.id, b.id],
  );
  assert.deepEqual(res.images[0]!.refs.sort(), ['rt/a:1', 'rt/a:also']);
  assert.equal(other.resolve('rt/b:2').id, b.id);
  assert.deepEqual(
    other.history('rt/b:2').map((h) => h.createdBy),
    ['make b', ''],
  );
  assert.deepEqual(
    other.resolve('rt/b:2').layers.map((l) => l.chainId),
    store.resolve(b.id).layers.map((l) => l.chainId),
  );
  // Loading again is idempotent; the OCI view of the same tar (index.json only) loads too.
  await loadImages(other, streamOf(buf));
  assert.equal(other.all().length, 2);
  const ociOnly = await tarBuffer([...files].filter(([n]) => n !== 'manifest.json' && !n.endsWith('/')).map(([name, data]) => ({ name, data })));
  const { store: third } = await fresh('load-oci');
  const r3 = await loadImages(third, streamOf(ociOnly));
  assert.deepEqual(r3.images.map((i) => i.id).sort(), [a.id, b.id].sort());
  assert.equal(third.resolve('rt/a:also').id, a.id);
  // Saving by id: untagged.
  const byId = await entriesOf(await readAll(await saveImages(store, [b.id.slice(7, 19)])));
  assert.equal(JSON.parse(byId.get('manifest.json')!.toString())[0].RepoTags, null);
});

test('load a hand-built OCI layout with a gzip layer, entries in any order', async () => {
  const { store } = await fresh('oci');
  const layer = await tarBuffer([{ name: 'x.txt', data: 'x' }]);
  const gz = gzipSync(layer);
  const config = configFor([sha256(layer)]);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(gz), size: gz.length }],
    }),
  );
  const desc = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(manifest), size: manifest.length };
  const index = {
    schemaVersion: 2,
    manifests: [
      { ...desc, annotations: { 'org.opencontainers.image.ref.name': 'localhost:5000/oci:1' } },
      { ...desc, annotations: { 'org.opencontainers.image.ref.name': 'latest' } },
    ],
  };
  const archive = await tarBuffer([
    { name: 'index.json', data: JSON.stringify(index) },
    { name: `blobs/sha256/${hexOf(sha256(gz))}`, data: gz },
    { name: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' },
    { name: `blobs/sha256/${hexOf(sha256(manifest))}`, data: manifest },
    { name: `blobs/sha256/${hexOf(sha256(config))}`, data: config },
  ]);
  const res = await loadImages(store, streamOf(archive));
  assert.deepEqual(res.images, [{ id: sha256(config), refs: ['localhost:5000/oci:1'] }]);
  assert.equal(store.resolve('localhost:5000/oci:1').id, sha256(config));
  assert.equal(store.resolve(sha256(config)).layers[0]!.diffId, sha256(layer));
  // The uncompressed tar is kept under its diffId, so a save reproduces the config's digests.
  assert.ok(await store.content.has(sha256(layer)));
});

test('load an old-format docker save tar (layer dirs, symlinked layers, manifest last)', async () => {
  const { store } = await fresh('old');
  const l1 = await tarBuffer([{ name: 'one', data: '1' }]);
  const c1 = configFor([sha256(l1)]);
  const c2 = configFor([sha256(l1)], { config: { Cmd: ['two'] } });
  const v1a = 'a'.repeat(64);
  const v1b = 'b'.repeat(64);
  const archive = await tarBuffer([
    { name: `${v1a}/`, type: 'directory' },
    { name: `${v1a}/VERSION`, data: '1.0' },
    { name: `${v1a}/json`, data: '{}' },
    { name: `${v1a}/layer.tar`, data: l1 },
    { name: `${v1b}/`, type: 'directory' },
    { name: `${v1b}/layer.tar`, type: 'symlink', linkname: `../${v1a}/layer.tar` },
    { name: `${hexOf(sha256(c1))}.json`, data: c1 },
    { name: `${hexOf(sha256(c2))}.json`, data: c2 },
    { name: 'repositories', data: JSON.stringify({ old: { latest: v1a } }) },
    {
      name: 'manifest.json',
      data: JSON.stringify([
        { Config: `${hexOf(sha256(c1))}.json`, RepoTags: ['old:latest'], Layers: [`${v1a}/layer.tar`] },
        { Config: `${hexOf(sha256(c2))}.json`, RepoTags: null, Layers: [`${v1b}/layer.tar`] },
      ]),
    },
  ]);
  const res = await loadImages(store, streamOf(archive));
  assert.deepEqual(res.images, [
    { id: sha256(c1), refs: ['old:latest'] },
    { id: sha256(c2), refs: [] },
  ]);
  assert.equal(store.resolve('old').id, sha256(c1));
  assert.equal((await store.layers.list()).length, 1);
  // Loading a new image with an existing tag moves the tag and reports it.
  const c3 = configFor([sha256(l1)], { config: { Cmd: ['three'] } });
  const again = await tarBuffer([
    { name: 'l.tar', data: l1 },
    { name: 'c.json', data: c3 },
    { name: 'manifest.json', data: JSON.stringify([{ Config: 'c.json', RepoTags: ['old:latest'], Layers: ['l.tar'] }]) },
  ]);
  const r2 = await loadImages(store, streamOf(again));
  assert.deepEqual(r2.moved, [{ ref: 'old:latest', oldId: sha256(c1) }]);
});

// Docker before 1.10 saved only `repositories` and v1 layer dirs (dockerode's own test loads such
// a 2016 hello-world); dockerd 20.10 still loads them, making the image config from the v1 json.
test('load a legacy v1 archive (repositories and <id>/json + layer.tar chained by parent, no manifest.json)', async () => {
  const { store } = await fresh('legacy');
  const l1 = await tarBuffer([{ name: 'hello', data: 'hi' }]);
  const l2 = await tarBuffer([]);
  const base = 'c'.repeat(64);
  const top = 'd'.repeat(64);
  const archive = await tarBuffer([
    { name: 'repositories', data: JSON.stringify({ 'hello-old': { latest: top } }) },
    { name: `${base}/VERSION`, data: '1.0' },
    {
      name: `${base}/json`,
      data: JSON.stringify({
        id: base,
        created: '2015-10-13T23:47:48.2Z',
        container_config: { Cmd: ['/bin/sh', '-c', '#(nop) COPY file:x in /'] },
        config: {},
      }),
    },
    { name: `${base}/layer.tar`, data: l1 },
    {
      name: `${top}/json`,
      data: JSON.stringify({
        id: top,
        parent: base,
        created: '2015-10-13T23:47:48.9Z',
        container_config: { Cmd: ['/bin/sh', '-c', '#(nop) CMD ["/hello"]'] },
        config: { Cmd: ['/hello'] },
        architecture: 'amd64',
        os: 'linux',
        Size: 0,
      }),
    },
    { name: `${top}/layer.tar`, data: l2 },
  ]);
  const res = await loadImages(store, streamOf(archive));
  assert.equal(res.images.length, 1);
  assert.deepEqual(res.images[0]!.refs, ['hello-old:latest']);
  const cfg = JSON.parse((await store.content.read(res.images[0]!.id as Digest)).toString()) as Record<string, unknown>;
  assert.deepEqual(cfg.rootfs, { type: 'layers', diff_ids: [sha256(l1), sha256(l2)] });
  assert.deepEqual(cfg.config, { Cmd: ['/hello'] });
  assert.equal(cfg.architecture, 'amd64');
  assert.ok(!('id' in cfg) && !('parent' in cfg) && !('Size' in cfg), 'the v1 fields are dropped');
  assert.deepEqual(cfg.history, [
    { created: '2015-10-13T23:47:48.2Z', created_by: '/bin/sh -c #(nop) COPY file:x in /' },
    { created: '2015-10-13T23:47:48.9Z', created_by: '/bin/sh -c #(nop) CMD ["/hello"]' },
  ]);
  // A parent that is not in the archive is an error, and nothing is kept.
  const broken = await tarBuffer([
    { name: 'repositories', data: JSON.stringify({ x: { latest: top } }) },
    { name: `${top}/json`, data: JSON.stringify({ id: top, parent: 'e'.repeat(64) }) },
    { name: `${top}/layer.tar`, data: l2 },
  ]);
  await assert.rejects(loadImages(store, streamOf(broken)));
});

test('hostile archives are refused and leave the store unchanged', async () => {
  const { store } = await fresh('hostile');
  await importRootfs(store, streamOf(await rootfsTar()), { ref: 'existing' });
  const before = await snapshot(store);
  const layer = await tarBuffer([{ name: 'f', data: 'f' }]);
  const other = await tarBuffer([{ name: 'g', data: 'g' }]);
  const cfg = configFor([sha256(layer)]);
  const blob = (d: Digest) => `blobs/sha256/${hexOf(d)}`;
  const manifestJson = (m: unknown) => ({ name: 'manifest.json', data: JSON.stringify(m) });
  const cases: [string, Entry[], RegExp][] = [
    [
      'path escape in manifest.json',
      [{ name: 'c.json', data: cfg }, manifestJson([{ Config: 'c.json', RepoTags: ['evil:1'], Layers: ['../../etc/passwd'] }])],
      /invalid path in archive manifest/,
    ],
    [
      'absolute path in manifest.json',
      [{ name: 'c.json', data: cfg }, manifestJson([{ Config: '/etc/passwd', RepoTags: ['evil:1'], Layers: [] }])],
      /invalid path/,
    ],
    ['entry escaping the archive', [{ name: '../../evil', data: 'x' }, manifestJson([])], /invalid archive entry name/],
    ['symlink escaping the archive', [{ name: 'l.tar', type: 'symlink', linkname: '../../../etc/passwd' }], /invalid link in archive/],
    ['missing layer', [{ name: 'c.json', data: cfg }, manifestJson([{ Config: 'c.json', RepoTags: ['evil:1'], Layers: ['nope.tar'] }])], /nope.tar is missing/],
    [
      'blob digest mismatch',
      [
        { name: blob(sha256(layer)), data: other },
        { name: blob(sha256(cfg)), data: cfg },
        manifestJson([{ Config: blob(sha256(cfg)), RepoTags: ['evil:1'], Layers: [blob(sha256(layer))] }]),
      ],
      /digest mismatch|invalid diffID/,
    ],
    [
      'config digest mismatch',
      [
        { name: blob(sha256(layer)), data: layer },
        { name: blob(sha256(other)), data: cfg },
        manifestJson([{ Config: blob(sha256(other)), RepoTags: ['evil:1'], Layers: [blob(sha256(layer))] }]),
      ],
      /digest mismatch for config/,
    ],
    [
      'diffId mismatch',
      [{ name: 'l.tar', data: other }, { name: 'c.json', data: cfg }, manifestJson([{ Config: 'c.json', RepoTags: ['evil:1'], Layers: ['l.tar'] }])],
      /invalid diffID for layer 0/,
    ],
    [
      'second image bad: first not kept',
      [
        { name: 'l.tar', data: layer },
        { name: 'l2.tar', data: other },
        { name: 'c.json', data: cfg },
        manifestJson([
          { Config: 'c.json', RepoTags: ['evil:1'], Layers: ['l.tar'] },
          { Config: 'c.json', RepoTags: ['evil:2'], Layers: ['l2.tar'] },
        ]),
      ],
      /invalid diffID/,
    ],
    ['layer count mismatch', [{ name: 'c.json', data: cfg }, manifestJson([{ Config: 'c.json', RepoTags: ['evil:1'], Layers: [] }])], /layers length mismatch/],
    [
      'bad tag',
      [{ name: 'l.tar', data: layer }, { name: 'c.json', data: cfg }, manifestJson([{ Config: 'c.json', RepoTags: ['EVIL'], Layers: ['l.tar'] }])],
      /must be lowercase/,
    ],
    [
      'absurd descriptor size',
      [
        {
          name: 'index.json',
          data: JSON.stringify({
            schemaVersion: 2,
            manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(cfg), size: 1e300 }],
          }),
        },
      ],
      /bad size/,
    ],
    ['not a tar', [], /neither manifest.json nor index.json/],
  ];
  for (const [what, entries, re] of cases) {
    const archive = await tarBuffer(entries);
    await assert.rejects(loadImages(store, streamOf(archive)), (e: Error & { kind?: string }) => {
      assert.match(e.message, re, what);
      assert.equal(e.kind, 'invalid-argument', what);
      return true;
    });
    assert.deepEqual(await snapshot(store), before, what);
  }
  await assert.rejects(loadImages(store, streamOf(Buffer.from('garbage that is not a tar at all'.repeat(40)))), /invalid tar archive|neither/);
  assert.deepEqual(await snapshot(store), before);
});

test('an image committed in place from a snapshot saves with layer bytes matching its diffIDs, and a layer changed behind its back is refused', async () => {
  const { store } = await fresh('inplace');
  const a = await importRootfs(store, streamOf(await rootfsTar()), { ref: 'ip/a:1' });
  const key = 'build-inplace-1';
  await store.layers.prepare(key, store.rootfsChainId(a.id));
  await mkdir(join(store.layers.upperDir(key), 'etc'), { recursive: true });
  await writeFile(join(store.layers.upperDir(key), 'etc', 'made'), 'in place');
  const b = await commitImage(store, { parentImageId: a.id, diff: { snapshot: key }, config: {}, ref: 'ip/b:1', createdBy: 'RUN make' });
  const top = store.resolve(b.id).layers.at(-1)!;
  assert.equal(await store.content.has(top.diffId), false, 'no tar blob written at commit');
  assert.deepEqual(await store.layers.listSnapshots(), [], 'the snapshot became the layer');

  const buf = await readAll(await saveImages(store, ['ip/b:1']));
  const files = await entriesOf(buf);
  for (const [name, data] of files) if (name.startsWith('blobs/sha256/') && data.length) assert.equal(sha256(data), `sha256:${name.slice(13)}`, name);
  const { store: other } = await fresh('inplace-load');
  const res = await loadImages(other, streamOf(buf));
  assert.deepEqual(
    res.images.map((i) => i.id),
    [b.id],
  );

  // The layer's files changed on disk after the commit: its bytes no longer match the diffID the
  // config names, so saving it fails instead of writing an archive that lies.
  const { store: s2 } = await fresh('inplace-tamper');
  const a2 = await importRootfs(s2, streamOf(await rootfsTar()), { ref: 'ip/a:1' });
  await s2.layers.prepare(key, s2.rootfsChainId(a2.id));
  await writeFile(join(s2.layers.upperDir(key), 'made'), 'one');
  const c = await commitImage(s2, { parentImageId: a2.id, diff: { snapshot: key }, config: {}, ref: 'ip/c:1' });
  const layer = s2.resolve(c.id).layers.at(-1)!;
  const diffDir = join((s2.layers as unknown as { root: string }).root, 'layers', hexOf(layer.chainId), 'diff');
  await writeFile(join(diffDir, 'made'), 'two');
  await assert.rejects(async () => readAll(await saveImages(s2, ['ip/c:1'])), /diffI[dD]/);
  const { stream } = await openLayerTar(s2.content, s2.layers, layer);
  await assert.rejects(readAll(stream), /re-exports as sha256:[0-9a-f]{64}, not its diffID/);
});
