// HTTP over the daemon's unix socket (or tcp): one keep-alive agent, /v1.45 prefix, JSON and
// streaming helpers, and the HTTP/1.1 upgrade ("hijack") that attach and exec start use.
// node:http loads on the first request that needs it: whole JSON/text answers over a unix socket
// go through unix-http.ts, which needs neither node:http nor node:net (a CLI process spares
// loading them), and node:stream is not loaded for them either: a body is told for a stream by
// its shape, not by `instanceof Readable`.
import type * as http from 'node:http';
import type * as https from 'node:https';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { ConnectError, parseErrorBody } from './errors.js';
import { parseHost, type Endpoint } from './host.js';
import { readJsonLines } from './json-lines.js';
import { requestBytes, requestWhole, ResponseReader, type ResponseHead } from './unix-http.js';
import { streamExchange, type ExchangeControl } from './unix-exchange.js';
import { loadClientTls, type ClientTls } from './tls.js';
import { API_VERSION, buildQuery, type Query } from './query.js';

export { API_VERSION, buildQuery, type Query, type QueryValue } from './query.js';

export interface RequestOptions {
  query?: Query;
  /** Objects are sent as JSON; strings/Buffers as-is; Readables are streamed. */
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** An upgraded connection: a raw duplex socket plus any bytes read past the 101 headers. */
export interface HijackedStream {
  socket: Socket;
  head: Buffer;
}

/** A stream body (a Readable, or anything that pipes like one) rather than JSON, text or bytes. */
function isStream(b: unknown): b is Readable {
  return typeof b === 'object' && b !== null && typeof (b as Readable).pipe === 'function' && typeof (b as Readable).on === 'function';
}

/** An answer read as it arrives (Transport.stream). */
export interface StreamedAnswer {
  /** The status and headers of a 1xx/2xx/3xx answer; rejects with the ApiError of a 4xx/5xx one. */
  head: Promise<ResponseHead>;
  /** The body ended (or the connection failed, or close() ended it: an error with code `ERR_CLOSED`). */
  done: Promise<void>;
  /** Ends the exchange now. */
  close(): void;
}

const CONNECT_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'EHOSTUNREACH', 'ETIMEDOUT']);

// process.getBuiltinModule (Node ≥ 20.16) rather than import(): the CLI bundle runs as a
// vm.Script (bin/berth's code cache), where a dynamic import() has no loader to call.
let httpModule: Promise<typeof http> | undefined;
const loadHttp = (): Promise<typeof http> =>
  (httpModule ??= process.getBuiltinModule ? Promise.resolve(process.getBuiltinModule('node:http') as typeof http) : import('node:http'));
let httpsModule: Promise<typeof https> | undefined;
const loadHttps = (): Promise<typeof https> =>
  (httpsModule ??= process.getBuiltinModule ? Promise.resolve(process.getBuiltinModule('node:https') as typeof https) : import('node:https'));

export class Transport {
  readonly endpoint: Endpoint;
  readonly apiVersion: string;
  private agent: http.Agent | undefined;
  /** TLS for a tcp:// daemon (--tls, --tlsverify); never used on a unix socket, as with docker. */
  private readonly tls: ClientTls | undefined;

  constructor(host: string, apiVersion = API_VERSION, tls?: ClientTls) {
    this.endpoint = parseHost(host);
    this.apiVersion = apiVersion;
    this.tls = this.endpoint.socketPath ? undefined : tls;
  }

  /** node:http, or node:https with the TLS files loaded into the options (per connection). */
  private async client(): Promise<{ h: typeof http | typeof https; tlsOptions: https.AgentOptions }> {
    if (!this.tls) return { h: await loadHttp(), tlsOptions: {} };
    return { h: await loadHttps(), tlsOptions: loadClientTls(this.tls) };
  }

  get host(): string {
    return this.endpoint.host;
  }

  private options(method: string, path: string, opts: RequestOptions, agent: http.Agent | false): http.RequestOptions {
    const e = this.endpoint;
    const headers: Record<string, string> = { ...opts.headers };
    const prefix = path.startsWith('/_ping') || !this.apiVersion ? '' : `/v${this.apiVersion}`;
    const o: http.RequestOptions = { method, path: prefix + path + buildQuery(opts.query), headers, agent, signal: opts.signal };
    if (e.socketPath) {
      o.socketPath = e.socketPath;
      headers.host ??= 'api.moby.localhost';
      // No TLS on a unix socket: an empty servername spares the agent its SNI guess, whose
      // first isIP() compiles an IPv6 regex costing ~4 ms of every CLI run.
      (o as { servername?: string }).servername = '';
    } else {
      o.hostname = e.hostname;
      o.port = e.port;
    }
    return o;
  }

  private send(req: http.ClientRequest, body: unknown): void {
    if (body === undefined || body === null) {
      req.end();
      return;
    }
    if (isStream(body)) {
      body.on('error', (err) => req.destroy(err));
      body.pipe(req);
      return;
    }
    if (typeof body === 'string' || Buffer.isBuffer(body)) {
      req.end(body);
      return;
    }
    req.end(JSON.stringify(body));
  }

  private prepareBody(opts: RequestOptions): void {
    const b = opts.body;
    if (b === undefined || b === null) return;
    opts.headers = { ...opts.headers };
    if (isStream(b)) opts.headers['content-type'] ??= 'application/x-tar';
    else if (typeof b === 'string' || Buffer.isBuffer(b)) opts.headers['content-type'] ??= 'text/plain';
    else opts.headers['content-type'] ??= 'application/json';
  }

  private connectError(err: unknown): unknown {
    const code = (err as { code?: string }).code;
    return code && CONNECT_CODES.has(code) ? new ConnectError(this.host, err) : err;
  }

  /** The raw response of a 2xx answer; non-2xx answers become ApiError with Docker's message. */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<http.IncomingMessage> {
    this.prepareBody(opts);
    const { h, tlsOptions } = await this.client();
    this.agent ??= new h.Agent({ keepAlive: true, maxSockets: 8, ...tlsOptions });
    const agent = this.agent;
    return new Promise((resolve, reject) => {
      const req = h.request(this.options(method, path, opts, agent), (res: http.IncomingMessage) => {
        const status = res.statusCode ?? 0;
        if (status < 400) {
          resolve(res);
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => reject(parseErrorBody(status, res.headers['content-type'], Buffer.concat(chunks).toString('utf8'))));
        res.on('error', reject);
      });
      req.on('error', (err) => reject(this.connectError(err)));
      this.send(req, opts.body);
    });
  }

  /** Read the whole 2xx body as text. */
  async text(method: string, path: string, opts: RequestOptions = {}): Promise<string> {
    const b = opts.body;
    if (this.endpoint.socketPath && (b === undefined || b === null || !isStream(b))) {
      this.prepareBody(opts);
      const o = this.options(method, path, opts, false);
      const body = b === undefined || b === null ? undefined : typeof b === 'string' || Buffer.isBuffer(b) ? b : JSON.stringify(b);
      let res: Awaited<ReturnType<typeof requestWhole>>;
      try {
        res = await requestWhole(this.endpoint.socketPath, method, o.path!, o.headers as Record<string, string>, body, opts.signal);
      } catch (err) {
        throw this.connectError(err);
      }
      if (res.status >= 400) throw parseErrorBody(res.status, res.headers['content-type'], res.body.toString('utf8'));
      return res.body.toString('utf8');
    }
    const res = await this.request(method, path, opts);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  /**
   * A request over the unix socket whose answer's body goes to `onBody` as it arrives, without
   * node:http or node:net (a CLI process spares loading them): `head` resolves once the status
   * and headers are read (a 4xx/5xx answer's body is read whole and `head` rejects with its
   * ApiError), `done` when the body ended. undefined for a TCP host or a stream body: callers
   * then use request()/hijack().
   */
  stream(method: string, path: string, opts: RequestOptions, onBody: (chunk: Buffer) => void): StreamedAnswer | undefined {
    const b = opts.body;
    if (!this.endpoint.socketPath || isStream(b)) return undefined;
    this.prepareBody(opts);
    const o = this.options(method, path, opts, false);
    const body = b === undefined || b === null ? undefined : typeof b === 'string' || Buffer.isBuffer(b) ? b : JSON.stringify(b);
    let onHead!: (h: ResponseHead) => void;
    let onHeadError!: (e: unknown) => void;
    const head = new Promise<ResponseHead>((resolve, reject) => {
      onHead = resolve;
      onHeadError = reject;
    });
    const errorBody: Buffer[] = [];
    const reader = new ResponseReader(
      method,
      (c) => (reader.head!.status >= 400 ? errorBody.push(c) : onBody(c)),
      (h) => h.status < 400 && onHead(h),
    );
    const request = requestBytes(method, o.path!, o.headers as Record<string, string>, body);
    const control: ExchangeControl = {};
    const done = streamExchange(this.endpoint.socketPath, request, (c) => reader.push(c), opts.signal, control).then(
      () => {
        reader.end();
        const h = reader.head!;
        if (h.status >= 400) throw parseErrorBody(h.status, h.headers['content-type'], Buffer.concat(errorBody).toString('utf8'));
      },
      (err) => {
        throw this.connectError(err);
      },
    );
    done.catch(onHeadError); // a no-op once the head has come
    return { head, done, close: () => control.close?.() };
  }

  /** Parse the 2xx body as JSON (undefined for an empty body, e.g. 204 or 304). */
  async json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const t = await this.text(method, path, opts);
    return (t.trim() ? JSON.parse(t) : undefined) as T;
  }

  /** Newline-delimited JSON objects of a streaming answer (events, stats, jsonmessage). */
  async *jsonStream<T>(method: string, path: string, opts: RequestOptions = {}, exact: string[] = []): AsyncGenerator<T> {
    const res = await this.request(method, path, opts);
    yield* readJsonLines<T>(res, exact);
  }

  /**
   * jsonStream's objects for a request whose body is bytes (or none): over a unix socket through
   * stream() (no node:http, no node:stream in the process), else through jsonStream. A 4xx/5xx
   * answer throws its ApiError at the first next(), as jsonStream's does.
   */
  async *jsonStreamBytes<T>(method: string, path: string, opts: RequestOptions = {}): AsyncGenerator<T> {
    const chunks: Buffer[] = [];
    let wake: (() => void) | undefined;
    const answer = this.stream(method, path, opts, (c) => {
      chunks.push(c);
      wake?.();
    });
    if (!answer) {
      yield* this.jsonStream<T>(method, path, opts);
      return;
    }
    let ended = false;
    let failure: unknown;
    answer.done.then(
      () => {
        ended = true;
        wake?.();
      },
      (e: unknown) => {
        failure = e;
        ended = true;
        wake?.();
      },
    );
    try {
      await answer.head;
      async function* pieces(): AsyncGenerator<Buffer> {
        for (;;) {
          while (chunks.length) yield chunks.shift()!;
          if (ended) break;
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
        if (failure) throw failure;
      }
      yield* readJsonLines<T>(pieces());
    } finally {
      if (!ended) answer.close();
    }
  }

  /**
   * POST with `Connection: Upgrade` / `Upgrade: tcp`; resolves on `101 UPGRADED` with the raw
   * socket (write stdin, `socket.end()` half-closes it, keep reading stdout). A 200 without an
   * upgrade is accepted too: the body is then the output and the socket stays writable.
   */
  async hijack(path: string, opts: RequestOptions = {}): Promise<HijackedStream> {
    this.prepareBody(opts);
    opts.headers = { ...opts.headers, Connection: 'Upgrade', Upgrade: 'tcp' };
    const { h, tlsOptions } = await this.client();
    return new Promise((resolve, reject) => {
      const req = h.request({ ...this.options('POST', path, opts, false), ...tlsOptions }, (res: http.IncomingMessage) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          reject(
            status >= 400
              ? parseErrorBody(status, res.headers['content-type'], Buffer.concat(chunks).toString('utf8'))
              : new Error(`unexpected response to an attach request: ${status}`),
          ),
        );
      });
      req.on('upgrade', (_res, socket: Socket, head: Buffer) => {
        socket.setNoDelay?.(true);
        resolve({ socket, head });
      });
      req.on('error', (err) => reject(this.connectError(err)));
      this.send(req, opts.body);
    });
  }

  /** Drop idle keep-alive sockets (they are unref'd, so this is only needed for tests). */
  close(): void {
    this.agent?.destroy();
  }
}
