// Memory: berthd's resident set (VmRSS from /proc/<pid>/status) idle just after start with
// busybox imported, then with 10 containers running `sleep 600`, and the RSS of each
// container's monitor (berth-shim; found through <data-root>/containers/*/shim/shim.pid since
// shims are reparented away from berthd).
// Run: npm run build && node dist/bench/memory.js
import { readFile, readdir } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { runBench, printReferences } from './support/harness.js';
import { summarize, fmtBytes, LiveTable } from './support/measure.js';
import { pool } from './support/api.js';
import { sleep } from './support/bench-daemon.js';

const CONTAINERS = 10;

async function status(pid: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const l of (await readFile(`/proc/${pid}/status`, 'utf8')).split('\n')) {
    const m = /^(Vm\w+|Rss\w+):\s+(\d+) kB/.exec(l);
    if (m) out[m[1]!] = Number(m[2]) * 1024;
  }
  return out;
}

/** Proportional and unique set sizes (smaps_rollup): what the process costs beyond the pages it shares (node's binary, libc). */
async function rollup(pid: number): Promise<{ pss: number; uss: number }> {
  const kb: Record<string, number> = {};
  for (const l of (await readFile(`/proc/${pid}/smaps_rollup`, 'utf8')).split('\n')) {
    const m = /^(\w+):\s+(\d+) kB/.exec(l);
    if (m) kb[m[1]!] = Number(m[2]) * 1024;
  }
  return { pss: kb['Pss'] ?? NaN, uss: (kb['Private_Clean'] ?? NaN) + (kb['Private_Dirty'] ?? NaN) };
}

/** VmRSS of every process whose name is one of `names` (Docker's daemons, read in the same minute; they serve other users too). */
async function rssOf(names: string[]): Promise<number | undefined> {
  let sum = 0;
  let found = false;
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const comm = (await readFile(`/proc/${e}/comm`, 'utf8').catch(() => '')).trim();
    if (!names.includes(comm)) continue;
    const s = await status(Number(e)).catch(() => undefined);
    if (s?.['VmRSS'] !== undefined) (sum += s['VmRSS']), (found = true);
  }
  return found ? sum : undefined;
}

/** An idle Node process's RSS: the floor any Node daemon starts from. */
async function nodeFloor(): Promise<Record<string, number>> {
  const p = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)'], { stdio: 'ignore' });
  try {
    await sleep(1000);
    return await status(p.pid!);
  } finally {
    p.kill('SIGKILL');
  }
}

/** MiB plus decimal MB, since the goals are in MB. */
function mem(n: number | undefined): string {
  return n === undefined || !Number.isFinite(n) ? '-' : `${fmtBytes(n)} (${(n / 1e6).toFixed(1)} MB)`;
}

await runBench('memory', { limitMs: 5 * 60_000 }, async ({ d }) => {
  await sleep(1000); // let start-up garbage settle a little, as an idle daemon would
  const idle = await status(d.pid);
  const idleSets = await rollup(d.pid);
  const ids = await pool(Array.from({ length: CONTAINERS }), 2, async () => {
    const id = await d.api.create({ Image: 'busybox', Cmd: ['sleep', '600'] });
    await d.api.start(id);
    return id;
  });
  await sleep(1000);
  const busy = await status(d.pid);
  const shims: Array<{ rss: number; anon: number }> = [];
  for (const [file, pid] of await d.shimPids()) {
    if (!ids.some((id) => file.includes(id))) continue;
    const s = await status(pid).catch(() => undefined);
    if (s) shims.push({ rss: s['VmRSS'] ?? NaN, anon: s['RssAnon'] ?? NaN });
  }
  const rss = summarize(shims.map((s) => s.rss));
  const anon = summarize(shims.map((s) => s.anon));

  const table = new LiveTable(['measure', 'value', 'note'], [44, 22, 30]);
  const MiB = 1024 * 1024;
  table.add(['berthd VmRSS, idle (busybox imported)', mem(idle['VmRSS']), `goal ≤ 55 MiB: ${idle['VmRSS']! <= 55 * MiB ? 'met' : 'missed'}`]);
  table.add(['berthd RssAnon, idle', mem(idle['RssAnon']), '']);
  table.add(['berthd PSS / USS, idle', `${fmtBytes(idleSets.pss)} / ${fmtBytes(idleSets.uss)}`, 'shared pages counted once']);
  const floor = await nodeFloor();
  table.add(['idle `node -e setTimeout` VmRSS (floor)', mem(floor['VmRSS']), `RssAnon ${fmtBytes(floor['RssAnon']!)}`]);
  table.add([`berthd VmRSS, ${CONTAINERS} containers running`, mem(busy['VmRSS']), '']);
  table.add(['berthd VmHWM (peak so far)', mem(busy['VmHWM']), '']);
  table.add(['berthd growth per running container', fmtBytes((busy['VmRSS']! - idle['VmRSS']!) / CONTAINERS), '']);
  table.add([`berth-shim VmRSS, median of ${shims.length}`, mem(rss.median), `goal ≤ 1.5 MiB: ${rss.median <= 1.5 * MiB ? 'met' : 'missed'}`]);
  table.add(['berth-shim VmRSS, max', mem(rss.max), '']);
  table.add(['berth-shim RssAnon (private), median', fmtBytes(anon.median), 'the rest is shared libc pages']);
  table.add([`berth-shim VmRSS, sum of ${shims.length}`, fmtBytes(shims.reduce((a, s) => a + s.rss, 0)), '']);
  const docker = await rssOf(['dockerd', 'containerd']);
  if (docker !== undefined)
    table.add(['dockerd + containerd VmRSS (same minute)', mem(docker), `berthd idle ${(idle['VmRSS']! / docker).toFixed(2)}x; not idle, shared`]);
  if (shims.length !== CONTAINERS) console.log(`(found ${shims.length} shims for ${CONTAINERS} containers)`);
  printReferences(['dockerd + containerd: 112 MB (goal for berthd ≤ 60 MB)', 'containerd-shim: 12.9 MB per container; conmon: 2.0 MB (goal ≤ 3 MB)']);
});
