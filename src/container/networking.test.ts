import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attachedNetworks, bridgeLinks, networkPlan, parseLink, strayEndpoints } from './networking.js';
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
  const onTwo = rec('app_default', [
    { network: 'app_default', aliases: ['web'] },
    { network: 'other', aliases: [] },
  ]);
  assert.deepEqual(
    attachedNetworks(onTwo).map((e) => e.network),
    ['app_default', 'other'],
  );
  assert.deepEqual(attachedNetworks(onTwo)[0]!.aliases, ['web']);
  // docker-compose disconnects a created container from its project network and connects it again.
  assert.deepEqual(attachedNetworks(rec('app_default', [], true)), []);
  assert.deepEqual(
    attachedNetworks(rec('app_default', [{ network: 'other', aliases: [] }], true)).map((e) => e.network),
    ['other'],
  );
  assert.deepEqual(attachedNetworks(rec('container:x', [])), []);
});

test('networkPlan: NetworkMode stays, the networks come from what is attached; none left is a loopback-only sandbox', () => {
  const plan = networkPlan(rec('app_default', [{ network: 'app_default', aliases: ['web', 'abc'], links: ['app_db_1:database'] }]));
  assert.equal(plan.kind, 'sandbox');
  if (plan.kind === 'sandbox')
    assert.deepEqual(plan.request.networks, [{ name: 'app_default', aliases: ['web', 'abc'], links: [{ name: 'app_db_1', alias: 'database' }] }]);
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

test('bridgeLinks: hosts lines and link variables of running linked containers on the default bridge', () => {
  const child = {
    id: 'c1',
    name: 'db',
    state: { status: 'running' },
    config: { hostname: 'abc123', exposedPorts: { '80/tcp': {}, '53/udp': {}, '5432': {} }, env: ['PATH=/bin', 'PASS=x=y'] },
  } as unknown as ContainerRecord;
  const linker = { ...rec('default', []), name: 'web', host: { networkMode: 'default', links: ['db:my-db'] } } as unknown as ContainerRecord;
  const lookup = (ref: string) => (ref === 'db' ? child : undefined);
  const got = bridgeLinks(linker, lookup, () => '172.17.0.2');
  assert.deepEqual(got.hosts, [{ ip: '172.17.0.2', names: ['my-db', 'abc123', 'db'] }]);
  assert.deepEqual(got.env, [
    'MY_DB_PORT=udp://172.17.0.2:53',
    'MY_DB_PORT_53_UDP=udp://172.17.0.2:53',
    'MY_DB_PORT_53_UDP_ADDR=172.17.0.2',
    'MY_DB_PORT_53_UDP_PORT=53',
    'MY_DB_PORT_53_UDP_PROTO=udp',
    'MY_DB_PORT_80_TCP=tcp://172.17.0.2:80',
    'MY_DB_PORT_80_TCP_ADDR=172.17.0.2',
    'MY_DB_PORT_80_TCP_PORT=80',
    'MY_DB_PORT_80_TCP_PROTO=tcp',
    'MY_DB_PORT_5432_TCP=tcp://172.17.0.2:5432',
    'MY_DB_PORT_5432_TCP_ADDR=172.17.0.2',
    'MY_DB_PORT_5432_TCP_PORT=5432',
    'MY_DB_PORT_5432_TCP_PROTO=tcp',
    'MY_DB_NAME=/web/my-db',
    'MY_DB_ENV_PASS=x=y',
  ]);
  // On a user network dockerd ignores HostConfig.Links.
  assert.deepEqual(
    bridgeLinks({ ...linker, host: { ...linker.host, networkMode: 'app_default' } } as ContainerRecord, lookup, () => '10.0.0.2'),
    { hosts: [], env: [] },
  );
  assert.throws(
    () => bridgeLinks({ ...linker, host: { ...linker.host, links: ['nosuch:x'] } } as ContainerRecord, lookup, () => '1.2.3.4'),
    /could not get container for nosuch/,
  );
  const stopped = { ...child, state: { status: 'exited' } } as unknown as ContainerRecord;
  assert.throws(
    () =>
      bridgeLinks(
        linker,
        () => stopped,
        () => undefined,
      ),
    /Cannot link to a non running container: \/db AS \/web\/my-db/,
  );
});

test('strayEndpoints: sandbox networks the record does not list, compared by id whatever the record names them by', () => {
  const ids: Record<string, string> = { bridge: 'id-bridge', app: 'id-app', 'id-app': 'id-app', other: 'id-other', 'id-other': 'id-other' };
  const idOf = (ref: string) => ids[ref];
  // Connected to "other" in the sandbox, but berthd died before the record said so.
  assert.deepEqual(strayEndpoints(rec('default', []), ['id-bridge', 'id-other'], idOf), ['id-other']);
  // The primary network named by id, the connected one by name: nothing is stray.
  assert.deepEqual(strayEndpoints(rec('id-app', [{ network: 'other', aliases: [] }]), ['id-app', 'id-other'], idOf), []);
  // Disconnected from the primary network: its endpoint is stray.
  assert.deepEqual(strayEndpoints(rec('app', [], true), ['id-app'], idOf), ['id-app']);
  // container: mode shares another container's sandbox: never touched.
  assert.deepEqual(strayEndpoints(rec('container:abc', []), ['id-bridge'], idOf), []);
});
