// The Engine API server: lib/http's server with Docker's specifics. Every answer carries
// Docker's headers, the /vX.Y prefix is stripped (with Docker's 400s for versions out of
// range), errors are `{"message"}`, and `Upgrade: tcp` requests (attach, exec start) can
// hijack the raw socket.
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { Duplex, Readable } from 'node:stream';
import { invalidArgument } from '../../lib/errors.js';
import { HttpServer, type IncomingRequest, type Prepared, type ServerTls } from '../../lib/http/http-server.js';
import { engineErrorBody } from './error-body.js';
import { MAX_API_VERSION, splitVersion } from './api-version.js';
import type { Route, RouteContext } from './route.js';

export interface ApiServerOptions {
  routes: Route[];
  serverHeader: string;
  /** Serve HTTPS (a -H tcp:// listener with --tls or --tlsverify). */
  tls?: ServerTls;
  /** Called when a request's response has closed (berthd trims freed memory once requests stop). */
  onRequestEnd?: () => void;
}

export class ApiServer {
  private readonly http: HttpServer<RouteContext>;

  constructor(opts: ApiServerOptions) {
    this.http = new HttpServer<RouteContext>({
      routes: opts.routes,
      errorBody: engineErrorBody,
      name: 'api',
      prepare: (r) => prepareEngineRequest(r, opts.serverHeader),
      ...(opts.tls ? { tls: opts.tls } : {}),
      ...(opts.onRequestEnd ? { onRequestEnd: opts.onRequestEnd } : {}),
    });
  }

  /** `gid`: the group that may use the socket (dockerd's -G), beside root. */
  listen(socketPath: string, gid?: number): Promise<void> {
    return this.http.listen(socketPath, gid);
  }

  /** Listens on TCP as well (-H tcp://...); returns the bound port. */
  listenTcp(port: number, host: string): Promise<number> {
    return this.http.listenTcp(port, host);
  }

  /** Stops accepting and ends open connections (streams such as logs -f would never drain). */
  close(): Promise<void> {
    return this.http.close();
  }
}

function prepareEngineRequest({ req, res, url, upgradeSocket }: IncomingRequest, serverHeader: string): Prepared<RouteContext> {
  // Set before the version check, so Docker's 400 for a bad version carries them too.
  res.setHeader('Api-Version', MAX_API_VERSION);
  res.setHeader('Docker-Experimental', 'false');
  res.setHeader('Ostype', 'linux');
  res.setHeader('Server', serverHeader);
  const { apiVersion, path } = splitVersion(url.pathname);
  let hijacked = false;
  return {
    path,
    context: (base) => ({
      ...base,
      apiVersion,
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
    }),
  };
}

/**
 * A client that did not ask to upgrade (e.g. a plain HTTP attach for output) gets a 200 streamed
 * response; its request body, if any, is the input side. A JSON body is the request's options
 * (dockerode and docker-modem send one with every POST): dockerd drops those bytes when it
 * hijacks, so they never reach the container's stdin, and the input stays open (no EOF) until
 * the client goes.
 */
function hijackPlain(req: IncomingMessage, res: ServerResponse, contentType: string): Duplex {
  res.writeHead(200, { 'Content-Type': contentType });
  res.flushHeaders();
  if (/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
    req.resume(); // read and dropped
    const input = new Readable({ read() {} });
    res.on('close', () => input.push(null));
    return new PassThroughDuplex(input, res);
  }
  return new PassThroughDuplex(req, res);
}

class PassThroughDuplex extends Duplex {
  constructor(
    private readonly input: Readable,
    private readonly output: ServerResponse,
  ) {
    super();
    input.on('data', (c: Buffer) => {
      if (!this.push(c)) input.pause();
    });
    input.on('end', () => this.push(null));
    output.on('close', () => this.destroy());
  }
  override _read(): void {
    this.input.resume();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.output.write(chunk, cb);
  }
  override _final(cb: (e?: Error | null) => void): void {
    this.output.end(cb);
  }
}
