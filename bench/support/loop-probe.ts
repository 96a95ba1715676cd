// A probe preloaded into berthd by a benchmark (`node --import <this file> bin/berthd ...`, with
// BERTH_LOOP_PROBE naming an output file): how long berthd's event loop was held up, so a latency
// figure can be told apart into "the loop was blocked" and "the request itself was slow". It keeps
// a histogram of the loop's delay (perf_hooks.monitorEventLoopDelay, 10 ms resolution as Node's
// docs suggest) and the loop's utilisation, writes both to the file every half second, and
// starts both afresh on SIGUSR2 (sent by the bench when its measured window opens). Not part of
// berthd: nothing here runs unless a benchmark preloads it.
import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';
import { writeFile } from 'node:fs/promises';

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
  setInterval(() => {
    const stats: LoopStats = {
      p50: ms(h.percentile(50)),
      p99: ms(h.percentile(99)),
      max: ms(h.max),
      mean: ms(h.mean),
      utilization: Math.round(performance.eventLoopUtilization(elu).utilization * 1000) / 1000,
      windowMs: Math.round(performance.now() - since),
    };
    void writeFile(out, JSON.stringify(stats)).catch(() => {});
  }, 500).unref();
}
