import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestCacheDir, scanContext, uploadBody } from './context-sync.js';
import { pathStat } from './path-stat.js';

const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

function tempContext(): { dir: string; env: NodeJS.ProcessEnv; done: () => void } {
  const base = mkdtempSync(join(tmpdir(), 'berth-context-sync-'));
  const dir = join(base, 'ctx');
  mkdirSync(dir);
  return { dir, env: { XDG_CONFIG_HOME: join(base, 'config') }, done: () => rmSync(base, { recursive: true, force: true }) };
}

test('pathStat gives what lstatSync gives for files, directories and symlinks', () => {
  const c = tempContext();
  try {
    writeFileSync(join(c.dir, 'f'), 'data');
    chmodSync(join(c.dir, 'f'), 0o640);
    symlinkSync('f', join(c.dir, 'l'));
    for (const p of [c.dir, join(c.dir, 'f'), join(c.dir, 'l')]) {
      const a = pathStat(p);
      const b = lstatSync(p);
      assert.deepEqual(a, { mode: b.mode, ino: b.ino, size: b.size, mtimeMs: b.mtimeMs, ctimeMs: b.ctimeMs }, p);
    }
    assert.throws(() => pathStat(join(c.dir, 'missing')), { code: 'ENOENT' });
  } finally {
    c.done();
  }
});

test('a file rewritten right after a scan with the same size and mtime is read again, however close in time', async () => {
  const c = tempContext();
  try {
    const file = join(c.dir, 'a.txt');
    writeFileSync(file, 'first');
    const before = lstatSync(file);
    const s1 = await scanContext(c.dir, undefined, undefined, c.env);
    assert.equal(s1.entries.find((e) => e.p === 'a.txt')?.d, sha('first'));
    // On a kernel with coarse timestamps the rewrite below may keep the ctime too: so a digest
    // taken this close to the file's change is not kept for the next scan.
    const cache = join(digestCacheDir(c.env), `${s1.id}.json`);
    const rows = existsSync(cache) ? (JSON.parse(readFileSync(cache, 'utf8')) as { files: Record<string, unknown> }).files : {};
    assert.equal(rows['a.txt'], undefined, 'no digest kept for a file changed just before the scan');
    // Same inode, same size, the mtime set back: only the content differs, and the ctime may
    // fall in the same timestamp tick as the first write.
    writeFileSync(file, 'other');
    utimesSync(file, before.atime, before.mtime);
    const s2 = await scanContext(c.dir, undefined, undefined, c.env);
    assert.equal(s2.entries.find((e) => e.p === 'a.txt')?.d, sha('other'), 'the changed content is sent');
    assert.equal(s2.hashed, 1, 'a file changed just before the scan is read, not taken from the digest cache');
  } finally {
    c.done();
  }
});

test('an unchanged file changed long enough ago is taken from the digest cache; the upload of a rebuild is bytes', async () => {
  const c = tempContext();
  try {
    writeFileSync(join(c.dir, 'old.bin'), 'old content');
    writeFileSync(join(c.dir, 'Dockerfile'), 'FROM scratch\n');
    assert.equal((await scanContext(c.dir, undefined, undefined, c.env)).hashed, 2);
    // Past the racy window (its ctime must be older than the window for a digest to be kept): not a timing assert, the clock has to pass it.
    await new Promise((r) => setTimeout(r, 3200));
    assert.equal((await scanContext(c.dir, undefined, undefined, c.env)).hashed, 2, 'the digests are kept only now');
    const s = await scanContext(c.dir, undefined, undefined, c.env);
    assert.equal(s.hashed, 0, 'nothing read');
    assert.equal(s.entries.find((e) => e.p === 'old.bin')?.d, sha('old content'));
    const upload = uploadBody(s, []);
    assert.ok(Buffer.isBuffer(upload), 'nothing missing: one buffer');
    assert.equal(upload.subarray(0, 13).toString(), 'manifest.json');
    assert.ok(upload.includes(s.manifest), 'the manifest made once is the one sent');
  } finally {
    c.done();
  }
});
