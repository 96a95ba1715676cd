import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, chown, link, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as libc from '../lib/libc.js';
import { copyUp } from './copy-up.js';
import { requiresRoot } from '../../test/support/requires-root.js';

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), `berth-copyup-${process.pid}-`));
  t.after(() => rm(d, { recursive: true, force: true }));
  return d;
}

test('copy-up keeps ownership, modes, times, symlinks, hard links, fifos and devices', { skip: requiresRoot() }, async (t) => {
  const d = await tempDir(t);
  const rootfs = join(d, 'rootfs');
  const src = join(rootfs, 'var/lib/app');
  await mkdir(join(src, 'sub/deeper'), { recursive: true });
  await writeFile(join(src, 'file.txt'), 'hello');
  await chown(join(src, 'file.txt'), 1234, 5678);
  await chmod(join(src, 'file.txt'), 0o640);
  await writeFile(join(src, 'suid'), '#!/bin/sh\n');
  await chown(join(src, 'suid'), 1234, 5678);
  await chmod(join(src, 'suid'), 0o4755);
  await link(join(src, 'file.txt'), join(src, 'sub/hard'));
  await symlink('../file.txt', join(src, 'sub/rel-link'));
  await symlink('/etc/shadow', join(src, 'abs-link')); // must stay a link, never be read through
  await writeFile(join(src, 'sub/deeper/x'), 'x');
  await chown(join(src, 'sub'), 999, 999);
  await chmod(join(src, 'sub'), 0o2750);
  await chown(src, 70, 70);
  await chmod(src, 0o700);
  libc.mkfifo(join(src, 'fifo'), 0o620);
  await chmod(join(src, 'fifo'), 0o620); // mkfifo is subject to the umask
  libc.mknod(join(src, 'null'), libc.S_IFCHR | 0o666, libc.makedev(1, 3));
  await utimes(join(src, 'file.txt'), new Date('2001-02-03T04:05:06Z'), new Date('2001-02-03T04:05:06Z'));
  libc.lsetxattr(join(src, 'file.txt'), 'user.berth', 'v1');

  const vol = join(d, 'vol');
  await mkdir(vol);
  assert.equal(await copyUp(rootfs, '/var/lib/app', vol), true);

  const st = async (p: string) => lstat(join(vol, p));
  assert.equal(await readFile(join(vol, 'file.txt'), 'utf8'), 'hello');
  assert.deepEqual([(await st('file.txt')).uid, (await st('file.txt')).gid, (await st('file.txt')).mode & 0o7777], [1234, 5678, 0o640]);
  assert.equal((await st('suid')).mode & 0o7777, 0o4755, 'set-uid bit survives the chown');
  assert.equal((await st('sub')).mode & 0o7777, 0o2750);
  assert.equal((await st('sub')).uid, 999);
  assert.equal((await st('sub/hard')).ino, (await st('file.txt')).ino, 'hard link kept');
  assert.equal(await readlink(join(vol, 'sub/rel-link')), '../file.txt');
  assert.equal(await readlink(join(vol, 'abs-link')), '/etc/shadow');
  assert.ok((await st('fifo')).isFIFO());
  assert.equal((await st('fifo')).mode & 0o777, 0o620);
  assert.ok((await st('null')).isCharacterDevice());
  assert.equal((await st('file.txt')).mtime.toISOString(), '2001-02-03T04:05:06.000Z');
  assert.equal(libc.lgetxattr(join(vol, 'file.txt'), 'user.berth')?.toString(), 'v1');
  assert.equal(await readFile(join(vol, 'sub/deeper/x'), 'utf8'), 'x');
  // The volume root takes the image directory's owner and mode (postgres-style images rely on it).
  const rootSt = await lstat(vol);
  assert.deepEqual([rootSt.uid, rootSt.gid, rootSt.mode & 0o7777], [70, 70, 0o700]);
});

test('copy-up resolves the mount path inside the rootfs: hostile symlinks cannot reach the host', async (t) => {
  const d = await tempDir(t);
  const rootfs = join(d, 'rootfs');
  await mkdir(join(rootfs, 'etc'), { recursive: true });
  await writeFile(join(rootfs, 'etc/marker'), 'from-image');
  // The image's /data points at the host's /etc if followed naively, and /up climbs above root.
  await symlink('/etc', join(rootfs, 'data'));
  await symlink('../../../../../../etc', join(rootfs, 'up'));
  for (const dest of ['/data', '/up']) {
    const vol = join(d, `vol${dest.replace('/', '-')}`);
    await mkdir(vol);
    assert.equal(await copyUp(rootfs, dest, vol), true);
    assert.deepEqual(await readdir(vol), ['marker'], `${dest} copied from the rootfs's /etc only`);
  }
});

test('copy-up does nothing for a non-empty volume, a missing path, or a file', async (t) => {
  const d = await tempDir(t);
  const rootfs = join(d, 'rootfs');
  await mkdir(join(rootfs, 'app'), { recursive: true });
  await writeFile(join(rootfs, 'app/a'), 'a');
  await writeFile(join(rootfs, 'file'), 'f');
  const vol = join(d, 'vol');
  await mkdir(vol);
  await writeFile(join(vol, 'existing'), 'e');
  assert.equal(await copyUp(rootfs, '/app', vol), false);
  assert.deepEqual(await readdir(vol), ['existing']);
  const empty = join(d, 'empty');
  await mkdir(empty);
  assert.equal(await copyUp(rootfs, '/missing/deep', empty), false);
  assert.equal(await copyUp(rootfs, '/file', empty), false);
  assert.deepEqual(await readdir(empty), []);
});

test('a copy-up a kill cut off is cleared and done again; without the marker a volume with content is left alone', async (t) => {
  const d = await tempDir(t);
  const rootfs = join(d, 'rootfs');
  await mkdir(join(rootfs, 'payload'), { recursive: true });
  for (const f of ['a', 'b', 'c']) await writeFile(join(rootfs, 'payload', f), f.repeat(1000));
  const target = join(d, 'vol/_data');
  const marker = join(d, 'vol/_copy-up');
  await mkdir(target, { recursive: true });
  // What a kill in the middle leaves: the marker, one file whole, one half written.
  await writeFile(marker, '');
  await writeFile(join(target, 'a'), 'a'.repeat(1000));
  await writeFile(join(target, 'b'), 'b'.repeat(300));
  assert.equal(await copyUp(rootfs, '/payload', target, marker), true);
  assert.deepEqual((await readdir(target)).sort(), ['a', 'b', 'c']);
  for (const f of ['a', 'b', 'c']) assert.equal(await readFile(join(target, f), 'utf8'), f.repeat(1000));
  assert.deepEqual(await readdir(join(d, 'vol')), ['_data'], 'the marker goes once the copy is whole');
  // A volume with content and no marker (a finished copy, or data a container wrote) is kept.
  await writeFile(join(target, 'b'), 'written by a container');
  assert.equal(await copyUp(rootfs, '/payload', target, marker), false);
  assert.equal(await readFile(join(target, 'b'), 'utf8'), 'written by a container');
});
