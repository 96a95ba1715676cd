// Interop: Debian's skopeo (containers/image) pushes to and pulls from Berth's registry: a
// docker-archive up (POST, streamed PATCH, PUT), back down to dir: and oci:, an OCI-format push,
// a copy between repositories (HEAD then mount), tag listing and delete.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { BerthRegistry } from './berth-registry.js';
import { sha } from './registry-harness.js';

const execFileP = promisify(execFile);
const skip = existsSync('/usr/bin/skopeo') ? false : 'skopeo is not installed (apt-get install skopeo)';
const NOVERIFY = ['--src-tls-verify=false', '--dest-tls-verify=false'];

let reg: BerthRegistry;
let work: string;
let archive: string;
let layerTar: Buffer;
let config: Buffer;

async function skopeo(...args: string[]): Promise<string> {
  const { stdout } = await execFileP('skopeo', ['--insecure-policy', ...args], { timeout: 120_000, maxBuffer: 64 << 20 });
  return stdout;
}

/** A docker save-format archive of one image with one layer of `size` random bytes. */
async function makeArchive(dir: string, size: number): Promise<void> {
  const rootfs = join(dir, 'rootfs');
  await mkdir(rootfs, { recursive: true });
  await writeFile(join(rootfs, 'data.bin'), randomBytes(size));
  await writeFile(join(rootfs, 'hello.txt'), 'hello from berth\n');
  layerTar = (await execFileP('tar', ['-C', rootfs, '--sort=name', '--owner=0', '--group=0', '--numeric-owner', '-cf', '-', '.'], { encoding: 'buffer', maxBuffer: 64 << 20 })).stdout as Buffer;
  config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['cat', '/hello.txt'] }, rootfs: { type: 'layers', diff_ids: [sha(layerTar)] } }));
  const img = join(dir, 'img');
  await mkdir(img);
  const cfgName = `${sha(config).slice(7)}.json`;
  await writeFile(join(img, cfgName), config);
  await writeFile(join(img, 'layer.tar'), layerTar);
  await writeFile(join(img, 'manifest.json'), JSON.stringify([{ Config: cfgName, RepoTags: ['berth/test:v1'], Layers: ['layer.tar'] }]));
  archive = join(dir, 'image.tar');
  await execFileP('tar', ['-C', img, '-cf', archive, '.']);
}

before(async () => {
  if (skip) return;
  work = await mkdtemp(join(tmpdir(), `berth-skopeo-${process.pid}-`));
  await makeArchive(work, 8 * 1024 * 1024);
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
