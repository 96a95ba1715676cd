import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync, createGunzip } from 'node:zlib';
import { GZIP_CHUNK, ParallelGzip } from './parallel-gzip.js';

async function gz(input: Buffer, pieces = 7): Promise<Buffer> {
  const parts: Buffer[] = [];
  const step = Math.max(1, Math.ceil(input.length / pieces));
  for (let i = 0; i < input.length; i += step) parts.push(input.subarray(i, i + step));
  const out: Buffer[] = [];
  await pipeline(Readable.from(parts), new ParallelGzip(), async (src: AsyncIterable<Buffer>) => {
    for await (const c of src) out.push(c);
  });
  return Buffer.concat(out);
}

test('ParallelGzip: members in order that gunzip (sync and streaming) to the input; deterministic', async () => {
  const text = Buffer.from('layer text '.repeat(300_000)); // compressible, > 3 chunks
  const rnd = randomBytes(GZIP_CHUNK * 2 + 12345); // incompressible: stored
  const input = Buffer.concat([text, rnd, text.subarray(0, 1000)]);
  const out = await gz(input);
  assert.ok(gunzipSync(out).equals(input));
  const streamed: Buffer[] = [];
  await pipeline(Readable.from([out]), createGunzip(), async (src: AsyncIterable<Buffer>) => {
    for await (const c of src) streamed.push(c);
  });
  assert.ok(Buffer.concat(streamed).equals(input), 'createGunzip reads every member');
  const again = await gz(input, 3);
  assert.equal(createHash('sha256').update(again).digest('hex'), createHash('sha256').update(out).digest('hex'), 'same bytes however the input is cut');
  assert.ok(out.length < rnd.length + text.length / 10, 'the text chunks were compressed');
  assert.ok(out.length > rnd.length, 'the random chunks were stored, not lost');
});

test('ParallelGzip of nothing is a valid empty gzip', async () => {
  const out = await gz(Buffer.alloc(0));
  assert.equal(gunzipSync(out).length, 0);
});
