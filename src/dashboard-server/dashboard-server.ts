// berthd's dashboard listener (`--dashboard 127.0.0.1:7070`): the browser bundle, the login
// exchange and /api/*, which is the Engine API forwarded over berthd's own socket. Every /api
// request needs the session cookie; a state change also needs the session's CSRF header and a
// same-origin Origin. The Host header must name this listener (a DNS-rebound page cannot reach it).
import type { Socket } from 'node:net';
import { forbidden, notFound, unauthorized, unavailable } from '../lib/errors.js';
import { readJsonObject } from '../lib/http/request.js';
import { HttpServer, type IncomingRequest, type Prepared } from '../lib/http/http-server.js';
import { sendJson, type RequestContext, type Route } from '../lib/http/route.js';
import { loadAssets, type Asset } from './assets.js';
import { CSRF_HEADER, DashboardAuth, sessionCookie, SESSION_COOKIE, type Session } from './auth.js';
import { forwardToEngine } from './engine-proxy.js';
import { composeArgs, runBerth } from './compose-actions.js';
import { hostname } from 'node:os';
import { isLoopback, originOf, type ListenAddress } from './listen-address.js';
import { setSecurityHeaders } from './security-headers.js';
import { TerminalBridge } from './terminal.js';

export interface DashboardServerOptions {
  /** berthd's Engine API socket: /api/* is forwarded there. */
  engineSocket: string;
  /** dist/dashboard: the bundle scripts/build.mjs wrote. */
  assetDir: string;
  auth: DashboardAuth;
  /** bin/berth: compose actions run `berth compose` against engineSocket. Without it they are refused. */
  berthCli?: string;
  /** PEM certificate chain and key: serve HTTPS (required for a non-loopback address). */
  tls?: { cert: Buffer; key: Buffer };
}

interface DashboardContext extends RequestContext {
  upgradeSocket: Socket | undefined;
  url: URL;
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export class DashboardServer {
  private readonly http: HttpServer<DashboardContext>;
  private readonly assets: Map<string, Asset>;
  private readonly terminals: TerminalBridge;
  private allowedHosts = new Set<string>();
  private origins = new Set<string>();
  private origin = '';

  constructor(private readonly opts: DashboardServerOptions) {
    this.assets = loadAssets(opts.assetDir);
    this.terminals = new TerminalBridge(opts.engineSocket);
    this.http = new HttpServer<DashboardContext>({
      name: 'dashboard',
      errorBody: (e) => ({ message: e instanceof Error ? e.message : String(e) }),
      prepare: (r) => this.prepare(r),
      routes: this.routes(),
      ...(opts.tls ? { tls: opts.tls } : {}),
    });
  }

  /**
   * Listens; returns the origin to open ("http://127.0.0.1:7070", "https://10.0.0.5:7443"). The
   * address was checked by parseDashboardAddress (a non-loopback one only with TLS).
   */
  async listen(addr: ListenAddress): Promise<string> {
    if (!this.opts.tls && !isLoopback(addr.host)) throw forbidden('the dashboard listens off loopback only with TLS');
    const port = await this.http.listenTcp(addr.port, addr.host);
    const scheme = this.opts.tls ? 'https' : 'http';
    // Every interface: the login URL names the machine, which a browser elsewhere can reach.
    const unspecified = addr.host === '0.0.0.0' || addr.host === '::';
    this.origin = originOf({ host: unspecified ? hostname() : addr.host, port }, scheme);
    const names = [new URL(this.origin).host, `localhost:${port}`];
    this.allowedHosts = new Set(names);
    this.origins = new Set(names.map((h) => `${scheme}://${h}`));
    return this.origin;
  }

  /** The URL that logs a browser in with a fresh one-time token. */
  loginUrl(): { url: string; expiresInSeconds: number } {
    return { url: `${this.origin}/login?token=${this.opts.auth.issueToken()}`, expiresInSeconds: Math.round(this.opts.auth.tokenTtlMs / 1000) };
  }

  async close(): Promise<void> {
    this.terminals.closeAll();
    await this.http.close();
  }

  private prepare({ req, res, url, upgradeSocket }: IncomingRequest): Prepared<DashboardContext> {
    setSecurityHeaders(res);
    // DNS rebinding: a hostile page whose name resolves to 127.0.0.1 sends its own Host. Over
    // TLS a rebound name fails the certificate check in the browser, and a listener off loopback
    // is reached by whatever names the machine has: there the Origin checks below do the work.
    if (!this.opts.tls && !this.allowedHosts.has(req.headers.host ?? '')) throw forbidden('unexpected Host header');
    return { path: url.pathname, context: (base) => ({ ...base, upgradeSocket, url }) };
  }

  /** Over TLS the page's origin is https:// plus the Host it asked for; on loopback one of ours. */
  private sameOrigin(ctx: DashboardContext, origin: string): boolean {
    return this.origins.has(origin) || (this.opts.tls !== undefined && origin === `https://${ctx.req.headers.host ?? ''}`);
  }

  /** The request's session, or a 401; state changes also need the CSRF header and our Origin. */
  private authorize(ctx: DashboardContext, opts: { csrf: boolean }): Session {
    const s = this.opts.auth.session(ctx.req.headers.cookie);
    if (!s) throw unauthorized('not logged in: open the URL that `berth dashboard` prints');
    const origin = ctx.req.headers.origin;
    if (origin !== undefined && !this.sameOrigin(ctx, origin)) throw forbidden('cross-origin request refused');
    if (opts.csrf && !DashboardAuth.csrfMatches(s, ctx.req.headers[CSRF_HEADER])) throw forbidden('missing or wrong CSRF token');
    return s;
  }

  private routes(): Route<DashboardContext>[] {
    const asset = (path: string) => async (ctx: DashboardContext) => {
      const a = this.assets.get(path);
      if (!a) throw path === '/index.html' ? notFound('the dashboard is not built (npm run build)') : notFound('page not found');
      ctx.res.writeHead(200, { 'Content-Type': a.type, 'Content-Length': a.body.length });
      ctx.res.end(ctx.req.method === 'HEAD' ? undefined : a.body);
    };
    const api = async (ctx: DashboardContext) => {
      this.authorize(ctx, { csrf: STATE_CHANGING.has(ctx.req.method ?? 'GET') });
      // Hijacked streams reach the browser only as the terminal's WebSocket, which checks Origin.
      if (ctx.upgradeSocket) throw forbidden('the dashboard does not forward upgraded connections');
      await forwardToEngine(ctx, this.opts.engineSocket, ctx.url.pathname.slice('/api'.length) + ctx.url.search);
    };
    return [
      { method: 'GET', path: '/', handler: asset('/index.html') },
      { method: 'GET', path: '/assets/{file*}', handler: async (ctx) => asset(`/assets/${ctx.params.file}`)(ctx) },
      {
        method: 'GET',
        path: '/login',
        handler: async (ctx) => {
          const s = this.opts.auth.login(ctx.query.str('token') ?? '');
          if (!s) throw unauthorized('this login link is invalid, expired or already used: run `berth dashboard` for a new one');
          // 303 to / drops the token from the address bar and from history.
          ctx.res.writeHead(303, { 'Set-Cookie': sessionCookie(s, this.opts.tls !== undefined), Location: '/' }).end();
        },
      },
      { method: 'GET', path: '/session', handler: async (ctx) => sendJson(ctx.res, 200, { csrf: this.authorize(ctx, { csrf: false }).csrf }) },
      {
        method: 'POST',
        path: '/logout',
        handler: async (ctx) => {
          this.opts.auth.logout(this.authorize(ctx, { csrf: true }).id);
          ctx.res.writeHead(204, { 'Set-Cookie': `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0` }).end();
        },
      },
      {
        // Compose is client code, not an Engine route: see compose-actions.ts.
        method: 'POST',
        path: '/compose/{project}/{action}',
        handler: async (ctx) => {
          this.authorize(ctx, { csrf: true });
          const body = await readJsonObject(ctx.body);
          const configFiles = Array.isArray(body.configFiles) ? body.configFiles.map(String) : undefined;
          const workingDir = typeof body.workingDir === 'string' ? body.workingDir : undefined;
          const args = composeArgs({ project: ctx.params.project!, action: ctx.params.action!, configFiles, workingDir });
          if (!this.opts.berthCli) throw unavailable('compose actions are not available in this berthd');
          sendJson(ctx.res, 200, await runBerth(this.opts.berthCli, this.opts.engineSocket, args, ctx.signal));
        },
      },
      {
        // A WebSocket: browsers send no CSRF header there, so the Origin check is what protects it.
        method: 'GET',
        path: '/terminal/{id}',
        handler: async (ctx) => {
          this.authorize(ctx, { csrf: false });
          if (ctx.req.headers.origin === undefined || !this.sameOrigin(ctx, ctx.req.headers.origin)) throw forbidden('cross-origin WebSocket refused');
          if (!ctx.upgradeSocket) throw notFound('the terminal is a WebSocket');
          ctx.res.detachSocket(ctx.upgradeSocket);
          await this.terminals.open(ctx.req, ctx.upgradeSocket, ctx.params.id!, ctx.query);
        },
      },
      ...(['GET', 'POST', 'DELETE', 'PUT'] as const).map((method) => ({ method, path: '/api/{path*}', handler: api })),
    ];
  }
}
