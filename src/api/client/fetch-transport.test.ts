import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FetchClient } from './fetch-client.js';
import { StdFrameReader } from './std-frames.js';
import { stdcopyFrame } from './stdcopy.js';
import { ApiError } from './errors.js';

test('the fetch client: base URL, version prefix, headers, JSON, errors and streams', async (t) => {
  const seen: { method: string; url: string; csrf: string | undefined; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, csrf: req.headers['x-csrf'] as string | undefined, body });
      if (req.url!.includes('/containers/json')) return void res.end(JSON.stringify([{ Id: 'a' }]));
      if (req.url!.includes('/nope/')) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"No such container: nope"}');
      if (req.url!.includes('/events')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"Type":"container","Act');
        setTimeout(() => res.end('ion":"start"}\n{"Type":"network","Action":"connect"}\n'), 20);
        return;
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const { port } = server.address() as AddressInfo;
  let token = 'one';
  const c = new FetchClient({ baseUrl: `http://127.0.0.1:${port}/api/`, headers: () => ({ 'x-csrf': token }) });

  assert.deepEqual(await c.containerList({ all: true }), [{ Id: 'a' }]);
  token = 'two';
  await c.containerStop('web', { t: 3 });
  await assert.rejects(c.containerInspect('nope'), (e: unknown) => e instanceof ApiError && e.status === 404 && e.message === 'No such container: nope');
  const events = [];
  for await (const e of c.events()) events.push(e.Action);
  assert.deepEqual(events, ['start', 'connect']);
  assert.deepEqual(
    seen.slice(0, 2).map((s) => [s.method, s.url, s.csrf]),
    [
      ['GET', '/api/v1.45/containers/json?all=1', 'one'],
      ['POST', '/api/v1.45/containers/web/stop?t=3', 'two'],
    ],
  );
});

test('StdFrameReader splits Docker frames across any chunking', () => {
  const wire = Buffer.concat([stdcopyFrame(1, 'hello\n'), stdcopyFrame(2, 'oops\n'), stdcopyFrame(1, 'bye')]);
  for (const size of [1, 3, 7, 8, 9, wire.length]) {
    const out: string[] = [];
    const r = new StdFrameReader((s, d) => out.push(`${s}:${Buffer.from(d).toString()}`));
    for (let i = 0; i < wire.length; i += size) r.push(new Uint8Array(wire.subarray(i, i + size)));
    assert.equal(
      out.join('').replace(/\d:/g, (m) => m),
      out.join(''),
    );
    const joined = { 1: '', 2: '' } as Record<string, string>;
    for (const o of out) joined[o[0]!] += o.slice(2);
    assert.deepEqual(joined, { 1: 'hello\nbye', 2: 'oops\n' }, `chunks of ${size}`);
  }
});

test('the fetch client sends a tar body as bytes (build) and reads the archive stat header', async (t) => {
  const seen: { url: string; type: string | undefined; body: Buffer }[] = [];
  const stat = { name: 'hé.txt', size: 5, mode: 420, mtime: '2026-01-01T00:00:00Z', linkTarget: '' };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ url: req.url!, type: req.headers['content-type'], body: Buffer.concat(chunks) });
      if (req.url!.startsWith('/api/v1.45/build')) return void res.end('{"stream":"Step 1/1 : FROM scratch\\n"}\n{"aux":{"ID":"sha256:abc"}}\n');
      res.writeHead(200, { 'X-Docker-Container-Path-Stat': Buffer.from(JSON.stringify(stat)).toString('base64') }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const { port } = server.address() as AddressInfo;
  const c = new FetchClient({ baseUrl: `http://127.0.0.1:${port}/api` });
  const tar = new Uint8Array([0, 1, 2, 255]);
  const msgs = [];
  for await (const m of c.imageBuild(tar, { t: 'app:1' })) msgs.push(m);
  assert.deepEqual(msgs, [{ stream: 'Step 1/1 : FROM scratch\n' }, { aux: { ID: 'sha256:abc' } }]);
  assert.equal(seen[0]!.url, '/api/v1.45/build?t=app%3A1&rm=1&version=1');
  assert.equal(seen[0]!.type, 'application/x-tar');
  assert.deepEqual([...seen[0]!.body], [0, 1, 2, 255], 'the bytes, not their JSON');
  assert.deepEqual(await c.containerArchiveStat('web', '/srv/hé.txt'), stat, 'UTF-8 inside the base64');
  assert.equal(seen[1]!.url, '/api/v1.45/containers/web/archive?path=%2Fsrv%2Fh%C3%A9.txt');
});
