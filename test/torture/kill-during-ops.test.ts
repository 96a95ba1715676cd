// Crash safety, CI mode of the torture driver (issue 13), the containers' operations: create+start,
// rm -f and volume copy-up are each killed with SIGKILL at a random moment BERTH_TORTURE_KILLS
// times (default 1); after each restart `system check` is clean, nothing half-made is listed,
// every container running before is running (same pid) or exited with its real code, nothing is
// left on the host beyond what survives, and the retried operation succeeds. The seed is printed
// (BERTH_TORTURE_SEED replays it); bench/torture.ts is the long mode. The images', registry's and
// network's operations are in the sibling files (one file each, so each stays short in CI).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useBusyboxDaemon, expectOk } from '../support/daemon.js';
import { requiresRoot } from '../support/requires-root.js';
import { ciTorture, mountsUnder } from './driver.js';

const skip = requiresRoot('SIGKILL of a real berthd, overlayfs, crun');
const d = useBusyboxDaemon({ before, after }, skip);

test("the leak check sees a running container's rootfs mount under the data root", { skip }, async () => {
  const id = expectOk(await d.berth(['run', '-d', 'busybox', 'sleep', '600'])).stdout.trim();
  assert.ok((await mountsUnder(d.dataRoot)).length > 0, 'no mount found under the data root while a container runs');
  expectOk(await d.berth(['rm', '-f', id]));
  assert.deepEqual(await mountsUnder(d.dataRoot), []);
});

// Found by the driver: `run --rm` killed between its create and start left a created --rm
// container behind, holding its volume; dockerd's restore removes stopped AutoRemove containers.
test('a --rm container created but never started when berthd is killed is gone after the restart', { skip }, async () => {
  expectOk(await d.berth(['create', '--rm', '--name', 'rm-never-started', 'busybox', 'true']));
  await d.kill('SIGKILL');
  await d.start();
  assert.notEqual((await d.berth(['container', 'inspect', 'rm-never-started'])).code, 0, 'the --rm container survived the restart');
});

test('SIGKILL during create+start, rm -f and volume copy-up: the store stays consistent and every retry succeeds', { skip, timeout: 240_000 }, async () => {
  const { tally, seed } = await ciTorture(d, ['create+start', 'rm -f', 'volume copy-up']);
  assert.deepEqual(tally.failures, [], `seed ${seed}`);
  assert.deepEqual(tally.leaks, [], `seed ${seed}`);
  assert.ok(tally.kills > 0 && tally.objectsChecked > 0);
});
