import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contains, formatCidr, overlaps, parseCidr, parseIp } from './subnet.js';

test("IPv4 networks from lib/cidr's Go rules: host bits cleared, IPv6 refused", () => {
  assert.equal(formatCidr(parseCidr('10.1.2.3/16')), '10.1.0.0/16');
  assert.equal(formatCidr(parseCidr(' 172.18.0.0/16 ')), '172.18.0.0/16');
  assert.equal(formatCidr(parseCidr('0.0.0.0/0')), '0.0.0.0/0');
  for (const bad of ['fd00::/64', '10.0.0.0/33', 'nonsense', '010.0.0.0/8'])
    assert.throws(() => parseCidr(bad), { kind: 'invalid-argument', message: `invalid CIDR address: ${bad}` });
  assert.equal(parseIp('10.0.0.1'), 0x0a000001);
  assert.equal(parseIp('::ffff:10.0.0.1'), undefined);
  assert.equal(parseIp('256.0.0.1'), undefined);
  assert.ok(contains(parseCidr('10.1.0.0/16'), parseIp('10.1.9.9')!));
  assert.ok(overlaps(parseCidr('10.0.0.0/8'), parseCidr('10.1.0.0/16')));
  assert.ok(!overlaps(parseCidr('10.0.0.0/16'), parseCidr('10.1.0.0/16')));
});
