import { test } from 'node:test';
import assert from 'node:assert/strict';
import { networkListFilter, networkPruneFilter } from './network-filter.js';
import type { NetworkRecord } from './types.js';

function net(name: string, o: Partial<NetworkRecord> = {}): NetworkRecord {
  return {
    schemaVersion: 1,
    id: name.padEnd(64, '0'),
    name,
    driver: 'bridge',
    subnet: '',
    gateway: '',
    ipRange: '',
    internal: false,
    attachable: false,
    labels: {},
    options: {},
    created: '2024-01-01T00:00:00Z',
    bridgeName: '',
    mtu: 0,
    dns: false,
    predefined: false,
    ...o,
  };
}

test('network ls filters: keys AND, values OR, type and dangling', () => {
  const nets = [net('bridge', { predefined: true }), net('app', { labels: { tier: 'web' } }), net('db', { labels: { tier: 'data' } })];
  const names = (f: Record<string, string[]>, used = new Set<string>()) =>
    nets.filter((n) => networkListFilter(f)(n, () => used.has(n.name))).map((n) => n.name);
  assert.deepEqual(names({ type: ['custom'] }), ['app', 'db']);
  assert.deepEqual(names({ type: ['builtin'] }), ['bridge']);
  assert.deepEqual(names({ label: ['tier=web'] }), ['app']);
  assert.deepEqual(names({ name: ['a', 'd'], label: ['tier'] }), ['app', 'db']);
  assert.deepEqual(names({ dangling: ['true'] }, new Set(['app'])), ['db']);
  assert.deepEqual(names({ dangling: ['false'] }, new Set(['app'])), ['bridge', 'app']);
  assert.throws(() => networkListFilter({ foo: ['1'] }), /invalid filter 'foo'/);
  assert.throws(() => networkListFilter({ type: ['x'] }), /invalid filter: 'type'='x'/);
});

test('network prune filters: label, label!, until', () => {
  const old = net('old', { labels: { keep: '1' }, created: '2020-01-01T00:00:00Z' });
  const recent = net('recent', { created: new Date().toISOString() });
  assert.deepEqual(
    [old, recent].filter(networkPruneFilter({ 'label!': ['keep'] })).map((n) => n.name),
    ['recent'],
  );
  assert.deepEqual(
    [old, recent].filter(networkPruneFilter({ until: ['24h'] })).map((n) => n.name),
    ['old'],
  );
  assert.deepEqual(
    [old, recent].filter(networkPruneFilter({ until: ['1500000000'] })).map((n) => n.name),
    [],
  );
  assert.throws(() => networkPruneFilter({ driver: ['bridge'] }), /invalid filter 'driver'/);
  assert.throws(() => networkPruneFilter({ until: ['soon'] }), /invalid filter 'until=soon'/);
});
