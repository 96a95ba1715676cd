// Requests against one repository of one registry, with what Docker does around them: the
// scheme (https, then http for an insecure registry) and authentication on a 401 challenge
// (Basic with the client's credentials, or a Bearer token from the challenge's realm), retried
// once. A session is used for one pull; its token and scheme are reused by every request.
import { unavailable, isBerthError } from '../../lib/errors.js';
import { basicHeader, fetchToken, parseChallenges, type Credentials } from './auth.js';
import { isInsecureHost, isLoopbackHost, type RegistryEndpoint } from './endpoint.js';
import type { Readable } from 'node:stream';
import { type Agents, drain, httpRequest, readBody, type HttpMethod, type HttpResponse } from './http-request.js';
import { authFailed, registryErrorText } from './registry-errors.js';
import type { BlobSource } from '../../store/layers/layer-store.js';

const USER_AGENT = 'berth/0.1 (linux)';

export interface SessionOptions {
  endpoint: RegistryEndpoint;
  credentials?: Credentials;
  agents: Agents;
  insecureRegistries?: readonly string[];
  /** Contact only loopback hosts (registry, token realm, redirects). */
  loopbackOnly?: boolean;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Token scopes asked for (default: pull on the repository). A push asks pull,push and its mount sources. */
  scopes?: readonly string[];
  /** Ask the token server for an offline (refresh) token too: a login's, kept in `refreshToken`. */
  offline?: boolean;
}

export class RegistrySession {
  private scheme: 'https' | 'http' | undefined;
  private authorization: string | undefined;
  private readonly creds: Credentials;
  /** The refresh token a token server issued (only when `offline` was asked for). */
  refreshToken: string | undefined;

  constructor(private readonly o: SessionOptions) {
    this.creds = o.credentials ?? {};
  }

  get endpoint(): RegistryEndpoint {
    return this.o.endpoint;
  }

  /** The URL of a /v2/<repository>/<kind>/<ref> path (for messages). */
  url(kind: 'manifests' | 'blobs', ref: string): string {
    return `${this.scheme ?? this.o.endpoint.schemes[0]}://${this.o.endpoint.host}/v2/${this.o.endpoint.repository}/${kind}/${ref}`;
  }

  private allowHttp = (u: URL) => isInsecureHost(u.host, this.o.insecureRegistries);
  private allowHost = (u: URL) => !this.o.loopbackOnly || isLoopbackHost(u.host);

  private async send(url: URL, method: HttpMethod, headers: Record<string, string>, body?: Buffer | Readable): Promise<HttpResponse> {
    const h: Record<string, string> = { ...headers, 'User-Agent': USER_AGENT };
    if (this.authorization) h.Authorization = this.authorization;
    return httpRequest(
      url,
      {
        method,
        headers: h,
        body,
        signal: this.o.signal,
        insecureTls: this.o.endpoint.insecure,
        timeoutMs: this.o.timeoutMs,
        allowHttp: this.allowHttp,
        allowHost: this.allowHost,
      },
      this.o.agents,
    );
  }

  /** One request, trying each allowed scheme until one connects (then sticking to it). */
  private async sendAnyScheme(path: string, method: HttpMethod, headers: Record<string, string>, body?: () => Buffer | Readable): Promise<HttpResponse> {
    const schemes = this.scheme ? [this.scheme] : this.o.endpoint.schemes;
    let last: unknown;
    for (const s of schemes) {
      try {
        const url = /^https?:\/\//.test(path) ? new URL(path) : new URL(`${s}://${this.o.endpoint.host}${path}`);
        const res = await this.send(url, method, headers, body?.());
        this.scheme = s;
        return res;
      } catch (e) {
        // A connection or TLS failure (unavailable) moves on to the next scheme; anything else is final.
        if (!isBerthError(e, 'unavailable')) throw e;
        last = e;
      }
    }
    throw last ?? unavailable(`cannot reach ${this.o.endpoint.host}`);
  }

  /**
   * A blob's GET as another thread can send it (one request, no redirect, no auth retry: see
   * BlobSource), once this session has found its scheme; undefined before that.
   */
  blobSource(digest: string): BlobSource | undefined {
    if (!this.scheme) return undefined;
    const url = new URL(`${this.scheme}://${this.o.endpoint.host}/v2/${this.o.endpoint.repository}/blobs/${digest}`);
    if (!this.allowHost(url)) return undefined;
    const headers: Record<string, string> = { 'User-Agent': USER_AGENT };
    if (this.authorization) headers.Authorization = this.authorization;
    return {
      url: url.href,
      headers,
      ...(this.o.endpoint.insecure ? { insecureTls: true } : {}),
      ...(this.o.timeoutMs !== undefined ? { timeoutMs: this.o.timeoutMs } : {}),
    };
  }

  /** GET/HEAD of /v2/<repository>/<kind>/<ref>, authenticating on a 401 once. */
  async request(kind: 'manifests' | 'blobs', ref: string, o: { method?: 'GET' | 'HEAD'; headers?: Record<string, string> } = {}): Promise<HttpResponse> {
    return this.call(o.method ?? 'GET', `/v2/${this.o.endpoint.repository}/${kind}/${ref}`, { headers: o.headers });
  }

  /**
   * Any request to the registry (a path, or an absolute URL such as an upload's Location),
   * authenticating on a 401 once. A body is a factory: the retry after the 401 sends it again.
   */
  async call(method: HttpMethod, path: string, o: { headers?: Record<string, string>; body?: () => Buffer | Readable } = {}): Promise<HttpResponse> {
    const headers = o.headers ?? {};
    let res = await this.sendAnyScheme(path, method, headers, o.body);
    if (res.status !== 401) return res;
    const challenges = parseChallenges(res.headers['www-authenticate']);
    const body = method !== 'HEAD' ? await readBody(res.body, 64 * 1024, 'error body').catch(() => Buffer.alloc(0)) : (drain(res.body), Buffer.alloc(0));
    const where = `${method[0]}${method.slice(1).toLowerCase()} "${res.url.href}"`;
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    if (this.authorization) throw authFailed(`${where}: ${registryErrorText(body) ?? 'unauthorized: authentication required'}`);
    if (bearer) {
      const t = await fetchToken(
        bearer,
        this.o.scopes ?? `repository:${this.o.endpoint.repository}:pull`,
        this.creds,
        { agents: this.o.agents, signal: this.o.signal, allowHttp: this.allowHttp, allowHost: this.allowHost, insecureTls: this.o.endpoint.insecure },
        { offline: this.o.offline },
      );
      this.authorization = `Bearer ${t.token}`;
      this.refreshToken = t.refreshToken;
    } else if (basic) {
      const h = basicHeader(this.creds);
      if (!h) throw authFailed(`${where}: no basic auth credentials`);
      this.authorization = h;
    } else {
      throw authFailed(`${where}: ${registryErrorText(body) ?? 'unauthorized: authentication required'}`);
    }
    res = await this.sendAnyScheme(path, method, headers, o.body);
    if (res.status === 401) {
      const b = await readBody(res.body, 64 * 1024, 'error body').catch(() => Buffer.alloc(0));
      throw authFailed(`${where}: ${registryErrorText(b) ?? 'unauthorized: authentication required'}`);
    }
    return res;
  }
}
