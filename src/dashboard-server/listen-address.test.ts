import { test } from 'node:test';
import assert from 'node:assert/strict';
import { originOf, parseDashboardAddress } from './listen-address.js';

test('loopback addresses are accepted; anything else is refused without TLS', () => {
  assert.deepEqual(parseDashboardAddress('127.0.0.1:7070'), { host: '127.0.0.1', port: 7070 });
  assert.deepEqual(parseDashboardAddress('localhost:7070'), { host: '127.0.0.1', port: 7070 });
  assert.deepEqual(parseDashboardAddress('[::1]:7070'), { host: '::1', port: 7070 });
  assert.deepEqual(parseDashboardAddress('7070'), { host: '127.0.0.1', port: 7070 });
  assert.deepEqual(parseDashboardAddress('127.0.0.2:0'), { host: '127.0.0.2', port: 0 });
  for (const bad of ['0.0.0.0:7070', ':7070', '192.168.1.5:7070', '[::]:7070', 'example.com:7070']) {
    assert.throws(() => parseDashboardAddress(bad), /only a loopback address/, bad);
  }
  // with TLS any address is allowed
  assert.deepEqual(parseDashboardAddress('0.0.0.0:7443', { tls: true }), { host: '0.0.0.0', port: 7443 });
  assert.deepEqual(parseDashboardAddress('[::]:7443', { tls: true }), { host: '::', port: 7443 });
  assert.throws(() => parseDashboardAddress('0.0.0.0:7070'), /give --dashboard-tls-cert and --dashboard-tls-key/);
  for (const bad of ['127.0.0.1', '127.0.0.1:99999', 'x:y']) assert.throws(() => parseDashboardAddress(bad), /invalid --dashboard/, bad);
  assert.equal(originOf({ host: '::1', port: 80 }), 'http://[::1]:80');
  assert.equal(originOf({ host: '10.0.0.5', port: 7443 }, 'https'), 'https://10.0.0.5:7443');
});
