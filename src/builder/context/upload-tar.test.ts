import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TarWriter } from '../../lib/tar-write.js';
import { uploadEntries } from './upload-tar.js';
import { seededRandom } from '../../../test/support/seeded-random.js';

function tarOf(files: Array<{ name: string; data: Buffer; type?: 'file' | 'directory' }>): Buffer {
  const w = new TarWriter();
  for (const f of files) {
    if (f.type === 'directory') w.header({ name: f.name, type: 'directory', mode: 0o755, mtime: 0 });
    else {
      w.header({ name: f.name, type: 'file', mode: 0o600, mtime: 0, size: f.data.length });
      w.data(f.data);
    }
  }
  w.end();
  return Buffer.concat(w.take());
}

/** `b` cut into chunks of random sizes (some inside headers), as a socket may deliver it. */
async function* chunked(b: Buffer, seed: number): AsyncGenerator<Buffer> {
  const rnd = seededRandom(seed);
  for (let off = 0; off < b.length; ) {
    const n = 1 + Math.floor(rnd() * 3000);
    yield b.subarray(off, off + n);
    off += n;
  }
}

async function readAll(src: AsyncIterable<Buffer>): Promise<Array<{ name: string; type: string; data: Buffer }>> {
  const out = [];
  for await (const e of uploadEntries(src)) {
    const parts: Buffer[] = [];
    for await (const c of e.body) parts.push(c);
    out.push({ name: e.name, type: e.type, data: Buffer.concat(parts) });
  }
  return out;
}

test('the upload tar reads back as written, however the bytes are cut', async () => {
  const rnd = seededRandom(7);
  const files = [{ name: 'manifest.json', data: Buffer.from('{"entries":[]}') }];
  for (let i = 0; i < 40; i++) files.push({ name: `blobs/${i.toString(16).padStart(64, '0')}`, data: Buffer.alloc(Math.floor(rnd() * 5000), i) });
  files.push({ name: `${'d'.repeat(120)}/${'n'.repeat(90)}`, data: Buffer.from('ustar prefix') });
  files.push({ name: 'p'.repeat(300), data: Buffer.from('PAX path') });
  const tar = tarOf(files);
  for (const seed of [1, 2, 3]) {
    const got = await readAll(chunked(tar, seed));
    assert.deepEqual(
      got.map((g) => [g.name, g.type, g.data.toString('hex')]),
      files.map((f) => [f.name, 'file', f.data.toString('hex')]),
    );
  }
});

test('a body not read is skipped; entries other than regular files are marked', async () => {
  const tar = tarOf([
    { name: 'a', data: Buffer.alloc(3000, 1) },
    { name: 'dir/', data: Buffer.alloc(0), type: 'directory' },
    { name: 'b', data: Buffer.from('b') },
  ]);
  const seen: Array<[string, string]> = [];
  for await (const e of uploadEntries(chunked(tar, 9))) seen.push([e.name, e.type]);
  assert.deepEqual(seen, [
    ['a', 'file'],
    ['dir/', 'other'],
    ['b', 'file'],
  ]);
});

test('a damaged or cut upload is an invalid-argument error', async () => {
  const tar = tarOf([{ name: 'manifest.json', data: Buffer.alloc(2000, 2) }]);
  const damaged = Buffer.from(tar);
  damaged[10] = 0x41;
  await assert.rejects(readAll(chunked(damaged, 1)), { kind: 'invalid-argument' } as object);
  await assert.rejects(readAll(chunked(tar.subarray(0, 1200), 1)), /unexpected end of data/);
  await assert.rejects(readAll(chunked(tar.subarray(0, 300), 1)), /unexpected end of data/);
});
