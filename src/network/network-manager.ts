// NetworkManager: the network domain's one entry point. Networks (create/remove/list/inspect/
// prune) are here; container sandboxes (attach/detach/connect/disconnect) are in sandboxes.ts.
//
// Lifecycle: open() loads state from disk; recover(isRunning) must run once at daemon start:
// it creates the predefined networks, brings bridges back, tears down sandboxes of containers
// that no longer run, removes Berth-tagged leftovers (links, netns mounts), re-applies the
// nftables table and binds the DNS sockets. Records and recovery are arranged so that recover()
// after kill -9 at any point converges to the state on disk: a network's record is written
// before its side effects; a sandbox's after them, because recovery sweeps whatever no record
// names (netns files and mounts, tagged links, leases, rules). A detach forgets the sandbox first
// and lets the kernel objects go in the background (reaper.ts), which the same sweep covers.
import { randomBytes, createHash } from 'node:crypto';
import { join } from 'node:path';
import { readdir } from 'node:fs/promises';
import { RecordStore } from '../store/records/record-store.js';
import { KeyedMutex } from '../lib/mutex.js';
import { forbidden, invalidArgument, conflict, errnoCode } from '../lib/errors.js';
import { networkNameInUse, noSuchNetwork } from '../lib/docker-messages.js';
import { ensureDir } from '../lib/atomic-fs.js';
import { Ipam } from './ipam.js';
import { EmbeddedDns } from './dns-server.js';
import { subnetsOf, type AddressPool, formatCidr, formatIp, overlaps, parseCidr, parseIp, contains, type Cidr } from './subnet.js';
import { hostRoutes } from './host-routes.js';
import { applyRuleset, applyUpdate, deleteTable, listTable, listTables, renderAdd, renderRuleset, renderUpdate } from './ruleset.js';
import { deleteLinks, enableIpForward, ensureBridge, ipv4Addresses, taggedLinks } from './link.js';
import { isStale, ownerComment, ownerFacts, parseOwner, processStartTime } from './table-owner.js';
import { log } from '../lib/log.js';
import { mountedNetns, removeNetns } from './netns.js';
import { Sandboxes } from './sandboxes.js';
import type { AttachRequest, AttachResult, NetworkRecord, NetworkRequest, SandboxRecord } from './types.js';
import { networkListFilter, networkPruneFilter, type NetworkFilters } from './network-filter.js';

export interface NetworkManagerOptions {
  /** Records, IPAM state: e.g. <data-root>/network. */
  stateDir: string;
  /** Persistent namespaces: e.g. <data-root>/netns. */
  netnsDir: string;
  /** nftables table (ip family); default berth_<hash of stateDir>, so two daemons never share one. */
  tableName?: string;
  /** Device of the default `bridge` network. */
  defaultBridge?: string;
  /** Subnet of the default bridge; default: the first of Docker's pools unused on the host. */
  defaultSubnet?: string;
  /** The default bridge's address in defaultSubnet (default: the first host address). */
  defaultGateway?: string;
  /** dockerd's --default-address-pool: where networks without a subnet get theirs (default: Docker's pools). */
  addressPools?: AddressPool[];
  mtu?: number;
  dnsPort?: number;
  /** Resolvers for names outside Berth ("ip" or "ip:port"); default: the host's /etc/resolv.conf, read per query. */
  dnsUpstreams?: string[];
  /** Where create and destroy events go (once each, whoever asked: the API or a prune). */
  events?: NetworkEventSink;
}

/** Docker's network events in domain terms; connect/disconnect come from the container domain. */
export interface NetworkEventSink {
  emit(action: 'create' | 'destroy', id: string, attributes: Record<string, string>): void;
}

export interface CreateNetworkRequest {
  name: string;
  driver?: string;
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  internal?: boolean;
  attachable?: boolean;
  labels?: Record<string, string>;
  options?: Record<string, string>;
}

export interface NetworkContainer {
  containerId: string;
  name: string;
  endpointId: string;
  mac: string;
  ipv4: string; // ip/prefix
}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
export const OPT_BRIDGE_NAME = 'com.docker.network.bridge.name';
export const OPT_MTU = 'com.docker.network.driver.mtu';

export class NetworkManager {
  readonly table: string;
  /** ifalias of every link this manager makes. */
  readonly tag: string;
  private readonly lock = new KeyedMutex();
  private rulesInstalled = false;
  /** The table's comment naming this daemon (table-owner.ts), set by recover(). */
  private tableComment: string | undefined;
  private readonly dns: EmbeddedDns;
  private readonly sandboxes: Sandboxes;

  private constructor(
    private readonly opts: NetworkManagerOptions,
    private readonly networks: RecordStore<NetworkRecord>,
    private readonly ipam: Ipam,
    sandboxRecords: RecordStore<SandboxRecord>,
  ) {
    const h = createHash('sha256').update(opts.stateDir).digest('hex').slice(0, 8);
    this.table = opts.tableName ?? `berth_${h}`;
    this.tag = `berth:${h}`;
    this.dns = new EmbeddedDns(
      (net, name, sourceIp) => this.sandboxes.lookup(net, name, sourceIp),
      opts.dnsPort ?? 53,
      opts.dnsUpstreams ? () => opts.dnsUpstreams! : undefined,
      (net, ip) => this.sandboxes.dnsUpstreamsOf(net, ip),
    );
    this.sandboxes = new Sandboxes({
      records: sandboxRecords,
      ipam,
      netnsDir: opts.netnsDir,
      tag: this.tag,
      network: (ref) => this.find(ref),
      networks: () => this.networks.values(),
      applyRules: () => this.applyRules(),
      addRules: (s) => this.addRules(s),
    });
  }

  static async open(opts: NetworkManagerOptions): Promise<NetworkManager> {
    await ensureDir(opts.netnsDir);
    const networks = await RecordStore.open<NetworkRecord>(join(opts.stateDir, 'networks'));
    const ipam = await Ipam.open(join(opts.stateDir, 'ipam'));
    const sandboxes = await RecordStore.open<SandboxRecord>(join(opts.stateDir, 'sandboxes'));
    return new NetworkManager(opts, networks, ipam, sandboxes);
  }

  // ---- networks -------------------------------------------------------------------------

  /** Every network, or those Docker's `network ls` filters select (see network-filter.ts). */
  list(filters: NetworkFilters = {}): NetworkRecord[] {
    const match = networkListFilter(filters);
    return this.networks
      .values()
      .filter((n) => match(n, () => this.sandboxes.containersOn(n.id).length > 0))
      .map((n) => structuredClone(n));
  }

  /** Full id, then exact name, then unique id prefix (Docker's order). */
  find(ref: string): NetworkRecord | undefined {
    const all = this.networks.values();
    const hit = all.find((n) => n.id === ref) ?? all.find((n) => n.name === ref);
    if (hit) return hit;
    const byPrefix = ref ? all.filter((n) => n.id.startsWith(ref)) : [];
    return byPrefix.length === 1 ? byPrefix[0] : undefined;
  }

  inspect(ref: string): NetworkRecord & { containers: NetworkContainer[] } {
    const n = this.find(ref);
    if (!n) throw noSuchNetwork(ref);
    return { ...structuredClone(n), containers: this.sandboxes.containersOn(n.id) };
  }

  async create(req: CreateNetworkRequest): Promise<NetworkRecord> {
    return this.lock.run('net', async () => {
      const driver = req.driver || 'bridge';
      if (!NAME_RE.test(req.name)) throw invalidArgument(`invalid network name "${req.name}": must match ${NAME_RE.source}`);
      if (this.networks.values().some((n) => n.name === req.name)) throw networkNameInUse(req.name);
      if (driver === 'host' || driver === 'null') throw forbidden(`only one instance of "${driver}" network is allowed`);
      if (driver !== 'bridge') throw notFoundPlugin(driver);
      const rec = await this.addPlannedBridge(req);
      this.opts.events?.emit('create', rec.id, { name: rec.name, type: rec.driver });
      return rec;
    });
  }

  async remove(ref: string): Promise<void> {
    await this.lock.run('net', async () => {
      const n = this.find(ref);
      if (!n) throw noSuchNetwork(ref);
      if (n.predefined) throw forbidden(`${n.name} is a pre-defined network and cannot be removed`);
      if (this.sandboxes.containersOn(n.id).length) throw forbidden(`error while removing network: network ${n.name} id ${n.id} has active endpoints`);
      await this.dns.close(n.id);
      await this.sandboxes.settled(); // veths of containers that left it go first
      await deleteLinks([n.bridgeName]);
      await this.networks.delete(n.id);
      await this.ipam.removePool(n.id);
      await this.applyRules();
      this.opts.events?.emit('destroy', n.id, { name: n.name, type: n.driver });
    });
  }

  /** Removes the unused user-defined networks `network prune`'s filters select; returns their names. */
  async prune(filters: NetworkFilters = {}): Promise<string[]> {
    const match = networkPruneFilter(filters);
    const removed: string[] = [];
    for (const n of this.networks.values()) {
      if (n.predefined || !match(n) || this.sandboxes.containersOn(n.id).length) continue;
      await this.remove(n.id).then(
        () => removed.push(n.name),
        () => {},
      );
    }
    return removed;
  }

  // ---- sandboxes (see sandboxes.ts) ----------------------------------------------------------

  /** Sets up networking for a container before the runtime creates it. Idempotent per container: a stale sandbox is replaced. */
  attach(containerId: string, req: AttachRequest): Promise<AttachResult> {
    return this.lock.run('net', async () => {
      const r = await this.sandboxes.attach(containerId, req);
      await this.syncDns();
      return r;
    });
  }

  /** Tears a container's networking down after its processes exited. No-op if not attached. */
  detach(containerId: string): Promise<void> {
    return this.lock.run('net', () => this.sandboxes.detach(containerId));
  }

  connect(containerId: string, req: NetworkRequest): Promise<AttachResult> {
    return this.lock.run('net', async () => {
      const r = await this.sandboxes.connect(containerId, req);
      await this.syncDns();
      return r;
    });
  }

  disconnect(containerId: string, networkRef: string): Promise<AttachResult> {
    return this.lock.run('net', () => this.sandboxes.disconnect(containerId, networkRef));
  }

  /** The container's current networking facts (for inspect), or undefined if not attached. */
  info(containerId: string): AttachResult | undefined {
    return this.sandboxes.info(containerId);
  }

  // ---- startup / shutdown ----------------------------------------------------------------

  async recover(isRunning: (containerId: string) => boolean): Promise<void> {
    await this.lock.run('net', async () => {
      await enableIpForward();
      const startTime = await processStartTime('self');
      if (startTime) this.tableComment = ownerComment({ stateDir: this.opts.stateDir, pid: process.pid, startTime });
      // Before choosing any subnet: a dead daemon's leftovers must not hold address pools or catch our ports.
      await this.sweepStale(new Set([...this.networks.values().map((n) => n.bridgeName), this.defaultBridge()]));
      await this.ensurePredefined();
      for (const n of this.networks.values()) {
        if (n.driver !== 'bridge') continue;
        // A create killed between the record and its pool (addBridge writes them in that order):
        // without this, every container on the network failed "has no IPv4 address pool" for good.
        if (!this.ipam.hasPool(n.id)) await this.ipam.addPool(n.id, n);
        await ensureBridge(n.bridgeName, `${n.gateway}/${parseCidr(n.subnet).prefix}`, n.mtu, this.tag);
      }
      await this.sandboxes.recover(isRunning);
      // Leftovers: namespaces and links Berth made for sandboxes or networks that are gone.
      const keepNs = new Set(this.sandboxes.all().map((s) => s.netnsPath));
      for (const p of await mountedNetns(this.opts.netnsDir)) if (!keepNs.has(p)) await removeNetns(p);
      for (const f of await readdir(this.opts.netnsDir)) if (!keepNs.has(join(this.opts.netnsDir, f))) await removeNetns(join(this.opts.netnsDir, f));
      const keepLinks = new Set([
        ...this.networks.values().map((n) => n.bridgeName),
        ...this.sandboxes.all().flatMap((s) => s.endpoints.map((e) => e.vethHost)),
      ]);
      await deleteLinks((await taggedLinks(this.tag)).filter((l) => !keepLinks.has(l)));
      await this.ipam.releaseUnless((owner) => this.sandboxes.has(owner));
      await this.applyRules();
      await this.syncDns();
    });
  }

  /** Stops serving DNS and finishes pending teardowns; rules, bridges and sandboxes stay (containers keep running). */
  async close(): Promise<void> {
    await this.dns.closeAll();
    await this.sandboxes.settled();
    await this.ipam.flush();
  }

  /** Removes every kernel object and sandbox this manager made, and all user networks (uninstall, tests). */
  async purge(): Promise<void> {
    await this.lock.run('net', async () => {
      await this.dns.closeAll();
      for (const s of this.sandboxes.all()) await this.sandboxes.detach(s.containerId, false);
      await this.sandboxes.settled();
      for (const n of this.networks.values()) {
        await deleteLinks([n.bridgeName]);
        if (!n.predefined) {
          await this.networks.delete(n.id);
          await this.ipam.removePool(n.id);
        }
      }
      await deleteLinks(await taggedLinks(this.tag));
      await deleteTable(this.table);
      this.rulesInstalled = false;
    });
  }

  // ---- internals --------------------------------------------------------------------------

  /** Start path: only additions (cheap in the kernel); falls back to a full apply. */
  private async addRules(s: SandboxRecord): Promise<void> {
    const text = renderAdd(this.table, s, this.networks.values());
    if (!this.rulesInstalled) return this.applyRules();
    if (!text) return;
    await applyUpdate(text).catch(() => {
      this.rulesInstalled = false;
      return this.applyRules();
    });
  }

  /** Fast path: refill the regular chains; the first time (or if someone removed the table) install it whole. */
  private async applyRules(): Promise<void> {
    const nets = this.networks.values();
    const sbs = this.sandboxes.all();
    if (this.rulesInstalled) {
      try {
        return await applyUpdate(renderUpdate(this.table, nets, sbs));
      } catch {
        this.rulesInstalled = false;
      }
    }
    await applyRuleset(this.table, renderRuleset(this.table, nets, sbs, this.tableComment));
    this.rulesInstalled = true;
  }

  private async syncDns(): Promise<void> {
    for (const n of this.networks.values()) if (n.dns && !this.dns.listening(n.id)) await this.dns.listen(n.id, n.gateway);
  }

  private defaultBridge(): string {
    return this.opts.defaultBridge ?? 'berth0';
  }

  /**
   * Removes the tables of other Berth daemons that are gone for good (table-owner.ts decides) and
   * the links tagged with their mark, except `keep` (a bridge we adopt). Tables without an owner
   * comment (an older Berth's) are left alone: nothing says whose they are.
   */
  private async sweepStale(keep: Set<string>): Promise<void> {
    const tables = await listTables('berth_').catch(() => [] as string[]);
    for (const t of tables) {
      if (t === this.table) continue;
      const owner = parseOwner(await listTable(t));
      if (!owner || !isStale(owner, await ownerFacts(owner))) continue;
      log.info('removing the nftables table and links of a berthd whose data root is gone', { table: t, stateDir: owner.stateDir });
      await deleteTable(t);
      await deleteLinks((await taggedLinks(`berth:${t.slice('berth_'.length)}`)).filter((l) => !keep.has(l)));
    }
  }

  /**
   * The default bridge's subnet and gateway: --bip when given; otherwise an existing bridge of
   * that name keeps its address (dockerd adopts docker0's), so a bridge a killed daemon left
   * behind stays consistent with the network record; otherwise a free pool (planBridge).
   */
  private async defaultBridgeAddress(): Promise<{ subnet?: string; gateway?: string }> {
    if (this.opts.defaultSubnet) return { subnet: this.opts.defaultSubnet, ...(this.opts.defaultGateway ? { gateway: this.opts.defaultGateway } : {}) };
    const existing = (await ipv4Addresses(this.defaultBridge()))[0];
    if (!existing) return {};
    const c = parseCidr(existing);
    if (c.prefix > 30) return {};
    return { subnet: formatCidr(c), gateway: existing.split('/')[0]! };
  }

  private async ensurePredefined(): Promise<void> {
    const has = (name: string) => this.networks.values().some((n) => n.name === name);
    for (const [name, driver] of [
      ['host', 'host'],
      ['none', 'null'],
    ] as const) {
      if (has(name)) continue;
      const r = blank(name, driver);
      await this.networks.put(r.id, { ...r, predefined: true });
    }
    if (!has('bridge')) {
      const rec = await this.planBridge({
        name: 'bridge',
        ...(await this.defaultBridgeAddress()),
        options: { [OPT_BRIDGE_NAME]: this.defaultBridge() },
      });
      await this.addBridge({ ...rec, dns: false, predefined: true });
    }
  }

  /**
   * planBridge + addBridge. A free pool is free only as far as the host's routes showed when it
   * was picked: another engine on this host (a second berthd, dockerd) may pick the same one at
   * the same moment, and then its gateway address is in use and the embedded DNS cannot bind it.
   * An automatically picked subnet is then picked again, skipping that one (a few times at most).
   */
  private async addPlannedBridge(req: CreateNetworkRequest): Promise<NetworkRecord> {
    const skip: Cidr[] = [];
    for (let attempt = 1; ; attempt++) {
      const plan = await this.planBridge(req, skip);
      try {
        return await this.addBridge(plan);
      } catch (e) {
        if (req.subnet || attempt >= 4 || errnoCode(e) !== 'EADDRINUSE') throw e;
        skip.push(parseCidr(plan.subnet));
      }
    }
  }

  /** Validates a bridge request and picks subnet/gateway (none of `skip`); no side effects. */
  private async planBridge(req: CreateNetworkRequest, skip: Cidr[] = []): Promise<NetworkRecord> {
    const others = this.networks
      .values()
      .filter((n) => n.subnet)
      .map((n) => parseCidr(n.subnet));
    let subnet: Cidr;
    if (req.subnet) {
      subnet = parseCidr(req.subnet);
      if (formatIp(parseCidr(req.subnet).base) !== req.subnet.split('/')[0])
        throw invalidArgument(`invalid subnet ${req.subnet}: it should be ${formatCidr(subnet)}`);
      if (subnet.prefix > 30) throw invalidArgument(`invalid subnet ${req.subnet}: too small`);
      if (others.some((o) => overlaps(o, subnet))) throw forbidden('Pool overlaps with other one on this address space');
    } else {
      const routes = await hostRoutes();
      let free: Cidr | undefined;
      for (const p of subnetsOf(this.opts.addressPools ?? [])) {
        if ([...others, ...skip].some((o) => overlaps(o, p)) || routes.some((r) => overlaps(r, p))) continue;
        free = p;
        break;
      }
      if (!free) throw forbidden('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
      subnet = free;
    }
    let gateway = formatIp(subnet.base + 1);
    if (req.gateway) {
      const g = parseIp(req.gateway);
      if (g === undefined || !contains(subnet, g)) throw invalidArgument(`no matching subnet for gateway ${req.gateway}`);
      gateway = req.gateway;
    }
    if (req.ipRange && !overlapsInside(parseCidr(req.ipRange), subnet)) throw invalidArgument(`no matching subnet for range ${req.ipRange}`);
    const id = newId();
    const options = req.options ?? {};
    const bridgeName = options[OPT_BRIDGE_NAME] || `br-${id.slice(0, 12)}`;
    if (bridgeName.length > 15 || !/^[a-zA-Z0-9_.-]+$/.test(bridgeName)) throw invalidArgument(`invalid bridge name ${bridgeName}`);
    if (this.networks.values().some((n) => n.bridgeName === bridgeName)) throw conflict(`bridge name ${bridgeName} is already used by another network`);
    const mtu = options[OPT_MTU] ? Number(options[OPT_MTU]) : (this.opts.mtu ?? 1500);
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw invalidArgument(`invalid MTU ${options[OPT_MTU]}`);
    return {
      ...blank(req.name, 'bridge'),
      id,
      subnet: formatCidr(subnet),
      gateway,
      ipRange: req.ipRange ? formatCidr(parseCidr(req.ipRange)) : '',
      internal: !!req.internal,
      attachable: !!req.attachable,
      labels: req.labels ?? {},
      options,
      bridgeName,
      mtu,
      dns: true,
    };
  }

  /** Record first, then pool, bridge, rules, DNS; any failure undoes all of it. */
  private async addBridge(rec: NetworkRecord): Promise<NetworkRecord> {
    await this.networks.put(rec.id, rec);
    try {
      await this.ipam.addPool(rec.id, rec);
      await ensureBridge(rec.bridgeName, `${rec.gateway}/${parseCidr(rec.subnet).prefix}`, rec.mtu, this.tag);
      await this.applyRules();
      if (rec.dns) await this.dns.listen(rec.id, rec.gateway);
      return structuredClone(rec);
    } catch (e) {
      await this.dns.close(rec.id);
      await deleteLinks([rec.bridgeName]);
      await this.networks.delete(rec.id);
      await this.ipam.removePool(rec.id);
      await this.applyRules().catch(() => {});
      throw e;
    }
  }
}

function newId(): string {
  return randomBytes(32).toString('hex');
}

function blank(name: string, driver: NetworkRecord['driver']): NetworkRecord {
  return {
    schemaVersion: 1,
    id: newId(),
    name,
    driver,
    subnet: '',
    gateway: '',
    ipRange: '',
    internal: false,
    attachable: false,
    labels: {},
    options: {},
    created: new Date().toISOString(),
    bridgeName: '',
    mtu: 0,
    dns: false,
    predefined: false,
  };
}

function overlapsInside(inner: Cidr, outer: Cidr): boolean {
  return inner.prefix >= outer.prefix && overlaps(inner, outer);
}

function notFoundPlugin(driver: string) {
  return invalidArgument(`plugin "${driver}" not found`);
}
