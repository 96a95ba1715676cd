// RUN steps' networking, as Docker's classic builder does it: by default a sandbox on the
// default bridge, or the user-defined network the build names (an eth0 with outbound NAT, the host's resolvers minus loopback ones, an
// /etc/hosts naming the step's own address); `host` shares the host's namespace; `none` gets a
// private namespace with loopback only; `container:<ref>` shares a running container's. The sandbox is attached before the step's container
// exists and released after it is gone; the caller guarantees the release (try/finally).
import { readFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { invalidArgument, messageOf } from '../../lib/errors.js';
import { log } from '../../lib/log.js';
import { extraHostLines, resolvConfText, STANDARD_HOSTS } from '../../lib/etc-files.js';
import type { BuildNetwork, BuildNetworking } from './types.js';

/** 'host', 'none', or the network a sandbox joins ('bridge' or a user-defined one). */
export type RunNetworkMode = 'bridge' | 'host' | 'none' | (string & {});

/** A step's `RUN --network=host|none` wins; otherwise the build's mode ('default' = bridge). */
export function runNetworkMode(step: 'default' | 'none' | 'host' | undefined, build: BuildNetwork | undefined): RunNetworkMode {
  const m = step && step !== 'default' ? step : (build ?? 'default');
  return m === 'default' ? 'bridge' : m;
}

export interface RunNetwork {
  /** For the spec builder. */
  netns: 'host' | 'new' | { path: string };
  hostname: string;
  hosts: string;
  resolvConf: string;
  /** Detaches the sandbox (nothing for host/none); logs instead of throwing. */
  release(): Promise<void>;
}

export interface RunNetworkDeps {
  networks?: BuildNetworking;
  /** The build's --add-host entries ("name:ip"), after the standard lines (as Docker's classic builder). */
  extraHosts?: string[];
  /** The daemon's --dns. */
  dns?: string[];
}

const noRelease = async () => {};

/** `name:host-gateway` as dockerd resolves it: the default bridge's gateway address. */
export function withHostGateway(extraHosts: readonly string[], networks: Pick<BuildNetworking, 'find'> | undefined): string[] {
  return extraHosts.map((h) => {
    if (!h.endsWith(':host-gateway')) return h;
    const gw = networks?.find('bridge')?.gateway;
    if (!gw) throw invalidArgument('unable to derive the IP value for host-gateway');
    return h.slice(0, -'host-gateway'.length) + gw;
  });
}

/**
 * Sets up the step's network. `id` keys the sandbox (the step's build-* id), `shortId` is its
 * hostname. A bridge step without a network manager (a builder outside the daemon) falls back to
 * loopback only: never to the host's namespace.
 */
export async function setUpRunNetwork(id: string, shortId: string, mode: RunNetworkMode, deps: RunNetworkDeps): Promise<RunNetwork> {
  const hostResolv = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  const dns = deps.dns ?? [];
  const extra = extraHostLines(withHostGateway(deps.extraHosts ?? [], deps.networks));
  if (mode === 'host') {
    const hostFile = await readFile('/etc/hosts', 'utf8').catch(() => STANDARD_HOSTS.join('\n') + '\n');
    const hosts = extra.length ? hostFile.replace(/\n?$/, '\n') + extra.join('\n') + '\n' : hostFile;
    // As dockerd for host-mode containers: the host's name and files (its --dns still applies).
    return { netns: 'host', hostname: osHostname(), hosts, resolvConf: dns.length ? resolvConfText(hostResolv, dns) : hostResolv, release: noRelease };
  }
  if (mode.startsWith('container:')) {
    // As the classic builder's step container with NetworkMode container:<ref>: the other
    // container's namespace, and its own hostname, hosts and resolv.conf.
    const ref = mode.slice('container:'.length);
    if (!deps.networks?.shared) throw invalidArgument(`network mode ${JSON.stringify(mode)} not supported by this builder`);
    const other = await deps.networks.shared(ref);
    return { netns: other.netns, hostname: other.hostname, hosts: other.hosts, resolvConf: other.resolvConf, release: noRelease };
  }
  if (mode === 'none' || !deps.networks) {
    return {
      netns: 'new',
      hostname: shortId,
      hosts: [...STANDARD_HOSTS, ...extra, `127.0.1.1\t${shortId}`].join('\n') + '\n',
      resolvConf: resolvConfText(hostResolv, dns),
      release: noRelease,
    };
  }
  const networks = deps.networks;
  const att = await networks.attach(id, { containerName: id, hostname: shortId, networks: [{ name: mode }] });
  const release = async () => {
    await networks.detach(id).catch((e) => log.warn('build: network sandbox not detached', { id, error: messageOf(e) }));
  };
  const own = att.hostsEntries.map((e) => `${e.ip}\t${e.names.join(' ')}`);
  return {
    netns: att.netns,
    hostname: shortId,
    hosts: [...STANDARD_HOSTS, ...extra, ...own].join('\n') + '\n',
    resolvConf: resolvConfText(hostResolv, att.dnsServers.length ? att.dnsServers : dns),
    release,
  };
}
