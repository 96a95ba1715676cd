// Garbage collection against a live server's root: unreferenced old blobs go, referenced and
// young ones stay, --dry-run deletes nothing, and a blob a push is referencing right now is
// spared even when it was old and unreferenced a moment before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, rename, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '../../lib/digest.js';
import { collectGarbage } from './gc.js';
import { pushBlob, pushImage, startTestRegistry } from './testing/test-registry.js';

const HOUR = 3600_000;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

test('gc: marks from manifests, sweeps old orphans, spares young ones; dry run deletes nothing', async (t) => {
  const reg = await startTestRegistry();
  t.after(() => reg.close());
  const u = reg.url;
  const keep = await pushImage(u, 'gc/app', 'v1', { layers: ['shared', 'only-v1'] });
  const drop = await pushImage(u, 'gc/app', 'v2', { layers: ['shared', 'only-v2'] });
  assert.equal((await fetch(`${u}/v2/gc/app/manifests/${drop.digest}`, { method: 'DELETE' })).status, 202);
  const orphanOld = await pushBlob(u, 'gc/app', 'pushed, never referenced');
  const orphanYoung = await pushBlob(u, 'gc/app', 'pushed just now');
  // Everything but the young orphan is two hours old.
  const old = new Date(Date.now() - 2 * HOUR);
  for (const d of await reg.storage.listBlobs()) if (d !== orphanYoung) await utimes(reg.storage.blobPath(d), old, old);

  const dry = await collectGarbage(reg.storage, { dryRun: true, graceMs: HOUR });
  const expected = [drop.digest, drop.config, drop.layers[1]!, orphanOld].sort();
  assert.deepEqual(dry.swept.map((s) => s.digest).sort(), expected);
  assert.equal(dry.spared, 1);
  assert.equal((await reg.storage.listBlobs()).length, 9, 'a dry run deletes nothing');

  const real = await collectGarbage(reg.storage, { dryRun: false, graceMs: HOUR });
  assert.deepEqual(real.swept.map((s) => s.digest).sort(), expected);
  for (const d of expected) assert.equal(await reg.storage.blobSize(d as Digest), undefined);
  assert.deepEqual((await reg.storage.linkedBlobs('gc/app')).includes(orphanOld as Digest), false, 'links to swept blobs are dropped');
  // The kept image pulls whole.
  const m = await fetch(`${u}/v2/gc/app/manifests/v1`);
  assert.equal(m.status, 200);
  await m.text();
  for (const d of [keep.config, ...keep.layers]) assert.equal((await fetch(`${u}/v2/gc/app/blobs/${d}`)).status, 200);
  assert.equal((await fetch(`${u}/v2/gc/app/blobs/${orphanYoung}`)).status, 200);
  // A temp file a kill -9 left mid-write goes once it is old.
  const { writeFile } = await import('node:fs/promises');
  const tmp = `${reg.storage.blobPath(orphanYoung as Digest)}`.replace(/[^/]+$/, '.deadbeef.0123.tmp');
  await writeFile(tmp, 'half');
  await utimes(tmp, old, old);
  // So do those of a tag and a manifest revision (a manifest PUT killed mid-write), old ones only.
  const revTmp = join(reg.storage.root, 'repositories/gc/app/_manifests/revisions/sha256', `.${keep.digest.slice(7)}.0123.tmp`);
  const tagTmp = join(reg.storage.root, 'repositories/gc/app/_manifests/tags', '.v3.4567.tmp');
  const youngTmp = join(reg.storage.root, 'repositories/gc/app/_manifests/tags', '.v4.89ab.tmp');
  for (const f of [revTmp, tagTmp, youngTmp]) await writeFile(f, 'half');
  for (const f of [revTmp, tagTmp]) await utimes(f, old, old);
  const again = await collectGarbage(reg.storage, { dryRun: false, graceMs: HOUR });
  assert.deepEqual(again.swept, []);
  assert.equal(again.temps, 3);
  assert.deepEqual(await readdir(join(reg.storage.root, 'repositories/gc/app/_manifests/tags')), ['.v4.89ab.tmp', 'v1']);
  assert.deepEqual(await readdir(join(reg.storage.root, 'repositories/gc/app/_manifests/revisions/sha256')), [keep.digest.slice(7)]);
});

/**
 * A registry holding one image whose manifest was deleted: its blobs are old orphans (still
 * linked in the repository), the state a push naming them again meets.
 */
async function orphanedImage(t: { after: (fn: () => unknown) => void }, repo: string, layer: string) {
  const reg = await startTestRegistry();
  t.after(() => reg.close());
  const img = await pushImage(reg.url, repo, 'v1', { layers: [layer] });
  await fetch(`${reg.url}/v2/${repo}/manifests/${img.digest}`, { method: 'DELETE' });
  const old = new Date(Date.now() - 2 * HOUR);
  for (const d of await reg.storage.listBlobs()) await utimes(reg.storage.blobPath(d), old, old);
  return { reg, u: reg.url, img };
}

test('gc beside a push: an old unreferenced blob a manifest PUT just checked is spared', async (t) => {
  // The manifest goes, its blobs become old orphans (still linked in the repository) ...
  const { reg, u, img } = await orphanedImage(t, 'race/app', 'layer-x');
  // ... and a client pushes a manifest naming them again (HEAD said they exist: no upload).
  const put = await fetch(`${u}/v2/race/app/manifests/v1b`, { method: 'PUT', body: img.body, headers: { 'Content-Type': OCI_MANIFEST } });
  assert.equal(put.status, 201);
  const r = await collectGarbage(reg.storage, { dryRun: false, graceMs: HOUR });
  assert.deepEqual(r.swept, []);
  // An upload in progress is not in blobs/ at all: the collector cannot see or harm it.
  const s = await fetch(`${u}/v2/race/app/blobs/uploads/`, { method: 'POST' });
  const loc = s.headers.get('location')!;
  await fetch(`${u}${loc}`, { method: 'PATCH', body: 'partial', headers: { 'Content-Range': '0-6' } });
  await collectGarbage(reg.storage, { dryRun: false, graceMs: 0 });
  const st = await fetch(`${u}${loc}`);
  assert.equal(st.headers.get('range'), '0-6');
});

test('gc beside a push: an old orphan a HEAD just reported present is spared until the manifest lands', async (t) => {
  const { reg, u, img } = await orphanedImage(t, 'head/app', 'layer-h');
  // A pushing client HEADs its blobs ("Layer already exists") and so sends none of them ...
  for (const d of [img.config, ...img.layers]) assert.equal((await fetch(`${u}/v2/head/app/blobs/${d}`, { method: 'HEAD' })).status, 200);
  // ... a collection runs before its manifest arrives ...
  const r = await collectGarbage(reg.storage, { dryRun: false, graceMs: HOUR });
  assert.deepEqual(r.swept.map((s) => s.digest).sort(), [img.digest].sort(), 'only the deleted manifest goes');
  // ... and the manifest still finds every blob it names.
  const put = await fetch(`${u}/v2/head/app/manifests/v1b`, { method: 'PUT', body: img.body, headers: { 'Content-Type': OCI_MANIFEST } });
  assert.equal(put.status, 201);
});

test("gc beside a push: a HEAD that lands after the sweep's last mtime check still keeps its blob", async (t) => {
  const { reg, u, img } = await orphanedImage(t, 'late/app', 'layer-late');
  // The client HEADs the config early (an ordinary mark) and the layer at the worst moment: the
  // collector has read its mtime for the last time (old) and is about to remove it when the
  // client is told "200, no need to upload".
  assert.equal((await fetch(`${u}/v2/late/app/blobs/${img.config}`, { method: 'HEAD' })).status, 200);
  const layer = img.layers[0] as Digest;
  const storage = reg.storage;
  const realMtime = storage.blobMtime.bind(storage);
  let reads = 0;
  let headStatus = 0;
  storage.blobMtime = async (d: Digest) => {
    const m = await realMtime(d);
    if (d === layer && ++reads === 2) headStatus = (await fetch(`${u}/v2/late/app/blobs/${layer}`, { method: 'HEAD' })).status;
    return m;
  };
  const r = await collectGarbage(storage, { dryRun: false, graceMs: HOUR });
  storage.blobMtime = realMtime;
  assert.equal(headStatus, 200, 'the HEAD saw the blob');
  assert.ok(!r.swept.some((s) => s.digest === layer), 'so the collector kept it');
  const put = await fetch(`${u}/v2/late/app/manifests/v1b`, { method: 'PUT', body: img.body, headers: { 'Content-Type': OCI_MANIFEST } });
  assert.equal(put.status, 201, 'and the manifest naming it lands');
  assert.equal((await fetch(`${u}/v2/late/app/blobs/${layer}`)).status, 200);
});

test('gc killed while a blob is renamed aside: the next collection (and the server start) puts it back first', async (t) => {
  const reg = await startTestRegistry();
  t.after(() => reg.close());
  const u = reg.url;
  const img = await pushImage(u, 'aside/app', 'v1', { layers: ['layer-aside'] });
  const layer = img.layers[0] as Digest;
  const path = reg.storage.blobPath(layer);
  await rename(path, `${path}.condemned`); // where a killed sweep leaves it
  assert.equal((await fetch(`${u}/v2/aside/app/blobs/${layer}`)).status, 404);
  const r = await collectGarbage(reg.storage, { dryRun: false, graceMs: HOUR });
  assert.deepEqual(r.swept, [], 'referenced by v1: back and kept');
  assert.equal((await fetch(`${u}/v2/aside/app/blobs/${layer}`)).status, 200);
  assert.ok(!(await readdir(join(reg.storage.root, 'blobs/sha256'))).some((n) => n.endsWith('.condemned')));
});
