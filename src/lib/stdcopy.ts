// Docker's stdcopy framing, used on non-tty attach and logs streams: every payload is preceded
// by an 8-byte header [stream, 0, 0, 0, len(uint32 BE)]. Stream 0 = stdin, 1 = stdout,
// 2 = stderr (3 = systemerr in newer daemons; we accept it when reading).
import { Transform, type TransformCallback } from 'node:stream';
import { invalidArgument } from './errors.js';

export type StdStream = 0 | 1 | 2;
export const STDCOPY_HEADER_LEN = 8;
/** The largest payload one frame can carry (uint32 length). */
export const STDCOPY_MAX_PAYLOAD = 0xffffffff;

export interface StdFrame {
  stream: StdStream | 3;
  data: Buffer;
}

/** One frame: header + payload copied into a single buffer (one write on the socket). */
export function frame(stream: StdStream, payload: Buffer): Buffer {
  if (payload.length > STDCOPY_MAX_PAYLOAD) throw invalidArgument('stdcopy: payload too large for one frame');
  const out = Buffer.allocUnsafe(STDCOPY_HEADER_LEN + payload.length);
  out[0] = stream;
  out[1] = 0;
  out[2] = 0;
  out[3] = 0;
  out.writeUInt32BE(payload.length, 4);
  payload.copy(out, STDCOPY_HEADER_LEN);
  return out;
}

/** Just the header, for callers that want to write header and payload separately (no copy). */
export function frameHeader(stream: StdStream, length: number): Buffer {
  const h = Buffer.alloc(STDCOPY_HEADER_LEN);
  h[0] = stream;
  h.writeUInt32BE(length, 4);
  return h;
}

/**
 * Incremental parser: push() arbitrary chunks, get back the complete frames they finish.
 * Partial headers/payloads are kept until the next push. Shared by the Transform and the
 * async generator below.
 */
export class StdcopyParser {
  private pending: Buffer[] = [];
  private pendingLen = 0;

  push(chunk: Buffer): StdFrame[] {
    const frames: StdFrame[] = [];
    let buf: Buffer;
    if (this.pendingLen === 0) buf = chunk;
    else {
      this.pending.push(chunk);
      buf = Buffer.concat(this.pending, this.pendingLen + chunk.length);
      this.pending = [];
      this.pendingLen = 0;
    }
    let off = 0;
    while (buf.length - off >= STDCOPY_HEADER_LEN) {
      const stream = buf[off]!;
      if (stream > 3) throw invalidArgument(`stdcopy: unrecognized stream: ${stream}`);
      const len = buf.readUInt32BE(off + 4);
      if (buf.length - off - STDCOPY_HEADER_LEN < len) break;
      const start = off + STDCOPY_HEADER_LEN;
      // subarray: frames share the chunk's memory; consumers that keep them long may copy.
      frames.push({ stream: stream as StdFrame['stream'], data: buf.subarray(start, start + len) });
      off = start + len;
    }
    if (off < buf.length) {
      const rest = buf.subarray(off);
      this.pending.push(rest);
      this.pendingLen = rest.length;
    }
    return frames;
  }

  /** Bytes held back waiting for the rest of a frame. */
  get buffered(): number {
    return this.pendingLen;
  }
}

/** Object-mode Transform: Buffer chunks in, StdFrame objects out. Errors on a truncated end. */
export class StdcopyDemuxer extends Transform {
  private parser = new StdcopyParser();
  constructor() {
    super({ writableObjectMode: false, readableObjectMode: true });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      for (const f of this.parser.push(chunk)) this.push(f);
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }
  override _flush(cb: TransformCallback): void {
    if (this.parser.buffered > 0) cb(invalidArgument('stdcopy: stream ended inside a frame'));
    else cb();
  }
}

/** Async-generator form of the demuxer over any byte source (a socket, a response body). */
export async function* demuxFrames(source: AsyncIterable<Buffer | Uint8Array | string>): AsyncGenerator<StdFrame> {
  const parser = new StdcopyParser();
  for await (const chunk of source) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    yield* parser.push(b);
  }
  if (parser.buffered > 0) throw invalidArgument('stdcopy: stream ended inside a frame');
}

interface ByteSink {
  write(chunk: Buffer): boolean;
  once(event: 'drain', fn: () => void): unknown;
}

/**
 * Docker's StdCopy: demultiplexes `source` into stdout/stderr sinks, honouring backpressure.
 * A stream-3 frame (systemerr) carries a daemon error: it is thrown with its text.
 * Resolves with the number of payload bytes written.
 */
export async function stdCopy(source: AsyncIterable<Buffer | Uint8Array | string>, stdout: ByteSink, stderr: ByteSink): Promise<number> {
  let written = 0;
  for await (const f of demuxFrames(source)) {
    if (f.stream === 3) throw invalidArgument(`error from daemon in stream: ${f.data.toString()}`);
    const sink = f.stream === 2 ? stderr : stdout;
    if (!sink.write(f.data)) await new Promise<void>((r) => sink.once('drain', r));
    written += f.data.length;
  }
  return written;
}

/** Line ends of the last frameLines call (reused: a 1 MiB batch of 2-byte lines has 512 Ki of them). */
let lineEnds = new Uint32Array(4096);

/**
 * One frame per line, as dockerd sends logs and attach output (its log copier splits at each
 * newline): "hello\nworld\n" is two frames, a trailing partial line is a frame of its own. All
 * frames go into one buffer (one write on the socket). Lines are found with indexOf (memchr);
 * short lines are copied byte by byte, because Buffer.copy costs more per call than a
 * few-byte copy (`yes` output is all 2-byte lines).
 */
export function frameLines(stream: StdStream, payload: Buffer): Buffer {
  let n = 0;
  for (let s = 0; s < payload.length; ) {
    const nl = payload.indexOf(10, s);
    const e = nl < 0 ? payload.length : nl + 1;
    if (n === lineEnds.length) {
      const grown = new Uint32Array(n * 2);
      grown.set(lineEnds);
      lineEnds = grown;
    }
    lineEnds[n++] = e;
    s = e;
  }
  if (n <= 1) return frame(stream, payload);
  const out = Buffer.allocUnsafe(payload.length + n * STDCOPY_HEADER_LEN);
  let o = 0;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const e = lineEnds[i]!;
    const len = e - s;
    out[o] = stream;
    out[o + 1] = 0;
    out[o + 2] = 0;
    out[o + 3] = 0;
    out[o + 4] = len >>> 24;
    out[o + 5] = (len >>> 16) & 0xff;
    out[o + 6] = (len >>> 8) & 0xff;
    out[o + 7] = len & 0xff;
    o += STDCOPY_HEADER_LEN;
    if (len <= 32) for (let j = s; j < e; j++) out[o++] = payload[j]!;
    else {
      payload.copy(out, o, s, e);
      o += len;
    }
    s = e;
  }
  return out;
}

/** Re-frames a multiplexed stream one frame per line (the monitor frames per chunk it read). */
export class LineFramer extends Transform {
  private parser = new StdcopyParser();
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      const out = this.parser.push(chunk).map((f) => frameLines(f.stream === 3 ? 2 : f.stream, f.data));
      if (out.length > 0) this.push(out.length === 1 ? out[0] : Buffer.concat(out));
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }
}

/** Raw bytes in, frames of one stream out (a TTY's output to a client that asked for frames). */
export class FrameWrapper extends Transform {
  constructor(private readonly stream: StdStream) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    cb(null, frame(this.stream, chunk));
  }
}

/** Frames in, their payloads out, streams merged (framed output to a client that asked for raw). */
export class FrameUnwrapper extends Transform {
  private parser = new StdcopyParser();
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      for (const f of this.parser.push(chunk)) this.push(f.data);
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }
}
