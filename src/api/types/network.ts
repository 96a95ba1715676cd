// Docker Engine API v1.45 wire types for /networks.
import type { EndpointSettings } from './container.js';

export interface IpamConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}
export interface Ipam {
  Driver: string;
  Options: Record<string, string> | null;
  Config: IpamConfig[] | null;
}

/** One network endpoint of a container, as inspect lists it under Containers. */
export interface NetworkContainer {
  Name: string;
  EndpointID: string;
  MacAddress: string;
  IPv4Address: string;
  IPv6Address: string;
}

/** GET /networks (items) and GET /networks/{id}. */
export interface NetworkSummary {
  Name: string;
  Id: string;
  /** RFC 3339 with nanoseconds. */
  Created: string;
  Scope: string;
  Driver: string;
  EnableIPv4?: boolean;
  EnableIPv6: boolean;
  IPAM: Ipam;
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom?: { Network: string };
  ConfigOnly?: boolean;
  Containers?: Record<string, NetworkContainer>;
  Options: Record<string, string> | null;
  Labels: Record<string, string> | null;
}

/** POST /networks/create, in the docker CLI 28's field order (EnableIPv4/6 only when given). */
export interface NetworkCreateRequest {
  Driver: string;
  Scope: string;
  EnableIPv4?: boolean;
  EnableIPv6?: boolean;
  IPAM: Ipam;
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigOnly: boolean;
  ConfigFrom: { Network: string } | null;
  Options: Record<string, string>;
  Labels: Record<string, string>;
  Name: string;
}

export interface NetworkCreateResponse {
  Id: string;
  Warning?: string;
}

/** `network connect` sends every EndpointSettings field (docker 28 adds GwPriority). */
export interface NetworkConnectRequest {
  Container: string;
  EndpointConfig: EndpointSettings & { GwPriority?: number };
}
export interface NetworkDisconnectRequest {
  Container: string;
  Force: boolean;
}
export interface NetworkPruneResponse {
  NetworksDeleted: string[] | null;
}
