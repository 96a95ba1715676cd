// Crash safety, CI mode of the torture driver (issue 13), the network's operations: berthd killed
// during network create+connect, compose up and compose down; after each restart the checks of
// kill-during-ops.test.ts (no netns, veth, bridge, cgroup or DNAT rule beyond what survives;
// running containers re-adopted with the same pid) and the retry succeeds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useBusyboxDaemon } from '../support/daemon.js';
import { requiresRoot } from '../support/requires-root.js';
import { ciTorture } from './driver.js';

const skip = requiresRoot('SIGKILL of a real berthd, overlayfs, crun, nftables');
const d = useBusyboxDaemon({ before, after }, skip);

test('SIGKILL during network create+connect and compose up/down: nothing leaks, every retry succeeds', { skip, timeout: 240_000 }, async () => {
  const { tally, seed } = await ciTorture(d, ['network create+connect', 'compose up', 'compose down']);
  assert.deepEqual(tally.failures, [], `seed ${seed}`);
  assert.deepEqual(tally.leaks, [], `seed ${seed}`);
  assert.ok(tally.kills > 0 && tally.objectsChecked > 0);
});
