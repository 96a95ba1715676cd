// Foreign architectures under emulation: `run --rm --platform linux/arm64 busybox true` (Debian's
// busybox-static:arm64 run by qemu-user through binfmt_misc) against the native `run --rm
// busybox true`, through the berth CLI and the docker CLI; and the emulator's own floor: the
// arm64 busybox run directly on the host (qemu start-up, no container) against the native one;
// a one-RUN-step build (--no-cache) on the arm64 base against the native base; and a two-platform
// build (`--platform linux/amd64,linux/arm64`, the platforms side by side) against the two
// single-platform builds one after the other.
// Run: npm run build && node dist/bench/platforms.js
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { runBench, printReferences } from './support/harness.js';
import { repeat, row, summarize, ratio, timedOk, LiveTable, TIME_HEADER } from './support/measure.js';
import { berthTargets, cliOk } from './support/targets.js';
import { ROOT } from '../test/support/daemon.js';

const RUNS = 20;
const BUDGET_MS = 60_000;
const execFileP = promisify(execFile);

await runBench('run --rm --platform linux/arm64 busybox true (qemu-user) against native', { limitMs: 15 * 60_000 }, async ({ d }) => {
  if (!existsSync('/usr/bin/qemu-aarch64-static')) {
    console.log('skipped: qemu-user-static is not installed');
    return;
  }
  await d.td.importBusybox('busybox-arm64:latest', 'linux/arm64/v8');
  const arm64Busybox = (await execFileP(join(ROOT, 'scripts/fetch-foreign-busybox.sh'), ['arm64'])).stdout.trim();
  // The first foreign run registers the handler; measure only steady state.
  await cliOk(berthTargets(d)[0]!, ['run', '--rm', '--platform', 'linux/arm64', 'busybox-arm64', 'true'], { timeoutMs: 30_000 });

  const table = new LiveTable([...TIME_HEADER, 'note']);
  const med: Record<string, number> = {};
  const add = (label: string, samples: number[], note = ''): void => {
    med[label] = summarize(samples).median;
    table.add(row(label, samples, note));
  };
  const opts = { runs: RUNS, budgetMs: BUDGET_MS, warmup: 2 };
  add('busybox true (host, native)', await repeat(opts, () => timedOk('/bin/busybox', ['true'])), 'exec floor');
  add('busybox true (host, arm64 via qemu)', await repeat(opts, () => timedOk(arm64Busybox, ['true'])), 'qemu start-up');
  for (const t of berthTargets(d)) {
    const native = await repeat(opts, async () => (await cliOk(t, ['run', '--rm', 'busybox', 'true'], { timeoutMs: 20_000 })).ms);
    add(`${t.label} run --rm (native)`, native);
    const foreign = await repeat(
      opts,
      async () => (await cliOk(t, ['run', '--rm', '--platform', 'linux/arm64', 'busybox-arm64', 'true'], { timeoutMs: 20_000 })).ms,
    );
    add(`${t.label} run --rm --platform linux/arm64`, foreign, 'emulated');
    table.add([`ratio ${t.label} arm64 / native`, ratio(med[`${t.label} run --rm --platform linux/arm64`]!, med[`${t.label} run --rm (native)`]!), '', '', '']);
  }
  // One RUN step built with --no-cache: on the native base, and on the arm64 base under emulation.
  const ctx = join(d.dir, 'bench-build');
  await mkdir(ctx, { recursive: true });
  for (const [label, base, platform] of [
    ['build RUN (native)', 'busybox', []],
    ['build RUN --platform linux/arm64', 'busybox-arm64', ['--platform', 'linux/arm64']],
  ] as const) {
    await writeFile(join(ctx, 'Dockerfile'), `FROM ${base}\nRUN echo built > /built\n`);
    const t = berthTargets(d)[0]!;
    add(
      label,
      await repeat({ ...opts, runs: 10 }, async () => (await cliOk(t, ['build', '-q', '--no-cache', ...platform, ctx], { timeoutMs: 60_000 })).ms),
      'berth CLI',
    );
  }
  table.add(['ratio build arm64 / native', ratio(med['build RUN --platform linux/arm64']!, med['build RUN (native)']!), '', '', '']);
  // Both platforms in one build (side by side, one name) against the two single-platform builds one after the other.
  const t = berthTargets(d)[0]!;
  await cliOk(t, ['tag', 'busybox', 'base-amd64']);
  await cliOk(t, ['tag', 'busybox-arm64', 'base-arm64']);
  await writeFile(join(ctx, 'Dockerfile'), 'ARG TARGETARCH\nFROM base-$TARGETARCH\nRUN echo built > /built\n');
  const build = async (platform: string) =>
    (await cliOk(t, ['build', '-q', '--no-cache', '--platform', platform, '-t', 'bench-multi', ctx], { timeoutMs: 60_000 })).ms;
  add('build --platform linux/amd64,linux/arm64', await repeat({ ...opts, runs: 10 }, () => build('linux/amd64,linux/arm64')), 'one name, both platforms');
  add(
    'build --platform linux/amd64; then linux/arm64',
    await repeat({ ...opts, runs: 10 }, async () => (await build('linux/amd64')) + (await build('linux/arm64'))),
    'two builds in a row',
  );
  table.add([
    'ratio two-platform / two single builds',
    ratio(med['build --platform linux/amd64,linux/arm64']!, med['build --platform linux/amd64; then linux/arm64']!),
    '',
    '',
    '',
  ]);
  printReferences(['no reference numbers: Docker 20.10 needs binfmt handlers registered by hand (tonistiigi/binfmt) for the same run']);
});
