// The crash-safety torture driver's long mode (test/torture/kill-during-*.test.ts are the short
// CI ones): every operation of test/torture/driver.ts OPERATIONS (build, commit, save, load,
// import, pull, push, network create+connect, compose up/down, create+start, rm -f, volume
// copy-up, and the registry server killed during an upload and `registry gc`), each SIGKILLed at
// a random moment BERTH_TORTURE_KILLS times (default 50), with the checks after each restart
// (system check, every listed object inspects, no temp files, running containers re-adopted or
// exited with their real code, no mount/netns/veth/bridge/cgroup/DNAT rule leaked, the registry
// store whole, the retry succeeds). Prints every kill, then kills survived / objects checked /
// leaks found and each failure with its seed.
// BERTH_TORTURE_ONLY='build,compose up' limits it to some operations; BERTH_TORTURE_SEED replays a run.
// Run: npm run build && node dist/bench/torture.js
import { randomBytes } from 'node:crypto';
import { runBench } from './support/harness.js';
import { OPERATIONS, torture } from '../test/torture/driver.js';

const kills = Number(process.env.BERTH_TORTURE_KILLS ?? 50);
const seed = Number(process.env.BERTH_TORTURE_SEED ?? randomBytes(4).readUInt32BE());
const only = process.env.BERTH_TORTURE_ONLY?.split(',').filter(Boolean) ?? [...OPERATIONS];

await runBench(`torture: SIGKILL during long operations, ${kills} kills each`, { limitMs: 4 * 60 * 60_000 }, async ({ d }) => {
  const started = Date.now();
  const t = await torture(
    d.td,
    d.dir,
    {
      kills,
      seed,
      maxDelayMs: Number(process.env.BERTH_TORTURE_MAX_DELAY_MS ?? 600),
      adaptive: !process.env.BERTH_TORTURE_MAX_DELAY_MS,
      log: (l) => console.log(l),
    },
    only,
  );
  console.log('');
  console.log(`operations:      ${only.join(', ')}`);
  console.log(`kills survived:  ${t.kills - t.failures.length} of ${t.kills} (${((Date.now() - started) / 60_000).toFixed(1)} min)`);
  console.log(`objects checked: ${t.objectsChecked}`);
  console.log(`leaks found:     ${t.leaks.length}`);
  for (const l of t.leaks) console.log(`  leak: ${l}`);
  console.log(`failures:        ${t.failures.length}`);
  for (const f of t.failures) console.log(`  ${f}`);
  if (t.failures.length) throw new Error(`${t.failures.length} failed check(s) (seed ${seed})`);
});
