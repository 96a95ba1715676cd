// 20 containers started at once: 20 concurrent `run -d busybox sleep 600` CLI processes (berth
// CLI and the docker CLI against berthd), time until all are running; and the same through the
// API directly (20 concurrent create+start over node:http) to separate the CLIs' cost.
// Run: npm run build && node dist/bench/parallel-start.js
import { runBench, printReferences } from './support/harness.js';
import { repeat, row, summarize, ratio, ratioGoal, LiveTable, TIME_HEADER } from './support/measure.js';
import { berthTargets, cli, cliOk, apiOf, apiLabels, type Target } from './support/targets.js';
import { pool, type BenchApi } from './support/api.js';
import { sleep } from './support/bench-daemon.js';

const N = 20;
const ROUNDS = 3;
const BUDGET_MS = 120_000; // per series

await runBench(`${N} containers started at once`, { limitMs: 15 * 60_000 }, async ({ d, external }) => {
  const table = new LiveTable([...TIME_HEADER, 'note']);
  const med: Record<string, number> = {};
  const removeTimes: number[] = [];
  const targets: Target[] = [...berthTargets(d), ...external];

  for (const t of targets) {
    const api = apiOf(t);
    const samples = await repeat({ runs: ROUNDS, budgetMs: BUDGET_MS }, async () => {
      const t0 = performance.now();
      const runs = await Promise.all(Array.from({ length: N }, () => cli(t, ['run', '-d', ...t.labelArgs, t.image, 'sleep', '600'], { timeoutMs: 60_000 })));
      const ids = runs.map((r) => r.stdout.trim()).filter(Boolean);
      try {
        const bad = runs.filter((r) => r.code !== 0);
        if (bad.length) throw new Error(`${bad.length} of ${N} runs failed: ${bad[0]!.timedOut ? 'hung' : bad[0]!.stderr.trim()}`);
        await untilRunning(t, api, ids);
        return performance.now() - t0;
      } finally {
        removeTimes.push(await removeAll(t, api, ids));
      }
    });
    med[t.label] = summarize(samples).median;
    table.add(row(`${t.label}: ${N} × run -d (CLI)`, samples, t.label === 'docker→berthd' ? 'goal 0.7 s' : ''));
  }

  // The API directly: no CLI processes, so the difference to the rows above is the CLIs' cost.
  for (const t of targets.filter((x) => x.socket && x.label !== 'berth')) {
    const api = apiOf(t)!;
    const engine = t.external ? t.label : 'berthd';
    const samples = await repeat({ runs: ROUNDS, budgetMs: BUDGET_MS }, async () => {
      const ids: string[] = [];
      const t0 = performance.now();
      try {
        await Promise.all(
          Array.from({ length: N }, async () => {
            const id = await api.create({ Image: t.image, Cmd: ['sleep', '600'], Labels: apiLabels(t) });
            ids.push(id);
            await api.start(id);
          }),
        );
        return performance.now() - t0;
      } finally {
        removeTimes.push(await removeAll(t, api, ids));
      }
    });
    med[`api ${engine}`] = summarize(samples).median;
    table.add(row(`${engine}: ${N} × create+start (API)`, samples));
  }
  table.add(row(`remove ${N} (DELETE ?force=1, 4 at a time)`, removeTimes, 'between rounds'));
  for (const e of external) {
    const goal = e.label === 'docker engine' ? ratioGoal(med['docker→berthd']!, med[e.label]!, 0.25) : '';
    table.add([`ratio docker→berthd / ${e.label}`, ratio(med['docker→berthd']!, med[e.label]!), '', '', goal]);
  }

  printReferences([`Docker 20.10: 2.2 s`, `Podman 4.3: 1.5 s`, `goal: 0.7 s (per ${N} concurrent CLI runs)`]);
});

/** Polls until the engine lists every id as running (bounded: 30 s). */
async function untilRunning(t: Target, api: BenchApi | undefined, ids: string[]): Promise<void> {
  const want = new Set(ids.map((i) => i.slice(0, 12)));
  const deadline = performance.now() + 30_000;
  for (;;) {
    const running = api
      ? (await api.json<Array<{ Id: string }>>('GET', '/containers/json')).map((c) => c.Id)
      : (await cliOk(t, ['ps', '-q', '--no-trunc'])).stdout.split('\n');
    const seen = running.filter((id) => want.has(id.slice(0, 12))).length;
    if (seen === want.size) return;
    if (performance.now() > deadline) throw new Error(`${t.label}: only ${seen} of ${want.size} running after 30 s`);
    await sleep(10);
  }
}

async function removeAll(t: Target, api: BenchApi | undefined, ids: string[]): Promise<number> {
  const t0 = performance.now();
  if (!api) await cliOk(t, ['rm', '-f', ...ids], { timeoutMs: 120_000 });
  else await pool(ids, 4, (id) => api.remove(id));
  return performance.now() - t0;
}
