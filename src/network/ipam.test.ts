import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ipam } from './ipam.js';

let dir = '';
after(() => rm(dir, { recursive: true, force: true }));

test('IPAM: never the same address twice, also after reopening; static and range', async () => {
  dir = await mkdtemp(join(tmpdir(), `berth-ipam-${process.pid}-`));
  const spec = { subnet: '10.9.0.0/29', gateway: '10.9.0.1', ipRange: '' };
  let ipam = await Ipam.open(dir);
  await ipam.addPool('n', spec);
  const a = await ipam.allocate('n', spec, 'c1');
  const b = await ipam.allocate('n', spec, 'c2');
  assert.deepEqual([a, b], ['10.9.0.2', '10.9.0.3']);
  await ipam.release('n', a, 'c1');
  ipam = await Ipam.open(dir); // restart
  const c = await ipam.allocate('n', spec, 'c3');
  assert.equal(c, '10.9.0.4', 'continues after the last one; the released address is not reused at once');
  await assert.rejects(ipam.allocate('n', spec, 'c4', '10.9.0.3'), /Address already in use/);
  await assert.rejects(ipam.allocate('n', spec, 'c4', '10.9.1.3'), /no configured subnet/);
  assert.equal(await ipam.allocate('n', spec, 'c4', '10.9.0.6'), '10.9.0.6');
  assert.equal(await ipam.allocate('n', spec, 'c5'), '10.9.0.5');
  assert.equal(await ipam.allocate('n', spec, 'c6'), '10.9.0.2', 'wraps around to the freed address');
  await assert.rejects(ipam.allocate('n', spec, 'c7'), /no available IPv4 addresses/);
  await ipam.releaseUnless((o) => o === 'c2');
  assert.deepEqual(Object.keys(ipam.allocations('n')).sort(), ['10.9.0.1', '10.9.0.3']);
  const ranged = { subnet: '10.8.0.0/24', gateway: '10.8.0.1', ipRange: '10.8.0.128/25' };
  await ipam.addPool('r', ranged);
  assert.equal(await ipam.allocate('r', ranged, 'x'), '10.8.0.128');
});

test('IPAM: lazy writes reach the disk in order (flush); claim restores a lease a crash lost', async () => {
  const d = await mkdtemp(join(tmpdir(), `berth-ipam-lazy-${process.pid}-`));
  try {
    const spec = { subnet: '10.9.2.0/29', gateway: '10.9.2.1', ipRange: '' };
    let ipam = await Ipam.open(d);
    await ipam.addPool('n', spec);
    const a = await ipam.allocate('n', spec, 'c1', undefined, { lazy: true });
    const b = await ipam.allocate('n', spec, 'c2', undefined, { lazy: true });
    await ipam.release('n', a, 'c1', { lazy: true });
    await ipam.flush();
    ipam = await Ipam.open(d);
    assert.deepEqual(ipam.allocations('n'), { '10.9.2.1': 'gateway', [b]: 'c2' }, 'the last lazy state is on disk');
    // As after kill -9 before a lazy write: the lease is missing on disk, a sandbox record names it.
    await ipam.release('n', b, 'c2');
    assert.equal(await ipam.claim('n', b, 'c2'), true);
    assert.equal(await ipam.claim('n', b, 'c9'), false, 'held by another owner');
    assert.equal(await ipam.claim('nope', b, 'c2'), false, 'no such pool');
    ipam = await Ipam.open(d);
    assert.equal(ipam.allocations('n')[b], 'c2', 'claim is durable');
    await assert.rejects(ipam.allocate('n', spec, 'c3', b), /Address already in use/);
  } finally {
    await rm(d, { recursive: true, force: true });
  }
});
