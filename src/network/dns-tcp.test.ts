// The embedded DNS over TCP and UDP truncation, on 127.0.0.1 with random high ports and a fake
// upstream resolver (UDP and TCP on one port of 127.0.0.1). No traffic leaves the host.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server } from 'node:net';
import dnsPacket from 'dns-packet';
import { EmbeddedDns } from './dns-server.js';
import { frame, parseUpstream } from './dns-forward.js';

const HOST = '127.0.0.1';
const NET = 'n1';
const names: Record<string, string[]> = {
  web: ['10.88.0.5'],
  many: Array.from({ length: 40 }, (_, i) => `10.88.1.${i + 1}`),
};
const cleanup: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const f of cleanup.reverse()) await f();
});

/** A resolver on UDP and TCP of one port: "big.test" has 60 A records, other names one. */
async function fakeUpstream(): Promise<{ addr: string; udp: number; tcp: number }> {
  const seen = { udp: 0, tcp: 0 };
  const reply = (m: Buffer) => {
    const q = dnsPacket.decode(m);
    const name = q.questions![0]!.name;
    const ips = name === 'big.test' ? Array.from({ length: 60 }, (_, i) => `192.0.2.${i + 1}`) : ['192.0.2.99'];
    return dnsPacket.encode({
      type: 'response',
      id: q.id,
      flags: dnsPacket.RECURSION_AVAILABLE,
      questions: q.questions,
      answers: ips.map((data) => ({ type: 'A', name, ttl: 60, data })),
    });
  };
  const { port, udp, tcp } = await onFreePort(async (p) => {
    const u = await bindUdp(p);
    const t = await new Promise<Server>((resolve, reject) => {
      const srv = createServer((s) => {
        let buf = Buffer.alloc(0);
        s.on('data', (d) => {
          buf = Buffer.concat([buf, d]);
          while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
            seen.tcp++;
            s.write(frame(reply(buf.subarray(2, 2 + buf.readUInt16BE(0)))));
            buf = buf.subarray(2 + buf.readUInt16BE(0));
          }
        });
        s.on('error', () => {});
      });
      srv.once('error', (e) => (u.close(), reject(e)));
      srv.listen(p, HOST, () => resolve(srv));
    });
    return { udp: u, tcp: t };
  });
  udp.on('message', (m, r) => {
    seen.udp++;
    udp.send(reply(m), r.port, r.address);
  });
  cleanup.push(
    () => void udp.close(),
    () => new Promise<void>((r) => tcp.close(() => r())),
  );
  return Object.assign(seen, { addr: `${HOST}:${port}` }) as { addr: string; udp: number; tcp: number };
}

/** Runs `bind` on random high ports until one is free on both transports. */
async function onFreePort<T>(bind: (port: number) => Promise<T>): Promise<T & { port: number }> {
  for (let i = 0; ; i++) {
    const port = 20000 + Math.floor(Math.random() * 40000);
    try {
      return Object.assign((await bind(port)) as object, { port }) as T & { port: number };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || i > 20) throw e;
    }
  }
}

function bindUdp(port: number): Promise<UdpSocket> {
  const u = createSocket('udp4');
  return new Promise((resolve, reject) => {
    u.once('error', reject);
    u.bind(port, HOST, () => (u.off('error', reject), resolve(u)));
  });
}

async function startDns(upstreams: string[]): Promise<{ dns: EmbeddedDns; port: number }> {
  const r = await onFreePort(async (port) => {
    const dns = new EmbeddedDns(
      (net, name) => (net === NET ? names[name] : undefined),
      port,
      () => upstreams,
    );
    await dns.listen(NET, HOST);
    return { dns };
  });
  cleanup.push(() => r.dns.closeAll());
  return r;
}

const query = (name: string, id = 1, edns?: number) =>
  dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: 'A', name }],
    ...(edns ? { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: edns } as unknown as dnsPacket.Answer] } : {}),
  });

function askUdp(port: number, msg: Buffer): Promise<dnsPacket.DecodedPacket & { size: number }> {
  return new Promise((resolve, reject) => {
    const c = createSocket('udp4');
    const t = setTimeout(() => (c.close(), reject(new Error('udp timeout'))), 2000);
    c.on('message', (m) => (clearTimeout(t), c.close(), resolve(Object.assign(dnsPacket.decode(m), { size: m.length }))));
    c.send(msg, port, HOST);
  });
}

/** Opens a connection, writes `data`, and collects framed replies until `want` or the server closes. */
function talkTcp(port: number, data: Buffer, want: number): Promise<{ replies: dnsPacket.DecodedPacket[]; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, HOST);
    let buf = Buffer.alloc(0);
    const replies: dnsPacket.DecodedPacket[] = [];
    const t = setTimeout(() => (s.destroy(), reject(new Error(`tcp timeout with ${replies.length} replies`))), 5000);
    const finish = (closed: boolean) => (clearTimeout(t), s.destroy(), resolve({ replies, closed }));
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        replies.push(dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (replies.length >= want) finish(false);
    });
    s.on('error', () => finish(true));
    s.on('close', () => finish(true));
    s.write(data);
  });
}

const ipsOf = (p: dnsPacket.DecodedPacket) => (p.answers ?? []).map((a) => (a as { data: string }).data);
const tc = (p: dnsPacket.DecodedPacket) => ((p.flags ?? 0) & dnsPacket.TRUNCATED_RESPONSE) !== 0;

test('TCP: local names, forwarding over TCP, pipelining, fallback to the next upstream', async () => {
  const up = await fakeUpstream();
  const { port } = await startDns([`${HOST}:1`, up.addr]); // port 1 refuses: the next upstream answers

  const local = await talkTcp(port, frame(query('web', 7)), 1);
  assert.equal(local.replies[0]!.id, 7);
  assert.deepEqual(ipsOf(local.replies[0]!), ['10.88.0.5']);
  assert.ok((local.replies[0]!.flags ?? 0) & dnsPacket.AUTHORITATIVE_ANSWER);
  assert.equal(up.tcp + up.udp, 0, 'local names never reach the upstream');

  const fwd = await talkTcp(port, frame(query('outside.test', 8)), 1);
  assert.equal(fwd.replies[0]!.id, 8);
  assert.deepEqual(ipsOf(fwd.replies[0]!), ['192.0.2.99']);
  assert.deepEqual([up.tcp, up.udp], [1, 0], 'a TCP client is forwarded over TCP');

  // Two queries in one write; replies may come in any order and are matched by id.
  const two = await talkTcp(port, Buffer.concat([frame(query('outside.test', 21)), frame(query('web', 22))]), 2);
  assert.equal(two.closed, false, 'the connection stays open between queries');
  const byId = new Map(two.replies.map((r) => [r.id, ipsOf(r)]));
  assert.deepEqual(byId.get(21), ['192.0.2.99']);
  assert.deepEqual(byId.get(22), ['10.88.0.5']);
});

test('UDP: an answer larger than the client takes is truncated (TC), and whole over TCP', async () => {
  const up = await fakeUpstream();
  const { port } = await startDns([up.addr]);

  const small = await askUdp(port, query('big.test', 3));
  assert.ok(tc(small), 'TC set');
  assert.equal(small.id, 3);
  assert.equal(small.answers?.length ?? 0, 0, 'no answer records');
  assert.deepEqual(small.questions, [{ name: 'big.test', type: 'A', class: 'IN' }], 'question kept');
  assert.ok(small.size <= 512);
  const whole = await talkTcp(port, frame(query('big.test', 4)), 1);
  assert.equal(tc(whole.replies[0]!), false);
  assert.equal(ipsOf(whole.replies[0]!).length, 60);

  // EDNS0 lets a client take more over UDP; a reply to it carries an OPT record.
  const edns = await askUdp(port, query('big.test', 5, 4096));
  assert.equal(tc(edns), false);
  assert.equal(ipsOf(edns).length, 60);
  const edTrunc = await askUdp(port, query('big.test', 6, 600)); // 60 records need ~1 KB
  assert.ok(tc(edTrunc));
  assert.ok(
    edTrunc.additionals?.some((a) => a.type === 'OPT'),
    'OPT kept in the truncated reply',
  );

  // Local names with many addresses are truncated the same way.
  const many = await askUdp(port, query('many', 9));
  assert.ok(tc(many));
  assert.equal(many.answers?.length ?? 0, 0);
  assert.equal(ipsOf((await talkTcp(port, frame(query('many', 10)), 1)).replies[0]!).length, 40);
  const few = await askUdp(port, query('web', 11));
  assert.equal(tc(few), false);
  assert.deepEqual(ipsOf(few), ['10.88.0.5']);
});

test('TCP: hostile clients are cut off and the server keeps answering', async () => {
  const up = await fakeUpstream();
  const { dns, port } = await startDns([up.addr]);
  const short = Buffer.from([0, 3, 1, 2, 3]); // too short for a DNS header
  assert.deepEqual(await talkTcp(port, short, 1), { replies: [], closed: true });
  const junk = Buffer.concat([Buffer.from([0xff, 0xff]), Buffer.alloc(65535, 0xab)]); // the largest length, no DNS inside
  assert.deepEqual(await talkTcp(port, junk, 1), { replies: [], closed: true });
  const notQuery = dnsPacket.encode({ type: 'response', id: 1, questions: [{ type: 'A', name: 'web' }] });
  assert.deepEqual(await talkTcp(port, frame(notQuery), 1), { replies: [], closed: true });
  // A good query after junk on the same connection is never read.
  assert.deepEqual(await talkTcp(port, Buffer.concat([short, frame(query('web'))]), 1), { replies: [], closed: true });
  assert.deepEqual(ipsOf((await talkTcp(port, frame(query('web')), 1)).replies[0]!), ['10.88.0.5'], 'still serving');
  await dns.closeAll();

  // Slowloris: bytes trickling in do not keep a connection open past the idle time.
  const slow = new EmbeddedDns(
    (_n, name) => names[name],
    port,
    () => [up.addr],
  );
  slow.tcpLimits = { idleMs: 300 };
  await slow.listen(NET, HOST);
  cleanup.push(() => slow.closeAll());
  const s = connect(port, HOST);
  const closedAt = new Promise<number>((r) => s.on('close', () => r(Date.now())));
  s.on('error', () => {});
  s.write(Buffer.from([0, 64])); // announces 64 bytes, then sends one every 50 ms
  const t0 = Date.now();
  const drip = setInterval(() => s.write(Buffer.from([0xab])), 50);
  const took = (await closedAt) - t0;
  clearInterval(drip);
  assert.ok(took >= 250 && took < 2000, `closed after ${took} ms`);
  await slow.closeAll();

  const capped = new EmbeddedDns(
    (_n, name) => names[name],
    port,
    () => [up.addr],
  );
  capped.tcpLimits = { maxConnections: 2 };
  await capped.listen(NET, HOST);
  cleanup.push(() => capped.closeAll());

  // At the connection limit, the longest-idle connection makes room for a new one.
  const open = async () => {
    const c = connect(port, HOST);
    c.on('error', () => {});
    await new Promise((r) => c.once('connect', r));
    const closed = new Promise<boolean>((r) => c.once('close', () => r(true)));
    return { c, closed };
  };
  const c1 = await open();
  await new Promise((r) => setTimeout(r, 20));
  const c2 = await open();
  await new Promise((r) => setTimeout(r, 20));
  const c3 = await open();
  assert.equal(await Promise.race([c1.closed, new Promise((r) => setTimeout(() => r(false), 1000))]), true, 'oldest idle closed');
  assert.deepEqual(ipsOf((await talkTcp(port, frame(query('web')), 1)).replies[0]!), ['10.88.0.5'], 'a new client is served');
  assert.equal(await Promise.race([c2.closed, new Promise((r) => setTimeout(() => r(false), 1000))]), true, 'c2, now the oldest, made room');
  assert.equal(await Promise.race([c3.closed, new Promise((r) => setTimeout(() => r(false), 100))]), false, 'c3 stays');
  c2.c.destroy();
  c3.c.destroy();
});

test('close() frees the UDP and TCP port; listen() binds both or neither', async () => {
  const { dns, port } = await startDns([]);
  assert.ok(dns.listening(NET));
  await dns.close(NET);
  assert.equal(dns.listening(NET), false);
  const u = await bindUdp(port);
  const t = createServer();
  await new Promise<void>((resolve, reject) => (t.once('error', reject), t.listen(port, HOST, () => resolve())));
  // With TCP taken, listen() fails and leaves the UDP port free.
  u.close();
  await assert.rejects(dns.listen(NET, HOST), /EADDRINUSE/);
  assert.equal(dns.listening(NET), false);
  const u2 = await bindUdp(port);
  u2.close();
  await new Promise<void>((r) => t.close(() => r()));
  // No upstreams at all: an answer (NXDOMAIN, as over UDP) rather than silence.
  await dns.listen(NET, HOST);
  const none = await talkTcp(port, frame(query('outside.test', 5)), 1);
  assert.equal((none.replies[0] as { rcode?: string }).rcode, 'NXDOMAIN');
  await dns.close(NET);
});

test('upstream addresses', () => {
  assert.deepEqual(parseUpstream('10.0.0.1'), { host: '10.0.0.1', port: 53 });
  assert.deepEqual(parseUpstream('127.0.0.1:5353'), { host: '127.0.0.1', port: 5353 });
  assert.deepEqual(parseUpstream('2001:db8::1'), { host: '2001:db8::1', port: 53 });
  assert.deepEqual(parseUpstream('[2001:db8::1]:54'), { host: '2001:db8::1', port: 54 });
  assert.equal(parseUpstream('nonsense'), undefined);
  assert.equal(parseUpstream('1.2.3.4:99999'), undefined);
});
