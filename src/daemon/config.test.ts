import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDaemonArgs, type DaemonConfig } from './config.js';

const parse = (argv: string[]) => parseDaemonArgs(argv) as DaemonConfig;

test("--bip takes dockerd's address/prefix form and a plain subnet", () => {
  assert.deepEqual([parse(['--bip', '10.231.7.1/24']).bip, parse(['--bip', '10.231.7.1/24']).bipGateway], ['10.231.7.0/24', '10.231.7.1']);
  assert.deepEqual([parse(['--bip', '10.88.0.0/16']).bip, parse(['--bip', '10.88.0.0/16']).bipGateway], ['10.88.0.0/16', undefined]);
  assert.equal(parse(['--bip', '172.30.5.9/16']).bipGateway, '172.30.5.9');
  assert.throws(() => parse(['--bip', 'nonsense']), /invalid CIDR address: nonsense/);
  assert.equal(parse([]).bip, undefined);
});

test('--host must be a unix socket; --runtime crun or runc', () => {
  assert.equal(parse(['-H', 'unix:///tmp/x.sock']).socketPath, '/tmp/x.sock');
  assert.throws(() => parse(['-H', 'tcp://0.0.0.0:2375']), /only unix sockets/);
  assert.throws(() => parse(['--runtime', 'kata']), /unsupported runtime kata/);
  assert.deepEqual(parse(['--dns', '10.0.0.2', '--dns', '10.0.0.3']).dns, ['10.0.0.2', '10.0.0.3']);
});

test('--dashboard is off unless given', () => {
  assert.equal(parse([]).dashboard, undefined);
  assert.equal(parse(['--dashboard', '127.0.0.1:7070']).dashboard, '127.0.0.1:7070');
});

test('--dashboard-tls-cert and --dashboard-tls-key go together, with --dashboard', () => {
  const c = parse(['--dashboard', '0.0.0.0:7443', '--dashboard-tls-cert', '/c.pem', '--dashboard-tls-key', '/k.pem']);
  assert.deepEqual([c.dashboardTlsCert, c.dashboardTlsKey], ['/c.pem', '/k.pem']);
  assert.throws(() => parse(['--dashboard', '0.0.0.0:7443', '--dashboard-tls-cert', '/c.pem']), /go together/);
  assert.throws(() => parse(['--dashboard-tls-cert', '/c.pem', '--dashboard-tls-key', '/k.pem']), /needs --dashboard/);
});
