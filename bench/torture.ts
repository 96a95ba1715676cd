// The crash-safety torture driver's long mode (test/torture/kill-during-ops.test.ts is the short
// CI one): build, commit, load, create+start, rm -f and volume copy-up, each SIGKILLed at a random
// moment BERTH_TORTURE_KILLS times (default 50), with the checks after each restart (system check,
// every listed object inspects, no temp files, no mounts left, the retry succeeds). Prints every
// kill, then kills survived / objects checked / leaks found and each failure with its seed.
// BERTH_TORTURE_ONLY=build,load limits it to some operations; BERTH_TORTURE_SEED replays a run.
// Run: npm run build && node dist/bench/torture.js
import { randomBytes } from 'node:crypto';
import { runBench } from './support/harness.js';
import { torture } from '../test/torture/driver.js';

const kills = Number(process.env.BERTH_TORTURE_KILLS ?? 50);
const seed = Number(process.env.BERTH_TORTURE_SEED ?? randomBytes(4).readUInt32BE());
const only = process.env.BERTH_TORTURE_ONLY?.split(',').filter(Boolean);

await runBench(`torture: SIGKILL of berthd during long operations, ${kills} kills each`, { limitMs: 90 * 60_000 }, async ({ d }) => {
  const t = await torture(d.td, d.dir, { kills, seed, maxDelayMs: Number(process.env.BERTH_TORTURE_MAX_DELAY_MS ?? 600), log: (l) => console.log(l) }, only);
  console.log('');
  console.log(`kills survived:  ${t.kills - t.failures.length} of ${t.kills}`);
  console.log(`objects checked: ${t.objectsChecked}`);
  console.log(`leaks found:     ${t.leaks.length}`);
  for (const l of t.leaks) console.log(`  leak: ${l}`);
  console.log(`failures:        ${t.failures.length}`);
  for (const f of t.failures) console.log(`  ${f}`);
  if (t.failures.length) throw new Error(`${t.failures.length} failed check(s) (seed ${seed})`);
});
