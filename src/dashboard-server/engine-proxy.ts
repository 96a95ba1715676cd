// The dashboard's /api/* is the Engine API itself: each request is forwarded over berthd's own
// unix socket, so the dashboard can never answer differently from what `berth` or `docker` see.
// Only the Engine's resource paths pass (never Berth's own /berth/* routes, such as the one that
// mints login tokens); the browser's cookie and CSRF header stay behind.
import { request, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { forbidden, unavailable } from '../lib/errors.js';
import type { RequestContext } from '../lib/http/route.js';

const ENGINE_PATH = /^\/(?:v\d+\.\d+\/)?(?:containers|images|volumes|networks|system|info|version|events|_ping|exec|build)(?:\/|$)/;

/** True for the Engine API paths the dashboard may reach (after the /api prefix is removed). */
export function isForwardable(enginePath: string): boolean {
  return ENGINE_PATH.test(enginePath) && !enginePath.split('/').some((s) => s === '..' || s === '.');
}

// What the Engine sees of the browser's request: the body's framing and type, nothing that
// identifies the browser session.
const PASS_REQUEST = ['content-type', 'content-length', 'transfer-encoding', 'accept'];

/** Forwards one request (path and query already stripped of /api) and streams the answer back. */
export function forwardToEngine(ctx: RequestContext, socketPath: string, enginePathAndQuery: string): Promise<void> {
  const path = enginePathAndQuery.split('?')[0]!;
  if (!isForwardable(path)) throw forbidden(`the dashboard does not forward ${path}`);
  const headers: OutgoingHttpHeaders = { host: 'berth-dashboard' };
  for (const h of PASS_REQUEST) if (ctx.req.headers[h] !== undefined) headers[h] = ctx.req.headers[h];
  return new Promise<void>((resolve, reject) => {
    // A connection of its own per request (agent: false): Node's default agent keeps sockets alive,
    // and one reused just as berthd closes it idle fails the browser's request ("Failed to fetch").
    const up = request({ socketPath, path: enginePathAndQuery, method: ctx.req.method, headers, agent: false }, (answer: IncomingMessage) => {
      ctx.res.writeHead(answer.statusCode ?? 502, responseHeaders(answer));
      ctx.res.flushHeaders(); // streams (events, logs -f) must show their status at once
      answer.pipe(ctx.res);
      answer.on('end', resolve);
      answer.on('error', () => resolve());
      ctx.res.on('close', () => {
        answer.destroy();
        resolve();
      });
    });
    up.on('error', (e) => (ctx.res.headersSent ? resolve() : reject(unavailable(`the Engine API is not reachable: ${e.message}`))));
    ctx.signal.addEventListener('abort', () => up.destroy(), { once: true });
    if (ctx.req.method === 'GET' || ctx.req.method === 'HEAD') up.end();
    else ctx.req.pipe(up);
  });
}

/** The Engine's own headers, minus anything that could widen what the browser allows. */
function responseHeaders(answer: IncomingMessage): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(answer.headers)) {
    if (v === undefined || k === 'set-cookie' || k.startsWith('access-control-') || k === 'connection' || k === 'keep-alive') continue;
    out[k] = v;
  }
  return out;
}

/**
 * Opens a hijacked exec stream on the Engine (POST /exec/{id}/start with Upgrade: tcp) and
 * resolves with the raw socket: the terminal bridge joins it to a WebSocket.
 */
export function hijackExec(socketPath: string, execId: string, body: object): Promise<{ socket: Socket; head: Buffer }> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request({
      socketPath,
      method: 'POST',
      path: `/exec/${encodeURIComponent(execId)}/start`,
      headers: {
        host: 'berth-dashboard',
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
        connection: 'Upgrade',
        upgrade: 'tcp',
      },
    });
    req.on('upgrade', (_res, socket: Socket, head: Buffer) => resolve({ socket, head }));
    req.on('response', (res: IncomingMessage) => {
      res.resume();
      reject(unavailable(`exec start answered ${res.statusCode}`));
    });
    req.on('error', (e) => reject(unavailable(`the Engine API is not reachable: ${e.message}`)));
    req.end(text);
  });
}
