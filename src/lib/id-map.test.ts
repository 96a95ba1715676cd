import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerOwner, freeSubIdStart, hostOwner, OVERFLOW_ID, rootOwnerOf, toContainerId, toHostId, type IdMap } from './id-map.js';

const map: IdMap = {
  uids: [
    { containerId: 0, hostId: 100000, size: 1000 },
    { containerId: 1000, hostId: 300000, size: 64536 },
  ],
  gids: [{ containerId: 0, hostId: 200000, size: 65536 }],
};

test('container ids map into the host ranges and back; outside the map is overflow (nobody)', () => {
  assert.equal(toHostId(map.uids, 0), 100000);
  assert.equal(toHostId(map.uids, 999), 100999);
  assert.equal(toHostId(map.uids, 1000), 300000);
  assert.throws(() => toHostId(map.uids, 65536), /Container ID 65536 cannot be mapped to a host ID/);
  assert.equal(toContainerId(map.uids, 300005), 1005);
  assert.equal(toContainerId(map.uids, 0), OVERFLOW_ID);
  assert.deepEqual(hostOwner(map, 33, 33), { uid: 100033, gid: 200033 });
  assert.deepEqual(containerOwner(map, 100033, 200033), { uid: 33, gid: 33 });
  assert.deepEqual(hostOwner(undefined, 5, 6), { uid: 5, gid: 6 });
  assert.deepEqual(rootOwnerOf(map), { uid: 100000, gid: 200000 });
  assert.equal(rootOwnerOf(undefined), undefined);
});

test('a new sub-id range starts at 100000 or after the ranges it would overlap', () => {
  assert.equal(freeSubIdStart('', 65536), 100000);
  assert.equal(freeSubIdStart('a:100000:65536\n', 65536), 165536);
  assert.equal(freeSubIdStart('a:300000:10\nb:100000:65536\n', 65536), 165536);
  assert.equal(freeSubIdStart('a:150000:10\nb:100000:65536\n', 65536), 165536);
});
