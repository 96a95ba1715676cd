// `ps` serialises each container through containerSummaryPieces, which keeps a record's bytes and
// makes only Status afresh (when the clock has changed its text): its output must be exactly JSON.stringify(containerSummary(...)),
// whatever the clock, the mounts or the network say, and a changed record must never be
// answered from an older one's text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerRecord } from '../../container/core-fakes.test-support.js';
import type { ContainerRecord } from '../../container/container-record.js';
import { containerSummary, containerSummaryPieces, type ContainerFacts, type NetInfo } from './container-wire.js';

/** The item's JSON as `ps` sends it: the kept pieces joined, or the text made afresh. */
function containerSummaryJson(r: ContainerRecord, facts: ContainerFacts, now: number): string {
  const p = containerSummaryPieces(r, facts, now);
  return 'pieces' in p ? Buffer.concat(p.pieces).toString() : p.fresh;
}
import type * as Wire from '../types/index.js';
import { bridgeNetInfo, runningOnBridge } from './container-wire.test-support.js';

function factsWith(state: { net?: NetInfo; mounts: Wire.MountPoint[] }): ContainerFacts {
  return {
    mountsOf: () => state.mounts,
    netOf: () => state.net,
    sizeOf: async () => ({ rw: 0, rootFs: 0 }),
    graphDriver: () => ({ Name: 'overlay2', Data: {} }),
    files: () => ({ resolvConf: '', hostname: '', hosts: '', log: '' }),
  };
}

const same = async (r: ContainerRecord, facts: ContainerFacts, now: number) =>
  assert.equal(containerSummaryJson(r, facts, now), JSON.stringify(await containerSummary(r, facts, now)));

test('the kept text equals a fresh serialisation, with Status at the time asked', async () => {
  const exited = containerRecord('a', {
    status: 'exited',
    config: { ...containerRecord('x').config, cmd: ['sh', '-c', 'echo hi'], labels: { 'com.example': 'v "quoted"', Status: 'not this one' } },
  });
  const r = { ...exited, state: { ...exited.state, exitCode: 3, finishedAt: '2026-01-01T00:00:05Z' } };
  const facts = factsWith({ mounts: [] });
  const t0 = Date.parse('2026-01-01T00:00:10Z');
  await same(r, facts, t0);
  // Kept now: a later call says a later time.
  await same(r, facts, t0 + 3 * 3600_000);
  assert.match(containerSummaryJson(r, facts, t0 + 3 * 3600_000), /"Status":"Exited \(3\) 3 hours ago"/);
  await same(containerRecord('b'), facts, t0);
});

test('another record, another mounts list or a network sandbox is never answered from the kept text', async () => {
  const r = containerRecord('c', { status: 'exited' });
  const state: { net?: NetInfo; mounts: Wire.MountPoint[] } = { mounts: [] };
  const facts = factsWith(state);
  const now = Date.parse('2026-01-02T00:00:00Z');
  await same(r, facts, now);
  state.mounts = [{ Type: 'volume', Name: 'v', Source: '/v', Destination: '/data', Driver: 'local', Mode: 'z', RW: true, Propagation: '' }];
  await same(r, facts, now);
  assert.match(containerSummaryJson(r, facts, now), /"Destination":"\/data"/);
  const renamed = { ...r, name: 'renamed' };
  await same(renamed, facts, now);
  assert.match(containerSummaryJson(renamed, facts, now), /"Names":\["\/renamed"\]/);
  const running = runningOnBridge('c');
  state.net = bridgeNetInfo();
  await same(running, facts, now);
  assert.match(containerSummaryJson(running, facts, now), /"IPAddress":"10\.0\.0\.2"/);
});
