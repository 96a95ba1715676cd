// TarWriter's archives read back by an independent reader (tar-stream): names that need the
// ustar prefix or a PAX header, long symlink targets, directories, file data across chunk
// boundaries, and a file that shrank while being sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tarStream from 'tar-stream';
import { TarWriter } from './tar-write.js';

async function read(chunks: Buffer[]): Promise<Array<{ name: string; type: string; mode: number; size: number; linkname?: string; data: Buffer }>> {
  const ex = tarStream.extract();
  const out: Array<{ name: string; type: string; mode: number; size: number; linkname?: string; data: Buffer }> = [];
  const done = (async () => {
    for await (const e of ex) {
      const parts: Buffer[] = [];
      for await (const c of e as AsyncIterable<Buffer>) parts.push(c);
      const h = e.header;
      out.push({ name: h.name, type: h.type ?? '', mode: h.mode ?? 0, size: h.size ?? 0, linkname: h.linkname ?? undefined, data: Buffer.concat(parts) });
    }
  })();
  ex.end(Buffer.concat(chunks));
  await done;
  return out;
}

test('TarWriter: entries read back as written, whatever their name length', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tar-write-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7); // crosses the 1 MiB chunks, not block aligned
  await writeFile(join(dir, 'big'), big);
  const prefixed = `${'d'.repeat(120)}/${'f'.repeat(90)}`; // fits ustar's prefix + name
  const pax = `${'x'.repeat(300)}/é-${'y'.repeat(120)}`; // fits neither: PAX path
  const longLink = `/${'l'.repeat(150)}`;
  const w = new TarWriter();
  const chunks: Buffer[] = [];
  w.header({ name: 'dir', type: 'directory', mode: 0o750, mtime: 1_700_000_000 });
  w.header({ name: 'dir/big', type: 'file', mode: 0o644, mtime: 1_700_000_000, size: big.length });
  w.file(join(dir, 'big'), big.length);
  chunks.push(...w.take());
  w.header({ name: prefixed, type: 'file', mode: 0o600, mtime: 1_700_000_000, size: 3 });
  w.data(Buffer.from('abc'));
  w.header({ name: pax, type: 'file', mode: 0o755, mtime: 1_700_000_000, size: 0 });
  w.data(Buffer.alloc(0));
  w.header({ name: 'link', type: 'symlink', mode: 0o777, mtime: 1_700_000_000, linkname: longLink });
  w.end();
  chunks.push(...w.take());
  const got = await read(chunks);
  assert.deepEqual(
    got.map((e) => [e.name, e.type, e.mode.toString(8)]),
    [
      ['dir/', 'directory', '750'],
      ['dir/big', 'file', '644'],
      [prefixed, 'file', '600'],
      [pax, 'file', '755'],
      ['link', 'symlink', '777'],
    ],
  );
  assert.ok(got[1]!.data.equals(big));
  assert.equal(got[2]!.data.toString(), 'abc');
  assert.equal(got[4]!.linkname, longLink);
});

test('TarWriter: a file shorter than its header said is an error, not a corrupt archive', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tar-write-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'f'), 'short');
  const w = new TarWriter();
  w.header({ name: 'f', type: 'file', mode: 0o644, mtime: 0, size: 100 });
  assert.throws(() => w.file(join(dir, 'f'), 100), /changed size/);
});
