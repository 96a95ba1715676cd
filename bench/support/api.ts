// A minimal Docker Engine API client over a unix socket for benchmarks: plain node:http, no
// project code in the path, so the numbers measure the daemon and not our own client library.
import { request } from 'node:http';
import type { Socket } from 'node:net';

export interface ApiResponse {
  status: number;
  body: Buffer;
}

export class BenchApi {
  constructor(
    readonly socketPath: string,
    private readonly timeoutMs = 120_000,
  ) {}

  /** One request; resolves with the full body. Never throws on an HTTP error status. */
  call(method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<ApiResponse> {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const headers: Record<string, string | number> = { ...extraHeaders };
      if (data) {
        headers['Content-Type'] = 'application/json';
        headers['Content-Length'] = data.length;
      }
      const req = request({ socketPath: this.socketPath, method, path, headers, timeout: this.timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out after ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(data);
    });
  }

  /** Like call() but requires a 2xx status and parses the JSON body (if any). */
  async json<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.call(method, path, body);
    if (r.status < 200 || r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.body.toString().trim()}`);
    return (r.body.length ? JSON.parse(r.body.toString()) : undefined) as T;
  }

  /**
   * A hijacked request (attach, exec start) as the docker CLI makes it: `Upgrade: tcp`. Resolves
   * with the raw socket once the daemon answered 101; a daemon that answers 200 instead gets its
   * body streamed on the same socket, which is all a benchmark needs either way.
   */
  hijack(method: string, path: string, body?: unknown): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const headers: Record<string, string | number> = { Connection: 'Upgrade', Upgrade: 'tcp' };
      if (data) {
        headers['Content-Type'] = 'application/json';
        headers['Content-Length'] = data.length;
      }
      const req = request({ socketPath: this.socketPath, method, path, headers, timeout: this.timeoutMs });
      req.on('upgrade', (_res, socket: Socket, head: Buffer) => {
        if (head.length) socket.unshift(head);
        resolve(socket);
      });
      req.on('response', (res) => {
        if ((res.statusCode ?? 0) >= 300) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => reject(new Error(`${method} ${path}: ${res.statusCode} ${Buffer.concat(chunks).toString().trim()}`)));
          return;
        }
        resolve(res.socket as Socket);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      req.end(data);
    });
  }

  /** Creates a container; returns its id. */
  async create(config: Record<string, unknown>, name?: string): Promise<string> {
    const q = name ? `?name=${encodeURIComponent(name)}` : '';
    const r = await this.json<{ Id: string }>('POST', `/containers/create${q}`, config);
    return r.Id;
  }

  async start(id: string): Promise<void> {
    const r = await this.call('POST', `/containers/${id}/start`);
    if (r.status !== 204 && r.status !== 304) throw new Error(`start ${id}: ${r.status} ${r.body.toString().trim()}`);
  }

  /** POST /wait; resolves with the exit code when the condition is met. */
  async wait(id: string, condition = 'not-running'): Promise<number> {
    const r = await this.json<{ StatusCode: number }>('POST', `/containers/${id}/wait?condition=${condition}`);
    return r.StatusCode;
  }

  /**
   * POST /wait as the docker CLI uses it: resolves once the daemon sent the headers (the waiter
   * is registered, so the container may be started), with a promise of the exit code.
   */
  waitRegistered(id: string, condition = 'not-running'): Promise<{ done: Promise<number> }> {
    return new Promise((resolve, reject) => {
      const req = request(
        { socketPath: this.socketPath, method: 'POST', path: `/containers/${id}/wait?condition=${condition}`, timeout: this.timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          const done = new Promise<number>((ok, bad) => {
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString();
              if (res.statusCode !== 200) bad(new Error(`wait ${id}: ${res.statusCode} ${text.trim()}`));
              else ok((JSON.parse(text) as { StatusCode: number }).StatusCode);
            });
            res.on('error', bad);
          });
          done.catch(() => {}); // the caller awaits it; avoid an unhandled rejection meanwhile
          resolve({ done });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`wait ${id}: timed out`)));
      req.on('error', reject);
      req.end();
    });
  }

  async remove(id: string): Promise<void> {
    const r = await this.call('DELETE', `/containers/${id}?force=1&v=1`);
    if (r.status !== 204 && r.status !== 404) throw new Error(`remove ${id}: ${r.status} ${r.body.toString().trim()}`);
  }

  async listIds(all = true): Promise<string[]> {
    const list = await this.json<Array<{ Id: string }>>('GET', `/containers/json${all ? '?all=1' : ''}`);
    return list.map((c) => c.Id);
  }
}

/** Reads a hijacked stream to its end; resolves with the number of bytes seen. */
export function drain(socket: Socket, timeoutMs = 120_000): Promise<number> {
  return new Promise((resolve, reject) => {
    let n = 0;
    const t = setTimeout(() => {
      socket.destroy();
      reject(new Error(`stream did not end within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (c: Buffer) => (n += c.length));
    socket.on('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
    socket.on('close', () => {
      clearTimeout(t);
      resolve(n);
    });
    socket.resume();
  });
}

/** Runs fn over items with at most `limit` in flight. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
