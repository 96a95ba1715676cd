// Makes a sandbox's namespace and endpoints: a new netns with lo up, and per endpoint a veth pair
// whose host end is a tagged, hairpin port of the network's bridge and whose inner end has the
// endpoint's MAC, MTU, address and (first routed network only) the default route.
// In-process rtnetlink when koffi loads (~1 ms), else `unshare ... ip -batch` + `ip -batch`.
import { openSync, closeSync } from 'node:fs';
import { createNetns, createNetnsSocket } from './netns.js';
import { hostVethLines, ipBatch, nsEndpointLines } from './link.js';
import { netlinkSys, Rtnl } from './netlink.js';
import type { EndpointRecord, NetworkRecord } from './types.js';

export interface PlumbEndpoint {
  e: EndpointRecord;
  n: NetworkRecord;
  /** Gets the default route (the first non-internal network). */
  routed: boolean;
}

let host: Rtnl | undefined;

export async function plumbSandbox(netnsPath: string, endpoints: PlumbEndpoint[], tag: string): Promise<void> {
  const s = netlinkSys();
  if (!s) return plumbWithIp(netnsPath, endpoints, tag);
  const ns = await createNetnsSocket(netnsPath, s);
  let nsFd = -1;
  try {
    host ??= Rtnl.open(s); // opened on the main thread, never while it is switched: the daemon's namespace
    nsFd = openSync(netnsPath, 'r');
    await ns.setUp(1, 'lo up'); // lo is always ifindex 1 in a new namespace
    for (const { e, n, routed } of endpoints) {
      const master = await host.linkIndex(n.bridgeName);
      await host.addVeth({ host: e.vethHost, master, mtu: n.mtu, peer: e.ifName, peerMac: e.mac, peerNsFd: nsFd });
      await host.tagBridgePort(e.vethHost, tag);
      const idx = await ns.linkIndex(e.ifName);
      await ns.setUp(idx, `${e.ifName} up`);
      await ns.addAddress(idx, e.ip, e.prefixLen);
      if (routed) await ns.addDefaultRoute(idx, e.gateway);
    }
  } finally {
    if (nsFd >= 0) closeSync(nsFd);
    ns.close();
  }
}

async function plumbWithIp(netnsPath: string, endpoints: PlumbEndpoint[], tag: string): Promise<void> {
  const nsLines: string[] = [];
  const hostLines: string[] = [];
  for (const [i, { e, n, routed }] of endpoints.entries()) {
    nsLines.push(
      ...nsEndpointLines({
        ifName: e.ifName,
        veth: e.vethHost,
        mac: e.mac,
        mtu: n.mtu,
        ip: e.ip,
        prefixLen: e.prefixLen,
        gateway: routed ? e.gateway : undefined,
        hostPid: process.pid,
        first: i === 0,
      }),
    );
    hostLines.push(...hostVethLines(e.vethHost, n.bridgeName, tag));
  }
  await createNetns(netnsPath, nsLines.join('\n') + '\n');
  await ipBatch(hostLines);
}
