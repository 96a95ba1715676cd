// docker stats and docker top.
import { readStats } from '../../container/stats/read-stats.js';
import { top } from '../../container/stats/top.js';
import { containerNotRunning } from '../../lib/docker-messages.js';
import { sendJson } from '../../lib/http/route.js';
import type { Route } from '../server/route.js';
import type { ContainerRouteDeps } from './containers.js';

export function containerStatsRoutes(d: ContainerRouteDeps): Route[] {
  const { containers } = d;
  return [
    {
      method: 'GET',
      path: '/containers/{id}/top',
      handler: async (ctx) => {
        const rec = containers.get(ctx.params.id!);
        if (!containers.isLive(rec)) throw containerNotRunning(rec.id);
        const pids = await containers.runtimeFor(rec).pids(rec.id);
        sendJson(ctx.res, 200, await top(pids, ctx.query.str('ps_args') || undefined));
      },
    },
    {
      method: 'GET',
      path: '/containers/{id}/stats',
      handler: async (ctx) => {
        const rec = containers.get(ctx.params.id!);
        const stream = ctx.query.bool('stream', true) && !ctx.query.bool('one-shot');
        const cgroupsPath = containers.cgroupsPath(rec.id);
        const snapshot = async (prev?: Record<string, unknown>) => {
          const cur = containers.get(rec.id);
          const s = containers.isLive(cur) ? await readStats(cgroupsPath, cur.state.pid, prev as never) : emptyStats();
          return { ...s, name: `/${cur.name}`, id: cur.id } as Record<string, unknown>;
        };
        ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
        // The first sample has no precpu data unless we take two; docker's --no-stream waits one interval too.
        let prev = await snapshot();
        if (!stream) {
          if (containers.isLive(containers.get(rec.id)) && !ctx.query.bool('one-shot')) {
            await sleep(1000);
            prev = await snapshot(prev);
          }
          ctx.res.end(JSON.stringify(prev) + '\n');
          return;
        }
        ctx.res.write(JSON.stringify(prev) + '\n');
        while (!ctx.signal.aborted) {
          await sleep(1000);
          if (ctx.signal.aborted) break;
          const cur = containers.find(rec.id);
          if (!cur) break;
          prev = await snapshot(prev);
          ctx.res.write(JSON.stringify(prev) + '\n');
        }
        ctx.res.end();
      },
    },
  ];
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function emptyStats(): Record<string, unknown> {
  const zero = '0001-01-01T00:00:00Z';
  return {
    read: zero,
    preread: zero,
    pids_stats: {},
    blkio_stats: { io_service_bytes_recursive: null, io_serviced_recursive: null, io_queue_recursive: null, io_service_time_recursive: null, io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } },
    precpu_stats: { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } },
    memory_stats: {},
  };
}
