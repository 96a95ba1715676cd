// ShimMonitor: the Monitor over berth-shim processes (one per container or exec). All live
// state is in the shim and its state dir, so a fresh ShimMonitor after a berthd restart sees
// exactly what the old one saw.
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { BerthError, canceled, conflict, errnoCode, internal } from '../../lib/errors.js';
import { readJsonIfExists } from '../../lib/atomic-fs.js';
import type { OciRuntime } from '../oci/oci-runtime.js';
import { SHIM_GONE, type AttachStreams, type ExecSpawnOptions, type ExitStatus, type Monitor, type ShimSpawnOptions } from './monitor.js';
import { ShimClosedError, connectShim, connectShims, parseReply, readLine, shimRequest } from './shim-client.js';
import { ShimSpawner } from './shim-spawner.js';

export { findShimBinary } from './shim-path.js';

export interface ShimMonitorOptions {
  shimPath: string;
  runtime: OciRuntime;
  /** Other runtimes by name, chosen per container with the spawn options' `runtime`. */
  runtimes?: ReadonlyMap<string, OciRuntime>;
  /** How long the runtime may take to create a container (default 60 s). */
  spawnTimeoutMs?: number;
}

/**
 * Exit code reported when a process is gone but nobody recorded its status: the shim was killed
 * (or the host rebooted) before the process exited. Docker has no exact equivalent; 255 says
 * "unknown" and differs from 137 (a real SIGKILL of the process) so it is not mistaken for one.
 */
export const EXIT_CODE_UNKNOWN = 255;

export class ShimMonitor implements Monitor {
  private readonly runtime: OciRuntime;
  private readonly runtimes: ReadonlyMap<string, OciRuntime>;
  private readonly spawnTimeoutMs: number;
  private readonly spawner: ShimSpawner;

  constructor(opts: ShimMonitorOptions) {
    this.spawner = new ShimSpawner(opts.shimPath);
    this.runtime = opts.runtime;
    this.runtimes = opts.runtimes ?? new Map();
    this.spawnTimeoutMs = opts.spawnTimeoutMs ?? 60_000;
  }

  async spawnContainer(opts: ShimSpawnOptions): Promise<{ pid: number; shimPid: number }> {
    await this.prepareStateDir(opts.stateDir);
    const args = ['--mode', 'container', '--state-dir', opts.stateDir, '--id', opts.id, '--bundle', opts.bundle];
    if (opts.logPath) args.push('--log', opts.logPath);
    if (opts.logPath && opts.logMaxSize) args.push('--log-max-size', String(opts.logMaxSize), '--log-max-file', String(opts.logMaxFile ?? 1));
    if (opts.tty) args.push('--tty');
    if (opts.openStdin) args.push('--stdin');
    if (opts.stdinOnce) args.push('--stdin-once');
    const [pid, shimPid] = await this.runShim([...args, '--', ...this.runtimeFor(opts.runtime).baseArgs()]);
    return { pid, shimPid };
  }

  async spawnExec(opts: ExecSpawnOptions): Promise<{ shimPid: number }> {
    // An exec's state dir is new (its id is) and made by the caller, which wrote the process file into it.
    const args = ['--mode', 'exec', '--state-dir', opts.stateDir, '--id', opts.containerId, '--process', opts.processJsonPath];
    if (opts.tty) args.push('--tty');
    // docker exec -i closes the process's stdin when the client's input ends.
    if (opts.openStdin) args.push('--stdin', '--stdin-once');
    if (opts.removeStateDirAtExit) args.push('--remove-state-dir');
    if (opts.startTimeoutMs) args.push('--start-timeout-ms', String(Math.max(1, Math.trunc(opts.startTimeoutMs))));
    const [, shimPid] = await this.runShim([...args, '--', ...this.runtimeFor(opts.runtime).baseArgs()]);
    return { shimPid };
  }

  async startContainer(stateDir: string): Promise<void> {
    await this.request(stateDir, 'start');
  }

  async startExec(stateDir: string): Promise<{ pid: number }> {
    const reply = await this.request(stateDir, 'start');
    return { pid: Number.parseInt(reply, 10) };
  }

  async launchExec(stateDir: string, streams?: AttachStreams): Promise<{ pid: number; stream?: Duplex; exited: Promise<ExitStatus> }> {
    let socks: Socket[];
    try {
      socks = await connectShims(stateDir, streams ? 3 : 2);
    } catch (e) {
      throw isGone(e) ? shimGone(stateDir, e) : e;
    }
    const [waitSock, startSock, attachSock] = socks as [Socket, Socket, Socket | undefined];
    waitSock.write('wait\n');
    const exited = readLine(waitSock)
      .then(parseExit, async (e: unknown) => {
        if (!(e instanceof ShimClosedError)) throw e;
        return (await this.readExit(stateDir)) ?? { exitCode: EXIT_CODE_UNKNOWN, finishedAt: new Date().toISOString() };
      })
      .finally(() => waitSock.destroy());
    exited.catch(() => {}); // a launch that fails is reported by its own rejection
    try {
      if (attachSock && streams) {
        attachSock.write(`attach ${streams.stdin ? 1 : 0} ${streams.stdout ? 1 : 0} ${streams.stderr ? 1 : 0}\n`);
        parseReply(await readLine(attachSock));
        if (!streams.stdin) attachSock.end(); // nothing to send: let the shim see our input end at once
      }
      startSock.write('start\n');
      const pid = Number.parseInt(parseReply(await readLine(startSock)), 10);
      return { pid, stream: attachSock, exited };
    } catch (e) {
      attachSock?.destroy();
      waitSock.destroy();
      throw e instanceof ShimClosedError ? notRunning(stateDir) : e;
    } finally {
      startSock.destroy();
    }
  }

  async attach(stateDir: string, streams: AttachStreams): Promise<Duplex> {
    const s = await this.connect(stateDir);
    try {
      s.write(`attach ${streams.stdin ? 1 : 0} ${streams.stdout ? 1 : 0} ${streams.stderr ? 1 : 0}\n`);
      parseReply(await readLine(s));
    } catch (e) {
      s.destroy();
      throw e instanceof ShimClosedError ? notRunning(stateDir) : e;
    }
    if (!streams.stdin) s.end(); // nothing to send: let the shim see our input end at once
    return s;
  }

  async resize(stateDir: string, rows: number, cols: number): Promise<void> {
    await this.request(stateDir, `resize ${Math.trunc(rows)} ${Math.trunc(cols)}`).catch((e: unknown) => {
      // A process without a terminal has nothing to resize: containerd's shim returns success then, so dockerd does too.
      if (e instanceof BerthError && e.message === 'not a tty') return;
      throw e;
    });
  }

  async closeStdin(stateDir: string): Promise<void> {
    await this.request(stateDir, 'close-stdin');
  }

  async waitExit(stateDir: string, signal?: AbortSignal): Promise<ExitStatus> {
    if (signal?.aborted) throw canceled();
    let s;
    try {
      s = await connectShim(stateDir);
    } catch (e) {
      if (!isGone(e)) throw e;
    }
    if (s) {
      try {
        s.write('wait\n');
        return parseExit(await readLine(s, signal));
      } catch (e) {
        if (!(e instanceof ShimClosedError)) throw e;
      } finally {
        s.destroy();
      }
    }
    // The shim is gone. It writes the exit file before it stops serving, so a missing file
    // means it died (or the host rebooted) before the process's end was recorded.
    return (await this.readExit(stateDir)) ?? { exitCode: EXIT_CODE_UNKNOWN, finishedAt: new Date().toISOString() };
  }

  async readExit(stateDir: string): Promise<ExitStatus | undefined> {
    // An empty or cut file (a shim older than the ENOSPC check, or a crash mid-write) says nothing.
    const v = await readJsonIfExists<ExitStatus>(join(stateDir, 'exit')).catch(() => undefined);
    return v && typeof v.exitCode === 'number' ? v : undefined;
  }

  async isAlive(stateDir: string): Promise<boolean> {
    const pid = await readShimPid(stateDir);
    if (!pid) return false;
    try {
      // The comm check guards against pid reuse after a reboot or a long downtime.
      const comm = (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      return comm === 'berth-shim' && !/^\d+ \(.*\) Z/.test(stat);
    } catch {
      return false;
    }
  }

  private runtimeFor(name: string | undefined): OciRuntime {
    if (!name || name === this.runtime.name) return this.runtime;
    const r = this.runtimes.get(name);
    if (!r) throw new BerthError('invalid-argument', `unknown OCI runtime: ${name}`);
    return r;
  }

  // A previous run of the same container (restart) leaves its exit and pid files behind.
  private async prepareStateDir(stateDir: string): Promise<void> {
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    await Promise.all(['exit', 'pid', 'shim.pid'].map((f) => rm(join(stateDir, f), { force: true })));
  }

  private async connect(stateDir: string) {
    try {
      return await connectShim(stateDir);
    } catch (e) {
      throw isGone(e) ? notRunning(stateDir, e) : e;
    }
  }

  private async request(stateDir: string, command: string): Promise<string> {
    try {
      return await shimRequest(stateDir, command);
    } catch (e) {
      if (isGone(e) || e instanceof ShimClosedError) throw notRunning(stateDir, e);
      throw e;
    }
  }

  /** Spawns the shim (through the spawner) and reads its one sync line: "ok <pid> <shimPid>" or "error <text>". */
  private async runShim(args: string[]): Promise<[number, number]> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(internal(`berth-shim did not report within ${this.spawnTimeoutMs} ms`)), this.spawnTimeoutMs);
    });
    try {
      const line = await Promise.race([this.spawner.spawn(args), timeout]);
      const [pid, shimPid] = parseReply(line)
        .split(' ')
        .map((x) => Number.parseInt(x, 10));
      return [pid!, shimPid!];
    } finally {
      clearTimeout(timer);
    }
  }
}

function isGone(e: unknown): boolean {
  const code = errnoCode(e);
  return code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'ECONNRESET';
}

function notRunning(stateDir: string, cause?: unknown): BerthError {
  return conflict(`the process monitored in ${stateDir} is not running`, cause);
}

/** No connection to the shim could be made, so nothing was asked of it: {@link SHIM_GONE}. */
function shimGone(stateDir: string, cause: unknown): BerthError {
  return conflict(`the process monitored in ${stateDir} is not running`, cause, { code: SHIM_GONE });
}

function parseExit(line: string): ExitStatus {
  const v = JSON.parse(line) as ExitStatus;
  if (typeof v.exitCode !== 'number') throw internal(`bad exit status from berth-shim: ${line}`);
  return v;
}

async function readShimPid(stateDir: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await readFile(join(stateDir, 'shim.pid'), 'utf8'), 10);
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
