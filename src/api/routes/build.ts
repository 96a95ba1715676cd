// POST /build (the classic builder API, version=1) and POST /build/prune. The builder unpacks
// the context tar before anything is answered, so a bad context, Dockerfile, tag or target is
// an HTTP error; once the first step is reported the status is 200 and a failure arrives
// in-band as {"errorDetail":...}.
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import { invalidArgument, messageOf } from '../../lib/errors.js';
import { log } from '../../lib/log.js';
import { buildNetworkModeNotSupported } from '../../lib/docker-messages.js';
import type { BuildMessage, BuildNetwork, BuildRequest, BuildResult } from '../../builder/executor/types.js';
import type { PruneResult } from '../../builder/cache/build-cache.js';
import type { BuildCacheRecord } from '../../builder/cache/cache-usage.js';
import type { BuildCacheItem, BuildPruneResponse } from '../types/system.js';
import { normaliseTags } from '../../builder/executor/build-session.js';
import { sendJson } from '../../lib/http/route.js';
import { readBody } from '../../lib/http/request.js';
import { CONTEXT_ID } from '../../lib/context-manifest.js';
import { JsonStream } from '../../lib/http/json-stream.js';
import type { Route, RouteContext } from '../server/route.js';

/** What the build routes need: the builder (src/builder/executor/builder.ts). */
export interface BuildBackend {
  /** Unpacks the context tar and builds; errors before the first `emit` are request errors. */
  buildFromTar(tar: Readable, req: Omit<BuildRequest, 'contextDir' | 'contextDigests' | 'contextIndex'>, emit: (m: BuildMessage) => void): Promise<BuildResult>;
  /** Incremental context (Berth extension): the contents of `manifest` the daemon lacks for context `id`. */
  contextMissing(id: string, manifest: Buffer): string[];
  /** Incremental context: the upload (manifest, then the lacking contents) and the build, as buildFromTar. */
  buildFromManifest(
    id: string,
    body: Readable,
    req: Omit<BuildRequest, 'contextDir' | 'contextDigests' | 'contextIndex'>,
    emit: (m: BuildMessage) => void,
  ): Promise<BuildResult>;
  prune(): Promise<PruneResult>;
  diskUsage(): Promise<BuildCacheRecord[]>;
}

export interface BuildRouteDeps {
  builder: BuildBackend;
}

/** Docker's BuildCache records (GET /system/df). */
export function buildCacheWire(records: readonly BuildCacheRecord[]): BuildCacheItem[] {
  return records.map((r) => ({
    ID: r.id,
    Parents: r.parents.length ? [...r.parents] : null,
    Type: r.type,
    Description: r.description,
    InUse: r.inUse,
    Shared: r.shared,
    Size: r.size,
    CreatedAt: r.createdAt,
    LastUsedAt: r.lastUsedAt,
    UsageCount: r.usageCount,
  }));
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

// The classic builder gives RUN containers HostConfig.NetworkMode as sent: the default bridge,
// host, none, or a user-defined network (an unknown one fails the first RUN, in-band).
/** `cachefrom`: a JSON array of image references. */
function jsonList(ctx: RouteContext, name: string): string[] {
  const raw = ctx.query.str(name);
  if (!raw) return [];
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw invalidArgument(`invalid ${name} JSON: ${raw}`);
  }
  if (v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw invalidArgument(`invalid ${name} JSON: ${raw}`);
  return v.filter((x) => x !== '');
}

function networkOf(mode: string | undefined): BuildNetwork {
  if (mode === undefined || mode === '' || mode === 'default') return 'default';
  if (mode === 'container:') throw buildNetworkModeNotSupported(mode);
  return mode;
}

/** `--add-host` values as Docker checks them (opts.ValidateExtraHost): name:ip, split at the first colon. */
function extraHostsOf(values: string[]): string[] {
  const out = values.flatMap((v) => v.split(',')).filter((v) => v !== '');
  for (const h of out) {
    const i = h.indexOf(':');
    if (i <= 0) throw invalidArgument(`bad format for add-host: ${JSON.stringify(h)}`);
    const ip = h.slice(i + 1);
    if (ip !== 'host-gateway' && !isIP(ip)) throw invalidArgument(`invalid IP address in add-host: ${JSON.stringify(ip)}`);
  }
  return out;
}

/** POST /build and POST /berth/build: the same query, the same answer; `context` picks the incremental upload. */
async function build(d: BuildRouteDeps, ctx: RouteContext, incremental: boolean): Promise<void> {
  const q = ctx.query;
  const contextId = incremental ? contextIdOf(q.str('context')) : undefined;
  const version = q.str('version') ?? '1';
  if (version === '2') throw invalidArgument('BuildKit is not supported by Berth: use the classic builder (DOCKER_BUILDKIT=0, API version=1)');
  if (version !== '1') throw invalidArgument(`unsupported builder version ${JSON.stringify(version)}`);
  if (q.str('remote')) throw invalidArgument('remote build contexts (git, URL) are not supported: send the context as the request body');
  const tags = q.all('t').filter((t) => t !== '');
  normaliseTags(tags); // invalid reference format -> 400 before anything runs
  const network = networkOf(q.str('networkmode')); // before the context is read
  const extraHosts = extraHostsOf(q.all('extrahosts')); // repeated (docker-py) or comma-separated
  const cacheFrom = jsonList(ctx, 'cachefrom');
  const quiet = q.bool('q');
  const dockerfile = q.str('dockerfile') || 'Dockerfile';
  if (dockerfile.includes('\0')) throw invalidArgument('invalid dockerfile path: it contains a NUL byte'); // before the stream's status line
  const req = {
    dockerfile,
    tags,
    buildArgs: jsonMap(ctx, 'buildargs'),
    labels: jsonMap(ctx, 'labels'),
    target: q.str('target') || undefined,
    noCache: q.bool('nocache'),
    pull: q.bool('pull'),
    platform: q.str('platform') || undefined,
    extraHosts,
    cacheFrom,
    network,
    signal: ctx.signal,
  };
  const stream = new JsonStream(ctx.res);
  const emit = (m: BuildMessage) => {
    if (quiet && m.stream !== undefined) return;
    stream.send(m);
  };
  try {
    const r = contextId ? await d.builder.buildFromManifest(contextId, ctx.req, req, emit) : await d.builder.buildFromTar(ctx.req, req, emit);
    if (quiet) stream.send({ stream: `${r.imageId}\n` });
  } catch (e) {
    if (stream.started) log.debug('build failed', { error: messageOf(e) });
    const exitCode = (e as { exitCode?: unknown }).exitCode; // a RUN step's exit status (BuildStepError)
    stream.fail(e, typeof exitCode === 'number' ? exitCode : undefined);
  }
  stream.end();
}

function contextIdOf(raw: string | undefined): string {
  if (!raw || !CONTEXT_ID.test(raw)) throw invalidArgument(`invalid build context id ${JSON.stringify(raw ?? '')}: expected 16 to 64 lowercase hex digits`);
  return raw;
}

/** POST /berth/build/context?context=<id>, body {"entries": [...]}: answers {"Missing": [sha256...]}. */
async function contextMissing(d: BuildRouteDeps, ctx: RouteContext): Promise<void> {
  const id = contextIdOf(ctx.query.str('context'));
  const manifest = await readBody(ctx.req, MAX_MANIFEST_BYTES);
  sendJson(ctx.res, 200, { Missing: d.builder.contextMissing(id, manifest) });
}

const MAX_MANIFEST_BYTES = 256 << 20;

export function buildRoutes(d: BuildRouteDeps): Route[] {
  return [
    { method: 'POST', path: '/build', handler: (ctx) => build(d, ctx, false) },
    // Berth's incremental build context (docs/build-context.md): the berth CLI sends a manifest,
    // then only the contents the daemon lacks; the docker CLI keeps POST /build.
    { method: 'POST', path: '/berth/build/context', handler: (ctx) => contextMissing(d, ctx) },
    { method: 'POST', path: '/berth/build', handler: (ctx) => build(d, ctx, true) },
    {
      method: 'POST',
      path: '/build/prune',
      handler: async (ctx) => {
        const r = await d.builder.prune();
        const body: BuildPruneResponse = { CachesDeleted: r.cachesDeleted.length ? r.cachesDeleted : null, SpaceReclaimed: r.spaceReclaimed };
        sendJson(ctx.res, 200, body);
      },
    },
  ];
}
