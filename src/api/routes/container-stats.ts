// docker stats and docker top.
import { processAlive } from '../../lib/process-alive.js';
import { readStats } from '../../container/stats/read-stats.js';
import { emptyBlkioStats, emptyCpuStats, ZERO_TIME, type ContainerStats } from '../../container/stats/stats-types.js';
import { top } from '../../container/stats/top.js';
import type { ContainerRecord } from '../../container/container-record.js';
import { containerNotRunning } from '../../lib/docker-messages.js';
import { sendJson } from '../../lib/http/route.js';
import type { Route } from '../server/route.js';
import type { ContainerRouteDeps } from './containers.js';
import type * as Wire from '../types/index.js';

/** A stopped container's sample: Docker's zero values. */
function emptyStats(rec: ContainerRecord): ContainerStats {
  return {
    name: `/${rec.name}`,
    id: rec.id,
    read: ZERO_TIME,
    preread: ZERO_TIME,
    pids_stats: {},
    blkio_stats: emptyBlkioStats(),
    num_procs: 0,
    storage_stats: {},
    cpu_stats: emptyCpuStats(),
    precpu_stats: emptyCpuStats(),
    memory_stats: {},
  };
}

/** One line of the stats stream (the domain builds Docker's document; see stats-types.ts). */
function statsLine(s: Wire.ContainerStats): string {
  return JSON.stringify(s) + '\n';
}

export function containerStatsRoutes(d: ContainerRouteDeps): Route[] {
  const { containers } = d;
  return [
    {
      method: 'GET',
      path: '/containers/{id}/top',
      handler: async (ctx) => {
        const rec = containers.get(ctx.params.id!);
        if (!containers.isLive(rec)) throw containerNotRunning(rec.id);
        const pids = await d.processes.pids(rec).catch((e: unknown) => {
          // The container stopped between the check and the runtime's answer: dockerd's 409, not a server fault.
          const now = containers.find(rec.id);
          if (!now || !containers.isLive(now) || !processAlive(now.state.pid)) throw containerNotRunning(rec.id);
          throw e;
        });
        const out: Wire.ContainerTopResponse = await top(pids, ctx.query.str('ps_args') || undefined);
        sendJson(ctx.res, 200, out);
      },
    },
    {
      method: 'GET',
      path: '/containers/{id}/stats',
      handler: async (ctx) => {
        const rec = containers.get(ctx.params.id!);
        const stream = ctx.query.bool('stream', true) && !ctx.query.bool('one-shot');
        const cgroupsPath = d.processes.cgroupsPath(rec);
        const snapshot = async (prev?: ContainerStats): Promise<ContainerStats> => {
          const cur = containers.get(rec.id);
          const s = containers.isLive(cur) ? await readStats(cgroupsPath, cur.state.pid, prev) : emptyStats(cur);
          return { ...s, name: `/${cur.name}`, id: cur.id };
        };
        ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
        // The first sample has no precpu data unless we take two; docker's --no-stream waits one interval too.
        let prev = await snapshot();
        if (!stream) {
          if (containers.isLive(containers.get(rec.id)) && !ctx.query.bool('one-shot')) {
            await sleep(1000);
            prev = await snapshot(prev);
          }
          ctx.res.end(statsLine(prev));
          return;
        }
        ctx.res.write(statsLine(prev));
        while (!ctx.signal.aborted) {
          await sleep(1000);
          if (ctx.signal.aborted) break;
          const cur = containers.find(rec.id);
          if (!cur) break;
          prev = await snapshot(prev);
          ctx.res.write(statsLine(prev));
        }
        ctx.res.end();
      },
    },
  ];
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
