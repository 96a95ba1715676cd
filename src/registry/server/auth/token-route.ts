// Docker's token endpoint, served by the registry itself: GET /token?service=S&scope=...
// (scope repeatable and space-separated). The account comes from Basic credentials checked
// against the htpasswd file (none: anonymous); the token carries, per requested scope, only
// the actions the access rules grant that account, for a few minutes. A wrong password is a
// 401; asking for more than one may have is not an error, the token just holds less.
import { sendJson } from '../../../lib/http/route.js';
import type { Route } from '../../../lib/http/route.js';
import type { Action, RegistryContext, Scope } from '../access.js';
import { unauthorizedError } from '../errors.js';
import type { AccessRules } from './access-rules.js';
import { BASIC_REALM } from './authorizers.js';
import { basicCredentials, type Htpasswd } from './htpasswd.js';
import type { JwtKey } from './jwt.js';

export const TOKEN_TTL_SECONDS = 300;

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

export function tokenRoute(o: { key: JwtKey; users: Htpasswd | undefined; rules: AccessRules; service: string; issuer: string }): Route<RegistryContext> {
  return {
    method: 'GET',
    path: '/token',
    handler: async (ctx) => {
      let account: string | undefined;
      const creds = basicCredentials(ctx.req.headers.authorization);
      if (creds) {
        if (!o.users || !(await o.users.verify(creds.user, creds.password))) {
          ctx.res.setHeader('WWW-Authenticate', `Basic realm="${BASIC_REALM}"`);
          throw unauthorizedError('invalid username or password');
        }
        account = creds.user;
      }
      const requested = ctx.query
        .all('scope')
        .flatMap((s) => s.split(' '))
        .map(parseScope)
        .filter((s): s is Scope => s !== undefined);
      const access = requested.map((s) => ({ type: s.type, name: s.name, actions: o.rules.granted(account, s) })).filter((a) => a.actions.length > 0);
      const now = Math.floor(Date.now() / 1000);
      const token = o.key.sign({
        iss: o.issuer,
        sub: account ?? '',
        aud: ctx.query.str('service') ?? o.service,
        exp: now + TOKEN_TTL_SECONDS,
        nbf: now - 1,
        iat: now,
        access,
      });
      ctx.res.setHeader('Cache-Control', 'no-store');
      sendJson(ctx.res, 200, { token, access_token: token, expires_in: TOKEN_TTL_SECONDS, issued_at: new Date(now * 1000).toISOString() });
    },
  };
}
