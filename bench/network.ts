// Networking costs: (1) `run --rm busybox true` on the default bridge vs `--network none` vs with
// one published port, through the berth CLI and the docker CLI against berthd; (2) a 1 GiB TCP
// transfer out of a container (busybox dd | nc -l) read on the host through a port published on
// 127.0.0.1 (kernel DNAT) vs straight to the container's bridge IP, with a host loopback floor;
// (3) the embedded DNS: lookups of another container's name on a user network, timed as a loop
// of busybox nslookup inside a container minus the same loop running /bin/true.
// Traffic goes only to 127.0.0.1 and to containers this script made. All user networks get unique
// names and are removed; the daemon's bridges, veths and nft table are removed at exit.
// Run: npm run build && node dist/bench/network.js [start] [throughput] [dns]
import { connect, createServer } from 'node:net';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBench, printReferences } from './support/harness.js';
import { repeat, row, summarize, ratio, fmtMs, LiveTable, TIME_HEADER, type Samples } from './support/measure.js';
import { berthTargets, cliOk, type Target } from './support/targets.js';
import { drain } from './support/api.js';
import { withTimeout, type BenchDaemon } from './support/bench-daemon.js';
import { cleanNetworkingOnExit } from './support/network-leftovers.js';

const RUNS = 20;
const BUDGET_MS = 40_000; // per start-time series
const GIB = 1 << 30;
const TRANSFER_RUNS = 3;
const TRANSFER_TIMEOUT_MS = 60_000;
const DNS_LOOKUPS = 100; // per sample
const DNS_SAMPLES = 5;
// Top-level await below: every constant the functions use must be declared before it.
const SERVE_GIB = 'dd if=/dev/zero bs=1048576 count=1024 2>/dev/null | nc -l -p 80';
/**
 * Two busybox servers of 1 GiB: nc writes what dd pipes in, in small (~2 KiB) writes; httpd
 * serves a sparse 1 GiB file (no disk I/O) in large writes. Comparing them separates the cost
 * per packet/write of the path from its cost per byte.
 */
const SERVERS = [
  { name: 'nc', sh: SERVE_GIB, request: undefined },
  {
    name: 'httpd',
    sh: 'mkdir -p /srv && dd if=/dev/zero of=/srv/f bs=1 count=0 seek=1073741824 2>/dev/null && exec httpd -f -p 80 -h /srv',
    request: 'GET /f HTTP/1.0\r\n\r\n',
  },
] as const;

/** Optional arguments pick parts: start, throughput, dns (default: all). */
const PARTS = process.argv.slice(2);
const want = (part: string): boolean => PARTS.length === 0 || PARTS.includes(part);
const RUN_ID = `${process.pid}-${randomBytes(3).toString('hex')}`;

await runBench('networking: run start, throughput, DNS', { limitMs: 30 * 60_000 }, async ({ d, external }) => {
  cleanNetworkingOnExit(d.dataRoot, d.dir);
  const networks: string[] = [];
  const containers: string[] = [];
  try {
    // Each part has its own bound well inside the harness limit, so the finally below (which
    // removes the networks through the daemon) always runs before the harness tears down.
    if (want('start')) await withTimeout(12 * 60_000, () => startTimes(d, external));
    if (want('throughput')) await withTimeout(6 * 60_000, () => throughput(d, containers));
    if (want('dns')) await withTimeout(4 * 60_000, () => dnsLatency(d, networks, containers));
  } finally {
    for (const id of containers) await d.api.remove(id).catch(() => {});
    for (const n of networks) {
      const r = await d.api.call('DELETE', `/networks/${n}`).catch((e: Error) => ({ status: 0, body: Buffer.from(e.message) }));
      if (r.status !== 204 && r.status !== 404) console.error(`removing network ${n}: ${r.status} ${r.body.toString().trim()}`);
    }
  }
  printReferences([
    'run --rm busybox true: Docker 20.10 233 ms on the default bridge, 165 ms with --network none',
    '                       Podman 4.3   289 ms on the default bridge, 108 ms with --network none',
    'goal: bridge networking costs Berth < 20 ms (bridge − none), bridge run ≤ 100 ms',
  ]);
});

/** A TCP port free on 127.0.0.1 right now (the kernel's pick). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

async function startTimes(d: BenchDaemon, external: Target[]): Promise<void> {
  console.log('## container start: run --rm busybox true');
  console.log('(the modes are interleaved round by round, so a change of machine load hits them alike)');
  const table = new LiveTable([...TIME_HEADER, 'note'], [44, 10, 10, 16, 10]);
  const med: Record<string, number> = {};
  const pairedBridge: Record<string, number> = {};
  const modes: Array<{ name: string; args: () => Promise<string[]> }> = [
    { name: 'bridge', args: async () => [] },
    { name: '--network none', args: async () => ['--network', 'none'] },
    { name: '-p 127.0.0.1:<port>:80', args: async () => ['-p', `127.0.0.1:${await freePort()}:80`] },
  ];
  for (const t of [...berthTargets(d), ...external]) {
    const samples = new Map<string, Samples>(modes.map((m) => [m.name, Object.assign([] as number[], { failures: 0 })]));
    const diffs: number[] = [];
    await repeat({ runs: RUNS, budgetMs: BUDGET_MS * modes.length, warmup: 2 }, async (i) => {
      const round = new Map<string, number>();
      for (const m of modes) {
        const s = samples.get(m.name)!;
        try {
          const args = ['run', '--rm', ...t.labelArgs, ...(await m.args()), t.image, 'true'];
          const ms = (await cliOk(t, args, { timeoutMs: 15_000 })).ms;
          round.set(m.name, ms);
          if (i >= 0) s.push(ms);
        } catch (e) {
          s.failures!++;
          s.firstError ??= (e as Error).message.split('\n')[0];
        }
      }
      const b = round.get('bridge');
      const n = round.get('--network none');
      if (i >= 0 && b !== undefined && n !== undefined) diffs.push(b - n);
      return 0;
    });
    for (const m of modes) {
      const s = samples.get(m.name)!;
      if (s.failures) console.log(`  (${s.failures} failed run(s) of ${t.label} ${m.name}: ${s.firstError})`);
      med[`${t.label}|${m.name}`] = summarize(s).median;
      const goal = t.label === 'berth' && m.name === 'bridge' ? 'goal ≤ 100 ms' : '';
      table.add(row(`${t.label} ${m.name}`, s, goal));
    }
    pairedBridge[t.label] = diffs.length ? summarize(diffs).median : NaN;
  }
  console.log(
    '\nbridge cost (median bridge − median --network none; goal < 20 ms), the same as the median of the per-round differences, publish cost (median -p − median bridge):',
  );
  for (const t of [...berthTargets(d), ...external]) {
    const b = med[`${t.label}|bridge`]!;
    const n = med[`${t.label}|--network none`]!;
    const p = med[`${t.label}|-p 127.0.0.1:<port>:80`]!;
    console.log(
      `  ${t.label.padEnd(16)} bridge ${fmtMs(b - n).padStart(9)}   per round ${fmtMs(pairedBridge[t.label]!).padStart(9)}   publish ${fmtMs(p - b).padStart(9)}`,
    );
  }
  for (const e of external) {
    for (const m of modes) {
      console.log(`  ratio berth / ${e.label} (${m.name}): ${ratio(med[`berth|${m.name}`]!, med[`${e.label}|${m.name}`]!)}`);
      console.log(`  ratio docker→berthd / ${e.label} (${m.name}): ${ratio(med[`docker→berthd|${m.name}`]!, med[`${e.label}|${m.name}`]!)}`);
    }
  }
}

/**
 * Connects to host:port (retrying while nothing listens yet, bounded), writes `request` if given,
 * and reads until `bytes` arrived; returns the milliseconds from the connection's establishment
 * to that byte. (For HTTP the count includes the ~100-byte response header: negligible at 1 GiB.)
 */
function readBytes(host: string, port: number, bytes: number, timeoutMs: number, request?: string): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  const attempt = (): Promise<number> =>
    new Promise((resolve, reject) => {
      let got = 0;
      let t0 = 0;
      let done = false;
      const s = connect({ host, port });
      const finish = (err?: Error, ms?: number): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        s.destroy();
        if (err) reject(err);
        else resolve(ms!);
      };
      const timer = setTimeout(
        () => finish(new Error(`transfer from ${host}:${port}: ${got} of ${bytes} bytes after ${timeoutMs} ms`)),
        Math.max(1, deadline - performance.now()),
      );
      s.on('connect', () => {
        t0 = performance.now();
        if (request) s.write(request);
      });
      s.on('data', (c: Buffer) => {
        got += c.length;
        if (got >= bytes) finish(undefined, performance.now() - t0);
      });
      // Refused or reset before any data: the listener is not up yet (DNAT to a closed port).
      s.on('error', (e: NodeJS.ErrnoException) => finish(Object.assign(e, { retry: got === 0 })));
      s.on('end', () => finish(Object.assign(new Error(`stream ended after ${got} of ${bytes} bytes`), { retry: got === 0 })));
    });
  const loop = async (): Promise<number> => {
    for (let i = 0; i < 500; i++) {
      try {
        return await attempt();
      } catch (e) {
        if (!(e as { retry?: boolean }).retry || performance.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    throw new Error(`${host}:${port}: no listener after 500 attempts`);
  };
  return loop();
}

async function throughput(d: BenchDaemon, containers: string[]): Promise<void> {
  console.log('\n## throughput: 1 GiB out of a container, read on the host (node), MB = 10^6 bytes');
  for (const srv of SERVERS) console.log(`  ${srv.name}: sh -c '${srv.sh}'`);
  const table = new LiveTable(['path', 'median', 'p90', 'n', 'best', 'note'], [52, 12, 12, 16, 12]);
  const mbps = (ms: number): number => GIB / 1e6 / (ms / 1000);
  const fmtRate = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(0)} MB/s` : '-');
  const add = (label: string, s: Samples, note: string): void => {
    const rates = s.map(mbps);
    const sum = summarize(rates);
    // p90 of a rate is its slow end: the 10th percentile of the rates, i.e. the p90 of the times.
    const slow = mbps(summarize(s).p90);
    const n = s.failures ? `${sum.n} (+${s.failures} failed)` : String(sum.n);
    table.add([label, fmtRate(sum.median), fmtRate(slow), n, fmtRate(sum.max), note]);
  };

  add('node → node, host loopback', await repeat({ runs: TRANSFER_RUNS, budgetMs: 60_000 }, () => nodeFloor()), 'floor');
  for (const srv of SERVERS) {
    add(
      `${srv.name}: host busybox, loopback of a private netns`,
      await repeat({ runs: TRANSFER_RUNS, budgetMs: 60_000 }, () =>
        busyboxFloor(srv.sh.replace(/\b(dd|nc|httpd|mkdir) /g, 'busybox $1 ').replace(/\/srv/g, '$D'), srv.request),
      ),
      'floor',
    );
    for (const via of ['published 127.0.0.1:<port> (DNAT)', 'container IP (bridge)'] as const) {
      const published = via.startsWith('published');
      const s = await repeat({ runs: TRANSFER_RUNS, budgetMs: 120_000 }, async () => {
        const port = published ? await freePort() : 0;
        const id = await d.api.create({
          Image: 'busybox',
          Cmd: ['sh', '-c', srv.sh],
          ...(published
            ? { ExposedPorts: { '80/tcp': {} }, HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } } }
            : {}),
        });
        containers.push(id);
        try {
          await d.api.start(id);
          let host = '127.0.0.1';
          if (!published) {
            const info = await d.api.json<{ NetworkSettings: { IPAddress: string } }>('GET', `/containers/${id}/json`);
            host = info.NetworkSettings.IPAddress;
            if (!host) throw new Error('inspect shows no IPAddress');
          }
          return await readBytes(host, published ? port : 80, GIB, TRANSFER_TIMEOUT_MS, srv.request);
        } finally {
          await d.api.remove(id).catch(() => {});
          containers.splice(containers.indexOf(id), 1);
        }
      });
      add(`${srv.name}: ${via}`, s, '');
    }
  }
}

/** The read from a child node process serving 1 GiB of zeros on 127.0.0.1 in 1 MiB writes. */
async function nodeFloor(): Promise<number> {
  const server = `const s=require('net').createServer(c=>{const b=Buffer.alloc(1<<20);let n=0;const w=()=>{while(n<1024){n++;if(!c.write(b))return c.once('drain',w)}c.end()};w();s.close()});s.listen(0,'127.0.0.1',()=>console.log(s.address().port))`;
  const p = spawn(process.execPath, ['-e', server], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await withTimeout(
      10_000,
      () =>
        new Promise<number>((resolve, reject) => {
          p.stdout!.once('data', (c: Buffer) => resolve(Number.parseInt(c.toString(), 10)));
          p.once('exit', () => reject(new Error('floor server exited')));
        }),
    );
    return await readBytes('127.0.0.1', port, GIB, TRANSFER_TIMEOUT_MS);
  } finally {
    p.kill('SIGKILL');
  }
}

/**
 * The same busybox server run on the host, in a network namespace of its own (so its listener on
 * all addresses is reachable from nowhere), read by a node child in that namespace: the path
 * without veth, bridge and nftables. The child prints the milliseconds; the group is killed after.
 */
async function busyboxFloor(serverSh: string, request?: string): Promise<number> {
  const reader = `const [req,bytes]=[process.env.REQ,+process.env.BYTES];const go=(k)=>{const s=require('net').connect(80,'127.0.0.1');let n=0,t0=0;s.on('connect',()=>{t0=performance.now();if(req)s.write(req)});s.on('data',c=>{n+=c.length;if(n>=bytes){console.log(performance.now()-t0);process.exit(0)}});s.on('error',()=>{if(n===0&&k<250)setTimeout(()=>go(k+1),20);else process.exit(2)});s.on('end',()=>{if(n===0&&k<250)setTimeout(()=>go(k+1),20);else process.exit(3)})};go(0)`;
  const dir = join(tmpdir(), `berth-bench-floor-${RUN_ID}`);
  await mkdir(dir, { recursive: true });
  const p = spawn('unshare', ['-n', 'sh', '-c', 'ip link set lo up && (sh -c "$SERVER" &) && exec "$NODE" -e "$READER"'], {
    detached: true, // its own process group: the server is killed with it
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, D: dir, SERVER: serverSh, NODE: process.execPath, READER: reader, REQ: request ?? '', BYTES: String(GIB) },
  });
  let out = '';
  p.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  try {
    const code = await withTimeout(TRANSFER_TIMEOUT_MS, () => new Promise<number | null>((r) => p.once('exit', r)));
    if (code !== 0) throw new Error(`busybox floor exited ${code}`);
    return Number.parseFloat(out);
  } finally {
    try {
      process.kill(-p.pid!, 'SIGKILL');
    } catch {
      /* the group is gone */
    }
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs `sh -c script` in a container over the exec API until its stream ends; throws unless it exits 0. */
async function execSh(d: BenchDaemon, container: string, script: string): Promise<number> {
  const t0 = performance.now();
  const { Id } = await d.api.json<{ Id: string }>('POST', `/containers/${container}/exec`, {
    Cmd: ['sh', '-c', script],
    AttachStdout: true,
    AttachStderr: true,
  });
  await drain(await d.api.hijack('POST', `/exec/${Id}/start`, { Detach: false, Tty: false }), 120_000);
  const ms = performance.now() - t0;
  const info = await d.api.json<{ ExitCode: number | null }>('GET', `/exec/${Id}/json`);
  if (info.ExitCode !== 0) throw new Error(`exec ${script.slice(0, 60)}…: exit ${info.ExitCode}`);
  return ms;
}

async function dnsLatency(d: BenchDaemon, networks: string[], containers: string[]): Promise<void> {
  console.log(`\n## embedded DNS on a user network: ${DNS_LOOKUPS} lookups per sample, looped inside one container`);
  const net = `berth-bench-net-${RUN_ID}`;
  await d.api.json('POST', '/networks/create', { Name: net, Driver: 'bridge' });
  networks.push(net);
  const srv = `berth-bench-dns-srv-${RUN_ID}`;
  const cli = `berth-bench-dns-cli-${RUN_ID}`;
  for (const name of [srv, cli]) {
    const id = await d.api.create({ Image: 'busybox', Cmd: ['sleep', '600'], HostConfig: { NetworkMode: net } }, name);
    containers.push(id);
    await d.api.start(id);
  }
  // One checked lookup first: the name must resolve to the server's address on that network.
  const docker = berthTargets(d).find((t) => t.label === 'docker→berthd')!;
  const ip = (await d.api.json<{ NetworkSettings: { Networks: Record<string, { IPAddress: string }> } }>('GET', `/containers/${srv}/json`)).NetworkSettings
    .Networks[net]?.IPAddress;
  const check = await cliOk(docker, ['exec', cli, 'nslookup', srv], { timeoutMs: 15_000 });
  if (!ip || !check.stdout.includes(ip)) throw new Error(`nslookup ${srv} did not answer ${ip}: ${check.stdout.trim()}`);
  const resolv = await cliOk(docker, ['exec', cli, 'cat', '/etc/resolv.conf'], { timeoutMs: 15_000 });
  console.log(`container resolv.conf: ${resolv.stdout.trim().split('\n').join(' | ')}`);

  const loop = (cmd: string): string => `i=0; while [ $i -lt ${DNS_LOOKUPS} ]; do ${cmd} >/dev/null || exit 1; i=$((i+1)); done`;
  const table = new LiveTable(['per iteration', 'median', 'p90', 'n', 'note'], [44, 10, 10, 16, 10]);
  const per = (s: Samples): Samples =>
    Object.assign(
      s.map((ms) => ms / DNS_LOOKUPS),
      { failures: s.failures },
    );
  const base = per(await repeat({ runs: DNS_SAMPLES, budgetMs: 60_000, warmup: 1 }, () => execSh(d, cli, loop('/bin/true'))));
  table.add(row('loop of /bin/true (fork+exec floor)', base, ''));
  const byName = per(await repeat({ runs: DNS_SAMPLES, budgetMs: 90_000, warmup: 1 }, () => execSh(d, cli, loop(`nslookup ${srv}`))));
  table.add(row('loop of nslookup <container name>', byName, 'A + AAAA'));
  const b = summarize(base).median;
  const n = summarize(byName).median;
  console.log(`per lookup (nslookup − /bin/true medians): ${fmtMs(n - b)}`);
  console.log('forwarded names (to the host resolvers): not measurable offline (no upstream DNS here); not timed');
}
