// Exec instances: created in memory (as in Docker, they do not outlive the daemon), started as
// extra processes in a running container through a monitor of their own, so output is captured
// from the first byte and the exit code is recorded.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { BerthError, conflict, messageOf } from '../lib/errors.js';
import { containerNotRunning, noSuchExec } from '../lib/docker-messages.js';
import { log } from '../lib/log.js';
import { resolveUser } from '../runtime/specgen/user.js';
import { currentHostFacts } from '../runtime/specgen/host-facts.js';
import { SHIM_GONE } from '../runtime/monitor/monitor.js';
import type { OciSpec, OciProcess } from '../runtime/specgen/oci-spec.js';
import type { ContainerService } from './container-service.js';
import { mergeEnv } from './create-config.js';
import { execStartFailure } from './start-errors.js';

export interface ExecConfig {
  cmd: string[];
  env: string[];
  user: string;
  workingDir: string;
  tty: boolean;
  attachStdin: boolean;
  attachStdout: boolean;
  attachStderr: boolean;
  privileged: boolean;
  detachKeys: string;
}

export interface ExecRecord {
  id: string;
  containerId: string;
  config: ExecConfig;
  running: boolean;
  exitCode: number | null;
  pid: number;
  started: boolean;
  stateDir: string;
}

const MAX_FINISHED_EXECS = 1000;
/**
 * An exec's shim is spawned at create, ahead of its start: the docker CLI sends the start right
 * after the create's answer, so the spawn (berthd → spawner → shim → spawner → berthd) runs while
 * the answer and the next request travel, off the start's path. A shim not started within this
 * long ends by itself (`--start-timeout-ms`), so an exec never started, or a berthd killed in
 * between, leaves no process behind; a later start spawns a shim of its own, as before.
 */
const SHIM_AHEAD_TIMEOUT_MS = 10_000;
/** A shim spawned ahead is used only while it is this far from its own timeout. */
const SHIM_AHEAD_MARGIN_MS = 2_000;

/** A shim spawned at exec create (see SHIM_AHEAD_TIMEOUT_MS). */
interface ShimAhead {
  /** undefined: the spawn failed (and its state dir is gone); the start spawns its own. */
  ready: Promise<{ shimPid: number } | undefined>;
  at: number;
  /** The run of the container its process file was made for. */
  containerStartedAt: string;
}

export class ExecService {
  private readonly execs = new Map<string, ExecRecord>();
  /** Each running container's spec process, read once per start of the container (config.json is written only then). */
  private readonly specProcesses = new Map<string, { startedAt: string; process: OciProcess }>();
  private readonly ahead = new Map<string, ShimAhead>();

  constructor(private readonly containers: ContainerService) {}

  create(containerRef: string, config: ExecConfig): string {
    const c = this.containers.get(containerRef);
    if (!this.containers.isLive(c)) throw containerNotRunning(c.id);
    if (c.state.status === 'paused') throw conflict(`Container ${c.id} is paused, unpause the container before exec`);
    if (config.cmd.length === 0) throw conflict('No exec command specified');
    const id = randomBytes(32).toString('hex');
    const e: ExecRecord = {
      id,
      containerId: c.id,
      config,
      running: false,
      exitCode: null,
      pid: 0,
      started: false,
      stateDir: this.containers.execStateDir(c.id, id),
    };
    this.execs.set(id, e);
    this.containers.emitEvent(c, `exec_create: ${config.cmd.join(' ')}`, { execID: id });
    this.trim();
    // Only when nothing the start may still change goes into the shim's arguments: with stdin,
    // the start's Detach decides whether the shim holds it open; a named user is looked up in the
    // container's /etc/passwd at the start, as runc does for dockerd.
    if (!config.attachStdin && !config.user) this.spawnAhead(e, c.state.startedAt);
    return id;
  }

  private spawnAhead(e: ExecRecord, containerStartedAt: string): void {
    const now = performance.now();
    for (const [id, a] of this.ahead) if (now - a.at > SHIM_AHEAD_TIMEOUT_MS) this.ahead.delete(id); // never started: ended by itself
    const ready = this.spawnShim(e, false, SHIM_AHEAD_TIMEOUT_MS).catch(async (err: unknown) => {
      log.debug('exec shim spawned ahead failed; the start spawns its own', { id: e.id, error: messageOf(err) });
      await rm(e.stateDir, { recursive: true, force: true }).catch(() => {});
      return undefined;
    });
    this.ahead.set(e.id, { ready, at: now, containerStartedAt });
  }

  /** The shim spawned ahead for this exec, if it is still there and was made for the container's current run. */
  private async takeAhead(e: ExecRecord, containerStartedAt: string): Promise<{ shimPid: number } | undefined> {
    const a = this.ahead.get(e.id);
    if (!a) return undefined;
    this.ahead.delete(e.id);
    const shim = await a.ready;
    if (!shim) return undefined; // its state dir is gone with the failed spawn
    const age = performance.now() - a.at;
    const alive = age < SHIM_AHEAD_TIMEOUT_MS && isRunning(shim.shimPid);
    if (alive && age < SHIM_AHEAD_TIMEOUT_MS - SHIM_AHEAD_MARGIN_MS && a.containerStartedAt === containerStartedAt) return shim;
    // Stale (the container restarted, or the shim is near its own end) or gone: end it (only
    // within its timeout: after it, its pid may be another process's) and start over in a state
    // dir of its own, since a shim at its end removes its dir.
    if (alive) {
      try {
        process.kill(shim.shimPid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    void rm(e.stateDir, { recursive: true, force: true }).catch(() => {});
    e.stateDir = `${e.stateDir}-1`;
    return undefined;
  }

  /** Writes the exec's process file into its new state dir and spawns its shim, which then waits for `start`. */
  private async spawnShim(e: ExecRecord, openStdin: boolean, startTimeoutMs?: number): Promise<{ shimPid: number }> {
    const c = this.containers.get(e.containerId);
    // The exec's id is new, so its state dir is too: nothing of an earlier run to clear. A small
    // dir and file made synchronously (tens of microseconds): each async fs call is a round trip
    // through the thread pool, two wake-ups that cost milliseconds apiece on a loaded machine.
    const proc = await this.processFor(e);
    mkdirSync(e.stateDir, { recursive: true, mode: 0o700 });
    const processPath = join(e.stateDir, 'process.json');
    writeFileSync(processPath, JSON.stringify(proc));
    return this.containers.monitorFor(c).spawnExec({
      containerId: c.id,
      processJsonPath: processPath,
      stateDir: e.stateDir,
      tty: e.config.tty,
      openStdin,
      removeStateDirAtExit: true,
      ...(startTimeoutMs ? { startTimeoutMs } : {}),
    });
  }

  get(id: string): ExecRecord {
    const e = this.execs.get(id);
    if (!e) throw noSuchExec(id);
    return e;
  }

  /** Builds the process from the container's own spec, overridden by the exec's settings. */
  private async processFor(e: ExecRecord): Promise<OciProcess> {
    const rec = this.containers.get(e.containerId);
    const base = await this.specProcess(rec.id, rec.state.startedAt);
    const p: OciProcess = { ...base };
    p.args = e.config.cmd;
    p.env = mergeEnv(base.env, e.config.env);
    p.terminal = e.config.tty;
    if (e.config.workingDir) p.cwd = e.config.workingDir;
    if (e.config.user) {
      const u = await resolveUser(this.containers.rootfsPath(e.containerId), e.config.user, rec.host.groupAdd);
      p.user = { uid: u.uid, gid: u.gid, additionalGids: u.additionalGids };
      // The container's HOME came from its own user's passwd entry; an exec as another user gets
      // that user's (as runc does for dockerd), unless the container or the exec set HOME.
      const homeGiven = [...rec.config.env, ...e.config.env].some((v) => v.startsWith('HOME='));
      if (!homeGiven) p.env = mergeEnv(p.env, [`HOME=${u.home || '/'}`]);
    }
    if (e.config.privileged) {
      // Every capability the host has (as `run --privileged`): asking for one it lacks (root here
      // has no CAP_SYS_RESOURCE) makes the runtime's capset fail with EPERM.
      const all = currentHostFacts().capabilities.map((c) => (c.startsWith('CAP_') ? c : `CAP_${c}`));
      p.capabilities = { bounding: all, effective: all, permitted: all, inheritable: [], ambient: [] };
    }
    if (e.config.tty && !p.env.some((v) => v.startsWith('TERM='))) p.env.push('TERM=xterm');
    return p;
  }

  private async specProcess(containerId: string, startedAt: string): Promise<OciProcess> {
    const hit = this.specProcesses.get(containerId);
    if (hit?.startedAt === startedAt) return hit.process;
    const spec = JSON.parse(await readFile(this.containers.specPath(containerId), 'utf8')) as OciSpec;
    this.specProcesses.set(containerId, { startedAt, process: spec.process });
    return spec.process;
  }

  /** Throws Docker's errors if the exec cannot be started now. */
  checkStartable(id: string): ExecRecord {
    const e = this.get(id);
    if (e.started) throw conflict(`Error: Exec command ${id} has already run`);
    const c = this.containers.get(e.containerId);
    if (!this.containers.isLive(c)) throw containerNotRunning(c.id);
    if (c.state.status === 'paused') throw conflict(`Container ${c.id} is paused, unpause the container before exec`);
    return e;
  }

  /**
   * Starts the exec. Without `detach`, the caller gets the monitor's stream, attached before the
   * process runs; `exited` resolves with the code when it ends.
   */
  async start(id: string, opts: { detach: boolean; tty?: boolean }): Promise<{ stream?: Duplex; exited: Promise<number> }> {
    const e = this.checkStartable(id);
    const c = this.containers.get(e.containerId);
    e.started = true;
    const monitor = this.containers.monitorFor(c);
    const ahead = await this.takeAhead(e, c.state.startedAt);
    if (!ahead) await this.spawnShim(e, e.config.attachStdin && !opts.detach);
    let launched;
    try {
      // One step: the exit wait, the attach and the launch over connections opened together.
      const streams = opts.detach ? undefined : { stdin: e.config.attachStdin, stdout: e.config.attachStdout, stderr: e.config.attachStderr };
      try {
        launched = await monitor.launchExec(e.stateDir, streams);
      } catch (err) {
        // The shim spawned ahead went away before its start (killed, or its timeout raced the
        // start) and no connection to it was made, so nothing ran: a shim of our own, in a dir
        // of its own, launches the exec.
        if (!ahead || !(err instanceof BerthError && err.code === SHIM_GONE)) throw err;
        void rm(e.stateDir, { recursive: true, force: true }).catch(() => {});
        e.stateDir = `${e.stateDir}-1`;
        await this.spawnShim(e, e.config.attachStdin && !opts.detach);
        launched = await monitor.launchExec(e.stateDir, streams);
      }
      e.pid = launched.pid;
      e.running = true;
    } catch (err) {
      // dockerd records 126 for any exec that could not be started.
      e.exitCode = 126;
      await rm(e.stateDir, { recursive: true, force: true }).catch(() => {});
      throw execStartFailure(err);
    }
    this.containers.emitEvent(c, `exec_start: ${e.config.cmd.join(' ')}`, { execID: id });
    const exited = launched.exited.then(
      (s) => {
        e.running = false;
        e.exitCode = s.exitCode;
        this.containers.emitEvent(c, 'exec_die', { execID: id, exitCode: String(s.exitCode) });
        return s.exitCode; // the shim removed the state dir as it ended
      },
      (err) => {
        log.warn('exec wait failed', { id, error: messageOf(err) });
        e.running = false;
        e.exitCode = 126;
        return 126;
      },
    );
    return { stream: launched.stream, exited };
  }

  /** Ends a running exec (healthcheck timeouts). */
  async kill(id: string): Promise<void> {
    const e = this.get(id);
    if (e.running && e.pid > 0) process.kill(e.pid, 'SIGKILL');
  }

  async resize(id: string, rows: number, cols: number): Promise<void> {
    const e = this.get(id);
    if (!e.running) throw conflict(`Exec ${id} is not running`);
    await this.containers.resizeAt(e.stateDir, rows, cols);
  }

  /** Execs of a removed container go with it. */
  forgetContainer(containerId: string): void {
    for (const [id, e] of this.execs) {
      if (e.containerId !== containerId) continue;
      this.execs.delete(id);
      const a = this.ahead.get(id);
      if (!a) continue;
      this.ahead.delete(id);
      // Never started: its shim would end by itself at its timeout; end it with its container
      // (only while that timeout runs: after it, the pid may be another process's).
      void a.ready.then((shim) => {
        if (!shim || performance.now() - a.at >= SHIM_AHEAD_TIMEOUT_MS) return;
        try {
          process.kill(shim.shimPid, 'SIGKILL');
        } catch {
          // already gone
        }
      });
    }
    this.specProcesses.delete(containerId);
  }

  execIdsOf(containerId: string): string[] {
    return [...this.execs.values()].filter((e) => e.containerId === containerId && e.running).map((e) => e.id);
  }

  private trim(): void {
    if (this.execs.size <= MAX_FINISHED_EXECS) return;
    for (const [id, e] of this.execs) {
      if (e.exitCode !== null && !e.running) this.execs.delete(id);
      if (this.execs.size <= MAX_FINISHED_EXECS) break;
    }
  }
}

/** Whether a process exists (signal 0 sends nothing); a shim's pid is checked within seconds of its spawn. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
