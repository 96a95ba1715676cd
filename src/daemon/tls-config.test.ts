import { test } from 'node:test';
import assert from 'node:assert/strict';
import { daemonTls, splitGoBools } from './tls-config.js';

test("dockerd's TLS flags: --tlsverify implies --tls, DOCKER_TLS_VERIFY turns it on, DOCKER_CERT_PATH moves the defaults", () => {
  assert.equal(daemonTls({}, {}, '/root'), undefined);
  assert.deepEqual(daemonTls({ tlsverify: true }, {}, '/root'), {
    certFile: '/root/.docker/cert.pem',
    keyFile: '/root/.docker/key.pem',
    caFile: '/root/.docker/ca.pem',
    verifyClients: true,
  });
  assert.deepEqual(daemonTls({}, { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' }, '/root'), {
    certFile: '/certs/cert.pem',
    keyFile: '/certs/key.pem',
    caFile: '/certs/ca.pem',
    verifyClients: true,
  });
  assert.equal(daemonTls({ tlsverify: false }, { DOCKER_TLS_VERIFY: '1' }, '/root'), undefined);
  assert.deepEqual(daemonTls({ tls: true, cert: '/c', key: '/k' }, {}, '/root'), { certFile: '/c', keyFile: '/k', verifyClients: false });
});

test('Go-style booleans come out of argv; a bad value is an error', () => {
  assert.deepEqual(splitGoBools(['--tls', '-H', 'x', '--tlsverify=false'], ['tls', 'tlsverify']), {
    bools: { tls: true, tlsverify: false },
    rest: ['-H', 'x'],
  });
  assert.deepEqual(splitGoBools(['--tlscert', '/c'], ['tls']), { bools: {}, rest: ['--tlscert', '/c'] });
  assert.throws(() => splitGoBools(['--tls=yes'], ['tls']), /invalid value for --tls/);
});
