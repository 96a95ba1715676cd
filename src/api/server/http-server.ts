// The Engine API server: node:http on a unix socket. Plain requests and `Upgrade: tcp` requests
// (attach, exec start) go through the same router; hijacking hands the raw socket to the route.
import { createServer, ServerResponse, type IncomingMessage, type Server } from 'node:http';
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { chmod, unlink, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { notFound, invalidArgument } from '../../lib/errors.js';
import { log } from '../../lib/log.js';
import { writeError } from './error-status.js';
import { Query } from './request.js';
import { Router, MAX_API_VERSION } from './router.js';
import type { Route, RouteContext } from './route.js';

export interface ApiServerOptions {
  routes: Route[];
  serverHeader: string;
}

export class ApiServer {
  private readonly router: Router;
  private readonly server: Server;
  private readonly sockets = new Set<Socket | Duplex>();

  constructor(private readonly opts: ApiServerOptions) {
    this.router = new Router(opts.routes);
    this.server = createServer({ keepAlive: true }, (req, res) => void this.dispatch(req, res, undefined));
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      const res = new ServerResponse(req);
      res.assignSocket(socket);
      if (head.length) socket.unshift(head);
      void this.dispatch(req, res, socket);
    });
    this.server.on('connection', (s: Socket) => {
      // A client that vanishes mid-stream (hijacked or not) must never take the daemon down.
      s.on('error', (e) => log.debug('client socket error', { error: e.message }));
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async listen(socketPath: string): Promise<void> {
    await mkdir(dirname(socketPath), { recursive: true });
    await unlink(socketPath).catch(() => {});
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(socketPath, () => resolve());
    });
    await chmod(socketPath, 0o660);
  }

  /** Stops accepting and ends open connections (streams such as logs -f would never drain). */
  async close(): Promise<void> {
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, upgradeSocket: Socket | undefined): Promise<void> {
    const ac = new AbortController();
    const onClose = () => ac.abort();
    // 'close' on the response fires when the client goes away (or when we finish).
    res.on('close', onClose);
    if (upgradeSocket) upgradeSocket.on('close', onClose);
    res.setHeader('Api-Version', MAX_API_VERSION);
    res.setHeader('Docker-Experimental', 'false');
    res.setHeader('Ostype', 'linux');
    res.setHeader('Server', this.opts.serverHeader);
    try {
      const url = new URL(req.url ?? '/', 'http://berth');
      const { apiVersion, path } = Router.splitVersion(url.pathname);
      const m = this.router.match(req.method ?? 'GET', path.length > 1 ? path.replace(/\/$/, '') : path);
      if (m === undefined) throw notFound('page not found');
      if (m === 'method') throw notFound('page not found');
      log.debug('api', { method: req.method, path: url.pathname });
      let hijacked = false;
      const ctx: RouteContext = {
        req,
        res,
        params: m.params,
        body: upgradeSocket ? readUpgradeBody(upgradeSocket, Number(req.headers['content-length'] ?? 0)) : req,
        query: new Query(url.searchParams),
        apiVersion,
        signal: ac.signal,
        upgradeRequested: upgradeSocket !== undefined,
        hijack: (contentType: string): Duplex => {
          if (hijacked) throw invalidArgument('connection already hijacked');
          hijacked = true;
          if (upgradeSocket) {
            res.detachSocket(upgradeSocket);
            upgradeSocket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
            upgradeSocket.setNoDelay(true);
            return upgradeSocket;
          }
          return hijackPlain(req, res, contentType);
        },
      };
      await m.route.handler(ctx);
    } catch (e) {
      if (upgradeSocket && res.headersSent === false && !upgradeSocket.writable) return;
      writeError(res, e);
      if (upgradeSocket) upgradeSocket.end();
    }
  }
}

/**
 * With `Upgrade: tcp` Node hands us the socket right after the headers; a body the client sent
 * (exec start's {"Detach":false}) is still on it and must not be mistaken for stdin.
 */
async function* readUpgradeBody(socket: Socket, length: number): AsyncGenerator<Buffer> {
  let left = Number.isFinite(length) && length > 0 ? Math.min(length, 1024 * 1024) : 0;
  while (left > 0) {
    const chunk = socket.read() as Buffer | null;
    if (chunk === null) {
      if (socket.readableEnded || socket.destroyed) return;
      await new Promise<void>((r) => {
        const done = () => {
          socket.off('readable', done);
          socket.off('end', done);
          socket.off('close', done);
          r();
        };
        socket.once('readable', done);
        socket.once('end', done);
        socket.once('close', done);
      });
      continue;
    }
    if (chunk.length > left) {
      socket.unshift(chunk.subarray(left));
      yield chunk.subarray(0, left);
      return;
    }
    left -= chunk.length;
    yield chunk;
  }
}

/**
 * A client that did not ask to upgrade (e.g. a plain HTTP attach for output) gets a 200 streamed
 * response; its request body, if any, is the input side.
 */
function hijackPlain(req: IncomingMessage, res: ServerResponse, contentType: string): Duplex {
  res.writeHead(200, { 'Content-Type': contentType });
  res.flushHeaders();
  const duplex = new PassThroughDuplex(req, res);
  return duplex;
}

class PassThroughDuplex extends Duplex {
  constructor(private readonly input: IncomingMessage, private readonly output: ServerResponse) {
    super();
    input.on('data', (c: Buffer) => { if (!this.push(c)) input.pause(); });
    input.on('end', () => this.push(null));
    output.on('close', () => this.destroy());
  }
  override _read(): void { this.input.resume(); }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void { this.output.write(chunk, cb); }
  override _final(cb: (e?: Error | null) => void): void { this.output.end(cb); }
}
