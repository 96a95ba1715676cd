// docker cp (GET/HEAD/PUT /containers/{id}/archive) and docker commit (POST /commit).
import { pipeline } from 'node:stream/promises';
import { invalidArgument } from '../../lib/errors.js';
import { readJsonObject } from '../../lib/http/request.js';
import { sendJson } from '../../lib/http/route.js';
import type { Route } from '../server/route.js';
import type { ContainerRouteDeps } from './containers.js';
import { createRequestFrom } from './container-wire.js';
import { repoTagOf } from './images.js';
import type * as Wire from '../types/index.js';

/** The answer's headers: the path's stat (base64 JSON, which `docker cp` reads) and the tar type. */
function archiveHeaders(stat: Wire.ContainerPathStat): Record<string, string> {
  return { 'X-Docker-Container-Path-Stat': Buffer.from(JSON.stringify(stat)).toString('base64'), 'Content-Type': 'application/x-tar' };
}

export function containerFsRoutes(d: ContainerRouteDeps): Route[] {
  const { containers } = d;
  const pathParam = (p: string | undefined) => {
    if (!p) throw invalidArgument('bad parameter: path cannot be empty');
    return p;
  };
  return [
    {
      method: 'HEAD',
      path: '/containers/{id}/archive',
      handler: async (ctx) => {
        const path = pathParam(ctx.query.str('path'));
        const st = await containers.withFs(ctx.params.id!, (fs) => fs.stat(path));
        ctx.res.writeHead(200, archiveHeaders(st)).end();
      },
    },
    {
      method: 'GET',
      path: '/containers/{id}/archive',
      handler: async (ctx) => {
        const path = pathParam(ctx.query.str('path'));
        await containers.withFs(ctx.params.id!, async (fs) => {
          const st = await fs.stat(path);
          ctx.res.writeHead(200, archiveHeaders(st));
          await pipeline(fs.archive(path), ctx.res);
        });
      },
    },
    {
      method: 'PUT',
      path: '/containers/{id}/archive',
      handler: async (ctx) => {
        const path = pathParam(ctx.query.str('path'));
        const rec = containers.get(ctx.params.id!);
        if (rec.host.readonlyRootfs) throw invalidArgument('container rootfs is marked read-only');
        await containers.withFs(rec.id, (fs) =>
          fs.extract(path, ctx.req, { keepOwnership: ctx.query.bool('copyUIDGID'), noOverwriteDirNonDir: ctx.query.bool('noOverwriteDirNonDir') }),
        );
        ctx.res.writeHead(200).end();
      },
    },
    {
      method: 'GET',
      path: '/containers/{id}/changes',
      handler: async (ctx) => {
        const list = await containers.changes(ctx.params.id!);
        // dockerd answers null, not [], for a container that changed nothing.
        const out: Wire.ContainerChange[] | null = list.length ? list.map((c) => ({ Path: c.path, Kind: c.kind })) : null;
        sendJson(ctx.res, 200, out);
      },
    },
    {
      method: 'GET',
      path: '/containers/{id}/export',
      handler: async (ctx) => {
        const tar = containers.export(ctx.params.id!);
        // The first chunk (or the failure to mount) decides the status: an error before any byte is a proper error reply.
        const first = await new Promise<Buffer | null>((resolve, reject) => {
          tar.once('error', reject);
          tar.once('end', () => resolve(null));
          tar.once('readable', () => resolve(tar.read() as Buffer | null));
        });
        ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar' });
        if (first) ctx.res.write(first);
        try {
          await pipeline(tar, ctx.res);
        } catch (e) {
          // A client that stops reading (`docker export c | head`) is no daemon error; the export's mount is released all the same.
          if (!ctx.signal.aborted && !ctx.res.destroyed) throw e;
        }
      },
    },
    {
      method: 'POST',
      path: '/commit',
      handler: async (ctx) => {
        const q = ctx.query;
        const ref = q.str('container');
        if (!ref) throw invalidArgument('No container specified');
        const body = await readJsonObject(ctx.body);
        const rec = containers.get(ref);
        const overrides = Object.keys(body).length ? createRequestFrom({ Image: rec.config.image, ...body }, undefined).config : undefined;
        const repo = q.str('repo');
        const id = await containers.commit(rec.id, {
          ref: repo ? repoTagOf(repo, q.str('tag')) : undefined,
          author: q.str('author') ?? '',
          comment: q.str('comment') ?? '',
          changes: q
            .all('changes')
            .flatMap((c) => c.split('\n'))
            .filter(Boolean),
          config: overrides
            ? Object.fromEntries(
                Object.entries({ ...overrides, cmd: overrides.cmd ?? undefined, entrypoint: overrides.entrypoint ?? undefined }).filter(
                  ([k, v]) => v !== undefined && k !== 'image',
                ),
              )
            : undefined,
        });
        const out: Wire.IdResponse = { Id: id };
        sendJson(ctx.res, 201, out);
      },
    },
  ];
}
