// Compose: `up -d` of a 10-service busybox project cold, the no-op `up -d` when nothing changed,
// and `down`, through berth compose and through Debian's docker-compose 1.29 against berthd, and
// (when a docker engine is installed) docker-compose 1.29 against dockerd, interleaved per round.
// Run: npm run build && node dist/bench/compose.js
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBench, printReferences } from './support/harness.js';
import { row, summarize, ratio, timed, LiveTable, TIME_HEADER } from './support/measure.js';
import { BERTH } from './support/bench-daemon.js';

const ROUNDS = 7;
const SERVICES = 10;

function composeFile(image: string, label: string): string {
  const svc = (i: number) => `  s${i}:\n    image: ${image}\n    init: true\n    command: ["sleep", "600"]\n    labels: ["berth-bench=${label}"]\n`;
  return `version: "3.9"\nservices:\n${Array.from({ length: SERVICES }, (_, i) => svc(i)).join('')}`;
}

interface Engine {
  label: string;
  cmd: string;
  pre: string[];
  env: NodeJS.ProcessEnv;
  file: string;
}

await runBench(`compose: ${SERVICES} busybox services`, { limitMs: 15 * 60_000 }, async ({ d, external }) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-compose-'));
  try {
    const write = (name: string, image: string) => {
      const f = join(dir, name);
      writeFileSync(f, composeFile(image, d.td.bridge));
      return f;
    };
    const berthFile = write('berth.yaml', 'busybox');
    const engines: Engine[] = [{ label: 'berth compose', cmd: process.execPath, pre: [BERTH, 'compose'], env: d.env, file: berthFile }];
    const hasDockerCompose = (await timed('docker-compose', ['version'], { timeoutMs: 10_000 }).catch(() => undefined))?.code === 0;
    if (hasDockerCompose) engines.push({ label: 'docker-compose 1.29 → berthd', cmd: 'docker-compose', pre: [], env: d.env, file: berthFile });
    else console.log('docker-compose: not installed');
    for (const e of external)
      if (e.label === 'docker engine' && hasDockerCompose)
        engines.push({ label: 'docker-compose 1.29 → dockerd', cmd: 'docker-compose', pre: [], env: e.env, file: write('docker.yaml', e.image) });
    const samples = new Map<string, number[]>();
    const add = (k: string, ms: number) => samples.set(k, [...(samples.get(k) ?? []), ms]);
    for (let round = 0; round < ROUNDS; round++) {
      // The floors in the same rounds (the machine is noisy): Node's start, and berth compose
      // loading the file and printing it (no API call).
      add('node -e 0 (floor)', (await timed(process.execPath, ['-e', '0'])).ms);
      add('berth compose config (load only)', (await timed(process.execPath, [BERTH, 'compose', '-f', berthFile, 'config', '-q'], { env: d.env })).ms);
      for (const e of engines) {
        const project = `bench${process.pid}r${round}`;
        const run = async (...args: string[]) => {
          const r = await timed(e.cmd, [...e.pre, '-p', project, '-f', e.file, ...args], { env: e.env, timeoutMs: 120_000 });
          if (r.code !== 0) throw new Error(`${e.label} ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
          return r.ms;
        };
        add(`${e.label} up -d (cold)`, await run('up', '-d'));
        add(`${e.label} up -d (no-op)`, await run('up', '-d'));
        add(`${e.label} down`, await run('down', '-t', '1'));
      }
    }
    const table = new LiveTable([...TIME_HEADER, 'note']);
    const goals: Record<string, string> = { 'up -d (cold)': 'goal < 1 s', 'up -d (no-op)': 'goal < 150 ms', down: 'goal < 0.5 s' };
    for (const [k, v] of samples) table.add(row(k, v, Object.entries(goals).find(([g]) => k.endsWith(g))?.[1] ?? ''));
    const med = (k: string) => summarize(samples.get(k) ?? []).median;
    for (const w of Object.keys(goals)) {
      for (const other of engines.slice(1))
        table.add([`ratio berth / ${other.label} ${w}`, ratio(med(`berth compose ${w}`), med(`${other.label} ${w}`)), '', '', '']);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  printReferences([
    'docker-compose 1.29 on Docker 20.10: up -d of 3 services 1.00 s, down 0.72 s',
    `goals: ${SERVICES} services up -d < 1 s, no-op up < 150 ms, down < 0.5 s`,
  ]);
});
