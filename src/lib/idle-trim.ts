// Gives freed native memory back to the kernel once the process has been idle for a moment.
// A daemon's resident set otherwise keeps the high-water mark of its last burst of work: glibc
// holds on to freed malloc chunks (start-up parsing, an import's buffers, a finished worker
// thread's arena), and the buffers a burst left behind stay allocated until V8's next
// scavenge, which an idle daemon never runs. Measured on berthd (busybox just imported):
// 94.6 MiB before, with the trim and the scavenge ~64 MiB. Each poke pushes the work back, so
// under a steady stream of requests nothing runs; after a burst, one young-generation GC and one
// malloc_trim (a few ms together) run once; when the old generation grew by a MiB since the last
// full collection (start-up, a long burst), a compacting full one (~10-20 ms) instead.
//
// A long burst also grows V8's new space: capNewSpace below stops it, and settle() gives it back
// once the daemon has been quiet for 5 s.
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { PerformanceObserver } from 'node:perf_hooks';
import { runInNewContext } from 'node:vm';
import { mallocTrim } from './libc.js';
import { log } from './log.js';

/** Quiet time after the last poke before trimming: long enough that a burst's requests share one trim. */
const QUIET_MS = 250;

let timer: NodeJS.Timeout | undefined;
let enabled = false;
let done = 0;
/** Long jobs under way (holdIdleTrim): a request may run for seconds without another one ending. */
let holds = 0;

let gcFn: ((o?: { type: 'minor' }) => void) | undefined;
/** Old-generation bytes in use after the last full collection; undefined before the first. */
let oldAfterFull: number | undefined;
let fullGcs = 0;

/**
 * Once the old generation holds this much more than after the last full collection, the trim
 * collects it fully, compacting, instead of only the young generation: start-up's garbage (the
 * bundle's compilation, recovery) and a burst's promoted objects otherwise stay until V8's memory
 * reducer runs a minute later. ~10-20 ms of CPU, off any request's path (the daemon is idle).
 */
const FULL_GC_GROWTH = 1024 * 1024;

const OLD_GENERATION = new Set(['old_space', 'code_space', 'large_object_space', 'code_large_object_space']);

function oldGenUsed(): number {
  let used = 0;
  for (const s of getHeapSpaceStatistics()) if (OLD_GENERATION.has(s.space_name)) used += s.space_used_size;
  return used;
}

/**
 * The young-generation GC frees the ArrayBuffers (request bodies, file chunks) a burst left
 * behind; a full one, when the old generation grew, also frees what the burst promoted and
 * compacts the pages it left sparse (--compact-on-every-full-gc, read at each collection, so set
 * for this one only). `gc` exists only in a context made after --expose-gc is set, so the daemon's
 * own global scope never gets one.
 */
function idleGc(): void {
  if (oldAfterFull !== undefined && oldGenUsed() - oldAfterFull < FULL_GC_GROWTH) return gcFunction()({ type: 'minor' });
  fullGc();
}

function gcFunction(): (o?: { type: 'minor' }) => void {
  if (!gcFn) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as (o?: { type: 'minor' }) => void;
  }
  return gcFn;
}

function fullGc(): void {
  const gc = gcFunction();
  setFlagsFromString('--compact-on-every-full-gc');
  try {
    gc();
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc');
  }
  oldAfterFull = oldGenUsed();
  fullGcs++;
}

/** How many trims collected the whole heap (diagnostics and tests). */
export function idleFullGcsDone(): number {
  return fullGcs;
}

function trim(): void {
  // Mid-job (a pull's layer streaming through a worker) nothing is idle: a forced GC and a
  // malloc_trim over busy arenas cost tens of ms there. The job's release pokes again.
  if (holds > 0) return;
  if (collectAndTrim(idleGc)) done++;
}

/** A collection, then malloc_trim; false, with trimming off for good, where that cannot run. */
function collectAndTrim(collect: () => void): boolean {
  try {
    collect();
    mallocTrim();
    return true;
  } catch (e) {
    // No koffi or no glibc (musl): nothing to trim, and never a reason to fail.
    enabled = false;
    log.debug('idle trim unavailable', { error: e instanceof Error ? e.message : String(e) });
    return false;
  }
}

/**
 * A burst grows V8's new space (up to NEW_SPACE_STOP), and V8 shrinks it again only in a full
 * collection that finds the allocation rate of the last seconds low: its memory reducer gets there
 * after ~8 s to a minute of idleness, the 250 ms trim never (the burst is still in the rate). Once
 * the daemon has been quiet for SETTLE_MS, one compacting full collection and a malloc_trim give
 * back the grown new space's pages (~2-3 MiB in berthd after an import), once per quiet spell.
 */
const SETTLE_MS = 5000;
let settleTimer: NodeJS.Timeout | undefined;
let settled = true;
let settles = 0;
function newSpaceSize(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}
/** The smallest new space seen, from when this module loads (before the daemon's start-up work): V8 never shrinks it below its initial size. */
let smallestNewSpace = newSpaceSize();
/** The new space's size after the last settling collection. */
let settledNewSpace = 0;

function settle(): void {
  if (holds > 0 || settled || !enabled) return;
  settled = true;
  const size = newSpaceSize();
  smallestNewSpace = Math.min(smallestNewSpace, size);
  if (size <= Math.max(smallestNewSpace, settledNewSpace)) return;
  if (!collectAndTrim(fullGc)) return;
  settles++;
  // Where V8 left it: a new space V8 would not shrink this time is not tried again until it grows.
  settledNewSpace = newSpaceSize();
}

/** How many quiet spells ended in a full collection for the new space (diagnostics and tests). */
export function idleSettlesDone(): number {
  return settles;
}

/** How many trims have run (diagnostics and tests); a failed one turns trimming off instead. */
export function idleTrimsDone(): number {
  return done;
}

/** Turns trimming on (the daemon; never a short-lived CLI process), caps V8's new space and schedules a first trim. */
export function enableIdleTrim(): void {
  enabled = true;
  capNewSpace();
  pokeIdleTrim();
}

/**
 * V8 doubles its new space (the young generation's two semi-spaces) while many objects survive a
 * scavenge, up to 32 MiB here, and never gives it back, not even after a memory-reducing full
 * collection: berthd's resident set kept +16 MiB after every long burst (the load bench). Once
 * the new space has reached NEW_SPACE_STOP it stops growing (--semi-space-growth-factor is read
 * at each growth, so 1 freezes the size); a burst then scavenges more often instead. Starting a
 * worker thread (a pull's unpackers) resets V8's flags to the command line's, so the check runs
 * after every collection (a gc observer, one flag write once past the size) and one doubling may
 * slip in before it: the new space stays at 8 or 16 MiB, not 32.
 */
const NEW_SPACE_STOP = 8 * 1024 * 1024;
let capped = false;
let gcObserver: PerformanceObserver | undefined;

function capNewSpace(): void {
  if (gcObserver) return;
  const check = () => {
    const ns = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    if (ns && ns.space_size < settledNewSpace) settledNewSpace = ns.space_size; // V8 shrank it since: a regrowth settles again
    if (!ns || ns.space_size < NEW_SPACE_STOP) return;
    setFlagsFromString('--semi-space-growth-factor=1');
    capped = true;
  };
  gcObserver = new PerformanceObserver(check);
  gcObserver.observe({ entryTypes: ['gc'] });
  check();
}

/** Whether V8's new space has reached its cap and stopped growing (diagnostics and tests). */
export function newSpaceCapped(): boolean {
  return capped;
}

/** Marks a long job under way (no trim until it ends); returns its release, which counts as work. */
export function holdIdleTrim(): () => void {
  holds++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    holds--;
    pokeIdleTrim();
  };
}

/** Work happened (a request ended, a worker went): trim once things have been quiet for a moment. */
export function pokeIdleTrim(): void {
  if (!enabled) return;
  settled = false;
  if (settleTimer) settleTimer.refresh();
  else (settleTimer = setTimeout(settle, SETTLE_MS)).unref();
  if (timer) {
    timer.refresh();
    return;
  }
  timer = setTimeout(trim, QUIET_MS);
  timer.unref(); // never keeps the process alive
}
