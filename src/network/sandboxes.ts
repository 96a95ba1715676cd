// Container sandboxes: a persistent netns per container with one veth endpoint per network,
// published ports and DNS names. Called only by NetworkManager, under its lock.
import { join } from 'node:path';
import { randomBytes, createHash } from 'node:crypto';
import type { RecordStore } from '../store/records/record-store.js';
import { conflict, forbidden, invalidArgument } from '../lib/errors.js';
import { noSuchNetwork } from '../lib/docker-messages.js';
import type { Ipam } from './ipam.js';
import { inNetns, removeNetns, mountedNetns, unmountNetns } from './netns.js';
import { plumbSandbox } from './plumb.js';
import { Reaper } from './reaper.js';
import { deleteLinks, hostVethLines, ipBatch, linkExists, nsEndpointLines } from './link.js';
import { allocatePorts, portRequests } from './ports.js';
import { isValidMac, macForIp, parseCidr, parseIp } from './subnet.js';
import type { AttachRequest, AttachResult, EndpointRecord, NetworkRecord, NetworkRequest, SandboxRecord } from './types.js';
import type { NetworkContainer } from './network-manager.js';

export interface SandboxDeps {
  records: RecordStore<SandboxRecord>;
  ipam: Ipam;
  netnsDir: string;
  tag: string;
  network: (ref: string) => NetworkRecord | undefined;
  networks: () => NetworkRecord[];
  applyRules: () => Promise<void>;
  addRules: (s: SandboxRecord) => Promise<void>;
}

export class Sandboxes {
  private readonly reaper = new Reaper();

  constructor(private readonly d: SandboxDeps) {}

  all(): SandboxRecord[] {
    return this.d.records.values();
  }

  has(containerId: string): boolean {
    return this.d.records.has(containerId);
  }

  containersOn(networkId: string): NetworkContainer[] {
    return this.all().flatMap((s) =>
      s.endpoints
        .filter((e) => e.networkId === networkId)
        .map((e) => ({ containerId: s.containerId, name: s.containerName, endpointId: e.endpointId, mac: e.mac, ipv4: `${e.ip}/${e.prefixLen}` })),
    );
  }

  /** The --dns servers of the container with `ip` on the network, if it set any. */
  dnsUpstreamsOf(networkId: string, ip: string): string[] | undefined {
    for (const s of this.all()) {
      if (s.dnsUpstreams?.length && s.endpoints.some((e) => e.networkId === networkId && e.ip === ip)) return s.dnsUpstreams;
    }
    return undefined;
  }

  /**
   * DNS: container name, network aliases and short id of containers on the network. A link alias
   * of the asking container (found by its address) stands for the linked container's name there,
   * as libnetwork resolves links on user networks.
   */
  lookup(networkId: string, query: string, sourceIp?: string): string[] | undefined {
    const asker = sourceIp
      ? this.all()
          .flatMap((s) => s.endpoints)
          .find((e) => e.networkId === networkId && e.ip === sourceIp)
      : undefined;
    const name = asker?.links?.find((l) => l.alias.toLowerCase() === query)?.name.toLowerCase() ?? query;
    const ips: string[] = [];
    for (const s of this.all()) {
      if (s.state !== 'attached') continue;
      for (const e of s.endpoints) {
        if (e.networkId !== networkId) continue;
        const names = [s.containerName, s.containerId.slice(0, 12), ...e.aliases].map((x) => x.toLowerCase());
        if (names.includes(name)) ips.push(e.ip);
      }
    }
    return ips.length ? ips : undefined;
  }

  async attach(containerId: string, req: AttachRequest): Promise<AttachResult> {
    if (this.has(containerId)) await this.detach(containerId);
    await this.reaper.wait(containerId); // the last teardown's netns path and veth names are reused
    const nets = req.networks.map((w) => {
      const n = this.d.network(w.name);
      if (!n) throw noSuchNetwork(w.name);
      return { n, w };
    });
    const special = nets.find(({ n }) => n.driver !== 'bridge');
    if (special) {
      if (nets.length > 1)
        throw invalidArgument(
          special.n.driver === 'host'
            ? 'container cannot be disconnected from host network or connected to host network'
            : 'container cannot be connected to multiple networks with one of the networks in private (none) mode',
        );
      portRequests(req.portBindings, false); // still reject a bad spec
      return { netns: special.n.driver === 'host' ? 'host' : 'new', endpoints: [], ports: {}, dnsServers: [], hostsEntries: [] };
    }
    if (new Set(nets.map(({ n }) => n.id)).size !== nets.length) throw invalidArgument('a container can be connected to a network only once');
    for (const { n, w } of nets) checkRequest(n, w);
    // Decide everything (ports, addresses) before touching the kernel.
    const reqs = portRequests(req.portBindings, req.publishAll, req.exposedPorts);
    const ports = await allocatePorts(
      reqs,
      this.all().flatMap((s) => s.ports),
    );
    const rec: SandboxRecord = {
      schemaVersion: 1,
      containerId,
      containerName: req.containerName.replace(/^\//, ''),
      hostname: req.hostname ?? containerId.slice(0, 12),
      netnsPath: join(this.d.netnsDir, containerId),
      endpoints: [],
      ports,
      ...(req.dnsUpstreams?.length ? { dnsUpstreams: req.dnsUpstreams } : {}),
      state: 'attached',
    };
    // The record is written once, after the side effects: if berthd dies before, recover()
    // removes what no record names (the netns file and mount, which take the veth pair along,
    // tagged links, leases), so an intent record would only cost a synchronous write.
    try {
      for (const [i, { n, w }] of nets.entries()) rec.endpoints.push(await this.newEndpoint(containerId, n, w, i));
      let routed = false;
      const plumbing = rec.endpoints.map((e) => {
        const n = this.d.network(e.networkId)!;
        const r = !routed && !n.internal;
        routed ||= r;
        return { e, n, routed: r };
      });
      await plumbSandbox(rec.netnsPath, plumbing, this.d.tag);
      await this.d.records.put(containerId, rec);
      await this.d.addRules(rec);
    } catch (e) {
      await this.teardown(rec).catch(() => {});
      await this.d.applyRules().catch(() => {});
      throw e;
    }
    return this.info(containerId)!;
  }

  /**
   * The exit path, kept short because a container's removal waits for it: unmount the namespace,
   * free the addresses, forget the sandbox, drop its port rules. The kernel objects go in the
   * background (reaper.ts); `rules = false` (purge) tears everything down here and now.
   */
  async detach(containerId: string, rules = true): Promise<void> {
    const rec = this.d.records.get(containerId);
    if (!rec) return;
    if (!rules) return this.teardown(rec);
    // A crash from here on is finished by recover(): the record names an unmounted namespace.
    await unmountNetns(rec.netnsPath);
    for (const e of rec.endpoints) await this.d.ipam.release(e.networkId, e.ip, rec.containerId, { lazy: true });
    await this.d.records.delete(rec.containerId);
    this.reaper.reap(
      containerId,
      rec.endpoints.map((e) => e.vethHost),
      rec.netnsPath,
    );
    // Only the published chain depends on sandboxes.
    if (rec.ports.length) await this.d.applyRules();
  }

  /** Resolves when the background part of every detach is done (network removal, shutdown, tests). */
  settled(): Promise<void> {
    return this.reaper.settled();
  }

  async connect(containerId: string, w: NetworkRequest): Promise<AttachResult> {
    const rec = this.d.records.get(containerId);
    if (!rec || rec.state !== 'attached') throw conflict(`Container ${containerId} is not running`);
    const n = this.d.network(w.name);
    if (!n) throw noSuchNetwork(w.name);
    if (n.driver !== 'bridge') throw forbidden('container cannot be disconnected from host network or connected to host network');
    if (rec.endpoints.some((e) => e.networkId === n.id)) throw forbidden(`endpoint with name ${rec.containerName} already exists in network ${n.name}`);
    checkRequest(n, w);
    const used = new Set(rec.endpoints.map((e) => Number(e.ifName.slice(3))));
    let idx = 0;
    while (used.has(idx)) idx++;
    const e = await this.newEndpoint(containerId, n, w, idx);
    const next: SandboxRecord = { ...rec, endpoints: [...rec.endpoints, e] };
    await this.d.records.put(containerId, next);
    try {
      const routed = hasDefaultRoute(rec, this.d.networks());
      await inNetns(
        rec.netnsPath,
        nsEndpointLines({
          ifName: e.ifName,
          veth: e.vethHost,
          mac: e.mac,
          mtu: n.mtu,
          ip: e.ip,
          prefixLen: e.prefixLen,
          gateway: routed || n.internal ? undefined : e.gateway,
          hostPid: process.pid,
          first: false,
        }).join('\n') + '\n',
      );
      await ipBatch(hostVethLines(e.vethHost, n.bridgeName, this.d.tag));
      await this.d.applyRules();
    } catch (err) {
      await deleteLinks([e.vethHost]);
      await this.d.ipam.release(n.id, e.ip, containerId);
      await this.d.records.put(containerId, rec);
      throw err;
    }
    return this.info(containerId)!;
  }

  async disconnect(containerId: string, ref: string): Promise<AttachResult> {
    const rec = this.d.records.get(containerId);
    const n = this.d.network(ref);
    if (!n) throw noSuchNetwork(ref);
    const e = rec?.endpoints.find((x) => x.networkId === n.id);
    if (!rec || !e) throw forbidden(`container ${containerId} is not connected to network ${n.name}`);
    const next: SandboxRecord = { ...rec, endpoints: rec.endpoints.filter((x) => x !== e) };
    await this.d.records.put(containerId, next);
    await deleteLinks([e.vethHost]);
    await this.d.ipam.release(n.id, e.ip, containerId);
    // If the default route went with it, route through another non-internal network.
    const holder = rec.endpoints.find((x) => !this.d.network(x.networkId)?.internal);
    const other = next.endpoints.find((x) => !this.d.network(x.networkId)?.internal);
    if (holder === e && other) await inNetns(next.netnsPath, `route replace default via ${other.gateway} dev ${other.ifName}\n`).catch(() => {});
    await this.d.applyRules();
    return this.info(containerId)!;
  }

  info(containerId: string): AttachResult | undefined {
    const s = this.d.records.get(containerId);
    if (!s) return undefined;
    const ports: AttachResult['ports'] = {};
    for (const p of s.ports) (ports[`${p.containerPort}/${p.protocol}`] ??= [])!.push({ hostIp: p.hostIp, hostPort: String(p.hostPort) });
    const dnsNet = s.endpoints.map((e) => this.d.network(e.networkId)).find((n) => n?.dns);
    return {
      netns: { path: s.netnsPath },
      endpoints: s.endpoints.map((e) => ({
        network: this.d.network(e.networkId)?.name ?? e.networkName,
        networkId: e.networkId,
        endpointId: e.endpointId,
        ip: e.ip,
        prefixLen: e.prefixLen,
        gateway: e.gateway,
        mac: e.mac,
        aliases: [...e.aliases],
        ifName: e.ifName,
      })),
      ports,
      dnsServers: dnsNet ? [dnsNet.gateway] : [],
      hostsEntries: s.endpoints.map((e) => ({ ip: e.ip, names: [s.hostname] })),
    };
  }

  /** Startup: keep sandboxes of running containers (minus endpoints whose veth vanished), tear down the rest. */
  async recover(isRunning: (id: string) => boolean): Promise<void> {
    const mounted = new Set(await mountedNetns(this.d.netnsDir));
    for (const s of this.all()) {
      if (s.state !== 'attached' || !isRunning(s.containerId) || !mounted.has(s.netnsPath)) {
        await this.teardown(s);
        continue;
      }
      const alive: EndpointRecord[] = [];
      for (const e of s.endpoints) {
        // claim: the lease was written lazily and may not have reached the disk before a crash.
        if ((await linkExists(e.vethHost)) && this.d.network(e.networkId) && (await this.d.ipam.claim(e.networkId, e.ip, s.containerId))) alive.push(e);
        else await this.d.ipam.release(e.networkId, e.ip, s.containerId);
      }
      if (alive.length !== s.endpoints.length) await this.d.records.put(s.containerId, { ...s, endpoints: alive });
    }
  }

  private async newEndpoint(containerId: string, n: NetworkRecord, w: NetworkRequest, idx: number): Promise<EndpointRecord> {
    const ip = await this.d.ipam.allocate(n.id, n, containerId, w.ip || undefined, { lazy: true }); // durable through the sandbox record
    const veth = 'vb' + createHash('sha256').update(`${containerId}/${n.id}`).digest('hex').slice(0, 11);
    return {
      networkId: n.id,
      networkName: n.name,
      endpointId: randomBytes(32).toString('hex'),
      ifName: `eth${idx}`,
      vethHost: veth,
      ip,
      prefixLen: parseCidr(n.subnet).prefix,
      gateway: n.gateway,
      mac: w.mac || macForIp(parseIp(ip)!),
      aliases: w.aliases ?? [],
      ...(w.links?.length ? { links: w.links } : {}),
      staticIp: !!w.ip,
    };
  }

  /** Undo in reverse; the record goes last so a crash midway is finished by recover(). */
  private async teardown(rec: SandboxRecord): Promise<void> {
    await deleteLinks(rec.endpoints.map((e) => e.vethHost));
    await removeNetns(rec.netnsPath);
    for (const e of rec.endpoints) await this.d.ipam.release(e.networkId, e.ip, rec.containerId);
    await this.d.records.delete(rec.containerId);
  }
}

function checkRequest(n: NetworkRecord, w: NetworkRequest): void {
  if (!n.dns && (w.ip || w.aliases?.length)) {
    throw invalidArgument(
      w.ip
        ? 'user specified IP address is supported on user defined networks only'
        : 'network-scoped alias is supported only for containers in user defined networks',
    );
  }
  if (w.mac && !isValidMac(w.mac)) throw invalidArgument(`invalid MAC address: ${w.mac}`);
}

function hasDefaultRoute(rec: SandboxRecord, networks: NetworkRecord[]): boolean {
  // The first non-internal endpoint got the default route at attach/connect time.
  return rec.endpoints.some((e) => networks.find((n) => n.id === e.networkId && !n.internal));
}
