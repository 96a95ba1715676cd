// Test support: a real berthd on a temporary data root and socket, a busybox image imported into
// it, and helpers to run the berth CLI and the real docker CLI against it. Everything a test
// daemon creates lives under names unique to the run and is removed by stop().
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, readFile, readdir, rmdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { request } from 'node:http';
import { claimAddressPool } from './address-pool.js';

const execFileP = promisify(execFile);
export const ROOT = new URL('../../../', import.meta.url).pathname; // dist/test/support -> repo root
export const BERTH = join(ROOT, 'bin/berth');
export const BERTHD = join(ROOT, 'bin/berthd');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command with an optional stdin, never throwing on a non-zero exit. */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string | Buffer; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on('data', (c: Buffer) => out.push(c));
    p.stderr.on('data', (c: Buffer) => err.push(c));
    const t = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    p.on('error', reject);
    p.on('close', (code, sig) => {
      clearTimeout(t);
      resolve({ code: code ?? (sig ? 128 : 1), stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    p.stdin.on('error', () => {}); // a program that exits without reading its input
    p.stdin.end(opts.input ?? '');
  });
}

/** What TestDaemon.api read back. */
export interface ApiReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: Engine replies are read loosely in tests
  json: any;
}

export class TestDaemon {
  proc?: ChildProcess;
  readonly logs: string[] = [];
  private expectingExit = false;
  readonly bip = `10.${100 + Math.floor(Math.random() * 150)}.${Math.floor(Math.random() * 256)}.0/24`;
  /**
   * Where this daemon's user-defined networks get their subnets: a /16 of its own (apart from the
   * bips above), so two daemons of parallel tests never pick the same free Docker pool at the same
   * moment (both would see 172.18.0.0/16 free, and the second's embedded DNS could not bind its gateway).
   */
  private readonly poolClaim = claimAddressPool();
  readonly addressPool = this.poolClaim.pool;
  // DNS: containers and the embedded DNS use 127.0.0.1 (`--dns`), so a lookup of an unknown name
  // never leaves the machine: tests send traffic only to loopback and their own containers
  // (unless a test asks for the host's resolvers: start([], { dns: 'host' })).
  private constructor(
    readonly dir: string,
    readonly dataRoot: string,
    readonly socket: string,
    readonly cgroupParent: string,
    /** The default bridge of this daemon: unique per run, so daemons of parallel tests never share one. */
    readonly bridge: string,
  ) {}

  /** `opts.bridge`: reuse a bridge name (a test of a bridge left behind by another daemon). */
  static async create(opts: { bridge?: string } = {}): Promise<TestDaemon> {
    const dir = await mkdtemp(join(tmpdir(), 'berth-test-'));
    const tag = `berth-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    return new TestDaemon(dir, join(dir, 'data'), join(dir, 'berth.sock'), `/${tag}`, opts.bridge ?? `bt${Math.random().toString(16).slice(2, 8)}`);
  }

  get host(): string {
    return `unix://${this.socket}`;
  }

  /**
   * Starts berthd. `opts.dns: 'host'` leaves out `--dns 127.0.0.1`, so containers, RUN steps and the
   * embedded DNS use the host's resolvers (berthd's default): for tests whose image builds must
   * reach Debian's mirror (apt-get in RUN steps). `opts.prefix` runs berthd through a command
   * that execs it (`ip netns exec NS`: a daemon in a network namespace of the test's own).
   * `opts.bip: false` leaves out `--bip` (berthd then adopts an existing bridge's address or picks a
   * free pool); a string replaces this.bip. `opts.nodeArgs` go to Node before berthd's script
   * (`--cpu-prof`, `--import` of a probe: benchmarks looking inside the daemon).
   */
  async start(extraArgs: string[] = [], opts: { dns?: 'loopback' | 'host'; prefix?: string[]; bip?: string | false; nodeArgs?: string[] } = {}): Promise<void> {
    const dns = opts.dns === 'host' ? [] : ['--dns', '127.0.0.1'];
    const bip = opts.bip === false ? [] : ['--bip', (opts.bip ?? this.bip).replace(/\.0\/24$/, '.1/24') /* dockerd's address form */];
    // `prefix` runs berthd through a command that execs it, e.g. ['ip', 'netns', 'exec', NS].
    const [cmd, ...pre] = [...(opts.prefix ?? []), process.execPath];
    const p = spawn(
      cmd!,
      [
        ...pre,
        ...(opts.nodeArgs ?? []),
        BERTHD,
        '--data-root',
        this.dataRoot,
        '--host',
        this.host,
        '--cgroup-parent',
        this.cgroupParent,
        '--bridge',
        this.bridge,
        ...bip,
        '--default-address-pool',
        this.addressPool,
        ...dns,
        '--registry-loopback-only' /* pulls reach only registries the tests start */,
        ...extraArgs,
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.proc = p;
    this.expectingExit = false;
    // A daemon that dies on its own is a bug: show why, or the failing test says only "socket hang up".
    p.on('exit', (code, sig) => {
      if (!this.expectingExit && code !== 0)
        process.stderr.write(`\n[berthd exited unexpectedly: code=${code} signal=${sig}]\n${this.logs.join('').split('\n').slice(-60).join('\n')}\n`);
    });
    p.stdout!.on('data', (c: Buffer) => this.logs.push(c.toString()));
    p.stderr!.on('data', (c: Buffer) => this.logs.push(c.toString()));
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (p.exitCode !== null) throw new Error(`berthd exited with ${p.exitCode}: ${this.logs.join('')}`);
      if (existsSync(this.socket) && (await this.ping().catch(() => false))) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`berthd did not come up: ${this.logs.join('')}`);
  }

  ping(): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const req = request({ socketPath: this.socket, path: '/_ping', method: 'GET' }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', reject);
      req.end();
    });
  }

  /**
   * One Engine API call over the socket at API 1.45 (a JSON body when given), read whole: the
   * status, headers, text, and the text parsed as JSON when it is JSON. Replies are read loosely.
   */
  api(method: string, path: string, body?: unknown, timeoutMs = 30_000): Promise<ApiReply> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        {
          socketPath: this.socket,
          method,
          path: `/v1.45${path}`,
          headers: payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            let json: unknown;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
          });
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** kill -9 (crash) or SIGTERM (clean), and wait for the process to go. */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    this.expectingExit = true;
    p.kill(signal);
    await gone;
  }

  berth(args: string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<RunResult> {
    // XDG_CONFIG_HOME: berth build's context digest cache stays in this daemon's temp dir.
    return run(process.execPath, [BERTH, ...args], { ...opts, env: { ...process.env, DOCKER_HOST: this.host, XDG_CONFIG_HOME: join(this.dir, 'config') } });
  }

  docker(args: string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<RunResult> {
    return run('docker', args, { ...opts, env: { ...process.env, DOCKER_HOST: this.host, DOCKER_CONFIG: join(this.dir, 'docker-config') } });
  }

  /**
   * Makes busybox:latest from Debian's busybox-static, the way the README does. `platform`
   * ("linux/arm64/v8"): the busybox-static package of that architecture instead
   * (scripts/fetch-foreign-busybox.sh, cached), imported as an image of that platform.
   */
  async importBusybox(ref = 'busybox:latest', platform?: string): Promise<void> {
    const name = platform ? `rootfs-${platform.replace(/\//g, '-')}` : 'rootfs'; // rootfs/: other tests tar it again
    const rootfs = join(this.dir, name);
    const binary = platform ? [(await execFileP(join(ROOT, 'scripts/fetch-foreign-busybox.sh'), [platform.split('/')[1]!])).stdout.trim()] : [];
    await execFileP(join(ROOT, 'scripts/make-busybox-rootfs.sh'), [rootfs, ...binary]);
    await execFileP('tar', ['-C', rootfs, '-cf', join(this.dir, `${name}.tar`), '.']);
    const r = await this.berth(['import', ...(platform ? ['--platform', platform] : []), join(this.dir, `${name}.tar`), ref]);
    if (r.code !== 0) throw new Error(`import failed: ${r.stderr}`);
  }

  /** Removes every container, stops the daemon, and removes all it left on the host. */
  async stop(): Promise<void> {
    if (this.proc && this.proc.exitCode === null) {
      const ids = (await this.berth(['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean);
      if (ids.length) await this.berth(['rm', '-f', ...ids], { timeoutMs: 60_000 });
      await this.kill('SIGTERM');
    }
    await purgeNetworks(this.dataRoot);
    await cleanupHost(this.dataRoot, this.cgroupParent);
    await rm(this.dir, { recursive: true, force: true });
    this.poolClaim.release();
  }
}

/** Removes the bridges, nftables table and namespaces the daemon made (they outlive it by design). */
export async function purgeNetworks(dataRoot: string): Promise<void> {
  // A daemon with --userns-remap keeps its state in <data-root>/<uid>.<gid>/ (one tree per remapping).
  const remapped = (await readdir(dataRoot).catch(() => [] as string[])).filter((n) => /^\d+\.\d+$/.test(n)).map((n) => join(dataRoot, n));
  for (const root of [dataRoot, ...remapped]) {
    if (!existsSync(join(root, 'network'))) continue;
    const { NetworkManager } = await import('../../src/network/network-manager.js');
    const nm = await NetworkManager.open({ stateDir: join(root, 'network'), netnsDir: join(root, 'netns') });
    await nm.purge().catch((e: unknown) => process.stderr.write(`network purge: ${String(e)}\n`));
  }
}

/** Unmounts whatever is left under the data root and removes the run's cgroups. */
export async function cleanupHost(dataRoot: string, cgroupParent: string): Promise<void> {
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8'))
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => !!m && m.startsWith(dataRoot));
  for (const m of mounts.sort((a, b) => b.length - a.length)) await execFileP('umount', ['-l', m]).catch(() => {});
  for (const ctl of await readdir('/sys/fs/cgroup').catch(() => [] as string[])) {
    const base = join('/sys/fs/cgroup', ctl, cgroupParent);
    if (!existsSync(base)) continue;
    for (const child of await readdir(base, { withFileTypes: true }).catch(() => [])) {
      if (child.isDirectory()) await rmdir(join(base, child.name)).catch(() => {});
    }
    await rmdir(base).catch(() => {});
  }
}

/**
 * The usual test file setup: one daemon with busybox:latest for the whole file, stopped and
 * cleaned up after it. The returned object stands for the daemon once `before` has run.
 */
export function useBusyboxDaemon(
  hooks: { before: (fn: () => Promise<void>) => void; after: (fn: () => Promise<void>) => void },
  skip: string | false,
): TestDaemon {
  let d: TestDaemon | undefined;
  hooks.before(async () => {
    if (skip) return;
    d = await TestDaemon.create();
    await d.start();
    await d.importBusybox();
  });
  hooks.after(async () => {
    if (d) await d.stop();
  });
  return new Proxy({} as TestDaemon, {
    get(_, key) {
      if (!d) throw new Error('the test daemon is not started (before() has not run or failed)');
      const v = Reflect.get(d, key, d) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(d) : v;
    },
  });
}

/** Asserts a command succeeded, showing its stderr when it did not. */
export function expectOk(r: RunResult): RunResult {
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}\n${r.stdout}`);
  return r;
}
