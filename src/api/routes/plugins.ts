// GET /plugins and friends: Berth runs no Engine plugins (dockerd's managed plugins are
// containers of its own with their own socket protocol), so the list is empty and every plugin
// is unknown. Answering rather than 404-ing the path lets `docker plugin ls` and `inspect` work
// and say what is true; installing one is refused as not implemented.
import { invalidArgument, notFound, notImplemented } from '../../lib/errors.js';
import { sendJson } from '../../lib/http/route.js';
import type { Route } from '../server/route.js';

const LIST_FILTERS = new Set(['capability', 'enable']);
const unknown = (name: string) => notFound(`plugin "${name}" not found`);
const noPlugins = () => notImplemented('Berth does not support Engine plugins');

export function pluginRoutes(): Route[] {
  return [
    {
      method: 'GET',
      path: '/plugins',
      handler: async (ctx) => {
        for (const k of Object.keys(ctx.query.filters())) if (!LIST_FILTERS.has(k)) throw invalidArgument(`invalid filter '${k}'`);
        sendJson(ctx.res, 200, []);
      },
    },
    { method: 'GET', path: '/plugins/{name*}/json', handler: async (ctx) => Promise.reject(unknown(ctx.params.name!)) },
    { method: 'DELETE', path: '/plugins/{name*}', handler: async (ctx) => Promise.reject(unknown(ctx.params.name!)) },
    ...['enable', 'disable', 'set', 'push', 'upgrade'].map(
      (verb): Route => ({ method: 'POST', path: `/plugins/{name*}/${verb}`, handler: async (ctx) => Promise.reject(unknown(ctx.params.name!)) }),
    ),
    { method: 'GET', path: '/plugins/privileges', handler: async () => Promise.reject(noPlugins()) },
    { method: 'POST', path: '/plugins/pull', handler: async () => Promise.reject(noPlugins()) },
    { method: 'POST', path: '/plugins/create', handler: async () => Promise.reject(noPlugins()) },
  ];
}
