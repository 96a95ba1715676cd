// Hostile tars through the image entry points of a real berthd: import (POST /images/create
// ?fromSrc=-) and load (POST /images/load, docker-save and OCI layouts). Each must be refused
// without writing outside the data root and without leaving an image, layer, blob or temp file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { TestDaemon } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';
import { api, leftovers, makeTar, messageOf, snapshot, tarEntries, type ApiResponse, type StoreSnapshot, type TarEntry } from './support.js';
import { dockerSave, hexOf, imageConfig, ociLayout, sha } from './image-archives.js';

const skip = requiresRoot('real crun, overlayfs, cgroups');
let d: TestDaemon;
let hostDir: string; // a host directory hostile tars aim at; it must stay empty
let marker: string; // a path under hostDir that must never be created
const up = '../'.repeat(20);

before(async () => {
  if (skip) return;
  hostDir = await mkdtemp(join(tmpdir(), 'berth-badinput-host-'));
  marker = join(hostDir, 'escaped');
  d = await TestDaemon.create();
  await d.start();
  await d.importBusybox();
});

after(async () => {
  if (d) await d.stop();
  if (hostDir) await rm(hostDir, { recursive: true, force: true });
});

async function unchanged(before: StoreSnapshot, what: string): Promise<void> {
  assert.deepEqual(await snapshot(d), before, `${what}: the store changed`);
  assert.deepEqual(await leftovers(d), [], `${what}: temp files left behind`);
  assert.equal(existsSync(marker), false, `${what}: wrote outside the data root (${marker})`);
}

function refused(r: ApiResponse, what: string, status = 400): void {
  assert.equal(r.status, status, `${what}: expected ${status}, got ${r.status} ${r.text.slice(0, 300)}`);
  assert.ok(messageOf(r).length > 0);
}

/** Layer tars that must never unpack. */
function hostileLayers(): [string, TarEntry[]][] {
  const abs = marker.slice(1); // marker without the leading "/"
  return [
    ['dot-dot name', [{ name: `${up}${abs}`, data: 'x' }]],
    ['dot-dot in the middle', [{ name: `etc/${up}${abs}`, data: 'x' }]],
    ['absolute name', [{ name: marker, data: 'x' }]],
    [
      'write through an absolute symlink',
      [
        { name: 'esc', type: 'symlink', linkname: hostDir },
        { name: 'esc/escaped', data: 'x' },
      ],
    ],
    [
      'write through a relative symlink',
      [
        { name: 'esc', type: 'symlink', linkname: `${up}${hostDir.slice(1)}` },
        { name: 'esc/escaped', data: 'x' },
      ],
    ],
    [
      'symlink dir then a dir through it',
      [
        { name: 'esc', type: 'symlink', linkname: hostDir },
        { name: 'esc/escaped/', type: 'directory' },
      ],
    ],
    ['hard link to /etc/shadow', [{ name: 'shadow', type: 'link', linkname: '/etc/shadow' }]],
    ['hard link climbing to /etc/shadow', [{ name: 'shadow', type: 'link', linkname: `${up}etc/shadow` }]],
    [
      'hard link through a symlink',
      [
        { name: 'e', type: 'symlink', linkname: '/etc' },
        { name: 'shadow', type: 'link', linkname: 'e/shadow' },
      ],
    ],
    ['character device', [{ name: 'mem', type: 'character-device', devmajor: 1, devminor: 1 }]],
    ['block device', [{ name: 'sda', type: 'block-device', devmajor: 8, devminor: 0 }]],
    ['whiteout climbing out', [{ name: `${up}${hostDir.slice(1)}/.wh.escaped`, data: '' }]],
  ];
}

test('import refuses hostile layer tars and leaves the store as it was', { skip }, async () => {
  const before = await snapshot(d);
  for (const [what, entries] of hostileLayers()) {
    const tarBuf = await makeTar(entries);
    for (const [how, body] of [
      ['plain', tarBuf],
      ['gzip', gzipSync(tarBuf)],
    ] as const) {
      const r = await api(d, 'POST', `/images/create?fromSrc=-&repo=hostile&tag=t${process.pid}`, body, { 'Content-Type': 'application/x-tar' });
      refused(r, `${what} (${how})`);
      await unchanged(before, `${what} (${how})`);
    }
  }
});

test('import refuses broken input: garbage, truncated gzip, unsupported compression', { skip }, async () => {
  const before = await snapshot(d);
  const good = gzipSync(await makeTar([{ name: 'a', data: 'a'.repeat(100_000) }]));
  const bodies: [string, Buffer, number][] = [
    ['garbage', Buffer.from('definitely not a tar archive, but long enough to be mistaken for a header '.repeat(20)), 400],
    ['truncated gzip', good.subarray(0, good.length >> 1), 400],
    ['corrupt gzip', Buffer.concat([good.subarray(0, 20), Buffer.alloc(200, 0xff)]), 400],
    ['truncated tar', (await makeTar([{ name: 'a', data: 'a'.repeat(100_000) }])).subarray(0, 5000), 400],
    ['zstd magic', Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(100)]), 400],
  ];
  for (const [what, body, status] of bodies) {
    refused(await api(d, 'POST', `/images/create?fromSrc=-&repo=broken&tag=t${process.pid}`, body), what, status);
    await unchanged(before, what);
  }
  // Bad parameters are refused before the body is read.
  refused(await api(d, 'POST', '/images/create?fromSrc=-&repo=Bad!', good), 'bad repo');
  refused(await api(d, 'POST', '/images/create?fromSrc=-&repo=ok&tag=bad!tag', good), 'bad tag');
  refused(await api(d, 'POST', '/images/create?fromSrc=-&repo=ok&changes=BOGUS%20x', good), 'bad change');
  await unchanged(before, 'bad parameters');
});

/** Peak resident memory of the daemon (kB). */
async function daemonPeakKb(): Promise<number> {
  const status = await readFile(`/proc/${d.proc!.pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)![1]);
}

test('a gzip bomb streams through without buffering and leaves nothing behind', { skip }, async () => {
  const before = await snapshot(d);
  // A tiny tar followed by 256 MiB of zeros: ~256 KiB on the wire.
  const tarBuf = await makeTar([{ name: 'small', data: 'x' }]);
  const bomb = gzipSync(Buffer.concat([tarBuf, Buffer.alloc(256 << 20)]), { level: 9 });
  assert.ok(bomb.length < 1 << 20);
  const peak0 = await daemonPeakKb();
  const r = await api(d, 'POST', `/images/create?fromSrc=-&repo=bomb&tag=t${process.pid}`, bomb);
  const grew = (await daemonPeakKb()) - peak0;
  assert.ok(grew < 128 * 1024, `the daemon's peak RSS grew by ${grew} kB`);
  assert.deepEqual(await leftovers(d), []);
  if (r.status === 200) {
    // Accepted as a (padded) one-file layer: removing the image restores the store.
    const id = JSON.parse(r.text.split('\r\n')[0]!).status as string;
    assert.match(id, /^sha256:[a-f0-9]{64}$/);
    assert.equal((await api(d, 'DELETE', `/images/${id}`)).status, 200);
  } else refused(r, 'gzip bomb');
  await unchanged(before, 'gzip bomb');
});

const okLayer = () => makeTar([{ name: 'hello.txt', data: 'hello' }]);

test('load refuses hostile docker-save archives', { skip }, async () => {
  const before = await snapshot(d);
  const layer = await okLayer();
  const bad = await makeTar(hostileLayers()[3]![1]); // writes through a symlink
  const otherLayer = await makeTar([{ name: 'other.txt', data: 'other' }]);
  const cases: [string, Buffer][] = [
    ['Config climbing out', await dockerSave([{ layers: [layer], tags: ['x:1'], configPath: `${up}etc/passwd` }])],
    ['Config absolute', await dockerSave([{ layers: [layer], tags: ['x:1'], configPath: '/etc/passwd' }])],
    ['Layer climbing out', await dockerSave([{ layers: [layer], tags: ['x:1'], layerPaths: [`${up}etc/passwd`] }])],
    ['Layer absolute', await dockerSave([{ layers: [layer], tags: ['x:1'], layerPaths: ['/etc/shadow'] }])],
    [
      'Layer is a symlink to a host file',
      await dockerSave([{ layers: [layer], tags: ['x:1'], layerPaths: ['evil.tar'] }], [{ name: 'evil.tar', type: 'symlink', linkname: '/etc/shadow' }]),
    ],
    [
      'Layer is a symlink climbing out',
      await dockerSave(
        [{ layers: [layer], tags: ['x:1'], layerPaths: ['a/evil.tar'] }],
        [{ name: 'a/evil.tar', type: 'symlink', linkname: `${up}etc/shadow` }],
      ),
    ],
    [
      'Layer is a hard link to a host file',
      await dockerSave([{ layers: [layer], tags: ['x:1'], layerPaths: ['h.tar'] }], [{ name: 'h.tar', type: 'link', linkname: '/etc/shadow' }]),
    ],
    [
      'blob digest mismatch',
      await dockerSave(
        [{ layers: [layer], tags: ['x:1'], layerPaths: [`blobs/sha256/${hexOf(sha('something else'))}`] }],
        [{ name: `blobs/sha256/${hexOf(sha('something else'))}`, data: layer }],
      ),
    ],
    ['diff_id mismatch', await dockerSave([{ layers: [layer], tags: ['x:1'], config: imageConfig([sha(otherLayer)]) }])],
    ['layer count mismatch', await dockerSave([{ layers: [layer], tags: ['x:1'], config: imageConfig([sha(layer), sha(otherLayer)]) }])],
    ['config not JSON', await dockerSave([{ layers: [layer], tags: ['x:1'], config: Buffer.from('{{{') }])],
    ['config without rootfs', await dockerSave([{ layers: [layer], tags: ['x:1'], config: Buffer.from('{"os":"linux"}') }])],
    ['bad tag', await dockerSave([{ layers: [layer], tags: ['Bad!:x'] }])],
    ['hostile layer content', await dockerSave([{ layers: [bad], tags: ['x:1'] }])],
    [
      'second image hostile',
      await dockerSave([
        { layers: [otherLayer], tags: ['first:1'] },
        { layers: [bad], tags: ['second:1'] },
      ]),
    ],
    ['manifest.json not an array', await makeTar([{ name: 'manifest.json', data: '{"Config":"x"}' }])],
    ['manifest.json climbing out', await makeTar([{ name: `${up}manifest.json`, data: '[]' }])],
    ['no manifest', await makeTar([{ name: 'hello', data: 'x' }])],
    ['garbage', Buffer.from('not a tar '.repeat(100))],
    ['empty body', Buffer.alloc(0)],
  ];
  for (const [what, body] of cases) {
    for (const [how, b] of [
      ['plain', body],
      ['gzip', gzipSync(body)],
    ] as const) {
      refused(await api(d, 'POST', '/images/load?quiet=1', b, { 'Content-Type': 'application/x-tar' }), `${what} (${how})`);
      await unchanged(before, `${what} (${how})`);
    }
  }
});

test('load refuses hostile OCI layouts', { skip }, async () => {
  const before = await snapshot(d);
  const layer = await okLayer();
  const cases: [string, Buffer][] = [
    ['manifest digest mismatch', await ociLayout(layer, 'oci:1', { manifestDigest: sha('nope') })],
    ['manifest digest not a digest', await ociLayout(layer, 'oci:1', { manifestDigest: 'sha256:../../../etc/passwd' })],
    ['layer size mismatch', await ociLayout(layer, 'oci:1', { layerSize: 10 })],
    ['layer bytes swapped', await ociLayout(layer, 'oci:1', { swapLayerBytes: await makeTar([{ name: 'evil', data: 'evil' }]) })],
    ['layer missing', await ociLayout(layer, 'oci:1', { omit: 'layer' })],
    ['config missing', await ociLayout(layer, 'oci:1', { omit: 'config' })],
    ['layer digest names another blob', await ociLayout(layer, 'oci:1', { layerDigest: sha('x') })],
    [
      'blob is a symlink out of the archive',
      await ociLayout(layer, 'oci:1', {
        omit: 'layer',
        extraEntries: [{ name: `blobs/sha256/${hexOf(sha(layer))}`, type: 'symlink', linkname: '/etc/shadow' }],
      }),
    ],
    ['hostile layer content', await ociLayout(await makeTar(hostileLayers()[4]![1]), 'oci:1')],
    ['bad reference', await ociLayout(layer, 'Bad!:1')],
  ];
  for (const [what, body] of cases) {
    refused(await api(d, 'POST', '/images/load', body), what);
    await unchanged(before, what);
  }
});

test('after all that, a good load and import still work and clean up', { skip }, async () => {
  const before = await snapshot(d);
  const layer = await okLayer();
  const r = await api(d, 'POST', '/images/load', await dockerSave([{ layers: [layer], tags: [`good-load:${process.pid}`] }]));
  assert.equal(r.status, 200, r.text);
  assert.match(r.text, new RegExp(`Loaded image: good-load:${process.pid}`));
  const oci = await api(d, 'POST', '/images/load', await ociLayout(layer, `good-oci:${process.pid}`));
  assert.equal(oci.status, 200, oci.text);
  assert.match(oci.text, new RegExp(`Loaded image: good-oci:${process.pid}`));
  assert.deepEqual(await leftovers(d), []);
  // The loaded layer holds exactly the archive's file, readable in a container.
  const c = await api(d, 'POST', '/containers/create', JSON.stringify({ Image: `good-load:${process.pid}` }), { 'Content-Type': 'application/json' });
  assert.equal(c.status, 201, c.text);
  const id = (c.json as { Id: string }).Id;
  const got = await api(d, 'GET', `/containers/${id}/archive?path=/hello.txt`);
  assert.equal(got.status, 200, got.text);
  assert.deepEqual(
    (await tarEntries(got.body)).map((e) => [e.name, e.data.toString()]),
    [['hello.txt', 'hello']],
  );
  assert.equal((await api(d, 'DELETE', `/containers/${id}`)).status, 204);
  for (const ref of [`good-load:${process.pid}`, `good-oci:${process.pid}`]) assert.equal((await api(d, 'DELETE', `/images/${ref}`)).status, 200);
  await unchanged(before, 'good load then delete');
});
