// /containers/* routes: thin translation between Docker's wire protocol and the container
// domain. The backend below lists exactly what the routes call; src/daemon/routes.ts wires the
// container service and the facts other domains hold (mounts, networks, sizes, logs) to it.
import type { Duplex, Readable } from 'node:stream';
import { invalidArgument, notFound } from '../../lib/errors.js';
import { frameLines, LineFramer } from '../../lib/stdcopy.js';
import type { CreateRequest, WaitCondition } from '../../container/container-service.js';
import type { ContainerRecord, HostSettings } from '../../container/container-record.js';
import type { ListOptions } from '../../container/list-filter.js';
import type { ContainerLogOptions, LogChunk } from '../../container/logs/container-logs.js';
import type { ContainerPruneResult } from '../../container/prune.js';
import type { ContainerFs } from '../../container/archive.js';
import type { Digest } from '../../lib/digest.js';
import { readJsonObject } from '../../lib/http/request.js';
import { sendJson, sendJsonBytes, sendNoContent } from '../../lib/http/route.js';
import { versionAtLeast } from '../server/api-version.js';
import { containerInspectForVersion } from './version-shapes.js';
import type { Route, RouteContext } from '../server/route.js';
import { containerInspect, containerSummary, createRequestFrom, hostSettingsFrom, type ContainerFacts } from './container-wire.js';
import { num, obj, str, ttySize } from './wire-read.js';
import { containerFsRoutes } from './container-fs.js';
import { ContainerListAnswers } from './container-list-answer.js';
import { detachKeysFrom, splice } from './hijack-stream.js';
import { containerStatsRoutes } from './container-stats.js';
import type * as Wire from '../types/index.js';

/** The container lifecycle (ContainerService) as the container routes call it. */
export interface ContainerLifecycle {
  create(req: CreateRequest): Promise<{ id: string; warnings: string[] }>;
  list(o: Omit<ListOptions, 'lookup'>): ContainerRecord[];
  /** By id, name or unique id prefix; 404 when there is none. */
  get(ref: string): ContainerRecord;
  find(ref: string): ContainerRecord | undefined;
  isLive(rec: ContainerRecord): boolean;
  start(ref: string): Promise<void>;
  stop(ref: string, o: { timeout?: number; signal?: string }): Promise<void>;
  restart(ref: string, o: { timeout?: number; signal?: string }): Promise<void>;
  kill(ref: string, signal: string): Promise<void>;
  pause(ref: string): Promise<void>;
  unpause(ref: string): Promise<void>;
  wait(ref: string, condition: WaitCondition, signal?: AbortSignal): Promise<{ statusCode: number; error?: string }>;
  remove(ref: string, o: { force: boolean; volumes: boolean }): Promise<void>;
  rename(ref: string, name: string): Promise<void>;
  /** Forgets the legacy link "/parent/alias" (DELETE /containers/{parent}/{alias}?link=1). */
  removeLink(linkName: string): Promise<void>;
  update(ref: string, change: { resources?: HostSettings['resources']; restartPolicy?: HostSettings['restartPolicy'] }): Promise<string[]>;
  resize(ref: string, rows: number, cols: number): Promise<void>;
  emitEvent(rec: ContainerRecord, action: string): void;
  attachRunning(rec: ContainerRecord, streams: { stdin: boolean; stdout: boolean; stderr: boolean }): Promise<Duplex>;
  /** Work to do once the next start created the container (stateDir '' when it failed). */
  onNextStart(id: string, fn: (stateDir: string) => Promise<void>): () => void;
  withFs<T>(ref: string, fn: (fs: ContainerFs, rec: ContainerRecord) => Promise<T>): Promise<T>;
  commit(ref: string, o: { ref?: string; author: string; comment: string; changes: string[]; config?: Partial<ContainerRecord['config']> }): Promise<Digest>;
  /** `docker diff`: kind 0 modified, 1 added, 2 deleted, in Docker's order. */
  changes(ref: string): Promise<{ path: string; kind: 0 | 1 | 2 }[]>;
  /** `docker export`: the container's filesystem as a tar stream. */
  export(ref: string): Readable;
}

export interface ContainerRouteDeps {
  containers: ContainerLifecycle;
  /** What ps and inspect show beyond the record: facts the volume, network and layer domains hold. */
  facts: ContainerFacts;
  execs: { execIdsOf(containerId: string): string[]; forgetContainer(containerId: string): void };
  logs: {
    /** GET /containers/{id}/logs (src/container/logs/container-logs.ts): its 400s come before any output. */
    read(rec: ContainerRecord, o: ContainerLogOptions): AsyncIterable<LogChunk>;
    /** attach?logs=1: what the log holds now, unchecked. */
    replay(rec: ContainerRecord, streams: { stdout: boolean; stderr: boolean }): AsyncIterable<LogChunk>;
  };
  /** POST /containers/prune (src/container/prune.ts). */
  prune(filters: Record<string, string[]>): Promise<ContainerPruneResult>;
  /** docker top and docker stats: the container's processes and its cgroup. */
  processes: { pids(rec: ContainerRecord): Promise<number[]>; cgroupsPath(rec: ContainerRecord): string };
  /** For the `ancestor` filter: an image reference to its id. */
  resolveImageId?: (ref: string) => string | undefined;
}

export function streamContentType(ctx: RouteContext, tty: boolean): string {
  return !tty && versionAtLeast(ctx.apiVersion, '1.42') ? 'application/vnd.docker.multiplexed-stream' : 'application/vnd.docker.raw-stream';
}

export function containerRoutes(d: ContainerRouteDeps): Route[] {
  const { containers, facts } = d;
  const listAnswers = new ContainerListAnswers(facts);

  return [
    {
      method: 'POST',
      path: '/containers/create',
      handler: async (ctx) => {
        const body = await readJsonObject(ctx.body);
        const req = createRequestFrom(body, ctx.query.str('name') || undefined);
        const { id, warnings } = await containers.create({ ...req, platform: ctx.query.str('platform') || undefined });
        const out: Wire.ContainerCreateResponse = { Id: id, Warnings: warnings };
        sendJson(ctx.res, 201, out);
      },
    },
    {
      method: 'GET',
      path: '/containers/json',
      handler: async (ctx) => {
        const q = ctx.query;
        const o = { all: q.bool('all'), limit: q.int('limit'), filters: q.filters() };
        const list = containers.list({ ...o, resolveImage: d.resolveImageId });
        const now = Date.now();
        if (q.bool('size')) return sendJson(ctx.res, 200, await Promise.all(list.map((r) => containerSummary(r, facts, now, true))));
        sendJsonBytes(ctx.res, 200, listAnswers.answer(JSON.stringify(o), list, now));
      },
    },
    {
      method: 'GET',
      path: '/containers/{id}/json',
      handler: async (ctx) => {
        const r = containers.get(ctx.params.id!);
        sendJson(ctx.res, 200, containerInspectForVersion(await containerInspect(r, facts, d.execs.execIdsOf(r.id), ctx.query.bool('size')), ctx.apiVersion));
      },
    },
    verb('start', (id) => containers.start(id)),
    verb('stop', (id, ctx) => containers.stop(id, stopOptions(ctx))),
    verb('restart', (id, ctx) => containers.restart(id, stopOptions(ctx))),
    verb('kill', (id, ctx) => containers.kill(id, ctx.query.str('signal') || 'SIGKILL')),
    verb('pause', (id) => containers.pause(id)),
    verb('unpause', (id) => containers.unpause(id)),
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
          ctx.res.end(waitLine({ StatusCode: r.statusCode, Error: r.error ? { Message: r.error } : null }));
        } catch (e) {
          if (!ctx.signal.aborted) ctx.res.end(waitLine({ StatusCode: -1, Error: { Message: String(e) } }));
        }
      },
    },
    {
      method: 'DELETE',
      path: '/containers/{id}',
      handler: async (ctx) => {
        // `docker rm --link name` names no link: refused, never a removal of the container.
        if (ctx.query.bool('link')) await containers.removeLink(ctx.params.id!);
        else {
          const rec = containers.get(ctx.params.id!);
          await containers.remove(rec.id, { force: ctx.query.bool('force'), volumes: ctx.query.bool('v') });
          d.execs.forgetContainer(rec.id);
        }
        sendNoContent(ctx.res);
      },
    },
    {
      // `docker rm --link /web/db` sends the link name as the path: DELETE /containers/web/db?link=1.
      method: 'DELETE',
      path: '/containers/{id}/{alias}',
      handler: async (ctx) => {
        if (!ctx.query.bool('link')) throw notFound('page not found');
        await containers.removeLink(`${ctx.params.id!}/${ctx.params.alias!}`);
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
          restartPolicy:
            'RestartPolicy' in body ? { name: (str(rp, 'Name') ?? 'no') as 'no', maximumRetryCount: num(rp, 'MaximumRetryCount') ?? 0 } : undefined,
        });
        const out: Wire.ContainerUpdateResponse = { Warnings: warnings };
        sendJson(ctx.res, 200, out);
      },
    },
    {
      method: 'POST',
      path: '/containers/{id}/resize',
      handler: async (ctx) => {
        const { h, w } = ttySize(ctx.query);
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
        const tailRaw = q.str('tail');
        // dockerd: strconv.Atoi(tail), and anything it rejects ("all", "", "abc", "1.5", " 5") means every line.
        const tail = tailRaw !== undefined && /^[+-]?\d{1,15}$/.test(tailRaw) ? Number(tailRaw) : 'all';
        const entries = d.logs.read(rec, {
          stdout: q.bool('stdout'),
          stderr: q.bool('stderr'),
          since: q.str('since') || undefined,
          until: q.str('until') || undefined,
          tail,
          timestamps: q.bool('timestamps'),
          follow: q.bool('follow'),
          signal: ctx.signal,
        });
        const tty = rec.config.tty;
        ctx.res.writeHead(200, { 'Content-Type': streamContentType(ctx, tty) });
        ctx.res.flushHeaders();
        for await (const chunk of entries) {
          const data = tty ? chunk.data : frameLines(chunk.stream === 'stderr' ? 2 : 1, chunk.data);
          if (!ctx.res.write(data)) await new Promise((r) => ctx.res.once('drain', r));
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
        const tty = rec.config.tty;
        // dockerd watches for the detach keys on TTY sessions only (a non-TTY stdin is copied as is).
        const detachKeys = tty && streams.stdin ? detachKeysFrom(q.str('detachKeys'), 'detach') : undefined;
        const client = ctx.hijack(streamContentType(ctx, tty));
        containers.emitEvent(rec, 'attach');
        if (q.bool('logs')) {
          for await (const chunk of d.logs.replay(rec, { stdout: streams.stdout, stderr: streams.stderr })) {
            client.write(tty ? chunk.data : frameLines(chunk.stream === 'stderr' ? 2 : 1, chunk.data));
          }
        }
        if (!q.bool('stream')) {
          client.end();
          return;
        }
        const join = async () =>
          void splice(client, await containers.attachRunning(rec, streams), {
            stdin: streams.stdin,
            detachKeys,
            onDetach: () => containers.emitEvent(rec, 'detach'),
            output: tty ? undefined : new LineFramer(),
          });
        const connect = async (stateDir: string) => {
          if (!stateDir) {
            client.end();
            return;
          }
          await join();
        };
        const cur = containers.get(rec.id);
        if (containers.isLive(cur)) await join();
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
        const r = await d.prune(ctx.query.filters());
        const body: Wire.ContainerPruneResponse = { ContainersDeleted: r.deleted.length ? r.deleted : null, SpaceReclaimed: r.spaceReclaimed };
        sendJson(ctx.res, 200, body);
      },
    },
    ...containerFsRoutes(d),
    ...containerStatsRoutes(d),
  ];
}

/** POST /containers/{id}/<name>: a lifecycle call answered with 204 once it returned. */
function verb(name: string, run: (id: string, ctx: RouteContext) => Promise<void>): Route {
  return {
    method: 'POST',
    path: `/containers/{id}/${name}`,
    handler: async (ctx) => {
      await run(ctx.params.id!, ctx);
      sendNoContent(ctx.res);
    },
  };
}

/** stop and restart: `t` (seconds before SIGKILL) and `signal`. */
function stopOptions(ctx: RouteContext): { timeout?: number; signal?: string } {
  return { timeout: ctx.query.int('t'), signal: ctx.query.str('signal') || undefined };
}

/** The one line of POST /containers/{id}/wait (the status is already out). */
function waitLine(w: Wire.ContainerWaitResponse): string {
  return JSON.stringify(w) + '\n';
}
