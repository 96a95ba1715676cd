// Records and request/result shapes of the network domain (camelCase; the wire mapping to
// Docker's PascalCase lives in api/routes/networks.ts).
import type { StoredRecord } from '../store/records/record-store.js';

export type NetworkDriver = 'bridge' | 'host' | 'null';

export interface NetworkRecord extends StoredRecord {
  id: string; // 64 hex
  name: string;
  driver: NetworkDriver;
  /** IPv4 CIDR; '' for host/none. */
  subnet: string;
  gateway: string;
  /** Sub-range dynamic addresses come from; '' = whole subnet. */
  ipRange: string;
  internal: boolean;
  attachable: boolean;
  labels: Record<string, string>;
  options: Record<string, string>;
  created: string; // RFC 3339
  /** Linux bridge device (<= 15 chars). */
  bridgeName: string;
  mtu: number;
  /** Embedded DNS on the gateway address (user-defined bridges only, as in Docker). */
  dns: boolean;
  /** bridge/host/none, created by the daemon and not removable. */
  predefined: boolean;
}

export interface EndpointRecord {
  networkId: string;
  networkName: string;
  endpointId: string; // 64 hex
  ifName: string; // eth0, eth1, ...
  vethHost: string;
  ip: string;
  prefixLen: number;
  gateway: string;
  mac: string;
  aliases: string[];
  /** Link aliases this container resolves on this network (libnetwork's endpoint aliases). */
  links?: LinkAlias[];
  /** True if the caller asked for this IP (--ip): kept across restarts of the container. */
  staticIp: boolean;
}

export type Protocol = 'tcp' | 'udp';

export interface PortMapping {
  containerPort: number;
  protocol: Protocol;
  hostIp: string; // '0.0.0.0' = all host addresses
  hostPort: number;
}

/**
 * Per-container state. attach writes it once its side effects are done (recovery removes the
 * unrecorded leftovers of an attach that died midway); connect writes it before its own.
 */
export interface SandboxRecord extends StoredRecord {
  containerId: string;
  containerName: string;
  hostname: string;
  netnsPath: string;
  endpoints: EndpointRecord[];
  ports: PortMapping[];
  /** The container's own --dns: where the embedded DNS forwards its other names (else the daemon's). */
  dnsUpstreams?: string[];
  /** Always 'attached' now; 'attaching' (intent records of older versions) makes recovery remove the sandbox. */
  state: 'attaching' | 'attached';
}

/** A legacy link on a user network: `alias` resolves, for the linking container only, as container `name`. */
export interface LinkAlias {
  name: string;
  alias: string;
}

export interface NetworkRequest {
  name: string;
  aliases?: string[];
  ip?: string;
  mac?: string;
  links?: LinkAlias[];
}

/** Docker's HostConfig.PortBindings shape: "80/tcp" -> [{ hostIp, hostPort }]; hostPort may be "8000-8010" or "". */
export type PortBindings = Record<string, { hostIp?: string; hostPort?: string }[] | null>;

export interface AttachRequest {
  containerName: string;
  hostname?: string;
  networks: NetworkRequest[];
  portBindings?: PortBindings;
  publishAll?: boolean;
  /** Docker's Config.ExposedPorts keys: "80/tcp", "53/udp", "8000-8002/tcp". */
  exposedPorts?: string[];
  /** HostConfig.Dns: on user networks the embedded DNS forwards this container's queries there. */
  dnsUpstreams?: string[];
}

export interface EndpointInfo {
  network: string;
  networkId: string;
  endpointId: string;
  ip: string;
  prefixLen: number;
  gateway: string;
  mac: string;
  aliases: string[];
  ifName: string;
}

export interface AttachResult {
  /** Pass to the spec builder as `netns: { path }`; 'host' for host networking, 'new' (loopback only) for none. */
  netns: 'host' | 'new' | { path: string };
  endpoints: EndpointInfo[];
  /** Docker's NetworkSettings.Ports: "80/tcp" -> bindings (null if exposed but not published). */
  ports: Record<string, { hostIp: string; hostPort: string }[] | null>;
  /** For /etc/resolv.conf: the embedded DNS address, or [] to use the host's resolvers. */
  dnsServers: string[];
  /** For /etc/hosts: the container's own addresses (ip -> names). */
  hostsEntries: { ip: string; names: string[] }[];
}
