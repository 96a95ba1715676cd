// Crash safety: berthd is killed with SIGKILL in the middle of a large import (while the body
// is still streaming in, and again while the layer unpacks). After a restart the store must be
// consistent: no half image, no temp files, the image list works, and the same import succeeds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { useBusyboxDaemon } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';
import { api, leftovers, snapshot, type StoreSnapshot } from './support.js';

const skip = requiresRoot('real crun, overlayfs, cgroups');
const d = useBusyboxDaemon({ before, after }, skip);
const FILES = 4;
const FILE_SIZE = 50 << 20; // 4 x 50 MiB: a ~200 MiB tar
const CHUNK = 1 << 20;

/** A ~200 MiB tar produced on the fly; `delayMs` between 1 MiB chunks makes it slow. */
function bigTar(delayMs: number): Readable {
  const pack = tar.pack();
  const chunk = Buffer.alloc(CHUNK);
  for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32LE((i * 2654435761) >>> 0, i); // not all zeros
  void (async () => {
    for (let f = 0; f < FILES; f++) {
      const entry = pack.entry({ name: `big/file-${f}`, size: FILE_SIZE, mode: 0o644, mtime: new Date(1_700_000_000_000) });
      for (let off = 0; off < FILE_SIZE; off += CHUNK) {
        if (!entry.write(chunk)) await new Promise<void>((r) => entry.once('drain', () => r()));
        if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      }
      await new Promise<void>((res, rej) => entry.end((err?: Error | null) => (err ? rej(err) : res())));
    }
    pack.finalize();
  })().catch((e) => pack.destroy(e));
  return Readable.from(pack as unknown as AsyncIterable<Buffer>);
}

/** Starts an import and resolves with the request once it is in flight (never rejects). */
function startImport(body: Readable, ref: string): { done: Promise<number> } {
  const done = new Promise<number>((resolve) => {
    const req = request(
      { socketPath: d.socket, method: 'POST', path: `/images/create?fromSrc=-&repo=${ref}&tag=big`, headers: { 'Content-Type': 'application/x-tar' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(-1));
      },
    );
    req.on('error', () => resolve(-1));
    body.on('error', () => req.destroy());
    body.pipe(req);
  });
  return { done };
}

async function dirBytes(dir: string): Promise<number> {
  let n = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) n += (await stat(join(dir, name)).catch(() => ({ size: 0 }))).size;
  return n;
}

async function waitFor(what: string, cond: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function restartAndCheck(before: StoreSnapshot, what: string): Promise<void> {
  await d.start();
  assert.deepEqual(await leftovers(d), [], `${what}: temp files survived the restart`);
  const after = await snapshot(d);
  assert.deepEqual(after, before, `${what}: the store is not as before the interrupted import`);
  // No layer directory or snapshot without its metadata, no dangling short link.
  const overlay = join(d.dataRoot, 'overlay');
  for (const l of await readdir(join(overlay, 'layers'))) await stat(join(overlay, 'layers', l, 'meta.json'));
  for (const l of await readdir(join(overlay, 'l'))) await stat(join(overlay, 'l', l)); // follows the link
}

test('SIGKILL while a 200 MiB import streams in, then restart: no trace of it; re-import works', { skip, timeout: 60_000 }, async () => {
  const before = await snapshot(d);
  const ingest = join(d.dataRoot, 'content/ingest');
  const imp = startImport(bigTar(2), 'crash-stream');
  // Mid-stream: a good part of the body is in the ingest file, but far from all of it.
  await waitFor('the ingest to pass 40 MiB', async () => (await dirBytes(ingest)) > 40 << 20);
  await d.kill('SIGKILL');
  assert.equal(await imp.done, -1, 'the request died with the daemon');
  assert.ok((await dirBytes(ingest)) < FILES * FILE_SIZE, 'the kill happened mid-stream');
  await restartAndCheck(before, 'kill during streaming');

  // The same import now succeeds (fast this time) and its image is whole.
  const again = startImport(bigTar(0), 'crash-stream');
  assert.equal(await again.done, 200);
  const img = await api(d, 'GET', '/images/crash-stream:big/json');
  assert.equal(img.status, 200, img.text);
  const info = img.json as { Id: string; Size: number; RootFS: { Layers: string[] } };
  assert.equal(info.RootFS.Layers.length, 1);
  assert.equal(info.Size, FILES * FILE_SIZE);
  assert.deepEqual(await leftovers(d), []);
  assert.equal((await api(d, 'DELETE', '/images/crash-stream:big')).status, 200);
  assert.deepEqual(await snapshot(d), before);
});

test('SIGKILL while the imported layer unpacks, then restart: all or nothing', { skip, timeout: 60_000 }, async () => {
  const before = await snapshot(d);
  const tmp = join(d.dataRoot, 'overlay/tmp');
  const imp = startImport(bigTar(0), 'crash-unpack');
  // The unpack runs in overlay/tmp/<random>; kill as soon as it has written something.
  let seen = false;
  await waitFor('the unpack to start or the import to end', async () => {
    for (const t of await readdir(tmp).catch(() => [] as string[])) if ((await dirBytes(join(tmp, t, 'diff', 'big'))) > 0) seen = true;
    return seen || (await Promise.race([imp.done.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 1))]));
  });
  await d.kill('SIGKILL');
  const status = await imp.done;
  await d.start();
  assert.deepEqual(await leftovers(d), [], 'temp files survived the restart');
  const img = await api(d, 'GET', '/images/crash-unpack:big/json');
  if (seen && status !== 200) {
    // Killed mid-unpack: nothing of the import may remain.
    assert.equal(img.status, 404, img.text);
    assert.deepEqual(await snapshot(d), before);
    assert.match(d.logs.join(''), /undoing an image operation interrupted by a crash/);
  } else {
    // The import finished before the kill: it must be whole.
    assert.equal(img.status, 200, img.text);
    assert.equal((img.json as { Size: number }).Size, FILES * FILE_SIZE);
    assert.equal((await api(d, 'DELETE', '/images/crash-unpack:big')).status, 200);
  }
  const again = startImport(bigTar(0), 'crash-unpack');
  assert.equal(await again.done, 200);
  assert.equal((await api(d, 'DELETE', '/images/crash-unpack:big')).status, 200);
  assert.deepEqual(await snapshot(d), before);
  assert.deepEqual(await leftovers(d), []);
});
