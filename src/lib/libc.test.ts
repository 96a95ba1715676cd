import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lgetxattr, llistxattr, lsetxattr, lremovexattr, mkWhiteout, mkfifo, mknod, S_IFCHR, makedev } from './libc.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), `berth-libc-${process.pid}-`));
  dirs.push(d);
  return d;
}

test('whiteouts, fifos and device numbers', async () => {
  const d = await tmp();
  mkWhiteout(join(d, 'wh'));
  const st = await lstat(join(d, 'wh'));
  assert.ok(st.isCharacterDevice());
  assert.equal(st.rdev, 0);
  mkfifo(join(d, 'fifo'));
  assert.ok((await lstat(join(d, 'fifo'))).isFIFO());
  mknod(join(d, 'null'), S_IFCHR | 0o600, makedev(1, 3));
  assert.equal((await lstat(join(d, 'null'))).rdev, Number(makedev(1, 3)));
  // Large numbers use the split bit layout; the kernel must read back what we meant.
  mknod(join(d, 'big'), S_IFCHR | 0o600, makedev(259, 70000));
  assert.equal((await lstat(join(d, 'big'))).rdev, 0x11110370);
});

test('errors carry Node-style codes', async () => {
  const d = await tmp();
  assert.throws(
    () => mkWhiteout(join(d, 'missing', 'wh')),
    (e: NodeJS.ErrnoException) => {
      assert.equal(e.code, 'ENOENT');
      assert.equal(e.errno, -2);
      assert.equal(e.syscall, 'mknod');
      assert.equal(e.path, join(d, 'missing', 'wh'));
      assert.match(e.message, /^ENOENT: no such file or directory, mknod '/);
      return true;
    },
  );
  mkWhiteout(join(d, 'twice'));
  assert.throws(() => mkWhiteout(join(d, 'twice')), { code: 'EEXIST' });
});

test('xattrs on files and never through symlinks', async () => {
  const d = await tmp();
  const f = join(d, 'f');
  await writeFile(f, '');
  assert.equal(lgetxattr(f, 'user.none'), undefined);
  lsetxattr(f, 'user.a', 'one');
  lsetxattr(f, 'trusted.overlay.opaque', Buffer.from('y'));
  assert.equal(lgetxattr(f, 'user.a')?.toString(), 'one');
  assert.deepEqual(llistxattr(f).sort(), ['trusted.overlay.opaque', 'user.a']);
  lremovexattr(f, 'user.a');
  assert.deepEqual(llistxattr(f), ['trusted.overlay.opaque']);
  await symlink(f, join(d, 'link'));
  assert.equal(lgetxattr(join(d, 'link'), 'trusted.overlay.opaque'), undefined, 'reads the link itself');
  assert.throws(() => lsetxattr(join(d, 'link'), 'user.b', 'x'), { code: 'EPERM' });
  assert.throws(() => lgetxattr(join(d, 'absent'), 'user.a'), { code: 'ENOENT' });
});
