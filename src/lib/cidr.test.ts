import { test } from 'node:test';
import assert from 'node:assert/strict';
import { netContains, parseCidr, parseIp } from './cidr.js';

test('parseIp follows Go: v4, v6, v4-mapped as v4, no leading zeros, no zones', () => {
  assert.deepEqual(parseIp('10.0.0.1'), [10, 0, 0, 1]);
  assert.deepEqual(parseIp('::ffff:10.0.0.1'), [10, 0, 0, 1]);
  assert.deepEqual(parseIp('fd00::1'), [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  assert.equal(parseIp('010.0.0.1'), undefined);
  assert.equal(parseIp('fe80::1%eth0'), undefined);
  assert.equal(parseIp('bogus'), undefined);
});

test("parseCidr follows Go: prefix bounds per family, 400s with Go's text", () => {
  assert.deepEqual(parseCidr('10.1.2.3/16'), { ip: [10, 1, 2, 3], bits: 16 });
  assert.equal(parseCidr('fd00::/64').ip.length, 16);
  assert.equal(parseCidr('::ffff:10.0.0.0/104').ip.length, 16, 'a v4-mapped CIDR stays IPv6');
  for (const bad of ['10.0.0.0/33', '10.0.0.0', 'fd00::/129', '10.0.0.0/', '10.0.0.0/x', 'bogus/8', '010.0.0.0/8']) {
    assert.throws(() => parseCidr(bad), { kind: 'invalid-argument', message: `invalid CIDR address: ${bad}` }, bad);
  }
});

test('netContains: masks by the prefix, never mixes families', () => {
  const net = parseCidr('10.1.0.0/16');
  assert.ok(netContains(net, parseIp('10.1.255.3')));
  assert.ok(!netContains(net, parseIp('10.2.0.1')));
  assert.ok(!netContains(parseCidr('::ffff:10.0.0.0/104'), parseIp('10.0.0.1')));
  assert.ok(netContains(parseCidr('fd00::/8'), parseIp('fd12::1')));
  assert.ok(!netContains(net, undefined));
});
