// DNS over TCP for the embedded DNS (RFC 1035 4.2.2, RFC 7766): each message has a 2-byte
// big-endian length; a client may send several queries on one connection, without waiting
// (pipelining), and replies go out as they are ready, matched by id. Clients are treated as
// hostile: a length too short for a header or a message that is not a DNS query closes the
// connection, a connection that completes no query within the idle time is closed (so trickling
// bytes does not hold it open), queries per connection and in flight are capped, and at the
// connection limit the longest-idle connection makes room for a new one.
import { createServer, type Server, type Socket } from 'node:net';
import { frame } from './dns-forward.js';

/** Answers one query; undefined means "not a query we answer": the connection is closed. */
export type DnsHandler = (msg: Buffer, remoteAddress: string) => Promise<Buffer | undefined>;

export interface DnsTcpLimits {
  /** Open connections per listener. */
  maxConnections: number;
  /** Time without a complete query (and nothing in flight) before the connection is closed. */
  idleMs: number;
  /** Queries read from one connection; after that it is ended once the replies are out. */
  maxQueries: number;
  /** Queries of one connection being answered at once; reading pauses beyond it. */
  maxInFlight: number;
}

export const DEFAULT_TCP_LIMITS: DnsTcpLimits = { maxConnections: 64, idleMs: 10_000, maxQueries: 100, maxInFlight: 16 };
const HEADER = 12;

export class DnsTcpServer {
  private readonly conns = new Set<Connection>();

  private constructor(
    private readonly server: Server,
    private readonly handler: DnsHandler,
    private readonly limits: DnsTcpLimits,
  ) {
    server.on('connection', (s) => this.accept(s));
    server.on('error', () => {}); // after listen, errors are per connection
  }

  static async listen(address: string, port: number, handler: DnsHandler, limits: Partial<DnsTcpLimits> = {}): Promise<DnsTcpServer> {
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: address, port, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new DnsTcpServer(server, handler, { ...DEFAULT_TCP_LIMITS, ...limits });
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  get connections(): number {
    return this.conns.size;
  }

  /** Stops listening and drops every connection (queries in flight are abandoned). */
  async close(): Promise<void> {
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    for (const c of this.conns) c.destroy();
    await closed;
  }

  private accept(s: Socket): void {
    if (this.conns.size >= this.limits.maxConnections) {
      let oldest: Connection | undefined;
      for (const c of this.conns) if (c.idle && (!oldest || c.lastActive < oldest.lastActive)) oldest = c;
      if (!oldest) return void s.destroy();
      oldest.destroy();
    }
    const c = new Connection(s, this.handler, this.limits, () => this.conns.delete(c));
    this.conns.add(c);
  }
}

class Connection {
  private buf: Buffer = Buffer.alloc(0);
  private queries = 0;
  private inFlight = 0;
  private full = false; // the query limit was reached: read nothing more
  private ended = false; // the client sent FIN: answer what came, then end
  private timer: NodeJS.Timeout | undefined;
  lastActive = Date.now();

  constructor(
    private readonly s: Socket,
    private readonly handler: DnsHandler,
    private readonly limits: DnsTcpLimits,
    onClose: () => void,
  ) {
    s.setNoDelay(true);
    s.on('data', (chunk: Buffer) => {
      if (this.full) return;
      this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
      this.pump();
    });
    s.on('end', () => {
      this.ended = true;
      this.pump();
    });
    s.on('error', () => s.destroy());
    s.on('close', () => {
      clearTimeout(this.timer);
      onClose();
    });
    this.arm();
    s.resume();
  }

  get idle(): boolean {
    return this.inFlight === 0;
  }

  destroy(): void {
    this.s.destroy();
  }

  /** Dispatches every complete message buffered, up to the in-flight cap. */
  private pump(): void {
    while (!this.full && this.inFlight < this.limits.maxInFlight && this.buf.length >= 2) {
      const len = this.buf.readUInt16BE(0);
      if (len < HEADER) return this.destroy();
      if (this.buf.length < 2 + len) break;
      const msg = Buffer.from(this.buf.subarray(2, 2 + len));
      this.buf = this.buf.subarray(2 + len);
      this.dispatch(msg);
      if (++this.queries >= this.limits.maxQueries) {
        this.full = true;
        this.buf = Buffer.alloc(0);
      }
    }
    if (this.full || this.inFlight >= this.limits.maxInFlight) this.s.pause();
    else this.s.resume();
    this.maybeEnd();
  }

  private dispatch(msg: Buffer): void {
    this.inFlight++;
    this.lastActive = Date.now();
    this.arm();
    this.handler(msg, this.s.remoteAddress ?? '').then(
      (reply) => {
        if (!reply || this.s.destroyed) return this.destroy();
        // A query stays in flight until its reply has left (write callback), so a client that
        // does not read cannot make replies pile up in memory.
        this.s.write(frame(reply), () => this.settle());
      },
      () => this.destroy(),
    );
  }

  private settle(): void {
    this.inFlight--;
    this.lastActive = Date.now();
    this.arm();
    this.pump();
  }

  /** With nothing in flight, pump() has dispatched every complete message: what is left is a partial one. */
  private maybeEnd(): void {
    if ((this.full || this.ended) && this.inFlight === 0 && !this.s.destroyed) this.s.end();
  }

  /** The idle clock restarts only on complete queries and sent replies, not on single bytes. */
  private arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => (this.inFlight ? this.arm() : this.destroy()), this.limits.idleMs);
    this.timer.unref();
  }
}
