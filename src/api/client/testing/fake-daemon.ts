// A scripted Docker API server on a temp unix socket, for client and CLI unit tests only
// (real end-to-end tests run against berthd). Routes match "METHOD /path" without the version
// prefix; every request is logged in arrival order; attach/exec-start upgrades are supported.
import http from 'node:http';
import type { Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: string;
}
export type Handler = (req: FakeRequest, res: http.ServerResponse) => void | Promise<void>;
export type UpgradeHandler = (req: FakeRequest, socket: Socket) => void;

export class FakeDaemon {
  readonly log: FakeRequest[] = [];
  readonly routes = new Map<string, Handler>();
  readonly upgrades = new Map<string, UpgradeHandler>();
  private readonly dir = mkdtempSync(join(tmpdir(), `berth-fake-${process.pid}-`));
  readonly socketPath = join(this.dir, 'd.sock');
  private readonly server = http.createServer((req, res) => void this.handle(req, res));
  private readonly sockets = new Set<Socket>();

  get host(): string {
    return `unix://${this.socketPath}`;
  }

  async start(): Promise<this> {
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Socket) => {
      void this.read(req).then((fr) => {
        const h =
          this.upgrades.get(`${fr.method} ${fr.path.replace(/\/[0-9a-f]{6,}|\/[\w.-]+(?=\/(attach|start)$)/, '/{id}')}`) ??
          this.upgrades.get(`${fr.method} ${fr.path}`);
        if (!h) {
          socket.end('HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n{"message":"no such route"}');
          return;
        }
        socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
        h(fr, socket);
      });
    });
    await new Promise<void>((r) => this.server.listen(this.socketPath, r));
    return this;
  }

  on(route: string, h: Handler): this {
    this.routes.set(route, h);
    return this;
  }
  onUpgrade(route: string, h: UpgradeHandler): this {
    this.upgrades.set(route, h);
    return this;
  }

  private async read(req: http.IncomingMessage): Promise<FakeRequest> {
    const chunks: Buffer[] = [];
    if (req.headers.upgrade === undefined) for await (const c of req) chunks.push(c as Buffer);
    else if (Number(req.headers['content-length'] ?? 0) > 0) for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://x');
    const fr = {
      method: req.method ?? 'GET',
      path: url.pathname.replace(/^\/v\d+\.\d+/, ''),
      query: url.searchParams,
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    this.log.push(fr);
    return fr;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const fr = await this.read(req);
    const h = this.routes.get(`${fr.method} ${fr.path}`);
    if (!h) {
      json(res, 404, { message: `page not found: ${fr.method} ${fr.path}` });
      return;
    }
    await h(fr, res);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
