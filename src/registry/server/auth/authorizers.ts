// The two ways a registry with accounts checks a request. Basic: each request carries the
// htpasswd user's password. Token (Docker's flow): a request without a good bearer token gets
// 401 with `WWW-Authenticate: Bearer realm,service,scope`; the client asks the token endpoint
// (token-route.ts) for a JWT carrying the scopes its account is granted, and retries with it.
// A signed-in account lacking a scope gets 403 DENIED. Neither ever logs a credential.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { formatScope, type Authorizer, type Grant, type Scope } from '../access.js';
import { denied, unauthorizedError } from '../errors.js';
import type { AccessRules } from './access-rules.js';
import { REFRESH_USE } from './jwt.js';
import { basicCredentials, type Htpasswd } from './htpasswd.js';
import type { JwtKey } from './jwt.js';

export const BASIC_REALM = 'berth-registry';

export class BasicAuthorizer implements Authorizer {
  constructor(
    private readonly users: Htpasswd,
    private readonly rules: AccessRules,
  ) {}

  async authorize(req: IncomingMessage, res: ServerResponse, needed: Scope[]): Promise<Grant> {
    const creds = basicCredentials(req.headers.authorization);
    const challenge = () => {
      res.setHeader('WWW-Authenticate', `Basic realm="${BASIC_REALM}"`);
      return unauthorizedError('authentication required');
    };
    if (!creds) {
      // Anonymous access only to what the rules give "anonymous", and never the login probe.
      if (needed.length && needed.every((s) => this.rules.allows(undefined, s))) return { allows: (s) => this.rules.allows(undefined, s) };
      throw challenge();
    }
    if (!(await this.users.verify(creds.user, creds.password))) throw challenge();
    const grant: Grant = { allows: (s) => this.rules.allows(creds.user, s) };
    const missing = needed.find((s) => !grant.allows(s));
    if (missing) throw denied(undefined, { scope: formatScope(missing) });
    return grant;
  }
}

export interface TokenSettings {
  key: JwtKey;
  /** The token endpoint's URL; undefined: this server's own /token, from the Host header. */
  realm?: string;
  service: string;
  issuer: string;
  scheme: 'http' | 'https';
}

interface AccessClaim {
  type: string;
  name: string;
  actions: string[];
}

export class TokenAuthorizer implements Authorizer {
  constructor(private readonly t: TokenSettings) {}

  realmFor(req: IncomingMessage): string {
    return this.t.realm ?? `${this.t.scheme}://${req.headers.host ?? '127.0.0.1'}/token`;
  }

  async authorize(req: IncomingMessage, res: ServerResponse, needed: Scope[]): Promise<Grant> {
    const challenge = (error?: string) => {
      const scope = needed.length ? `,scope="${needed.map(formatScope).join(' ')}"` : '';
      res.setHeader('WWW-Authenticate', `Bearer realm="${this.realmFor(req)}",service="${this.t.service}"${scope}${error ? `,error="${error}"` : ''}`);
      return unauthorizedError('authentication required');
    };
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!m) throw challenge();
    const claims = this.t.key.verify(m[1]!, { iss: this.t.issuer, aud: this.t.service });
    // A refresh token only buys access tokens at the token endpoint.
    if (!claims || claims.use === REFRESH_USE) throw challenge('invalid_token');
    const access = Array.isArray(claims.access) ? (claims.access as AccessClaim[]) : [];
    const grant: Grant = {
      allows: (s) =>
        s.actions.every((a) =>
          access.some((c) => c.type === s.type && c.name === s.name && Array.isArray(c.actions) && (c.actions.includes(a) || c.actions.includes('*'))),
        ),
    };
    const missing = needed.find((s) => !grant.allows(s));
    if (missing) throw denied(undefined, { scope: formatScope(missing) });
    return grant;
  }
}
