// A probe preloaded into berthd by a benchmark (`node --import <this file> bin/berthd ...`, with
// BERTH_LOOP_PROBE naming an output file): how long berthd's event loop was held up, so a latency
// figure can be told apart into "the loop was blocked" and "the request itself was slow". It keeps
// a histogram of the loop's delay (perf_hooks.monitorEventLoopDelay, 10 ms resolution as Node's
// docs suggest) and the loop's utilisation, writes both to the file every half second, and
// starts both afresh on SIGUSR2 (sent by the bench when its measured window opens). When the
// bench creates `<file>.gc` (and berthd runs with --expose-gc), the next tick collects garbage
// fully and reports the heap left, so a leak (live objects that stay) is told apart from memory
// V8 and the allocator keep after a busy spell; when the bench writes a path into `<file>.snap`, a
// heap snapshot goes there (what the live heap holds, before and after a load). Not part of berthd: nothing here runs unless a
// benchmark preloads it.
import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';

export interface LoopStats {
  /** Event-loop delay percentiles and max, ms. */
  p50: number;
  p99: number;
  max: number;
  mean: number;
  /** Share of the window the loop was busy running JavaScript or native callbacks (0..1). */
  utilization: number;
  /** Length of the window, ms. */
  windowMs: number;
  /** After the last full collection asked for (`<file>.gc`): the live heap and off-heap memory, KiB; `gcs` counts them. */
  heapUsedKiB?: number;
  externalKiB?: number;
  /** Around that collection: the resident set and V8's new space (which grows under load up to --max-semi-space-size), KiB. */
  rssBeforeKiB?: number;
  rssAfterKiB?: number;
  newSpaceBeforeKiB?: number;
  newSpaceAfterKiB?: number;
  gcs: number;
}

const out = process.env.BERTH_LOOP_PROBE;
if (out) {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  let since = performance.now();
  let elu: EventLoopUtilization = performance.eventLoopUtilization();
  process.on('SIGUSR2', () => {
    h.reset();
    since = performance.now();
    elu = performance.eventLoopUtilization();
  });
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  const gc = (globalThis as { gc?: () => void }).gc;
  let heap: Pick<LoopStats, 'heapUsedKiB' | 'externalKiB' | 'rssBeforeKiB' | 'rssAfterKiB' | 'newSpaceBeforeKiB' | 'newSpaceAfterKiB' | 'gcs'> = { gcs: 0 };
  const kib = (n: number) => Math.round(n / 1024);
  const newSpace = () => kib(getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0);
  let busy = false; // a tick's awaits must not let the next tick take the same snapshot or collection again
  setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      await tick();
    } finally {
      busy = false;
    }
  }, 500).unref();
  const tick = async () => {
    const asked = async () =>
      rm(`${out}.gc`).then(
        () => true,
        () => false,
      );
    // `<file>.snap` naming a path: a heap snapshot written there (after a full collection), then the name file goes.
    const snap = await readFile(`${out}.snap`, 'utf8').catch(() => '');
    if (snap) {
      gc?.();
      writeHeapSnapshot(snap);
      await rm(`${out}.snap`, { force: true });
    }
    if (gc && (await asked())) {
      const rssBeforeKiB = kib(process.memoryUsage.rss());
      const newSpaceBeforeKiB = newSpace();
      gc();
      const m = process.memoryUsage();
      heap = {
        heapUsedKiB: kib(m.heapUsed),
        externalKiB: kib(m.external),
        rssBeforeKiB,
        rssAfterKiB: kib(m.rss),
        newSpaceBeforeKiB,
        newSpaceAfterKiB: newSpace(),
        gcs: heap.gcs + 1,
      };
    }
    const stats: LoopStats = {
      ...heap,
      p50: ms(h.percentile(50)),
      p99: ms(h.percentile(99)),
      max: ms(h.max),
      mean: ms(h.mean),
      utilization: Math.round(performance.eventLoopUtilization(elu).utilization * 1000) / 1000,
      windowMs: Math.round(performance.now() - since),
    };
    await writeFile(out, JSON.stringify(stats)).catch(() => {});
  };
}
