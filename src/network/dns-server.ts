// The embedded DNS of user-defined networks: one UDP socket per network on its gateway address.
// Names of containers on that network (name, aliases, short id) are answered from memory; the
// rest is forwarded to the host's resolvers. It lives in berthd, as Docker's embedded DNS lives
// in dockerd: while berthd is down, names do not resolve; recover() binds the sockets again.
// Because it listens in the host namespace, loopback resolvers of the host (systemd-resolved's
// 127.0.0.53) work as upstreams, which they would not from inside a container.
import { createSocket, type Socket, type RemoteInfo } from 'node:dgram';
import { readFileSync } from 'node:fs';
import dnsPacket from 'dns-packet';
import { log } from '../lib/log.js';

/** Answers a name on one network: IPv4 addresses, or undefined if unknown. */
export type NameLookup = (networkId: string, name: string) => string[] | undefined;
/** The resolvers a querying container chose (`run --dns`), by network and source address. */
export type UpstreamLookup = (networkId: string, sourceIp: string) => string[] | undefined;

const SERVFAIL = 2;
const NXDOMAIN = 3;
const UPSTREAM_TIMEOUT_MS = 3000;

export function hostResolvers(file = '/etc/resolv.conf'): string[] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .map((l) => /^\s*nameserver\s+(\d+\.\d+\.\d+\.\d+)\s*$/.exec(l)?.[1])
      .filter((x): x is string => !!x);
  } catch {
    return [];
  }
}

export class EmbeddedDns {
  private readonly sockets = new Map<string, Socket>();

  constructor(
    private readonly lookup: NameLookup,
    private readonly port = 53,
    private readonly upstreams: () => string[] = () => hostResolvers(),
    private readonly containerUpstreams: UpstreamLookup = () => undefined,
  ) {}

  listening(networkId: string): boolean {
    return this.sockets.has(networkId);
  }

  async listen(networkId: string, address: string): Promise<void> {
    if (this.sockets.has(networkId)) return;
    const s = createSocket({ type: 'udp4', reuseAddr: false });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(this.port, address, () => {
        s.off('error', reject);
        resolve();
      });
    });
    s.on('error', (e) => log.warn('dns socket error', { networkId, error: String(e) }));
    s.on('message', (msg, rinfo) => void this.answer(networkId, s, msg, rinfo).catch(() => {}));
    this.sockets.set(networkId, s);
  }

  async close(networkId: string): Promise<void> {
    const s = this.sockets.get(networkId);
    this.sockets.delete(networkId);
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.sockets.keys()].map((id) => this.close(id)));
  }

  private async answer(networkId: string, s: Socket, msg: Buffer, rinfo: RemoteInfo): Promise<void> {
    let q: dnsPacket.DecodedPacket;
    try {
      q = dnsPacket.decode(msg);
    } catch {
      return; // not DNS: drop
    }
    const question = q.questions?.[0];
    if (q.type !== 'query' || !question) return;
    const name = question.name.replace(/\.$/, '').toLowerCase();
    const ips = this.lookup(networkId, name);
    if (ips) {
      const answers: dnsPacket.Answer[] = question.type === 'A' || (question.type as string) === 'ANY' ? ips.map((ip) => ({ type: 'A', name: question.name, ttl: 600, data: ip })) : [];
      this.send(s, rinfo, { type: 'response', id: q.id, flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_AVAILABLE | ((q.flags ?? 0) & dnsPacket.RECURSION_DESIRED), questions: q.questions, answers });
      return;
    }
    // As Docker's embedded DNS: a container's own --dns servers come first, else the daemon's.
    const upstreams = this.containerUpstreams(networkId, rinfo.address) ?? this.upstreams();
    const reply = await this.forward(msg, upstreams);
    if (reply) s.send(reply, rinfo.port, rinfo.address);
    else this.send(s, rinfo, { type: 'response', id: q.id, flags: dnsPacket.RECURSION_AVAILABLE | (upstreams.length ? SERVFAIL : NXDOMAIN), questions: q.questions });
  }

  private send(s: Socket, rinfo: RemoteInfo, p: dnsPacket.Packet): void {
    s.send(dnsPacket.encode(p), rinfo.port, rinfo.address);
  }

  /** Relays the query verbatim to each resolver in turn; undefined if none answers. */
  private async forward(msg: Buffer, upstreams: string[]): Promise<Buffer | undefined> {
    for (const ns of upstreams) {
      const reply = await new Promise<Buffer | undefined>((resolve) => {
        const c = createSocket('udp4');
        const done = (b?: Buffer) => {
          clearTimeout(t);
          c.close();
          resolve(b);
        };
        const t = setTimeout(() => done(), UPSTREAM_TIMEOUT_MS);
        c.on('error', () => done());
        c.on('message', (b) => done(b));
        const [host, port = '53'] = ns.split(':');
        c.send(msg, Number(port), host);
      });
      if (reply) return reply;
    }
    return undefined;
  }
}
