import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { entrySource, literalPatterns, matchParents, splitPivot } from './parents-match.js';
import { hashPaths } from './hash-paths.js';

async function tree(t: { after: (fn: () => Promise<void>) => void }, files: string[]): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), `berth-parents-${process.pid}-`));
  t.after(() => rm(d, { recursive: true, force: true }));
  for (const f of files) {
    await mkdir(join(d, f, '..'), { recursive: true });
    await writeFile(join(d, f), f);
  }
  return d;
}

const layout = async (root: string, sources: string[]) => (await matchParents(root, sources)).map((e) => `${entrySource(e)} -> ${e.rel}`);

test('splitPivot: the first /./ is the pivot; a leading ./ is not', () => {
  assert.deepEqual(splitPivot('./x/a.txt'), { pivot: '', pattern: 'x/a.txt' });
  assert.deepEqual(splitPivot('./x/./y/*.txt'), { pivot: 'x', pattern: 'y/*.txt' });
  assert.deepEqual(splitPivot('/abs/./b/./c'), { pivot: 'abs', pattern: 'b/c' });
  assert.deepEqual(splitPivot('/./top'), { pivot: '', pattern: 'top' });
});

test('literal sources keep their path; the pivot cuts it', async (t) => {
  const d = await tree(t, ['x/a.txt', 'y/b.txt', 'x/y/c.txt', 'x/y/d.txt']);
  assert.deepEqual(await layout(d, ['./x/a.txt', './y/b.txt']), ['x/a.txt -> x/a.txt', 'y/b.txt -> y/b.txt']);
  assert.deepEqual(await layout(d, ['./x/./y/c.txt']), ['x/y/c.txt -> y/c.txt']);
  assert.deepEqual(await layout(d, ['x/y']), ['x/y -> x/y']);
  assert.deepEqual(await layout(d, ['.']), [' -> ']);
  assert.deepEqual(await layout(d, ['/x/./']), ['x -> ']);
  await assert.rejects(matchParents(d, ['./nope/a.txt']), /"\/nope\/a.txt": not found/);
  await assert.rejects(matchParents(d, ['./nope/./a.txt']), /"\/nope": not found/);
});

test('globs: * within one element, ** across any number, topmost match only', async (t) => {
  const d = await tree(t, ['src/a.go', 'src/x/b.go', 'src/x/y/c.go', 'src/x/y/d.js', 'docs/e.go', 'x/y/a.txt', 'x/y/b.txt', 'x/z/c.txt']);
  assert.deepEqual((await layout(d, ['./src/**/*.go'])).sort(), ['src/a.go -> src/a.go', 'src/x/b.go -> src/x/b.go', 'src/x/y/c.go -> src/x/y/c.go']);
  assert.deepEqual((await layout(d, ['./src/*/*.go'])).sort(), ['src/x/b.go -> src/x/b.go']);
  assert.deepEqual((await layout(d, ['./x/./y/*.txt'])).sort(), ['x/y/a.txt -> y/a.txt', 'x/y/b.txt -> y/b.txt']);
  assert.deepEqual((await layout(d, ['src/*'])).sort(), ['src/a.go -> src/a.go', 'src/x -> src/x'], 'a matched directory brings its contents');
  assert.deepEqual((await layout(d, ['*/*.go'])).sort(), ['docs/e.go -> docs/e.go', 'src/a.go -> src/a.go']);
  await assert.rejects(matchParents(d, ['./src/**/*.rs']), /"\/src\/\*\*\/\*.rs": not found/);
});

test('symlinks are matched as entries, not followed', async (t) => {
  const d = await tree(t, ['real/f.txt']);
  await symlink('real', join(d, 'link'));
  assert.deepEqual((await layout(d, ['*'])).sort(), ['link -> link', 'real -> real']);
});

test('literalPatterns hash exactly the matched entries, even names with glob characters', async (t) => {
  const d = await tree(t, ['a/[x]*.txt', 'a/other.txt', 'b/c.txt']);
  const entries = await matchParents(d, ['a/*.txt']);
  assert.equal(entries.length, 2);
  const h = await hashPaths(d, literalPatterns(await matchParents(d, ['a/\\[x\\]\\*.txt'])));
  assert.deepEqual(h.files, ['a/[x]*.txt']);
});
