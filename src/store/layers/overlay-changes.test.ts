import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lsetxattr, mkWhiteout } from '../../lib/libc.js';
import { overlayChanges, type LayerChange } from './overlay-changes.js';

// Whiteouts are char devices (mknod) and opaque markers trusted.* xattrs: both need root.
const skip = process.getuid?.() === 0 ? false : 'needs root (whiteout device nodes, trusted.* xattrs)';
const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A lower layer and an upper dir; `setup` fills both. Directories the upper copies keep the lower's times, as a copy-up does. */
async function fixture(setup: (lower: string, upper: string) => Promise<void>): Promise<{ lower: string; upper: string }> {
  const root = await mkdtemp(join(tmpdir(), `berth-changes-${process.pid}-`));
  dirs.push(root);
  const lower = join(root, 'lower');
  const upper = join(root, 'upper');
  await mkdir(lower);
  await mkdir(upper);
  await setup(lower, upper);
  return { lower, upper };
}

/** Makes `dir` in the upper as a copy-up would: same mode and times as the lower's (whole seconds, which utimes keeps exactly). */
async function copyUpDir(lower: string, upper: string, dir: string): Promise<void> {
  const whole = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
  await utimes(join(lower, dir), whole, whole);
  const st = await stat(join(lower, dir));
  await mkdir(join(upper, dir), { recursive: true, mode: st.mode & 0o7777 });
  await utimes(join(upper, dir), st.atime, st.mtime);
}

const show = (cs: LayerChange[]) => cs.map((c) => `${'CAD'[c.kind]} ${c.path}`);

test('additions, modifications and whiteout deletions in walk order, parents reported once', { skip }, async () => {
  const { lower, upper } = await fixture(async (lower, upper) => {
    await mkdir(join(lower, 'etc'));
    await writeFile(join(lower, 'etc', 'passwd'), 'root\n');
    await writeFile(join(lower, 'etc', 'group'), 'root\n');
    await mkdir(join(lower, 'a'));
    await mkdir(join(lower, 'a-b'));
    await copyUpDir(lower, upper, 'etc');
    await writeFile(join(upper, 'etc', 'passwd'), 'root\nme\n');
    mkWhiteout(join(upper, 'etc', 'group'));
    // Same metadata as the lower: no change of its own, but the parent of an addition.
    await copyUpDir(lower, upper, 'a');
    await writeFile(join(upper, 'a', 'new'), 'x');
    await copyUpDir(lower, upper, 'a-b');
    await writeFile(join(upper, 'top'), 'x');
    // Re-stamp after writing: adding files moved the directories' mtimes.
    for (const d of ['etc', 'a', 'a-b']) {
      const st = await stat(join(lower, d));
      await utimes(join(upper, d), st.atime, st.mtime);
    }
  });
  // Go's filepath.Walk order: "/a" and what is under it before "/a-b".
  assert.deepEqual(show(await overlayChanges(upper, [lower])), ['C /a', 'A /a/new', 'C /etc', 'D /etc/group', 'C /etc/passwd', 'A /top']);
});

test('an opaque directory that hid a lower one is a deletion; its new content additions', { skip }, async () => {
  const { lower, upper } = await fixture(async (lower, upper) => {
    await mkdir(join(lower, 'www'));
    await writeFile(join(lower, 'www', 'old'), 'x');
    await mkdir(join(upper, 'www'));
    lsetxattr(join(upper, 'www'), 'trusted.overlay.opaque', 'y');
    await writeFile(join(upper, 'www', 'new'), 'x');
    await mkdir(join(upper, 'fresh'));
    lsetxattr(join(upper, 'fresh'), 'trusted.overlay.opaque', 'y');
  });
  assert.deepEqual(show(await overlayChanges(upper, [lower])), ['A /fresh', 'D /www', 'A /www/new']);
});

test('skipped paths: runtime mount points are no change, nor is the mtime they gave their directory', { skip }, async () => {
  const { lower, upper } = await fixture(async (lower, upper) => {
    await mkdir(join(lower, 'etc'));
    await mkdir(join(upper, 'etc'));
    await writeFile(join(upper, 'etc', 'hosts'), '');
    await mkdir(join(upper, 'data', 'sub'), { recursive: true });
  });
  const skipped = new Set(['/etc/hosts', '/data']);
  assert.deepEqual(await overlayChanges(upper, [lower], { skip: (p) => skipped.has(p) }), []);
  assert.deepEqual(show(await overlayChanges(upper, [lower])), ['A /data', 'A /data/sub', 'C /etc', 'A /etc/hosts']);
});

test('a path found in any lower layer is a modification; none found is an addition', { skip }, async () => {
  const { lower, upper } = await fixture(async (lower, upper) => {
    await writeFile(join(lower, 'base'), 'x');
    await writeFile(join(upper, 'base'), 'y');
    await writeFile(join(upper, 'mid'), 'y');
  });
  const mid = join(lower, '..', 'mid');
  await mkdir(mid);
  await writeFile(join(mid, 'mid'), 'x');
  assert.deepEqual(show(await overlayChanges(upper, [mid, lower])), ['C /base', 'C /mid']);
  assert.deepEqual(show(await overlayChanges(upper, [])), ['A /base', 'A /mid']);
});
