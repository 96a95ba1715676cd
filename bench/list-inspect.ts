// Listing and inspecting with many containers: 50, then 500 created (not started) through the
// API, then GET /containers/json?all=1 and GET /containers/{id}/json over the API, and `ps -a`
// through the docker CLI and the berth CLI against berthd.
// Run: npm run build && node dist/bench/list-inspect.js
import { runBench, printReferences } from './support/harness.js';
import { repeat, row, summarize, ratio, LiveTable, TIME_HEADER, fmtMs } from './support/measure.js';
import { berthTargets, cliOk, apiOf, apiLabels, type Target } from './support/targets.js';
import { pool, type BenchApi } from './support/api.js';

const SIZES = [50, 500];
const RUNS = 20;
const BUDGET_MS = 30_000;

await runBench('list and inspect', { limitMs: 15 * 60_000 }, async ({ d, external }) => {
  const table = new LiveTable([...TIME_HEADER, 'note']);
  const med: Record<string, number> = {};
  const engines: Array<{ t: Target; api: BenchApi; name: string; ids: string[] }> = [
    { t: berthTargets(d)[1]!, api: d.api, name: 'berthd', ids: [] },
    ...external.flatMap((t) => (apiOf(t) ? [{ t, api: apiOf(t)!, name: t.label, ids: [] as string[] }] : [])),
  ];
  for (const size of SIZES) {
    for (const e of engines) {
      // Grow this engine's set of our containers to `size`.
      const t0 = performance.now();
      const need = size - e.ids.length;
      const made = await pool(Array.from({ length: need }), 4, () => e.api.create({ Image: e.t.image, Cmd: ['true'], Labels: apiLabels(e.t) }));
      e.ids.push(...made);
      const createMs = performance.now() - t0;
      table.add([`${e.name}: create ${need} (API, 4 at a time)`, fmtMs(createMs), '', '1', `${fmtMs(createMs / need)} each`]);

      const list = await repeat({ runs: RUNS, budgetMs: BUDGET_MS, warmup: 2 }, async () => {
        const t1 = performance.now();
        const r = await e.api.json<unknown[]>('GET', '/containers/json?all=1');
        const ms = performance.now() - t1;
        if (r.length < size) throw new Error(`listed ${r.length} < ${size}`);
        return ms;
      });
      table.add(row(`${e.name} ${size}: GET /containers/json?all=1`, list, e.t.external ? '' : 'goal < 5 ms'));
      let k = 0;
      const inspect = await repeat({ runs: RUNS * 5, budgetMs: BUDGET_MS, warmup: 2 }, async () => {
        const id = e.ids[(k++ * 37) % e.ids.length]!;
        const t1 = performance.now();
        await e.api.json('GET', `/containers/${id}/json`);
        return performance.now() - t1;
      });
      table.add(row(`${e.name} ${size}: GET /containers/{id}/json`, inspect, e.t.external ? '' : 'goal < 5 ms'));
      const ps = await repeat(
        { runs: RUNS, budgetMs: BUDGET_MS, warmup: 2 },
        async () => (await cliOk(e.t, ['ps', '-a'], { timeoutMs: 20_000, countOnly: true })).ms,
      );
      med[`${e.name} ${size}`] = summarize(ps).median;
      table.add(row(`${e.t.label} ${size}: ps -a (CLI)`, ps));
      if (!e.t.external) {
        const b = berthTargets(d)[0]!;
        table.add(
          row(
            `berth ${size}: ps -a (CLI)`,
            await repeat({ runs: RUNS, budgetMs: BUDGET_MS, warmup: 2 }, async () => (await cliOk(b, ['ps', '-a'], { timeoutMs: 20_000, countOnly: true })).ms),
          ),
        );
      }
    }
    for (const e of engines.filter((x) => x.t.external))
      table.add([`ratio docker→berthd / ${e.name} (ps -a, ${size})`, ratio(med[`berthd ${size}`]!, med[`${e.name} ${size}`]!), '', '', '']);
  }
  for (const e of engines) {
    const t0 = performance.now();
    await pool(e.ids, 4, (id) => e.api.remove(id));
    const ms = performance.now() - t0;
    table.add([`${e.name}: remove ${e.ids.length} (API, 4 at a time)`, fmtMs(ms), '', '1', `${fmtMs(ms / e.ids.length)} each`]);
    e.ids.length = 0;
  }
  printReferences([
    "Docker's CLI round trip for `docker ps -a` with 50 containers: 13 ms",
    'goal: list and inspect over the API under 5 ms each with 500 containers',
  ]);
});
