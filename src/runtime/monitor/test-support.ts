// Test support for the monitor and runtime tests: a busybox rootfs, minimal OCI bundles, a
// private runtime root, and cleanup of everything created. Used only by *.test.ts files.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { CliRuntime } from '../oci/cli-runtime.js';
import { findRuntime, prepareHost } from '../oci/host-setup.js';
import { ShimMonitor } from './shim-monitor.js';
import { findShimBinary, packageRoot } from './shim-path.js';

const run = promisify(execFile);

export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

export async function makeBusyboxRootfs(dir: string): Promise<void> {
  await run('sh', [join(packageRoot(), 'scripts', 'make-busybox-rootfs.sh'), dir]);
}

export interface BundleOptions {
  args: string[];
  tty?: boolean;
  env?: string[];
  cgroupsPath: string;
}

/** A minimal OCI config: private namespaces, default-ish mounts, rootfs used in place. */
export function minimalConfig(rootfs: string, o: BundleOptions): object {
  const caps = [
    'CAP_CHOWN',
    'CAP_DAC_OVERRIDE',
    'CAP_FOWNER',
    'CAP_FSETID',
    'CAP_KILL',
    'CAP_SETGID',
    'CAP_SETUID',
    'CAP_SETPCAP',
    'CAP_NET_BIND_SERVICE',
    'CAP_SYS_CHROOT',
  ];
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: o.tty ?? false,
      user: { uid: 0, gid: 0 },
      args: o.args,
      env: o.env ?? ['PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root'],
      cwd: '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      noNewPrivileges: true,
    },
    root: { path: rootfs, readonly: false },
    hostname: 'berth-test',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    ],
    linux: {
      cgroupsPath: o.cgroupsPath,
      namespaces: ['pid', 'network', 'ipc', 'uts', 'mount'].map((type) => ({ type })),
      maskedPaths: ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/sys/firmware'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

export interface TestContainer {
  id: string;
  bundle: string;
  stateDir: string;
  logPath: string;
}

/** One per test file: a temp dir holding the rootfs, bundles, state dirs and the runtime root. */
export class MonitorTestEnv {
  readonly runtime: CliRuntime;
  readonly monitor: ShimMonitor;
  private readonly ids: string[] = [];
  private readonly stateDirs: string[] = [];

  private constructor(
    readonly dir: string,
    readonly rootfs: string,
    runtime: CliRuntime,
  ) {
    this.runtime = runtime;
    this.monitor = new ShimMonitor({ shimPath: findShimBinary(), runtime });
  }

  static async create(runtimeName: 'crun' | 'runc' = 'crun'): Promise<MonitorTestEnv> {
    await prepareHost();
    const dir = await mkdtemp(join(tmpdir(), 'berth-mon-'));
    const rootfs = join(dir, 'rootfs');
    await makeBusyboxRootfs(rootfs);
    const runtime = new CliRuntime({ name: runtimeName, path: await findRuntime(runtimeName), root: join(dir, 'rt') });
    return new MonitorTestEnv(dir, rootfs, runtime);
  }

  /** Writes a bundle; the container itself is created by the monitor. */
  async bundle(args: string[], opts: { tty?: boolean } = {}): Promise<TestContainer> {
    const id = uniqueName('bt');
    const bundle = join(this.dir, 'bundles', id);
    const stateDir = join(this.dir, 'state', id);
    await mkdir(bundle, { recursive: true });
    await writeFile(join(bundle, 'config.json'), JSON.stringify(minimalConfig(this.rootfs, { args, tty: opts.tty, cgroupsPath: `berth-test-${id}` })));
    this.ids.push(id);
    this.stateDirs.push(stateDir);
    return { id, bundle, stateDir, logPath: join(stateDir, 'container.log') };
  }

  /** A state dir for an exec shim (killed at cleanup if still alive). */
  execStateDir(long = false): string {
    // long: deeper than a unix socket path may be (108 bytes), as exec dirs under a container are
    const sd = join(this.dir, 'state', long ? 'x'.repeat(100) : '', uniqueName('exec'));
    mkdirSync(sd, { recursive: true, mode: 0o700 }); // made by the caller, as ExecService does
    this.stateDirs.push(sd);
    return sd;
  }

  /** Writes an OCI process JSON for an exec. */
  async processJson(args: string[], tty = false): Promise<string> {
    const p = join(this.dir, `process-${randomBytes(4).toString('hex')}.json`);
    const proc = (minimalConfig(this.rootfs, { args, tty, cgroupsPath: '' }) as { process: object }).process;
    await writeFile(p, JSON.stringify(proc));
    return p;
  }

  async cleanup(): Promise<void> {
    for (const id of this.ids) await this.runtime.delete(id, true).catch(() => {});
    // Shims we started that are still up (an exec never started): stop them by their pid.
    for (const sd of this.stateDirs) {
      if (!(await this.monitor.isAlive(sd))) continue;
      const pid = Number.parseInt(await readFile(join(sd, 'shim.pid'), 'utf8'), 10);
      try {
        if (pid > 0) process.kill(pid, 'SIGKILL');
      } catch (e) {
        // It ended between the check and the kill (its container was just deleted above).
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
      }
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Splits Docker stdcopy frames into the two streams. */
export function demuxStdcopy(buf: Buffer): { stdout: string; stderr: string; frames: number } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let i = 0;
  let frames = 0;
  while (i + 8 <= buf.length) {
    const len = buf.readUInt32BE(i + 4);
    const payload = buf.subarray(i + 8, i + 8 + len);
    (buf[i] === 2 ? err : out).push(payload);
    i += 8 + len;
    frames++;
  }
  if (i !== buf.length) throw new Error(`truncated stdcopy stream: ${buf.length - i} bytes left`);
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), frames };
}

/** Reads a stream to its end. */
export async function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
