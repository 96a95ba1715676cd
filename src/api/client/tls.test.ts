import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientTls } from './tls.js';

const none = () => false;
const all = () => true;

test("the docker CLI's TLS choice: off by default, --tlsverify or DOCKER_TLS_VERIFY verify, --tls alone does not", () => {
  assert.equal(clientTls({}, {}, '/h', all), undefined);
  assert.deepEqual(clientTls({ tlsverify: true }, {}, '/h', all), {
    verify: true,
    caFile: '/h/.docker/ca.pem',
    certFile: '/h/.docker/cert.pem',
    keyFile: '/h/.docker/key.pem',
  });
  assert.deepEqual(clientTls({}, { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/c' }, '/h', none), { verify: true, caFile: '/c/ca.pem' });
  assert.deepEqual(clientTls({ tls: true }, {}, '/h', none), { verify: false });
  // naming --tlsverify at all turns TLS on, even =false (as docker)
  assert.deepEqual(clientTls({ tlsverify: false }, { DOCKER_TLS_VERIFY: '1' }, '/h', none), { verify: false });
  assert.deepEqual(clientTls({ tlsverify: true, tlscacert: '/a', tlscert: '/b', tlskey: '/k' }, {}, '/h', none), {
    verify: true,
    caFile: '/a',
    certFile: '/b',
    keyFile: '/k',
  });
});
