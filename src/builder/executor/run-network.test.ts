import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolvConfText } from '../../lib/etc-files.js';
import { runNetworkMode, setUpRunNetwork, withHostGateway } from './run-network.js';

test('a step flag host/none wins; otherwise the build mode, default meaning the bridge', () => {
  assert.equal(runNetworkMode(undefined, undefined), 'bridge');
  assert.equal(runNetworkMode(undefined, 'default'), 'bridge');
  assert.equal(runNetworkMode('default', 'none'), 'none');
  assert.equal(runNetworkMode(undefined, 'host'), 'host');
  assert.equal(runNetworkMode('none', 'host'), 'none');
  assert.equal(runNetworkMode('host', 'bridge'), 'host');
  assert.equal(runNetworkMode('default', 'bridge'), 'bridge');
});

test('resolv.conf: given servers, else the host ones minus loopback, else Google; search and options kept', () => {
  const host = 'nameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch example.org\noptions edns0\n';
  assert.equal(resolvConfText(host, []), 'nameserver 10.0.0.2\nsearch example.org\noptions edns0\n');
  assert.equal(resolvConfText(host, ['127.0.0.1']), 'nameserver 127.0.0.1\nsearch example.org\noptions edns0\n');
  assert.equal(resolvConfText('nameserver 127.0.0.53\n', []), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
});

// Attaching and releasing sandboxes runs against the real NetworkManager in
// test/integration/build/build-network.test.ts.
test('none gets loopback only and a 127.0.1.1 hostname; a bridge step without a network manager never gets the host namespace', async () => {
  const none = await setUpRunNetwork('build-y', 'def', 'none', {});
  assert.equal(none.netns, 'new');
  assert.match(none.hosts, /^127\.0\.0\.1\tlocalhost\n/);
  assert.match(none.hosts, /127\.0\.1\.1\tdef\n$/);
  assert.equal((await setUpRunNetwork('build-z', 'ghi', 'host', {})).netns, 'host');
  assert.equal((await setUpRunNetwork('build-w', 'jkl', 'bridge', {})).netns, 'new');
});

test('--add-host entries land in every mode’s /etc/hosts, split at the first colon (IPv6 addresses)', async () => {
  const extraHosts = ['db:10.0.0.9', 'v6:::1'];
  const none = await setUpRunNetwork('build-a', 'abc', 'none', { extraHosts });
  assert.match(none.hosts, /\n10\.0\.0\.9\tdb\n::1\tv6\n127\.0\.1\.1\tabc\n$/);
  const host = await setUpRunNetwork('build-b', 'abd', 'host', { extraHosts });
  assert.match(host.hosts, /\n10\.0\.0\.9\tdb\n::1\tv6\n$/);
});

test('host-gateway is the default bridge gateway; without one it is an error', () => {
  const networks = { find: (ref: string) => (ref === 'bridge' ? ({ gateway: '10.9.0.1' } as never) : undefined) };
  assert.deepEqual(withHostGateway(['a:1.2.3.4', 'gw:host-gateway'], networks), ['a:1.2.3.4', 'gw:10.9.0.1']);
  assert.throws(() => withHostGateway(['gw:host-gateway'], undefined), /unable to derive the IP value for host-gateway/);
});
