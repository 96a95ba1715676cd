// Load (issue 13): BERTH_LOAD_CLIENTS (default 50) concurrent Engine API clients doing run /
// exec / logs / inspect / ps / rm for BERTH_LOAD_SECONDS (default 180) against a berthd holding
// BERTH_LOAD_EXISTING (default 500) created containers and 5 running ones. Prints the operations
// done, every error, `ps` and `inspect` latency p50/p99 under that load, berthd's event-loop
// delay and utilisation in the window (a probe preloaded into it: bench/support/loop-probe.ts),
// its CPU seconds, the client's own loop delay, and berthd's RSS, open fds, mounts and cgroups
// before and after. When Docker's engine answers on /var/run/docker.sock, the same workload
// runs against it right after (its own 500 containers, labelled for cleanup), so the ratios are
// of one machine state; BERTH_LOAD_ROUNDS (1) alternates the two engines that many times.
// The CI mode is test/torture/load.test.ts.
// BERTH_LOAD_WORKERS (1) and BERTH_LOAD_KEEPALIVE (0) shape the client (below).
// Run: npm run build && node dist/bench/load.js
import { readFile, rm, writeFile } from 'node:fs/promises';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runBench, printReferences } from './support/harness.js';
import { apiLabels, type Target } from './support/targets.js';
import type { LoopStats } from './support/loop-probe.js';
import { runLoad, percentile, resources, cpuSecondsOf, type LoadOptions, type LoadResult } from '../test/torture/load-driver.js';

const clients = Number(process.env.BERTH_LOAD_CLIENTS ?? 50);
const seconds = Number(process.env.BERTH_LOAD_SECONDS ?? 180);
const existing = Number(process.env.BERTH_LOAD_EXISTING ?? 500);
const rounds = Number(process.env.BERTH_LOAD_ROUNDS ?? 1);
// The client side: BERTH_LOAD_WORKERS (1) event loops (worker threads) share the clients, and
// BERTH_LOAD_KEEPALIVE=1 keeps each client's connection between requests, as docker-py's session
// does (default: a connection per request). Session 21 tried 5 loops with keep-alive as the
// default: on the loaded 2-core machine the busiest client loop's delay was no smaller than one
// loop's, so the default stayed the client of before (bench/README.md, session 21).
const workers = Number(process.env.BERTH_LOAD_WORKERS ?? 1);
const keepAlive = process.env.BERTH_LOAD_KEEPALIVE === '1';
// BERTH_LOAD_DOCKER=0: berthd alone (a profiling run), even when Docker's engine answers.
const withDocker = process.env.BERTH_LOAD_DOCKER !== '0';

// berthd inherits the environment: the probe it preloads writes here.
const probeFile = `/tmp/berth-load-loop-${process.pid}.json`;
process.env.BERTH_LOOP_PROBE = probeFile;
// berthd's probe writes the file until berthd stops, after the workload: removed as the bench exits.
process.on('exit', () => rmSync(probeFile, { force: true }));
const probe = join(import.meta.dirname, 'support', 'loop-probe.js');

/** The processes of Docker's engine: dockerd (its pid file) and containerd. */
async function dockerPids(): Promise<number[]> {
  const pids: number[] = [];
  const d = Number.parseInt(await readFile('/var/run/docker.pid', 'utf8').catch(() => ''), 10);
  if (d > 0) pids.push(d);
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const comm = await readFile(`/proc/${e}/comm`, 'utf8').catch(() => '');
    if (comm.trim() === 'containerd') pids.push(Number(e));
  }
  return pids;
}

/** The probe's last figures; null while there are none, or when its write of the file is caught half done. */
async function readProbe(): Promise<LoopStats | null> {
  try {
    return JSON.parse(await readFile(probeFile, 'utf8')) as LoopStats;
  } catch {
    return null;
  }
}

/** BERTH_LOAD_HEAP_SNAPSHOTS=DIR: berthd's heap snapshots before and after the load go there (compare them in Chrome's DevTools). */
const snapshotDir = process.env.BERTH_LOAD_HEAP_SNAPSHOTS;
let snapshots = 0;
async function heapSnapshot(): Promise<void> {
  if (!snapshotDir) return;
  const path = join(snapshotDir, `berthd-${process.pid}-${++snapshots}.heapsnapshot`);
  await writeFile(`${probeFile}.snap`, path);
  for (let i = 0; i < 300; i++) {
    await new Promise((r) => setTimeout(r, 200));
    if (!(await readFile(`${probeFile}.snap`).catch(() => undefined))) break;
  }
  console.log(`berthd heap snapshot: ${path}`);
}

/** Asks berthd's probe for a full collection and returns the live heap it reports (KiB). */
async function heapAfterGc(): Promise<number | undefined> {
  const read = readProbe;
  const before = (await read())?.gcs ?? 0;
  await writeFile(`${probeFile}.gc`, '');
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 200));
    const s = await read();
    if (s && s.gcs > before) {
      console.log(
        `berthd at a full collection: RSS ${s.rssBeforeKiB} -> ${s.rssAfterKiB} KiB, V8 new space ${s.newSpaceBeforeKiB} -> ${s.newSpaceAfterKiB} KiB, live heap ${s.heapUsedKiB} KiB`,
      );
      return s.heapUsedKiB;
    }
  }
  return undefined;
}

const ms = (v: number) => `${v.toFixed(1)} ms`;

function report(engine: string, r: LoadResult, loop?: LoopStats): void {
  const total = Object.values(r.ops).reduce((a, b) => a + b, 0);
  console.log(`\n## ${engine}: load average ${r.loadAverage[0]} -> ${r.loadAverage[1]}`);
  console.log(
    `operations:   ${total} (${Object.entries(r.ops)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}), ${(total / seconds).toFixed(1)}/s`,
  );
  console.log(`errors:       ${r.errors.length}`);
  for (const e of [...new Set(r.errors)].slice(0, 20)) console.log(`  ${e}`);
  console.log(`ps:           p50 ${ms(percentile(r.psMs, 50))}, p99 ${ms(percentile(r.psMs, 99))} (n=${r.psMs.length}, ${r.containersBefore} containers)`);
  console.log(`inspect:      p50 ${ms(percentile(r.inspectMs, 50))}, p99 ${ms(percentile(r.inspectMs, 99))} (n=${r.inspectMs.length})`);
  if (loop)
    console.log(
      `engine loop:  delay p50 ${ms(loop.p50)}, p99 ${ms(loop.p99)}, max ${ms(loop.max)}; busy ${(loop.utilization * 100).toFixed(0)}% of ${(loop.windowMs / 1000).toFixed(0)} s`,
    );
  console.log(`client loop:  delay p50 ${ms(r.clientLoop.p50)}, p99 ${ms(r.clientLoop.p99)}, max ${ms(r.clientLoop.max)}`);
  if (r.cpuSeconds !== undefined)
    console.log(`engine CPU:   ${r.cpuSeconds.toFixed(1)} s (${((r.cpuSeconds * 1000) / Math.max(1, total)).toFixed(1)} ms per operation)`);
  if (r.before && r.after) for (const k of ['rssKiB', 'fds', 'mounts', 'cgroups'] as const) console.log(`${`${k}:`.padEnd(14)}${r.before[k]} -> ${r.after[k]}`);
  console.log(`containers:   ${r.containersBefore} -> ${r.containersAfter}`);
}

await runBench(
  `load: ${clients} API clients for ${seconds} s with ${existing} containers`,
  { limitMs: rounds * 2 * (seconds + 600) * 1000, nodeArgs: ['--expose-gc', '--import', probe] },
  async ({ d, external }) => {
    const docker = withDocker ? external.find((t: Target) => t.label === 'docker engine' && t.socket) : undefined;
    const common: Omit<LoadOptions, 'socket' | 'image'> = {
      existing,
      sleepers: 5,
      clients,
      durationMs: seconds * 1000,
      workers,
      keepAlive,
      log: (l) => console.log(l),
    };
    console.log(`client: ${clients} clients on ${workers} event loop(s), ${keepAlive ? 'keep-alive connections' : 'a connection per request'}`);
    const pairs: string[] = [];
    for (let round = 1; round <= rounds; round++) {
      console.log(`\n# round ${round}: berthd`);
      let loop: LoopStats | null = null;
      const b = await runLoad({
        ...common,
        socket: d.td.socket,
        image: 'busybox',
        measure: async () => {
          const r = { ...(await resources({ pid: d.pid, dataRoot: d.dataRoot, cgroupParent: d.td.cgroupParent })), heapKiB: await heapAfterGc() };
          await heapSnapshot();
          return r;
        },
        cpuSeconds: () => cpuSecondsOf([d.pid]),
        onWindowStart: () => process.kill(d.pid, 'SIGUSR2'),
        onWindowEnd: async () => {
          for (let i = 0; i < 5 && !loop; i++) loop = (await readProbe()) ?? (await new Promise((r) => setTimeout(r, 100)), null);
        },
      });
      report('berthd', b, loop ?? undefined);
      if (!docker) continue;
      console.log(`\n# round ${round}: Docker (dockerd on ${docker.socket})`);
      const pids = await dockerPids();
      const k = await runLoad({
        ...common,
        socket: docker.socket!,
        apiVersion: '1.41',
        image: docker.image,
        labels: apiLabels(docker),
        // dockerd's own RSS and fds; mounts and cgroups of every Docker container (other users' too).
        measure: () => resources({ pid: pids[0]!, dataRoot: '/var/lib/docker', cgroupParent: '/docker' }),
        cpuSeconds: () => cpuSecondsOf(pids),
      });
      report('Docker 20.10 (dockerd + containerd CPU)', k);
      const opsOf = (r: LoadResult) => Object.values(r.ops).reduce((a, c) => a + c, 0);
      const ratio = (f: (r: LoadResult) => number) => `${(f(b) / f(k)).toFixed(2)}x`;
      pairs.push(
        `round ${round}: ps p50 ${ratio((r) => percentile(r.psMs, 50))}, p99 ${ratio((r) => percentile(r.psMs, 99))}; ` +
          `inspect p50 ${ratio((r) => percentile(r.inspectMs, 50))}, p99 ${ratio((r) => percentile(r.inspectMs, 99))}; ` +
          `operations ${ratio(opsOf)}; CPU per operation ${ratio((r) => (r.cpuSeconds ?? 0) / opsOf(r))}`,
      );
    }
    if (pairs.length) {
      console.log('\nberthd / Docker, same run:');
      for (const p of pairs) console.log(`  ${p}`);
    }
    await rm(`${probeFile}.gc`, { force: true });
    printReferences(['goal: no errors; ps/inspect p99 < 10 ms; RSS, fds, mounts and cgroups back to their starting level']);
  },
);
