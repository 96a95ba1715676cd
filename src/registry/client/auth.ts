// Registry authentication: the credentials a client sends in X-Registry-Auth, WWW-Authenticate
// challenges, HTTP Basic, and the token flow of the distribution spec (a 401 names a token
// server "realm" with service and scope; a GET there, with Basic credentials when we have
// them, answers {"token"} or {"access_token"}, sent back as "Authorization: Bearer").
// Identity tokens as dockerd keeps them: a login asks the token server for an offline token
// (offline_token=true, client_id=docker) and hands the refresh_token back to the client as
// IdentityToken; a client that sends one (X-Registry-Auth "identitytoken") gets its access
// tokens by the OAuth2 refresh grant (a POST to the realm) instead of with a password.
import { invalidArgument } from '../../lib/errors.js';
import { type Agents, httpRequest, readBody } from './http-request.js';
import { authFailed, registryErrorText } from './registry-errors.js';

export interface Credentials {
  username?: string;
  password?: string;
  /** A token the client already holds for this registry (used as Bearer as is). */
  registryToken?: string;
  /** A refresh token from an earlier login (docker's IdentityToken), traded for access tokens. */
  identityToken?: string;
}

/** docker's OAuth2 client id, sent with offline and refresh token requests. */
const CLIENT_ID = 'docker';

export interface TokenAnswer {
  token: string;
  /** Present when an offline token was asked for and the server issued one. */
  refreshToken?: string;
}

export interface Challenge {
  scheme: string; // lower case: basic, bearer
  params: Record<string, string>;
}

const MAX_TOKEN_RESPONSE = 1 << 20;
const MAX_TOKEN_LENGTH = 64 * 1024;

/** Decodes X-Registry-Auth (base64url or base64 JSON, as docker sends it); anything unusable is anonymous. */
export function decodeRegistryAuth(header: string | undefined): Credentials {
  if (!header) return {};
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'));
  } catch {
    return {};
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return {};
  const o = v as Record<string, unknown>;
  const str = (k: string) => (typeof o[k] === 'string' && o[k] !== '' ? (o[k] as string) : undefined);
  const out: Credentials = {};
  let username = str('username');
  let password = str('password');
  const auth = str('auth'); // "user:pass" base64, as in config.json
  if (!username && auth) {
    const plain = Buffer.from(auth, 'base64').toString('utf8');
    const i = plain.indexOf(':');
    if (i > 0) [username, password] = [plain.slice(0, i), plain.slice(i + 1)];
  }
  if (username) out.username = username;
  if (password !== undefined) out.password = password;
  const rt = str('registrytoken');
  if (rt) out.registryToken = rt;
  const it = str('identitytoken');
  if (it) out.identityToken = it;
  return out;
}

/** Parses WWW-Authenticate: one or more `scheme k=v, k="v"` challenges (Node joins repeated headers with ", "). */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const text = Array.isArray(header) ? header.join(', ') : (header ?? '');
  const out: Challenge[] = [];
  const re = /\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)(?:\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*)))?\s*(?:,|$)|\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s+/y;
  let pos = 0;
  let cur: Challenge | undefined;
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m || re.lastIndex === pos) break;
    pos = re.lastIndex;
    if (m[4] !== undefined) {
      // "Bearer realm=..." : the scheme followed by its first parameter.
      cur = { scheme: m[4].toLowerCase(), params: {} };
      out.push(cur);
    } else if (m[2] !== undefined || m[3] !== undefined) {
      if (cur) cur.params[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!;
    } else {
      cur = { scheme: m[1]!.toLowerCase(), params: {} };
      out.push(cur);
    }
  }
  return out;
}

export function basicHeader(c: Credentials): string | undefined {
  if (!c.username) return undefined;
  return 'Basic ' + Buffer.from(`${c.username}:${c.password ?? ''}`).toString('base64');
}

/**
 * Asks the token server for a token with these scopes (pull; push and a mount's source pull):
 * a GET with Basic credentials (and, for a login, offline_token=true to get a refresh token),
 * or with an identity token the refresh grant's POST.
 */
export async function fetchToken(
  ch: Challenge,
  scope: string | readonly string[],
  creds: Credentials,
  http: { agents: Agents; signal?: AbortSignal; allowHttp: (u: URL) => boolean; allowHost?: (u: URL) => boolean; insecureTls: boolean },
  o: { offline?: boolean } = {},
): Promise<TokenAnswer> {
  if (creds.registryToken) return { token: creds.registryToken };
  let realm: URL;
  try {
    realm = new URL(ch.params.realm ?? '');
  } catch {
    throw invalidArgument(`registry sent an invalid token realm ${JSON.stringify(ch.params.realm)}`);
  }
  if (realm.protocol !== 'https:' && !(realm.protocol === 'http:' && http.allowHttp(realm))) throw invalidArgument(`token realm ${realm.href} is not https`);
  const scopes = typeof scope === 'string' ? [scope] : [...scope];
  const headers: Record<string, string> = { Accept: 'application/json' };
  let body: Buffer | undefined;
  if (creds.identityToken) {
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: CLIENT_ID });
    if (ch.params.service) form.set('service', ch.params.service);
    if (scopes.length) form.set('scope', scopes.join(' '));
    body = Buffer.from(form.toString());
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    headers['Content-Length'] = String(body.length);
  } else {
    if (ch.params.service) realm.searchParams.set('service', ch.params.service);
    for (const sc of scopes) realm.searchParams.append('scope', sc);
    if (creds.username) realm.searchParams.set('account', creds.username);
    if (o.offline && creds.username) {
      realm.searchParams.set('offline_token', 'true');
      realm.searchParams.set('client_id', CLIENT_ID);
    }
    const basic = basicHeader(creds);
    if (basic) headers.Authorization = basic;
  }
  const res = await httpRequest(
    realm,
    { method: body ? 'POST' : 'GET', headers, body, signal: http.signal, allowHttp: http.allowHttp, allowHost: http.allowHost, insecureTls: http.insecureTls },
    http.agents,
  );
  if (res.status !== 200) {
    const errBody = await readBody(res.body, 64 * 1024, 'token error').catch(() => Buffer.alloc(0));
    const text = registryErrorText(errBody) ?? `token request failed with status ${res.status}`;
    if (res.status === 401 || res.status === 403) throw authFailed(`${body ? 'Post' : 'Get'} "${realm.origin}${realm.pathname}": ${text}`);
    throw invalidArgument(`${body ? 'Post' : 'Get'} "${realm.origin}${realm.pathname}": ${text}`);
  }
  const answer = await readBody(res.body, MAX_TOKEN_RESPONSE, 'token response');
  let v: unknown;
  try {
    v = JSON.parse(answer.toString('utf8'));
  } catch {
    throw invalidArgument('token server sent invalid JSON');
  }
  const j = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const token = typeof j.token === 'string' && j.token ? j.token : typeof j.access_token === 'string' ? j.access_token : '';
  if (!token) throw authFailed('token server answered without a token');
  const wellFormed = (t: string) => t.length <= MAX_TOKEN_LENGTH && /^[\x21-\x7e]+$/.test(t);
  if (!wellFormed(token)) throw invalidArgument('token server sent a malformed token');
  const out: TokenAnswer = { token };
  if (typeof j.refresh_token === 'string' && j.refresh_token && wellFormed(j.refresh_token)) out.refreshToken = j.refresh_token;
  return out;
}
