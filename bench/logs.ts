// Container logs end to end: a container writes 100 MiB to stdout (`yes`, 2-byte lines; and
// 1 KiB lines), time until it exits (write side: shim -> json-file log), then `logs > /dev/null`
// through the berth CLI and the docker CLI (read side), and the log file's size against the
// output's. (bench/logs-read.ts measures the log reader alone, without daemon or CLI.)
// Run: npm run build && node dist/bench/logs.js
import { stat, open } from 'node:fs/promises';
import { join } from 'node:path';
import { runBench, printReferences } from './support/harness.js';
import { repeat, row, summarize, ratio, LiveTable, TIME_HEADER, fmtBytes } from './support/measure.js';
import { berthTargets, cli, cliOk, type Target } from './support/targets.js';
import type { BenchDaemon } from './support/bench-daemon.js';

const SIZE = 104857600; // 100 MiB, in bytes: busybox head rejects "100M"
const WORKLOADS = [
  { name: 'yes (2-byte lines)', script: `yes | head -c ${SIZE}` },
  { name: '1 KiB lines', script: `yes $(printf %01023d 0) | head -c ${SIZE}` },
];
const RUNS = 3;
const BUDGET_MS = 120_000; // per series
const STEP_TIMEOUT_MS = 180_000;

await runBench('logs: 100 MiB through a container', { limitMs: 40 * 60_000 }, async ({ d, external }) => {
  const [berth, dockerToBerthd] = berthTargets(d) as [Target, Target];
  const table = new LiveTable([...TIME_HEADER, 'note'], [52, 10, 10, 16, 10]);
  const med: Record<string, number> = {};
  const engines: Target[] = [dockerToBerthd, ...external];
  for (const w of WORKLOADS) {
    for (const t of engines) {
      const engine = t.external ? t.label : 'berthd';
      const readers: Target[] = t.external ? [t] : [berth, dockerToBerthd];
      let last: string | undefined; // the last run's container, kept for the read side
      const write = await repeat({ runs: RUNS, budgetMs: BUDGET_MS }, async () => {
        if (last) await cliOk(t, ['rm', '-f', last], { timeoutMs: 60_000 });
        const t0 = performance.now();
        last = (await cliOk(t, ['run', '-d', ...t.labelArgs, t.image, 'sh', '-c', w.script], { timeoutMs: STEP_TIMEOUT_MS })).stdout.trim();
        const code = (await cliOk(t, ['wait', last], { timeoutMs: STEP_TIMEOUT_MS })).stdout.trim();
        const ms = performance.now() - t0;
        if (code !== '0') throw new Error(`container exited ${code}`);
        return ms;
      });
      med[`${engine} write ${w.name}`] = summarize(write).median;
      table.add(row(`${engine} ${w.name}: write, run -d → exit`, write, t.external ? '' : 'goal ≤ 5 s'));
      if (!last) continue;
      if (!t.external) table.add([`${engine} ${w.name}: log file size`, fmtBytes(await logSize(d, last)), '', '', `output ${fmtBytes(SIZE)}`]);

      for (const r of readers) {
        const read = await repeat({ runs: RUNS, budgetMs: BUDGET_MS }, async () => {
          const devnull = await open('/dev/null', 'w');
          try {
            const res = await cli(r, ['logs', last!], { stdoutFd: devnull.fd, timeoutMs: STEP_TIMEOUT_MS });
            if (res.code !== 0) throw new Error(`logs ${res.timedOut ? 'hung' : `exited ${res.code}: ${res.stderr.trim()}`}`);
            return res.ms;
          } finally {
            await devnull.close();
          }
        });
        med[`${r.label} read ${w.name}`] = summarize(read).median;
        table.add(row(`${r.label} ${w.name}: logs > /dev/null`, read, t.external ? '' : 'goal ≤ 5 s'));
      }
      // Once into a pipe, counting: does all the output come back?
      const counted = await cli(readers[readers.length - 1]!, ['logs', last], { countOnly: true, timeoutMs: STEP_TIMEOUT_MS });
      table.add([
        `${readers[readers.length - 1]!.label} ${w.name}: logs | count`,
        `${(counted.ms / 1000).toFixed(2)} s`,
        '',
        '1',
        `${counted.bytes === SIZE ? 'all' : `${counted.bytes} of ${SIZE}`} bytes back`,
      ]);
      await cliOk(t, ['rm', '-f', last], { timeoutMs: 60_000 });
    }
    for (const e of external) {
      table.add([`ratio berthd / ${e.label} write, ${w.name}`, ratio(med[`berthd write ${w.name}`]!, med[`${e.label} write ${w.name}`]!), '', '', '']);
      table.add([
        `ratio docker→berthd / ${e.label} read, ${w.name}`,
        ratio(med[`docker→berthd read ${w.name}`]!, med[`${e.label} read ${w.name}`]!),
        '',
        '',
        '',
      ]);
    }
  }
  printReferences([
    'yes: Docker 20.10 81 s write / 243 s read, 3.6 GB log file; Podman 4.3 7 s / 183 s',
    '1 KiB lines: Docker 20.10 1.2 s write / 1.1 s read',
    'goal: ≤ 5 s each way',
  ]);
});

async function logSize(d: BenchDaemon, id: string): Promise<number> {
  const full = (await cliOk(berthTargets(d)[0]!, ['inspect', '-f', '{{.Id}}', id])).stdout.trim();
  return (await stat(join(d.containerDir(full), `${full}-json.log`))).size;
}
