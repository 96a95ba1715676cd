import { test } from 'node:test';
import { isBerthError } from '../errors.js';
import assert from 'node:assert/strict';
import { Router } from './router.js';
import type { Route } from './route.js';

const handler = async () => {};
const routes: Route[] = [
  { method: 'GET', path: '/containers/{id}/json', handler },
  { method: 'GET', path: '/images/{name*}/json', handler },
  { method: 'DELETE', path: '/images/{name*}', handler },
  { method: 'HEAD', path: '/v2/{name*}/blobs/{digest}', handler },
  { method: 'GET', path: '/v2/{name*}/blobs/{digest}', handler },
  { method: 'GET', path: '/_ping', handler },
];
const router = new Router(routes);

test('{id} is one segment, {name*} the rest with slashes, both decoded', () => {
  const m = router.match('GET', '/containers/abc/json');
  assert.ok(m && m !== 'method');
  assert.deepEqual(m.params, { id: 'abc' });
  assert.equal(router.match('GET', '/containers/a/b/json'), undefined);
  const i = router.match('GET', '/images/localhost%3A5000/a/b:1/json');
  assert.ok(i && i !== 'method');
  assert.deepEqual(i.params, { name: 'localhost:5000/a/b:1' });
});

test('a path under another method is told apart from no path at all', () => {
  assert.equal(router.match('POST', '/containers/abc/json'), 'method');
  assert.equal(router.match('GET', '/nothing'), undefined);
});

test('HEAD falls back to GET, but a HEAD route wins', () => {
  const ping = router.match('HEAD', '/_ping');
  assert.ok(ping && ping !== 'method');
  assert.equal(ping.route.method, 'GET');
  const blob = router.match('HEAD', '/v2/a/b/blobs/sha256:00');
  assert.ok(blob && blob !== 'method');
  assert.equal(blob.route.method, 'HEAD');
  assert.deepEqual(blob.params, { name: 'a/b', digest: 'sha256:00' });
});

test('regex characters in a pattern are literal', () => {
  const r = new Router<never>([{ method: 'GET', path: '/a.b/{x}', handler }]);
  assert.equal(r.match('GET', '/aXb/1'), undefined);
  assert.ok(r.match('GET', '/a.b/1'));
});

test('a malformed escape in a path parameter is the client error, not a 500', () => {
  assert.throws(
    () => router.match('GET', '/containers/%FF%FE/json'),
    (e: unknown) => isBerthError(e, 'invalid-argument') && /invalid URL escape/.test((e as Error).message),
  );
  const ok = router.match('GET', '/containers/a%20b/json');
  assert.ok(ok && ok !== 'method');
  assert.equal(ok.params.id, 'a b');
});
