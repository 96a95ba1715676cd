// `exec c true` (c named bench-c: docker rejects one-character names) into a running busybox container, through the berth CLI and the real docker CLI
// against berthd (fresh process each time), plus the docker CLI's request sequence over the API
// (exec create, exec start hijacked until the stream ends, exec inspect) phase by phase. The floors
// run in the same rounds: `docker version` against each engine the docker CLI drives (the CLI's own
// start and round trips, which no engine can cut) and `node -e 0` (the berth CLI's).
// Run: npm run build && node dist/bench/exec.js
import { runBench, printReferences } from './support/harness.js';
import { repeat, row, summarize, ratio, ratioGoal, timed, LiveTable, TIME_HEADER, type Samples } from './support/measure.js';
import { berthTargets, cliOk, type Target } from './support/targets.js';
import { drain } from './support/api.js';
import type { BenchDaemon } from './support/bench-daemon.js';

const RUNS = 20;
const BUDGET_MS = 30_000;

await runBench('exec c true', { limitMs: 10 * 60_000 }, async ({ d, external }) => {
  const table = new LiveTable([...TIME_HEADER, 'note']);
  const med: Record<string, number> = {};
  const targets: Target[] = [...berthTargets(d), ...external];
  await cliOk(targets[0]!, ['run', '-d', '--name', 'bench-c', 'busybox', 'sleep', '600']);
  const names = new Map<Target, string>();
  for (const t of targets) {
    // On an external engine, a name unique to the run so its own containers are never touched.
    const name = t.external ? `berth-bench-exec-${process.pid}` : 'bench-c';
    if (t.external) await cliOk(t, ['run', '-d', '--name', name, ...t.labelArgs, t.image, 'sleep', '600']);
    names.set(t, name);
  }
  // The engines take turns within each round (A B C A B C ...), so a change of the machine's load
  // (shared by other work) hits them alike instead of one engine's whole block.
  const samples = new Map<Target, Samples>(targets.map((t) => [t, Object.assign([] as number[], { failures: 0 })]));
  const versions = new Map<Target, number[]>(targets.filter((t) => t.cmd === 'docker').map((t) => [t, []]));
  const nodeFloor: number[] = [];
  await repeat({ runs: RUNS, budgetMs: BUDGET_MS * targets.length * 2, warmup: 2 }, async (i) => {
    for (const t of targets) {
      const s = samples.get(t)!;
      try {
        const ms = (await cliOk(t, ['exec', names.get(t)!, 'true'], { timeoutMs: 10_000 })).ms;
        if (i >= 0) s.push(ms);
      } catch (e) {
        s.failures!++;
        s.firstError ??= (e as Error).message.split('\n')[0];
      }
      const v = versions.get(t);
      if (v) {
        const ms = (await cliOk(t, ['version'], { timeoutMs: 10_000 })).ms;
        if (i >= 0) v.push(ms);
      }
    }
    const ms = (await timed(process.execPath, ['-e', '0'])).ms;
    if (i >= 0) nodeFloor.push(ms);
    return 0;
  });
  for (const t of targets) {
    const s = samples.get(t)!;
    if (s.failures) console.log(`  (${s.failures} failed run(s): ${s.firstError})`);
    med[t.label] = summarize(s).median;
    table.add(row(`${t.label} exec ${names.get(t)} true`, s, t.label === 'docker→berthd' ? 'goal ≤ 30 ms' : ''));
  }
  const floor: Record<string, number> = {};
  for (const [t, v] of versions) {
    floor[t.label] = summarize(v).median;
    table.add(row(`${t.label} version (the docker CLI's floor)`, v));
  }
  table.add(row("node -e 0 (the berth CLI's floor)", nodeFloor));
  for (const e of external) {
    table.add([`ratio berth / ${e.label}`, ratio(med['berth']!, med[e.label]!), '', '', '']);
    const goal = e.label === 'docker engine' ? ratioGoal(med['docker→berthd']!, med[e.label]!, 0.4) : '';
    table.add([`ratio docker→berthd / ${e.label}`, ratio(med['docker→berthd']!, med[e.label]!), '', '', goal]);
    // Above the floor: each exec less the same CLI's `version` against the same engine.
    if (e.label in floor)
      table.add([
        `ratio above the CLI floor, docker→berthd / ${e.label}`,
        ratio(med['docker→berthd']! - floor['docker→berthd']!, med[e.label]! - floor[e.label]!),
        '',
        '',
        '',
      ]);
  }
  const api = await phases(d);
  const nodeMed = summarize(nodeFloor).median;
  console.log(
    `\nberth exec ${med['berth']!.toFixed(1)} ms against node -e 0 + API time ${(nodeMed + api).toFixed(1)} ms (${nodeMed.toFixed(1)} + ${api.toFixed(1)}): ${ratio(med['berth']!, nodeMed + api)}`,
  );
  printReferences(['Docker 20.10: 44 ms', 'Podman 4.3: 113 ms', 'goal: 30 ms through the docker CLI']);
});

/** The docker CLI's exec sequence over node:http against berthd; returns the total's median. */
async function phases(d: BenchDaemon): Promise<number> {
  const p: Record<string, number[]> = { 'exec create': [], 'exec start → stream end': [], 'exec inspect': [], 'total (API)': [] };
  await repeat({ runs: RUNS, budgetMs: BUDGET_MS, warmup: 2 }, async (i) => {
    const t0 = performance.now();
    const { Id } = await d.api.json<{ Id: string }>('POST', '/containers/bench-c/exec', { Cmd: ['true'], AttachStdout: true, AttachStderr: true });
    const t1 = performance.now();
    await drain(await d.api.hijack('POST', `/exec/${Id}/start`, { Detach: false, Tty: false }), 10_000);
    const t2 = performance.now();
    const info = await d.api.json<{ ExitCode: number | null; Running: boolean }>('GET', `/exec/${Id}/json`);
    const t3 = performance.now();
    if (info.ExitCode !== 0) throw new Error(`exec exited ${info.ExitCode} (running ${info.Running})`);
    if (i >= 0) {
      p['exec create']!.push(t1 - t0);
      p['exec start → stream end']!.push(t2 - t1);
      p['exec inspect']!.push(t3 - t2);
      p['total (API)']!.push(t3 - t0);
    }
    return t3 - t0;
  });
  console.log("\nwhere the time goes (the docker CLI's request sequence over node:http, berthd):");
  const table = new LiveTable(TIME_HEADER);
  for (const [k, v] of Object.entries(p)) table.add(row(k, v));
  return summarize(p['total (API)']!).median;
}
