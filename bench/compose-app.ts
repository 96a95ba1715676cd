// The main demo app (examples/django-postgres-nginx) through berth compose: the cold
// `up -d --build --wait` (images built from debian:bookworm with apt, the base made from its
// cached rootfs first), the warm `up -d --build --wait` when nothing changed, and `down`; then
// the same through Debian's docker-compose 1.29 against berthd (its builds hit berthd's cache).
// Needs root, mmdebstrap (or the cached base) and Debian's mirror reachable from containers.
// Run: npm run build && node dist/bench/compose-app.js
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBench, printReferences } from './support/harness.js';
import { fmtMs, timed } from './support/measure.js';
import { BERTH } from './support/bench-daemon.js';
import { ROOT } from '../test/support/daemon.js';

const APP = join(ROOT, 'examples/django-postgres-nginx');
const WARM_ROUNDS = 3;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

await runBench('compose: the Django + PostgreSQL + nginx example app', { limitMs: 30 * 60_000, hostDns: true }, async ({ d }) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-app-'));
  const envFile = join(dir, 'app.env');
  writeFileSync(envFile, `HTTP_PORT=${await freePort()}\n`);
  const project = `benchapp${process.pid}`;
  const step = async (label: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = d.env) => {
    const r = await timed(cmd, args, { env, timeoutMs: 20 * 60_000 });
    if (r.code !== 0) throw new Error(`${label}: exit ${r.code}: ${r.stderr.slice(-2000)}`);
    console.log(`${label.padEnd(48)} ${fmtMs(r.ms).padStart(10)}`);
    return r.ms;
  };
  const berth = (...args: string[]) => [BERTH, 'compose', '-p', project, '-f', join(APP, 'compose.yaml'), '--env-file', envFile, ...args];
  try {
    await step('debian:bookworm base (cached rootfs)', join(ROOT, 'scripts/make-debian-base.sh'), []);
    await step('berth compose up -d --build --wait (cold)', process.execPath, berth('up', '-d', '--build', '--wait', '--wait-timeout', '600'));
    for (let i = 0; i < WARM_ROUNDS; i++)
      await step(`berth compose up -d --build --wait (warm ${i + 1})`, process.execPath, berth('up', '-d', '--build', '--wait'));
    await step('berth compose down', process.execPath, berth('down'));
    await step('berth compose up -d --wait (images built)', process.execPath, berth('up', '-d', '--wait'));
    await step('berth compose down -v', process.execPath, berth('down', '-v'));
    const compose = await timed('docker-compose', ['version'], { timeoutMs: 10_000 }).catch(() => undefined);
    if (compose?.code === 0) {
      const dc = (...args: string[]) => ['-p', project, '-f', join(APP, 'compose.yaml'), '--env-file', envFile, ...args];
      // Compose 1.x names its images <project>_<service>: it builds them again, from berthd's build cache.
      await step('docker-compose 1.29 → berthd up -d --build (cached)', 'docker-compose', dc('up', '-d', '--build'));
      await step('docker-compose 1.29 → berthd down -v --rmi local', 'docker-compose', dc('down', '-v', '--rmi', 'local'));
    }
  } finally {
    await timed(process.execPath, berth('down', '-v', '--rmi', 'local'), { env: d.env, timeoutMs: 5 * 60_000 }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  printReferences(['issue: measure cold and warm `up -d --build` and `down` of the example app (no Docker figures given)']);
});
