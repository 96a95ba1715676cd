import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readlink, stat, lstat, writeFile, mkdir, symlink, chmod, utimes, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { extractContext } from './context-tar.js';
import { isBerthError } from '../../lib/errors.js';
import { tarOf, tmpDir, type TarEntry } from './context-test-util.js';
import { hashPaths } from './hash-paths.js';

type E = TarEntry;
const tmp = (t: Parameters<typeof tmpDir>[0]) => tmpDir(t, 'berth-ctx');

test('extracts files, dirs, symlinks, hard links; gzip accepted; .dockerignore applied', async (t) => {
  const dir = await tmp(t);
  const tar = await tarOf([
    { name: './', type: 'directory' },
    { name: 'Dockerfile', body: 'FROM busybox\n' },
    { name: '.dockerignore', body: '**/*.log\nsecret/\n!secret/public\nDockerfile\n' },
    { name: 'app/main.sh', body: 'echo hi', mode: 0o755 },
    { name: 'app/debug.log', body: 'x' },
    { name: 'secret/key', body: 'k' },
    { name: 'secret/public', body: 'p' },
    { name: 'link', type: 'symlink', linkname: '/etc/passwd' },
    { name: 'hard', type: 'link', linkname: 'app/main.sh' },
  ]);
  const r = await extractContext(Readable.from([gzipSync(tar)]), dir);
  assert.equal(r.ignoreFile, '.dockerignore');
  assert.equal(await readFile(join(dir, 'app/main.sh'), 'utf8'), 'echo hi');
  assert.equal((await stat(join(dir, 'app/main.sh'))).mode & 0o777, 0o755);
  assert.equal(await readlink(join(dir, 'link')), '/etc/passwd');
  assert.equal((await stat(join(dir, 'hard'))).nlink, 2);
  assert.equal(await readFile(join(dir, 'Dockerfile'), 'utf8'), 'FROM busybox\n'); // always kept
  assert.equal(await readFile(join(dir, 'secret/public'), 'utf8'), 'p');
  await assert.rejects(stat(join(dir, 'secret/key')));
  await assert.rejects(stat(join(dir, 'app/debug.log')));
  assert.equal(r.removed, 2);
});

test('Dockerfile.dockerignore beside a named Dockerfile wins over .dockerignore', async (t) => {
  const dir = await tmp(t);
  const tar = await tarOf([
    { name: 'build/app.Dockerfile', body: 'FROM a' },
    { name: 'build/app.Dockerfile.dockerignore', body: 'a.txt\n' },
    { name: '.dockerignore', body: 'b.txt\n' },
    { name: 'a.txt' },
    { name: 'b.txt' },
  ]);
  const r = await extractContext(Readable.from([tar]), dir, { dockerfile: 'build/app.Dockerfile' });
  assert.equal(r.ignoreFile, 'build/app.Dockerfile.dockerignore');
  assert.deepEqual((await readdir(dir)).sort(), ['.dockerignore', 'b.txt', 'build']);
});

test('hostile context tars are rejected and write nothing outside', async (t) => {
  const outside = await tmp(t);
  const cases: Array<[E[], RegExp]> = [
    [[{ name: '/etc/evil', body: 'x' }], /absolute path/],
    [[{ name: '../evil', body: 'x' }], /contains "\.\."/],
    [[{ name: 'a/../../evil', body: 'x' }], /contains "\.\."/],
    [[{ name: 'h', type: 'link', linkname: '../../etc/passwd' }], /contains "\.\."/],
    [[{ name: 'h', type: 'link', linkname: 'missing' }], /hard link/],
  ];
  for (const [entries, re] of cases) {
    const dir = await tmp(t);
    await assert.rejects(extractContext(Readable.from([await tarOf(entries)]), join(dir, 'ctx')), re);
    assert.deepEqual(await readdir(dir), ['ctx']);
  }
  // A symlink to a directory outside, then a file "through" it: lands inside the root.
  const dir = await tmp(t);
  await extractContext(
    Readable.from([
      await tarOf([
        { name: 'esc', type: 'symlink', linkname: outside },
        { name: 'esc/pwned', body: 'x' },
        { name: 'up', type: 'symlink', linkname: '../../..' },
        { name: 'up/pwned2', body: 'y' },
      ]),
    ]),
    dir,
  );
  assert.deepEqual(await readdir(outside), []);
  assert.equal(await readFile(join(dir, outside, 'pwned'), 'utf8'), 'x');
  assert.equal(await readFile(join(dir, 'pwned2'), 'utf8'), 'y');
  assert.equal((await lstat(join(dir, 'esc'))).isSymbolicLink(), true);
});

test('entry and size limits', async (t) => {
  const dir = await tmp(t);
  const many = await tarOf(Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, body: 'x' })));
  await assert.rejects(extractContext(Readable.from([many]), join(dir, 'a'), { maxEntries: 10 }), /more than 10 entries/);
  const big = await tarOf([{ name: 'big', body: 'x'.repeat(5000) }]);
  await assert.rejects(extractContext(Readable.from([big]), join(dir, 'b'), { maxBytes: 4096 }), /larger than 4096 bytes/);
  await assert.rejects(extractContext(Readable.from([Buffer.from('not a tar at all, just text'.repeat(40))]), join(dir, 'c')));
});

test('hashPaths: stable, content- and mode-sensitive, mtime-insensitive, COPY globs', async (t) => {
  const dir = await tmp(t);
  await mkdir(join(dir, 'src/sub'), { recursive: true });
  await writeFile(join(dir, 'src/a.go'), 'package a');
  await writeFile(join(dir, 'src/sub/b.go'), 'package b');
  await writeFile(join(dir, 'main.go'), 'package main');
  await writeFile(join(dir, 'README.md'), 'hi');
  await symlink('/etc', join(dir, 'etc-link'));
  const h1 = await hashPaths(dir, ['src', '*.go']);
  assert.deepEqual(h1.files, ['main.go', 'src', 'src/a.go', 'src/sub', 'src/sub/b.go']);
  assert.match(h1.digest, /^sha256:[0-9a-f]{64}$/);
  assert.equal((await hashPaths(dir, ['./src/', '/main.go'])).digest, h1.digest); // same set, same hash
  await utimes(join(dir, 'src/a.go'), new Date(5e11), new Date(5e11));
  assert.equal((await hashPaths(dir, ['src', '*.go'])).digest, h1.digest);
  await writeFile(join(dir, 'src/a.go'), 'package A');
  const h2 = await hashPaths(dir, ['src', '*.go']);
  assert.notEqual(h2.digest, h1.digest);
  await chmod(join(dir, 'src/a.go'), 0o600);
  assert.notEqual((await hashPaths(dir, ['src', '*.go'])).digest, h2.digest);
  assert.deepEqual((await hashPaths(dir, ['src'], { exclude: ['**/b.go'] })).files, ['src', 'src/a.go', 'src/sub']);
  assert.deepEqual((await hashPaths(dir, ['src/*/*.go'])).files, ['src/sub/b.go']);
  assert.deepEqual((await hashPaths(dir, ['etc-link'])).files, ['etc-link']); // recorded, not followed
  // A path through a symlink resolves inside the context: /etc/passwd is never read.
  await assert.rejects(hashPaths(dir, ['etc-link/passwd']), /failed to compute cache key: "\/etc-link\/passwd": not found/);
  await assert.rejects(hashPaths(dir, ['nope/*.x']), /not found/);
  await assert.rejects(hashPaths(dir, ['../../etc/passwd']), /not found/);
});

test('a directory replaced by a symlink later in the tar: its time is never set through the link', async (t) => {
  const base = await tmp(t);
  const outside = join(base, 'outside');
  await mkdir(outside);
  await utimes(outside, new Date(5e11), new Date(5e11));
  const dir = join(base, 'ctx');
  await extractContext(
    Readable.from([
      await tarOf([
        { name: 'd', type: 'directory', mtime: 1.5e12 },
        { name: 'd', type: 'symlink', linkname: outside },
      ]),
    ]),
    dir,
  );
  assert.equal(await readlink(join(dir, 'd')), outside);
  assert.equal((await stat(outside)).mtimeMs, 5e11);
});

test('a tar that ends right after an entry or at a block boundary is whole (Go archive/tar, the docker CLI); cut elsewhere or no tar is a 400', async (t) => {
  const full = await tarOf([
    { name: 'a.txt', body: 'A\n' },
    { name: 'b.txt', body: 'x'.repeat(700) },
  ]);
  // a.txt: header 512 + data 2 (padded to 512); b.txt: header at 1024, data 700 bytes from 1536.
  const unpadded = full.subarray(0, 1536 + 700);
  const dir = await tmp(t);
  await extractContext(Readable.from([unpadded]), dir);
  assert.equal((await readFile(join(dir, 'b.txt'), 'utf8')).length, 700);
  const noTrailer = await tmp(t);
  await extractContext(Readable.from([full.subarray(0, 1536 + 1024)]), noTrailer); // padding kept, end blocks gone
  assert.equal(await readFile(join(noTrailer, 'a.txt'), 'utf8'), 'A\n');
  for (const [what, body] of [
    ['cut in the data', full.subarray(0, 1536 + 300)],
    ['cut in the padding', full.subarray(0, 1536 + 800)],
    ['cut in a header', full.subarray(0, 1024 + 100)],
    ['no tar', Buffer.from('not a tar at all')],
    ['gzip junk', Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(64, 7)])],
  ] as const) {
    await assert.rejects(extractContext(Readable.from([body]), await tmp(t)), (e: unknown) => isBerthError(e, 'invalid-argument'), what);
  }
});
