// Typed Docker Engine API client. Every method is one request; streaming ones return the raw
// response (demultiplex it with stdcopy) or an async iterator of JSON lines.
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type * as T from '../types/index.js';
import { Transport, type HijackedStream, type Query, type StreamedAnswer } from './transport.js';

export type Filters = Record<string, string[]>;
const enc = encodeURIComponent;
const filtersQuery = (f?: Filters) => (f && Object.keys(f).length ? JSON.stringify(f) : undefined);
/** The docker CLI's own wire form of filters: {"name":{"value":true}}, keys sorted as Go marshals maps. */
export const filtersMapQuery = (f?: Filters): string | undefined => {
  if (!f || !Object.keys(f).length) return undefined;
  const m: Record<string, Record<string, true>> = {};
  for (const k of Object.keys(f).sort()) m[k] = Object.fromEntries([...new Set(f[k])].sort().map((v) => [v, true as const]));
  return JSON.stringify(m);
};

export interface AttachOptions {
  stream?: boolean;
  logs?: boolean;
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  detachKeys?: string;
}
/** The query of POST /build; maps are JSON-encoded on the wire. */
export interface BuildQuery {
  t?: string[];
  dockerfile?: string;
  target?: string;
  networkmode?: string;
  platform?: string;
  buildargs?: Record<string, string | null>;
  labels?: Record<string, string | null>;
  extrahosts?: string[];
  cachefrom?: string;
  shmsize?: number;
  nocache?: boolean;
  pull?: boolean;
  q?: boolean;
  rm?: boolean;
  forcerm?: boolean;
}
function buildQuery(query: BuildQuery): Query {
  return {
    ...query,
    buildargs: query.buildargs && JSON.stringify(query.buildargs),
    labels: query.labels && JSON.stringify(query.labels),
    extrahosts: query.extrahosts?.join(','),
    version: '1',
  };
}

function buildHeaders(registryConfig: object): Record<string, string> {
  // Lower case, the key the transport looks for before adding a default type of its own.
  return { 'content-type': 'application/x-tar', 'X-Registry-Config': Buffer.from(JSON.stringify(registryConfig)).toString('base64') };
}

export interface LogsOptions {
  follow?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  since?: string;
  until?: string;
  timestamps?: boolean;
  tail?: string;
  details?: boolean;
}

function logsQuery(o: LogsOptions): Query {
  return {
    follow: o.follow,
    stdout: o.stdout ?? true,
    stderr: o.stderr ?? true,
    since: o.since,
    until: o.until,
    timestamps: o.timestamps,
    tail: o.tail,
    details: o.details,
  };
}

export class DockerClient extends Transport {
  // ---- system
  async ping(): Promise<string> {
    return this.text('GET', '/_ping');
  }
  version(): Promise<T.Version> {
    return this.json('GET', '/version');
  }
  /** POST /auth: the daemon checks the credentials against the registry. */
  auth(body: { username: string; password: string; serveraddress: string }): Promise<{ Status: string; IdentityToken?: string }> {
    return this.json('POST', '/auth', { body });
  }
  info(): Promise<T.SystemInfo> {
    return this.json('GET', '/info');
  }
  /** POST /system/check (Berth's): verify the store; `repair` quarantines what is damaged. */
  systemCheck(opts: { repair?: boolean; full?: boolean } = {}): Promise<T.SystemCheck> {
    return this.json('POST', '/system/check', { query: { repair: opts.repair ? '1' : undefined, full: opts.full ? '1' : undefined } });
  }
  df(opts: { type?: string[] } = {}): Promise<T.SystemDf> {
    return this.json('GET', '/system/df', { query: { type: opts.type } });
  }
  events(opts: { since?: string; until?: string; filters?: Filters; signal?: AbortSignal } = {}): AsyncGenerator<T.Event> {
    // each event also carries a non-enumerable `timeNanoExact` string (the exact integer)
    return this.jsonStream('GET', '/events', { query: { since: opts.since, until: opts.until, filters: filtersQuery(opts.filters) }, signal: opts.signal }, [
      'timeNano',
    ]);
  }

  // ---- containers
  containerCreate(body: T.ContainerCreateRequest, opts: { name?: string; platform?: string } = {}): Promise<T.ContainerCreateResponse> {
    return this.json('POST', '/containers/create', { query: { name: opts.name, platform: opts.platform }, body });
  }
  containerList(opts: { all?: boolean; limit?: number; size?: boolean; filters?: Filters } = {}): Promise<T.ContainerSummary[]> {
    return this.json('GET', '/containers/json', {
      query: { all: opts.all || undefined, limit: opts.limit, size: opts.size || undefined, filters: filtersQuery(opts.filters) },
    });
  }
  containerInspect(id: string, opts: { size?: boolean } = {}): Promise<T.ContainerInspect> {
    return this.json('GET', `/containers/${enc(id)}/json`, { query: { size: opts.size || undefined } });
  }
  async containerStart(id: string, opts: { detachKeys?: string } = {}): Promise<void> {
    await this.text('POST', `/containers/${enc(id)}/start`, { query: { detachKeys: opts.detachKeys } });
  }
  async containerStop(id: string, opts: { t?: number; signal?: string } = {}): Promise<void> {
    await this.text('POST', `/containers/${enc(id)}/stop`, { query: { t: opts.t, signal: opts.signal } });
  }
  async containerRestart(id: string, opts: { t?: number; signal?: string } = {}): Promise<void> {
    await this.text('POST', `/containers/${enc(id)}/restart`, { query: { t: opts.t, signal: opts.signal } });
  }
  async containerKill(id: string, signal?: string): Promise<void> {
    await this.text('POST', `/containers/${enc(id)}/kill`, { query: { signal } });
  }
  async containerPause(id: string): Promise<void> {
    await this.text('POST', `/containers/${enc(id)}/pause`);
  }
  async containerUnpause(id: string): Promise<void> {
    await this.text('POST', `/containers/${enc(id)}/unpause`);
  }
  async containerRename(id: string, name: string): Promise<void> {
    await this.text('POST', `/containers/${enc(id)}/rename`, { query: { name } });
  }
  async containerResize(id: string, h: number, w: number): Promise<void> {
    await this.text('POST', `/containers/${enc(id)}/resize`, { query: { h, w } });
  }
  async containerRemove(id: string, opts: { force?: boolean; v?: boolean; link?: boolean } = {}): Promise<void> {
    await this.text('DELETE', `/containers/${enc(id)}`, { query: { force: opts.force || undefined, v: opts.v || undefined, link: opts.link || undefined } });
  }
  /** Resolves when the condition is met ('not-running' | 'next-exit' | 'removed'). */
  containerWait(id: string, condition?: string, signal?: AbortSignal): Promise<T.ContainerWaitResponse> {
    return this.json('POST', `/containers/${enc(id)}/wait`, { query: { condition }, signal });
  }
  /**
   * Docker registers the wait before start: this resolves once the daemon has answered the
   * wait's headers (moby flushes them at once; after 1 s we go on regardless), and `result`
   * settles when the container reaches the condition.
   */
  async containerWaitRegistered(id: string, condition?: string): Promise<{ result: Promise<T.ContainerWaitResponse> }> {
    const path = `/containers/${enc(id)}/wait`;
    const body: Buffer[] = [];
    // Over the unix socket without node:http: the head is the registration, the body the status.
    const streamed = this.stream('POST', path, { query: { condition } }, (c) => body.push(c));
    const registered: Promise<unknown> = streamed ? streamed.head : this.request('POST', path, { query: { condition } });
    const result = streamed
      ? streamed.done.then(() => JSON.parse(Buffer.concat(body).toString('utf8')) as T.ContainerWaitResponse)
      : (registered as Promise<IncomingMessage>).then(async (r) => {
          const chunks: Buffer[] = [];
          for await (const c of r) chunks.push(c as Buffer);
          return JSON.parse(Buffer.concat(chunks).toString('utf8')) as T.ContainerWaitResponse;
        });
    result.catch(() => {}); // the caller observes it; never an unhandled rejection
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      registered,
      new Promise((r) => {
        timer = setTimeout(r, 1000);
      }),
    ]).finally(() => clearTimeout(timer));
    return { result };
  }
  containerUpdate(id: string, body: T.HostConfig): Promise<T.ContainerUpdateResponse> {
    return this.json('POST', `/containers/${enc(id)}/update`, { body });
  }
  containerTop(id: string, psArgs?: string): Promise<T.ContainerTopResponse> {
    return this.json('GET', `/containers/${enc(id)}/top`, { query: { ps_args: psArgs } });
  }
  containerPrune(filters?: Filters): Promise<T.ContainerPruneResponse> {
    return this.json('POST', '/containers/prune', { query: { filters: filtersQuery(filters) } });
  }
  containerLogs(id: string, o: LogsOptions, signal?: AbortSignal): Promise<IncomingMessage> {
    return this.request('GET', `/containers/${enc(id)}/logs`, { query: logsQuery(o), signal });
  }
  /** The logs' bytes to `onBody` as they arrive, without node:http; undefined over TCP (then containerLogs). */
  containerLogsTo(id: string, o: LogsOptions, onBody: (chunk: Buffer) => void, signal?: AbortSignal): StreamedAnswer | undefined {
    return this.stream('GET', `/containers/${enc(id)}/logs`, { query: logsQuery(o), signal }, onBody);
  }
  containerStats(id: string, opts: { stream?: boolean; oneShot?: boolean; signal?: AbortSignal } = {}): AsyncGenerator<T.ContainerStats> {
    return this.jsonStream('GET', `/containers/${enc(id)}/stats`, { query: { stream: opts.stream ?? false, 'one-shot': opts.oneShot }, signal: opts.signal });
  }
  containerAttach(id: string, o: AttachOptions): Promise<HijackedStream> {
    return this.hijack(`/containers/${enc(id)}/attach`, {
      query: { stream: o.stream ?? true, logs: o.logs, stdin: o.stdin, stdout: o.stdout, stderr: o.stderr, detachKeys: o.detachKeys },
    });
  }
  /**
   * An attach that only reads (no stdin): the upgraded stream's bytes to `onBody`, without
   * node:http; `head` resolves on the 101. undefined over TCP (then containerAttach).
   */
  containerAttachOutput(id: string, o: AttachOptions, onBody: (chunk: Buffer) => void): StreamedAnswer | undefined {
    return this.stream(
      'POST',
      `/containers/${enc(id)}/attach`,
      {
        query: { stream: o.stream ?? true, logs: o.logs, stdin: false, stdout: o.stdout, stderr: o.stderr, detachKeys: o.detachKeys },
        headers: { Connection: 'Upgrade', Upgrade: 'tcp' },
      },
      onBody,
    );
  }
  containerCommit(
    id: string,
    o: { repo?: string; tag?: string; comment?: string; author?: string; pause?: boolean; changes?: string[]; config?: T.ContainerConfig },
  ): Promise<T.IdResponse> {
    return this.json('POST', '/commit', {
      query: { container: id, repo: o.repo, tag: o.tag, comment: o.comment, author: o.author, pause: o.pause, changes: o.changes },
      body: o.config ?? {},
    });
  }
  /** `docker diff`: Kind 0 modified, 1 added, 2 deleted (null when nothing changed). */
  containerChanges(id: string): Promise<T.ContainerChange[] | null> {
    return this.json('GET', `/containers/${enc(id)}/changes`);
  }
  /** `docker export`: the container's filesystem as a tar stream. */
  containerExport(id: string): Promise<IncomingMessage> {
    return this.request('GET', `/containers/${enc(id)}/export`);
  }
  /** GET archive: a tar stream; the path stat is in the X-Docker-Container-Path-Stat header. */
  containerArchiveGet(id: string, path: string): Promise<IncomingMessage> {
    return this.request('GET', `/containers/${enc(id)}/archive`, { query: { path } });
  }
  async containerArchiveStat(id: string, path: string): Promise<T.ContainerPathStat> {
    const res = await this.request('HEAD', `/containers/${enc(id)}/archive`, { query: { path } });
    res.resume();
    return decodePathStat(res.headers['x-docker-container-path-stat']);
  }
  async containerArchivePut(id: string, path: string, tar: Readable, opts: { noOverwriteDirNonDir?: boolean; copyUIDGID?: boolean } = {}): Promise<void> {
    await this.text('PUT', `/containers/${enc(id)}/archive`, {
      query: { path, noOverwriteDirNonDir: opts.noOverwriteDirNonDir, copyUIDGID: opts.copyUIDGID },
      body: tar,
    });
  }

  // ---- exec
  execCreate(id: string, body: T.ExecConfig): Promise<T.IdResponse> {
    return this.json('POST', `/containers/${enc(id)}/exec`, { body });
  }
  execStart(execId: string, body: T.ExecStartConfig): Promise<HijackedStream> {
    return this.hijack(`/exec/${enc(execId)}/start`, { body });
  }
  async execStartDetached(execId: string, body: T.ExecStartConfig = {}): Promise<void> {
    await this.text('POST', `/exec/${enc(execId)}/start`, { body: { ...body, Detach: true } });
  }
  execInspect(execId: string): Promise<T.ExecInspect> {
    return this.json('GET', `/exec/${enc(execId)}/json`);
  }
  async execResize(execId: string, h: number, w: number): Promise<void> {
    await this.text('POST', `/exec/${enc(execId)}/resize`, { query: { h, w } });
  }

  // ---- images
  /** `manifests` (API 1.47): each summary lists the platforms its name holds. */
  imageList(opts: { all?: boolean; digests?: boolean; filters?: Filters; manifests?: boolean } = {}): Promise<T.ImageSummary[]> {
    return this.json('GET', '/images/json', {
      query: { all: opts.all || undefined, digests: opts.digests || undefined, filters: filtersQuery(opts.filters), manifests: opts.manifests || undefined },
    });
  }
  /** GET /images/search: the daemon asks the term's registry (/v1/search); filters go in the docker CLI's map form. */
  imageSearch(term: string, opts: { limit?: number; filters?: Filters; registryAuth?: string } = {}): Promise<T.ImageSearchResult[]> {
    return this.json('GET', '/images/search', {
      query: { term, limit: opts.limit || undefined, filters: filtersMapQuery(opts.filters) },
      headers: { 'X-Registry-Auth': opts.registryAuth ?? 'e30=' },
    });
  }
  /** `platform` (API 1.49): that platform's image of a multi-platform name, sent JSON-encoded as the docker CLI does. */
  imageInspect(name: string, opts: { platform?: T.OciPlatform } = {}): Promise<T.ImageInspect> {
    return this.json('GET', `/images/${enc(name)}/json`, { query: { platform: opts.platform && JSON.stringify(opts.platform) } });
  }
  imageHistory(name: string): Promise<T.HistoryItem[]> {
    return this.json('GET', `/images/${enc(name)}/history`);
  }
  async imageTag(name: string, repo: string, tag?: string): Promise<void> {
    await this.text('POST', `/images/${enc(name)}/tag`, { query: { repo, tag } });
  }
  imageRemove(name: string, opts: { force?: boolean; noprune?: boolean } = {}): Promise<T.ImageDeleteResponseItem[]> {
    return this.json('DELETE', `/images/${enc(name)}`, { query: { force: opts.force || undefined, noprune: opts.noprune || undefined } });
  }
  imagePrune(filters?: Filters): Promise<T.ImagePruneResponse> {
    return this.json('POST', '/images/prune', { query: { filters: filtersQuery(filters) } });
  }
  /** Pull (fromImage) or import (fromSrc='-' with a tar body): a jsonmessage stream. */
  imageCreate(query: Query, body?: Readable, headers?: Record<string, string>): AsyncGenerator<T.JsonMessage> {
    return this.jsonStream('POST', '/images/create', { query, body, headers: { 'X-Registry-Auth': 'e30=', ...headers } });
  }
  /** POST /images/{name}/push?tag=: jsonmessage progress, then aux {Tag, Digest, Size}. */
  imagePush(name: string, tag: string | undefined, registryAuth = 'e30='): AsyncGenerator<T.JsonMessage> {
    return this.jsonStream('POST', `/images/${enc(name)}/push`, { query: { tag }, headers: { 'X-Registry-Auth': registryAuth } });
  }
  /** POST /build (the classic builder): a tar context in, a jsonmessage stream with aux {ID} out. */
  imageBuild(tar: Readable, query: BuildQuery, registryConfig: object = {}): AsyncGenerator<T.JsonMessage<{ ID?: string }>> {
    return this.jsonStream('POST', '/build', { query: buildQuery(query), body: tar, headers: buildHeaders(registryConfig) });
  }
  /** Berth's incremental context, step 1: which contents of the manifest the daemon lacks for context `id`. */
  async berthBuildContextMissing(id: string, manifest: { entries: unknown[] } | Buffer): Promise<string[]> {
    const headers = Buffer.isBuffer(manifest) ? { 'content-type': 'application/json' } : undefined;
    const r = await this.json<{ Missing?: string[] }>('POST', '/berth/build/context', { query: { context: id }, body: manifest, headers });
    return r?.Missing ?? [];
  }
  /**
   * Berth's incremental context, step 2: the upload (manifest and those contents) and the build,
   * answered as POST /build. An upload given as bytes (small: nothing or little missing) goes
   * without node:http over a unix socket.
   */
  berthBuild(id: string, upload: Readable | Buffer, query: BuildQuery, registryConfig: object = {}): AsyncGenerator<T.JsonMessage<{ ID?: string }>> {
    const opts = { query: { ...buildQuery(query), context: id }, body: upload, headers: buildHeaders(registryConfig) };
    if (Buffer.isBuffer(upload)) return this.jsonStreamBytes('POST', '/berth/build', opts);
    return this.jsonStream('POST', '/berth/build', opts);
  }
  /** `platform` (API 1.48): only that platform's image of each name, JSON-encoded as the docker CLI sends it. */
  imageSave(names: string[], opts: { platform?: T.OciPlatform } = {}): Promise<IncomingMessage> {
    return this.request('GET', '/images/get', { query: { names, platform: opts.platform && JSON.stringify(opts.platform) } });
  }
  imageLoad(tar: Readable, opts: { quiet?: boolean } = {}): AsyncGenerator<T.JsonMessage> {
    return this.jsonStream('POST', '/images/load', { query: { quiet: opts.quiet }, body: tar, headers: { 'content-type': 'application/x-tar' } });
  }

  // ---- volumes (filters in the docker CLI's map form)
  volumeCreate(body: T.VolumeCreateRequest): Promise<T.VolumeSummary> {
    return this.json('POST', '/volumes/create', { body });
  }
  volumeList(filters?: Filters): Promise<T.VolumeListResponse> {
    return this.json('GET', '/volumes', { query: { filters: filtersMapQuery(filters) } });
  }
  volumeInspect(name: string): Promise<T.VolumeSummary> {
    return this.json('GET', `/volumes/${enc(name)}`);
  }
  async volumeRemove(name: string, force?: boolean): Promise<void> {
    await this.text('DELETE', `/volumes/${enc(name)}`, { query: { force: force || undefined } });
  }
  volumePrune(filters?: Filters): Promise<T.VolumePruneResponse> {
    return this.json('POST', '/volumes/prune', { query: { filters: filtersMapQuery(filters) } });
  }

  // ---- networks
  networkCreate(body: T.NetworkCreateRequest): Promise<T.NetworkCreateResponse> {
    return this.json('POST', '/networks/create', { body });
  }
  networkList(filters?: Filters): Promise<T.NetworkSummary[]> {
    return this.json('GET', '/networks', { query: { filters: filtersMapQuery(filters) } });
  }
  networkInspect(id: string, opts: { verbose?: boolean; scope?: string } = {}): Promise<T.NetworkSummary> {
    return this.json('GET', `/networks/${enc(id)}`, { query: { verbose: opts.verbose ? 'true' : undefined, scope: opts.scope } });
  }
  async networkRemove(id: string): Promise<void> {
    await this.text('DELETE', `/networks/${enc(id)}`);
  }
  networkPrune(filters?: Filters): Promise<T.NetworkPruneResponse> {
    return this.json('POST', '/networks/prune', { query: { filters: filtersMapQuery(filters) } });
  }
  async networkConnect(id: string, body: T.NetworkConnectRequest): Promise<void> {
    await this.text('POST', `/networks/${enc(id)}/connect`, { body });
  }
  async networkDisconnect(id: string, body: T.NetworkDisconnectRequest): Promise<void> {
    await this.text('POST', `/networks/${enc(id)}/disconnect`, { body });
  }
}

export function decodePathStat(header: string | string[] | undefined): T.ContainerPathStat {
  const h = Array.isArray(header) ? header[0] : header;
  if (!h) throw new Error('missing X-Docker-Container-Path-Stat header');
  return JSON.parse(Buffer.from(h, 'base64').toString('utf8')) as T.ContainerPathStat;
}
