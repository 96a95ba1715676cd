// /images/* routes: list, inspect, history, tag, remove, prune, save (get), load, and import
// (POST /images/create?fromSrc=-). Streamed answers use Docker's jsonmessage lines.
import { pipeline } from 'node:stream/promises';
import { invalidArgument, notImplemented } from '../../lib/errors.js';
import { JsonStream } from '../../lib/http/json-stream.js';
import type { Digest } from '../../lib/digest.js';
import type { ImageStore } from '../../image/image-store.js';
import type { ImageSummary } from '../../image/image-list.js';
import type { ImageUsers } from '../../image/image-delete.js';
import { importRootfs } from '../../image/import.js';
import { loadImages } from '../../image/load.js';
import { saveImages } from '../../image/save.js';
import { sendJson } from '../../lib/http/route.js';
import { versionAtLeast } from '../server/api-version.js';
import type { Route, RouteContext } from '../server/route.js';
import { pullReference } from '../../lib/reference.js';
import { decodeRegistryAuth } from '../../registry/client/auth.js';
import type { PullOptions, PullResult } from '../../registry/client/pull.js';
import type { PushOptions, PushResult } from '../../registry/client/push.js';

export interface ImageRouteDeps {
  images: ImageStore;
  users: ImageUsers;
  graphDriver: (imageId: Digest) => Record<string, unknown>;
  emit: (action: string, id: string, attrs?: Record<string, string>) => void;
  /** The registry client (src/registry/client/pull.ts); without it, pulls are refused. */
  puller?: { pull(ref: string, o: PullOptions): Promise<PullResult> };
  /** The push client (src/registry/client/push.ts); without it, pushes are refused. */
  pusher?: { push(name: string, tag: string | undefined, o: PushOptions): Promise<PushResult[]> };
}

/** POST /images/{name}/push?tag=: as pull, errors before the first progress line are statuses. */
async function pushImage(d: ImageRouteDeps, ctx: RouteContext): Promise<void> {
  const name = ctx.params.name!;
  if (!d.pusher) throw notImplemented(`cannot push ${name}: this daemon has no registry client`);
  const tag = ctx.query.str('tag') || undefined;
  const stream = new JsonStream(ctx.res);
  try {
    const results = await d.pusher.push(name, tag, {
      credentials: decodeRegistryAuth(ctx.req.headers['x-registry-auth'] as string | undefined),
      signal: ctx.signal,
      onProgress: (m) => stream.send(m),
    });
    for (const r of results) d.emit('push', `${name.replace(/:[^/:]*$/, '')}:${r.tag}`, { name: name.replace(/:[^/:]*$/, '') });
    stream.start();
  } catch (e) {
    stream.fail(e);
  }
  stream.end();
}

/** POST /images/create?fromImage=&tag=: errors before the first progress line are HTTP statuses, later ones in-band. */
async function pullImage(d: ImageRouteDeps, ctx: RouteContext): Promise<void> {
  const q = ctx.query;
  const from = q.str('fromImage') ?? '';
  if (!d.puller) throw notImplemented(`pull access denied for ${from}: this daemon has no registry client`);
  const tag = q.str('tag');
  const ref = pullReference(from, tag);
  const stream = new JsonStream(ctx.res);
  try {
    const r = await d.puller.pull(ref, {
      credentials: decodeRegistryAuth(ctx.req.headers['x-registry-auth'] as string | undefined),
      platform: q.str('platform') || undefined,
      signal: ctx.signal,
      onProgress: (m) => stream.send(m),
    });
    d.emit('pull', r.ref, { name: r.name });
    stream.start();
  } catch (e) {
    stream.fail(e);
  }
  stream.end();
}

export function imageSummaryWire(s: ImageSummary, ctx: RouteContext | undefined, containers = -1): Record<string, unknown> {
  const out: Record<string, unknown> = {
    Id: s.id,
    ParentId: s.parentId,
    RepoTags: s.repoTags.length ? s.repoTags : ctx && !versionAtLeast(ctx.apiVersion, '1.43') ? ['<none>:<none>'] : [],
    RepoDigests: s.repoDigests.length ? s.repoDigests : ctx && !versionAtLeast(ctx.apiVersion, '1.43') ? ['<none>@<none>'] : [],
    Created: s.created,
    Size: s.size,
    SharedSize: -1,
    // The swagger requires an object (not x-nullable); the docker CLI and docker-py take {} too.
    Labels: s.labels,
    Containers: containers,
  };
  if (!ctx || !versionAtLeast(ctx.apiVersion, '1.44')) out.VirtualSize = s.size;
  return out;
}

export function imageRoutes(d: ImageRouteDeps): Route[] {
  const { images } = d;
  return [
    {
      method: 'GET',
      path: '/images/json',
      handler: async (ctx) => {
        const list = images.list({ all: ctx.query.bool('all'), filters: ctx.query.filters() });
        sendJson(ctx.res, 200, list.map((s) => imageSummaryWire(s, ctx)));
      },
    },
    {
      method: 'GET',
      path: '/images/get',
      handler: async (ctx) => {
        const names = ctx.query.all('names');
        if (!names.length) throw invalidArgument('no image names given');
        const tar = await saveImages(images, names);
        ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar' });
        await pipeline(tar, ctx.res);
      },
    },
    {
      method: 'GET',
      path: '/images/{name*}/get',
      handler: async (ctx) => {
        const tar = await saveImages(images, [ctx.params.name!]);
        ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar' });
        await pipeline(tar, ctx.res);
      },
    },
    {
      method: 'GET',
      path: '/images/{name*}/json',
      handler: async (ctx) => {
        const x = images.inspect(ctx.params.name!);
        const r = x.record;
        const c = x.config;
        const out: Record<string, unknown> = {
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
          GraphDriver: d.graphDriver(r.id),
          RootFS: { Type: 'layers', Layers: c.rootfs.diff_ids },
          Metadata: { LastTagTime: x.lastTagTime ?? '0001-01-01T00:00:00Z' },
        };
        if (c.variant) out.Variant = c.variant;
        if (!versionAtLeast(ctx.apiVersion, '1.44')) out.VirtualSize = r.size;
        // Container and ContainerConfig left the swagger at v1.45, but Berth keeps sending them at
        // every version: docker-compose 1.29 (docker-py) negotiates the daemon's highest version and
        // then indexes image['ContainerConfig'] when it recreates a container, a KeyError since
        // dockerd 26 dropped the field. Extra fields break no client; a missing one breaks that one.
        out.Container = c.container ?? '';
        out.ContainerConfig = c.container_config ?? {};
        sendJson(ctx.res, 200, out);
      },
    },
    {
      method: 'GET',
      path: '/images/{name*}/history',
      handler: async (ctx) => {
        sendJson(
          ctx.res,
          200,
          images.history(ctx.params.name!).map((h) => ({ Id: h.id, Created: h.created, CreatedBy: h.createdBy, Tags: h.tags.length ? h.tags : null, Size: h.size, Comment: h.comment })),
        );
      },
    },
    {
      method: 'POST',
      path: '/images/{name*}/tag',
      handler: async (ctx) => {
        const repo = ctx.query.str('repo');
        if (!repo) throw invalidArgument('repository name must have at least one component');
        const tag = ctx.query.str('tag');
        const target = tag ? `${repo}:${tag}` : repo;
        await images.tag(ctx.params.name!, target);
        d.emit('tag', images.resolve(ctx.params.name!).id, { name: target });
        ctx.res.writeHead(201).end();
      },
    },
    {
      method: 'DELETE',
      path: '/images/{name*}',
      handler: async (ctx) => {
        const items = await images.remove(ctx.params.name!, { force: ctx.query.bool('force'), noPrune: ctx.query.bool('noprune') }, d.users);
        for (const i of items) {
          if ('Untagged' in i) d.emit('untag', i.Untagged);
          else d.emit('delete', i.Deleted);
        }
        sendJson(ctx.res, 200, items);
      },
    },
    {
      method: 'POST',
      path: '/images/prune',
      handler: async (ctx) => {
        const filters = ctx.query.filters();
        const all = filters.dangling?.[0] === 'false' || filters.dangling?.[0] === '0';
        const r = await images.prune({ all, filters }, d.users);
        sendJson(ctx.res, 200, { ImagesDeleted: r.deleted.length ? r.deleted : null, SpaceReclaimed: r.spaceReclaimed });
      },
    },
    {
      method: 'POST',
      path: '/images/load',
      handler: async (ctx) => {
        const quiet = ctx.query.bool('quiet');
        const result = await loadImages(images, ctx.req, { signal: ctx.signal });
        const stream = new JsonStream(ctx.res).start();
        for (const m of result.moved) stream.send({ stream: `The image ${m.ref} already exists, renaming the old one with ID ${m.oldId} to empty string\n` });
        for (const img of result.images) {
          d.emit('load', img.id);
          if (img.refs.length) for (const ref of img.refs) stream.send({ stream: `Loaded image: ${ref}\n` });
          else stream.send({ stream: `Loaded image ID: ${img.id}\n` });
        }
        void quiet;
        stream.end();
      },
    },
    {
      method: 'POST',
      path: '/images/{name*}/push',
      handler: (ctx) => pushImage(d, ctx),
    },
    {
      method: 'POST',
      path: '/images/create',
      handler: async (ctx) => {
        const q = ctx.query;
        const fromSrc = q.str('fromSrc');
        if (fromSrc === undefined) return pullImage(d, ctx);
        if (fromSrc !== '-') throw invalidArgument('importing from a URL is not supported; send the tar as the request body (fromSrc=-)');
        const repo = q.str('repo');
        const tag = q.str('tag');
        const ref = repo ? (tag ? `${repo}:${tag}` : repo) : undefined;
        const changes = q.all('changes').flatMap((c) => c.split('\n')).filter(Boolean);
        // Import before answering, so bad input gets a proper status code rather than an in-band error.
        const result = await importRootfs(images, ctx.req, { ref, changes, message: q.str('message'), source: '-', platform: q.str('platform'), signal: ctx.signal });
        const stream = new JsonStream(ctx.res);
        stream.send({ status: result.id });
        d.emit('import', result.id);
        stream.end();
      },
    },
  ];
}
