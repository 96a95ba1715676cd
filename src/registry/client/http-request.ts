// One bounded HTTP(S) exchange with a registry: an inactivity timeout, a redirect limit, and
// body reads capped by a byte limit, because a registry's answers are untrusted input.
// Redirects (blob downloads often go to a CDN) drop the Authorization header when they leave
// the host, and may go to plain http only where the caller allows it.
import { request as httpReq, Agent as HttpAgent, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import { canceled, invalidArgument, unavailable } from '../../lib/errors.js';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpOptions {
  method?: HttpMethod;
  /** A request body (pushes): bytes, or a stream sent as it comes (not replayed on a redirect). */
  body?: Buffer | Readable;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Skip TLS verification (insecure registries). */
  insecureTls?: boolean;
  /** Socket inactivity limit (connect and every read). */
  timeoutMs?: number;
  maxRedirects?: number;
  /** May a redirect go to this plain-http URL? (default: no) */
  allowHttp?: (url: URL) => boolean;
  /** May this host be contacted at all (every hop)? Refused hosts fail before any packet is sent. */
  allowHost?: (url: URL) => boolean;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
  /** The URL that answered (after redirects). */
  url: URL;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_REDIRECTS = 5;

/** Keep-alive agents shared by one client (close() ends their idle sockets). */
export class Agents {
  readonly http = new HttpAgent({ keepAlive: true, maxSockets: 8 });
  private httpsAgents?: { verified: HttpsAgent; insecure: HttpsAgent };
  /** The https agents, made (and node:https and node:tls loaded) by the first https request: a daemon that never talks TLS never loads them. */
  private tlsAgents(): { verified: HttpsAgent; insecure: HttpsAgent } {
    const { Agent } = httpsModule();
    return (this.httpsAgents ??= {
      verified: new Agent({ keepAlive: true, maxSockets: 8 }),
      insecure: new Agent({ keepAlive: true, maxSockets: 8, rejectUnauthorized: false }),
    });
  }
  get https(): HttpsAgent {
    return this.tlsAgents().verified;
  }
  get httpsInsecure(): HttpsAgent {
    return this.tlsAgents().insecure;
  }
  close(): void {
    this.http.destroy();
    this.httpsAgents?.verified.destroy();
    this.httpsAgents?.insecure.destroy();
  }
}

function httpsModule(): typeof import('node:https') {
  return process.getBuiltinModule('node:https') as typeof import('node:https');
}

/** Go's error style ("Get \"https://h/v2/\": connect ECONNREFUSED"), as Docker prints it. */
export function requestFailed(method: string, url: URL, e: unknown) {
  const m = method[0] + method.slice(1).toLowerCase();
  return unavailable(`${m} "${url.href}": ${(e as Error)?.message ?? String(e)}`, e);
}

function once(url: URL, o: HttpOptions, agents: Agents, retried = false): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const method = o.method ?? 'GET';
    const isHttps = url.protocol === 'https:';
    const agent = isHttps ? (o.insecureTls ? agents.httpsInsecure : agents.https) : agents.http;
    const fn = isHttps ? httpsModule().request : httpReq;
    const req = fn(url, { method, headers: o.headers, agent, signal: o.signal }, resolve);
    req.setTimeout(o.timeoutMs ?? DEFAULT_TIMEOUT_MS, () => req.destroy(new Error('i/o timeout')));
    req.on('error', (e) => {
      // A kept-alive socket the server closed just as we reused it: Node's advice is to retry
      // (done once, for requests without a body, which are safe to repeat).
      if (!retried && req.reusedSocket && !o.signal?.aborted && o.body === undefined && (e as NodeJS.ErrnoException).code === 'ECONNRESET')
        resolve(once(url, o, agents, true));
      else reject(o.signal?.aborted ? canceled() : requestFailed(method, url, e));
    });
    if (o.body === undefined || Buffer.isBuffer(o.body)) req.end(o.body);
    else {
      o.body.on('error', (e) => req.destroy(e));
      o.body.pipe(req);
    }
  });
}

export async function httpRequest(url: URL, o: HttpOptions, agents: Agents): Promise<HttpResponse> {
  let current = url;
  let headers = { ...(o.headers ?? {}) };
  for (let hops = 0; ; hops++) {
    if (o.allowHost && !o.allowHost(current))
      throw requestFailed(
        o.method ?? 'GET',
        current,
        new Error(`${current.host} is not a loopback registry and this daemon contacts only loopback registries (--registry-loopback-only)`),
      );
    const res = await once(current, { ...o, headers }, agents);
    const status = res.statusCode ?? 0;
    const loc = res.headers.location;
    if (![301, 302, 303, 307, 308].includes(status) || !loc) return { status, headers: res.headers, body: res, url: current };
    res.resume();
    if (hops >= (o.maxRedirects ?? DEFAULT_MAX_REDIRECTS)) throw requestFailed(o.method ?? 'GET', current, new Error('stopped after too many redirects'));
    let next: URL;
    try {
      next = new URL(loc, current);
    } catch {
      throw invalidArgument(`registry sent an invalid redirect location ${JSON.stringify(loc)}`);
    }
    if (next.protocol !== 'https:' && next.protocol !== 'http:') throw invalidArgument(`registry redirected to an unsupported scheme: ${next.protocol}`);
    if (next.protocol === 'http:' && current.protocol === 'https:' && !o.allowHttp?.(next))
      throw invalidArgument(`registry redirected from https to plain http: ${next.href}`);
    if (next.host !== current.host) {
      const { authorization: _drop, Authorization: _drop2, ...rest } = headers;
      headers = rest;
    }
    current = next;
  }
}

/** Reads a whole body, refusing one larger than `limit` bytes (declared or actual). */
export async function readBody(res: IncomingMessage, limit: number, what: string): Promise<Buffer> {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    res.destroy();
    throw invalidArgument(`${what} too large: ${declared} bytes (limit ${limit})`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res) {
    size += (c as Buffer).length;
    if (size > limit) {
      res.destroy();
      throw invalidArgument(`${what} too large: more than ${limit} bytes`);
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Discards a body (so a keep-alive socket can be reused), bounded. */
export function drain(res: IncomingMessage): void {
  if (Number(res.headers['content-length'] ?? 0) > 65536) res.destroy();
  else res.resume();
}
