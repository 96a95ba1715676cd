// Content discovery (spec end-1, end-8a/b, end-12a/b and the catalog extension): the base
// endpoint, tag lists and the catalog with n/last pagination, and the referrers index.
import { sendJson } from '../../../lib/http/route.js';
import { CATALOG_SCOPE, repoScope, type RegistryRoute } from '../access.js';
import { nameUnknown } from '../errors.js';
import { MEDIA } from '../manifest-check.js';
import { parseBlobDigest, parseRepoName } from '../names.js';
import type { RegistryStorage } from '../storage.js';
import { paginate } from './http-util.js';

export function listingRoutes({ storage }: { storage: RegistryStorage }): RegistryRoute[] {
  return [
    {
      // Answers 200 when the credentials are good (or none are needed): clients probe it to log in.
      method: 'GET',
      path: '/v2',
      scopes: () => [],
      handler: async (ctx) => sendJson(ctx.res, 200, {}),
    },
    {
      method: 'GET',
      path: '/v2/_catalog',
      scopes: () => [CATALOG_SCOPE],
      handler: async (ctx) => {
        const repos = paginate(ctx.res, await storage.listRepos(), new URLSearchParams(ctx.req.url?.split('?')[1] ?? ''), '/v2/_catalog');
        sendJson(ctx.res, 200, { repositories: repos });
      },
    },
    {
      method: 'GET',
      path: '/v2/{name*}/tags/list',
      scopes: (p) => [repoScope(p.name!, 'pull')],
      handler: async (ctx) => {
        const repo = parseRepoName(ctx.params.name!);
        if (!(await storage.repoExists(repo))) throw nameUnknown(undefined, { name: repo });
        const tags = paginate(ctx.res, await storage.listTags(repo), new URLSearchParams(ctx.req.url?.split('?')[1] ?? ''), `/v2/${repo}/tags/list`);
        sendJson(ctx.res, 200, { name: repo, tags });
      },
    },
    {
      method: 'GET',
      path: '/v2/{name*}/referrers/{digest}',
      scopes: (p) => [repoScope(p.name!, 'pull')],
      handler: async (ctx) => {
        const repo = parseRepoName(ctx.params.name!);
        const subject = parseBlobDigest(ctx.params.digest!);
        // Never a 404 here: a client takes a 404 to mean "no referrers API" and falls back to tags.
        let manifests = await storage.listReferrers(repo, subject);
        const types = ctx.query.all('artifactType');
        if (types.length) {
          manifests = manifests.filter((m) => m.artifactType !== undefined && types.includes(m.artifactType));
          ctx.res.setHeader('OCI-Filters-Applied', 'artifactType');
        }
        const text = JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests });
        ctx.res.writeHead(200, { 'Content-Type': MEDIA.ociIndex, 'Content-Length': Buffer.byteLength(text) });
        ctx.res.end(text);
      },
    },
  ];
}
