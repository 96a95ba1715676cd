// Docker's token endpoint, served by the registry itself: GET /token?service=S&scope=...
// (scope repeatable and space-separated). The account comes from Basic credentials checked
// against the htpasswd file (none: anonymous); the token carries, per requested scope, only
// the actions the access rules grant that account, for a few minutes. A wrong password is a
// 401; asking for more than one may have is not an error, the token just holds less.
// Refresh tokens (docker's "identity token", which `docker login` stores instead of the
// password): GET with offline_token=true, or the OAuth2 POST form with grant_type=password and
// access_type=offline, also answers a long-lived refresh_token for the authenticated account;
// POST with grant_type=refresh_token trades one for an access token, as dockerd does on every
// pull and push of a user logged in that way. A refresh token grants no access by itself (the
// registry refuses it as a bearer token), and it names an account that must still exist.
import { sendJson } from '../../../lib/http/route.js';
import { readBody } from '../../../lib/http/request.js';
import { invalidArgument } from '../../../lib/errors.js';
import type { Route } from '../../../lib/http/route.js';
import type { Action, RegistryContext, Scope } from '../access.js';
import { unauthorizedError } from '../errors.js';
import type { AccessRules } from './access-rules.js';
import { BASIC_REALM } from './authorizers.js';
import { basicCredentials, type Htpasswd } from './htpasswd.js';
import { REFRESH_USE, type JwtKey } from './jwt.js';

export const TOKEN_TTL_SECONDS = 300;
export const REFRESH_TTL_SECONDS = 90 * 24 * 3600;

/** `repository:name:pull,push`; names may hold ':' only before the actions (host:port is not part of a name). */
export function parseScope(s: string): Scope | undefined {
  const first = s.indexOf(':');
  const last = s.lastIndexOf(':');
  if (first < 0 || last === first) return undefined;
  const type = s.slice(0, first);
  if (type !== 'repository' && type !== 'registry') return undefined;
  const actions = s
    .slice(last + 1)
    .split(',')
    .filter(Boolean) as Action[];
  return { type, name: s.slice(first + 1, last), actions };
}

interface TokenSettings {
  key: JwtKey;
  users: Htpasswd | undefined;
  rules: AccessRules;
  service: string;
  issuer: string;
}

/** An access token for `account` holding, per requested scope, what the rules grant it. */
function accessToken(o: TokenSettings, account: string | undefined, scopes: string[], service: string) {
  const requested = scopes
    .flatMap((s) => s.split(' '))
    .map(parseScope)
    .filter((s): s is Scope => s !== undefined);
  const access = requested.map((s) => ({ type: s.type, name: s.name, actions: o.rules.granted(account, s) })).filter((a) => a.actions.length > 0);
  const now = Math.floor(Date.now() / 1000);
  const token = o.key.sign({ iss: o.issuer, sub: account ?? '', aud: service, exp: now + TOKEN_TTL_SECONDS, nbf: now - 1, iat: now, access });
  return { token, access_token: token, expires_in: TOKEN_TTL_SECONDS, issued_at: new Date(now * 1000).toISOString() };
}

function refreshToken(o: TokenSettings, account: string, service: string): string {
  const now = Math.floor(Date.now() / 1000);
  return o.key.sign({ iss: o.issuer, sub: account, aud: service, exp: now + REFRESH_TTL_SECONDS, nbf: now - 1, iat: now, use: REFRESH_USE });
}

async function checkPassword(o: TokenSettings, user: string, password: string, res: { setHeader(k: string, v: string): unknown }): Promise<void> {
  if (!o.users || !(await o.users.verify(user, password))) {
    res.setHeader('WWW-Authenticate', `Basic realm="${BASIC_REALM}"`);
    throw unauthorizedError('invalid username or password');
  }
}

export function tokenRoutes(o: TokenSettings): Route<RegistryContext>[] {
  const get: Route<RegistryContext> = {
    method: 'GET',
    path: '/token',
    handler: async (ctx) => {
      let account: string | undefined;
      const creds = basicCredentials(ctx.req.headers.authorization);
      if (creds) {
        await checkPassword(o, creds.user, creds.password, ctx.res);
        account = creds.user;
      }
      const service = ctx.query.str('service') ?? o.service;
      const out: Record<string, unknown> = accessToken(o, account, ctx.query.all('scope'), service);
      if (account !== undefined && ctx.query.str('offline_token') === 'true') out.refresh_token = refreshToken(o, account, service);
      ctx.res.setHeader('Cache-Control', 'no-store');
      sendJson(ctx.res, 200, out);
    },
  };
  const post: Route<RegistryContext> = {
    method: 'POST',
    path: '/token',
    handler: async (ctx) => {
      const form = new URLSearchParams((await readBody(ctx.req, 64 * 1024)).toString('utf8'));
      const service = form.get('service') || o.service;
      const scopes = form.getAll('scope');
      let account: string;
      const out: Record<string, unknown> = {};
      const grant = form.get('grant_type');
      if (grant === 'password') {
        account = form.get('username') ?? '';
        await checkPassword(o, account, form.get('password') ?? '', ctx.res);
        if (form.get('access_type') === 'offline') out.refresh_token = refreshToken(o, account, service);
      } else if (grant === 'refresh_token') {
        const claims = o.key.verify(form.get('refresh_token') ?? '', { iss: o.issuer, aud: service });
        if (!claims || claims.use !== REFRESH_USE || !claims.sub || !o.users?.has(claims.sub)) throw unauthorizedError('invalid refresh token');
        account = claims.sub;
      } else {
        throw invalidArgument(`unsupported grant_type ${JSON.stringify(grant ?? '')}`);
      }
      const t = accessToken(o, account, scopes, service);
      ctx.res.setHeader('Cache-Control', 'no-store');
      sendJson(ctx.res, 200, { access_token: t.access_token, expires_in: t.expires_in, issued_at: t.issued_at, scope: scopes.join(' '), ...out });
    },
  };
  return [get, post];
}
