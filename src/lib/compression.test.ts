import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { detectCompression, MAGIC_LENGTH, peekHead } from './compression.js';

test('magic numbers: gzip, bzip2, xz, zstd; anything else is plain', () => {
  assert.equal(detectCompression(gzipSync('x')), 'gzip');
  assert.equal(detectCompression(Buffer.from('BZh91AY&SY')), 'bzip2');
  assert.equal(detectCompression(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00])), 'xz');
  assert.equal(detectCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x24])), 'zstd');
  assert.equal(detectCompression(Buffer.from('hello.txt\0')), 'none');
  assert.equal(detectCompression(Buffer.alloc(0)), 'none');
  assert.equal(detectCompression(Buffer.from([0xfd, 0x37, 0x7a])), 'none', 'too short to be xz');
  assert.equal(MAGIC_LENGTH, 6);
});

test('peekHead returns the head and every byte of the input', async () => {
  const chunks = [Buffer.from('ab'), Buffer.from('cd'), Buffer.from('efgh'), Buffer.from('ij')];
  const { head, stream } = await peekHead(Readable.from(chunks));
  assert.equal(head.toString(), 'abcdefgh');
  const all: Buffer[] = [];
  for await (const c of stream) all.push(c as Buffer);
  assert.equal(Buffer.concat(all).toString(), 'abcdefghij');
  const short = await peekHead(Readable.from([Buffer.from('xy')]));
  assert.equal(short.head.toString(), 'xy');
});

test('destroying the peeked stream closes the input, even before the first read', async () => {
  const input = new Readable({
    read() {
      this.push(Buffer.from('0123456789'));
    },
  });
  const { stream } = await peekHead(input);
  stream.destroy();
  await new Promise((r) => setImmediate(r));
  assert.equal(input.destroyed, true);
});
