// Interop: Debian's skopeo (containers/image) pushes to and pulls from Berth's registry: a
// docker-archive up (POST, streamed PATCH, PUT), back down to dir: and oci:, an OCI-format push,
// a copy between repositories (HEAD then mount), tag listing and delete.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { BerthRegistry } from './berth-registry.js';
import { sha } from './registry-harness.js';
import { makeArchive, skopeo } from './image-archive.js';

const skip = existsSync('/usr/bin/skopeo') ? false : 'skopeo is not installed (apt-get install skopeo)';
const NOVERIFY = ['--src-tls-verify=false', '--dest-tls-verify=false'];

let reg: BerthRegistry;
let work: string;
let archive: string;
let layerTar: Buffer;
let config: Buffer;

before(async () => {
  if (skip) return;
  work = await mkdtemp(join(tmpdir(), `berth-skopeo-${process.pid}-`));
  ({ path: archive, layerTar, config } = await makeArchive(work, 8 * 1024 * 1024));
  reg = await BerthRegistry.start();
});
after(async () => {
  await reg?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test('skopeo copy docker-archive -> Berth registry -> dir: and oci:', { skip }, async () => {
  const t0 = process.hrtime.bigint();
  await skopeo('copy', ...NOVERIFY, `docker-archive:${archive}`, `docker://${reg.host}/skopeo/test:v1`);
  const pushMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const inspect = JSON.parse(await skopeo('inspect', '--tls-verify=false', `docker://${reg.host}/skopeo/test:v1`)) as { Digest: string; Layers: string[] };
  assert.equal(inspect.Layers.length, 1);
  const cfg = await skopeo('inspect', '--tls-verify=false', '--config', '--raw', `docker://${reg.host}/skopeo/test:v1`);
  assert.equal(sha(Buffer.from(cfg)), sha(config), 'the config comes back byte for byte');

  const dir = join(work, 'out-dir');
  const t1 = process.hrtime.bigint();
  await skopeo('copy', ...NOVERIFY, `docker://${reg.host}/skopeo/test:v1`, `dir:${dir}`);
  const pullMs = Number(process.hrtime.bigint() - t1) / 1e6;
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { layers: { digest: string; mediaType: string }[] };
  const layer = await readFile(join(dir, manifest.layers[0]!.digest.slice(7)));
  const plain = /gzip/.test(manifest.layers[0]!.mediaType) ? gunzipSync(layer) : layer;
  assert.equal(sha(plain), sha(layerTar), 'the layer unpacks to the tar that was pushed');
  const mb = layerTar.length / 1024 / 1024;
  console.log(`# skopeo over loopback: push ${mb.toFixed(1)} MiB in ${pushMs.toFixed(0)} ms, pull in ${pullMs.toFixed(0)} ms (compression included)`);

  const oci = join(work, 'out-oci');
  await skopeo('copy', ...NOVERIFY, `docker://${reg.host}/skopeo/test:v1`, `oci:${oci}:v1`);
  const index = JSON.parse(await readFile(join(oci, 'index.json'), 'utf8')) as { manifests: { annotations?: Record<string, string> }[] };
  assert.equal(index.manifests[0]!.annotations?.['org.opencontainers.image.ref.name'], 'v1');
});

test('skopeo: OCI-format push, copy between repositories, list-tags, delete', { skip }, async () => {
  await skopeo('copy', ...NOVERIFY, '--format', 'oci', `docker-archive:${archive}`, `docker://${reg.host}/skopeo/oci:v1`);
  const raw = JSON.parse(await skopeo('inspect', '--tls-verify=false', '--raw', `docker://${reg.host}/skopeo/oci:v1`)) as { mediaType: string };
  assert.equal(raw.mediaType, 'application/vnd.oci.image.manifest.v1+json');
  await skopeo('copy', ...NOVERIFY, `docker://${reg.host}/skopeo/test:v1`, `docker://${reg.host}/other/repo:copied`);
  await skopeo('copy', ...NOVERIFY, `docker://${reg.host}/skopeo/test:v1`, `docker://${reg.host}/skopeo/test:v2`);
  const tags = JSON.parse(await skopeo('list-tags', '--tls-verify=false', `docker://${reg.host}/skopeo/test`)) as { Tags: string[] };
  assert.deepEqual(tags.Tags, ['v1', 'v2']);
  await skopeo('delete', '--tls-verify=false', `docker://${reg.host}/other/repo:copied`);
  await assert.rejects(skopeo('inspect', '--tls-verify=false', `docker://${reg.host}/other/repo:copied`));
});
