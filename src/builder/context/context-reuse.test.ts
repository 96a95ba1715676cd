import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { extractContext } from './context-tar.js';
import { tarOf, tmpDir, type TarEntry } from './context-test-util.js';
import { ContextPool } from './context-pool.js';
import { hashPaths } from './hash-paths.js';

type E = TarEntry;
const tmp = (t: Parameters<typeof tmpDir>[0]) => tmpDir(t, 'berth-reuse');

/** Everything COPY would see of a tree: type, mode, content or link, mtime of files. */
function describe(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(rel ? join(root, rel) : root).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    const st = lstatSync(join(root, r));
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isDirectory()) {
      out.push(`${r} dir ${mode}`);
      out.push(...describe(root, r));
    } else if (st.isSymbolicLink()) out.push(`${r} -> ${readlinkSync(join(root, r))}`);
    else out.push(`${r} file ${mode} ${st.mtimeMs} ${readFileSync(join(root, r), 'utf8')} links=${st.nlink}`);
  }
  return out;
}

const first: E[] = [
  { name: 'Dockerfile', body: 'FROM scratch\n' },
  { name: 'same.txt', body: 'unchanged' },
  { name: 'edit.txt', body: 'aaaa' },
  { name: 'grow.txt', body: 'short' },
  { name: 'gone.txt', body: 'bye' },
  { name: 'mode.sh', body: 'x', mode: 0o644 },
  { name: 'olddir', type: 'directory', mode: 0o700 },
  { name: 'olddir/in.txt', body: 'inside' },
  { name: 'becomes-dir', body: 'file first' },
  { name: 'becomes-link/a.txt', body: 'a' },
  { name: 'implicit/deep/f.txt', body: 'f' },
  { name: 'link', type: 'symlink', linkname: 'same.txt' },
  { name: 'hard', type: 'link', linkname: 'same.txt' },
  { name: 'touched.txt', body: 't', mtime: 1e12 },
  { name: 'parent-later', body: 'a file first' },
];
const second: E[] = [
  { name: 'Dockerfile', body: 'FROM scratch\n' },
  { name: 'same.txt', body: 'unchanged' },
  { name: 'edit.txt', body: 'bbbb' }, // same size, new content
  { name: 'grow.txt', body: 'much longer now' },
  { name: 'mode.sh', body: 'x', mode: 0o755 },
  { name: 'becomes-dir', type: 'directory', mode: 0o750 },
  { name: 'becomes-dir/x', body: 'x' },
  { name: 'becomes-link', type: 'symlink', linkname: '/etc' },
  { name: 'implicit/other.txt', body: 'o' }, // implicit/deep disappears
  { name: 'link', type: 'symlink', linkname: 'edit.txt' },
  { name: 'touched.txt', body: 't', mtime: 2e12 },
  { name: 'new/file.txt', body: 'new' },
  { name: 'parent-later/child', body: 'now a directory without an entry of its own' },
];

test('a reused context directory ends up exactly as a fresh unpack, writing only what changed', async (t) => {
  const base = await tmp(t);
  const reused = join(base, 'reused');
  const fresh = join(base, 'fresh');
  const a = await tarOf(first);
  const b = await tarOf(second);
  const r1 = await extractContext(Readable.from([a]), reused);
  assert.equal(r1.reused, 0);
  const r2 = await extractContext(Readable.from([b]), reused, { previous: r1.index });
  const r3 = await extractContext(Readable.from([b]), fresh);
  assert.deepEqual(describe(reused), describe(fresh));
  assert.equal(r2.reused, 4); // same.txt too: a file with other links (a COPY's layer) is compared, then replaced only if it changed
  assert.deepEqual([...r2.digests].sort(), [...r3.digests].sort());
  assert.deepEqual([...r2.index].sort(), [...r3.index].sort());
  const h2 = await hashPaths(reused, ['.'], { digests: r2.digests });
  const h3 = await hashPaths(fresh, ['.']); // read from disk: the digests handed over must agree
  assert.equal(h2.digest, h3.digest);
  // and back again
  const r4 = await extractContext(Readable.from([a]), reused, { previous: r2.index });
  const r5 = await extractContext(Readable.from([a]), join(base, 'fresh2'));
  assert.deepEqual(describe(reused), describe(join(base, 'fresh2')));
  assert.deepEqual([...r4.index].sort(), [...r5.index].sort());
});

test('stale entries under a directory replaced by a symlink are never removed through it', async (t) => {
  const base = await tmp(t);
  const outside = join(base, 'outside');
  await mkdir(outside);
  await writeFile(join(outside, 'victim.txt'), 'keep me');
  const dir = join(base, 'ctx');
  const r1 = await extractContext(
    Readable.from([
      await tarOf([
        { name: 'd/victim.txt', body: 'v' },
        { name: 'd/sub/x', body: 'x' },
      ]),
    ]),
    dir,
  );
  // `d` becomes a symlink to a directory outside; its old children are stale
  await extractContext(Readable.from([await tarOf([{ name: 'd', type: 'symlink', linkname: outside }])]), dir, { previous: r1.index });
  assert.equal(readFileSync(join(outside, 'victim.txt'), 'utf8'), 'keep me');
  assert.equal(readlinkSync(join(dir, 'd')), outside);
  // and a previous index that lies (claims a file the tar now reaches through a symlink) changes nothing outside
  const lying = new Map(r1.index);
  lying.set('d/victim.txt', { t: 'f', m: 0o644, s: 1, d: '0'.repeat(64) });
  await extractContext(
    Readable.from([
      await tarOf([
        { name: 'd', type: 'symlink', linkname: outside },
        { name: 'e.txt', body: 'e' },
      ]),
    ]),
    dir,
    { previous: lying },
  );
  assert.equal(readFileSync(join(outside, 'victim.txt'), 'utf8'), 'keep me');
  assert.deepEqual(await readdir(outside), ['victim.txt']);
});

test('ContextPool: same key gets its directory and index back; an unreleased one is gone after a restart', async (t) => {
  const root = join(await tmp(t), 'contexts');
  const pool = new ContextPool(root, 2);
  await pool.init();
  const l1 = await pool.acquire('app');
  assert.equal(l1.previous, undefined);
  const r1 = await extractContext(Readable.from([await tarOf(first)]), l1.dir);
  await pool.release(l1, r1.index);
  const busy = await pool.acquire('other'); // never released: a crash mid-build
  await writeFile(join(busy.dir, 'half'), 'x');

  const l2 = await pool.acquire('app');
  assert.equal(l2.dir, l1.dir);
  assert.deepEqual([...(l2.previous ?? [])].sort(), [...r1.index].sort());
  await pool.release(l2, r1.index);

  const restarted = new ContextPool(root, 2);
  await restarted.init();
  assert.deepEqual((await readdir(root)).sort(), [posix.basename(l1.dir), `${posix.basename(l1.dir)}.json`].sort());
  const l3 = await restarted.acquire('app');
  assert.equal(l3.dir, l1.dir);
  assert.ok(l3.previous?.has('same.txt'));
  // in use but not changed yet: the index stays (a crash now leaves a whole directory)
  assert.deepEqual((await readdir(root)).sort(), [posix.basename(l1.dir), `${posix.basename(l1.dir)}.json`].sort());
  // about to change: no index on disk, so a crash from now on discards it
  restarted.changing(l3);
  assert.deepEqual(await readdir(root), [posix.basename(l1.dir)]);
  await restarted.release(l3, undefined); // a failed unpack: discarded
  assert.deepEqual(await readdir(root), []);
  assert.equal(await restarted.clear(), 0);
});

test('ContextPool keeps at most `capacity` idle directories and prune clears them', async (t) => {
  const root = join(await tmp(t), 'contexts');
  const pool = new ContextPool(root, 2);
  await pool.init();
  const leases = [await pool.acquire('a'), await pool.acquire('b'), await pool.acquire('c')];
  for (const l of leases) await pool.release(l, new Map());
  assert.equal((await readdir(root)).filter((n) => !n.endsWith('.json')).length, 2);
  const reuse = await pool.acquire('d'); // at capacity: the least recently used is rewritten
  assert.ok([leases[1]!.dir, leases[2]!.dir].includes(reuse.dir));
  await pool.release(reuse, new Map());
  assert.equal(await pool.clear(), 2);
  assert.deepEqual(await readdir(root), []);
});
