// HTTP/1.1 over a unix socket without node:http (its agent, client, parser and outgoing-message
// modules cost about a tenth of `node -e 0`, measured) and without node:net (unix-exchange.ts):
// the bytes of a request, and its answer read whole (ps, inspect, version, stop, rm...) or as it
// arrives (ResponseReader: logs, wait, an output-only attach; transport.ts's `stream`). Uploads,
// stdin and TTY sessions and TCP hosts keep node:http (transport.ts).
import { exchange } from './unix-exchange.js';

export interface WholeResponse {
  status: number;
  /** Header names in lower case; a repeated header keeps its last value. */
  headers: Record<string, string>;
  body: Buffer;
}

/** The bytes of one request: `Connection: close`, so the answer ends where the stream ends. */
export function requestBytes(method: string, path: string, headers: Record<string, string>, body: string | Buffer | undefined): Buffer {
  const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body);
  const lines = [`${method} ${path} HTTP/1.1`];
  const names = new Set(Object.keys(headers).map((k) => k.toLowerCase()));
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  if (!names.has('host')) lines.push('Host: api.moby.localhost');
  if (!names.has('connection')) lines.push('Connection: close');
  if (payload || !['GET', 'HEAD', 'DELETE'].includes(method)) lines.push(`Content-Length: ${payload?.length ?? 0}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`);
  return payload?.length ? Buffer.concat([head, payload]) : head;
}

/**
 * Sends the request and reads until the daemon closes the socket; the body is de-chunked or
 * cut to Content-Length.
 */
export async function requestWhole(
  socketPath: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string | Buffer | undefined,
  signal?: AbortSignal,
): Promise<WholeResponse> {
  return parseWhole(await exchange(socketPath, requestBytes(method, path, headers, body), signal), method);
}

/** Parses a complete HTTP/1.1 answer (status line, headers, body). */
export function parseWhole(raw: Buffer, method = 'GET'): WholeResponse {
  const body: Buffer[] = [];
  const r = new ResponseReader(method, (c) => body.push(c));
  r.push(raw);
  r.end();
  return { ...r.head!, body: Buffer.concat(body) };
}

export interface ResponseHead {
  status: number;
  /** Header names in lower case; a repeated header keeps its last value. */
  headers: Record<string, string>;
}

const EMPTY: Buffer = Buffer.alloc(0);

/**
 * An HTTP/1.1 answer read as it arrives: `head` once the status line and headers are whole, then
 * the body's bytes to `onBody`, de-chunked, cut to Content-Length, or (after a 101 upgrade, or
 * with neither header) everything up to the end of the stream. `end()` says the stream ended
 * and throws if the answer was cut short.
 */
export class ResponseReader {
  head: ResponseHead | undefined;
  private pending: Buffer = EMPTY;
  private mode: 'head' | 'chunked' | 'length' | 'eof' | 'done' = 'head';
  /** Bytes left of the body (length) or of the current chunk (chunked). */
  private left = 0;
  /** The CRLF after a chunk's data still to skip. */
  private crlf = 0;

  constructor(
    private readonly method: string,
    private readonly onBody: (chunk: Buffer) => void,
    private readonly onHead?: (head: ResponseHead) => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.mode === 'head') {
      const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        this.pending = buf;
        return;
      }
      this.pending = EMPTY;
      this.readHead(buf.subarray(0, end).toString('latin1'));
      chunk = buf.subarray(end + 4);
    }
    if (chunk.length === 0) return;
    if (this.mode === 'eof') this.onBody(chunk);
    else if (this.mode === 'length') {
      const n = Math.min(this.left, chunk.length);
      this.left -= n;
      if (n) this.onBody(chunk.subarray(0, n));
      if (this.left === 0) this.mode = 'done';
    } else if (this.mode === 'chunked') this.dechunk(chunk);
  }

  end(): void {
    if (this.mode === 'head') throw new Error('the daemon closed the connection before a complete answer');
    if (this.mode === 'chunked') throw new Error('the daemon closed the connection inside a chunk');
    if (this.mode === 'length') throw new Error('the daemon closed the connection before the whole answer');
  }

  private readHead(text: string): void {
    const [statusLine, ...headerLines] = text.split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine!);
    if (!m) throw new Error(`malformed answer from the daemon: ${JSON.stringify(statusLine)}`);
    const status = Number(m[1]);
    const headers: Record<string, string> = {};
    for (const l of headerLines) {
      const colon = l.indexOf(':');
      if (colon > 0) headers[l.slice(0, colon).trim().toLowerCase()] = l.slice(colon + 1).trim();
    }
    this.head = { status, headers };
    if (status === 101) this.mode = 'eof';
    else if (this.method === 'HEAD' || status === 204 || status === 304) this.mode = 'done';
    else if (/\bchunked\b/i.test(headers['transfer-encoding'] ?? '')) this.mode = 'chunked';
    else if (headers['content-length'] !== undefined) {
      this.left = Number(headers['content-length']);
      this.mode = this.left > 0 ? 'length' : 'done';
    } else this.mode = 'eof';
    this.onHead?.(this.head);
  }

  private dechunk(c: Buffer): void {
    let i = 0;
    while (i < c.length && this.mode === 'chunked') {
      if (this.left > 0) {
        const n = Math.min(this.left, c.length - i);
        this.onBody(c.subarray(i, i + n));
        i += n;
        this.left -= n;
        if (this.left === 0) this.crlf = 2;
      } else if (this.crlf > 0) {
        i++;
        this.crlf--;
      } else {
        const eol = c.indexOf(10, i);
        if (eol < 0) {
          this.pending = Buffer.concat([this.pending, c.subarray(i)]);
          return;
        }
        const line = Buffer.concat([this.pending, c.subarray(i, eol)]).toString('latin1');
        this.pending = EMPTY;
        i = eol + 1;
        const size = Number.parseInt(line.split(';')[0]!.trim(), 16);
        if (!Number.isFinite(size)) throw new Error('malformed chunk in the daemon answer');
        if (size === 0)
          this.mode = 'done'; // trailers, if any, are not read
        else this.left = size;
      }
    }
  }
}
