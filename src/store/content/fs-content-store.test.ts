import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FsContentStore } from './fs-content-store.js';
import { sha256 } from '../../lib/digest.js';
import { isBerthError } from '../../lib/errors.js';

const roots: string[] = [];
async function newStore(): Promise<FsContentStore> {
  const root = await mkdtemp(join(tmpdir(), `berth-cs-${process.pid}-`));
  roots.push(root);
  return FsContentStore.open(root);
}
after(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

test('put stores a blob by digest, readable back by every accessor', async () => {
  const cs = await newStore();
  const info = await cs.put('hello');
  assert.equal(info.digest, sha256('hello'));
  assert.equal(info.size, 5);
  assert.equal(await cs.has(info.digest), true);
  assert.deepEqual(await cs.info(info.digest), info);
  assert.equal((await cs.read(info.digest)).toString(), 'hello');
  assert.equal(await readFile(cs.path(info.digest), 'utf8'), 'hello');
  const chunks: Buffer[] = [];
  for await (const c of cs.readStream(info.digest)) chunks.push(c as Buffer);
  assert.equal(Buffer.concat(chunks).toString(), 'hello');
  assert.deepEqual(await cs.list(), [info]);
  assert.equal(cs.path(info.digest), join(cs.root, 'blobs', 'sha256', info.digest.slice(7)));
});

test('ingest streams and verifies digest and size', async () => {
  const cs = await newStore();
  const data = Buffer.alloc(300_000, 7);
  const d = sha256(data);
  const info = await cs.ingest(Readable.from([data.subarray(0, 1000), data.subarray(1000)]), { digest: d, size: data.length });
  assert.deepEqual(info, { digest: d, size: data.length });
  assert.deepEqual(await cs.read(d), data);
});

test('digest or size mismatch stores nothing and leaves no temp file', async () => {
  const cs = await newStore();
  const wrong = sha256('other');
  await assert.rejects(cs.put('hello', wrong), (e) => isBerthError(e, 'invalid-argument') && /digest mismatch/.test(e.message));
  await assert.rejects(cs.ingest(Readable.from([Buffer.from('hello')]), { size: 4 }), (e) => isBerthError(e, 'invalid-argument'));
  await assert.rejects(cs.ingest(Readable.from([Buffer.from('hello')]), { size: 6 }), (e) => isBerthError(e, 'invalid-argument'));
  assert.equal(await cs.has(sha256('hello')), false);
  assert.equal(await cs.has(wrong), false);
  assert.deepEqual(await cs.list(), []);
  assert.deepEqual(await readdir(join(cs.root, 'ingest')), []);
});

test('a failing source leaves nothing behind', async () => {
  const cs = await newStore();
  async function* bad() {
    yield Buffer.from('part');
    throw new Error('network broke');
  }
  await assert.rejects(cs.ingest(bad()), /network broke/);
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(cs.ingest(Readable.from([Buffer.from('x')]), undefined, ac.signal), (e) => isBerthError(e, 'canceled'));
  assert.deepEqual(await readdir(join(cs.root, 'ingest')), []);
  assert.deepEqual(await cs.list(), []);
});

test('open removes leftovers of an interrupted ingest', async () => {
  const cs = await newStore();
  await writeFile(join(cs.root, 'ingest', 'deadbeef'), 'half a blob');
  const again = await FsContentStore.open(cs.root);
  assert.deepEqual(await readdir(join(again.root, 'ingest')), []);
});

test('concurrent ingests of the same digest both succeed with one blob', async () => {
  const cs = await newStore();
  const data = Buffer.alloc(1 << 20, 3);
  const res = await Promise.all(Array.from({ length: 4 }, () => cs.ingest(Readable.from([data]), { digest: sha256(data) })));
  for (const r of res) assert.equal(r.digest, sha256(data));
  assert.equal((await cs.list()).length, 1);
  assert.deepEqual(await cs.read(sha256(data)), data);
});

test('absent blobs are not-found; delete removes', async () => {
  const cs = await newStore();
  const d = sha256('nope');
  await assert.rejects(cs.info(d), (e) => isBerthError(e, 'not-found'));
  await assert.rejects(cs.read(d), (e) => isBerthError(e, 'not-found'));
  await assert.rejects(
    (async () => {
      for await (const _ of cs.readStream(d));
    })(),
    (e) => isBerthError(e, 'not-found'),
  );
  const info = await cs.put('x');
  await cs.delete(info.digest);
  assert.equal(await cs.has(info.digest), false);
  await assert.rejects(cs.delete(info.digest), (e) => isBerthError(e, 'not-found'));
});

test('a large blob (hashed and written on a worker thread) verifies, caps its size mid-stream and cancels', async () => {
  const cs = await newStore();
  const data = Buffer.alloc(9 << 20);
  for (let i = 0; i < data.length; i += 4096) data.writeUInt32LE((i * 2654435761) >>> 0, i); // not all zeros
  const chunks = () => Readable.from(Array.from({ length: 9 }, (_, i) => data.subarray(i << 20, (i + 1) << 20)));
  const info = await cs.ingest(chunks(), { digest: sha256(data), size: data.length });
  assert.deepEqual(info, { digest: sha256(data), size: data.length });
  assert.ok((await readFile(cs.path(info.digest))).equals(data));
  // More bytes than promised: refused by the writer before the end, nothing kept.
  await assert.rejects(cs.ingest(chunks(), { size: 5 << 20 }), (e) => isBerthError(e, 'invalid-argument') && /got more than the expected/.test(e.message));
  // An unknown size is taken whole; a wrong digest stores nothing.
  await assert.rejects(cs.ingest(chunks(), { digest: sha256('other') }), (e) => isBerthError(e, 'invalid-argument') && /digest mismatch/.test(e.message));
  const ac = new AbortController();
  const slow = async function* () {
    yield data.subarray(0, 1 << 20);
    ac.abort();
    await new Promise((r) => setTimeout(r, 50));
    yield data.subarray(1 << 20, 2 << 20);
  };
  await assert.rejects(cs.ingest(slow(), { size: data.length }, ac.signal), (e) => isBerthError(e, 'canceled'));
  assert.deepEqual(await readdir(join(cs.root, 'ingest')), []);
  assert.deepEqual(
    (await cs.list()).map((b) => b.digest),
    [sha256(data)],
  );
});
