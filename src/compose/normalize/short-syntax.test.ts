import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePortSpec } from './port-spec.js';
import { parseVolumeSpec } from './volume-spec.js';
import { shellSplit } from './shell-split.js';
import { formatGoDuration, listOrDict, toBool, toBytes, toDuration } from './cast.js';
import { extraHosts } from './fields.js';

test('ports: short syntax forms', () => {
  assert.deepEqual(parsePortSpec(80), [{ mode: 'ingress', target: 80, protocol: 'tcp' }]);
  assert.deepEqual(parsePortSpec('80'), [{ mode: 'ingress', target: 80, protocol: 'tcp' }]);
  assert.deepEqual(parsePortSpec('8080:80'), [{ mode: 'ingress', target: 80, published: '8080', protocol: 'tcp' }]);
  assert.deepEqual(parsePortSpec('53:53/udp'), [{ mode: 'ingress', target: 53, published: '53', protocol: 'udp' }]);
  assert.deepEqual(parsePortSpec('127.0.0.1:8080:80'), [{ mode: 'ingress', host_ip: '127.0.0.1', target: 80, published: '8080', protocol: 'tcp' }]);
  assert.deepEqual(parsePortSpec('127.0.0.1::80'), [{ mode: 'ingress', host_ip: '127.0.0.1', target: 80, protocol: 'tcp' }]);
  assert.deepEqual(parsePortSpec('[::1]:8080:80/tcp'), [{ mode: 'ingress', host_ip: '::1', target: 80, published: '8080', protocol: 'tcp' }]);
  assert.deepEqual(parsePortSpec('::1:8080:80'), [{ mode: 'ingress', host_ip: '::1', target: 80, published: '8080', protocol: 'tcp' }]);
  assert.deepEqual(parsePortSpec('[fe80::1]::80'), [{ mode: 'ingress', host_ip: 'fe80::1', target: 80, protocol: 'tcp' }]);
});

test('ports: ranges', () => {
  assert.deepEqual(
    parsePortSpec('8000-8002:80-82').map((p) => [p.published, p.target]),
    [
      ['8000', 80],
      ['8001', 81],
      ['8002', 82],
    ],
  );
  assert.deepEqual(
    parsePortSpec('3000-3002').map((p) => [p.published, p.target]),
    [
      [undefined, 3000],
      [undefined, 3001],
      [undefined, 3002],
    ],
  );
  assert.deepEqual(parsePortSpec('9090-9091:8080'), [{ mode: 'ingress', target: 8080, published: '9090-9091', protocol: 'tcp' }]);
  assert.throws(() => parsePortSpec('8000-8001:80-82'), /invalid ranges/);
  assert.throws(() => parsePortSpec('abc'), /invalid port/);
  assert.throws(() => parsePortSpec('90-80'), /invalid port range/);
  assert.throws(() => parsePortSpec('1:2:3:4:5'), /invalid IP address/);
  assert.throws(() => parsePortSpec('localhost:80:80'), /invalid IP address/);
});

test('volumes: short syntax, bind vs named vs anonymous', () => {
  assert.deepEqual(parseVolumeSpec('/anon'), { type: 'volume', target: '/anon' });
  assert.deepEqual(parseVolumeSpec('named:/x'), { type: 'volume', source: 'named', target: '/x' });
  assert.deepEqual(parseVolumeSpec('named:/x:ro,nocopy'), { type: 'volume', source: 'named', target: '/x', read_only: true, volume: { nocopy: true } });
  assert.deepEqual(parseVolumeSpec('./data:/data:ro'), { type: 'bind', source: './data', target: '/data', read_only: true, bind: { create_host_path: true } });
  assert.deepEqual(parseVolumeSpec('/host:/c:rw,Z,rshared'), {
    type: 'bind',
    source: '/host',
    target: '/c',
    bind: { create_host_path: true, selinux: 'Z', propagation: 'rshared' },
  });
  assert.deepEqual(parseVolumeSpec('~/x:/x'), { type: 'bind', source: '~/x', target: '/x', bind: { create_host_path: true } });
  assert.deepEqual(parseVolumeSpec('../up:/x:cached'), {
    type: 'bind',
    source: '../up',
    target: '/x',
    consistency: 'cached',
    bind: { create_host_path: true },
  });
  assert.deepEqual(parseVolumeSpec('C:\\data:/data'), { type: 'bind', source: 'C:\\data', target: '/data', bind: { create_host_path: true } });
  assert.throws(() => parseVolumeSpec('a:b:c:d'), /too many colons/);
  assert.throws(() => parseVolumeSpec('named:/x:bogus'), /unknown option/);
  assert.throws(() => parseVolumeSpec('named:/x:z'), /bind options on a named volume/);
});

test('shell split like go-shellwords without expansion', () => {
  assert.deepEqual(shellSplit('echo "hello world" \'a b\' c\\ d'), ['echo', 'hello world', 'a b', 'c d']);
  assert.deepEqual(shellSplit('  sh -c "echo \\"$HOME\\""  '), ['sh', '-c', 'echo "$HOME"']);
  assert.deepEqual(shellSplit(''), []);
  assert.deepEqual(shellSplit('a""b \'\''), ['ab', '']);
  assert.throws(() => shellSplit('echo "open'), /unterminated double quote/);
  assert.throws(() => shellSplit("echo 'open"), /unterminated single quote/);
});

test('casts: durations in Go spelling, sizes, booleans, list-or-dict', () => {
  assert.equal(toDuration('90s'), '1m30s');
  assert.equal(toDuration('1h'), '1h0m0s');
  assert.equal(toDuration('1.5s'), '1.5s');
  assert.equal(toDuration('500ms'), '500ms');
  assert.equal(toDuration('0'), '0s');
  assert.equal(formatGoDuration(1500n), '1.5µs');
  assert.throws(() => toDuration('10'), /invalid duration/);
  assert.equal(toBytes('512m'), 536870912);
  assert.equal(toBytes('1gb'), 1073741824);
  assert.equal(toBytes(1024), 1024);
  assert.equal(toBytes('-1'), -1);
  assert.throws(() => toBytes('lots'), /invalid size/);
  assert.equal(toBool('true'), true);
  assert.equal(toBool('no'), false);
  assert.throws(() => toBool('maybe'));
  assert.deepEqual(listOrDict(['A=1', 'B', 'C=x=y']), { A: '1', B: null, C: 'x=y' });
  assert.deepEqual(listOrDict({ A: 1, B: null, C: true }), { A: '1', B: null, C: 'true' });
  assert.deepEqual(extraHosts(['a:1.2.3.4', 'b=::1', 'c:::1']), ['a:1.2.3.4', 'b:::1', 'c:::1']);
  assert.deepEqual(extraHosts({ a: '1.2.3.4', b: ['10.0.0.1', '10.0.0.2'] }), ['a:1.2.3.4', 'b:10.0.0.1', 'b:10.0.0.2']);
});
