// POST /auth (`docker login`): the daemon checks the credentials against the registry and
// answers {"Status":"Login Succeeded"}, with the token server's refresh token as IdentityToken
// when it issued one (the client stores that instead of the password); it keeps nothing.
import { invalidArgument } from '../../lib/errors.js';
import { readJsonObject } from '../../lib/http/request.js';
import { sendJson } from '../../lib/http/route.js';
import type { Credentials } from '../../registry/client/auth.js';
import type { Route } from '../server/route.js';

export interface AuthRouteDeps {
  login?: (serverAddress: string | undefined, creds: Credentials, signal?: AbortSignal) => Promise<{ identityToken?: string }>;
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
        // A client may log in again with the identity token it stored (docker does on `login` without -p).
        const identityToken = str('identitytoken');
        if (identityToken) creds.identityToken = identityToken;
        const r = await d.login(str('serveraddress'), creds, ctx.signal);
        sendJson(ctx.res, 200, { Status: 'Login Succeeded', IdentityToken: r.identityToken ?? '' });
      },
    },
  ];
}
