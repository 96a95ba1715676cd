// The load driver (issue 13): N concurrent Engine API clients doing run / exec / logs / inspect /
// ps / rm for a bounded time against a berthd that already holds many containers. Counts every
// error (a non-2xx status, a dropped connection, a wrong answer), times each `ps` and `inspect`,
// and reads berthd's resources (RSS, open fds, mounts under its data root, cgroups under its
// cgroup parent) before and after, so leaks show as a difference. Used by
// test/torture/load.test.ts (CI: few clients, seconds) and bench/load.ts (50 clients, minutes).
import { Agent, request } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface LoadOptions {
  socket: string;
  /** The Engine API version in the request paths: 1.45 for berthd, 1.41 for Docker 20.10. */
  apiVersion?: string;
  /** Labels put on every container the load makes, beside its own (an external engine's cleanup label). */
  labels?: Record<string, string>;
  image: string;
  /** Containers created (not started) before the load, beside the load's own. */
  existing: number;
  /** Long-running containers the clients exec into and read logs of. */
  sleepers: number;
  clients: number;
  durationMs: number;
  /** The engine's resources, read before and after the load (berthd's: `resources()` below). */
  measure?: () => Promise<Resources>;
  /** The engine's CPU seconds so far (all its threads), read as the measured window opens and closes. */
  cpuSeconds?: () => Promise<number>;
  /** Called as the measured window opens (a bench resets its probes) and as it closes (reads them). */
  onWindowStart?: () => void;
  onWindowEnd?: () => Promise<void>;
  log?: (line: string) => void;
  /**
   * The clients spread over this many event loops (worker threads, each with its share of the
   * clients; default 1: all on the driver's own loop). One loop parsing 50 clients' answers
   * (a `ps -a` of 500 containers is ~0.5 MB of JSON) is as busy as the engine it measures, and a
   * latency it times includes its own queueing; more loops take that out of the figures.
   */
  workers?: number;
  /** Keep connections open between a client's requests (as docker-py's session and the docker CLI do); default: one connection per request. */
  keepAlive?: boolean;
}

export interface Resources {
  rssKiB: number;
  /** The live heap after a full collection, KiB, when the engine's probe can tell (the bench's berthd). */
  heapKiB?: number;
  fds: number;
  mounts: number;
  cgroups: number;
}

export interface LoadResult {
  ops: Record<string, number>;
  errors: string[];
  /** Latencies in ms of GET /containers/json?all=1 and GET /containers/{id}/json during the load. */
  psMs: number[];
  inspectMs: number[];
  /** Undefined when no `measure` was given. */
  before?: Resources;
  after?: Resources;
  containersBefore: number;
  containersAfter: number;
  /** The engine's CPU seconds during the measured window, when `cpuSeconds` was given. */
  cpuSeconds?: number;
  /** The driver's own event-loop delay during the window (ms): what of a latency is the client's. */
  clientLoop: { p50: number; p99: number; max: number };
  /** /proc/loadavg's 1-minute figure as the window opened and as it closed. */
  loadAverage: [number, number];
}

interface Reply {
  status: number;
  body: Buffer;
}

/**
 * One request, on a connection of its own unless `agent` keeps connections (closed with the agent
 * before the resources are read again, so a kept socket never reads as a leaked fd).
 */
function call(socket: string, version: string, method: string, path: string, body?: unknown, timeoutMs = 120_000, agent?: Agent): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string | number> = data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {};
    const req = request({ socketPath: socket, method, path: `/v${version}${path}`, headers, agent: agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path}: timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(data);
  });
}

async function ok(socket: string, version: string, method: string, path: string, body?: unknown, agent?: Agent): Promise<Reply> {
  const r = await call(socket, version, method, path, body, undefined, agent);
  if (r.status < 200 || r.status >= 300)
    throw new Error(`${method} ${path.replace(/[0-9a-f]{64}/, '<id>')}: ${r.status} ${r.body.toString().trim().slice(0, 200)}`);
  return r;
}

/** Mount points under the data root, from /proc/self/mountinfo (berthd shares our mount namespace). */
export async function mountsUnder(root: string): Promise<string[]> {
  return (await readFile('/proc/self/mountinfo', 'utf8'))
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => !!m && (m === root || m.startsWith(`${root}/`)));
}

/** Cgroup directories below the parent, counted in every hierarchy that has it. */
export async function cgroupsUnder(parent: string): Promise<number> {
  let n = 0;
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (!e.isDirectory()) continue;
      n++;
      await walk(join(dir, e.name));
    }
  };
  for (const ctl of await readdir('/sys/fs/cgroup').catch(() => [] as string[])) {
    const base = join('/sys/fs/cgroup', ctl, parent);
    if (existsSync(base)) await walk(base);
  }
  return n;
}

/** berthd's resources: its RSS and open fds, the mounts under its data root, the cgroups under its parent. */
export async function resources(o: { pid: number; dataRoot: string; cgroupParent: string }): Promise<Resources> {
  const status = await readFile(`/proc/${o.pid}/status`, 'utf8');
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const fds = (await readdir(`/proc/${o.pid}/fd`)).length;
  return { rssKiB, fds, mounts: (await mountsUnder(o.dataRoot)).length, cgroups: await cgroupsUnder(o.cgroupParent) };
}

async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (i < items.length) await fn(items[i++]!);
    }),
  );
}

const LABEL = 'berth-load';
/** Idle time before each resource reading: exec shims and closed sockets settle, and berthd, idle, gives memory back (src/lib/idle-trim.ts). */
const SETTLE_MS = 3000;

async function loadAverage(): Promise<number> {
  return Number((await readFile('/proc/loadavg', 'utf8')).split(' ')[0]);
}

/** CPU seconds (user + system, all threads, waited-for children excluded) of the given processes so far. */
export async function cpuSecondsOf(pids: readonly number[]): Promise<number> {
  let ticks = 0;
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    // Fields after the command (which may hold spaces) start past its closing parenthesis; utime, stime are 14 and 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(f[11] ?? 0) + Number(f[12] ?? 0);
  }
  return ticks / 100; // USER_HZ is 100 on Linux
}

/** Nearest-rank percentile of samples (ms). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const log = o.log ?? (() => {});
  const version = o.apiVersion ?? '1.45';
  const api = (method: string, path: string, body?: unknown) => ok(o.socket, version, method, path, body);
  // A value of this run's own: an engine shared with others (Docker's) lists their containers too.
  const runTag = Math.random().toString(36).slice(2, 10);
  const labels = { ...o.labels, [LABEL]: runTag };
  // The standing population: `existing` created containers and a few running ones.
  const t0 = performance.now();
  const existing: string[] = [];
  await pool(
    Array.from({ length: o.existing }, (_, i) => i),
    4,
    async () => {
      existing.push(JSON.parse((await api('POST', '/containers/create', { Image: o.image, Cmd: ['true'], Labels: labels })).body.toString()).Id);
    },
  );
  const sleepers: string[] = [];
  for (let i = 0; i < o.sleepers; i++) {
    const id = JSON.parse(
      (await api('POST', '/containers/create', { Image: o.image, Cmd: ['sh', '-c', 'echo sleeper-up; exec sleep 3600'], Labels: labels })).body.toString(),
    ).Id as string;
    await api('POST', `/containers/${id}/start`);
    sleepers.push(id);
  }
  log(`setup: ${existing.length} created, ${sleepers.length} running, in ${Math.round(performance.now() - t0)} ms`);
  // `ps -a` as the clients send it (every container of the engine); counted are this run's.
  const ours = (r: Reply) => (JSON.parse(r.body.toString()) as Array<{ Labels?: Record<string, string> }>).filter((c) => c.Labels?.[LABEL] === runTag);
  const listAll = async () => ours(await api('GET', '/containers/json?all=1'));
  const containersBefore = (await listAll()).length;
  // A short warm-up, so the baseline is of a daemon that has served these requests once.
  await api('GET', `/containers/${existing[0] ?? sleepers[0]}/json`);
  // Then idle as long as before the reading after the load (below), so both are of a daemon in the same idle state.
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const before = await o.measure?.();
  if (before) log(`before: ${JSON.stringify(before)}`);

  const clientOpts: ClientOptions = {
    socket: o.socket,
    version,
    image: o.image,
    labels,
    runTag,
    sleepers,
    all: [...existing, ...sleepers],
    containersBefore,
    clients: o.clients,
    endEpochMs: 0,
    keepAlive: o.keepAlive ?? false,
  };
  const workers = Math.max(1, Math.min(o.workers ?? 1, o.clients));
  const load0 = await loadAverage();
  const cpu0 = await o.cpuSeconds?.();
  o.onWindowStart?.();
  clientOpts.endEpochMs = Date.now() + o.durationMs;
  const parts =
    workers === 1
      ? [await runClients(clientOpts)]
      : await Promise.all(
          Array.from({ length: workers }, (_, i) => inWorker({ ...clientOpts, clients: Math.floor(o.clients / workers) + (i < o.clients % workers ? 1 : 0) })),
        );
  await o.onWindowEnd?.();
  const cpu1 = await o.cpuSeconds?.();
  const load1 = await loadAverage();
  const ops: Record<string, number> = {};
  for (const p of parts) for (const [k, v] of Object.entries(p.ops)) ops[k] = (ops[k] ?? 0) + v;
  const errors = parts.flatMap((p) => p.errors);
  const psMs = parts.flatMap((p) => p.psMs);
  const inspectMs = parts.flatMap((p) => p.inspectMs);
  // The busiest client loop's figures: the one that adds the most to the latencies it timed.
  const clientLoop = {
    p50: Math.max(...parts.map((p) => p.clientLoop.p50)),
    p99: Math.max(...parts.map((p) => p.clientLoop.p99)),
    max: Math.max(...parts.map((p) => p.clientLoop.max)),
  };
  log(`load done: ${JSON.stringify(ops)}, ${errors.length} errors`);

  // Back to the standing population, then to nothing of ours: the load's containers are gone.
  const containersAfter = (await listAll()).length;
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const after = await o.measure?.();
  if (after) log(`after: ${JSON.stringify(after)}`);
  await pool([...existing, ...sleepers], 4, async (id) => {
    await api('DELETE', `/containers/${id}?force=1`).catch((e: Error) => errors.push(`cleanup: ${e.message}`));
  });
  return {
    ops,
    errors,
    psMs,
    inspectMs,
    before,
    after,
    containersBefore,
    containersAfter,
    cpuSeconds: cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : undefined,
    clientLoop,
    loadAverage: [load0, load1],
  };
}

/** What the clients of one event loop need: the engine, the standing population, the window's end. */
interface ClientOptions {
  socket: string;
  version: string;
  image: string;
  labels: Record<string, string>;
  runTag: string;
  sleepers: string[];
  all: string[];
  containersBefore: number;
  clients: number;
  /** Date.now() at which the window closes (one clock for every worker thread). */
  endEpochMs: number;
  keepAlive: boolean;
}

interface ClientResult {
  ops: Record<string, number>;
  errors: string[];
  psMs: number[];
  inspectMs: number[];
  clientLoop: { p50: number; p99: number; max: number };
}

/** `clients` concurrent clients on this thread's event loop until the window closes. */
async function runClients(c: ClientOptions): Promise<ClientResult> {
  const o = { image: c.image };
  const { labels, runTag, sleepers, all, containersBefore } = c;
  const agent = c.keepAlive ? new Agent({ keepAlive: true, maxSockets: c.clients }) : undefined;
  const api = (method: string, path: string, body?: unknown) => ok(c.socket, c.version, method, path, body, agent);
  const ours = (r: Reply) => (JSON.parse(r.body.toString()) as Array<{ Labels?: Record<string, string> }>).filter((x) => x.Labels?.[LABEL] === runTag);
  const ops: Record<string, number> = {};
  const errors: string[] = [];
  const psMs: number[] = [];
  const inspectMs: number[] = [];
  const pick = <T>(a: readonly T[]): T => a[Math.floor(Math.random() * a.length)]!;

  const actions: Array<[string, number, () => Promise<void>]> = [
    [
      'run',
      2,
      async () => {
        const id = JSON.parse((await api('POST', '/containers/create', { Image: o.image, Cmd: ['sh', '-c', 'echo run-ok'], Labels: labels })).body.toString())
          .Id as string;
        try {
          await api('POST', `/containers/${id}/start`);
          const w = JSON.parse((await api('POST', `/containers/${id}/wait`)).body.toString()) as { StatusCode: number };
          if (w.StatusCode !== 0) throw new Error(`run: exit ${w.StatusCode}`);
          const logs = (await api('GET', `/containers/${id}/logs?stdout=1`)).body;
          if (!logs.includes('run-ok')) throw new Error(`run: logs lack the output: ${JSON.stringify(logs.toString())}`);
        } finally {
          await api('DELETE', `/containers/${id}?force=1`);
        }
      },
    ],
    [
      'exec',
      2,
      async () => {
        const c = pick(sleepers);
        const e = JSON.parse((await api('POST', `/containers/${c}/exec`, { Cmd: ['echo', 'exec-ok'], AttachStdout: true })).body.toString()).Id as string;
        const out = (await api('POST', `/exec/${e}/start`, { Detach: false, Tty: false })).body;
        if (!out.includes('exec-ok')) throw new Error(`exec: output lacks the text: ${JSON.stringify(out.toString())}`);
        const ins = JSON.parse((await api('GET', `/exec/${e}/json`)).body.toString()) as { ExitCode: number; Running: boolean };
        if (ins.Running || ins.ExitCode !== 0) throw new Error(`exec: inspect says running=${ins.Running} exit=${ins.ExitCode}`);
      },
    ],
    [
      'logs',
      2,
      async () => {
        const out = (await api('GET', `/containers/${pick(sleepers)}/logs?stdout=1&tail=5`)).body;
        if (!out.includes('sleeper-up')) throw new Error(`logs: ${JSON.stringify(out.toString())}`);
      },
    ],
    [
      'inspect',
      4,
      async () => {
        const id = pick(all);
        const t = performance.now();
        const r = await api('GET', `/containers/${id}/json`);
        inspectMs.push(performance.now() - t);
        if ((JSON.parse(r.body.toString()) as { Id: string }).Id !== id) throw new Error('inspect: another container came back');
      },
    ],
    [
      'ps',
      3,
      async () => {
        const t = performance.now();
        const r = await api('GET', '/containers/json?all=1');
        psMs.push(performance.now() - t); // the answer, not the client's parsing of it
        const n = ours(r).length;
        if (n < containersBefore) throw new Error(`ps: listed ${n} < ${containersBefore}`);
      },
    ],
  ];
  const weights = actions.reduce((a, [, w]) => a + w, 0);
  const choose = () => {
    let r = Math.random() * weights;
    for (const a of actions) if ((r -= a[1]) < 0) return a;
    return actions[0]!;
  };

  const clientLoop = monitorEventLoopDelay({ resolution: 10 });
  clientLoop.enable();
  await Promise.all(
    Array.from({ length: c.clients }, async () => {
      while (Date.now() < c.endEpochMs) {
        const [name, , fn] = choose();
        try {
          await fn();
          ops[name] = (ops[name] ?? 0) + 1;
        } catch (e) {
          errors.push(`${name}: ${(e as Error).message}`);
        }
      }
    }),
  );
  clientLoop.disable();
  agent?.destroy(); // kept connections closed before the engine's fds are counted again
  const ms = (ns: number) => ns / 1e6;
  return { ops, errors, psMs, inspectMs, clientLoop: { p50: ms(clientLoop.percentile(50)), p99: ms(clientLoop.percentile(99)), max: ms(clientLoop.max) } };
}

/** runClients on a worker thread of its own (this module, started with the options as its data). */
function inWorker(c: ClientOptions): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: { berthLoadClients: c } });
    w.once('message', (r: ClientResult) => resolve(r));
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`load worker exited with ${code} before reporting`)));
  });
}

if (!isMainThread && (workerData as { berthLoadClients?: ClientOptions } | null)?.berthLoadClients) {
  const r = await runClients((workerData as { berthLoadClients: ClientOptions }).berthLoadClients);
  parentPort!.postMessage(r);
}
