// Disk full (issue 13): berthd's data root on a small loop-mounted ext4 filesystem (made here,
// removed after). A pull (from Berth's registry on 127.0.0.1), a build, a commit and a log flood
// that hit ENOSPC each fail with a clear error (no space left on device; 507 over the API, never
// a 500), leave the store consistent (`system check` clean), and the daemon keeps serving; once
// space is freed the same operation succeeds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile, statfs, unlink } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestDaemon, expectOk } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';
import { BerthRegistry } from '../registry/berth-registry.js';
import { busyboxLayer, pushImage, type LayerBlob } from '../registry/registry-harness.js';

const execFileP = promisify(execFile);
const skip = requiresRoot('a loop-mounted filesystem, crun, overlayfs');
const MiB = 1024 * 1024;
const FS_MIB = 160;

let d: TestDaemon;
let reg: BerthRegistry;
let work: string;
let filler: string;

/** A gzip layer holding one file of random bytes (incompressible: its size is what the pull must store). */
async function randomLayer(dir: string, name: string, size: number): Promise<LayerBlob> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, name), randomBytes(size));
  const { stdout } = await execFileP('tar', ['-C', dir, '--owner=0', '--group=0', '--numeric-owner', '-cf', '-', name], {
    encoding: 'buffer',
    maxBuffer: 4 * size,
  });
  const tar = stdout as Buffer;
  return {
    blob: gzipSync(tar),
    diffId: `sha256:${createHash('sha256').update(tar).digest('hex')}`,
    mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  };
}

/** Fills the data root's filesystem until `leaveMiB` is free. */
async function fillLeaving(leaveMiB: number): Promise<void> {
  await unlink(filler).catch(() => {});
  const s = await statfs(d.dataRoot);
  const free = s.bavail * s.bsize;
  const size = Math.max(0, free - leaveMiB * MiB);
  if (size > 0) await execFileP('fallocate', ['-l', String(size), filler]);
}

async function freeSpace(): Promise<void> {
  await unlink(filler).catch(() => {});
}

async function assertConsistentAndServing(): Promise<void> {
  const r = await d.berth(['system', 'check']);
  assert.equal(r.code, 0, `system check:\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /No damage found/);
  assert.equal((await d.api('GET', '/_ping')).status, 200);
  expectOk(await d.berth(['ps', '-a']));
}

before(async () => {
  if (skip) return;
  work = await mkdtemp(join(tmpdir(), `berth-diskfull-${process.pid}-`));
  reg = await BerthRegistry.start(); // its root is on the normal disk: only berthd's is small
  d = await TestDaemon.create();
  // ext4 without reserved blocks (root would otherwise write into the last 5%); where loop
  // devices are not available (some CI containers), a tmpfs of the same size fills up alike.
  const img = join(work, 'fs.img');
  await execFileP('truncate', ['-s', `${FS_MIB}M`, img]);
  await execFileP('mkfs.ext4', ['-q', '-F', '-m', '0', img]);
  await mkdir(d.dataRoot, { recursive: true });
  await execFileP('mount', ['-o', 'loop', img, d.dataRoot]).catch(async (e: Error) => {
    console.log(`loop mount failed (${e.message.trim()}): using a tmpfs of ${FS_MIB} MiB`);
    await execFileP('mount', ['-t', 'tmpfs', '-o', `size=${FS_MIB}m`, 'tmpfs', d.dataRoot]);
  });
  filler = join(d.dataRoot, 'filler');
  await d.start();
  await d.importBusybox();
});

after(async () => {
  await freeSpace().catch(() => {});
  await d?.stop(); // unmounts what is under the data root, the loop filesystem too (lazily)
  await reg?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test('a pull that hits ENOSPC fails clearly, leaves the store consistent, and succeeds once space is freed', { skip, timeout: 180_000 }, async () => {
  const big = await randomLayer(join(work, 'layer'), 'big.bin', 12 * MiB);
  await pushImage(reg, 'fat', 'latest', [await busyboxLayer(work), big], { cmd: ['true'] });
  const ref = `${reg.host}/fat:latest`;
  await fillLeaving(4);
  const r = await d.berth(['pull', ref], { timeoutMs: 120_000 });
  assert.notEqual(r.code, 0, 'the pull succeeded on a full disk');
  assert.match(r.stderr + r.stdout, /no space left on device/i);
  assert.notEqual((await d.berth(['image', 'inspect', ref])).code, 0, 'a half-pulled image is listed');
  // The Engine API's own answer: a stream that ends with the error, in-band (the status was sent first).
  await assertConsistentAndServing();
  await freeSpace();
  expectOk(await d.berth(['pull', ref], { timeoutMs: 120_000 }));
  expectOk(await d.berth(['run', '--rm', ref, 'test', '-s', '/big.bin']));
  await assertConsistentAndServing();
});

test('a build that hits ENOSPC fails clearly and succeeds once space is freed', { skip, timeout: 180_000 }, async () => {
  const ctx = join(work, 'ctx');
  await mkdir(ctx, { recursive: true });
  await writeFile(join(ctx, 'Dockerfile'), 'FROM busybox\nCOPY blob.bin /blob.bin\nRUN test -s /blob.bin\n');
  await writeFile(join(ctx, 'blob.bin'), randomBytes(16 * MiB));
  await fillLeaving(4);
  const r = await d.berth(['build', '-t', 'diskfull-build', ctx], { timeoutMs: 120_000 });
  assert.notEqual(r.code, 0, 'the build succeeded on a full disk');
  assert.match(r.stderr + r.stdout, /no space left on device/i);
  assert.notEqual((await d.berth(['image', 'inspect', 'diskfull-build'])).code, 0);
  await assertConsistentAndServing();
  await freeSpace();
  expectOk(await d.berth(['build', '-t', 'diskfull-build', ctx], { timeoutMs: 120_000 }));
  await assertConsistentAndServing();
  expectOk(await d.berth(['rmi', 'diskfull-build']));
});

test('a commit that hits ENOSPC answers 507 with the reason, and succeeds once space is freed', { skip, timeout: 180_000 }, async () => {
  const id = expectOk(await d.berth(['run', '-d', 'busybox', 'sh', '-c', 'head -c 16777216 /dev/urandom > /data.bin && sleep 600'])).stdout.trim();
  // Wait until the container wrote its 16 MiB, while there was room.
  for (let i = 0; i < 100; i++) {
    const s = await d.berth(['exec', id, 'stat', '-c', '%s', '/data.bin']);
    if (s.stdout.trim() === String(16 * MiB)) break;
    await new Promise((res) => setTimeout(res, 200));
  }
  await fillLeaving(4);
  const api = await d.api('POST', `/commit?container=${id}&repo=diskfull-commit&tag=latest`, {}, 120_000);
  assert.equal(api.status, 507, api.text);
  assert.match(api.json?.message ?? '', /no space left on device/i);
  const cli = await d.berth(['commit', id, 'diskfull-commit:cli']);
  assert.notEqual(cli.code, 0);
  assert.match(cli.stderr, /no space left on device/i);
  assert.notEqual((await d.berth(['image', 'inspect', 'diskfull-commit'])).code, 0);
  await assertConsistentAndServing();
  await freeSpace();
  expectOk(await d.berth(['commit', id, 'diskfull-commit:latest'], { timeoutMs: 120_000 }));
  expectOk(await d.berth(['rm', '-f', id]));
  expectOk(await d.berth(['run', '--rm', 'diskfull-commit', 'test', '-s', '/data.bin']));
  await assertConsistentAndServing();
});

test('a log flood on a full disk: the container, the daemon and `logs` carry on; logging resumes once space is freed', { skip, timeout: 180_000 }, async () => {
  const id = expectOk(
    await d.berth(['run', '-d', 'busybox', 'sh', '-c', 'echo flood-start; while true; do echo flood-line-$(date +%s%N); done']),
  ).stdout.trim();
  await fillLeaving(1);
  await new Promise((res) => setTimeout(res, 3000)); // the flood meets ENOSPC
  const s = await statfs(d.dataRoot);
  assert.ok(s.bavail * s.bsize < 1 * MiB, 'the flood did not fill the disk');
  assert.equal(expectOk(await d.berth(['inspect', '-f', '{{.State.Running}}', id])).stdout.trim(), 'true');
  const logs = expectOk(await d.berth(['logs', '--tail', '1', id], { timeoutMs: 60_000 }));
  assert.match(logs.stdout, /flood-line-\d+/);
  await assertConsistentAndServing();
  await freeSpace();
  // New lines are logged again: the last line's timestamp moves on.
  const last = async () => Number(/flood-line-(\d+)/.exec(expectOk(await d.berth(['logs', '--tail', '1', id])).stdout)?.[1] ?? 0);
  const a = await last();
  let b = a;
  for (let i = 0; i < 50 && b === a; i++) {
    await new Promise((res) => setTimeout(res, 200));
    b = await last();
  }
  assert.ok(b > a, 'nothing was logged after space was freed');
  expectOk(await d.berth(['rm', '-f', id]));
  await assertConsistentAndServing();
});
