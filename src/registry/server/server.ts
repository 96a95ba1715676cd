// The registry's HTTP server: lib/http's server with the OCI error body, the API version
// header on every answer, --read-only, and each route's scopes checked by the authorizer
// before its handler runs.
import { HttpServer } from '../../lib/http/http-server.js';
import type { Route } from '../../lib/http/route.js';
import { openAccess, type Authorizer, type RegistryContext, type RegistryRoute } from './access.js';
import { registryErrorBody, unsupported } from './errors.js';
import { blobRoutes } from './routes/blobs.js';
import { listingRoutes } from './routes/listing.js';
import { manifestRoutes } from './routes/manifests.js';
import type { RegistryStorage } from './storage.js';
import type { Uploads } from './uploads.js';

export interface RegistryServerOptions {
  storage: RegistryStorage;
  uploads: Uploads;
  authorizer?: Authorizer;
  readOnly?: boolean;
  tls?: { cert: Buffer; key: Buffer };
  /** Routes outside /v2 served by the same listener (the token endpoint). */
  extraRoutes?: Route<RegistryContext>[];
}

const READS = new Set(['GET', 'HEAD']);

export function createRegistryServer(o: RegistryServerOptions): HttpServer<RegistryContext> {
  const authorizer = o.authorizer ?? openAccess;
  const guarded = (r: RegistryRoute): Route<RegistryContext> => ({
    method: r.method,
    path: r.path,
    handler: async (ctx) => {
      const grant = await authorizer.authorize(ctx.req, ctx.res, r.scopes(ctx.params, new URL(ctx.req.url ?? '/', 'http://x').searchParams));
      await r.handler({ ...ctx, grant });
    },
  });
  const routes = [...listingRoutes(o).map(guarded), ...blobRoutes(o).map(guarded), ...manifestRoutes(o).map(guarded), ...(o.extraRoutes ?? [])];
  return new HttpServer<RegistryContext>({
    name: 'registry',
    errorBody: registryErrorBody,
    routes,
    ...(o.tls ? { tls: o.tls } : {}),
    prepare: ({ req, res, url }) => {
      res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
      if (o.readOnly && !READS.has(req.method ?? 'GET') && url.pathname.startsWith('/v2')) {
        throw unsupported('the registry is read-only', { method: req.method });
      }
      return { path: url.pathname, context: (base) => ({ ...base, grant: { allows: () => false } }) };
    },
  });
}
