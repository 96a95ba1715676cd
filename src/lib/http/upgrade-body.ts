// The body of an upgrade request (attach, exec start with `Upgrade: tcp`). Node hands over the
// raw socket right after the headers, with the request's own body still on it: dockerode sends
// its attach options as a JSON body, exec start sends its config. That body is the request's,
// never stream input, so it is read off the socket completely (by its Content-Length, or its
// chunked framing) before the connection is hijacked; what follows it is the client's stdin.
import type { Socket } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { invalidArgument } from '../errors.js';

const MAX_UPGRADE_BODY = 1024 * 1024;

/** Reads the request body off an upgraded socket; the bytes after it stay on the socket. */
export async function readUpgradeBody(socket: Socket, headers: IncomingHttpHeaders): Promise<Buffer> {
  const reader = new SocketReader(socket);
  if (/\bchunked\b/i.test(String(headers['transfer-encoding'] ?? ''))) return readChunked(reader);
  const length = Number(headers['content-length'] ?? 0);
  if (!Number.isInteger(length) || length < 0) throw invalidArgument(`invalid Content-Length: ${headers['content-length']}`);
  if (length > MAX_UPGRADE_BODY) throw invalidArgument(`request body too large (limit ${MAX_UPGRADE_BODY} bytes)`);
  return reader.take(length);
}

/** Chunked framing (RFC 9112 §7.1): `<hex size>[;ext]\r\n<data>\r\n` ... `0\r\n[trailers]\r\n`. */
async function readChunked(reader: SocketReader): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  for (;;) {
    const line = (await reader.line()).toString('latin1');
    const size = Number.parseInt(line.split(';')[0]!.trim(), 16);
    if (!Number.isInteger(size) || size < 0) throw invalidArgument(`invalid chunk size: ${JSON.stringify(line)}`);
    if (size === 0) break;
    total += size;
    if (total > MAX_UPGRADE_BODY) throw invalidArgument(`request body too large (limit ${MAX_UPGRADE_BODY} bytes)`);
    parts.push(await reader.take(size));
    await reader.line(); // the CRLF after the data
  }
  while ((await reader.line()).length > 0); // trailers, up to the empty line
  return Buffer.concat(parts);
}

/** Pulls exact byte counts and CRLF lines off a paused socket, giving back what it over-read. */
class SocketReader {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly socket: Socket) {}

  async take(n: number): Promise<Buffer> {
    while (this.buf.length < n) await this.more();
    return this.split(n, 0);
  }

  /** One line without its CRLF. */
  async line(): Promise<Buffer> {
    let at: number;
    while ((at = this.buf.indexOf('\r\n')) < 0) {
      if (this.buf.length > 4096) throw invalidArgument('malformed chunked request body');
      await this.more();
    }
    return this.split(at, 2);
  }

  private split(n: number, skip: number): Buffer {
    const out = this.buf.subarray(0, n);
    const rest = this.buf.subarray(n + skip);
    this.buf = Buffer.alloc(0);
    if (rest.length > 0) this.socket.unshift(rest);
    return out;
  }

  private async more(): Promise<void> {
    const chunk = this.socket.read() as Buffer | null;
    if (chunk !== null) {
      this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
      return;
    }
    if (this.socket.readableEnded || this.socket.destroyed) throw invalidArgument('the request body ended early');
    await new Promise<void>((r) => {
      const done = () => {
        this.socket.off('readable', done);
        this.socket.off('end', done);
        this.socket.off('close', done);
        r();
      };
      this.socket.once('readable', done);
      this.socket.once('end', done);
      this.socket.once('close', done);
    });
  }
}
