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
