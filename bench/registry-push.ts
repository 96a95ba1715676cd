// Push through berthd's registry client into Berth's registry on 127.0.0.1: an image whose one
// layer is 100 MiB of new random bytes (a fresh layer every run, so nothing exists remotely and
// nothing is cached), then the same push again (every blob exists), over the API (POST
// /images/{name}/push until the stream ends) and through the berth CLI; then each pushed tag
// removed and pulled back (POST /images/create: a new 100 MiB layer fetched, verified and
// unpacked), with berthd's CPU time for it; beside them the floors
// of this machine: sha256, gzip -1/-6 of that layer in-process, a 100 MiB write + fsync. When
// Docker's engine answers, the same layer goes through it too (import, push into the same
// registry, rmi, pull), each right after Berth's run, so the ratios compare under one load.
// Run: npm run build && node dist/bench/registry-push.js
import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { open, readFile, rm, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { runBench, printReferences } from './support/harness.js';
import { BenchApi } from './support/api.js';
import { timed } from './support/measure.js';
import { LiveTable, TIME_HEADER, repeat, row, summarize, timedOk, ratio } from './support/measure.js';
import { BerthRegistry } from '../test/integration/registry/berth-registry.js';
import type { BenchDaemon } from './support/bench-daemon.js';

const execFileP = promisify(execFile);
const LAYER = 100 << 20;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const BUDGET_MS = 300_000;
/** BENCH_QUICK=1: Berth alone (no gzip floors, no Docker or Podman rows), for iterating on a change. */
const QUICK = process.env.BENCH_QUICK === '1';

function ms(t0: number): number {
  return performance.now() - t0;
}

/** A new layer tar: one file of `size` random bytes (imported into berthd and, when found, Docker). */
async function randomLayerTar(d: BenchDaemon, size: number): Promise<string> {
  const dir = join(d.dir, `rnd-${Math.random().toString(36).slice(2, 8)}`);
  await mkdir(dir, { recursive: true });
  const f = await open(join(dir, 'data'), 'w');
  for (let off = 0; off < size; off += 8 << 20) await f.write(randomBytes(Math.min(8 << 20, size - off)));
  await f.close();
  await execFileP('tar', ['-C', dir, '-cf', `${dir}.tar`, 'data']);
  await rm(dir, { recursive: true, force: true });
  return `${dir}.tar`;
}

/** dockerd's PID (its CPU time is read like berthd's), if it wrote its pid file. */
async function dockerdPid(): Promise<number | undefined> {
  const pid = Number.parseInt(await readFile('/var/run/docker.pid', 'utf8').catch(() => ''), 10);
  return pid > 0 ? pid : undefined;
}

/** CPU seconds (user + system) a process has used: unlike wall time, barely moved by other load. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

/**
 * POST /images/{name}/push?tag= and read the stream to its end; fails on an in-band error.
 * X-Registry-Auth as the docker CLI sends it (Docker 20.10 refuses a push without it).
 */
async function apiPush(api: BenchApi, repo: string, tag: string): Promise<number> {
  const t0 = performance.now();
  const r = await api.call('POST', `/images/${encodeURIComponent(repo)}/push?tag=${tag}`, undefined, {
    'X-Registry-Auth': Buffer.from('{}').toString('base64'),
  });
  const took = ms(t0);
  const text = r.body.toString();
  if (r.status !== 200 || text.includes('"errorDetail"')) throw new Error(`push ${repo}:${tag}: ${r.status} ${text.slice(-300)}`);
  return took;
}

/** POST /images/create (a pull) read to its end; fails on an in-band error. */
async function apiPull(api: BenchApi, repo: string, tag: string): Promise<number> {
  const t0 = performance.now();
  const r = await api.call('POST', `/images/create?fromImage=${encodeURIComponent(repo)}&tag=${tag}`);
  const took = ms(t0);
  const text = r.body.toString();
  if (r.status !== 200 || text.includes('"errorDetail"')) throw new Error(`pull ${repo}:${tag}: ${r.status} ${text.slice(-300)}`);
  return took;
}

await runBench('registry push: a new random 100 MiB layer, and a push where every blob exists', { limitMs: 20 * 60_000 }, async ({ d, external }) => {
  const reg = await BerthRegistry.start();
  try {
    const table = new LiveTable([...TIME_HEADER, 'note']);
    const med: Record<string, number> = {};
    const add = (label: string, samples: number[], note = '') => {
      med[label] = summarize(samples).median;
      table.add(row(label, samples, note));
    };
    const data = randomBytes(LAYER);
    add(
      'floor: sha256 of 100 MiB',
      await repeat({ runs: 3, budgetMs: 30_000 }, async () => {
        const t0 = performance.now();
        createHash('sha256').update(data).digest();
        return ms(t0);
      }),
      'in-process',
    );
    for (const level of QUICK ? [] : [1, 6]) {
      add(
        `floor: gzip -${level} of 100 MiB random`,
        await repeat({ runs: 1, budgetMs: 30_000 }, async () => {
          const t0 = performance.now();
          gzipSync(data, { level });
          return ms(t0);
        }),
        'one thread, in-process',
      );
    }
    add(
      'floor: write + fsync 100 MiB',
      await repeat({ runs: 3, budgetMs: 30_000 }, async () => {
        const p = join(d.dir, 'fsync-probe');
        const t0 = performance.now();
        const f = await open(p, 'w');
        await f.write(data);
        await f.sync();
        await f.close();
        const took = ms(t0);
        await rm(p);
        return took;
      }),
      'data-root disk',
    );

    const repo = `${reg.host}/bench/new`;
    // Docker 20.10, when its engine answers: the same layer tar imported, pushed into the same
    // registry and pulled back, each run right after Berth's (pairs under the same load).
    const docker = QUICK ? undefined : external.find((t) => t.label === 'docker engine' && t.socket);
    const dapi = docker?.socket ? new BenchApi(docker.socket, 300_000) : undefined;
    const dpid = dapi ? await dockerdPid() : undefined;
    const drepo = `${reg.host}/bench/docker-${process.pid}`;
    const dockerCli = async (args: string[]) => {
      const r = await timed('docker', args, { env: docker!.env, timeoutMs: 300_000 });
      if (r.code !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr.trim()}`);
    };
    let n = 0;
    const cpu: number[] = [];
    const cpuClient: number[] = [];
    const cpuServer: number[] = [];
    const dPush: number[] = [];
    const dPushCpu: number[] = [];
    const dTags: string[] = [];
    try {
      const newPush = await repeat({ runs: RUNS, budgetMs: BUDGET_MS }, async () => {
        const tag = `r${n++}`;
        const tar = await randomLayerTar(d, LAYER);
        try {
          await timedOk(process.execPath, d.berthArgs(['import', tar, `${repo}:${tag}`]), { env: d.env, timeoutMs: 120_000 });
          if (dapi) {
            await dockerCli(['import', tar, `${drepo}:${tag}`]);
            dTags.push(tag);
          }
        } finally {
          await rm(tar, { force: true });
        }
        const pids = [d.pid, reg.proc.pid!];
        const before = await Promise.all(pids.map(cpuSeconds));
        const took = await apiPush(d.api, repo, tag);
        const after = await Promise.all(pids.map(cpuSeconds));
        cpu.push(after.reduce((a, x, i) => a + x - before[i]!, 0) * 1000);
        cpuClient.push((after[0]! - before[0]!) * 1000);
        cpuServer.push((after[1]! - before[1]!) * 1000);
        if (dapi) {
          const c0 = dpid ? await cpuSeconds(dpid) : 0;
          dPush.push(await apiPush(dapi, drepo, tag));
          if (dpid) dPushCpu.push(((await cpuSeconds(dpid)) - c0) * 1000);
        }
        return took;
      });
      add('API push, new 100 MiB random layer', newPush, `goal ≤ 1.0 s; min ${(Math.min(...newPush) / 1000).toFixed(2)} s`);
      add('  CPU time of berthd + registry for it', cpu, 'load-independent');
      add('  of which berthd (client)', cpuClient, 'tar read, gzip, sha256, send');
      add('  of which the registry (server)', cpuServer, 'receive, sha256, write, fsync');
      if (dPush.length) {
        add('Docker 20.10 push of the same layer, same registry', dPush, 'right after each Berth push');
        if (dPushCpu.length) add('  CPU time of dockerd + registry for it', dPushCpu, 'dockerd only (shared engine)');
      }
      const again = await repeat({ runs: 10, budgetMs: 30_000, warmup: 1 }, () => apiPush(d.api, repo, 'r0'));
      add('API push again, every blob exists', again, `goal < 50 ms; min ${Math.min(...again).toFixed(0)} ms`);
      if (dapi && dTags.length)
        add('Docker 20.10 push again, every blob exists', await repeat({ runs: 10, budgetMs: 30_000, warmup: 1 }, () => apiPush(dapi, drepo, 'r0')));
      add(
        'berth push again, every blob exists',
        await repeat({ runs: 10, budgetMs: 30_000, warmup: 1 }, () =>
          timedOk(process.execPath, d.berthArgs(['push', '-q', `${repo}:r0`]), { env: d.env, timeoutMs: 60_000 }),
        ),
        'CLI start included',
      );
      // Pull back each pushed tag after removing it here (its layer goes with it: nothing else
      // uses it), so every pull fetches, verifies and unpacks a new 100 MiB layer.
      const pulls: number[] = [];
      const cpuPull: number[] = [];
      const dPull: number[] = [];
      const dPullCpu: number[] = [];
      // Podman 4.3 (its CLI: no daemon, so its start-up is in the figure), pulling the tag Berth
      // pushed from the same registry right after Berth's pull, and removing it again.
      const podman = QUICK ? undefined : external.find((t) => t.label === 'podman');
      const pPull: number[] = [];
      for (let i = 0; i < n && pulls.length < RUNS; i++) {
        const ref = `${repo}:r${i}`;
        await timedOk(process.execPath, d.berthArgs(['rmi', ref]), { env: d.env, timeoutMs: 60_000 });
        const before = await cpuSeconds(d.pid);
        pulls.push(await apiPull(d.api, repo, `r${i}`));
        cpuPull.push(((await cpuSeconds(d.pid)) - before) * 1000);
        if (dapi && dTags.includes(`r${i}`)) {
          await dockerCli(['rmi', `${drepo}:r${i}`]);
          const c0 = dpid ? await cpuSeconds(dpid) : 0;
          dPull.push(await apiPull(dapi, drepo, `r${i}`));
          if (dpid) dPullCpu.push(((await cpuSeconds(dpid)) - c0) * 1000);
        }
        if (podman) {
          pPull.push(await timedOk('podman', ['pull', '-q', '--tls-verify=false', ref], { env: podman.env, timeoutMs: 300_000 }));
          await timed('podman', ['rmi', '-f', ref], { env: podman.env, timeoutMs: 60_000 });
        }
      }
      add('API pull, new 100 MiB random layer', pulls, `goal ≤ 0.4 s; min ${(Math.min(...pulls) / 1000).toFixed(2)} s`);
      add('  CPU time of berthd for it', cpuPull, 'download, sha256 x2, gunzip, untar, write');
      if (dPull.length) {
        add('Docker 20.10 pull of the same layer, same registry', dPull, 'right after each Berth pull');
        if (dPullCpu.length) add('  CPU time of dockerd for it', dPullCpu, 'shared engine');
      }
      if (pPull.length) add('Podman 4.3 pull of the same image (CLI)', pPull, 'right after each Berth pull');
      // The store after all those pushes and pulls: `berth system check` exits non-zero on any damage.
      const check = await timed(process.execPath, d.berthArgs(['system', 'check']), { env: d.env, timeoutMs: 120_000 });
      if (check.code !== 0) throw new Error(`berth system check after the pushes and pulls: ${check.stdout}${check.stderr}`);
      console.log(`berth system check after the pushes and pulls: clean (${check.stdout.trim().split('\n').slice(-1)[0]})`);
    } finally {
      if (dapi) for (const t of dTags) await timed('docker', ['rmi', '-f', `${drepo}:${t}`], { env: docker!.env, timeoutMs: 60_000 }).catch(() => {});
    }
    add('node -e 0', await repeat({ runs: 10, budgetMs: 30_000, warmup: 1 }, () => timedOk(process.execPath, ['-e', '0'])), 'floor of a CLI run');
    table.add(['ratio new push / goal 1.0 s', ratio(med['API push, new 100 MiB random layer']!, 1000), '', '', '']);
    table.add(['ratio re-push / goal 50 ms', ratio(med['API push again, every blob exists']!, 50), '', '', '']);
    table.add(['ratio new push / sha256 floor', ratio(med['API push, new 100 MiB random layer']!, med['floor: sha256 of 100 MiB']!), '', '', '']);
    table.add(['ratio new pull / goal 0.4 s', ratio(med['API pull, new 100 MiB random layer']!, 400), '', '', '']);
    if (med['Docker 20.10 push of the same layer, same registry'] !== undefined) {
      table.add([
        'ratio push Berth / Docker 20.10',
        ratio(med['API push, new 100 MiB random layer']!, med['Docker 20.10 push of the same layer, same registry']!),
        '',
        '',
        '',
      ]);
    }
    if (med['Docker 20.10 pull of the same layer, same registry'] !== undefined) {
      table.add([
        'ratio pull Berth / Docker 20.10',
        ratio(med['API pull, new 100 MiB random layer']!, med['Docker 20.10 pull of the same layer, same registry']!),
        '',
        '',
        '',
      ]);
    }
    if (med['Podman 4.3 pull of the same image (CLI)'] !== undefined) {
      table.add([
        'ratio pull Berth / Podman 4.3',
        ratio(med['API pull, new 100 MiB random layer']!, med['Podman 4.3 pull of the same image (CLI)']!),
        '',
        '',
        '',
      ]);
    }
    table.add(['ratio push CPU / sha256 floor', ratio(med['  CPU time of berthd + registry for it']!, med['floor: sha256 of 100 MiB']!), '', '', '']);
  } finally {
    await reg.stop();
  }
  printReferences([
    'Docker 20.10 to distribution, new random 100 MiB layer: 1.89 s; every blob exists: 24 ms',
    'gzip -6 of that layer: 2.2 s; sha256: 0.23 s',
    'Docker 20.10 pull of that image: 0.74 s; Podman 0.59 s',
    'goals: push ≤ 1.0 s; a push where everything exists < 50 ms; pull ≤ 0.4 s',
  ]);
});
