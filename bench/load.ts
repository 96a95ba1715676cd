// Load (issue 13): BERTH_LOAD_CLIENTS (default 50) concurrent Engine API clients doing run /
// exec / logs / inspect / ps / rm for BERTH_LOAD_SECONDS (default 180) against a berthd holding
// BERTH_LOAD_EXISTING (default 500) created containers and 5 running ones. Prints the operations
// done, every error, `ps` and `inspect` latency p50/p99 under that load, and berthd's RSS, open
// fds, mounts and cgroups before and after. The CI mode is test/torture/load.test.ts.
// Run: npm run build && node dist/bench/load.js
import { runBench, printReferences } from './support/harness.js';
import { runLoad, percentile } from '../test/torture/load-driver.js';

const clients = Number(process.env.BERTH_LOAD_CLIENTS ?? 50);
const seconds = Number(process.env.BERTH_LOAD_SECONDS ?? 180);
const existing = Number(process.env.BERTH_LOAD_EXISTING ?? 500);

await runBench(`load: ${clients} API clients for ${seconds} s with ${existing} containers`, { limitMs: (seconds + 600) * 1000 }, async ({ d }) => {
  const r = await runLoad({
    socket: d.td.socket,
    dataRoot: d.dataRoot,
    cgroupParent: d.td.cgroupParent,
    pid: d.pid,
    image: 'busybox',
    existing,
    sleepers: 5,
    clients,
    durationMs: seconds * 1000,
    log: (l) => console.log(l),
  });
  const total = Object.values(r.ops).reduce((a, b) => a + b, 0);
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  console.log('');
  console.log(
    `operations:   ${total} (${Object.entries(r.ops)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}), ${(total / seconds).toFixed(1)}/s`,
  );
  console.log(`errors:       ${r.errors.length}`);
  for (const e of [...new Set(r.errors)].slice(0, 20)) console.log(`  ${e}`);
  console.log(`ps:           p50 ${ms(percentile(r.psMs, 50))}, p99 ${ms(percentile(r.psMs, 99))} (n=${r.psMs.length}, ${r.containersBefore} containers)`);
  console.log(`inspect:      p50 ${ms(percentile(r.inspectMs, 50))}, p99 ${ms(percentile(r.inspectMs, 99))} (n=${r.inspectMs.length})`);
  const row = (k: keyof typeof r.before, unit = '') => console.log(`${`${k}:`.padEnd(14)}${r.before[k]}${unit} -> ${r.after[k]}${unit}`);
  row('rssKiB', ' KiB');
  row('fds');
  row('mounts');
  row('cgroups');
  console.log(`containers:   ${r.containersBefore} -> ${r.containersAfter}`);
  printReferences(['goal: no errors; ps/inspect p99 < 10 ms; RSS, fds, mounts and cgroups back to their starting level']);
});
