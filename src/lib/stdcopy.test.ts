import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import {
  frame,
  frameHeader,
  frameLines,
  demuxFrames,
  stdCopy,
  FrameUnwrapper,
  FrameWrapper,
  LineFramer,
  StdcopyDemuxer,
  StdcopyParser,
  type StdFrame,
} from './stdcopy.js';

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

test('frameLines: one frame per line, a trailing partial line its own frame, long and short lines alike', () => {
  const long = 'x'.repeat(100) + '\n';
  const payload = Buffer.from(`hello\nworld\n${long}\nend`);
  const frames = new StdcopyParser().push(frameLines(2, payload));
  assert.deepEqual(
    frames.map((f) => [f.stream, f.data.toString()]),
    [
      [2, 'hello\n'],
      [2, 'world\n'],
      [2, long],
      [2, '\n'],
      [2, 'end'],
    ],
  );
  assert.deepEqual(frameLines(1, Buffer.from('one\n')), frame(1, Buffer.from('one\n')));
  assert.deepEqual(frameLines(1, Buffer.alloc(0)), frame(1, Buffer.alloc(0)));
  // More lines than the reused index holds at first.
  const many = Buffer.from('y\n'.repeat(10_000));
  const all = new StdcopyParser().push(frameLines(1, many));
  assert.equal(all.length, 10_000);
  assert.ok(all.every((f) => f.data.toString() === 'y\n'));
});

test('LineFramer re-frames per line across split input; the wrappers convert between raw and framed', async () => {
  const framed = Buffer.concat([frame(1, Buffer.from('a\nb\n')), frame(2, Buffer.from('c\n'))]);
  const split = [framed.subarray(0, 5), framed.subarray(5)];
  const out = Buffer.concat(await collect(Readable.from(split).pipe(new LineFramer())));
  assert.deepEqual(
    new StdcopyParser().push(out).map((f) => [f.stream, f.data.toString()]),
    [
      [1, 'a\n'],
      [1, 'b\n'],
      [2, 'c\n'],
    ],
  );
  const raw = Buffer.concat(await collect(Readable.from([framed]).pipe(new FrameUnwrapper())));
  assert.equal(raw.toString(), 'a\nb\nc\n');
  const wrapped = Buffer.concat(await collect(Readable.from([Buffer.from('tty out')]).pipe(new FrameWrapper(1))));
  assert.deepEqual(wrapped, frame(1, Buffer.from('tty out')));
});

async function collect(r: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const c of r) out.push(c);
  return out;
}
