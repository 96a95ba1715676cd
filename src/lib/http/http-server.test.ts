import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBerthError, messageOf, notFound } from '../errors.js';
import { HttpServer } from './http-server.js';
import { readJsonObject } from './request.js';
import { sendJson } from './route.js';
import { httpCall as call } from './testing/http-call.js';

test('a server without Engine specifics: its own prefix, context and error body', async (t) => {
  const server = new HttpServer({
    name: 'registry-test',
    // The OCI distribution error envelope, from the same status table.
    errorBody: (e) => ({ errors: [{ code: isBerthError(e) ? e.code : 'UNKNOWN', message: messageOf(e), detail: null }] }),
    prepare: ({ url }) => ({ path: url.pathname, context: (base) => ({ ...base, started: 'now' }) }),
    routes: [
      {
        method: 'GET',
        path: '/v2/{name*}/manifests/{ref}',
        handler: async (ctx) => sendJson(ctx.res, 200, { name: ctx.params.name, ref: ctx.params.ref, n: ctx.query.int('n'), started: ctx.started }),
      },
      { method: 'PUT', path: '/v2/{name*}/tags', handler: async (ctx) => sendJson(ctx.res, 201, await readJsonObject(ctx.body)) },
      {
        method: 'GET',
        path: '/v2/{name*}/blobs/{digest}',
        handler: async () => {
          throw notFound('blob unknown to registry', undefined, { code: 'BLOB_UNKNOWN' });
        },
      },
    ],
  });
  const port = await server.listenTcp(0, '127.0.0.1');
  t.after(() => server.close());

  const ok = await call(port, 'GET', '/v2/a/b/manifests/latest?n=3');
  assert.equal(ok.status, 200);
  assert.deepEqual(JSON.parse(ok.text), { name: 'a/b', ref: 'latest', n: 3, started: 'now' });
  assert.equal(ok.headers['api-version'], undefined, 'no Docker headers outside the Engine API');

  const put = await call(port, 'PUT', '/v2/a/tags/', '{"x":1}');
  assert.equal(put.status, 201, 'a trailing slash reaches the same route');
  assert.deepEqual(JSON.parse(put.text), { x: 1 });

  const blob = await call(port, 'GET', '/v2/a/blobs/sha256:00');
  assert.equal(blob.status, 404);
  assert.deepEqual(JSON.parse(blob.text), { errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry', detail: null }] });

  const head = await call(port, 'HEAD', '/v2/a/b/manifests/latest');
  assert.equal(head.status, 200);
  assert.equal(head.text, '');

  const none = await call(port, 'GET', '/nowhere');
  assert.equal(none.status, 404);
  assert.deepEqual(JSON.parse(none.text), { errors: [{ code: 'NOT_FOUND', message: 'page not found', detail: null }] });
  assert.equal((await call(port, 'DELETE', '/v2/a/manifests/x')).status, 404, 'a path under another method is a 404 too');
});
