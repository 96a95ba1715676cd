// The HTTP server every Berth listener is built on (Engine API, registry, dashboard): node:http
// on a unix socket or a TCP port, the route table, the abort signal per request, errors through
// the one status table, and open connections ended on close. A server's own specifics (the
// Engine's /vX.Y prefix, headers and hijacking) come in through `prepare`.
import { createServer, ServerResponse, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { chmod, chown, unlink, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { notFound } from '../errors.js';
import { log } from '../log.js';
import { writeError, type ErrorBody } from './error-status.js';
import { Query } from './request.js';
import { Router } from './router.js';
import { readUpgradeBody } from './upgrade-body.js';
import type { RequestContext, Route } from './route.js';

/** One request as the server sees it before routing. */
export interface IncomingRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** The raw socket when the client asked to upgrade the connection (`Connection: Upgrade`). */
  upgradeSocket: Socket | undefined;
}

/** What a server adds to each request: the path to route and the context a handler gets. */
export interface Prepared<C extends RequestContext> {
  path: string;
  context(base: RequestContext): C;
}

export interface HttpServerOptions<C extends RequestContext> {
  routes: readonly Route<C>[];
  /** The error body this server's clients read. */
  errorBody: ErrorBody;
  /** Per request, before routing: headers, path rewriting, context. Throwing answers with the error. */
  prepare(r: IncomingRequest): Prepared<C>;
  /** A name for debug logs ("api", "registry"). */
  name: string;
  /** PEM certificate chain and key: serve HTTPS (the registry with --tls-cert/--tls-key). */
  tls?: ServerTls;
  /** Called when a request's response has closed (finished, or the client went away). */
  onRequestEnd?: () => void;
}

/**
 * A TLS listener's files. With `clientCa`, every client must present a certificate signed by it
 * (mutual TLS, dockerd's --tlsverify); the handshake of any other client fails.
 */
export interface ServerTls {
  cert: Buffer;
  key: Buffer;
  clientCa?: Buffer;
}

export class HttpServer<C extends RequestContext> {
  private readonly router: Router<C>;
  private readonly server: Server;
  private readonly sockets = new Set<Socket | Duplex>();

  constructor(private readonly opts: HttpServerOptions<C>) {
    this.router = new Router(opts.routes);
    const onRequest = (req: IncomingMessage, res: ServerResponse) => void this.dispatch(req, res, undefined);
    const tls = opts.tls;
    // node:https (and node:tls under it) only for a TLS listener: a daemon on a unix socket never loads them.
    this.server = tls
      ? (process.getBuiltinModule('node:https') as typeof import('node:https')).createServer(
          {
            keepAlive: true,
            // As node:http's plain server: a hijacked client that half-closes (the docker CLI's
            // CloseWrite after stdin, a TCP FIN under TLS) must still get the container's output.
            allowHalfOpen: true,
            cert: tls.cert,
            key: tls.key,
            minVersion: 'TLSv1.2', // dockerd's floor
            ...(tls.clientCa ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
          },
          onRequest,
        )
      : createServer({ keepAlive: true }, onRequest);
    // A failed handshake (no client certificate, one from another CA) is the client's problem.
    this.server.on('tlsClientError', (e: Error) => log.debug('TLS handshake refused', { error: e.message }));
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      const res = new ServerResponse(req);
      res.assignSocket(socket);
      if (head.length) socket.unshift(head);
      void this.dispatch(req, res, socket);
    });
    // For TLS the raw TCP socket is what close() must end; 'connection' gives it for both.
    this.server.on('connection', (s: Socket) => {
      // A client that vanishes mid-stream (hijacked or not) must never take the process down.
      s.on('error', (e) => log.debug('client socket error', { error: e.message }));
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  /** Listens on a unix socket (mode 0660, owned by root and `gid` when given), replacing a stale socket file. */
  async listen(socketPath: string, gid?: number): Promise<void> {
    await mkdir(dirname(socketPath), { recursive: true });
    await unlink(socketPath).catch(() => {});
    await this.listenOn((done) => this.server.listen(socketPath, done));
    await chmod(socketPath, 0o660);
    if (gid !== undefined) await chown(socketPath, 0, gid);
  }

  /** Listens on a TCP address (the registry; the dashboard on loopback). Returns the bound port. */
  async listenTcp(port: number, host: string): Promise<number> {
    await this.listenOn((done) => this.server.listen(port, host, done));
    const addr = this.server.address();
    return typeof addr === 'object' && addr !== null ? addr.port : port;
  }

  private listenOn(start: (done: () => void) => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      start(() => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  /** Stops accepting and ends open connections (streams such as logs -f would never drain). */
  async close(): Promise<void> {
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, upgradeSocket: Socket | undefined): Promise<void> {
    const ac = new AbortController();
    // 'close' on the response fires when the client goes away (or when we finish). Only the
    // first means anything to a handler; aborting after a finished answer would only build an
    // AbortError (a stack trace) per request for nobody.
    const onClose = () => {
      if (upgradeSocket || !res.writableFinished) ac.abort();
      this.opts.onRequestEnd?.();
    };
    res.on('close', onClose);
    if (upgradeSocket) upgradeSocket.on('close', onClose);
    try {
      const url = new URL(req.url ?? '/', 'http://berth');
      const prepared = this.opts.prepare({ req, res, url, upgradeSocket });
      const path = prepared.path;
      const m = this.router.match(req.method ?? 'GET', path.length > 1 ? path.replace(/\/$/, '') : path);
      if (m === undefined || m === 'method') throw notFound('page not found');
      log.debug(this.opts.name, { method: req.method, path: url.pathname });
      // An upgrade request's body is read whole now, so it can never be taken for stream input.
      const upgradeBody = upgradeSocket ? await readUpgradeBody(upgradeSocket, req.headers) : undefined;
      const ctx = prepared.context({
        req,
        res,
        params: m.params,
        body: upgradeBody ? once(upgradeBody) : req,
        query: new Query(url.searchParams),
        signal: ac.signal,
      });
      await m.route.handler(ctx);
    } catch (e) {
      if (upgradeSocket && res.headersSent === false && !upgradeSocket.writable) return;
      writeError(res, e, this.opts.errorBody);
      if (upgradeSocket) upgradeSocket.end();
    }
  }
}

async function* once(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}
