import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contains, formatCidr, overlaps, parseAddressPool, parseCidr, parseIp, subnetsOf } from './subnet.js';

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

test("--default-address-pool: dockerd's base=CIDR,size=N carves networks of /size out of base, in order", () => {
  const pool = parseAddressPool('base=10.20.0.0/16,size=24');
  const first = [...subnetsOf([pool])].slice(0, 3).map(formatCidr);
  assert.deepEqual(first, ['10.20.0.0/24', '10.20.1.0/24', '10.20.2.0/24']);
  assert.equal([...subnetsOf([pool])].length, 256);
  assert.equal(formatCidr([...subnetsOf([pool])].at(-1)!), '10.20.255.0/24');
  assert.equal(formatCidr(subnetsOf([]).next().value!), '172.17.0.0/16'); // Docker's pools when none are given
  for (const bad of [
    'base=10.20.0.0/16',
    'size=24',
    'base=10.20.0.0/16,size=8',
    'base=10.20.0.0/16,size=31',
    'base=nope,size=24',
    'base=10.0.0.0/8,size=24,x=1',
  ])
    assert.throws(() => parseAddressPool(bad), { kind: 'invalid-argument' }, bad);
});
