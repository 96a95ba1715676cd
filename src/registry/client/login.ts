// `docker login` on the daemon side (POST /auth): checks credentials against a registry the
// way dockerd does: GET /v2/, and on a 401 answer the challenge (Basic, or a token from the
// realm with no scope); success is a 200 with the credentials. Nothing is stored here: the
// client keeps its credentials (config.json) and sends them with each pull and push. As dockerd,
// a token server is asked for an offline token: its refresh token comes back as the login's
// IdentityToken, which the docker CLI then stores instead of the password.
import { unauthorized } from '../../lib/errors.js';
import { parseReference } from '../../lib/reference.js';
import type { Credentials } from './auth.js';
import { endpointFor } from './endpoint.js';
import { Agents, drain } from './http-request.js';
import { RegistrySession } from './session.js';

export interface LoginOptions {
  insecureRegistries?: string[];
  loopbackOnly?: boolean;
  timeoutMs?: number;
}

/** The registry's host from what the client sent ("127.0.0.1:5000", "https://h/", "" for Docker Hub). */
export function loginHost(serverAddress: string | undefined): string {
  const s = (serverAddress ?? '').trim();
  if (!s || /^https?:\/\/index\.docker\.io\/v1\/?$/.test(s)) return 'docker.io';
  return s.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
}

export interface LoginResult {
  /** The token server's refresh token for this account, if it issued one. */
  identityToken?: string;
}

export async function checkLogin(serverAddress: string | undefined, creds: Credentials, o: LoginOptions = {}, signal?: AbortSignal): Promise<LoginResult> {
  const host = loginHost(serverAddress);
  const ref = parseReference(`${host}/x`); // only its domain matters
  const endpoint = { ...endpointFor(ref, o.insecureRegistries), repository: '' };
  const agents = new Agents();
  try {
    const session = new RegistrySession({
      endpoint,
      credentials: creds,
      agents,
      insecureRegistries: o.insecureRegistries,
      loopbackOnly: o.loopbackOnly,
      signal,
      timeoutMs: o.timeoutMs,
      scopes: [],
      offline: true,
    });
    let status: number;
    let url: string;
    try {
      const res = await session.call('GET', '/v2/');
      drain(res.body);
      status = res.status;
      url = res.url.href;
    } catch (e) {
      // The session's "authentication failed" (a 403 for pulls) is a 401 for a login.
      if (e instanceof Error && /unauthorized|no basic auth credentials|authentication required|invalid username/i.test(e.message))
        throw unauthorized(e.message, e);
      throw e;
    }
    if (status !== 200) throw unauthorized(`login attempt to ${url} failed with status: ${status}`);
    return session.refreshToken ? { identityToken: session.refreshToken } : {};
  } finally {
    agents.close();
  }
}
