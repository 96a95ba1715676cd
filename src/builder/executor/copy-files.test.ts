// copyInto on plain directories standing in for a context and a mounted rootfs: COPY --parents
// layouts and the placement of ADD <url> downloads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyInto, type CopySpec } from './copy-files.js';
import type { Download } from './add-url.js';

const owner = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };

async function dirs(t: { after: (fn: () => Promise<void>) => void }, files: string[]): Promise<{ ctx: string; rootfs: string; base: string }> {
  const base = await mkdtemp(join(tmpdir(), `berth-copy-${process.pid}-`));
  t.after(() => rm(base, { recursive: true, force: true }));
  const ctx = join(base, 'ctx');
  const rootfs = join(base, 'rootfs');
  await mkdir(rootfs, { recursive: true });
  for (const f of files) {
    await mkdir(join(ctx, f, '..'), { recursive: true });
    await writeFile(join(ctx, f), f);
  }
  return { ctx, rootfs, base };
}

async function list(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${d.name}` : d.name;
    out.push(d.isDirectory() ? r + '/' : r);
    if (d.isDirectory()) out.push(...(await list(root, r)));
  }
  return out.sort();
}

const spec = (srcRoot: string, sources: string[], dest: string, more: Partial<CopySpec> = {}): CopySpec => ({
  srcRoot,
  sources,
  dest,
  destIsDir: dest.endsWith('/'),
  owner,
  instruction: 'COPY',
  ...more,
});

test('--parents keeps source paths under dest; without it they are flattened', async (t) => {
  const { ctx, rootfs } = await dirs(t, ['x/a.txt', 'y/a.txt', 'y/sub/b.txt']);
  await copyInto(rootfs, spec(ctx, ['./x/a.txt', './y/a.txt'], '/no_parents/'));
  await copyInto(rootfs, spec(ctx, ['./x/a.txt', './y/a.txt'], '/parents/', { parents: true }));
  await copyInto(rootfs, spec(ctx, ['./y'], '/whole', { parents: true, destIsDir: true }));
  assert.deepEqual(await list(rootfs), [
    'no_parents/',
    'no_parents/a.txt',
    'parents/',
    'parents/x/',
    'parents/x/a.txt',
    'parents/y/',
    'parents/y/a.txt',
    'whole/',
    'whole/y/',
    'whole/y/a.txt',
    'whole/y/sub/',
    'whole/y/sub/b.txt',
  ]);
  assert.equal(await readFile(join(rootfs, 'parents/y/a.txt'), 'utf8'), 'y/a.txt');
});

test('--parents: pivot, ** globs, parent dirs take the source mode and times, --chmod and --exclude apply', async (t) => {
  const { ctx, rootfs } = await dirs(t, ['src/a.go', 'src/x/b.go', 'src/x/y/c.go', 'src/x/y/d.js', 'src/x/skip.go', 'lib/./v/k.txt']);
  await chmod(join(ctx, 'src/x'), 0o750);
  const old = new Date('2001-02-03T04:05:06Z');
  await utimes(join(ctx, 'src/x'), old, old);
  await copyInto(rootfs, spec(ctx, ['./src/**/*.go'], '/out/', { parents: true, exclude: ['src/x/skip.go'] }));
  await copyInto(rootfs, spec(ctx, ['./lib/./v/k.txt'], '/piv/', { parents: true, chmod: 0o700 }));
  assert.deepEqual(await list(join(rootfs, 'out')), ['src/', 'src/a.go', 'src/x/', 'src/x/b.go', 'src/x/y/', 'src/x/y/c.go']);
  const x = await stat(join(rootfs, 'out/src/x'));
  assert.equal(x.mode & 0o7777, 0o750);
  assert.equal(x.mtime.getTime(), old.getTime());
  assert.deepEqual(await list(join(rootfs, 'piv')), ['v/', 'v/k.txt']);
  assert.equal((await stat(join(rootfs, 'piv/v'))).mode & 0o7777, 0o700);
  assert.equal((await stat(join(rootfs, 'piv/v/k.txt'))).mode & 0o7777, 0o700);
  await assert.rejects(copyInto(rootfs, spec(ctx, ['./src/**/*.rs'], '/out/', { parents: true })), /not found/);
});

async function fakeDownload(base: string, name: string | undefined, body: string | Buffer, url = 'http://127.0.0.1/x'): Promise<Download> {
  const path = join(base, `dl-${Math.random().toString(36).slice(2)}`);
  await writeFile(path, body, { mode: 0o600 });
  const mtime = new Date('2015-10-21T07:28:00Z');
  await utimes(path, mtime, mtime);
  return { url, path, name, digest: 'sha256:0', size: body.length };
}

test('ADD <url>: into a dir under its name, or at the file name given; 0600 and mtime kept; --chmod applies', async (t) => {
  const { ctx, rootfs, base } = await dirs(t, []);
  await mkdir(ctx, { recursive: true });
  const d = await fakeDownload(base, 'file.tgz', 'data');
  await copyInto(rootfs, spec(ctx, [d.url], '/dl/', { instruction: 'ADD', downloads: [d], extractArchives: true }));
  await copyInto(rootfs, spec(ctx, [d.url], '/named.bin', { instruction: 'ADD', downloads: [d] }));
  await copyInto(rootfs, spec(ctx, [d.url], '/modes/', { instruction: 'ADD', downloads: [d], chmod: 0o644 }));
  const st = await stat(join(rootfs, 'dl/file.tgz'));
  assert.equal(st.mode & 0o7777, 0o600);
  assert.equal(st.mtime.getTime(), Date.parse('2015-10-21T07:28:00Z'));
  assert.equal(await readFile(join(rootfs, 'named.bin'), 'utf8'), 'data');
  assert.equal((await stat(join(rootfs, 'modes/file.tgz'))).mode & 0o7777, 0o644);
  const nameless = await fakeDownload(base, undefined, 'x', 'http://127.0.0.1:9/');
  await assert.rejects(
    copyInto(rootfs, spec(ctx, [nameless.url], '/d/', { instruction: 'ADD', downloads: [nameless] })),
    /cannot determine filename from url: http:\/\/127.0.0.1:9\//,
  );
  await copyInto(rootfs, spec(ctx, [nameless.url], '/as-file', { instruction: 'ADD', downloads: [nameless] }));
  assert.equal(await readFile(join(rootfs, 'as-file'), 'utf8'), 'x');
});

test('ADD <url>: a downloaded tar archive is not extracted unless --unpack=true; local ones are', async (t) => {
  const { ctx, rootfs, base } = await dirs(t, ['inner/f.txt']);
  execFileSync('tar', ['-C', ctx, '-czf', join(ctx, 'a.tgz'), 'inner']);
  const d = await fakeDownload(base, 'a.tgz', await readFile(join(ctx, 'a.tgz')));
  await copyInto(rootfs, spec(ctx, [d.url, 'a.tgz'], '/both/', { instruction: 'ADD', downloads: [d], extractArchives: true }));
  assert.deepEqual(await list(join(rootfs, 'both')), ['a.tgz', 'inner/', 'inner/f.txt']);
  await copyInto(rootfs, spec(ctx, [d.url], '/unpacked/', { instruction: 'ADD', downloads: [d], extractArchives: true, unpackDownloads: true }));
  assert.deepEqual(await list(join(rootfs, 'unpacked')), ['inner/', 'inner/f.txt'], 'ADD --unpack=true extracts a download');
});

test('COPY <url> keeps its error; a URL without its download is a bug', async (t) => {
  const { ctx, rootfs } = await dirs(t, ['a']);
  await assert.rejects(copyInto(rootfs, spec(ctx, ['https://example.invalid/a'], '/d/')), /source can't be a URL for COPY/);
  await assert.rejects(copyInto(rootfs, spec(ctx, ['https://example.invalid/a'], '/d/', { instruction: 'ADD' })), /1 URL sources but 0 downloads/);
});

test('--exclude applies to files a source glob matches, not only below directories', async (t) => {
  const { ctx, rootfs } = await dirs(t, ['hom1.txt', 'home.md', 'homer/x.txt', 'homer/y.md']);
  await copyInto(rootfs, spec(ctx, ['hom*'], '/mydir/', { exclude: ['*.txt', '**/*.txt'] }));
  assert.deepEqual(await list(join(rootfs, 'mydir')), ['home.md', 'y.md']);
});
