// Blobs and their uploads (spec end-2, end-3, end-4a/b, end-5, end-6, end-10, end-11, end-13):
// reads with Range, monolithic and chunked pushes, cross-repository mounts.
import { pipeline } from 'node:stream/promises';
import type { Digest } from '../../../lib/digest.js';
import { isBerthError } from '../../../lib/errors.js';
import { repoScope, type RegistryContext, type RegistryRoute } from '../access.js';
import { blobUnknown } from '../errors.js';
import { parseBlobDigest, parseRepoName } from '../names.js';
import type { RegistryStorage } from '../storage.js';
import type { Uploads } from '../uploads.js';
import { byteRange, chunkBounds, hasBody, requireQueryDigest, uploadRange } from './http-util.js';

export interface BlobDeps {
  storage: RegistryStorage;
  uploads: Uploads;
}

const name = (p: Record<string, string>) => parseRepoName(p.name!);
const pull = (p: Record<string, string>) => [repoScope(p.name!, 'pull')];
const push = (p: Record<string, string>) => [repoScope(p.name!, 'pull', 'push')];

function uploadLocation(repo: string, id: string): string {
  return `/v2/${repo}/blobs/uploads/${id}`;
}

function created(ctx: RegistryContext, repo: string, digest: Digest): void {
  ctx.res.writeHead(201, { Location: `/v2/${repo}/blobs/${digest}`, 'Docker-Content-Digest': digest, 'Content-Length': 0 }).end();
}

function accepted(ctx: RegistryContext, repo: string, id: string, size: number, status = 202): void {
  ctx.res.writeHead(status, { Location: uploadLocation(repo, id), Range: uploadRange(size), 'Docker-Upload-UUID': id, 'Content-Length': 0 }).end();
}

export function blobRoutes({ storage, uploads }: BlobDeps): RegistryRoute[] {
  /** The blob's size when it is visible in `repo` (pushed or mounted there). */
  async function visibleSize(repo: string, d: Digest): Promise<number> {
    const size = (await storage.isBlobLinked(repo, d)) ? await storage.blobSize(d) : undefined;
    if (size === undefined) throw blobUnknown(undefined, { digest: d });
    return size;
  }

  return [
    // ---- uploads (before the blob routes: {name*} would otherwise swallow "blobs/uploads") ----
    {
      method: 'POST',
      path: '/v2/{name*}/blobs/uploads',
      scopes: push, // a mount's source is checked as a grant (no grant: an upload instead)
      handler: async (ctx) => {
        const repo = name(ctx.params);
        const mount = ctx.query.str('mount');
        const from = ctx.query.str('from');
        if (mount !== undefined) {
          const d = parseBlobDigest(mount);
          // Mounted only from a repository the client may pull and that holds the blob;
          // otherwise the spec's fallback: an ordinary upload session.
          if (from !== undefined && from !== repo) {
            const src = parseRepoName(from);
            // touchBlob marks before it looks (false: not there), so a collection cannot take the blob
            // between this check and the manifest that will name it.
            if (ctx.grant.allows(repoScope(src, 'pull')) && (await storage.isBlobLinked(src, d)) && (await storage.touchBlob(d))) {
              await storage.linkBlob(repo, d);
              return created(ctx, repo, d);
            }
          } else if ((await storage.isBlobLinked(repo, d)) && (await storage.touchBlob(d))) {
            return created(ctx, repo, d);
          }
        }
        const digest = ctx.query.str('digest');
        const s = await uploads.start(repo);
        if (digest !== undefined) {
          // Single-POST monolithic upload: the body is the whole blob.
          const d = parseBlobDigest(digest);
          try {
            await uploads.finish(repo, s.id, d, ctx.body, { length: chunkBounds(ctx.req).length }, ctx.signal);
          } catch (e) {
            await uploads.cancel(repo, s.id).catch(() => {});
            throw e;
          }
          return created(ctx, repo, d);
        }
        accepted(ctx, repo, s.id, 0);
      },
    },
    {
      method: 'PATCH',
      path: '/v2/{name*}/blobs/uploads/{uuid}',
      scopes: push,
      handler: async (ctx) => {
        const repo = name(ctx.params);
        const b = chunkBounds(ctx.req);
        const s = await uploads.append(repo, ctx.params.uuid!, ctx.body, b, ctx.signal).catch((e: unknown) => {
          // After a 416 the client reads where to resume from the Range header (spec end-13).
          if (isBerthError(e, 'range-not-satisfiable')) {
            const off = (e.detail as { offset?: number } | undefined)?.offset;
            if (off !== undefined) ctx.res.setHeader('Range', uploadRange(off));
            ctx.res.setHeader('Location', uploadLocation(repo, ctx.params.uuid!));
          }
          throw e;
        });
        accepted(ctx, repo, s.id, s.size);
      },
    },
    {
      method: 'PUT',
      path: '/v2/{name*}/blobs/uploads/{uuid}',
      scopes: push,
      handler: async (ctx) => {
        const repo = name(ctx.params);
        const d = parseBlobDigest(requireQueryDigest(ctx.query.str('digest')));
        const body = hasBody(ctx.req) ? ctx.body : undefined;
        await uploads.finish(repo, ctx.params.uuid!, d, body, chunkBounds(ctx.req), ctx.signal);
        created(ctx, repo, d);
      },
    },
    {
      method: 'GET',
      path: '/v2/{name*}/blobs/uploads/{uuid}',
      scopes: push,
      handler: async (ctx) => {
        const repo = name(ctx.params);
        const s = uploads.status(repo, ctx.params.uuid!);
        accepted(ctx, repo, s.id, s.size, 204);
      },
    },
    {
      method: 'DELETE',
      path: '/v2/{name*}/blobs/uploads/{uuid}',
      scopes: push,
      handler: async (ctx) => {
        await uploads.cancel(name(ctx.params), ctx.params.uuid!);
        ctx.res.writeHead(204).end();
      },
    },
    // ---- blobs ----
    {
      method: 'GET',
      path: '/v2/{name*}/blobs/{digest}',
      scopes: pull,
      handler: async (ctx) => {
        const repo = name(ctx.params);
        const d = parseBlobDigest(ctx.params.digest!);
        // A HEAD is how a pushing client (docker, berthd, skopeo) learns that it need not send a
        // blob: it will name it in a manifest soon. Marked as just used BEFORE the look, the blob
        // is then spared by a garbage collection running meanwhile (gc.ts: the sweep renames a
        // blob aside, then reads the mark), even when it was an old orphan a moment ago.
        // (A registry on a read-only root cannot mark, and has no pushes to protect.)
        if (ctx.req.method === 'HEAD') await storage.touchBlob(d).catch(() => {});
        const size = await visibleSize(repo, d);
        let range: { start: number; end: number } | undefined;
        try {
          range = byteRange(ctx.req.headers.range, size);
        } catch (e) {
          ctx.res.setHeader('Content-Range', `bytes */${size}`);
          throw e;
        }
        const headers: Record<string, string | number> = {
          'Content-Type': 'application/octet-stream',
          'Docker-Content-Digest': d,
          'Accept-Ranges': 'bytes',
          ETag: `"${d}"`,
          'Cache-Control': 'max-age=31536000',
        };
        if (range) {
          headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`;
          headers['Content-Length'] = range.end - range.start + 1;
        } else headers['Content-Length'] = size;
        ctx.res.writeHead(range ? 206 : 200, headers);
        if (ctx.req.method === 'HEAD' || size === 0) return void ctx.res.end();
        await pipeline(storage.blobStream(d, range), ctx.res).catch((e: unknown) => {
          if (!ctx.signal.aborted) throw e; // a reader that went away is not a server error
        });
      },
    },
    {
      method: 'DELETE',
      path: '/v2/{name*}/blobs/{digest}',
      scopes: (p) => [repoScope(p.name!, 'delete')],
      handler: async (ctx) => {
        const repo = name(ctx.params);
        const d = parseBlobDigest(ctx.params.digest!);
        // The bytes stay until the garbage collector finds nothing links them.
        if (!(await storage.unlinkBlob(repo, d))) throw blobUnknown(undefined, { digest: d });
        ctx.res.writeHead(202, { 'Content-Length': 0 }).end();
      },
    },
  ];
}
