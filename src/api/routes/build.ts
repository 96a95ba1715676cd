// POST /build (the classic builder API, version=1) and POST /build/prune. The context tar is
// extracted (with .dockerignore) before anything is answered, so a bad context, Dockerfile,
// tag or target is an HTTP error; once the first step is reported the status is 200 and a
// failure arrives in-band as {"errorDetail":...}.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { invalidArgument, messageOf } from '../../lib/errors.js';
import { log } from '../../lib/log.js';
import { extractContext } from '../../build/context/context-tar.js';
import type { BuildMessage, BuildNetwork, BuildRequest, BuildResult } from '../../build/executor/types.js';
import type { PruneResult } from '../../build/cache/build-cache.js';
import { normaliseTags } from '../../build/executor/build-session.js';
import { sendJson, type Route, type RouteContext } from '../server/route.js';

/** What the route needs from the daemon: the builder (src/build/executor/builder.ts). */
export interface BuildRouteDeps {
  builder: {
    readonly contextsDir: string;
    build(req: BuildRequest, emit: (m: BuildMessage) => void): Promise<BuildResult>;
    prune(): Promise<PruneResult>;
  };
}

function jsonMap(ctx: RouteContext, name: string): Record<string, string> {
  const raw = ctx.query.str(name);
  if (!raw) return {};
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw invalidArgument(`invalid ${name} JSON: ${raw}`);
  }
  if (v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidArgument(`invalid ${name} JSON: ${raw}`);
  const out: Record<string, string> = {};
  // A null build-arg value (`--build-arg FOO` with FOO unset on the client) sets nothing.
  for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = String(x);
  return out;
}

function networkOf(mode: string | undefined): BuildNetwork {
  if (mode === undefined || mode === '' || mode === 'default') return 'default';
  if (mode === 'host' || mode === 'none' || mode === 'bridge') return mode;
  throw invalidArgument(`network mode ${JSON.stringify(mode)} is not supported for builds (use host, none or bridge)`);
}

async function build(d: BuildRouteDeps, ctx: RouteContext): Promise<void> {
  const q = ctx.query;
  const version = q.str('version') ?? '1';
  if (version === '2') throw invalidArgument('BuildKit is not supported by Berth: use the classic builder (DOCKER_BUILDKIT=0, API version=1)');
  if (version !== '1') throw invalidArgument(`unsupported builder version ${JSON.stringify(version)}`);
  if (q.str('remote')) throw invalidArgument('remote build contexts (git, URL) are not supported: send the context as the request body');
  const tags = q.all('t').filter((t) => t !== '');
  normaliseTags(tags); // invalid reference format -> 400 before anything runs
  const quiet = q.bool('q');
  const dockerfile = q.str('dockerfile') || 'Dockerfile';
  const contextDir = join(d.builder.contextsDir, randomBytes(8).toString('hex'));
  try {
    await extractContext(ctx.req, contextDir, { dockerfile, signal: ctx.signal });
    const req: BuildRequest = {
      contextDir,
      dockerfile,
      tags,
      buildArgs: jsonMap(ctx, 'buildargs'),
      labels: jsonMap(ctx, 'labels'),
      target: q.str('target') || undefined,
      noCache: q.bool('nocache'),
      network: networkOf(q.str('networkmode')),
      signal: ctx.signal,
    };
    const { res } = ctx;
    const send = (m: BuildMessage) => {
      if (!res.headersSent) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
      }
      if (!res.writableEnded && !res.destroyed) res.write(JSON.stringify(m) + '\r\n');
    };
    const emit = (m: BuildMessage) => {
      if (quiet && m.stream !== undefined) return;
      send(m);
    };
    try {
      const r = await d.builder.build(req, emit);
      if (quiet) send({ stream: `${r.imageId}\n` });
    } catch (e) {
      if (!res.headersSent) throw e; // nothing reported yet: a plain HTTP error
      log.debug('build failed', { error: messageOf(e) });
      const code = (e as { code?: unknown }).code;
      send({ errorDetail: { ...(typeof code === 'number' ? { code } : {}), message: messageOf(e) }, error: messageOf(e) });
    }
    res.end();
  } finally {
    await rm(contextDir, { recursive: true, force: true }).catch(() => {});
  }
}

export function buildRoutes(d: BuildRouteDeps): Route[] {
  return [
    { method: 'POST', path: '/build', handler: (ctx) => build(d, ctx) },
    {
      method: 'POST',
      path: '/build/prune',
      handler: async (ctx) => {
        const r = await d.builder.prune();
        sendJson(ctx.res, 200, { CachesDeleted: r.cachesDeleted.length ? r.cachesDeleted : null, SpaceReclaimed: r.spaceReclaimed });
      },
    },
  ];
}
