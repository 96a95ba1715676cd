import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { copyToFile } from './output-file.js';

// Found by the torture driver: berthd killed during `berth save -o FILE` left a truncated
// archive at FILE. The docker CLI writes a temp file beside it and renames it when whole.
test('a stream that breaks off leaves the output path as it was and no temp file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-out-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const out = join(dir, 'image.tar');
  const broken = () =>
    new Readable({
      read() {
        this.push(Buffer.alloc(64 * 1024, 1));
        this.destroy(new Error('socket hang up'));
      },
    });
  await assert.rejects(copyToFile(broken(), out), /socket hang up/);
  assert.deepEqual(await readdir(dir), [], 'nothing at the output path, no temp file');
  await writeFile(out, 'before');
  await assert.rejects(copyToFile(broken(), out));
  assert.equal(await readFile(out, 'utf8'), 'before', 'an existing file is not clobbered by a partial one');
  assert.deepEqual(await readdir(dir), ['image.tar']);
});

test('a whole stream lands at the output path, mode 0600 as docker save -o', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-out-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const out = join(dir, 'image.tar');
  await copyToFile(Readable.from([Buffer.from('abc'), Buffer.from('def')]), out);
  assert.equal(await readFile(out, 'utf8'), 'abcdef');
  assert.equal((await stat(out)).mode & 0o777, 0o600);
  assert.deepEqual(await readdir(dir), ['image.tar']);
});
