// The crash-safety torture driver (issue 13): for each long operation, start it through the berth
// CLI, SIGKILL berthd after a random delay, restart berthd, and check what a user relies on:
// `berth system check` finds no damage, every image and container listed inspects (nothing
// half-made is visible), no temp file of unfinished work is left, no mount under the data root
// outlives the containers, and retrying the operation succeeds. The CI test
// (kill-during-ops.test.ts) runs it with a few kills per operation, bench/torture.ts with 50.
// Delays come from a seeded generator: the seed is printed, BERTH_TORTURE_SEED=<seed> replays.
import { mkdir, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestDaemon, RunResult } from '../support/daemon.js';
import type { SystemCheck } from '../../src/api/types/system.js';
import { leftovers } from '../integration/bad-input/support.js';

/** mulberry32: a small seeded generator, so a failing run's kill delays can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface TortureOptions {
  kills: number;
  seed: number;
  /** Kill delays are drawn from [0, maxDelayMs): they include the CLI's start-up (~150 ms). */
  maxDelayMs: number;
  log: (line: string) => void;
}

export interface TortureTally {
  kills: number;
  objectsChecked: number;
  leaks: string[];
  /** Each failed check: operation, kill number, delay and what was wrong. */
  failures: string[];
}

/** One operation under test: `prepare` sets up its input, `op` is what gets killed, `retry` redoes it. */
interface Operation {
  name: string;
  prepare(round: number): Promise<void>;
  op(round: number): Promise<RunResult>;
  /** Redoes the operation after the restart and checks its result; throws when it fails. */
  retry(round: number): Promise<void>;
}

const PAYLOAD_FILES = 4;
const PAYLOAD_SIZE = 1 << 20; // 4 x 1 MiB in the build's COPY

function ok(r: RunResult, what: string): string {
  if (r.code !== 0) throw new Error(`${what}: exit ${r.code}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/** Mount points under the data root (read from /proc/self/mountinfo). */
export async function mountsUnder(dataRoot: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === dataRoot || m.startsWith(`${dataRoot}/`));
}

function operations(d: TestDaemon, work: string): Operation[] {
  const b = (args: string[]) => d.berth(args, { timeoutMs: 120_000 });
  const ctx = join(work, 'build-ctx');
  const saved = join(work, 'commit.tar');
  const exists = async (kind: 'image' | 'container' | 'volume', ref: string) => (await b([kind, 'inspect', ref])).code === 0;
  return [
    {
      // A RUN step, then a COPY of 4 MiB: the kill lands in the context upload, the RUN, or a layer commit.
      name: 'build',
      prepare: async () => {
        await b(['rmi', '-f', 'torture-build']);
      },
      op: () => b(['build', '--no-cache', '-q', '-t', 'torture-build', ctx]),
      retry: async () => {
        ok(await b(['build', '--no-cache', '-q', '-t', 'torture-build', ctx]), 'build');
        const du = ok(await b(['run', '--rm', 'torture-build', 'sh', '-c', 'cat /ran; ls /payload | wc -l']), 'run the built image');
        if (du.replace(/\s+/g, ' ') !== `ran ${PAYLOAD_FILES}`) throw new Error(`the built image is not whole: ${du}`);
      },
    },
    {
      // A container that wrote 4 MiB; commit turns its upper directory into a layer.
      name: 'commit',
      prepare: async (round) => {
        await b(['rmi', '-f', 'torture-commit']);
        if (!(await exists('container', 'tcommit')))
          ok(await b(['run', '--name', 'tcommit', 'busybox', 'sh', '-c', 'dd if=/dev/urandom of=/big bs=1M count=4 2>/dev/null']), `commit setup ${round}`);
      },
      op: () => b(['commit', 'tcommit', 'torture-commit']),
      retry: async () => {
        ok(await b(['commit', 'tcommit', 'torture-commit']), 'commit');
        const size = ok(await b(['run', '--rm', 'torture-commit', 'sh', '-c', 'wc -c < /big']), 'run the committed image');
        if (size !== String(4 << 20)) throw new Error(`the committed image is not whole: /big has ${size} bytes`);
      },
    },
    {
      // Load of the committed image saved once: its 4 MiB layer is unpacked anew each time.
      name: 'load',
      prepare: async () => {
        if (!(await exists('image', 'torture-commit'))) throw new Error('load needs torture-commit (the commit operation runs first)');
        if (!(await readFile(saved).catch(() => undefined))) ok(await b(['save', '-o', saved, 'torture-commit']), 'save');
        ok(await b(['rmi', 'torture-commit']), 'rmi before load');
      },
      op: () => b(['load', '-q', '-i', saved]),
      retry: async () => {
        ok(await b(['load', '-q', '-i', saved]), 'load');
        const size = ok(await b(['run', '--rm', 'torture-commit', 'sh', '-c', 'wc -c < /big']), 'run the loaded image');
        if (size !== String(4 << 20)) throw new Error(`the loaded image is not whole: /big has ${size} bytes`);
      },
    },
    {
      name: 'create+start',
      prepare: async () => {},
      op: (round) => b(['run', '-d', '--name', `trun${round}`, 'busybox', 'sleep', '600']),
      retry: async (round) => {
        const id = ok(await b(['run', '-d', '--name', `trun${round}r`, 'busybox', 'sleep', '600']), 'run -d');
        const state = ok(await b(['inspect', '-f', '{{.State.Status}}', id]), 'inspect');
        if (state !== 'running') throw new Error(`the retried container is ${state}`);
      },
    },
    {
      name: 'rm -f',
      prepare: async (round) => {
        ok(await b(['run', '-d', '--name', `trm${round}`, 'busybox', 'sleep', '600']), 'rm setup');
      },
      op: (round) => b(['rm', '-f', `trm${round}`]),
      retry: async (round) => {
        if (await exists('container', `trm${round}`)) ok(await b(['rm', '-f', `trm${round}`]), 'rm -f');
        if (await exists('container', `trm${round}`)) throw new Error('the container is still there after rm -f');
      },
    },
    {
      // A new named volume mounted over the image's /payload: its 4 MiB are copied up on first use.
      name: 'volume copy-up',
      prepare: async () => {
        if (!(await exists('image', 'torture-build'))) throw new Error('volume copy-up needs torture-build (the build operation runs first)');
      },
      op: async (round) => {
        const c = await b(['volume', 'create', `tvol${round}`]);
        if (c.code !== 0) return c;
        return b(['run', '--rm', '-v', `tvol${round}:/payload`, 'torture-build', 'true']);
      },
      retry: async (round) => {
        ok(await b(['volume', 'create', `tvol${round}`]), 'volume create');
        const n = ok(await b(['run', '--rm', '-v', `tvol${round}:/payload`, 'torture-build', 'sh', '-c', 'cat /payload/* | wc -c']), 'run with the volume');
        if (n !== String(PAYLOAD_FILES * PAYLOAD_SIZE)) throw new Error(`the volume holds ${n} bytes of the image's ${PAYLOAD_FILES * PAYLOAD_SIZE}`);
        ok(await b(['volume', 'rm', `tvol${round}`]), 'volume rm');
      },
    },
  ];
}

/** Writes the build context: a Dockerfile with a RUN step and a COPY of 4 MiB. */
async function writeContext(work: string): Promise<void> {
  const ctx = join(work, 'build-ctx');
  await mkdir(join(ctx, 'payload'), { recursive: true });
  await writeFile(join(ctx, 'Dockerfile'), 'FROM busybox\nRUN echo ran > /ran && sleep 0.2\nCOPY payload /payload\n');
  const rnd = seededRandom(7);
  for (let i = 0; i < PAYLOAD_FILES; i++) {
    const buf = Buffer.alloc(PAYLOAD_SIZE);
    for (let o = 0; o < buf.length; o += 4) buf.writeUInt32LE((rnd() * 2 ** 32) >>> 0, o);
    await writeFile(join(ctx, 'payload', `f${i}`), buf);
  }
}

/** After a restart: the store checks clean and every listed object inspects. Returns how many objects were checked. */
async function checkStore(d: TestDaemon): Promise<number> {
  const r = await d.berth(['system', 'check', '--format', '{{json .}}']);
  if (r.code !== 0 && r.code !== 1) throw new Error(`system check: exit ${r.code}: ${r.stderr}`);
  const report = JSON.parse(r.stdout) as SystemCheck;
  if (report.Problems.length) throw new Error(`system check found damage: ${JSON.stringify(report.Problems)}`);
  let n = 0;
  const images = ok(await d.berth(['images', '-aq', '--no-trunc']), 'images')
    .split('\n')
    .filter(Boolean);
  for (const id of new Set(images)) {
    ok(await d.berth(['image', 'inspect', id]), `image ${id} is listed but does not inspect`);
    n++;
  }
  const containers = ok(await d.berth(['ps', '-aq', '--no-trunc']), 'ps -a')
    .split('\n')
    .filter(Boolean);
  for (const id of containers) {
    ok(await d.berth(['container', 'inspect', id]), `container ${id} is listed but does not inspect`);
    n++;
  }
  const temp = await leftovers(d);
  if (temp.length) throw new Error(`temp files of unfinished work survived the restart: ${temp.join(' ')}`);
  return n;
}

/** Removes every container but the commit operation's source, so no container runs during the mount check. */
async function removeContainers(d: TestDaemon): Promise<void> {
  const lines = ok(await d.berth(['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Names}}']), 'ps -a')
    .split('\n')
    .filter(Boolean);
  const ids = lines.filter((l) => l.split(' ')[1] !== 'tcommit').map((l) => l.split(' ')[0]!);
  if (ids.length) ok(await d.berth(['rm', '-f', ...ids], { timeoutMs: 60_000 }), 'rm -f');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs every operation `kills` times with a kill at a random moment. `only` limits it to the
 * named operations. A failed check is recorded (and the run goes on with a clean slate) so the
 * long mode counts everything; the CI test asserts the failures are none.
 */
export async function torture(d: TestDaemon, work: string, o: TortureOptions, only?: string[]): Promise<TortureTally> {
  const rnd = seededRandom(o.seed);
  o.log(`torture: seed ${o.seed} (replay with BERTH_TORTURE_SEED=${o.seed}), ${o.kills} kill(s) per operation, delays 0-${o.maxDelayMs} ms`);
  await writeContext(work);
  const tally: TortureTally = { kills: 0, objectsChecked: 0, leaks: [], failures: [] };
  ok(await d.berth(['build', '-q', '-t', 'torture-build', join(work, 'build-ctx')]), 'first build'); // what load and volume copy-up start from
  ok(await d.berth(['run', '--name', 'tcommit', 'busybox', 'sh', '-c', 'dd if=/dev/urandom of=/big bs=1M count=4 2>/dev/null']), 'commit source');
  ok(await d.berth(['commit', 'tcommit', 'torture-commit']), 'first commit');
  for (const op of operations(d, work)) {
    if (only && !only.includes(op.name)) continue;
    for (let i = 0; i < o.kills; i++) {
      const delay = Math.floor(rnd() * o.maxDelayMs);
      const where = `${op.name} kill ${i + 1}/${o.kills} after ${delay} ms (seed ${o.seed})`;
      try {
        await op.prepare(i);
        const running = op.op(i);
        await sleep(delay);
        await d.kill('SIGKILL');
        const r = await running;
        tally.kills++;
        await d.start();
        tally.objectsChecked += await checkStore(d);
        await op.retry(i);
        await removeContainers(d);
        const mounts = await mountsUnder(d.dataRoot);
        if (mounts.length) {
          tally.leaks.push(...mounts.map((m) => `${where}: ${m}`));
          throw new Error(`mounts left under the data root with no container running: ${mounts.join(' ')}`);
        }
        o.log(`ok   ${where} (the killed command exited ${r.code})`);
      } catch (e) {
        const msg = `${where}: ${e instanceof Error ? e.message : String(e)}`;
        tally.failures.push(msg);
        o.log(`FAIL ${msg}`);
        if (!d.proc || d.proc.exitCode !== null || d.proc.signalCode !== null) await d.start();
        await removeContainers(d).catch(() => {});
      }
    }
  }
  return tally;
}
