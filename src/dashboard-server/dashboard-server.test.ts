// The listener's security rules against a stand-in Engine socket (the real one is exercised by
// test/integration/dashboard in a browser).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DashboardAuth } from './auth.js';
import { DashboardServer } from './dashboard-server.js';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

function call(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', method, path, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('login, cookie, CSRF, Host and Origin checks, CSP; /api reaches only the Engine paths', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-dash-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'assets/assets'), { recursive: true });
  await writeFile(join(dir, 'assets/index.html'), '<!doctype html><title>Berth</title>');
  await writeFile(join(dir, 'assets/assets/app.js'), 'console.log(1)');
  const engineSeen: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const engine = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      engineSeen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*', 'api-version': '1.45' }).end('{"ok":true}');
    });
  });
  const socket = join(dir, 'engine.sock');
  await new Promise<void>((r) => engine.listen(socket, r));
  t.after(() => engine.close());

  const dash = new DashboardServer({ engineSocket: socket, assetDir: join(dir, 'assets'), auth: new DashboardAuth() });
  const origin = await dash.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => dash.close());
  const port = Number(new URL(origin).port);

  const index = await call(port, 'GET', '/');
  assert.equal(index.status, 200);
  assert.match(index.headers['content-security-policy'] as string, /default-src 'self'.*script-src 'self';/);
  assert.doesNotMatch(index.headers['content-security-policy'] as string, /script-src[^;]*unsafe/);
  assert.equal(index.headers['x-frame-options'], 'DENY');
  assert.equal((await call(port, 'GET', '/assets/app.js')).text, 'console.log(1)');
  assert.equal((await call(port, 'GET', '/', { host: 'evil.example:80' })).status, 403, 'a rebound Host is refused');

  assert.equal((await call(port, 'GET', '/api/v1.45/containers/json')).status, 401);
  assert.equal((await call(port, 'GET', '/session')).status, 401);
  assert.equal((await call(port, 'GET', '/login?token=guess')).status, 401);

  const { url } = dash.loginUrl();
  const login = await call(port, 'GET', new URL(url).pathname + new URL(url).search);
  assert.equal(login.status, 303);
  assert.equal(login.headers.location, '/');
  const setCookie = (login.headers['set-cookie'] ?? [])[0]!;
  assert.match(setCookie, /HttpOnly/);
  assert.match(setCookie, /SameSite=Strict/);
  const cookie = setCookie.split(';')[0]!;
  assert.equal((await call(port, 'GET', new URL(url).pathname + new URL(url).search)).status, 401, 'the token works once');

  const csrf = (JSON.parse((await call(port, 'GET', '/session', { cookie })).text) as { csrf: string }).csrf;
  const list = await call(port, 'GET', '/api/v1.45/containers/json?all=1', { cookie });
  assert.equal(list.status, 200);
  assert.equal(list.headers['access-control-allow-origin'], undefined, 'no CORS headers, even when the Engine sends one');
  assert.equal(list.headers['api-version'], '1.45');
  assert.equal(engineSeen.at(-1)!.url, '/v1.45/containers/json?all=1');
  assert.equal(engineSeen.at(-1)!.headers.cookie, undefined, 'the session cookie stays behind');

  assert.equal((await call(port, 'POST', '/api/v1.45/containers/x/stop', { cookie })).status, 403, 'no CSRF header');
  assert.equal((await call(port, 'POST', '/api/v1.45/containers/x/stop', { cookie, 'x-berth-csrf': 'wrong' })).status, 403);
  assert.equal((await call(port, 'POST', '/api/v1.45/containers/x/stop', { cookie, 'x-berth-csrf': csrf, origin: 'http://evil.example' })).status, 403);
  const stop = await call(port, 'POST', '/api/v1.45/containers/x/stop', { cookie, 'x-berth-csrf': csrf, origin, 'content-type': 'application/json' }, '{}');
  assert.equal(stop.status, 200);
  assert.equal(engineSeen.at(-1)!.method, 'POST');
  assert.equal(engineSeen.at(-1)!.headers['x-berth-csrf'], undefined);

  const before = engineSeen.length;
  assert.equal(
    (await call(port, 'POST', '/api/v1.45/berth/dashboard/token', { cookie, 'x-berth-csrf': csrf })).status,
    403,
    "Berth's own routes are not reachable",
  );
  assert.equal((await call(port, 'GET', '/api/containers/%2e%2e/berth/dashboard/token', { cookie })).status, 403);
  assert.equal(engineSeen.length, before);

  assert.equal((await call(port, 'POST', '/logout', { cookie, 'x-berth-csrf': csrf })).status, 204);
  assert.equal((await call(port, 'GET', '/api/v1.45/containers/json', { cookie })).status, 401);
});

test('the terminal WebSocket needs the cookie and this origin', async (t) => {
  const { default: WebSocket } = await import('ws');
  const dir = await mkdtemp(join(tmpdir(), 'berth-dash-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const engine = createServer((_req, res) => res.writeHead(500).end());
  const socket = join(dir, 'engine.sock');
  await new Promise<void>((r) => engine.listen(socket, r));
  t.after(() => engine.close());
  const auth = new DashboardAuth();
  const dash = new DashboardServer({ engineSocket: socket, assetDir: join(dir, 'none'), auth });
  const origin = await dash.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => dash.close());
  const session = auth.login(auth.issueToken())!;
  const cookie = `berth_session=${session.id}`;
  const status = (headers: Record<string, string>) =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(`${origin.replace('http', 'ws')}/terminal/abc`, { headers });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => (ws.close(), resolve(101)));
      ws.on('error', () => resolve(-1));
    });
  assert.equal(await status({ origin }), 401, 'no cookie');
  assert.equal(await status({ cookie, origin: 'http://evil.example' }), 403, 'another origin (cross-site WebSocket hijacking)');
  assert.equal(await status({ cookie }), 403, 'no origin');
});

test('over TLS: HTTPS, a Secure cookie, any Host name, and Origin must match the Host asked for', async (t) => {
  const { execFileSync } = await import('node:child_process');
  const { readFile } = await import('node:fs/promises');
  const https = await import('node:https');
  const dir = await mkdtemp(join(tmpdir(), 'berth-dash-tls-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=berth.test'],
    {
      stdio: 'ignore',
    },
  );
  const engine = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  const socket = join(dir, 'engine.sock');
  await new Promise<void>((r) => engine.listen(socket, r));
  t.after(() => engine.close());
  const auth = new DashboardAuth();
  const tls = { cert: await readFile(join(dir, 'c.pem')), key: await readFile(join(dir, 'k.pem')) };
  const dash = new DashboardServer({ engineSocket: socket, assetDir: join(dir, 'none'), auth, tls });
  const origin = await dash.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => dash.close());
  assert.match(origin, /^https:\/\/127\.0\.0\.1:\d+$/);
  const port = Number(new URL(origin).port);
  const get = (method: string, path: string, headers: Record<string, string>) =>
    new Promise<Reply>((resolve, reject) => {
      const req = https.request({ host: '127.0.0.1', port, method, path, headers, rejectUnauthorized: false }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
      });
      req.on('error', reject);
      req.end();
    });
  const host = `berth.test:${port}`; // a name of the machine, not the bound address
  const { url } = dash.loginUrl();
  const login = await get('GET', new URL(url).pathname + new URL(url).search, { host });
  assert.equal(login.status, 303);
  const setCookie = (login.headers['set-cookie'] ?? [])[0]!;
  assert.match(setCookie, /; Secure/);
  const cookie = setCookie.split(';')[0]!;
  const csrf = (JSON.parse((await get('GET', '/session', { host, cookie })).text) as { csrf: string }).csrf;
  const post = (o: string) => get('POST', '/api/v1.45/containers/x/stop', { host, cookie, 'x-berth-csrf': csrf, origin: o });
  assert.equal((await post(`https://${host}`)).status, 200, 'the page of the name it was opened by');
  assert.equal((await post(`http://${host}`)).status, 403, 'plain http is another origin');
  assert.equal((await post('https://evil.example')).status, 403);
  // compose actions are state changes too
  assert.equal((await get('POST', '/compose/app/up', { host, cookie, origin: `https://${host}` })).status, 403, 'no CSRF header');
});
