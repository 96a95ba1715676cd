// The typed Engine API client over fetch (the dashboard's). The same endpoints and wire types as
// DockerClient, for the calls a browser makes; browser-safe (no Node imports).
import type * as T from '../types/index.js';
import { FetchTransport } from './fetch-transport.js';

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
  async containerRemove(id: string, opts: { force?: boolean; v?: boolean } = {}): Promise<void> {
    await this.text('DELETE', `/containers/${enc(id)}`, { query: { force: opts.force || undefined, v: opts.v || undefined } });
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

  // ---- images, volumes, networks
  imageList(): Promise<T.ImageSummary[]> {
    return this.json('GET', '/images/json');
  }
  imageRemove(name: string, opts: { force?: boolean } = {}): Promise<T.ImageDeleteResponseItem[]> {
    return this.json('DELETE', `/images/${enc(name)}`, { query: { force: opts.force || undefined } });
  }
  volumeList(): Promise<T.VolumeListResponse> {
    return this.json('GET', '/volumes');
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
}
