// POST /auth (`docker login`): the daemon checks the credentials against the registry and
// answers {"Status":"Login Succeeded"}; it keeps nothing.
import { invalidArgument } from '../../lib/errors.js';
import { readJsonObject } from '../../lib/http/request.js';
import { sendJson } from '../../lib/http/route.js';
import type { Credentials } from '../../registry/client/auth.js';
import type { Route } from '../server/route.js';

export interface AuthRouteDeps {
  login?: (serverAddress: string | undefined, creds: Credentials, signal?: AbortSignal) => Promise<void>;
}

export function authRoutes(d: AuthRouteDeps): Route[] {
  return [
    {
      method: 'POST',
      path: '/auth',
      handler: async (ctx) => {
        const b = await readJsonObject(ctx.body);
        const str = (k: string) => (typeof b[k] === 'string' ? (b[k] as string) : undefined);
        if (!d.login) throw invalidArgument('this daemon has no registry client');
        const creds: Credentials = {};
        const username = str('username');
        const password = str('password');
        if (username) creds.username = username;
        if (password !== undefined) creds.password = password;
        await d.login(str('serveraddress'), creds, ctx.signal);
        sendJson(ctx.res, 200, { Status: 'Login Succeeded', IdentityToken: '' });
      },
    },
  ];
}
