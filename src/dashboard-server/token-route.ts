// POST /berth/dashboard/token: Berth's own route (not Docker's) on the Engine API's unix socket,
// which `berth dashboard` calls for a login URL. Only someone who may already drive berthd
// through its socket gets a token; the dashboard listener never forwards /berth/* paths.
import { notFound } from '../lib/errors.js';
import { sendJson, type RequestContext, type Route } from '../lib/http/route.js';

export interface LoginUrlSource {
  /** A login URL with a fresh one-time token, and how long the token stays valid. */
  loginUrl(): { url: string; expiresInSeconds: number };
}

export const TOKEN_PATH = '/berth/dashboard/token';

export function dashboardTokenRoutes(dashboard: LoginUrlSource | undefined): Route<RequestContext>[] {
  return [
    {
      method: 'POST',
      path: TOKEN_PATH,
      handler: async (ctx) => {
        if (!dashboard) throw notFound('the dashboard is not enabled: start berthd with --dashboard 127.0.0.1:7070');
        const { url, expiresInSeconds } = dashboard.loginUrl();
        sendJson(ctx.res, 200, { URL: url, ExpiresInSeconds: expiresInSeconds });
      },
    },
  ];
}
