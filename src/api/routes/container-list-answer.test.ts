// The ps answer kept as bytes: it must always be the JSON a fresh serialisation gives (a changed
// record, mounts list, network sandbox or clock shows at once), and the same bytes must come back
// while none of those changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerRecord } from '../../container/core-fakes.test-support.js';
import type { ContainerRecord } from '../../container/container-record.js';
import { containerSummary, type ContainerFacts, type NetInfo } from './container-wire.js';
import { ContainerListAnswers } from './container-list-answer.js';
import type * as Wire from '../types/index.js';
import { bridgeNetInfo, runningOnBridge } from './container-wire.test-support.js';

function factsWith(state: { net: Map<string, NetInfo>; mounts: Wire.MountPoint[] }): ContainerFacts {
  return {
    mountsOf: () => state.mounts,
    netOf: (r) => state.net.get(r.id),
    sizeOf: async () => ({ rw: 0, rootFs: 0 }),
    graphDriver: () => ({ Name: 'overlay2', Data: {} }),
    files: () => ({ resolvConf: '', hostname: '', hosts: '', log: '' }),
  };
}

const fresh = async (list: ContainerRecord[], facts: ContainerFacts, now: number) =>
  `${JSON.stringify(await Promise.all(list.map((r) => containerSummary(r, facts, now))))}\n`;

function exited(id: string, finishedAt: string): ContainerRecord {
  const r = containerRecord(id, { status: 'exited' });
  return { ...r, state: { ...r.state, exitCode: 0, finishedAt } };
}

test('the answer is the fresh JSON, and the same bytes while nothing changed', async () => {
  const state = { net: new Map<string, NetInfo>(), mounts: [] as Wire.MountPoint[] };
  const facts = factsWith(state);
  const answers = new ContainerListAnswers(facts);
  const t0 = Date.parse('2026-01-01T00:10:00Z');
  const list = [containerRecord('a'), exited('b', '2026-01-01T00:00:00Z'), containerRecord('c')];
  const first = answers.answer('all', list, t0);
  assert.equal(first.toString(), await fresh(list, facts, t0));
  assert.equal(answers.answer('all', [...list], t0 + 1000), first, 'nothing changed: the kept bytes');
  // The clock moves "10 minutes ago" to "11 minutes ago".
  const later = answers.answer('all', list, t0 + 60_000);
  assert.notEqual(later, first);
  assert.equal(later.toString(), await fresh(list, facts, t0 + 60_000));
  assert.match(later.toString(), /Exited \(0\) 11 minutes ago/);
  // A replaced record (renamed), a removed one, another query.
  const renamed = [{ ...list[0]!, name: 'renamed' }, list[1]!, list[2]!];
  assert.equal(answers.answer('all', renamed, t0 + 60_000).toString(), await fresh(renamed, facts, t0 + 60_000));
  assert.equal(answers.answer('all', renamed.slice(1), t0 + 60_000).toString(), await fresh(renamed.slice(1), facts, t0 + 60_000));
  assert.equal(answers.answer('running', [], t0).toString(), '[]\n');
  // Another mounts list.
  state.mounts = [{ Type: 'volume', Name: 'v', Source: '/v', Destination: '/data', Driver: 'local', Mode: 'z', RW: true, Propagation: '' }];
  const withMounts = answers.answer('all', renamed, t0 + 60_000).toString();
  assert.equal(withMounts, await fresh(renamed, facts, t0 + 60_000));
  assert.match(withMounts, /"Destination":"\/data"/);
});

test('a container with a network sandbox shows what the network says now', async () => {
  const state = { net: new Map<string, NetInfo>(), mounts: [] as Wire.MountPoint[] };
  const facts = factsWith(state);
  const answers = new ContainerListAnswers(facts);
  const running = runningOnBridge('r');
  const net = bridgeNetInfo;
  const now = Date.parse(running.state.startedAt) + 5000;
  state.net.set(running.id, net('8080'));
  const list = [running, containerRecord('a')];
  const first = answers.answer('all', list, now);
  assert.equal(first.toString(), await fresh(list, facts, now));
  state.net.set(running.id, net('8080')); // a new object saying the same
  assert.equal(answers.answer('all', list, now), first);
  state.net.set(running.id, net('8081'));
  const moved = answers.answer('all', list, now).toString();
  assert.equal(moved, await fresh(list, facts, now));
  assert.match(moved, /"PublicPort":8081/);
});
