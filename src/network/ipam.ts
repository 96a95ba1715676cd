// IPv4 address management per network. Every allocation is on disk (atomic write) before it is
// returned, so an address is never handed out twice, also after kill -9 and restart. Dynamic
// allocation continues after the last address given out (as Docker does), so a just-released
// address is not reused at once and stale ARP/DNS entries do not point at a new container.
//
// `lazy` changes (a container's start and exit) are written in the background, one write per
// pool at a time: the sandbox record is what makes a lease durable, and recovery claims the
// leases of kept sandboxes again (claim) and drops the rest (releaseUnless). A lost lazy write
// can only make the rotation start a little earlier.
import { join } from 'node:path';
import { readdir, unlink } from 'node:fs/promises';
import { ensureDir, readJsonIfExists, writeJsonAtomic, isAtomicTempName } from '../lib/atomic-fs.js';
import { conflict, invalidArgument, errnoCode, messageOf } from '../lib/errors.js';
import { log } from '../lib/log.js';
import { contains, formatIp, parseCidr, parseIp, size, type Cidr } from './subnet.js';

interface PoolFile {
  /** ip -> owner (container id, or 'gateway'). */
  allocated: Record<string, string>;
  last: number;
}

export interface PoolSpec {
  subnet: string;
  gateway: string;
  ipRange: string;
}

export interface WriteOptions {
  /** Return before the pool file is written (see the top of this file). */
  lazy?: boolean;
}

export class Ipam {
  private readonly pools = new Map<string, PoolFile>();
  /** Pools whose file is behind memory, and the writer draining them (one per pool). */
  private readonly dirty = new Set<string>();
  private readonly writers = new Map<string, Promise<void>>();

  private constructor(private readonly dir: string) {}

  static async open(dir: string): Promise<Ipam> {
    await ensureDir(dir);
    const ipam = new Ipam(dir);
    for (const name of await readdir(dir)) {
      if (isAtomicTempName(name)) await unlink(join(dir, name)).catch(() => {});
      else if (name.endsWith('.json')) {
        const f = await readJsonIfExists<PoolFile>(join(dir, name));
        if (f) ipam.pools.set(name.slice(0, -5), f);
      }
    }
    return ipam;
  }

  /** Creates the pool for a network with its gateway reserved. */
  async addPool(networkId: string, spec: PoolSpec): Promise<void> {
    const f: PoolFile = { allocated: {}, last: 0 };
    if (spec.gateway) f.allocated[spec.gateway] = 'gateway';
    await this.save(networkId, f);
  }

  hasPool(networkId: string): boolean {
    return this.pools.has(networkId);
  }

  async removePool(networkId: string): Promise<void> {
    this.pools.delete(networkId);
    await this.writers.get(networkId); // a background write must not bring the file back
    await unlink(join(this.dir, `${networkId}.json`)).catch((e) => {
      if (errnoCode(e) !== 'ENOENT') throw e;
    });
  }

  allocations(networkId: string): Record<string, string> {
    return { ...(this.pools.get(networkId)?.allocated ?? {}) };
  }

  /** Allocates `wanted` (static) or the next free address of the range. */
  async allocate(networkId: string, spec: PoolSpec, owner: string, wanted?: string, opts: WriteOptions = {}): Promise<string> {
    const f = this.pool(networkId);
    const subnet = parseCidr(spec.subnet);
    if (wanted !== undefined) {
      const n = parseIp(wanted);
      if (n === undefined) throw invalidArgument(`invalid IPv4 address: ${wanted}`);
      if (!contains(subnet, n) || n === subnet.base || n === subnet.base + size(subnet) - 1)
        throw invalidArgument(`no configured subnet or ip-range contain the IP address ${wanted}`);
      if (f.allocated[wanted] !== undefined && f.allocated[wanted] !== owner) throw conflict('Address already in use');
      f.allocated[wanted] = owner;
      await this.save(networkId, f, opts);
      return wanted;
    }
    const range: Cidr = spec.ipRange ? parseCidr(spec.ipRange) : subnet;
    const first = Math.max(range.base, subnet.base + 1);
    const end = Math.min(range.base + size(range), subnet.base + size(subnet) - 1); // exclusive; skips broadcast
    const span = end - first;
    const start = f.last >= first && f.last < end ? f.last + 1 - first : 0;
    for (let i = 0; i < span; i++) {
      const n = first + ((start + i) % span);
      const ip = formatIp(n);
      if (f.allocated[ip] !== undefined) continue;
      f.allocated[ip] = owner;
      f.last = n;
      await this.save(networkId, f, opts);
      return ip;
    }
    throw conflict(`no available IPv4 addresses on this network's address pools: ${spec.subnet}`);
  }

  async release(networkId: string, ip: string, owner: string, opts: WriteOptions = {}): Promise<void> {
    const f = this.pools.get(networkId);
    if (!f || f.allocated[ip] !== owner) return;
    delete f.allocated[ip];
    await this.save(networkId, f, opts);
  }

  /** Recovery: makes sure `owner` holds `ip` (its lease may have been a lost lazy write). False if another owner has it. */
  async claim(networkId: string, ip: string, owner: string): Promise<boolean> {
    const f = this.pools.get(networkId);
    if (!f) return false;
    const holder = f.allocated[ip];
    if (holder === owner) return true;
    if (holder !== undefined) return false;
    f.allocated[ip] = owner;
    await this.save(networkId, f);
    return true;
  }

  /** Resolves when every lazy write is on disk. */
  async flush(): Promise<void> {
    while (this.writers.size) await Promise.allSettled(this.writers.values());
  }

  /** Drops every address held by owners for which `alive` is false (recovery). */
  async releaseUnless(alive: (owner: string) => boolean): Promise<void> {
    for (const [id, f] of this.pools) {
      const dead = Object.entries(f.allocated).filter(([, o]) => o !== 'gateway' && !alive(o));
      if (dead.length === 0) continue;
      for (const [ip] of dead) delete f.allocated[ip];
      await this.save(id, f);
    }
  }

  private pool(networkId: string): PoolFile {
    const f = this.pools.get(networkId);
    if (!f) throw invalidArgument(`network ${networkId} has no IPv4 address pool`);
    return f;
  }

  private async save(networkId: string, f: PoolFile, opts: WriteOptions = {}): Promise<void> {
    this.pools.set(networkId, f);
    this.dirty.add(networkId);
    let w = this.writers.get(networkId);
    if (!w) {
      w = this.drain(networkId).finally(() => this.writers.delete(networkId));
      this.writers.set(networkId, w);
    }
    if (opts.lazy) w.catch((e) => log.warn('writing an IPAM pool', { networkId, error: messageOf(e) }));
    else await w;
  }

  /** Writes the pool until the file matches memory; a change during a write makes one more. */
  private async drain(networkId: string): Promise<void> {
    while (this.dirty.delete(networkId)) {
      const f = this.pools.get(networkId);
      if (f) await writeJsonAtomic(join(this.dir, `${networkId}.json`), f);
    }
  }
}
