// Byte-level DNS helpers the embedded DNS needs beyond dns-packet: how large a UDP reply a client
// accepts, and the truncated reply (TC bit) that makes it retry over TCP. Forwarded replies are
// relayed verbatim and may hold records dns-packet cannot decode, so truncation never decodes them.
import type dnsPacket from 'dns-packet';

/** Every DNS client accepts this over UDP (RFC 1035 4.2.1). */
export const MIN_UDP = 512;
/** The largest UDP reply the embedded DNS sends, whatever a client's EDNS0 record advertises. */
export const MAX_UDP = 4096;
/** A TCP message carries a 16-bit length. */
export const MAX_TCP = 65535;
const HEADER = 12;
const TC = 0x02; // the TC bit, in the third byte of the header
const QR = 0x80; // the QR bit (a response), in the third byte

/** The UDP reply size a query allows: 512, or its EDNS0 payload size (RFC 6891 6.2.5), capped. */
export function udpLimit(q: dnsPacket.DecodedPacket): number {
  const opt = q.additionals?.find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;
  return Math.min(MAX_UDP, Math.max(MIN_UDP, opt?.udpPayloadSize ?? MIN_UDP));
}

export function hasEdns(q: dnsPacket.DecodedPacket): boolean {
  return !!q.additionals?.some((a) => a.type === 'OPT');
}

/** The reply if it fits in `limit` bytes, else the truncated reply to `query`. */
export function fit(reply: Buffer, query: Buffer, limit: number, edns: boolean): Buffer {
  return reply.length <= limit ? reply : truncate(reply, query, edns);
}

/**
 * What a server sends when the answer does not fit: the reply's header with TC set, the query's
 * questions and no records, so the client asks again over TCP. A query with EDNS0 gets an OPT
 * record back, as RFC 6891 7 requires of responders.
 */
export function truncate(reply: Buffer, query: Buffer, edns: boolean): Buffer {
  let qdcount = query.readUInt16BE(4);
  let end = questionsEnd(query, qdcount);
  if (end === undefined) [qdcount, end] = [0, HEADER];
  const opt = edns ? optRecord() : Buffer.alloc(0);
  const out = Buffer.alloc(end + opt.length);
  reply.copy(out, 0, 0, 4); // id and flags (opcode, AA, RD, RA, rcode) as the answerer set them
  out[2] = out[2]! | TC | QR;
  out.writeUInt16BE(qdcount, 4);
  out.writeUInt16BE(edns ? 1 : 0, 10);
  query.copy(out, HEADER, HEADER, end);
  opt.copy(out, end);
  return out;
}

/** A minimal OPT pseudo-record: root name, type 41, our UDP payload size, no options. */
function optRecord(): Buffer {
  const b = Buffer.alloc(11);
  b.writeUInt16BE(41, 1);
  b.writeUInt16BE(MAX_UDP, 3);
  return b;
}

/** The offset after the question section, or undefined if the message is malformed. */
export function questionsEnd(msg: Buffer, count: number): number | undefined {
  let at = HEADER;
  for (let i = 0; i < count; i++) {
    for (;;) {
      if (at >= msg.length) return undefined;
      const len = msg[at]!;
      if (len === 0) {
        at += 1;
        break;
      }
      if ((len & 0xc0) === 0xc0) {
        at += 2;
        break;
      }
      if (len & 0xc0) return undefined; // reserved label types
      at += 1 + len;
    }
    at += 4; // type, class
  }
  return at <= msg.length ? at : undefined;
}

/** True if `reply` is a response to `query` (same id, QR set, a whole header). */
export function answers(reply: Buffer, query: Buffer): boolean {
  return reply.length >= HEADER && reply.readUInt16BE(0) === query.readUInt16BE(0) && (reply[2]! & QR) !== 0;
}
