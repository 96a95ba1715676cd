// /containers/* routes: thin translation between Docker's wire protocol and ContainerService.
import type { Duplex } from 'node:stream';
import { invalidArgument } from '../../lib/errors.js';
import { frame } from '../../lib/stdcopy.js';
import { readLogs } from '../../container/logs/log-reader.js';
import type { ContainerService, WaitCondition } from '../../container/container-service.js';
import type { ExecService } from '../../container/exec-service.js';
import type { ContainerRecord } from '../../container/container-record.js';
import { readJsonObject } from '../../lib/http/request.js';
import { sendJson, sendNoContent } from '../../lib/http/route.js';
import { versionAtLeast } from '../server/api-version.js';
import type { Route, RouteContext } from '../server/route.js';
import { containerInspect, containerSummary, createRequestFrom, hostSettingsFrom, type NetInfo } from './container-wire.js';
import { num, obj, str } from './wire-read.js';
import { containerFsRoutes } from './container-fs.js';
import { containerStatsRoutes } from './container-stats.js';

export interface ContainerRouteDeps {
  containers: ContainerService;
  /** Docker's MountPoint list of a container. */
  mountsOf: (rec: ContainerRecord) => Record<string, unknown>[];
  /** The container's networking facts while it is attached. */
  netOf: (rec: ContainerRecord) => NetInfo;
  execs: ExecService;
  sizeOf?: (rec: ContainerRecord) => Promise<{ rw: number; rootFs: number }>;
  graphDriver: (rec: ContainerRecord) => Record<string, unknown>;
  resolveImageId?: (ref: string) => string | undefined;
}

export function streamContentType(ctx: RouteContext, tty: boolean): string {
  return !tty && versionAtLeast(ctx.apiVersion, '1.42') ? 'application/vnd.docker.multiplexed-stream' : 'application/vnd.docker.raw-stream';
}

/**
 * Connects a hijacked client to a monitor stream: output out, input in, half-close kept. The
 * client's output ends after `beforeEnd` settles (exec: once the exit code is recorded, because
 * the docker CLI inspects the exec as soon as its stream ends).
 */
export function splice(client: Duplex, monitor: Duplex, withStdin: boolean, beforeEnd?: Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    monitor.pipe(client, { end: false });
    monitor.once('end', () => {
      void Promise.resolve(beforeEnd).finally(() => client.end());
    });
    if (withStdin) client.pipe(monitor, { end: true });
    else client.resume();
    monitor.on('close', () => resolve());
    monitor.on('error', () => client.destroy());
    client.on('error', () => monitor.destroy());
    client.on('close', () => monitor.destroy());
  });
}

export function containerRoutes(d: ContainerRouteDeps): Route[] {
  const { containers } = d;
  const inspectOf = async (r: ContainerRecord, size: boolean) => {
    return containerInspect(r, {
      paths: containers.etcPaths(r.id),
      execIds: d.execs.execIdsOf(r.id),
      graphDriver: d.graphDriver(r),
      mounts: d.mountsOf(r),
      net: d.netOf(r),
      size: size && d.sizeOf ? await d.sizeOf(r) : undefined,
    });
  };

  return [
    {
      method: 'POST',
      path: '/containers/create',
      handler: async (ctx) => {
        const body = await readJsonObject(ctx.body);
        const req = createRequestFrom(body, ctx.query.str('name') || undefined);
        const { id, warnings } = await containers.create(req);
        sendJson(ctx.res, 201, { Id: id, Warnings: warnings });
      },
    },
    {
      method: 'GET',
      path: '/containers/json',
      handler: async (ctx) => {
        const q = ctx.query;
        const list = containers.list({ all: q.bool('all'), limit: q.int('limit'), filters: q.filters(), resolveImage: d.resolveImageId });
        const size = q.bool('size');
        const now = Date.now();
        sendJson(ctx.res, 200, await Promise.all(list.map(async (r) => containerSummary(r, d.mountsOf(r), d.netOf(r), now, size && d.sizeOf ? await d.sizeOf(r) : undefined))));
      },
    },
    {
      method: 'GET',
      path: '/containers/{id}/json',
      handler: async (ctx) => sendJson(ctx.res, 200, await inspectOf(containers.get(ctx.params.id!), ctx.query.bool('size'))),
    },
    {
      method: 'POST',
      path: '/containers/{id}/start',
      handler: async (ctx) => {
        await containers.start(ctx.params.id!);
        sendNoContent(ctx.res);
      },
    },
    {
      method: 'POST',
      path: '/containers/{id}/stop',
      handler: async (ctx) => {
        await containers.stop(ctx.params.id!, { timeout: ctx.query.int('t'), signal: ctx.query.str('signal') || undefined });
        sendNoContent(ctx.res);
      },
    },
    {
      method: 'POST',
      path: '/containers/{id}/restart',
      handler: async (ctx) => {
        await containers.restart(ctx.params.id!, { timeout: ctx.query.int('t'), signal: ctx.query.str('signal') || undefined });
        sendNoContent(ctx.res);
      },
    },
    {
      method: 'POST',
      path: '/containers/{id}/kill',
      handler: async (ctx) => {
        await containers.kill(ctx.params.id!, ctx.query.str('signal') || 'SIGKILL');
        sendNoContent(ctx.res);
      },
    },
    {
      method: 'POST',
      path: '/containers/{id}/pause',
      handler: async (ctx) => {
        await containers.pause(ctx.params.id!);
        sendNoContent(ctx.res);
      },
    },
    {
      method: 'POST',
      path: '/containers/{id}/unpause',
      handler: async (ctx) => {
        await containers.unpause(ctx.params.id!);
        sendNoContent(ctx.res);
      },
    },
    {
      method: 'POST',
      path: '/containers/{id}/wait',
      handler: async (ctx) => {
        const cond = (ctx.query.str('condition') || 'not-running') as WaitCondition;
        if (!['not-running', 'next-exit', 'removed'].includes(cond)) throw invalidArgument(`invalid condition: "${cond}"`);
        const rec = containers.get(ctx.params.id!);
        const waiting = containers.wait(rec.id, cond, ctx.signal);
        // Headers go out once the waiter is registered, so a client may start the container then.
        ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
        ctx.res.flushHeaders();
        try {
          const r = await waiting;
          ctx.res.end(JSON.stringify({ StatusCode: r.statusCode, Error: r.error ? { Message: r.error } : null }) + '\n');
        } catch (e) {
          if (!ctx.signal.aborted) ctx.res.end(JSON.stringify({ StatusCode: -1, Error: { Message: String(e) } }) + '\n');
        }
      },
    },
    {
      method: 'DELETE',
      path: '/containers/{id}',
      handler: async (ctx) => {
        const rec = containers.get(ctx.params.id!);
        await containers.remove(rec.id, { force: ctx.query.bool('force'), volumes: ctx.query.bool('v') });
        d.execs.forgetContainer(rec.id);
        sendNoContent(ctx.res);
      },
    },
    {
      method: 'POST',
      path: '/containers/{id}/rename',
      handler: async (ctx) => {
        await containers.rename(ctx.params.id!, ctx.query.str('name') ?? '');
        sendNoContent(ctx.res);
      },
    },
    {
      method: 'POST',
      path: '/containers/{id}/update',
      handler: async (ctx) => {
        const body = await readJsonObject(ctx.body);
        const h = hostSettingsFrom(body);
        const rp = obj(body, 'RestartPolicy');
        const resources = Object.fromEntries(Object.entries(h.resources).filter(([, v]) => v !== undefined));
        const warnings = await containers.update(ctx.params.id!, {
          resources,
          restartPolicy: 'RestartPolicy' in body ? { name: (str(rp, 'Name') ?? 'no') as 'no', maximumRetryCount: num(rp, 'MaximumRetryCount') ?? 0 } : undefined,
        });
        sendJson(ctx.res, 200, { Warnings: warnings });
      },
    },
    {
      method: 'POST',
      path: '/containers/{id}/resize',
      handler: async (ctx) => {
        const h = ctx.query.int('h') ?? 0;
        const w = ctx.query.int('w') ?? 0;
        await containers.resize(ctx.params.id!, h, w);
        ctx.res.writeHead(200, { 'Content-Type': 'text/plain' }).end();
      },
    },
    {
      method: 'GET',
      path: '/containers/{id}/logs',
      handler: async (ctx) => {
        const q = ctx.query;
        const rec = containers.get(ctx.params.id!);
        const stdout = q.bool('stdout');
        const stderr = q.bool('stderr');
        if (!stdout && !stderr) throw invalidArgument('Bad parameters: you must choose at least one stream');
        if (rec.host.logConfig.type === 'none') throw invalidArgument('configured logging driver does not support reading');
        const tailRaw = q.str('tail');
        const tail = tailRaw === undefined || tailRaw === 'all' || tailRaw === '' ? 'all' : Number(tailRaw);
        if (tail !== 'all' && !Number.isInteger(tail)) throw invalidArgument(`invalid value for tail: ${tailRaw}`);
        const tty = rec.config.tty;
        ctx.res.writeHead(200, { 'Content-Type': streamContentType(ctx, tty) });
        ctx.res.flushHeaders();
        const follow = q.bool('follow') && containers.isLive(containers.get(rec.id));
        const exited = new AbortController();
        const unsubscribe = follow ? containers.whenExiting(rec.id, () => exited.abort()) : () => {};
        try {
          for await (const chunk of readLogs(containers.logPath(rec.id), {
            stdout,
            stderr,
            since: q.str('since') || undefined,
            until: q.str('until') || undefined,
            tail,
            timestamps: q.bool('timestamps'),
            follow,
            signal: ctx.signal,
            exited: exited.signal,
            isDone: () => {
              const cur = containers.find(rec.id);
              return !cur || !containers.isLive(cur);
            },
          })) {
            const data = tty ? chunk.data : frame(chunk.stream === 'stderr' ? 2 : 1, chunk.data);
            if (!ctx.res.write(data)) await new Promise((r) => ctx.res.once('drain', r));
          }
        } finally {
          unsubscribe();
        }
        ctx.res.end();
      },
    },
    {
      method: 'POST',
      path: '/containers/{id}/attach',
      handler: async (ctx) => {
        const q = ctx.query;
        const rec = containers.get(ctx.params.id!);
        const streams = { stdin: q.bool('stdin'), stdout: q.bool('stdout'), stderr: q.bool('stderr') };
        const client = ctx.hijack(streamContentType(ctx, rec.config.tty));
        containers.emitEvent(rec, 'attach');
        if (q.bool('logs')) {
          for await (const chunk of readLogs(containers.logPath(rec.id), { stdout: streams.stdout, stderr: streams.stderr })) {
            client.write(rec.config.tty ? chunk.data : frame(chunk.stream === 'stderr' ? 2 : 1, chunk.data));
          }
        }
        if (!q.bool('stream')) {
          client.end();
          return;
        }
        const connect = async (stateDir: string) => {
          if (!stateDir) {
            client.end();
            return;
          }
          const mon = await containers.attachAt(stateDir, streams);
          void splice(client, mon, streams.stdin);
        };
        const cur = containers.get(rec.id);
        if (containers.isLive(cur)) await connect(containers.shimDir(rec.id));
        else {
          const cancel = containers.onNextStart(rec.id, connect);
          client.on('close', cancel);
        }
      },
    },
    {
      method: 'POST',
      path: '/containers/prune',
      handler: async (ctx) => {
        const filters = ctx.query.filters();
        const deleted: string[] = [];
        let reclaimed = 0;
        const until = filters.until?.[0];
        for (const r of containers.list({ all: true, filters: { status: ['exited', 'created', 'dead'], ...(filters.label ? { label: filters.label } : {}) } })) {
          if (until && Date.parse(r.created) >= parseUntil(until)) continue;
          const size = d.sizeOf ? (await d.sizeOf(r)).rw : 0;
          await containers.remove(r.id, { force: false, volumes: false }).then(
            () => {
              deleted.push(r.id);
              reclaimed += size;
            },
            () => {},
          );
        }
        sendJson(ctx.res, 200, { ContainersDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed });
      },
    },
    ...containerFsRoutes(d),
    ...containerStatsRoutes(d),
  ];
}

function parseUntil(v: string): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const rel = /^(\d+)([smh])$/.exec(v);
  if (rel) return Date.now() - Number(rel[1]) * { s: 1000, m: 60000, h: 3600000 }[rel[2] as 's' | 'm' | 'h'];
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw invalidArgument(`invalid filter 'until=${v}'`);
  return t;
}
