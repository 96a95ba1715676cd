// A two-platform index (the host's busybox and Debian's busybox-static:arm64) pushed to a real
// registry — Berth's own and Debian's docker-registry — then pulled and run by platform: the
// index as skopeo sees it, `pull --platform`, the host's platform by default, and `run
// --platform` pulling the platform the local image lacks, as the docker CLI does; the name then
// holds both platforms (an index per name, as Docker's containerd store): listed once, run by
// --platform without a pull, tagged and removed whole.
// Registered by emulation.test.ts (imported there), so these foreign runs never overlap its
// binfmt --uninstall test: the binfmt_misc entries are host-wide.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { TestDaemon, expectOk, ROOT } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';
import { MT, TestRegistry, busyboxLayer, pushImage, pushIndex, registryAvailable, sha, type LayerBlob } from '../registry/registry-harness.js';
import { BerthRegistry } from '../registry/berth-registry.js';
import { skopeo } from '../registry/image-archive.js';

const execFileP = promisify(execFile);
const skip =
  requiresRoot('crun, binfmt_misc') ||
  (!existsSync('/usr/bin/qemu-aarch64-static') ? 'needs qemu-user-static' : false) ||
  (!registryAvailable() ? 'docker-registry is not installed' : false);

let d: TestDaemon;
let work: string;
let hostLayer: LayerBlob;
let armLayer: LayerBlob;

/** The arm64 busybox rootfs as one gzip layer. */
async function arm64Layer(dir: string): Promise<LayerBlob> {
  const bin = (await execFileP(join(ROOT, 'scripts/fetch-foreign-busybox.sh'), ['arm64'])).stdout.trim();
  const rootfs = join(dir, 'rootfs-arm64');
  await execFileP(join(ROOT, 'scripts/make-busybox-rootfs.sh'), [rootfs, bin]);
  const { stdout } = await execFileP('tar', ['-C', rootfs, '--sort=name', '--owner=0', '--group=0', '--numeric-owner', '-cf', '-', '.'], {
    encoding: 'buffer',
    maxBuffer: 64 << 20,
  });
  const tar = stdout as Buffer;
  return { blob: gzipSync(tar), diffId: sha(tar), mediaType: MT.layer };
}

before(async () => {
  if (skip) return;
  work = await mkdtemp(join(tmpdir(), `berth-platforms-${process.pid}-`));
  hostLayer = await busyboxLayer(work);
  armLayer = await arm64Layer(work);
  d = await TestDaemon.create();
  await d.start();
});

after(async () => {
  await d?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

type Registry = Pick<TestRegistry, 'pushBlob' | 'pushManifest' | 'host'>;

async function pushTwoPlatforms(reg: Registry, repo: string): Promise<string> {
  const amd = await pushImage(reg, repo, undefined, [hostLayer], { architecture: 'amd64', oci: true, cmd: ['uname', '-m'] });
  const arm = await pushImage(reg, repo, undefined, [armLayer], { architecture: 'arm64', oci: true, cmd: ['uname', '-m'] });
  return pushIndex(reg, repo, 'latest', [
    { image: amd, platform: { os: 'linux', architecture: 'amd64' } },
    { image: arm, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
  ]);
}

async function exercise(reg: Registry, repo: string): Promise<void> {
  const indexDigest = await pushTwoPlatforms(reg, repo);
  const ref = `${reg.host}/${repo}`;
  const raw = JSON.parse(await skopeo('inspect', '--tls-verify=false', '--raw', `docker://${ref}:latest`));
  assert.equal(raw.mediaType, 'application/vnd.oci.image.index.v1+json');
  assert.deepEqual(
    raw.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture),
    ['amd64', 'arm64'],
  );

  const pulled = expectOk(await d.berth(['pull', '--platform', 'linux/arm64', ref]));
  assert.match(pulled.stdout, new RegExp(`Digest: ${indexDigest}`));
  assert.equal(expectOk(await d.berth(['image', 'inspect', '-f', '{{.Architecture}}', ref])).stdout, 'arm64\n');
  assert.equal(expectOk(await d.berth(['run', '--rm', '--platform', 'linux/arm64', ref])).stdout, 'aarch64\n');

  // Then the host's platform (the default): the name holds both, shows the host's, lists once.
  expectOk(await d.berth(['pull', ref]));
  assert.equal(expectOk(await d.berth(['image', 'inspect', '-f', '{{.Architecture}}', ref])).stdout, 'amd64\n');
  const listed = expectOk(await d.berth(['images', '--format', '{{.Repository}}:{{.Tag}}']))
    .stdout.split('\n')
    .filter((l) => l.startsWith(ref));
  assert.deepEqual(listed, [`${ref}:latest`]);
  assert.equal(expectOk(await d.berth(['images', '-q', '--filter', 'dangling=true'])).stdout, '', 'the arm64 image is held, not dangling');
  assert.equal(expectOk(await d.berth(['run', '--rm', ref])).stdout, 'x86_64\n');
  const r = expectOk(await d.berth(['run', '--rm', '--platform', 'linux/arm64/v8', ref]));
  assert.equal(r.stdout, 'aarch64\n');
  assert.equal(r.stderr, '', 'chosen from the name, no pull and no warning');
  const dk = await d.docker(['run', '--rm', '--platform', 'linux/arm64', ref]);
  assert.equal(dk.code, 0, dk.stderr);
  assert.equal(dk.stdout, 'aarch64\n');

  // save keeps both platforms of the name (manifest.json lists each, index.json with platforms); load gives them back.
  const archive = join(work, `${repo}.tar`);
  expectOk(await d.berth(['save', '-o', archive, ref]));
  const index = JSON.parse((await execFileP('tar', ['-xOf', archive, 'index.json'])).stdout);
  assert.deepEqual(index.manifests.map((m: { platform?: { architecture: string } }) => m.platform?.architecture).sort(), ['amd64', 'arm64']);
  expectOk(await d.berth(['rmi', ref]));
  expectOk(await d.berth(['load', '-i', archive]));
  assert.equal(expectOk(await d.berth(['run', '--rm', ref])).stdout, 'x86_64\n');
  assert.equal(expectOk(await d.berth(['run', '--rm', '--pull', 'never', '--platform', 'linux/arm64', ref])).stdout, 'aarch64\n');

  // A tag names both platforms too; prune keeps them; rmi of the last name removes both images.
  expectOk(await d.berth(['tag', ref, `${repo}-copy:1`]));
  assert.equal(expectOk(await d.berth(['run', '--rm', '--platform', 'linux/arm64', `${repo}-copy:1`])).stdout, 'aarch64\n');
  expectOk(await d.berth(['image', 'prune', '-f']));
  expectOk(await d.berth(['rmi', `${repo}-copy:1`]));
  const rmi = expectOk(await d.berth(['rmi', ref])).stdout;
  assert.equal((rmi.match(/^Deleted: sha256:/gm) ?? []).length >= 2, true, rmi);
  assert.match(rmi, /^Untagged: /m);
  const gone = await d.berth(['image', 'inspect', ref]);
  assert.notEqual(gone.code, 0);

  // With only the host's platform here, run --platform pulls the one the name lacks (docker CLI's "Unable to find image").
  expectOk(await d.berth(['pull', ref]));
  const pulledByRun = expectOk(await d.berth(['run', '--rm', '--platform', 'linux/arm64', ref]));
  assert.equal(pulledByRun.stdout, 'aarch64\n');
  assert.match(pulledByRun.stderr, new RegExp(`Unable to find image '${ref}:latest' locally`));
  expectOk(await d.berth(['rmi', ref])); // the next registry's images have the same ids
}

test("pull and run by platform from a two-platform index in Debian's docker-registry", { skip }, async () => {
  const reg = await TestRegistry.start();
  try {
    await exercise(reg, 'multi-deb');
  } finally {
    await reg.stop();
  }
});

test("pull and run by platform from a two-platform index in Berth's registry", { skip }, async () => {
  const reg = await BerthRegistry.start();
  try {
    await exercise(reg, 'multi-berth');
  } finally {
    await reg.stop();
  }
});
