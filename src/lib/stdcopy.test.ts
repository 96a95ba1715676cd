import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import { frame, frameHeader, demuxFrames, stdCopy, StdcopyDemuxer, StdcopyParser, type StdFrame } from './stdcopy.js';

test('frame writes the 8-byte header', () => {
  const f = frame(2, Buffer.from('hello'));
  assert.deepEqual([...f.subarray(0, 8)], [2, 0, 0, 0, 0, 0, 0, 5]);
  assert.equal(f.subarray(8).toString(), 'hello');
  assert.deepEqual(frameHeader(1, 0x01020304), Buffer.from([1, 0, 0, 0, 1, 2, 3, 4]));
  assert.equal(frame(1, Buffer.alloc(0)).length, 8);
});

function sample(): { bytes: Buffer; frames: Array<[number, string]> } {
  const frames: Array<[number, string]> = [];
  for (let i = 0; i < 50; i++) frames.push([i % 3 === 0 ? 2 : 1, 'x'.repeat(i * 7) + `#${i}`]);
  frames.push([1, '']);
  return { bytes: Buffer.concat(frames.map(([s, p]) => frame(s as 1 | 2, Buffer.from(p)))), frames };
}

test('demuxer splits frames across every chunk size, including 1 byte', async () => {
  const { bytes, frames } = sample();
  for (const size of [1, 3, 7, 8, 9, 64, 1000, bytes.length]) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
    const got: Array<[number, string]> = [];
    for await (const f of demuxFrames(Readable.from(chunks))) got.push([f.stream, f.data.toString()]);
    assert.deepEqual(got, frames, `chunk size ${size}`);
  }
});

test('Transform demuxer yields the same frames', async () => {
  const { bytes, frames } = sample();
  const got: Array<[number, string]> = [];
  const chunks = [bytes.subarray(0, 5), bytes.subarray(5, 300), bytes.subarray(300)];
  await pipeline(Readable.from(chunks), new StdcopyDemuxer(), async (src: AsyncIterable<StdFrame>) => {
    for await (const f of src) got.push([f.stream, f.data.toString()]);
  });
  assert.deepEqual(got, frames);
});

test('truncated stream and bad stream byte are errors', async () => {
  const f = frame(1, Buffer.from('abcdef'));
  await assert.rejects(async () => {
    for await (const _ of demuxFrames(Readable.from([f.subarray(0, 10)]))) void _;
  }, /ended inside a frame/);
  assert.throws(() => new StdcopyParser().push(Buffer.from([9, 0, 0, 0, 0, 0, 0, 0])), /unrecognized stream/);
});

test('stdCopy routes frames to stdout and stderr sinks; stream 3 is an error', async () => {
  const out = new PassThrough();
  const err = new PassThrough();
  const bytes = Buffer.concat([frame(1, Buffer.from('o1 ')), frame(2, Buffer.from('e1')), frame(1, Buffer.from('o2'))]);
  const n = await stdCopy(Readable.from([bytes.subarray(0, 4), bytes.subarray(4)]), out, err);
  assert.equal(n, 7);
  out.end();
  err.end();
  assert.equal((await out.toArray()).join(''), 'o1 o2');
  assert.equal((await err.toArray()).join(''), 'e1');
  const sys = Buffer.concat([Buffer.from([3, 0, 0, 0, 0, 0, 0, 4]), Buffer.from('boom')]);
  await assert.rejects(stdCopy(Readable.from([sys]), new PassThrough(), new PassThrough()), /error from daemon in stream: boom/);
});
