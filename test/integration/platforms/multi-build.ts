// `build --platform linux/amd64,linux/arm64 -t REG/app:1 --push`: both platforms built (the arm64
// RUN step under qemu) into one name, pushed as ONE OCI index to Berth's registry and to Debian's
// docker-registry; skopeo sees the index with both platforms; `image ls --tree` and `image inspect
// --platform` show what the name holds; pulling each platform back gives a name that runs both;
// save/load keep both platforms of a built (never pushed) name, save --platform only one.
// Registered by emulation.test.ts (imported there), so these foreign runs never overlap its
// binfmt --uninstall test: the binfmt_misc entries are host-wide.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestDaemon, expectOk } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';
import { TestRegistry, registryAvailable } from '../registry/registry-harness.js';
import { BerthRegistry } from '../registry/berth-registry.js';
import { skopeo } from '../registry/image-archive.js';
import { hostPlatform } from '../../../src/lib/platform.js';

const execFileP = promisify(execFile);
const skip =
  requiresRoot('crun, binfmt_misc') ||
  (!existsSync('/usr/bin/qemu-aarch64-static') ? 'needs qemu-user-static' : false) ||
  (!registryAvailable() ? 'docker-registry is not installed' : false) ||
  (hostPlatform().architecture !== 'amd64' ? 'the two-platform build pairs amd64 with arm64' : false);

let d: TestDaemon;
let ctx: string;

before(async () => {
  if (skip) return;
  d = await TestDaemon.create();
  await d.start();
  await d.importBusybox('base-amd64:latest');
  await d.importBusybox('base-arm64:latest', 'linux/arm64/v8');
  ctx = join(d.dir, 'multi-ctx');
  await mkdir(ctx, { recursive: true });
  // BuildKit's pattern for per-architecture bases: the global TARGETARCH in FROM.
  await writeFile(
    join(ctx, 'Dockerfile'),
    [
      'ARG TARGETARCH',
      'FROM base-$TARGETARCH',
      'ARG TARGETPLATFORM',
      'RUN echo "$TARGETPLATFORM $(uname -m)" > /built.txt',
      'CMD ["cat", "/built.txt"]',
      '',
    ].join('\n'),
  );
});

after(async () => {
  await d?.stop();
});

type Registry = { host: string; stop(): Promise<unknown> };

/** The index a registry holds under `ref`, as skopeo reads it. */
async function rawIndex(ref: string): Promise<{ mediaType: string; manifests: { digest: string; platform: { architecture: string; os: string } }[] }> {
  return JSON.parse(await skopeo('inspect', '--tls-verify=false', '--raw', `docker://${ref}`));
}

const runOut = async (args: string[]) => expectOk(await d.berth(['run', '--rm', ...args])).stdout;

async function buildPushPull(reg: Registry, repo: string): Promise<void> {
  const ref = `${reg.host}/${repo}:1`;
  const built = expectOk(await d.berth(['build', '--platform', 'linux/amd64,linux/arm64', '-t', ref, '--push', ctx], { timeoutMs: 240_000 }));
  assert.match(built.stdout, /^\[linux\/arm64\] Step 2\/5 : FROM base-\$TARGETARCH$/m);
  assert.match(built.stdout, /^\[linux\/amd64\] Step 2\/5 : FROM base-\$TARGETARCH$/m);
  assert.match(built.stdout, new RegExp(`^Successfully tagged ${ref.replace(/[.]/g, '\\.')}$`, 'm'));
  // The push's last line names the index (docker's "<tag>: digest: ... size: N").
  const pushed = /^1: digest: (sha256:[a-f0-9]{64}) size: (\d+)$/m.exec(built.stdout);
  assert.ok(pushed, built.stdout);
  const indexDigest = pushed[1]!;

  const raw = await rawIndex(ref);
  assert.equal(raw.mediaType, 'application/vnd.oci.image.index.v1+json');
  assert.deepEqual(
    raw.manifests.map((m) => `${m.platform.os}/${m.platform.architecture}`),
    ['linux/amd64', 'linux/arm64'],
  );
  const rawBytes = await skopeo('inspect', '--tls-verify=false', '--raw', `docker://${reg.host}/${repo}@${indexDigest}`);
  assert.equal(rawBytes.length, Number(pushed[2]));
  for (const m of raw.manifests) {
    const child = JSON.parse(await skopeo('inspect', '--tls-verify=false', '--raw', `docker://${reg.host}/${repo}@${m.digest}`));
    assert.equal(child.schemaVersion, 2);
    assert.equal(child.layers.length, 2, 'the base layer and the RUN step');
  }

  // The name holds both platforms: the host's shown, arm64 by --platform (inspect and run).
  assert.equal(await runOut([ref]), 'linux/amd64 x86_64\n');
  assert.equal(await runOut(['--platform', 'linux/arm64', ref]), 'linux/arm64 aarch64\n');
  assert.equal(expectOk(await d.berth(['image', 'inspect', '-f', '{{.Architecture}}', ref])).stdout, 'amd64\n');
  const arm = expectOk(await d.berth(['image', 'inspect', '--platform', 'linux/arm64', '-f', '{{.Architecture}} {{.RepoTags}}', ref])).stdout;
  assert.equal(arm, `arm64 [${ref}]\n`);
  const tree = expectOk(await d.berth(['image', 'ls', '--tree', `${reg.host}/${repo}`])).stdout;
  const short = indexDigest.slice(7, 19);
  assert.match(tree, new RegExp(`^${ref.replace(/[.]/g, '\\.')}\\s+${short}\\s`, 'm'), tree);
  assert.match(tree, /^├─ linux\/amd64\s+[a-f0-9]{12}\s/m, tree);
  assert.match(tree, /^└─ linux\/arm64(\/v8)?\s+[a-f0-9]{12}\s/m, tree); // the base image says arm64/v8

  // Pushed again: the same manifests, the same index.
  const again = expectOk(await d.berth(['push', ref]));
  assert.match(again.stdout, new RegExp(`^1: digest: ${indexDigest} size: ${pushed[2]}$`, 'm'));

  // Pulled back platform by platform into an empty name: it holds both again and runs both.
  expectOk(await d.berth(['rmi', ref]));
  const pulled = expectOk(await d.berth(['pull', '--platform', 'linux/arm64', ref]));
  assert.match(pulled.stdout, new RegExp(`Digest: ${indexDigest}`));
  expectOk(await d.berth(['pull', '--platform', 'linux/amd64', ref]));
  assert.equal(await runOut(['--pull', 'never', '--platform', 'linux/arm64', ref, 'uname', '-m']), 'aarch64\n');
  assert.equal(await runOut(['--pull', 'never', ref, 'uname', '-m']), 'x86_64\n');
  const treeAfterPull = expectOk(await d.berth(['image', 'ls', '--tree', `${reg.host}/${repo}`])).stdout;
  assert.match(treeAfterPull, new RegExp(`^${ref.replace(/[.]/g, '\\.')}\\s+${short}\\s`, 'm'), treeAfterPull);
  assert.equal(treeAfterPull.split('\n').filter((l) => /^[├└]─ linux\//.test(l)).length, 2, treeAfterPull);
  expectOk(await d.berth(['rmi', ref]));
}

test("build --platform linux/amd64,linux/arm64 --push: one OCI index in Berth's registry, pulled back per platform", { skip }, async () => {
  const reg = await BerthRegistry.start();
  try {
    await buildPushPull(reg, 'multi-build-berth');
  } finally {
    await reg.stop();
  }
});

test("build --platform linux/amd64,linux/arm64 --push: one OCI index in Debian's docker-registry, pulled back per platform", { skip }, async () => {
  const reg = await TestRegistry.start();
  try {
    await buildPushPull(reg, 'multi-build-deb');
  } finally {
    await reg.stop();
  }
});

test('a built two-platform name: save/load keep both platforms; image inspect --platform errors clearly for a third', { skip }, async () => {
  expectOk(await d.berth(['build', '-q', '--platform', 'linux/arm64,linux/amd64', '-t', 'multi-local:1', ctx], { timeoutMs: 240_000 }));
  const noArm = await d.berth(['image', 'inspect', '--platform', 'linux/riscv64', 'multi-local:1']);
  assert.equal(noArm.code, 1);
  assert.match(noArm.stderr, /does not match the specified platform: wanted linux\/riscv64/);
  const archive = join(d.dir, 'multi-local.tar');
  expectOk(await d.berth(['save', '-o', archive, 'multi-local:1']));
  const index = JSON.parse((await execFileP('tar', ['-xOf', archive, 'index.json'])).stdout);
  assert.deepEqual(index.manifests.map((m: { platform?: { architecture: string } }) => m.platform?.architecture).sort(), ['amd64', 'arm64']);
  // save --platform: that platform's image only.
  const armOnly = join(d.dir, 'multi-local-arm64.tar');
  expectOk(await d.berth(['save', '--platform', 'linux/arm64', '-o', armOnly, 'multi-local:1']));
  const armManifest = JSON.parse((await execFileP('tar', ['-xOf', armOnly, 'manifest.json'])).stdout);
  assert.equal(armManifest.length, 1);
  const armConfig = JSON.parse((await execFileP('tar', ['-xOf', armOnly, armManifest[0].Config])).stdout);
  assert.equal(armConfig.architecture, 'arm64');
  const noSuch = await d.berth(['save', '--platform', 'linux/s390x', '-o', armOnly, 'multi-local:1']);
  assert.equal(noSuch.code, 1);
  assert.match(noSuch.stderr, /does not match the specified platform: wanted linux\/s390x/);
  expectOk(await d.berth(['rmi', 'multi-local:1']));
  expectOk(await d.berth(['load', '-i', archive]));
  assert.equal(await runOut(['--pull', 'never', '--platform', 'linux/arm64', 'multi-local:1']), 'linux/arm64 aarch64\n');
  assert.equal(await runOut(['--pull', 'never', 'multi-local:1']), 'linux/amd64 x86_64\n');
  // The docker CLI's classic build sends the list as is; Berth builds both.
  const dk = await d.docker(['build', '-q', '--platform', 'linux/amd64,linux/arm64', '-t', 'multi-docker:1', ctx], { timeoutMs: 240_000 });
  assert.equal(dk.code, 0, dk.stderr);
  assert.equal(await runOut(['--pull', 'never', '--platform', 'linux/arm64', 'multi-docker:1']), 'linux/arm64 aarch64\n');
  // One platform failing fails the build (the other is stopped) and tags nothing.
  const failing = join(d.dir, 'multi-fail');
  await mkdir(failing, { recursive: true });
  await writeFile(join(failing, 'Dockerfile'), 'ARG TARGETARCH\nFROM base-$TARGETARCH\nARG TARGETARCH\nRUN [ "$TARGETARCH" = amd64 ]\n');
  const failed = await d.berth(['build', '--platform', 'linux/amd64,linux/arm64', '-t', 'multi-fail:1', failing], { timeoutMs: 240_000 });
  assert.equal(failed.code, 1, failed.stdout);
  assert.match(failed.stderr, /returned a non-zero code: 1/);
  assert.notEqual((await d.berth(['image', 'inspect', 'multi-fail:1'])).code, 0, 'no tag after a failed platform');
  // A bad list is a request error before anything runs.
  const bad = await d.berth(['build', '--platform', 'linux/amd64,,linux/arm64', ctx]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /invalid platform list/);
});
