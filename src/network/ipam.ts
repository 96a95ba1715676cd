// IPv4 address management per network. Every allocation is on disk (atomic write) before it is
// returned, so an address is never handed out twice, also after kill -9 and restart. Dynamic
// allocation continues after the last address given out (as Docker does), so a just-released
// address is not reused at once and stale ARP/DNS entries do not point at a new container.
import { join } from 'node:path';
import { readdir, unlink } from 'node:fs/promises';
import { ensureDir, readJsonIfExists, writeJsonAtomic, isAtomicTempName } from '../lib/atomic-fs.js';
import { conflict, invalidArgument, errnoCode } from '../lib/errors.js';
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

export class Ipam {
  private readonly pools = new Map<string, PoolFile>();

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

  async removePool(networkId: string): Promise<void> {
    this.pools.delete(networkId);
    await unlink(join(this.dir, `${networkId}.json`)).catch((e) => {
      if (errnoCode(e) !== 'ENOENT') throw e;
    });
  }

  allocations(networkId: string): Record<string, string> {
    return { ...(this.pools.get(networkId)?.allocated ?? {}) };
  }

  /** Allocates `wanted` (static) or the next free address of the range. */
  async allocate(networkId: string, spec: PoolSpec, owner: string, wanted?: string): Promise<string> {
    const f = this.pool(networkId);
    const subnet = parseCidr(spec.subnet);
    if (wanted !== undefined) {
      const n = parseIp(wanted);
      if (n === undefined) throw invalidArgument(`invalid IPv4 address: ${wanted}`);
      if (!contains(subnet, n) || n === subnet.base || n === subnet.base + size(subnet) - 1)
        throw invalidArgument(`no configured subnet or ip-range contain the IP address ${wanted}`);
      if (f.allocated[wanted] !== undefined && f.allocated[wanted] !== owner) throw conflict('Address already in use');
      f.allocated[wanted] = owner;
      await this.save(networkId, f);
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
      await this.save(networkId, f);
      return ip;
    }
    throw conflict(`no available IPv4 addresses on this network's address pools: ${spec.subnet}`);
  }

  async release(networkId: string, ip: string, owner: string): Promise<void> {
    const f = this.pools.get(networkId);
    if (!f || f.allocated[ip] !== owner) return;
    delete f.allocated[ip];
    await this.save(networkId, f);
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

  private async save(networkId: string, f: PoolFile): Promise<void> {
    await writeJsonAtomic(join(this.dir, `${networkId}.json`), f);
    this.pools.set(networkId, f);
  }
}
