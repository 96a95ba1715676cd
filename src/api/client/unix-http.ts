// One HTTP/1.1 request over a unix socket with the whole answer read into memory, on node:net
// alone. Every berth command is a fresh process, and loading node:http (its agent, client,
// parser and outgoing-message modules) costs about a tenth of `node -e 0` (measured): the
// CLI's plain JSON requests (ps, inspect, version, stop, rm...) come this way. Streams,
// uploads, upgrades and TCP hosts keep node:http (transport.ts).
import { connect } from 'node:net';

export interface WholeResponse {
  status: number;
  /** Header names in lower case; a repeated header keeps its last value. */
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * Sends the request with `Connection: close` and reads until the daemon closes the socket, so
 * the answer ends where the stream ends; the body is de-chunked or cut to Content-Length.
 */
export function requestWhole(
  socketPath: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string | Buffer | undefined,
  signal?: AbortSignal,
): Promise<WholeResponse> {
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    const onAbort = (): void => {
      sock.destroy();
      reject(signal!.reason ?? new Error('aborted'));
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body);
    const lines = [`${method} ${path} HTTP/1.1`];
    const names = new Set(Object.keys(headers).map((k) => k.toLowerCase()));
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    if (!names.has('host')) lines.push('Host: api.moby.localhost');
    lines.push('Connection: close');
    if (payload || !['GET', 'HEAD', 'DELETE'].includes(method)) lines.push(`Content-Length: ${payload?.length ?? 0}`);
    sock.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (payload?.length) sock.write(payload);
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', (err) => {
      signal?.removeEventListener('abort', onAbort);
      reject(err);
    });
    sock.on('end', () => {
      signal?.removeEventListener('abort', onAbort);
      sock.destroy();
      try {
        resolve(parseWhole(Buffer.concat(chunks), method));
      } catch (e) {
        reject(e);
      }
    });
  });
}

/** Parses a complete HTTP/1.1 answer (status line, headers, body). */
export function parseWhole(raw: Buffer, method = 'GET'): WholeResponse {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) throw new Error('the daemon closed the connection before a complete answer');
  const [statusLine, ...headerLines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine!);
  if (!m) throw new Error(`malformed answer from the daemon: ${JSON.stringify(statusLine)}`);
  const status = Number(m[1]);
  const headers: Record<string, string> = {};
  for (const l of headerLines) {
    const colon = l.indexOf(':');
    if (colon > 0) headers[l.slice(0, colon).trim().toLowerCase()] = l.slice(colon + 1).trim();
  }
  let body = raw.subarray(end + 4);
  if (method === 'HEAD' || status === 204 || status === 304) body = Buffer.alloc(0);
  else if (/\bchunked\b/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body);
  else if (headers['content-length'] !== undefined) {
    const n = Number(headers['content-length']);
    if (body.length < n) throw new Error('the daemon closed the connection before the whole answer');
    body = body.subarray(0, n);
  }
  return { status, headers, body };
}

function dechunk(b: Buffer): Buffer {
  const out: Buffer[] = [];
  let i = 0;
  for (;;) {
    const eol = b.indexOf('\r\n', i);
    if (eol < 0) throw new Error('the daemon closed the connection inside a chunk');
    const size = Number.parseInt(b.subarray(i, eol).toString('latin1').split(';')[0]!, 16);
    if (!Number.isFinite(size)) throw new Error('malformed chunk in the daemon answer');
    if (size === 0) return Buffer.concat(out);
    if (eol + 2 + size > b.length) throw new Error('the daemon closed the connection inside a chunk');
    out.push(b.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
}
