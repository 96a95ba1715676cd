// Crash safety, CI mode of the torture driver (issue 13), the images' operations: build (context
// upload, RUN, COPY, layer commit), commit, save -o, load and import are each killed with SIGKILL
// at a random moment BERTH_TORTURE_KILLS times (default 1); after each restart the checks of
// driver.ts hold (system check clean, nothing half-made listed, no temp file, running containers
// re-adopted, nothing leaked on the host, a killed `save -o` leaves the whole archive or nothing)
// and the retried operation's result is whole.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useBusyboxDaemon } from '../support/daemon.js';
import { requiresRoot } from '../support/requires-root.js';
import { ciTorture } from './driver.js';

const skip = requiresRoot('SIGKILL of a real berthd, overlayfs, crun');
const d = useBusyboxDaemon({ before, after }, skip);

test('SIGKILL during build, commit, save, load and import: the store stays consistent and every retry succeeds', { skip, timeout: 240_000 }, async () => {
  const { tally, seed } = await ciTorture(d, ['build', 'commit', 'save', 'load', 'import']);
  assert.deepEqual(tally.failures, [], `seed ${seed}`);
  assert.deepEqual(tally.leaks, [], `seed ${seed}`);
  assert.ok(tally.kills > 0 && tally.objectsChecked > 0);
});
