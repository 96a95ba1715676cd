import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { HttpServer } from './http-server.js';
import { readBody } from './request.js';
import type { RequestContext } from './route.js';
import { messageOf } from '../errors.js';

// A server whose one route takes over the upgraded socket without reading the body (as attach
// does) and reports the body it was given and the first stream bytes after it.
async function serve(readsBody: boolean): Promise<{ port: number; seen: Promise<{ body: string; stream: string }>; close(): Promise<void> }> {
  let report!: (v: { body: string; stream: string }) => void;
  const seen = new Promise<{ body: string; stream: string }>((r) => (report = r));
  const server = new HttpServer<RequestContext & { socket?: Socket }>({
    name: 'upgrade-test',
    errorBody: (e) => ({ message: messageOf(e) }),
    prepare: ({ url, upgradeSocket }) => ({ path: url.pathname, context: (base) => ({ ...base, socket: upgradeSocket }) }),
    routes: [
      {
        method: 'POST',
        path: '/attach',
        handler: async (ctx) => {
          const body = readsBody ? (await readBody(ctx.body)).toString() : '';
          const s = ctx.socket!;
          s.write('HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
          let stream = '';
          s.on('data', (c: Buffer) => {
            stream += c.toString();
            if (stream.endsWith('!')) {
              report({ body, stream });
              s.end();
            }
          });
        },
      },
    ],
  });
  const port = await server.listenTcp(0, '127.0.0.1');
  return { port, seen, close: () => server.close() };
}

function send(port: number, raw: string[]): void {
  const c = connect(port, '127.0.0.1', () => {
    // Each piece in its own write, a little apart, so a body split across packets is covered too.
    let i = 0;
    const next = () => {
      if (i < raw.length) c.write(raw[i++]!, () => setTimeout(next, 20));
    };
    next();
  });
  c.on('data', () => {});
  c.on('error', () => {});
}

const head = (framing: string) =>
  `POST /attach HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${framing}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`;

test('an upgrade request body (Content-Length) is the request, not stream input, even when the route never reads it', { timeout: 10_000 }, async (t) => {
  const s = await serve(false);
  t.after(() => s.close());
  const body = '{"stdin":true,"stream":true}';
  send(s.port, [head(`Content-Length: ${body.length}`) + body.slice(0, 10), body.slice(10) + 'in', 'put!']);
  assert.deepEqual(await s.seen, { body: '', stream: 'input!' });
});

test('a chunked upgrade request body is decoded and the route gets it; the stream starts after its last chunk', { timeout: 10_000 }, async (t) => {
  const s = await serve(true);
  t.after(() => s.close());
  send(s.port, [head('Transfer-Encoding: chunked') + '5\r\n{"a":', '\r\n2;ext=1\r\n1}\r\n0\r\n\r\nhel', 'lo!']);
  assert.deepEqual(await s.seen, { body: '{"a":1}', stream: 'hello!' });
});
