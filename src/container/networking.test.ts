import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attachedNetworks, networkPlan, parseLink } from './networking.js';
import type { ContainerRecord } from './container-record.js';

function rec(networkMode: string, endpoints: ContainerRecord['endpoints'], primaryDisconnected?: boolean): ContainerRecord {
  return {
    name: 'c',
    host: { networkMode, portBindings: {}, publishAllPorts: false, dns: [] },
    config: { hostname: 'h', exposedPorts: {} },
    endpoints,
    ...(primaryDisconnected ? { primaryDisconnected } : {}),
  } as unknown as ContainerRecord;
}

test('attachedNetworks: the primary network first, unless the container was disconnected from it', () => {
  assert.deepEqual(attachedNetworks(rec('default', [])), [{ network: 'bridge', aliases: [] }]);
  const onTwo = rec('app_default', [{ network: 'app_default', aliases: ['web'] }, { network: 'other', aliases: [] }]);
  assert.deepEqual(attachedNetworks(onTwo).map((e) => e.network), ['app_default', 'other']);
  assert.deepEqual(attachedNetworks(onTwo)[0]!.aliases, ['web']);
  // docker-compose disconnects a created container from its project network and connects it again.
  assert.deepEqual(attachedNetworks(rec('app_default', [], true)), []);
  assert.deepEqual(attachedNetworks(rec('app_default', [{ network: 'other', aliases: [] }], true)).map((e) => e.network), ['other']);
  assert.deepEqual(attachedNetworks(rec('container:x', [])), []);
});

test('networkPlan: NetworkMode stays, the networks come from what is attached; none left is a loopback-only sandbox', () => {
  const plan = networkPlan(rec('app_default', [{ network: 'app_default', aliases: ['web', 'abc'], links: ['app_db_1:database'] }]));
  assert.equal(plan.kind, 'sandbox');
  if (plan.kind === 'sandbox') assert.deepEqual(plan.request.networks, [{ name: 'app_default', aliases: ['web', 'abc'], links: [{ name: 'app_db_1', alias: 'database' }] }]);
  const bare = networkPlan(rec('app_default', [], true));
  assert.equal(bare.kind, 'sandbox');
  if (bare.kind === 'sandbox') assert.deepEqual(bare.request.networks, []);
});

test('parseLink reads links as Docker does', () => {
  assert.deepEqual(parseLink('db:database'), { name: 'db', alias: 'database' });
  assert.deepEqual(parseLink('db'), { name: 'db', alias: 'db' });
  assert.deepEqual(parseLink('/db:/web/database'), { name: 'db', alias: 'database' });
  assert.throws(() => parseLink('a:b:c'), /bad format for links: a:b:c/);
  assert.throws(() => parseLink(''), /empty string specified for links/);
});
