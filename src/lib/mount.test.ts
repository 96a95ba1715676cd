import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMountPoint, mountAll, mountPointsUnder, unmount } from './mount.js';

let root: string;
after(async () => {
  if (!root) return;
  for (const m of await mountPointsUnder(root)) await unmount(m, { detach: true });
  await rm(root, { recursive: true, force: true });
});

test('overlay, bind read-only, tmpfs; isMountPoint; unmount', async () => {
  root = await mkdtemp(join(tmpdir(), `berth-mount-${process.pid}-`));
  for (const d of ['lo1', 'lo2', 'up', 'work', 'm', 'b', 't', 'with space']) await mkdir(join(root, d));
  await writeFile(join(root, 'lo1', 'f'), 'top');
  await writeFile(join(root, 'lo2', 'f'), 'bottom');
  await writeFile(join(root, 'lo2', 'g'), 'g');
  assert.equal(await isMountPoint(join(root, 'm')), false);
  await mountAll(
    [{ type: 'overlay', source: 'overlay', options: [`lowerdir=${root}/lo1:${root}/lo2`, `upperdir=${root}/up`, `workdir=${root}/work`] }],
    join(root, 'm'),
  );
  assert.equal(await isMountPoint(join(root, 'm')), true);
  assert.equal(await readFile(join(root, 'm', 'f'), 'utf8'), 'top');
  assert.deepEqual((await readdir(join(root, 'm'))).sort(), ['f', 'g']);

  await mountAll([{ type: 'bind', source: join(root, 'lo2'), options: ['rbind', 'ro'] }], join(root, 'b'));
  await assert.rejects(writeFile(join(root, 'b', 'x'), 'x'), { code: 'EROFS' });
  await mountAll([{ type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'size=1m', 'mode=755'] }], join(root, 'with space'));
  assert.equal(await isMountPoint(join(root, 'with space')), true, 'mountinfo escapes are decoded');

  assert.deepEqual(await mountPointsUnder(root), [join(root, 'with space'), join(root, 'b'), join(root, 'm')]);
  // A lazy unmount runs on a worker thread and reports the kernel's errno all the same.
  await unmount(join(root, 'm'), { detach: true });
  for (const m of ['b', 'with space']) await unmount(join(root, m));
  assert.equal(await isMountPoint(join(root, 'm')), false);
  await assert.rejects(unmount(join(root, 'm')), { code: 'EINVAL' });
  await assert.rejects(unmount(join(root, 'm'), { detach: true }), { code: 'EINVAL' });
});

test('a failing mount reports errno and leaves nothing mounted', async () => {
  const t = join(root, 't');
  await assert.rejects(
    mountAll(
      [
        { type: 'tmpfs', source: 'tmpfs', options: [] },
        { type: 'overlay', source: 'overlay', options: [`lowerdir=${root}/does-not-exist`] },
      ],
      t,
    ),
    (e: NodeJS.ErrnoException) => e.code === 'ENOENT' || e.code === 'EINVAL',
  );
  assert.equal(await isMountPoint(t), false);
});
