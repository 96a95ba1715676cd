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

test('--host: one unix socket, plain TCP on loopback; other addresses only with an explicit --tls=false', () => {
  assert.equal(parse(['-H', 'unix:///tmp/x.sock']).socketPath, '/tmp/x.sock');
  assert.deepEqual(parse(['-H', 'unix:///tmp/x.sock']).tcpListeners, []);
  assert.equal(parse([]).socketPath, '/run/berth/berth.sock');
  const both = parse(['-H', 'unix:///tmp/x.sock', '-H', 'tcp://localhost']);
  assert.deepEqual([both.socketPath, both.tcpListeners], ['/tmp/x.sock', [{ host: '127.0.0.1', port: 2375 }]]);
  const tcpOnly = parse(['-H', 'tcp://[::1]:2400']);
  assert.deepEqual([tcpOnly.socketPath, tcpOnly.tcpListeners], [undefined, [{ host: '::1', port: 2400 }]]);
  for (const h of ['tcp://0.0.0.0:2375', 'tcp://:2375', 'tcp://10.1.2.3:2375', 'tcp://example.com:2375'])
    assert.throws(() => parse(['-H', h]), /refusing to serve the API on .* without TLS: anyone who can reach it is root/, h);
  assert.deepEqual(parse(['--tls=false', '-H', 'tcp://0.0.0.0:2376']).tcpListeners, [{ host: '0.0.0.0', port: 2376 }]);
  assert.throws(() => parse(['--tls=maybe']), /invalid value for --tls/);
  assert.throws(() => parse(['-H', 'unix:///a', '-H', 'unix:///b']), /only one unix socket/);
  assert.throws(() => parse(['-H', 'ssh://x']), /invalid --host/);
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

test('--default-address-pool is repeatable and checked at start', () => {
  const c = parse(['--default-address-pool', 'base=10.20.0.0/16,size=24', '--default-address-pool', 'base=10.30.0.0/16,size=20']);
  assert.deepEqual(
    c.addressPools.map((p) => [p.base.prefix, p.size]),
    [
      [16, 24],
      [16, 20],
    ],
  );
  assert.deepEqual(parse([]).addressPools, []);
  assert.throws(() => parse(['--default-address-pool', 'base=10.20.0.0/16']), /invalid default address pool/);
});

test('--tls / --tlsverify: TLS on the TCP listeners, default port 2376, any address; files default to ~/.docker', () => {
  const v = parse(['--tlsverify', '--tlscacert', '/p/ca.pem', '--tlscert', '/p/c.pem', '--tlskey', '/p/k.pem', '-H', 'tcp://0.0.0.0']);
  assert.deepEqual(v.tls, { certFile: '/p/c.pem', keyFile: '/p/k.pem', caFile: '/p/ca.pem', verifyClients: true });
  assert.deepEqual(v.tcpListeners, [{ host: '0.0.0.0', port: 2376 }]);
  const s = parse(['--tls', '-H', 'tcp://10.1.2.3:2376', '--tlscert', '/c', '--tlskey', '/k']);
  assert.deepEqual(s.tls, { certFile: '/c', keyFile: '/k', verifyClients: false });
  assert.equal(parse(['--tls=false', '-H', 'tcp://127.0.0.1:1']).tls, undefined);
  assert.equal(parse(['--tlsverify=false', '-H', 'tcp://127.0.0.1:1']).tls, undefined);
});
