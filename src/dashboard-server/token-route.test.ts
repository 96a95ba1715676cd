import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpServer } from '../lib/http/http-server.js';
import { httpCall } from '../lib/http/testing/http-call.js';
import { dashboardTokenRoutes } from './token-route.js';

async function serve(source: Parameters<typeof dashboardTokenRoutes>[0]): Promise<{ port: number; close: () => Promise<void> }> {
  const s = new HttpServer({
    name: 't',
    errorBody: (e) => ({ message: (e as Error).message }),
    prepare: ({ url }) => ({ path: url.pathname, context: (b) => b }),
    routes: dashboardTokenRoutes(source),
  });
  return { port: await s.listenTcp(0, '127.0.0.1'), close: () => s.close() };
}

test('the token route hands out a login URL, or says how to enable the dashboard', async (t) => {
  const on = await serve({ loginUrl: () => ({ url: 'http://127.0.0.1:7070/login?token=abc', expiresInSeconds: 300 }) });
  t.after(on.close);
  const r = await httpCall(on.port, 'POST', '/berth/dashboard/token');
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.text), { URL: 'http://127.0.0.1:7070/login?token=abc', ExpiresInSeconds: 300 });
  assert.equal((await httpCall(on.port, 'GET', '/berth/dashboard/token')).status, 404, 'minting is a POST');

  const off = await serve(undefined);
  t.after(off.close);
  const none = await httpCall(off.port, 'POST', '/berth/dashboard/token');
  assert.equal(none.status, 404);
  assert.match(JSON.parse(none.text).message, /--dashboard 127\.0\.0\.1:7070/);
});
