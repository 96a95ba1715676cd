// Crash safety, CI mode of the torture driver (issue 13), with a Berth registry on 127.0.0.1:
// berthd killed during a pull and a push; the registry server killed during berthd's blob upload;
// `berth registry gc` killed (with the server) while it sweeps. After each restart the checks of
// kill-during-ops.test.ts, plus the registry's store: no half-written blob visible, every tag and
// manifest whole, every upload left resumable; and the retried push/pull brings the image whole.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useBusyboxDaemon } from '../support/daemon.js';
import { requiresRoot } from '../support/requires-root.js';
import { ciTorture } from './driver.js';

const skip = requiresRoot('SIGKILL of a real berthd, overlayfs, crun');
const d = useBusyboxDaemon({ before, after }, skip);

test('SIGKILL of berthd during pull and push, of the registry during an upload and of registry gc', { skip, timeout: 240_000 }, async () => {
  const { tally, seed } = await ciTorture(d, ['pull', 'push', 'registry upload', 'registry gc']);
  assert.deepEqual(tally.failures, [], `seed ${seed}`);
  assert.deepEqual(tally.leaks, [], `seed ${seed}`);
  assert.ok(tally.kills > 0 && tally.objectsChecked > 0);
});
