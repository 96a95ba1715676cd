// Relays a query verbatim to upstream resolvers, over the transport the client used (as Docker's
// embedded DNS does): a UDP client that gets a truncated answer retries over TCP, and then the
// upstream is asked over TCP too. Each upstream gets a bounded time; the first valid reply wins.
import { createSocket } from 'node:dgram';
import { connect, isIPv6 } from 'node:net';
import { answers } from './dns-wire.js';

export type Transport = 'udp' | 'tcp';
export const UPSTREAM_TIMEOUT_MS = 3000;

/** "1.2.3.4", "1.2.3.4:5353", "2001:db8::1" or "[2001:db8::1]:5353". */
export function parseUpstream(ns: string): { host: string; port: number } | undefined {
  const m = /^(\d+\.\d+\.\d+\.\d+)(?::(\d+))?$/.exec(ns) ?? /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(ns);
  const host = m?.[1] ?? (isIPv6(ns) ? ns : undefined);
  const port = Number(m?.[2] ?? 53);
  if (!host || !(port >= 1 && port <= 65535)) return undefined;
  return { host, port };
}

/** Asks each resolver in turn; undefined if none answers in time. */
export async function forward(msg: Buffer, upstreams: string[], transport: Transport, timeoutMs = UPSTREAM_TIMEOUT_MS): Promise<Buffer | undefined> {
  for (const ns of upstreams) {
    const to = parseUpstream(ns);
    if (!to) continue;
    const reply = await (transport === 'tcp' ? askTcp : askUdp)(msg, to.host, to.port, timeoutMs);
    if (reply) return reply;
  }
  return undefined;
}

function askUdp(msg: Buffer, host: string, port: number, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const c = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    const done = (b?: Buffer) => {
      clearTimeout(t);
      c.close();
      resolve(b);
    };
    const t = setTimeout(() => done(), timeoutMs);
    c.on('error', () => done());
    // Only the resolver's own reply to this query counts: anything else on the port is ignored.
    c.on('message', (b, r) => {
      if (r.address === host && r.port === port && answers(b, msg)) done(b);
    });
    c.send(msg, port, host);
  });
}

function askTcp(msg: Buffer, host: string, port: number, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    let buf = Buffer.alloc(0);
    let settled = false;
    const done = (b?: Buffer) => {
      if (settled) return;
      settled = true;
      clearTimeout(t);
      s.destroy();
      resolve(b);
    };
    const t = setTimeout(() => done(), timeoutMs);
    s.on('error', () => done());
    s.on('close', () => done());
    s.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      // One reply is read; its 16-bit length bounds what is kept (MAX_TCP).
      if (buf.length < 2) return;
      const len = buf.readUInt16BE(0);
      if (buf.length < 2 + len) return;
      const reply = buf.subarray(2, 2 + len);
      done(answers(reply, msg) ? Buffer.from(reply) : undefined);
    });
    s.setNoDelay(true);
    s.write(frame(msg));
  });
}

/** The TCP form of a DNS message: a 2-byte big-endian length, then the message. */
export function frame(msg: Buffer): Buffer {
  const b = Buffer.alloc(2 + msg.length);
  b.writeUInt16BE(msg.length, 0);
  msg.copy(b, 2);
  return b;
}
