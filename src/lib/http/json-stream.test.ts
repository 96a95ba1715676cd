import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { invalidArgument } from '../errors.js';
import { JsonStream } from './json-stream.js';
import { writeError } from './error-status.js';

/** Serves one request with `handle`, as a route would (a thrown error becomes the status). */
async function serve(handle: (s: JsonStream) => Promise<void>): Promise<{ status: number; lines: unknown[] }> {
  const server = createServer((_req, res) => {
    const s = new JsonStream(res);
    handle(s).catch((e: unknown) => writeError(res, e, (x) => ({ message: (x as Error).message })));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise((resolve, reject) => {
      request({ port, host: '127.0.0.1', path: '/' }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, lines: text.split('\r\n').filter(Boolean).map((l) => JSON.parse(l) as unknown) }));
      }).on('error', reject).end();
    });
  } finally {
    server.close();
  }
}

test('an error before the first message is the HTTP status', async () => {
  const r = await serve(async (s) => {
    try {
      throw invalidArgument('bad tag');
    } catch (e) {
      s.fail(e);
    }
  });
  assert.equal(r.status, 400);
  assert.deepEqual(r.lines, [{ message: 'bad tag' }]);
});

test('after the first message, errors go in-band as errorDetail (with a numeric code when given)', async () => {
  const r = await serve(async (s) => {
    s.send({ status: 'Pulling fs layer' });
    s.fail(new Error('step failed'), 2);
    s.end();
  });
  assert.equal(r.status, 200);
  assert.deepEqual(r.lines, [{ status: 'Pulling fs layer' }, { errorDetail: { code: 2, message: 'step failed' }, error: 'step failed' }]);
  const plain = await serve(async (s) => {
    s.start();
    s.fail(new Error('gone'));
    s.end();
  });
  assert.deepEqual(plain.lines, [{ errorDetail: { message: 'gone' }, error: 'gone' }]);
});

test('start() answers 200 before anything is reported', async () => {
  const r = await serve(async (s) => {
    assert.equal(s.started, false);
    s.start();
    assert.equal(s.started, true);
    s.end();
  });
  assert.equal(r.status, 200);
  assert.deepEqual(r.lines, []);
});
