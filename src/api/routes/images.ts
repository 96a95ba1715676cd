// /images/* routes: list, inspect, history, tag, remove, prune, save (get), load, import
// (POST /images/create?fromSrc=-) and pull (POST /images/create?fromImage=). Streamed answers
// use Docker's jsonmessage lines. The image domain does the work and reports every image event.
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { invalidArgument, notImplemented } from '../../lib/errors.js';
import { JsonStream } from '../../lib/http/json-stream.js';
import type { ImageDetails } from '../../image/image-store.js';
import type { PlatformImage } from '../../image/image-platforms.js';
import { MEDIA_TYPES } from '../../image/image-config.js';
import { parsePlatform, type Platform } from '../../lib/platform.js';
import type { ImageListOptions, ImageSummary } from '../../image/image-list.js';
import type { HistoryItem } from '../../image/image-history.js';
import type { DeleteItem, PruneResult } from '../../image/image-delete.js';
import type { ImportOptions, ImportResult } from '../../image/import.js';
import type { LoadResult } from '../../image/load.js';
import { sendJson } from '../../lib/http/route.js';
import { versionAtLeast } from '../server/api-version.js';
import type { Route, RouteContext } from '../server/route.js';
import { pullReference } from '../../lib/reference.js';
import { decodeRegistryAuth, type Credentials } from '../../registry/client/auth.js';
import type { PullOptions, PullResult } from '../../registry/client/pull.js';
import type { PushOptions, PushResult } from '../../registry/client/push.js';
import type { SearchOptions, SearchResult } from '../../registry/client/search.js';
import type { DistributionInspect } from '../../registry/client/inspect.js';
import type * as Wire from '../types/index.js';

/** What the image routes need of the image domain (src/image: the store and its operations). */
export interface ImageBackend {
  list(o: ImageListOptions): ImageSummary[];
  /** `platform` (API 1.49): the image of that platform among those the name holds. */
  inspect(refOrId: string, platform?: Platform): ImageDetails;
  history(refOrId: string): HistoryItem[];
  tag(source: string, target: string): Promise<void>;
  /** `docker rmi`, with the containers that use an image taken into account. */
  remove(refOrId: string, o: { force: boolean; noPrune: boolean }): Promise<DeleteItem[]>;
  prune(o: { all: boolean; filters: Record<string, string[]> }): Promise<PruneResult>;
  /** `platform` (API 1.48): only that platform's image of each name. */
  save(names: string[], platform?: Platform): Promise<Readable>;
  load(tar: Readable, o: { signal: AbortSignal }): Promise<LoadResult>;
  importRootfs(tar: Readable, o: ImportOptions): Promise<ImportResult>;
}

/** The registry client (src/registry/client/pull.ts). */
export interface ImagePuller {
  pull(ref: string, o: PullOptions): Promise<PullResult>;
}

/** The push client (src/registry/client/push.ts); it reports each pushed tag's event itself. */
export interface ImagePusher {
  push(name: string, tag: string | undefined, o: PushOptions): Promise<PushResult[]>;
}

export interface ImageRouteDeps {
  images: ImageBackend;
  /** Without it, pulls are refused. */
  puller?: ImagePuller;
  /** Without it, pushes are refused. */
  pusher?: ImagePusher;
  /** `docker search` against a registry's /v1/search; without it, searches are refused. */
  search?: (term: string, o: SearchOptions) => Promise<SearchResult[]>;
  /** GET /distribution/{name}/json: what the registry says the name resolves to. */
  distribution?: (name: string, o: { credentials: Credentials; signal?: AbortSignal }) => Promise<DistributionInspect>;
}

/** GET /images/search: dockerd's filters (stars, is-official, is-automated), checked before the registry is asked. */
async function searchRoute(d: ImageRouteDeps, ctx: RouteContext): Promise<void> {
  const q = ctx.query;
  const f = q.filters();
  for (const k of Object.keys(f)) if (!['stars', 'is-official', 'is-automated'].includes(k)) throw invalidArgument(`invalid filter '${k}'`);
  const bool = (k: string): boolean | undefined => {
    const v = f[k]?.[0];
    if (v === undefined) return undefined;
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    throw invalidArgument(`invalid filter '${k}=${v}'`);
  };
  const starsRaw = f.stars?.[0];
  const stars = starsRaw === undefined ? undefined : Number(starsRaw);
  if (stars !== undefined && !Number.isInteger(stars)) throw invalidArgument(`invalid filter 'stars=${starsRaw}'`);
  if (!d.search) throw notImplemented('cannot search: this daemon has no registry client');
  const results = await d.search(q.str('term') ?? '', {
    limit: q.int('limit'),
    filters: { stars, isOfficial: bool('is-official'), isAutomated: bool('is-automated') },
    signal: ctx.signal,
  });
  sendJson(ctx.res, 200, results);
}

/** POST /images/{name}/push?tag=: as pull, errors before the first progress line are statuses. */
async function pushImage(pusher: ImagePusher | undefined, ctx: RouteContext): Promise<void> {
  const name = ctx.params.name!;
  if (!pusher) throw notImplemented(`cannot push ${name}: this daemon has no registry client`);
  await new JsonStream(ctx.res).run((send) =>
    pusher.push(name, ctx.query.str('tag') || undefined, {
      credentials: decodeRegistryAuth(ctx.req.headers['x-registry-auth'] as string | undefined),
      signal: ctx.signal,
      onProgress: send,
    }),
  );
}

/**
 * Image inspect's `platform` (API 1.49): a JSON-encoded OCI platform, as the docker CLI sends it
 * ({"os":"linux","architecture":"arm64"}); the "os/arch[/variant]" form is accepted too.
 */
export function platformQuery(raw: string | undefined): Platform | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!raw.trimStart().startsWith('{')) return parsePlatform(raw);
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw invalidArgument(`invalid platform: ${raw}`);
  }
  const o = v as Record<string, unknown>;
  if (
    typeof o !== 'object' ||
    o === null ||
    typeof o.os !== 'string' ||
    typeof o.architecture !== 'string' ||
    (o.variant !== undefined && typeof o.variant !== 'string')
  )
    throw invalidArgument(`invalid platform: ${raw}`);
  return parsePlatform([o.os, o.architecture, o.variant].filter(Boolean).join('/'));
}

/** Images have no mounted layers to show; Docker's inspect still names the driver. */
const GRAPH_DRIVER: Wire.ImageInspect['GraphDriver'] = { Name: 'overlay2', Data: {} };

/** POST /images/create?fromImage=&tag=: errors before the first progress line are HTTP statuses, later ones in-band. */
async function pullImage(puller: ImagePuller | undefined, ctx: RouteContext): Promise<void> {
  const q = ctx.query;
  const from = q.str('fromImage') ?? '';
  if (!puller) throw notImplemented(`pull access denied for ${from}: this daemon has no registry client`);
  await new JsonStream(ctx.res).run((send) =>
    puller.pull(pullReference(from, q.str('tag')), {
      credentials: decodeRegistryAuth(ctx.req.headers['x-registry-auth'] as string | undefined),
      platform: q.str('platform') || undefined,
      signal: ctx.signal,
      onProgress: send,
    }),
  );
}

/**
 * GET /images/json item (and /system/df's). Before 1.43 an untagged image shows `<none>`
 * placeholders, and before 1.44 VirtualSize is sent; without a request (df) neither applies
 * but VirtualSize does. `containers`: the number of containers using it, -1 when not counted.
 */
export function imageSummaryWire(s: ImageSummary, apiVersion: string | undefined, containers = -1): Wire.ImageSummary {
  const legacyNone = apiVersion !== undefined && !versionAtLeast(apiVersion, '1.43');
  const out: Wire.ImageSummary = {
    Id: s.id,
    ParentId: s.parentId,
    RepoTags: s.repoTags.length ? s.repoTags : legacyNone ? ['<none>:<none>'] : [],
    RepoDigests: s.repoDigests.length ? s.repoDigests : legacyNone ? ['<none>@<none>'] : [],
    Created: s.created,
    Size: s.size,
    SharedSize: -1,
    // The swagger requires an object (not x-nullable); the docker CLI and docker-py take {} too.
    Labels: s.labels,
    Containers: containers,
  };
  if (apiVersion === undefined || !versionAtLeast(apiVersion, '1.44')) out.VirtualSize = s.size;
  if (s.index) out.Descriptor = { mediaType: MEDIA_TYPES.ociIndex, digest: s.index, size: 0 };
  if (s.platforms) out.Manifests = s.platforms.map(manifestSummaryWire);
  return out;
}

/**
 * API 1.47's ManifestSummary for one platform of a name. An image never pulled or pushed has no
 * manifest yet: its entry names its config (the image id) instead.
 */
function manifestSummaryWire(p: PlatformImage): Wire.ImageManifestSummary {
  const platform: Wire.OciPlatform = {
    architecture: p.platform.architecture,
    os: p.platform.os,
    ...(p.platform.variant ? { variant: p.platform.variant } : {}),
  };
  const d = p.manifest ?? { digest: p.id, mediaType: MEDIA_TYPES.dockerConfig, size: 0 };
  return {
    ID: d.digest,
    Descriptor: { mediaType: d.mediaType, digest: d.digest, size: d.size, platform },
    Available: true,
    // Disk usage is what `images` shows as SIZE (the unpacked layers); content is the registry's size of it.
    Size: { Total: p.size, Content: p.content },
    Kind: 'image',
    ImageData: { Platform: platform, Containers: [], Size: { Unpacked: p.size } },
  };
}

/** GET /images/{name}/json; VirtualSize before 1.44. */
export function imageInspectWire(x: ImageDetails, apiVersion: string): Wire.ImageInspect {
  const r = x.record;
  const c = x.config;
  const out: Wire.ImageInspect = {
    Id: r.id,
    RepoTags: x.repoTags,
    RepoDigests: x.repoDigests,
    Parent: r.parent ?? '',
    Comment: c.comment ?? '',
    Created: c.created ?? r.created,
    DockerVersion: c.docker_version ?? '',
    Author: c.author ?? '',
    Config: c.config ?? {},
    Architecture: c.architecture,
    Os: c.os,
    Size: r.size,
    GraphDriver: GRAPH_DRIVER,
    RootFS: { Type: 'layers', Layers: c.rootfs.diff_ids },
    Metadata: { LastTagTime: x.lastTagTime ?? '0001-01-01T00:00:00Z' },
  };
  if (c.variant) out.Variant = c.variant;
  if (!versionAtLeast(apiVersion, '1.44')) out.VirtualSize = r.size;
  // Container and ContainerConfig left the swagger at v1.45, but Berth keeps sending them at
  // every version: docker-compose 1.29 (docker-py) negotiates the daemon's highest version and
  // then indexes image['ContainerConfig'] when it recreates a container, a KeyError since
  // dockerd 26 dropped the field. Extra fields break no client; a missing one breaks that one.
  out.Container = c.container ?? '';
  out.ContainerConfig = c.container_config ?? {};
  return out;
}

function historyWire(h: HistoryItem): Wire.HistoryItem {
  return { Id: h.id, Created: h.created, CreatedBy: h.createdBy, Tags: h.tags.length ? h.tags : null, Size: h.size, Comment: h.comment };
}

/** `repo[:tag]` from a request's repo and tag parameters (tag, commit, import). */
export function repoTagOf(repo: string, tag: string | undefined): string {
  return tag ? `${repo}:${tag}` : repo;
}

async function sendTar(ctx: RouteContext, tar: Readable): Promise<void> {
  ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar' });
  await pipeline(tar, ctx.res);
}

export function imageRoutes(d: ImageRouteDeps): Route[] {
  const { images } = d;
  return [
    { method: 'GET', path: '/images/search', handler: (ctx) => searchRoute(d, ctx) },
    {
      method: 'GET',
      path: '/distribution/{name*}/json',
      handler: async (ctx) => {
        if (!d.distribution) throw notImplemented('this daemon has no registry client');
        const credentials = decodeRegistryAuth(ctx.req.headers['x-registry-auth'] as string | undefined);
        sendJson(ctx.res, 200, await d.distribution(ctx.params.name!, { credentials, signal: ctx.signal }));
      },
    },
    {
      method: 'GET',
      path: '/images/json',
      handler: async (ctx) => {
        const list = images.list({ all: ctx.query.bool('all'), filters: ctx.query.filters(), manifests: ctx.query.bool('manifests') });
        sendJson(
          ctx.res,
          200,
          list.map((s) => imageSummaryWire(s, ctx.apiVersion)),
        );
      },
    },
    {
      method: 'GET',
      path: '/images/get',
      handler: async (ctx) => {
        const names = ctx.query.all('names');
        if (!names.length) throw invalidArgument('no image names given');
        await sendTar(ctx, await images.save(names, platformQuery(ctx.query.str('platform'))));
      },
    },
    {
      method: 'GET',
      path: '/images/{name*}/get',
      handler: async (ctx) => sendTar(ctx, await images.save([ctx.params.name!], platformQuery(ctx.query.str('platform')))),
    },
    {
      method: 'GET',
      path: '/images/{name*}/json',
      handler: async (ctx) =>
        sendJson(ctx.res, 200, imageInspectWire(images.inspect(ctx.params.name!, platformQuery(ctx.query.str('platform'))), ctx.apiVersion)),
    },
    {
      method: 'GET',
      path: '/images/{name*}/history',
      handler: async (ctx) => sendJson(ctx.res, 200, images.history(ctx.params.name!).map(historyWire)),
    },
    {
      method: 'POST',
      path: '/images/{name*}/tag',
      handler: async (ctx) => {
        const repo = ctx.query.str('repo');
        if (!repo) throw invalidArgument('repository name must have at least one component');
        await images.tag(ctx.params.name!, repoTagOf(repo, ctx.query.str('tag')));
        ctx.res.writeHead(201).end();
      },
    },
    {
      method: 'DELETE',
      path: '/images/{name*}',
      handler: async (ctx) => {
        const items: Wire.ImageDeleteResponseItem[] = await images.remove(ctx.params.name!, {
          force: ctx.query.bool('force'),
          noPrune: ctx.query.bool('noprune'),
        });
        sendJson(ctx.res, 200, items);
      },
    },
    {
      method: 'POST',
      path: '/images/prune',
      handler: async (ctx) => {
        const filters = ctx.query.filters();
        const all = filters.dangling?.[0] === 'false' || filters.dangling?.[0] === '0';
        const r = await images.prune({ all, filters });
        const body: Wire.ImagePruneResponse = { ImagesDeleted: r.deleted.length ? r.deleted : null, SpaceReclaimed: r.spaceReclaimed };
        sendJson(ctx.res, 200, body);
      },
    },
    {
      method: 'POST',
      path: '/images/load',
      handler: async (ctx) => {
        const result = await images.load(ctx.req, { signal: ctx.signal });
        const stream = new JsonStream(ctx.res).start();
        for (const m of result.moved) stream.send({ stream: `The image ${m.ref} already exists, renaming the old one with ID ${m.oldId} to empty string\n` });
        for (const img of result.images) {
          if (img.refs.length) for (const ref of img.refs) stream.send({ stream: `Loaded image: ${ref}\n` });
          else stream.send({ stream: `Loaded image ID: ${img.id}\n` });
        }
        stream.end();
      },
    },
    {
      method: 'POST',
      path: '/images/{name*}/push',
      handler: (ctx) => pushImage(d.pusher, ctx),
    },
    {
      method: 'POST',
      path: '/images/create',
      handler: async (ctx) => {
        const q = ctx.query;
        const fromSrc = q.str('fromSrc');
        if (fromSrc === undefined) return pullImage(d.puller, ctx);
        if (fromSrc !== '-') throw invalidArgument('importing from a URL is not supported; send the tar as the request body (fromSrc=-)');
        const repo = q.str('repo');
        const changes = q
          .all('changes')
          .flatMap((c) => c.split('\n'))
          .filter(Boolean);
        // Import before answering, so bad input gets a proper status code rather than an in-band error.
        const result = await images.importRootfs(ctx.req, {
          ref: repo ? repoTagOf(repo, q.str('tag')) : undefined,
          changes,
          message: q.str('message'),
          source: '-',
          platform: q.str('platform'),
          signal: ctx.signal,
        });
        const stream = new JsonStream(ctx.res);
        stream.send({ status: result.id });
        stream.end();
      },
    },
  ];
}
