import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerClient } from './docker-client.js';
import { ApiError, ConnectError } from './errors.js';
import { parseWhole, ResponseReader } from './unix-http.js';

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

test('ResponseReader: an answer pushed byte by byte gives the same head and body; 101 passes the stream through', () => {
  const raw = Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n');
  const body: Buffer[] = [];
  let heads = 0;
  const r = new ResponseReader(
    'GET',
    (c) => body.push(c),
    () => heads++,
  );
  for (let i = 0; i < raw.length; i++) r.push(raw.subarray(i, i + 1));
  r.end();
  assert.equal(heads, 1);
  assert.equal(r.head!.status, 200);
  assert.equal(Buffer.concat(body).toString(), 'abc0123456789abcdef');

  const up: Buffer[] = [];
  const u = new ResponseReader('POST', (c) => up.push(c));
  u.push(Buffer.from('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nUpgrade: tcp\r\n\r\nfirst'));
  u.push(Buffer.from('-second'));
  u.end();
  assert.equal(Buffer.concat(up).toString(), 'first-second');

  const cut: Buffer[] = [];
  const l = new ResponseReader('GET', (c) => cut.push(c));
  l.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab'));
  assert.throws(() => l.end(), /before the whole answer/);
  l.push(Buffer.from('cdEXTRA'));
  l.end();
  assert.equal(Buffer.concat(cut).toString(), 'abcd');
});

test('Transport.stream: the body as it arrives, the head before the end; errors reject the head; no daemon is a ConnectError', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-unix-stream-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const socketPath = join(dir, 's.sock');
  let finish: (() => void) | undefined;
  const server = createServer((req, res) => {
    if (finish && req.url!.includes('/slow')) {
      res.writeHead(200).write('held');
      return;
    }
    if (req.url!.includes('/slow')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('part1,');
      finish = () => res.end('part2');
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"No such container: x"}');
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  t.after(() => server.close());
  const c = new DockerClient(`unix://${socketPath}`);
  const got: string[] = [];
  const s = c.stream('GET', '/slow', {}, (b) => {
    got.push(b.toString());
    if (got.join('') === 'part1,') finish!(); // the end is sent only after the first part was read
  })!;
  assert.equal((await s.head).status, 200);
  await s.done;
  assert.equal(got.join(''), 'part1,part2');

  // close() ends an answer that has not ended (the server never finishes this one)
  const held = c.stream('GET', '/slow', {}, () => {})!;
  await held.head;
  held.close();
  await assert.rejects(held.done, (err: unknown) => (err as { code?: string }).code === 'ERR_CLOSED');

  const e = c.stream('GET', '/containers/x/json', {}, () => assert.fail('no body for an error'))!;
  await assert.rejects(e.head, (err: unknown) => err instanceof ApiError && err.status === 404 && err.message === 'No such container: x');
  await assert.rejects(e.done, (err: unknown) => err instanceof ApiError && err.status === 404);

  const gone = new DockerClient(`unix://${join(dir, 'missing.sock')}`).stream('GET', '/version', {}, () => {})!;
  await assert.rejects(gone.head, (err: unknown) => err instanceof ConnectError);
  await assert.rejects(gone.done, (err: unknown) => err instanceof ConnectError);
  assert.equal(
    new DockerClient('tcp://127.0.0.1:1').stream('GET', '/version', {}, () => {}),
    undefined,
  );
});
