import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canTraverse, remapFromSubIds, remapNames, type IdLookup } from './userns-remap.js';

const users = [
  { name: 'root', id: 0 },
  { name: 'dockremap', id: 999 },
  { name: 'alice', id: 1000 },
];
const groups = [
  { name: 'root', id: 0 },
  { name: 'dockremap', id: 994 },
  { name: 'alice', id: 1000 },
  { name: 'staff', id: 50 },
  { name: 'journal', id: 999 },
];
const find = (list: typeof users, key: string) => list.find((e) => e.name === key || String(e.id) === key);
const host: IdLookup = { user: async (k) => find(users, k), group: async (k) => find(groups, k) };
const noDockremap: IdLookup = { user: async (k) => (k === 'dockremap' ? undefined : find(users, k)), group: host.group };

test('the forms dockerd takes: default, user, user:group, uid, uid:gid', async () => {
  assert.deepEqual(await remapNames('default', host), { user: 'dockremap', group: 'dockremap' });
  assert.equal(await remapNames('default', noDockremap), 'create');
  assert.deepEqual(await remapNames('alice', host), { user: 'alice', group: 'alice' });
  assert.deepEqual(await remapNames('alice:staff', host), { user: 'alice', group: 'staff' });
  assert.deepEqual(await remapNames('999', host), { user: 'dockremap', group: 'journal' }); // a uid alone: the gid of that number
  assert.deepEqual(await remapNames('999:994', host), { user: 'dockremap', group: 'dockremap' });
  assert.deepEqual(await remapNames('default:staff', host), { user: 'dockremap', group: 'staff' });
});

test('bad values get dockerd messages', async () => {
  await assert.rejects(remapNames('a:b:c', host), /^BerthError: Invalid user\/group specification in --userns-remap: "a:b:c"$/);
  await assert.rejects(remapNames('', host), /Invalid user\/group specification/);
  await assert.rejects(remapNames('bob', host), /Error during uid lookup for "bob": getent unable to find entry "bob" in passwd database/);
  await assert.rejects(remapNames('54321', host), /Uid 54321 has no entry in \/etc\/passwd: getent unable to find entry "54321" in passwd database/);
  await assert.rejects(remapNames('1000:4242', host), /Gid 4242 has no entry in \/etc\/passwd: getent unable to find entry "4242" in group database/);
  await assert.rejects(remapNames('alice:nogroup', host), /Error during groupname lookup for "nogroup"/);
  const noGroup: IdLookup = { user: host.user, group: async () => undefined };
  await assert.rejects(remapNames('alice', noGroup), /Error during gid lookup for "alice"/);
  await assert.rejects(remapNames('1000', noGroup), /Gid 1000 has no entry in \/etc\/group/);
});

test('ranges come from the user, by name or uid, sorted by host id and stacked from 0', () => {
  const subuid = 'other:100000:65536\nalice:300000:1000\n1000:200000:5000\n';
  const subgid = 'alice:400000:65536\n';
  const map = remapFromSubIds({ name: 'alice', id: 1000 }, subuid, subgid);
  assert.deepEqual(map.uids, [
    { containerId: 0, hostId: 200000, size: 5000 },
    { containerId: 5000, hostId: 300000, size: 1000 },
  ]);
  assert.deepEqual(map.gids, [{ containerId: 0, hostId: 400000, size: 65536 }]);
  assert.throws(() => remapFromSubIds({ name: 'bob', id: 1001 }, subuid, subgid), /Can't create ID mappings: no subuid ranges found for user "bob"/);
  assert.throws(() => remapFromSubIds({ name: 'alice', id: 1000 }, subuid, ''), /no subgid ranges found for group "alice"/);
});

test('a directory the remapped root may pass: owner, group or other x bit', () => {
  assert.equal(canTraverse({ mode: 0o700, uid: 0, gid: 0 }, 100000, 100000), false);
  assert.equal(canTraverse({ mode: 0o711, uid: 0, gid: 0 }, 100000, 100000), true);
  assert.equal(canTraverse({ mode: 0o710, uid: 0, gid: 100000 }, 100000, 100000), true);
  assert.equal(canTraverse({ mode: 0o701, uid: 0, gid: 100000 }, 100000, 100000), false); // the group's bits decide for a member
  assert.equal(canTraverse({ mode: 0o100, uid: 100000, gid: 0 }, 100000, 100000), true);
});
