// The Engine API fuzzer's long mode (test/fuzz/engine-api.test.ts is the short CI one): rounds of
// 1000 hostile requests, each round with a new seed, for BERTH_FUZZ_MINUTES (default 10) against
// one berthd. After each round: the daemon must answer /_ping; at the end, no file named with the
// canary may exist outside the data root. Prints per round the statuses, and every 500 with the
// seed that replays it (BERTH_FUZZ_SEED=<seed> BERTH_FUZZ_REQUESTS=1000 with the CI test).
// Run: npm run build && node dist/bench/fuzz.js
import { randomBytes } from 'node:crypto';
import { runBench } from './support/harness.js';
import { fuzzEngineApi, ping, type Finding } from '../test/fuzz/engine-api-fuzz.js';
import { canaryHits } from '../test/fuzz/canary.js';
import { conformancePath } from '../test/support/conformance.js';

const minutes = Number(process.env.BERTH_FUZZ_MINUTES ?? 10);

await runBench('Engine API fuzzer (long mode)', { limitMs: (minutes + 5) * 60_000 }, async ({ d }) => {
  const swaggerPath = conformancePath('engine-api/v1.45.yaml');
  if (!swaggerPath) throw new Error('shared/conformance/engine-api/v1.45.yaml not found (set BERTH_CONFORMANCE)');
  const cli = async (args: string[]) => {
    const r = await d.td.berth(args);
    if (r.code !== 0) throw new Error(`berth ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const canary = `berthfuzzcanary${randomBytes(4).toString('hex')}`;
  const deadline = Date.now() + minutes * 60_000;
  const all: (Finding & { seed: number })[] = [];
  let sent = 0;
  let rounds = 0;
  console.log('round  seed        sent  2xx/3xx   4xx   5xx  500s  closed  held');
  while (Date.now() < deadline) {
    // Fresh targets each round: earlier rounds may have removed the image (rmi, prune -a) or the container.
    if ((await d.td.berth(['image', 'inspect', 'busybox'])).code !== 0) await d.td.importBusybox();
    await cli(['tag', 'busybox', 'fuzz-victim:latest']);
    await cli(['rm', '-f', 'fuzz-target']).catch(() => '');
    const container = await cli(['run', '-d', '--name', 'fuzz-target', 'busybox', 'sleep', '3600']);
    await cli(['network', 'create', 'fuzz-net']).catch(() => '');
    await cli(['volume', 'create', 'fuzz-vol']);
    const seed = randomBytes(4).readUInt32BE();
    const r = await fuzzEngineApi({
      swaggerPath,
      socket: d.td.socket,
      seed,
      requests: 1000,
      timeLimitMs: Math.max(5_000, Math.min(120_000, deadline - Date.now())),
      concurrency: 4,
      canary,
      targets: { container, image: 'fuzz-victim:latest', network: 'fuzz-net', volume: 'fuzz-vol' },
    });
    rounds++;
    sent += r.sent;
    const count = (f: (s: number) => boolean) => Object.entries(r.byStatus).reduce((a, [s, n]) => a + (f(Number(s)) ? n : 0), 0);
    console.log(
      [
        rounds,
        seed,
        r.sent,
        count((s) => s >= 200 && s < 400),
        count((s) => s >= 400 && s < 500),
        count((s) => s >= 500),
        r.findings.length,
        count((s) => s < 0),
        r.timeouts,
      ]
        .map((v, i) => String(v).padStart(i === 1 ? 10 : 5))
        .join(' '),
    );
    all.push(...r.findings.map((f) => ({ ...f, seed })));
    if (!(await ping(d.td.socket))) throw new Error(`berthd stopped answering after round ${rounds} (seed ${seed})`);
  }
  const escaped = await canaryHits(canary, [d.td.dir]);
  console.log(`\n${sent} requests in ${rounds} rounds; 500s: ${all.length}; files outside the data root: ${escaped.length}`);
  for (const f of all) console.log(`  500 seed=${f.seed} ${f.method} ${f.path} (${f.mutation}): ${f.response.trim()}`);
  for (const p of escaped) console.log(`  escaped: ${p}`);
  if (all.length || escaped.length) throw new Error(`${all.length} 500s, ${escaped.length} files outside the data root`);
});
