import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDaemonArgs, type DaemonConfig } from './config.js';

const withFile = (json: unknown, argv: string[] = []) =>
  parseDaemonArgs(argv, (p) => (p === '/etc/berth/daemon.json' ? JSON.stringify(json) : undefined)) as DaemonConfig;

test("daemon.json: dockerd's keys set what the flags set", () => {
  const c = withFile({
    'data-root': '/srv/berth',
    hosts: ['unix:///tmp/b.sock'],
    debug: true,
    dns: ['10.0.0.2'],
    'insecure-registries': ['reg.local:5000'],
    'default-address-pools': [{ base: '10.99.0.0/16', size: 24 }],
    'cgroup-parent': '/x',
    'log-driver': 'json-file',
    'log-opts': { 'max-size': '10m', 'max-file': '3' },
  });
  assert.equal(c.dataRoot, '/srv/berth');
  assert.equal(c.socketPath, '/tmp/b.sock');
  assert.equal(c.debug, true);
  assert.deepEqual(c.dns, ['10.0.0.2']);
  assert.deepEqual(c.insecureRegistries, ['reg.local:5000']);
  assert.equal(c.addressPools.length, 1);
  assert.equal(c.cgroupParent, '/x');
  assert.deepEqual(c.logConfig, { type: 'json-file', config: { 'max-size': '10m', 'max-file': '3' } });
  // No file: the defaults; flags alone work as before.
  assert.deepEqual((parseDaemonArgs([], () => undefined) as DaemonConfig).logConfig, { type: 'json-file', config: {} });
  assert.deepEqual((parseDaemonArgs(['--log-opt', 'max-size=1m']) as DaemonConfig).logConfig.config, { 'max-size': '1m' });
});

test('daemon.json: unknown keys and keys also given as flags are errors naming them all, as dockerd', () => {
  assert.throws(() => withFile({ foo: 1, bar: 2, debug: true }), /the following directives don't match any configuration option: foo, bar/);
  assert.throws(
    () => withFile({ debug: false, 'data-root': '/a' }, ['--debug', '--data-root', '/b']),
    /specified both as a flag and in the configuration file: debug: \(from flag: true, from file: false\), data-root: \(from flag: \/b, from file: \/a\)/,
  );
  assert.throws(() => withFile({ hosts: ['unix:///a'] }, ['-H', 'unix:///b']), /both as a flag and in the configuration file: hosts/);
  assert.throws(() => withFile({ debug: 'yes' }), /invalid value for "debug": want true or false/);
  assert.throws(() => withFile({ 'log-opts': { 'max-size': 5 } }), /invalid value for "log-opts"/);
  assert.throws(() => withFile({ 'log-opts': { 'max-size': 'lots' } }), /invalid size: 'lots'/);
  assert.throws(() => withFile([1]), /must hold a JSON object/);
  assert.throws(() => parseDaemonArgs([], () => '{nope'), /unable to configure the Berth daemon with file \/etc\/berth\/daemon.json/);
  // An explicit --config-file that does not exist is an error; the default one may be absent.
  assert.throws(() => parseDaemonArgs(['--config-file', '/nope.json'], () => undefined), /\/nope.json: no such file/);
});

test('daemon.json: tls, tlsverify and no-new-privileges are booleans whose false counts, as dockerd', () => {
  const plain = withFile({ tls: false, hosts: ['tcp://0.0.0.0:2375'] });
  assert.deepEqual(plain.tcpListeners, [{ host: '0.0.0.0', port: 2375 }]);
  assert.equal(plain.tls, undefined);
  const mtls = withFile({
    tlsverify: true,
    tlscacert: '/c/ca.pem',
    tlscert: '/c/cert.pem',
    tlskey: '/c/key.pem',
    hosts: ['tcp://0.0.0.0'],
    'no-new-privileges': true,
  });
  assert.deepEqual(mtls.tls, { certFile: '/c/cert.pem', keyFile: '/c/key.pem', caFile: '/c/ca.pem', verifyClients: true });
  assert.deepEqual(mtls.tcpListeners, [{ host: '0.0.0.0', port: 2376 }]);
  assert.equal(mtls.noNewPrivileges, true);
  assert.throws(() => withFile({ tls: 'yes' }), /invalid value for "tls"/);
  assert.throws(() => withFile({ tlsverify: true }, ['--tlsverify']), /both as a flag and in the configuration file: tlsverify/);
});
