// A private berthd for one benchmark: test/support's TestDaemon for start-up and the busybox
// import, plus a cleanup that is bounded in time and still works when the daemon is wedged or
// gone: it removes containers through the API, stops the daemon by PID (SIGKILL after a grace
// period), kills leftover shims and container processes of this run only (found through this
// run's state dirs and cgroups), unmounts, removes the cgroups and the temp dir.
import { readFile, readdir, rmdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon, BERTH, cleanupHost, purgeNetworks } from '../../test/support/daemon.js';
import { BenchApi, pool } from './api.js';

export { BERTH };

export class BenchDaemon {
  readonly api: BenchApi;
  private cleaned = false;

  private constructor(readonly td: TestDaemon) {
    // A hung request (see the report on shim socket races) must fail a run, not stall the bench.
    this.api = new BenchApi(td.socket, 30_000);
  }

  /**
   * Starts berthd on a temp data root and socket and imports busybox:latest; `hostDns` lets builds
   * reach Debian's mirror. `nodeArgs`, and any in BERTHD_NODE_ARGS (space-separated, e.g.
   * `--cpu-prof --cpu-prof-dir=/tmp/prof`), go to the Node running berthd.
   */
  static async start(opts: { hostDns?: boolean; nodeArgs?: string[] } = {}): Promise<BenchDaemon> {
    const td = await TestDaemon.create();
    const d = new BenchDaemon(td);
    onExit(() => d.cleanup());
    const nodeArgs = [...(opts.nodeArgs ?? []), ...(process.env.BERTHD_NODE_ARGS ?? '').split(' ').filter(Boolean)];
    try {
      await td.start([], { ...(opts.hostDns ? { dns: 'host' as const } : {}), nodeArgs });
      await td.importBusybox();
    } catch (e) {
      await d.cleanup();
      throw e;
    }
    return d;
  }

  get pid(): number {
    return this.td.proc?.pid ?? 0;
  }
  get dataRoot(): string {
    return this.td.dataRoot;
  }
  get dir(): string {
    return this.td.dir;
  }
  get host(): string {
    return this.td.host;
  }
  /** The environment for a CLI (berth or docker) pointed at this daemon. */
  get env(): NodeJS.ProcessEnv {
    return { ...process.env, DOCKER_HOST: this.td.host, DOCKER_CONFIG: join(this.td.dir, 'docker-config') };
  }
  /** Arguments to spawn the berth CLI with process.execPath. */
  berthArgs(args: readonly string[]): string[] {
    return [BERTH, ...args];
  }
  containerDir(id: string): string {
    return join(this.td.dataRoot, 'containers', id);
  }

  /** PIDs from every <data-root>/containers/<id>/shim/shim.pid (and exec state dirs). */
  async shimPids(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const root = join(this.td.dataRoot, 'containers');
    for (const id of await readdir(root).catch(() => [] as string[])) {
      const files = [join(root, id, 'shim', 'shim.pid')];
      for (const e of await readdir(join(root, id, 'execs')).catch(() => [] as string[])) files.push(join(root, id, 'execs', e, 'shim.pid'));
      for (const f of files) {
        const pid = Number.parseInt(await readFile(f, 'utf8').catch(() => ''), 10);
        if (pid > 0) out.set(f, pid);
      }
    }
    return out;
  }

  /** Removes everything this run created. Safe to call twice; bounded in time. */
  async cleanup(): Promise<void> {
    if (this.cleaned) return;
    this.cleaned = true;
    const p = this.td.proc;
    const alive = p && p.exitCode === null && p.signalCode === null;
    if (alive) {
      await withTimeout(30_000, async () => {
        const ids = await this.api.listIds(true);
        await pool(ids, 4, (id) => this.api.remove(id).catch(() => {}));
      }).catch((e) => console.error(`cleanup: removing containers: ${(e as Error).message}`));
      await stopProcess(p, 10_000);
    }
    // Whatever survived (a daemon that died mid-run, a failed rm): shims of this data root, and
    // processes still in this run's cgroups.
    for (const pid of (await this.shimPids()).values()) {
      const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      if (cmd.includes('berth-shim') && cmd.includes(this.td.dataRoot)) killQuiet(pid);
    }
    await killCgroupProcs(this.td.cgroupParent);
    await purgeNetworks(this.td.dataRoot).catch((e) => console.error(`cleanup: networks: ${(e as Error).message}`));
    await cleanupHost(this.td.dataRoot, this.td.cgroupParent);
    await removeCgroupTree(this.td.cgroupParent);
    await rm(this.td.dir, { recursive: true, force: true }).catch((e) => console.error(`cleanup: ${(e as Error).message}`));
  }
}

function killQuiet(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

async function stopProcess(p: NonNullable<TestDaemon['proc']>, graceMs: number): Promise<void> {
  const gone = new Promise<void>((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r())));
  p.kill('SIGTERM');
  if (await Promise.race([gone.then(() => true), sleep(graceMs).then(() => false)])) return;
  p.kill('SIGKILL');
  await Promise.race([gone, sleep(5000)]);
}

async function cgroupDirs(parent: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) if (e.isDirectory()) await walk(join(dir, e.name));
    out.push(dir); // children first
  };
  for (const ctl of await readdir('/sys/fs/cgroup').catch(() => [] as string[])) {
    const base = join('/sys/fs/cgroup', ctl, parent);
    if (existsSync(base)) await walk(base);
  }
  return out;
}

async function killCgroupProcs(parent: string): Promise<void> {
  for (let round = 0; round < 3; round++) {
    let any = false;
    for (const dir of await cgroupDirs(parent)) {
      for (const l of (await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '')).split('\n')) {
        const pid = Number.parseInt(l, 10);
        if (pid > 0) {
          any = true;
          killQuiet(pid);
        }
      }
    }
    if (!any) return;
    await sleep(200);
  }
}

async function removeCgroupTree(parent: string): Promise<void> {
  for (let round = 0; round < 5; round++) {
    const dirs = await cgroupDirs(parent);
    if (dirs.length === 0) return;
    for (const d of dirs) await rmdir(d).catch(() => {});
    await sleep(100);
  }
  const left = await cgroupDirs(parent);
  if (left.length) console.error(`cleanup: cgroups left behind: ${left.join(' ')}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function withTimeout<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([fn(), new Promise<never>((_, rej) => (t = setTimeout(() => rej(new Error(`timed out after ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(t);
  }
}

// Cleanups to run when the process is interrupted (Ctrl-C, kill) rather than ending normally.
const exitHooks: Array<() => Promise<void>> = [];
let hooked = false;
export function onExit(fn: () => Promise<void>): void {
  exitHooks.push(fn);
  if (hooked) return;
  hooked = true;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      console.error(`\n${sig}: cleaning up`);
      void Promise.allSettled(exitHooks.map((h) => withTimeout(90_000, h))).then(() => process.exit(130));
    });
  }
}
