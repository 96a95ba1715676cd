// Interop inside Berth: berthd's pull client (through the berth CLI and the docker CLI) pulling
// from Berth's own registry on 127.0.0.1 (a loopback registry is insecure, so plain http).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestDaemon, expectOk } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';
import { BerthRegistry } from './berth-registry.js';
import { busyboxLayer, fileLayer, pushImage, pushIndex, type LayerBlob } from './registry-harness.js';

const skip = requiresRoot('real crun, overlayfs');

let d: TestDaemon;
let reg: BerthRegistry;
let work: string;
let bb: LayerBlob;

before(async () => {
  if (skip) return;
  work = await mkdtemp(join(tmpdir(), `berth-regpull-${process.pid}-`));
  reg = await BerthRegistry.start();
  bb = await busyboxLayer(work);
  d = await TestDaemon.create();
  await d.start();
});
after(async () => {
  await d?.stop();
  await reg?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test('berth pull from the Berth registry, then run the image', { skip }, async () => {
  const img = await pushImage(reg, 'bb', 'latest', [bb], { cmd: ['echo', 'from-berth-registry'] });
  const ref = `${reg.host}/bb`;
  const r = expectOk(await d.berth(['pull', ref]));
  assert.match(r.stdout, new RegExp(`Digest: ${img.digest}\n`));
  assert.match(r.stdout, /Status: Downloaded newer image/);
  const inspect = JSON.parse(expectOk(await d.berth(['image', 'inspect', ref])).stdout)[0];
  assert.equal(inspect.Id, img.configDigest);
  assert.deepEqual(inspect.RepoDigests, [`${ref}@${img.digest}`]);
  const run = await d.berth(['run', '--rm', ref]);
  assert.equal(run.stdout, 'from-berth-registry\n', run.stderr);
});

test('docker pull through berthd of an OCI index from the Berth registry', { skip }, async () => {
  const host = process.arch === 'arm64' ? 'arm64' : 'amd64';
  const other = host === 'arm64' ? 'amd64' : 'arm64';
  const mine = await pushImage(reg, 'multi', undefined, [bb, await fileLayer(work, 'x.txt', 'host')], {
    architecture: host,
    oci: true,
    cmd: ['cat', '/x.txt'],
  });
  const theirs = await pushImage(reg, 'multi', undefined, [await fileLayer(work, 'y.txt', 'other')], { architecture: other, oci: true });
  const index = await pushIndex(reg, 'multi', 'v1', [
    { image: theirs, platform: { os: 'linux', architecture: other } },
    { image: mine, platform: { os: 'linux', architecture: host } },
  ]);
  const r = expectOk(await d.docker(['pull', `${reg.host}/multi:v1`]));
  assert.match(r.stdout, new RegExp(`Digest: ${index}\n`));
  const run = await d.berth(['run', '--rm', `${reg.host}/multi:v1`]);
  assert.equal(run.stdout, 'host', run.stderr);
  const missing = await d.berth(['pull', `${reg.host}/multi:nope`]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /manifest unknown/);
});

test('GET /distribution/{name}/json: the descriptor and platforms of a manifest and of an index (dockerode image.distribution())', { skip }, async () => {
  const img = await pushImage(reg, 'dist', 'v1', [bb], { architecture: 'amd64' });
  const one = await d.api('GET', `/distribution/${reg.host}/dist:v1/json`);
  assert.equal(one.status, 200, one.text);
  assert.deepEqual(one.json, {
    Descriptor: { mediaType: img.mediaType, digest: img.digest, size: img.manifest.length },
    Platforms: [{ architecture: 'amd64', os: 'linux' }],
  });
  const arm = await pushImage(reg, 'dist', undefined, [await fileLayer(work, 'z.txt', 'arm')], { architecture: 'arm64', oci: true });
  const amd = await pushImage(reg, 'dist', undefined, [bb], { architecture: 'amd64', oci: true });
  const index = await pushIndex(reg, 'dist', 'multi', [
    { image: amd, platform: { os: 'linux', architecture: 'amd64' } },
    { image: arm, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
  ]);
  const many = await d.api('GET', `/distribution/${reg.host}/dist:multi/json`);
  assert.equal(many.status, 200, many.text);
  assert.equal(many.json.Descriptor.digest, index);
  assert.deepEqual(many.json.Platforms, [
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64', variant: 'v8' },
  ]);
  const missing = await d.api('GET', `/distribution/${reg.host}/dist:nope/json`);
  assert.equal(missing.status, 404, missing.text); // dockerd: 500; Berth keeps 500 for its own faults
  assert.match(missing.json.message, /manifest unknown/);
});
