// The Engine API over fetch(): what the dashboard's browser code uses (through berthd's
// dashboard listener, which forwards /api/* to the Engine socket). Browser-safe: no Node
// imports. Mirrors Transport's request/text/json/jsonStream; hijacking has no fetch equivalent
// (the dashboard's terminal is a WebSocket instead).
import { parseErrorBody } from './errors.js';
import { API_VERSION, buildQuery, type Query } from './query.js';

export interface FetchRequestOptions {
  query?: Query;
  /** Objects are sent as JSON, strings as text, bytes (a tar: POST /build) as they are. */
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** fetch's keepalive: the request is sent even if the page goes away meanwhile. */
  keepalive?: boolean;
}

export interface FetchTransportOptions {
  /** Where the Engine API is mounted ("/api" behind the dashboard listener). */
  baseUrl: string;
  apiVersion?: string;
  /** Headers for every request, asked each time (the dashboard's CSRF token arrives after start). */
  headers?: () => Record<string, string>;
  fetch?: typeof fetch;
}

export class FetchTransport {
  readonly apiVersion: string;
  private readonly baseUrl: string;
  private readonly extraHeaders: () => Record<string, string>;
  private readonly fetchFn: typeof fetch;

  constructor(o: FetchTransportOptions) {
    this.baseUrl = o.baseUrl.replace(/\/$/, '');
    this.apiVersion = o.apiVersion ?? API_VERSION;
    this.extraHeaders = o.headers ?? (() => ({}));
    this.fetchFn = o.fetch ?? ((input, init) => fetch(input, init)); // unbound window.fetch throws "Illegal invocation"
  }

  url(path: string, query?: Query): string {
    const prefix = path.startsWith('/_ping') || !this.apiVersion ? '' : `/v${this.apiVersion}`;
    return this.baseUrl + prefix + path + buildQuery(query);
  }

  /** The Response of a 2xx answer; other answers become ApiError with Docker's message. */
  async request(method: string, path: string, opts: FetchRequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { ...this.extraHeaders(), ...opts.headers };
    let body: string | Uint8Array<ArrayBuffer> | Blob | undefined;
    const b = opts.body;
    if (b instanceof Uint8Array || (typeof Blob !== 'undefined' && b instanceof Blob)) {
      body = b as Uint8Array<ArrayBuffer> | Blob;
      headers['content-type'] ??= 'application/octet-stream';
    } else if (b !== undefined && b !== null) {
      body = typeof b === 'string' ? b : JSON.stringify(b);
      headers['content-type'] ??= typeof b === 'string' ? 'text/plain' : 'application/json';
    }
    const res = await this.fetchFn(this.url(path, opts.query), {
      method,
      headers,
      body,
      signal: opts.signal,
      credentials: 'same-origin',
      ...(opts.keepalive ? { keepalive: true } : {}),
    });
    if (res.status >= 400) throw parseErrorBody(res.status, res.headers.get('content-type') ?? undefined, await res.text());
    return res;
  }

  async text(method: string, path: string, opts: FetchRequestOptions = {}): Promise<string> {
    return (await this.request(method, path, opts)).text();
  }

  /** The 2xx body as JSON (undefined for an empty body, e.g. 204 or 304). */
  async json<T>(method: string, path: string, opts: FetchRequestOptions = {}): Promise<T> {
    const t = await this.text(method, path, opts);
    return (t.trim() ? JSON.parse(t) : undefined) as T;
  }

  /** The body's bytes as they arrive (logs, attach output). */
  async *bytes(method: string, path: string, opts: FetchRequestOptions = {}): AsyncGenerator<Uint8Array> {
    const res = await this.request(method, path, opts);
    if (!res.body) return;
    const reader = res.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      reader.releaseLock();
      void res.body.cancel().catch(() => {});
    }
  }

  /** Newline-delimited JSON objects of a streaming answer (events, stats). */
  async *jsonStream<T>(method: string, path: string, opts: FetchRequestOptions = {}): AsyncGenerator<T> {
    const decoder = new TextDecoder();
    let buf = '';
    for await (const chunk of this.bytes(method, path, opts)) {
      buf += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line) yield JSON.parse(line) as T;
      }
    }
    if (buf.trim()) yield JSON.parse(buf) as T;
  }
}
