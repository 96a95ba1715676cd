// The mounts prepared by ContainerVolumes, run under the real crun through the real spec
// builder: volumes are writable under a read-only root, copy-up content and ownership show
// inside, ro binds and tmpfs options take effect. Root only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildSpec, specToJson } from '../runtime/specgen/build-spec.js';
import { mountPointsUnder, unmount } from '../lib/mount.js';
import { VolumeStore } from './volume-store.js';
import { ContainerVolumes } from './container-volumes.js';
import { makeBusyboxRootfs, removeTestCgroups, requiresCrun } from '../../test/support/crun.js';

const run = promisify(execFile);
const tag = `berth-volrt-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const skip = requiresCrun();
let dir: string;
let rootfs: string;

before(async () => {
  if (skip) return;
  dir = await mkdtemp(join(tmpdir(), `${tag}-`));
  rootfs = join(dir, 'rootfs');
  await makeBusyboxRootfs(rootfs);
  await mkdir(join(rootfs, 'var/lib/app'), { recursive: true });
  await writeFile(join(rootfs, 'var/lib/app/seed'), 'from-image\n');
  await chown(join(rootfs, 'var/lib/app'), 1000, 1000);
});

after(async () => {
  if (skip) return;
  for (const m of await mountPointsUnder(dir)) await unmount(m, { detach: true }).catch(() => {});
  await removeTestCgroups(tag);
  await rm(dir, { recursive: true, force: true });
});

test('volumes, binds and tmpfs work under crun with a read-only root', { skip }, async () => {
  const store = await VolumeStore.open(join(dir, 'volumes'));
  const cv = new ContainerVolumes(store);
  const id = `${tag}-1`;
  const hostDir = join(dir, 'host-src');
  await cv.attach(
    id,
    {
      binds: ['appdata:/var/lib/app', `${hostDir}:/host:ro`],
      mounts: [{ type: 'tmpfs', target: '/t', tmpfsOptions: { sizeBytes: 1024 * 1024, mode: 0o1777 } }],
      tmpfs: { '/run': 'size=64k' },
      volumesFrom: [],
      imageVolumes: ['/anon'],
    },
    { resolveContainer: () => undefined },
  );
  const mounts = await cv.prepare(id, rootfs);
  const script = [
    'cat /var/lib/app/seed',
    'stat -c owner=%u /var/lib/app',
    'echo hi > /var/lib/app/new && echo vol-write-ok',
    'touch /host/x 2>/dev/null || echo host-ro',
    'touch /anon/z && echo anon-ok',
    'touch /rootfile 2>/dev/null || echo root-ro',
    'grep -E " /(t|run) " /proc/mounts',
    'stat -c tmode=%a /t',
  ].join('; ');
  const spec = await buildSpec({
    rootfsPath: rootfs,
    readonlyRootfs: true,
    args: ['/bin/sh', '-c', script],
    env: [],
    cwd: '/',
    user: '',
    tty: false,
    hostname: 'v',
    mounts,
    cgroupsPath: `/${tag}/${id}`,
    netns: 'new',
  });
  const bundle = join(dir, 'bundle');
  await mkdir(bundle);
  await writeFile(join(bundle, 'config.json'), specToJson(spec));
  const state = join(dir, 'state');
  let out: string;
  try {
    out = (await run('crun', ['--root', state, 'run', '--bundle', bundle, id], { timeout: 20000 })).stdout;
  } finally {
    await run('crun', ['--root', state, 'delete', '-f', id]).catch(() => {});
  }
  await cv.release(id);
  assert.match(out, /^from-image$/m);
  assert.match(out, /^owner=1000$/m);
  assert.match(out, /^vol-write-ok$/m);
  assert.match(out, /^host-ro$/m);
  assert.match(out, /^anon-ok$/m);
  assert.match(out, /^root-ro$/m);
  assert.match(out, /^tmpfs \/t tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k/m);
  assert.match(out, /^tmpfs \/run tmpfs rw,nosuid,nodev,noexec,relatime,size=64k/m);
  assert.match(out, /^tmode=1777$/m);
  assert.ok(existsSync(join(store.path('appdata'), 'new')), 'the write landed in the volume');
  const anon = cv.mountPoints(id).find((m) => m.destination === '/anon')!.name!;
  assert.deepEqual(await cv.detach(id, { removeAnonymous: true }), [anon]);
});
