// The Engine API fuzzer (engine-api-fuzz.ts) in its short CI mode: a few hundred requests, every
// swagger route at least once, bounded to under a minute, against a real berthd holding a running
// container, an image tag, a network and a volume for the path parameters to hit. Asserts: no
// 500 for any of it, the daemon still serves, and no file named with the run's canary appears
// outside the data root. BERTH_FUZZ_SEED=<n> (and BERTH_FUZZ_REQUESTS=<count>) replays a run;
// the longer mode is bench/fuzz.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { TestDaemon, expectOk } from '../support/daemon.js';
import { requiresRoot } from '../support/requires-root.js';
import { conformancePath, requiresConformance } from '../support/conformance.js';
import { fuzzEngineApi, ping } from './engine-api-fuzz.js';
import { canaryHits } from './canary.js';
import { freeSubnets } from '../integration/network/net-helpers.js';

const skip = requiresRoot('a real berthd') || requiresConformance('engine-api/v1.45.yaml');
let d: TestDaemon;

before(async () => {
  if (skip) return;
  d = await TestDaemon.create();
  await d.start();
  await d.importBusybox();
});
after(async () => {
  if (d) await d.stop();
});

test('hostile Engine API requests: never a 500, the daemon keeps serving, nothing written outside the data root', { skip, timeout: 180_000 }, async (t) => {
  expectOk(await d.berth(['tag', 'busybox', 'fuzz-victim:latest']));
  const container = expectOk(await d.berth(['run', '-d', '--name', 'fuzz-target', 'busybox', 'sleep', '600'])).stdout.trim();
  expectOk(await d.berth(['network', 'create', '--subnet', `${freeSubnets(1)[0]}.0/24`, 'fuzz-net']));
  expectOk(await d.berth(['volume', 'create', 'fuzz-vol']));
  const seed = Number(process.env.BERTH_FUZZ_SEED ?? randomBytes(4).readUInt32BE());
  const canary = `berthfuzzcanary${randomBytes(4).toString('hex')}`;
  const r = await fuzzEngineApi({
    swaggerPath: conformancePath('engine-api/v1.45.yaml')!,
    socket: d.socket,
    seed,
    requests: Number(process.env.BERTH_FUZZ_REQUESTS ?? 400),
    timeLimitMs: 50_000,
    concurrency: 4,
    canary,
    targets: { container, image: 'fuzz-victim:latest', network: 'fuzz-net', volume: 'fuzz-vol' },
  });
  t.diagnostic(`seed ${seed}: ${r.sent} requests over ${r.routes} routes, statuses ${JSON.stringify(r.byStatus)}, ${r.timeouts} held open`);
  assert.ok(r.sent >= r.routes, `only ${r.sent} requests were sent (every route at least once)`);
  assert.equal(d.proc?.exitCode, null, 'berthd exited');
  assert.ok(await ping(d.socket), 'berthd no longer answers /_ping');
  assert.deepEqual(r.findings, [], `500s (replay with BERTH_FUZZ_SEED=${seed}):\n${JSON.stringify(r.findings, null, 1)}`);
  assert.deepEqual(await canaryHits(canary, [d.dir]), [], 'files written outside the data root');
});
