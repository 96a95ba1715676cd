// Upload sessions across a restart of the server: what recover() keeps of what a kill -9 left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryStorage } from './storage.js';
import { Uploads } from './uploads.js';

async function* chunks(...parts: string[]): AsyncIterable<Buffer> {
  for (const p of parts) yield Buffer.from(p);
}

test('recover keeps a session at the size its state vouches for, and drops one whose bytes were already committed', async () => {
  const root = await mkdtemp(join(tmpdir(), 'berth-uploads-'));
  try {
    const storage = await RegistryStorage.open(root);
    const before = new Uploads(storage);
    const kept = await before.start('team/app');
    await before.append('team/app', kept.id, chunks('hello, ', 'world'), {});
    // A chunk written but cut off before its state: bytes past the vouched-for size.
    await writeFile(join(storage.uploadsDir, kept.id, 'data'), 'hello, world and more', { flag: 'w' });
    const done = await before.start('team/app');
    await before.append('team/app', done.id, chunks('finished'), {});
    // Killed inside finish(): the bytes were renamed into blobs/, the directory not yet removed.
    await rename(join(storage.uploadsDir, done.id, 'data'), join(root, 'moved-away'));

    const after = new Uploads(storage);
    assert.equal(await after.recover(), 1);
    assert.equal(after.status('team/app', kept.id).size, 'hello, world'.length);
    assert.equal(await readFile(join(storage.uploadsDir, kept.id, 'data'), 'utf8'), 'hello, world');
    assert.throws(() => after.status('team/app', done.id), /BLOB_UPLOAD_UNKNOWN|upload unknown/i);
    await assert.rejects(stat(join(storage.uploadsDir, done.id)), { code: 'ENOENT' });
    // The kept session goes on from where it was.
    assert.equal((await after.append('team/app', kept.id, chunks('!'), {})).size, 'hello, world!'.length);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
