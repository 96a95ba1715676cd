import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerClient } from './docker-client.js';
import { ApiError, ConnectError } from './errors.js';
import { parseWhole } from './unix-http.js';

test('whole answers over a unix socket without node:http: lengths, chunks, empty bodies, errors, request bodies', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-unix-http-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const socketPath = join(dir, 's.sock');
  const seen: { method: string; url: string; type: string | undefined; host: string | undefined; auth: string | undefined; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      seen.push({
        method: req.method!,
        url: req.url!,
        type: req.headers['content-type'],
        host: req.headers.host,
        auth: req.headers['x-registry-auth'] as string,
        body,
      });
      if (req.url!.includes('/containers/json')) return void res.end(JSON.stringify([{ Id: 'a' }])); // Content-Length
      if (req.url!.includes('/version')) {
        res.writeHead(200, { 'content-type': 'application/json' }); // chunked, in pieces
        res.write('{"Version":');
        setTimeout(() => res.end('"1.2.3"}'), 10);
        return;
      }
      if (req.url!.includes('/nope/')) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"No such container: nope"}');
      if (req.url!.includes('/create')) return void res.writeHead(201, { 'content-type': 'application/json' }).end('{"Id":"c1","Warnings":[]}');
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  t.after(() => server.close());
  const c = new DockerClient(`unix://${socketPath}`);

  assert.deepEqual(await c.containerList({ all: true }), [{ Id: 'a' }]);
  assert.equal((await c.version()).Version, '1.2.3');
  await c.containerStop('web', { t: 3 });
  await assert.rejects(c.containerInspect('nope'), (e: unknown) => e instanceof ApiError && e.status === 404 && e.message === 'No such container: nope');
  const created = await c.json<{ Id: string }>('POST', '/containers/create', { body: { Image: 'busybox' }, headers: { 'X-Registry-Auth': 'e30=' } });
  assert.equal(created.Id, 'c1');
  assert.deepEqual(
    seen.map((s) => [s.method, s.url.split('?')[0]]),
    [
      ['GET', '/v1.45/containers/json'],
      ['GET', '/v1.45/version'],
      ['POST', '/v1.45/containers/web/stop'],
      ['GET', '/v1.45/containers/nope/json'],
      ['POST', '/v1.45/containers/create'],
    ],
  );
  const last = seen.at(-1)!;
  assert.equal(last.type, 'application/json');
  assert.equal(last.body, '{"Image":"busybox"}');
  assert.equal(last.auth, 'e30=');
  assert.equal(last.host, 'api.moby.localhost');

  const gone = new DockerClient(`unix://${join(dir, 'missing.sock')}`);
  await assert.rejects(gone.containerList(), (e: unknown) => e instanceof ConnectError);
});

test('parseWhole: chunk extensions, Content-Length cut, HEAD and 304 without a body, truncated answers', () => {
  const r = parseWhole(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\n\r\n'));
  assert.equal(r.status, 200);
  assert.equal(r.headers['x-a'], '1');
  assert.equal(r.body.toString(), 'abcde');
  assert.equal(parseWhole(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi')).body.toString(), 'hi');
  assert.equal(parseWhole(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n'), 'HEAD').body.length, 0);
  assert.equal(parseWhole(Buffer.from('HTTP/1.1 304 Not Modified\r\n\r\n')).status, 304);
  assert.throws(() => parseWhole(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhi')), /before the whole answer/);
  assert.throws(() => parseWhole(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab')), /inside a chunk/);
  assert.throws(() => parseWhole(Buffer.from('HTTP/1.1 200 OK\r\nContent-')), /complete answer/);
});
