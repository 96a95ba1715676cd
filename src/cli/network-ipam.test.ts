import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createIpamConfig, parseCidr } from '../client/network-ipam.js';
import { parseIp } from '../lib/cidr.js';
import { naturalCompare } from './format/natural-sort.js';
import { goTimeStringRfc3339 } from './format/volume-network-context.js';
import { humanSize } from '../lib/go-units.js';
import { filterArgs, filterOpt, kvMap, labelOpt, linkOpt, readCsv } from './opt-values.js';

const ipam = (o: Partial<Parameters<typeof createIpamConfig>[0]>) => createIpamConfig({ subnets: [], ipRanges: [], gateways: [], auxAddresses: [], ...o });

test('parseIp / parseCidr follow Go: v4, v6, v4-mapped, no leading zeros, prefix bounds', () => {
  assert.deepEqual(parseIp('10.0.0.1'), [10, 0, 0, 1]);
  assert.deepEqual(parseIp('::ffff:10.0.0.1'), [10, 0, 0, 1]);
  assert.equal(parseIp('fd00::1')!.length, 16);
  assert.equal(parseIp('010.0.0.1'), undefined);
  assert.equal(parseIp('bogus'), undefined);
  assert.deepEqual(parseCidr('10.1.0.0/16'), { ip: [10, 1, 0, 0], bits: 16 });
  assert.throws(() => parseCidr('10.0.0.0/33'), /^Error: invalid CIDR address: 10.0.0.0\/33$/);
  assert.throws(() => parseCidr('10.0.0.0'), /invalid CIDR address/);
});

test('createIpamConfig: placement, docker CLI 28 errors', () => {
  assert.deepEqual(
    ipam({ subnets: ['10.1.0.0/16', 'fd00::/64'], ipRanges: ['10.1.1.0/24'], gateways: ['fd00::1', '10.1.0.1'], auxAddresses: [['h', '10.1.0.9']] }),
    [
      { Subnet: '10.1.0.0/16', IPRange: '10.1.1.0/24', Gateway: '10.1.0.1', AuxiliaryAddresses: { h: '10.1.0.9' } },
      { Subnet: 'fd00::/64', Gateway: 'fd00::1' },
    ],
  );
  assert.deepEqual(ipam({ subnets: ['bad'] }), [{ Subnet: 'bad' }]); // one subnet is never parsed by the CLI
  const err = (o: Partial<Parameters<typeof createIpamConfig>[0]>, msg: string) =>
    assert.throws(
      () => ipam(o),
      (e: Error) => e.message === msg,
    );
  err({ gateways: ['10.0.0.1'] }, 'every ip-range or gateway must have a corresponding subnet');
  err({ subnets: ['10.0.0.0/8', '10.1.0.0/16'] }, 'multiple overlapping subnet configuration is not supported');
  err({ subnets: ['10.0.0.0/16'], ipRanges: ['11.0.0.0/24'] }, 'no matching subnet for range 11.0.0.0/24');
  err(
    { subnets: ['10.0.0.0/16', '10.2.0.0/16'], gateways: ['10.0.0.1', '10.0.0.2'] },
    'cannot configure multiple gateways (10.0.0.2, 10.0.0.1) for the same subnet (10.0.0.0/16)',
  );
  err({ subnets: ['10.0.0.0/16'], gateways: ['bogus'] }, 'no matching subnet for gateway bogus');
  err({ subnets: ['10.0.0.0/16'], ipRanges: ['bogus/99'] }, 'invalid CIDR address: bogus/99');
  err({ subnets: ['bad'], gateways: ['10.0.0.1'] }, 'invalid subnet: invalid CIDR address: bad');
  err({ subnets: ['10.0.0.0/16'], auxAddresses: [['a', '11.0.0.1']] }, 'no matching subnet for aux-address 11.0.0.1');
});

test('natural order as sortorder.NaturalLess', () => {
  assert.deepEqual(['v10', 'v9', 'V1', 'a', 'v09', 'v1b', '1', 'b2'].sort(naturalCompare), ['1', 'V1', 'a', 'b2', 'v1b', 'v9', 'v09', 'v10']);
});

test('Go time.String of RFC 3339 times, go-units HumanSize with 4 digits', () => {
  assert.equal(goTimeStringRfc3339('2024-05-01T10:00:00.123456780Z'), '2024-05-01 10:00:00.12345678 +0000 UTC');
  assert.equal(goTimeStringRfc3339('2024-05-01T10:00:00Z'), '2024-05-01 10:00:00 +0000 UTC');
  assert.equal(goTimeStringRfc3339('2024-05-01T10:00:00.5+02:00'), '2024-05-01 10:00:00.5 +0200 +0200');
  assert.equal(humanSize(123456), '123.5kB');
  assert.equal(humanSize(0), '0B');
});

test('option values: filters, labels, maps, CSV slices, links', () => {
  assert.throws(() => filterOpt('bad'), /bad format of filter \(expected name=value\)/);
  assert.deepEqual(filterOpt('', ['a=b']), ['a=b']);
  assert.deepEqual(filterArgs([' Name = x ', 'name=y', 'label=a=b']), { name: ['x', 'y'], label: ['a=b'] });
  assert.throws(() => labelOpt('=x'), /invalid label '=x': empty name/);
  assert.deepEqual(kvMap(['a=b=c', 'z', 'a=d']), { a: 'd', z: '' });
  assert.deepEqual(readCsv('a,"b,c",d'), ['a', 'b,c', 'd']);
  assert.deepEqual(readCsv(''), []);
  assert.deepEqual(readCsv('a,'), ['a', '']);
  assert.throws(() => linkOpt('a:b:c'), /bad format for links: a:b:c/);
});
