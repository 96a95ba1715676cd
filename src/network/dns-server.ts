// The embedded DNS of user-defined networks: a UDP socket and a TCP listener per network on its
// gateway address, port 53. Names of containers on that network (name, aliases, short id) are
// answered from memory; the rest is forwarded to the host's resolvers over the client's transport.
// A UDP reply larger than the client accepts is truncated (TC) so the client asks again over TCP.
// It lives in berthd, as Docker's embedded DNS lives in dockerd: while berthd is down, names do
// not resolve; recover() binds the sockets again.
// Because it listens in the host namespace, loopback resolvers of the host (systemd-resolved's
// 127.0.0.53) work as upstreams, which they would not from inside a container.
import { createSocket, type Socket, type RemoteInfo } from 'node:dgram';
import { readFileSync } from 'node:fs';
import dnsPacket from 'dns-packet';
import { log } from '../lib/log.js';
import { DnsTcpServer, type DnsTcpLimits } from './dns-tcp.js';
import { forward, type Transport } from './dns-forward.js';
import { fit, hasEdns, udpLimit, MAX_TCP, MAX_UDP } from './dns-wire.js';

/** Answers a name on one network as the container at `sourceIp` sees it (its link aliases apply): IPv4 addresses, or undefined if unknown. */
export type NameLookup = (networkId: string, name: string, sourceIp: string) => string[] | undefined;
/** The resolvers a querying container chose (`run --dns`), by network and source address. */
export type UpstreamLookup = (networkId: string, sourceIp: string) => string[] | undefined;

const SERVFAIL = 2;
const NXDOMAIN = 3;

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
  private readonly tcp = new Map<string, DnsTcpServer>();
  /** Limits of the TCP listeners (tests lower them). */
  tcpLimits: Partial<DnsTcpLimits> = {};

  constructor(
    private readonly lookup: NameLookup,
    private readonly port = 53,
    private readonly upstreams: () => string[] = () => hostResolvers(),
    private readonly containerUpstreams: UpstreamLookup = () => undefined,
  ) {}

  listening(networkId: string): boolean {
    return this.sockets.has(networkId);
  }

  /** Binds UDP and TCP on address:port; both or neither. */
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
    let tcp: DnsTcpServer;
    try {
      tcp = await DnsTcpServer.listen(address, this.port, (msg, from) => this.respond(networkId, msg, from, 'tcp'), this.tcpLimits);
    } catch (e) {
      await new Promise<void>((r) => s.close(() => r()));
      throw e;
    }
    s.on('error', (e) => log.warn('dns socket error', { networkId, error: String(e) }));
    s.on('message', (msg, rinfo) => void this.answerUdp(networkId, s, msg, rinfo).catch(() => {}));
    this.sockets.set(networkId, s);
    this.tcp.set(networkId, tcp);
  }

  async close(networkId: string): Promise<void> {
    const s = this.sockets.get(networkId);
    const tcp = this.tcp.get(networkId);
    this.sockets.delete(networkId);
    this.tcp.delete(networkId);
    await Promise.all([s && new Promise<void>((r) => s.close(() => r())), tcp?.close()]);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.sockets.keys()].map((id) => this.close(id)));
  }

  private async answerUdp(networkId: string, s: Socket, msg: Buffer, rinfo: RemoteInfo): Promise<void> {
    const reply = await this.respond(networkId, msg, rinfo.address, 'udp');
    if (reply) s.send(reply, rinfo.port, rinfo.address);
  }

  /** The reply to one query, sized for the transport; undefined for what is not a query (dropped). */
  private async respond(networkId: string, msg: Buffer, sourceIp: string, transport: Transport): Promise<Buffer | undefined> {
    let q: dnsPacket.DecodedPacket;
    try {
      q = dnsPacket.decode(msg);
    } catch {
      return undefined; // not DNS
    }
    const question = q.questions?.[0];
    if (q.type !== 'query' || !question) return undefined;
    const edns = hasEdns(q);
    const limit = transport === 'udp' ? udpLimit(q) : MAX_TCP;
    // A reply to a query with EDNS0 carries an OPT record (RFC 6891 7).
    const opt: dnsPacket.Answer[] = edns ? [{ type: 'OPT', name: '.', udpPayloadSize: MAX_UDP, flags: 0, options: [] } as unknown as dnsPacket.Answer] : [];
    const name = question.name.replace(/\.$/, '').toLowerCase();
    const ips = this.lookup(networkId, name, sourceIp);
    if (ips) {
      const answers: dnsPacket.Answer[] =
        question.type === 'A' || (question.type as string) === 'ANY' ? ips.map((ip) => ({ type: 'A', name: question.name, ttl: 600, data: ip })) : [];
      const reply = dnsPacket.encode({
        type: 'response',
        id: q.id,
        flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_AVAILABLE | ((q.flags ?? 0) & dnsPacket.RECURSION_DESIRED),
        questions: q.questions,
        answers,
        additionals: opt,
      });
      return fit(reply, msg, limit, edns);
    }
    // As Docker's embedded DNS: a container's own --dns servers come first, else the daemon's.
    const upstreams = this.containerUpstreams(networkId, sourceIp) ?? this.upstreams();
    const reply = await forward(msg, upstreams, transport);
    if (reply) return fit(reply, msg, limit, edns);
    return dnsPacket.encode({
      type: 'response',
      id: q.id,
      flags: dnsPacket.RECURSION_AVAILABLE | (upstreams.length ? SERVFAIL : NXDOMAIN),
      questions: q.questions,
      additionals: opt,
    });
  }
}
