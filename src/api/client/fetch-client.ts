// The typed Engine API client over fetch (the dashboard's). The same endpoints and wire types as
// DockerClient, for the calls a browser makes; browser-safe (no Node imports).
import type * as T from '../types/index.js';
import { FetchTransport } from './fetch-transport.js';

/** The X-Docker-Container-Path-Stat header: base64 of the stat's JSON (UTF-8). */
export function decodePathStat(header: string | null): T.ContainerPathStat {
  if (!header) throw new Error('missing X-Docker-Container-Path-Stat header');
  const bin = atob(header);
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (ch) => ch.charCodeAt(0)))) as T.ContainerPathStat;
}

export type Filters = Record<string, string[]>;
const enc = encodeURIComponent;
const filtersQuery = (f?: Filters) => (f && Object.keys(f).length ? JSON.stringify(f) : undefined);

export interface FetchLogsOptions {
  follow?: boolean;
  tail?: string;
  timestamps?: boolean;
  since?: string;
}

export class FetchClient extends FetchTransport {
  // ---- system
  ping(): Promise<string> {
    return this.text('GET', '/_ping');
  }
  version(): Promise<T.Version> {
    return this.json('GET', '/version');
  }
  info(): Promise<T.SystemInfo> {
    return this.json('GET', '/info');
  }
  df(): Promise<T.SystemDf> {
    return this.json('GET', '/system/df');
  }
  dfVerbose(types?: ('container' | 'image' | 'volume' | 'build-cache')[]): Promise<T.SystemDf> {
    return this.json('GET', '/system/df', { query: { type: types } });
  }
  buildPrune(opts: { all?: boolean } = {}): Promise<T.BuildPruneResponse> {
    return this.json('POST', '/build/prune', { query: { all: opts.all || undefined } });
  }
  events(opts: { since?: string; filters?: Filters; signal?: AbortSignal } = {}): AsyncGenerator<T.Event> {
    return this.jsonStream('GET', '/events', { query: { since: opts.since, filters: filtersQuery(opts.filters) }, signal: opts.signal });
  }

  // ---- containers
  containerList(opts: { all?: boolean; filters?: Filters } = {}): Promise<T.ContainerSummary[]> {
    return this.json('GET', '/containers/json', { query: { all: opts.all || undefined, filters: filtersQuery(opts.filters) } });
  }
  containerInspect(id: string): Promise<T.ContainerInspect> {
    return this.json('GET', `/containers/${enc(id)}/json`);
  }
  async containerStart(id: string): Promise<void> {
    await this.text('POST', `/containers/${enc(id)}/start`);
  }
  async containerStop(id: string, opts: { t?: number } = {}): Promise<void> {
    await this.text('POST', `/containers/${enc(id)}/stop`, { query: { t: opts.t } });
  }
  async containerRestart(id: string, opts: { t?: number } = {}): Promise<void> {
    await this.text('POST', `/containers/${enc(id)}/restart`, { query: { t: opts.t } });
  }
  async containerPause(id: string): Promise<void> {
    await this.text('POST', `/containers/${enc(id)}/pause`);
  }
  async containerUnpause(id: string): Promise<void> {
    await this.text('POST', `/containers/${enc(id)}/unpause`);
  }
  /** `keepalive`: the request outlives the page (cleanup sent from a pagehide handler). */
  async containerRemove(id: string, opts: { force?: boolean; v?: boolean; keepalive?: boolean } = {}): Promise<void> {
    await this.text('DELETE', `/containers/${enc(id)}`, { query: { force: opts.force || undefined, v: opts.v || undefined }, keepalive: opts.keepalive });
  }
  containerTop(id: string, psArgs?: string): Promise<T.ContainerTopResponse> {
    return this.json('GET', `/containers/${enc(id)}/top`, { query: { ps_args: psArgs } });
  }
  /** Raw log bytes: Docker's multiplexed frames unless the container has a TTY (see StdFrameReader). */
  containerLogs(id: string, o: FetchLogsOptions, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
    return this.bytes('GET', `/containers/${enc(id)}/logs`, {
      query: { stdout: true, stderr: true, follow: o.follow, tail: o.tail, timestamps: o.timestamps, since: o.since },
      signal,
    });
  }
  containerStats(id: string, opts: { stream?: boolean; signal?: AbortSignal } = {}): AsyncGenerator<T.ContainerStats> {
    return this.jsonStream('GET', `/containers/${enc(id)}/stats`, { query: { stream: opts.stream ?? false }, signal: opts.signal });
  }

  containerPrune(): Promise<T.ContainerPruneResponse> {
    return this.json('POST', '/containers/prune');
  }
  async containerCreate(body: T.ContainerCreateRequest, opts: { name?: string } = {}): Promise<T.ContainerCreateResponse> {
    return this.json('POST', '/containers/create', { query: { name: opts.name }, body });
  }
  /** HEAD archive: the path's stat (from the X-Docker-Container-Path-Stat header). */
  async containerArchiveStat(id: string, path: string): Promise<T.ContainerPathStat> {
    const r = await this.request('HEAD', `/containers/${enc(id)}/archive`, { query: { path } });
    return decodePathStat(r.headers.get('x-docker-container-path-stat'));
  }
  /** GET archive: a tar of the path, as it streams. */
  containerArchive(id: string, path: string, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
    return this.bytes('GET', `/containers/${enc(id)}/archive`, { query: { path }, signal });
  }
  /** The URL of GET archive (a link the browser downloads). */
  containerArchiveUrl(id: string, path: string): string {
    return this.url(`/containers/${enc(id)}/archive`, { path });
  }

  // ---- images, volumes, networks
  imageList(): Promise<T.ImageSummary[]> {
    return this.json('GET', '/images/json');
  }
  imageInspect(name: string): Promise<T.ImageInspect> {
    return this.json('GET', `/images/${enc(name)}/json`);
  }
  imageHistory(name: string): Promise<T.HistoryItem[]> {
    return this.json('GET', `/images/${enc(name)}/history`);
  }
  imagePrune(opts: { all?: boolean } = {}): Promise<T.ImagePruneResponse> {
    // dangling=false is `docker image prune -a`: every image no container uses
    return this.json('POST', '/images/prune', { query: { filters: filtersQuery({ dangling: [opts.all ? 'false' : 'true'] }) } });
  }
  /** POST /build (classic builder): a tar context in, the build's jsonmessage stream out. */
  imageBuild(
    tar: Uint8Array,
    query: { t?: string; dockerfile?: string; nocache?: boolean },
    signal?: AbortSignal,
  ): AsyncGenerator<T.JsonMessage<{ ID?: string }>> {
    return this.jsonStream('POST', '/build', {
      query: { ...query, rm: true, version: '1' },
      body: tar,
      headers: { 'content-type': 'application/x-tar' },
      signal,
    });
  }
  imageRemove(name: string, opts: { force?: boolean } = {}): Promise<T.ImageDeleteResponseItem[]> {
    return this.json('DELETE', `/images/${enc(name)}`, { query: { force: opts.force || undefined } });
  }
  volumeList(): Promise<T.VolumeListResponse> {
    return this.json('GET', '/volumes');
  }
  volumeInspect(name: string): Promise<T.VolumeSummary> {
    return this.json('GET', `/volumes/${enc(name)}`);
  }
  volumePrune(opts: { all?: boolean } = {}): Promise<T.VolumePruneResponse> {
    // all=true is `docker volume prune -a`: named volumes too, not only anonymous ones
    return this.json('POST', '/volumes/prune', { query: { filters: filtersQuery(opts.all ? { all: ['true'] } : undefined) } });
  }
  async volumeRemove(name: string): Promise<void> {
    await this.text('DELETE', `/volumes/${enc(name)}`);
  }
  networkList(): Promise<T.NetworkSummary[]> {
    return this.json('GET', '/networks');
  }
  networkInspect(id: string): Promise<T.NetworkSummary> {
    return this.json('GET', `/networks/${enc(id)}`);
  }
  networkPrune(): Promise<T.NetworkPruneResponse> {
    return this.json('POST', '/networks/prune');
  }
}
