import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TarLayoutRecorder } from './tar-layout.js';
import { makeTar } from './layer-test-util.js';

async function recorded(extra: Buffer[] = []): Promise<TarLayoutRecorder> {
  const r = new TarLayoutRecorder();
  const tar = await makeTar([
    { name: 'a', data: 'x'.repeat(700) },
    { name: 'dir/', type: 'directory' },
    { name: 'dir/b', data: 'y', pax: { 'SCHILY.xattr.user.k': 'v' } },
  ]);
  // Fed in odd-sized pieces: headers and bodies split across chunks.
  for (let at = 0; at < tar.length; at += 333) r.push(tar.subarray(at, at + 333));
  for (const b of extra) r.push(b);
  return r;
}

test('the bodies are paired with the files the unpacker wrote, in order and by size', async () => {
  const r = await recorded();
  assert.deepEqual(r.bodies(), [700, 1]);
  assert.ok(
    r.finish([
      { path: 'a', size: 700 },
      { path: 'dir/b', size: 1 },
    ]),
  );
  assert.equal((await recorded()).finish([{ path: 'a', size: 700 }]), undefined, 'a body without its file');
  assert.equal(
    (await recorded()).finish([
      { path: 'a', size: 700 },
      { path: null, size: 1 },
    ]),
    undefined,
    'a body the unpacker did not write as a file',
  );
});

test('junk past the end-of-archive blocks beyond the cap means no layout (the blob is kept instead)', async () => {
  const mib = Buffer.alloc(1 << 20);
  const r = await recorded(Array.from({ length: 129 }, () => mib));
  assert.equal(
    r.finish([
      { path: 'a', size: 700 },
      { path: 'dir/b', size: 1 },
    ]),
    undefined,
  );
});
