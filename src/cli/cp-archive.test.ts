import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { extractTo } from './cp-archive.js';

async function tarOf(entries: Array<{ name: string; type?: 'file' | 'directory' | 'symlink'; body?: string; linkname?: string }>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const e of entries) {
    const header = { name: e.name, type: e.type ?? 'file', linkname: e.linkname, mode: e.type === 'directory' ? 0o755 : 0o644, mtime: new Date(1.5e12) };
    if ((e.type ?? 'file') === 'file') pack.entry(header, e.body ?? '');
    else pack.entry(header);
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function tmp(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), `berth-cp-${process.pid}-`));
  t.after(() => rm(d, { recursive: true, force: true }));
  return d;
}

test('docker cp out of a container: files, dirs and symlinks land under the target', async (t) => {
  const base = await tmp(t);
  await extractTo(
    Readable.from([
      await tarOf([
        { name: 'x', type: 'directory' },
        { name: 'x/a.txt', body: 'A' },
        { name: 'x/l', type: 'symlink', linkname: '/etc/passwd' },
      ]),
    ]),
    base,
  );
  assert.equal(readFileSync(join(base, 'x/a.txt'), 'utf8'), 'A');
  assert.equal(readlinkSync(join(base, 'x/l')), '/etc/passwd');
  assert.equal(lstatSync(join(base, 'x')).mtimeMs, 1.5e12);
});

test('a hostile archive never writes through a symlink, its own or one already in the target', async (t) => {
  const base = await tmp(t);
  const outside = join(base, 'outside');
  const dest = join(base, 'dest');
  await mkdir(outside);
  await mkdir(dest);
  await utimes(outside, new Date(5e11), new Date(5e11));
  // a symlink in the archive, then a file below it
  await assert.rejects(
    extractTo(
      Readable.from([
        await tarOf([
          { name: 'a', type: 'symlink', linkname: outside },
          { name: 'a/evil.txt', body: 'pwned' },
        ]),
      ]),
      dest,
    ),
    /path goes through the symbolic link/,
  );
  // a directory entry that a later symlink replaces: its time is not set through the link
  await extractTo(
    Readable.from([
      await tarOf([
        { name: 'd', type: 'directory' },
        { name: 'd', type: 'symlink', linkname: outside },
      ]),
    ]),
    dest,
  ).catch(() => {});
  assert.deepEqual(await readdir(outside), []);
  assert.equal((await stat(outside)).mtimeMs, 5e11);
  // a symlink already in the target directory
  const pre = join(base, 'pre');
  await mkdir(pre);
  const { symlinkSync } = await import('node:fs');
  symlinkSync(outside, join(pre, 'b'));
  await assert.rejects(extractTo(Readable.from([await tarOf([{ name: 'b/evil.txt', body: 'pwned' }])]), pre), /symbolic link/);
  await writeFile(join(base, 'marker'), '');
  assert.equal(existsSync(join(outside, 'evil.txt')), false);
});
