// The frame every benchmark runs in: a private berthd with busybox imported, external engines
// detected, the workload, then cleanup of everything in all cases (error, time limit, Ctrl-C).
import { BenchDaemon, onExit, withTimeout } from './bench-daemon.js';
import { externalTargets, rootfsTar, type Target } from './targets.js';

export interface BenchContext {
  d: BenchDaemon;
  /** Docker/podman engines found on this machine (usually none). */
  external: Target[];
}

export async function runBench(
  title: string,
  opts: { limitMs: number; hostDns?: boolean; nodeArgs?: string[] },
  fn: (ctx: BenchContext) => Promise<void>,
): Promise<void> {
  console.log(`# ${title}`);
  console.log(`node ${process.version}, ${new Date().toISOString()}`);
  if (process.getuid?.() !== 0) {
    console.log('skipped: needs root (berthd runs containers)');
    return;
  }
  let d: BenchDaemon | undefined;
  let ext: Awaited<ReturnType<typeof externalTargets>> | undefined;
  let failed = false;
  try {
    d = await BenchDaemon.start({ hostDns: opts.hostDns, nodeArgs: opts.nodeArgs });
    console.log(`berthd pid ${d.pid}, data root ${d.dataRoot}`);
    ext = await externalTargets(rootfsTar(d));
    onExit(ext.cleanup);
    console.log('');
    await withTimeout(opts.limitMs, () => fn({ d: d!, external: ext!.targets }));
  } catch (e) {
    failed = true;
    console.error(`benchmark failed: ${(e as Error).stack ?? e}`);
    if (d) console.error(`berthd log tail:\n${d.td.logs.join('').split('\n').slice(-20).join('\n')}`);
  } finally {
    await ext?.cleanup().catch((e) => console.error(`cleanup of external engines: ${(e as Error).message}`));
    await d?.cleanup();
  }
  // Hijacked sockets or stray timers must not keep the process alive after cleanup.
  process.exit(failed ? 1 : 0);
}

/** Prints the reference numbers for this workload. */
export function printReferences(lines: readonly string[]): void {
  console.log('\nreference (measured on this machine kind, from the issue):');
  for (const l of lines) console.log(`  ${l}`);
}
