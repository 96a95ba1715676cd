// rtnetlink from this process (koffi FFI to libc): the few link, address and route requests a
// sandbox needs, without an `ip` exec per step (~3 ms each, far more on a loaded machine).
// A request is one message with NLM_F_ACK; the kernel handles it inside send() and queues the
// answer. That send waits for the kernel's rtnl lock and does the work (a veth pair takes
// milliseconds, much more while other namespaces on the machine are being made or destroyed),
// so it runs on koffi's worker thread, off the event loop; the answer is then already queued and
// read synchronously. One request at a time per socket: answers are matched by sequence number.
// Message layouts are the kernel's uapi (linux/netlink.h, linux/rtnetlink.h, linux/if_link.h,
// linux/veth.h), host byte order.
import { createRequire } from 'node:module';
import { errnoError } from '../lib/libc.js';
import { parseIp } from './subnet.js';

type Fn = (...args: unknown[]) => number;
type KoffiFn = Fn & { async(...args: unknown[]): void };
export interface NetlinkSys {
  socket: Fn;
  /** send(2) on koffi's worker thread; resolves to its return value (errno is that thread's, so unread). */
  sendAsync(fd: number, buf: Buffer, len: number, flags: number): Promise<number>;
  recv: Fn;
  close: Fn;
  setsockopt: Fn;
  unshare: Fn;
  setns: Fn;
  errno: () => number;
}

let sys: NetlinkSys | null | undefined;

/** libc through koffi, or null when it cannot be loaded (callers then use `ip`). */
export function netlinkSys(): NetlinkSys | null {
  if (sys !== undefined) return sys;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as { load(p: string): { func(d: string): KoffiFn }; errno(): number };
    const c = koffi.load('libc.so.6');
    const send = c.func('long send(int fd, const void *buf, size_t len, int flags)');
    sys = {
      socket: c.func('int socket(int domain, int type, int protocol)'),
      sendAsync: (fd, buf, len, flags) =>
        new Promise((resolve, reject) => send.async(fd, buf, len, flags, (err: unknown, r: unknown) => (err ? reject(err) : resolve(Number(r))))),
      recv: c.func('long recv(int fd, _Out_ void *buf, size_t len, int flags)'),
      close: c.func('int close(int fd)'),
      setsockopt: c.func('int setsockopt(int fd, int level, int name, const void *val, uint32_t len)'),
      unshare: c.func('int unshare(int flags)'),
      setns: c.func('int setns(int fd, int nstype)'),
      errno: () => koffi.errno(),
    };
  } catch {
    sys = null;
  }
  return sys;
}

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_ROUTE = 0;
const SOL_SOCKET = 1;
const SO_RCVTIMEO = 20;
const NLM_F_REQUEST = 1;
const NLM_F_ACK = 4;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;
const NLMSG_ERROR = 2;
const RTM_NEWLINK = 16;
const RTM_GETLINK = 18;
const RTM_NEWADDR = 20;
const RTM_NEWROUTE = 24;
const IFF_UP = 1;
const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_MASTER = 10;
const IFLA_LINKINFO = 18;
const IFLA_IFALIAS = 20;
const IFLA_NET_NS_FD = 28;
const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const IFLA_INFO_SLAVE_KIND = 4;
const IFLA_INFO_SLAVE_DATA = 5;
const IFLA_BRPORT_MODE = 4; // hairpin
const VETH_INFO_PEER = 1;
const AF_INET = 2;
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const RTA_OIF = 4;
const RTA_GATEWAY = 5;
const RT_TABLE_MAIN = 254;
const RTPROT_BOOT = 3;
const RTN_UNICAST = 1;

const align4 = (n: number) => (n + 3) & ~3;

function attr(type: number, payload: Buffer): Buffer {
  const b = Buffer.alloc(align4(4 + payload.length));
  b.writeUInt16LE(4 + payload.length, 0);
  b.writeUInt16LE(type, 2);
  payload.copy(b, 4);
  return b;
}
const nest = (type: number, ...attrs: Buffer[]) => attr(type, Buffer.concat(attrs));
const str = (type: number, s: string) => attr(type, Buffer.from(s + '\0'));
const u8 = (type: number, v: number) => attr(type, Buffer.from([v]));
function u32(type: number, v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return attr(type, b);
}
function ipv4(type: number, ip: string): Buffer {
  const n = parseIp(ip);
  if (n === undefined) throw new Error(`bad IPv4 address ${ip}`);
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return attr(type, b);
}
function mac(type: number, m: string): Buffer {
  return attr(type, Buffer.from(m.split(':').map((x) => parseInt(x, 16))));
}

/** struct ifinfomsg: family, type, index, flags, change. */
function ifinfo(index = 0, up = false): Buffer {
  const b = Buffer.alloc(16);
  b.writeInt32LE(index, 4);
  b.writeUInt32LE(up ? IFF_UP : 0, 8);
  b.writeUInt32LE(up ? IFF_UP : 0, 12);
  return b;
}

/** One rtnetlink socket (in the namespace of the thread that opened it, for its whole life). */
export class Rtnl {
  private seq = 0;
  private readonly buf = Buffer.alloc(32768);
  /** The request in flight: the next waits for it (one socket, answers read in order). */
  private turn: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly s: NetlinkSys,
    private readonly fd: number,
  ) {}

  /** Opens a socket in the calling thread's current network namespace. */
  static open(s: NetlinkSys): Rtnl {
    const fd = s.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) throw errnoError(s.errno(), 'socket');
    // Never hang the daemon on a kernel that does not answer: recv gives up after 5 s.
    const tv = Buffer.alloc(16);
    tv.writeBigInt64LE(5n, 0);
    s.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, 16);
    return new Rtnl(s, fd);
  }

  close(): void {
    this.s.close(this.fd);
  }

  /** Sends one request and waits for its ack; returns the non-ack answers (for GET). */
  request(type: number, flags: number, body: Buffer[], what: string): Promise<Buffer[]> {
    const done = this.turn.then(() => this.exchange(type, flags, body, what));
    this.turn = done.catch(() => {});
    return done;
  }

  private async exchange(type: number, flags: number, body: Buffer[], what: string): Promise<Buffer[]> {
    const seq = ++this.seq;
    const payload = Buffer.concat(body);
    const hdr = Buffer.alloc(16);
    hdr.writeUInt32LE(16 + payload.length, 0);
    hdr.writeUInt16LE(type, 4);
    hdr.writeUInt16LE(flags | NLM_F_REQUEST | NLM_F_ACK, 6);
    hdr.writeUInt32LE(seq, 8);
    const msg = Buffer.concat([hdr, payload]);
    if ((await this.s.sendAsync(this.fd, msg, msg.length, 0)) < 0) throw new Error(`netlink send (${what}) failed`);
    const answers: Buffer[] = [];
    for (;;) {
      const n = this.s.recv(this.fd, this.buf, this.buf.length, 0);
      if (n < 0) throw errnoError(this.s.errno(), `netlink recv (${what})`);
      for (let off = 0; off + 16 <= n; ) {
        const len = this.buf.readUInt32LE(off);
        if (len < 16) break;
        const mtype = this.buf.readUInt16LE(off + 4);
        if (this.buf.readUInt32LE(off + 8) === seq) {
          if (mtype === NLMSG_ERROR) {
            const err = this.buf.readInt32LE(off + 16);
            if (err < 0) throw errnoError(-err, what);
            return answers;
          }
          answers.push(Buffer.from(this.buf.subarray(off, off + len)));
        }
        off += align4(len);
      }
    }
  }

  /** ifindex of a link by name in this socket's namespace. */
  async linkIndex(name: string): Promise<number> {
    const [m] = await this.request(RTM_GETLINK, 0, [ifinfo(), str(IFLA_IFNAME, name)], `link get ${name}`);
    if (!m) throw new Error(`no answer for link ${name}`);
    return m.readInt32LE(16 + 4);
  }

  async setUp(index: number, what: string): Promise<void> {
    await this.request(RTM_NEWLINK, 0, [ifinfo(index, true)], what);
  }

  /**
   * A veth pair: `host` here (up, in `master`), `peer` (down, with MAC and MTU) in the
   * namespace `peerNsFd`. Both ends go when either namespace goes.
   */
  async addVeth(o: { host: string; master: number; mtu: number; peer: string; peerMac: string; peerNsFd: number }): Promise<void> {
    // The peer cannot be created up: the kernel configures it before the pair is linked (ENOTCONN).
    const peer = Buffer.concat([ifinfo(), str(IFLA_IFNAME, o.peer), u32(IFLA_MTU, o.mtu), mac(IFLA_ADDRESS, o.peerMac), u32(IFLA_NET_NS_FD, o.peerNsFd)]);
    const info = nest(IFLA_LINKINFO, str(IFLA_INFO_KIND, 'veth'), nest(IFLA_INFO_DATA, attr(VETH_INFO_PEER, peer)));
    await this.request(
      RTM_NEWLINK,
      NLM_F_CREATE | NLM_F_EXCL,
      [ifinfo(0, true), str(IFLA_IFNAME, o.host), u32(IFLA_MTU, o.mtu), u32(IFLA_MASTER, o.master), info],
      `veth ${o.host}`,
    );
  }

  /** ifalias tag and hairpin mode of a bridge port (`ip link set dev X alias T type bridge_slave hairpin on`). */
  async tagBridgePort(name: string, alias: string): Promise<void> {
    const info = nest(IFLA_LINKINFO, str(IFLA_INFO_SLAVE_KIND, 'bridge'), nest(IFLA_INFO_SLAVE_DATA, u8(IFLA_BRPORT_MODE, 1)));
    await this.request(RTM_NEWLINK, 0, [ifinfo(), str(IFLA_IFNAME, name), str(IFLA_IFALIAS, alias), info], `bridge port ${name}`);
  }

  async addAddress(index: number, ip: string, prefixLen: number): Promise<void> {
    const m = Buffer.alloc(8);
    m.writeUInt8(AF_INET, 0);
    m.writeUInt8(prefixLen, 1);
    m.writeUInt32LE(index, 4);
    await this.request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, [m, ipv4(IFA_LOCAL, ip), ipv4(IFA_ADDRESS, ip)], `address ${ip}/${prefixLen}`);
  }

  async addDefaultRoute(index: number, gateway: string): Promise<void> {
    const m = Buffer.from([AF_INET, 0, 0, 0, RT_TABLE_MAIN, RTPROT_BOOT, 0, RTN_UNICAST, 0, 0, 0, 0]);
    await this.request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, [m, ipv4(RTA_GATEWAY, gateway), u32(RTA_OIF, index)], `default route via ${gateway}`);
  }
}
