// berthd's control loop runs at a higher CPU priority than the containers it starts, as dockerd
// protects itself from its containers with its oom_score_adj (-500, containers 0): under load, a
// `ps` or `inspect` waits for berthd's one thread to get a core, and on a machine whose cores are
// busy with containers (or anything else) that wait was most of its latency (bench/README.md,
// session 21). Containers keep exactly the priority berthd was started with (nice 0 as under
// Docker): the shim spawner, which every container and exec process descends from, puts itself
// back to that value before it starts anything (BERTH_SPAWNER_NICE, read by berth-shim.c).
//
// Linux keeps a nice value per thread: the raise is applied to every thread berthd has (V8's
// platform threads exist before this runs; the main thread waits on them in a parallel garbage
// collection, so leaving them at the old priority made it wait on starved helpers: futex waits of
// up to 8 ms in an strace under load) and is inherited by threads and processes started afterwards
// (libuv's pool, koffi's worker, direct runtime calls such as `crun delete`).
import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { log } from './log.js';

/** How much higher than its starting priority berthd's loop runs (nice units; -20 is the floor). */
export const DAEMON_NICE_RAISE = 10;

let startingNice: number | undefined;

/** Raises the calling thread's priority (berthd's main thread, at start, as root); a refusal only logs. */
export function raiseDaemonPriority(): void {
  const was = getPriority(0);
  const want = Math.max(-20, was - DAEMON_NICE_RAISE);
  if (want === was) return;
  try {
    setPriority(0, want);
    startingNice = was;
    for (const tid of readdirSync('/proc/self/task')) setPriority(Number(tid), want);
  } catch (e) {
    log.debug('daemon priority unchanged', { error: e instanceof Error ? e.message : String(e) });
  }
}

/** The nice value berthd started with, when it raised its own since: what its container processes must run at. */
export function containerNice(): number | undefined {
  return startingNice;
}
