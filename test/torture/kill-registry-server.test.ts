// Crash safety of the registry server alone (issue 13, "the same with the registry server"): Berth's
// registry SIGKILLed during chunked and monolithic blob uploads, during manifest PUTs (by tag, and an
// index by digest with ?tag=), and during `berth registry gc` (killed with it) while manifests naming
// old blobs are PUT beside the sweep. After each restart the store is whole, everything acknowledged
// is there, the cut-off upload resumes from the reported Range, the retried workload succeeds and
// every tag pulls back byte for byte (registry-kills.ts). BERTH_TORTURE_KILLS (default 3) kills of
// each; BERTH_TORTURE_SEED replays. No berthd: the server runs as any user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { registryTorture } from './registry-kills.js';

const kills = Number(process.env.BERTH_TORTURE_KILLS ?? 3);

// Up to 30 s a kill on a loaded machine (a restart, the checks and the retried workload).
test('SIGKILL of the registry server during uploads, manifest PUTs and gc: the store stays whole and every retry succeeds', {
  timeout: 60_000 + kills * 3 * 30_000,
}, async () => {
  const seed = Number(process.env.BERTH_TORTURE_SEED ?? Math.floor(Math.random() * 2 ** 32));
  const started = Date.now();
  const tally = await registryTorture({ kills, seed, log: (l) => console.log(l) });
  console.log(
    `kills survived: ${tally.kills - tally.failures.length} of ${tally.kills} (${((Date.now() - started) / 60_000).toFixed(1)} min); objects checked: ${tally.objectsChecked}; failures: ${tally.failures.length}`,
  );
  assert.deepEqual(tally.failures, [], `seed ${seed}`);
  assert.ok(tally.kills > 0 && tally.objectsChecked > 0);
});
