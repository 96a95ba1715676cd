// The crash-safety torture driver (issue 13): for each long operation (operations.ts), start it
// through the berth CLI, SIGKILL berthd (or the registry server, or `berth registry gc`) after a
// random delay, restart what was killed on the same data root (a daemon "upgrade": the new
// process must re-adopt everything), and check what a user relies on:
// - `berth system check` finds no damage and every image and container listed inspects;
// - no temp file of unfinished work is left;
// - every container running before the kill is running after it with the same pid (re-adopted,
//   not restarted), or exited with its real exit code;
// - no mount, netns, veth, bridge, cgroup or DNAT rule beyond what the surviving objects explain
//   (host-state.ts);
// - after a registry kill, the registry's store is consistent (registry-check.ts);
// - retrying the operation succeeds and its result is whole.
// The CI tests run it with one or two kills per operation, bench/torture.ts with 50. Delays come
// from a seeded generator: the seed is printed, BERTH_TORTURE_SEED=<seed> replays.
import { createServer } from 'node:net';
import { join } from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { TestDaemon } from '../support/daemon.js';
import type { SystemCheck } from '../../src/api/types/system.js';
import { leftovers } from '../integration/bad-input/support.js';
import { BerthRegistry } from '../integration/registry/berth-registry.js';
import { settledLeaks } from './host-state.js';
import { registryProblems } from './registry-check.js';
import { ok, operations, writeInputs, type Operation, type OpContext } from './operations.js';
import { seededRandom } from '../support/seeded-random.js';

export { mountsUnder } from './host-state.js';

export interface TortureOptions {
  kills: number;
  seed: number;
  /**
   * Kill delays are drawn from [0, maxDelayMs) in an operation's first round (they include the CLI's
   * start-up, ~150 ms), then from [0, the length of its last retry) when that is longer.
   */
  maxDelayMs: number;
  /** Widen the delays to the operation's measured length (off: a replay with the same delays). */
  adaptive?: boolean;
  log: (line: string) => void;
}

export interface TortureTally {
  kills: number;
  objectsChecked: number;
  leaks: string[];
  /** Each failed check: operation, kill number, delay and what was wrong. */
  failures: string[];
}

/** The operation names, in the order they run (build and commit first: later ones use their images). */
export const OPERATIONS = [
  'build',
  'commit',
  'save',
  'load',
  'import',
  'pull',
  'push',
  'network create+connect',
  'compose up',
  'compose down',
  'create+start',
  'rm -f',
  'volume copy-up',
  'registry upload',
  'registry gc',
] as const;

/** Containers kept across rounds: the commit source, the long-lived survivor, the network op's container, compose's. */
const KEEP = (name: string) => ['tcommit', 'tlive', 'tnetc'].includes(name) || name.startsWith('tcomp');

/** After a restart: the store checks clean and every listed object inspects (through the API: a CLI per object is slow). */
async function checkStore(d: TestDaemon): Promise<number> {
  const r = await d.berth(['system', 'check', '--format', '{{json .}}']);
  if (r.code !== 0 && r.code !== 1) throw new Error(`system check: exit ${r.code}: ${r.stderr}`);
  const report = JSON.parse(r.stdout) as SystemCheck;
  if (report.Problems.length) throw new Error(`system check found damage: ${JSON.stringify(report.Problems)}`);
  let n = 0;
  const images = await d.api('GET', '/images/json?all=1');
  for (const id of new Set((images.json as { Id: string }[]).map((i) => i.Id))) {
    const i = await d.api('GET', `/images/${id}/json`);
    if (i.status !== 200) throw new Error(`image ${id} is listed but does not inspect: ${i.status} ${i.text}`);
    n++;
  }
  const containers = await d.api('GET', '/containers/json?all=1');
  for (const { Id } of containers.json as { Id: string }[]) {
    const c = await d.api('GET', `/containers/${Id}/json`);
    if (c.status !== 200) throw new Error(`container ${Id} is listed but does not inspect: ${c.status} ${c.text}`);
    n++;
  }
  const temp = await leftovers(d);
  if (temp.length) throw new Error(`temp files of unfinished work survived the restart: ${temp.join(' ')}`);
  return n;
}

interface Running {
  id: string;
  name: string;
  pid: number;
  /** The exit code the container's command ends with by itself (label torture.exit), if any. */
  exit?: number;
}

async function running(d: TestDaemon): Promise<Running[]> {
  const list = await d.api('GET', '/containers/json');
  const out: Running[] = [];
  for (const c of list.json as { Id: string; Names: string[]; Labels?: Record<string, string> }[]) {
    const i = await d.api('GET', `/containers/${c.Id}/json`);
    if (i.status !== 200) continue; // removed in between
    const exit = c.Labels?.['torture.exit'];
    out.push({ id: c.Id, name: c.Names[0]!.replace(/^\//, ''), pid: i.json.State.Pid as number, ...(exit ? { exit: Number(exit) } : {}) });
  }
  return out;
}

/**
 * Every container running before the kill is, after the restart, running with the same pid
 * (re-adopted, not restarted), or exited with the exit code its command ends with. Containers
 * the operation itself stops or removes are left out. A container still running whose command
 * ends by itself is waited for, so the exit berthd records is checked too.
 */
async function checkSurvivors(d: TestDaemon, before: Running[], op: Operation, round: number): Promise<number> {
  let n = 0;
  for (const c of before) {
    if (op.disturbs?.(c.name, round)) continue;
    let i = await d.api('GET', `/containers/${c.id}/json`);
    if (i.status !== 200) throw new Error(`${c.name} was running before the kill and is gone after the restart`);
    if (i.json.State.Running && c.exit !== undefined) {
      const w = await d.api('POST', `/containers/${c.id}/wait`, undefined, 60_000);
      if (w.status !== 200) throw new Error(`wait ${c.name}: ${w.status} ${w.text}`);
      i = await d.api('GET', `/containers/${c.id}/json`);
    }
    const s = i.json.State as { Running: boolean; Pid: number; ExitCode: number; Status: string };
    if (s.Running) {
      if (s.Pid !== c.pid) throw new Error(`${c.name} runs with pid ${s.Pid} after the restart, ${c.pid} before: it was restarted, not re-adopted`);
    } else if (c.exit === undefined) {
      throw new Error(`${c.name} was running before the kill and is ${s.Status} (exit ${s.ExitCode}) after the restart`);
    } else if (s.ExitCode !== c.exit) {
      throw new Error(`${c.name} exited with ${c.exit} but berthd recorded ${s.ExitCode} (${s.Status})`);
    }
    n++;
  }
  return n;
}

/** Removes the containers of past rounds (KEEP stays), so each round starts from the same set. */
async function removeContainers(d: TestDaemon): Promise<void> {
  const list = await d.api('GET', '/containers/json?all=1');
  if (list.status !== 200) throw new Error(`containers/json: ${list.status} ${list.text}`);
  const gone = (list.json as { Id: string; Names: string[] }[]).filter((c) => !KEEP(c.Names[0]!.replace(/^\//, '')));
  await Promise.all(
    gone.map(async (c) => {
      const r = await d.api('DELETE', `/containers/${c.Id}?force=1&v=1`, undefined, 60_000);
      if (r.status !== 204 && r.status !== 404) throw new Error(`rm -f ${c.Names[0]}: ${r.status} ${r.text}`);
    }),
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A port free right now on 127.0.0.1: the registry keeps it across restarts, so image refs stay valid. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Berth's registry on a fixed loopback port over a root that outlives each (killed) process. */
class Registry {
  private server?: BerthRegistry;
  private constructor(
    readonly root: string,
    readonly port: number,
  ) {}
  static async start(): Promise<Registry> {
    const r = new Registry(await mkdtemp(join(tmpdir(), `berth-torture-reg-`)), await freePort());
    await r.restart();
    return r;
  }
  get host(): string {
    return `127.0.0.1:${this.port}`;
  }
  async restart(): Promise<void> {
    this.server = await BerthRegistry.start({ root: this.root, args: ['--addr', this.host] });
  }
  get alive(): boolean {
    return !!this.server && this.server.proc.exitCode === null && this.server.proc.signalCode === null;
  }
  kill9(): Promise<void> {
    return this.server?.kill9() ?? Promise.resolve();
  }
  async stop(): Promise<void> {
    await this.server?.stop();
    await rm(this.root, { recursive: true, force: true });
  }
}

/**
 * Runs every operation `kills` times with a kill at a random moment. `only` limits it to the
 * named operations (their inputs are made whatever runs). A failed check is recorded (and the
 * run goes on with a clean slate) so the long mode counts everything; the CI tests assert the
 * failures are none.
 */
export async function torture(d: TestDaemon, work: string, o: TortureOptions, only?: readonly string[]): Promise<TortureTally> {
  const rnd = seededRandom(o.seed);
  o.log(
    `torture: seed ${o.seed} (replay with BERTH_TORTURE_SEED=${o.seed}), ${o.kills} kill(s) per operation, delays 0-${o.maxDelayMs} ms${o.adaptive ? " then up to each operation's measured length (BERTH_TORTURE_MAX_DELAY_MS=N fixes them)" : ''}`,
  );
  await writeInputs(work, seededRandom(7));
  const tally: TortureTally = { kills: 0, objectsChecked: 0, leaks: [], failures: [] };
  const reported = new Set<string>();
  const registry = await Registry.start();
  try {
    const c: OpContext = { d, work, registry: registry.host, registryRoot: registry.root };
    const b = (args: string[]) => d.berth(args, { timeoutMs: 120_000 });
    // What the chosen operations start from: the built and committed images, a pushed image to pull.
    const ops = operations(c).filter((op) => !only || only.includes(op.name));
    const needs = new Set(ops.flatMap((op) => op.needs ?? []));
    if (needs.has('built')) ok(await b(['build', '-q', '-t', 'torture-build', join(work, 'build-ctx')]), 'first build');
    if (needs.has('committed') || needs.has('pushed') || ops.some((op) => op.name === 'commit'))
      ok(await b(['run', '--name', 'tcommit', 'busybox', 'sh', '-c', 'dd if=/dev/urandom of=/big bs=1M count=4 2>/dev/null']), 'commit source');
    if (needs.has('committed') || needs.has('pushed')) ok(await b(['commit', 'tcommit', 'torture-commit']), 'first commit');
    if (needs.has('pushed')) {
      ok(await b(['tag', 'torture-commit', `${registry.host}/torture/pull`]), 'tag');
      ok(await b(['push', `${registry.host}/torture/pull`]), 'first push');
    }
    // A container that runs through every kill, with a published port (DNAT rule) to re-adopt.
    ok(await b(['run', '-d', '--name', 'tlive', '-p', '80', 'busybox', 'sleep', '36000']), 'long-lived container');
    for (const op of ops) {
      // Delays spread over the operation's length: at least maxDelayMs, else as long as its last
      // uninterrupted run (the retry, checks included, capped), so kills reach its late phases too.
      let span = o.maxDelayMs;
      for (let i = 0; i < o.kills; i++) {
        const delay = Math.floor(rnd() * span);
        const where = `${op.name} kill ${i + 1}/${o.kills} after ${delay} ms (seed ${o.seed})`;
        try {
          const t0 = Date.now();
          const phases: string[] = [];
          const mark = (what: string) => phases.push(`${what} ${((Date.now() - t0) / 1000).toFixed(1)}s`);
          await op.prepare(i);
          mark('prepared');
          // Ends by itself about when the kill lands: its exit is recorded live or found by the recovery.
          ok(await b(['run', '-d', '--name', `texit${i}`, '--label', 'torture.exit=7', 'busybox', 'sh', '-c', 'sleep 1; exit 7']), 'exit sentinel');
          const before = await running(d);
          const pending = op.op(i);
          await sleep(delay);
          if (op.target === 'berthd') await d.kill('SIGKILL');
          else await Promise.all([registry.kill9(), op.target === 'gc' && c.gc?.pid ? killPid(c.gc.pid, c.gc.done) : undefined]);
          const r = await pending;
          tally.kills++;
          mark('killed');
          if (op.target === 'berthd') await d.start();
          else await registry.restart();
          mark('restarted');
          tally.objectsChecked += await checkStore(d);
          tally.objectsChecked += await checkSurvivors(d, before, op, i);
          if (op.target !== 'berthd') {
            const reg = await registryProblems(registry.root, `http://${registry.host}`);
            if (reg.problems.length) throw new Error(`registry store after the kill: ${reg.problems.join('; ')}`);
            tally.objectsChecked += reg.blobs + reg.uploads;
          }
          mark('checked');
          const retryStart = Date.now();
          await op.retry(i);
          if (o.adaptive) span = Math.max(o.maxDelayMs, Math.min(Date.now() - retryStart, 8000));
          mark('retried');
          if (op.target !== 'berthd' || op.name === 'push') {
            const reg = await registryProblems(registry.root, `http://${registry.host}`);
            if (reg.problems.length) throw new Error(`registry store after the retry: ${reg.problems.join('; ')}`);
          }
          await removeContainers(d);
          mark('cleaned');
          // A leak is reported once: later rounds are judged on what they leave themselves.
          const leaks = (await settledLeaks(d, 15_000, reported)).filter((l) => !reported.has(l));
          for (const l of leaks) reported.add(l);
          mark('leak-checked');
          if (leaks.length) {
            tally.leaks.push(...leaks.map((m) => `${where}: ${m}`));
            throw new Error(`left on the host beyond what the surviving objects explain: ${leaks.join(', ')}`);
          }
          o.log(`ok   ${where} (the killed command exited ${r.code}; ${phases.join(', ')})`);
        } catch (e) {
          const msg = `${where}: ${e instanceof Error ? e.message : String(e)}`;
          tally.failures.push(msg);
          o.log(`FAIL ${msg}`);
          if (!d.proc || d.proc.exitCode !== null || d.proc.signalCode !== null) await d.start();
          if (!registry.alive) await registry.restart();
          await removeContainers(d).catch(() => {});
        }
      }
    }
  } finally {
    await registry.stop();
  }
  return tally;
}

async function killPid(pid: number, done: Promise<unknown>): Promise<void> {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return; // already gone
  }
  await done;
}

/** The CI mode: BERTH_TORTURE_KILLS (default 1) kills of each named operation, the seed printed. */
export async function ciTorture(d: TestDaemon, only: readonly string[]): Promise<{ tally: TortureTally; seed: number }> {
  const seed = Number(process.env.BERTH_TORTURE_SEED ?? Math.floor(Math.random() * 2 ** 32));
  const tally = await torture(
    d,
    d.dir,
    {
      kills: Number(process.env.BERTH_TORTURE_KILLS ?? 1),
      seed,
      maxDelayMs: Number(process.env.BERTH_TORTURE_MAX_DELAY_MS ?? 600),
      adaptive: !process.env.BERTH_TORTURE_MAX_DELAY_MS,
      log: (line) => console.log(line),
    },
    only,
  );
  return { tally, seed };
}
