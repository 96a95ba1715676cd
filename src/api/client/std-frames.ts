// Docker's multiplexed stream (non-TTY logs/attach) over plain Uint8Arrays, for the browser
// where Buffer does not exist: an 8-byte header [stream, 0, 0, 0, size uint32 BE] then `size` bytes.
export type FrameStream = 0 | 1 | 2 | 3;

export class StdFrameReader {
  private pending = new Uint8Array(0);
  private remaining = 0;
  private stream: FrameStream = 1;
  constructor(private readonly onData: (stream: FrameStream, data: Uint8Array) => void) {}

  push(chunk: Uint8Array): void {
    let buf = chunk;
    if (this.pending.length) {
      buf = new Uint8Array(this.pending.length + chunk.length);
      buf.set(this.pending);
      buf.set(chunk, this.pending.length);
      this.pending = new Uint8Array(0);
    }
    while (buf.length) {
      if (this.remaining === 0) {
        if (buf.length < 8) {
          this.pending = buf.slice();
          return;
        }
        if (buf[0]! > 3) throw new Error(`Unrecognized input header: ${buf[0]}`);
        this.stream = buf[0] as FrameStream;
        this.remaining = new DataView(buf.buffer, buf.byteOffset, 8).getUint32(4);
        buf = buf.subarray(8);
        continue;
      }
      const n = Math.min(this.remaining, buf.length);
      this.onData(this.stream, buf.subarray(0, n));
      this.remaining -= n;
      buf = buf.subarray(n);
    }
  }
}
