// Exec instances: created in memory (as in Docker, they do not outlive the daemon), started as
// extra processes in a running container through a monitor of their own, so output is captured
// from the first byte and the exit code is recorded.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { conflict, messageOf } from '../lib/errors.js';
import { containerNotRunning, noSuchExec } from '../lib/docker-messages.js';
import { log } from '../lib/log.js';
import { resolveUser } from '../runtime/specgen/user.js';
import { currentHostFacts } from '../runtime/specgen/host-facts.js';
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

export class ExecService {
  private readonly execs = new Map<string, ExecRecord>();
  /** Each running container's spec process, read once per start of the container (config.json is written only then). */
  private readonly specProcesses = new Map<string, { startedAt: string; process: OciProcess }>();

  constructor(private readonly containers: ContainerService) {}

  create(containerRef: string, config: ExecConfig): string {
    const c = this.containers.get(containerRef);
    if (!this.containers.isLive(c)) throw containerNotRunning(c.id);
    if (c.state.status === 'paused') throw conflict(`Container ${c.id} is paused, unpause the container before exec`);
    if (config.cmd.length === 0) throw conflict('No exec command specified');
    const id = randomBytes(32).toString('hex');
    this.execs.set(id, {
      id,
      containerId: c.id,
      config,
      running: false,
      exitCode: null,
      pid: 0,
      started: false,
      stateDir: this.containers.execStateDir(c.id, id),
    });
    this.containers.emitEvent(c, `exec_create: ${config.cmd.join(' ')}`, { execID: id });
    this.trim();
    return id;
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
    // The exec's id is new, so its state dir is too: nothing of an earlier run to clear. A small
    // dir and file made synchronously (tens of microseconds): each async fs call is a round trip
    // through the thread pool, two wake-ups that cost milliseconds apiece on a loaded machine.
    const proc = await this.processFor(e);
    mkdirSync(e.stateDir, { recursive: true, mode: 0o700 });
    const processPath = join(e.stateDir, 'process.json');
    writeFileSync(processPath, JSON.stringify(proc));
    await monitor.spawnExec({
      containerId: c.id,
      processJsonPath: processPath,
      stateDir: e.stateDir,
      tty: e.config.tty,
      openStdin: e.config.attachStdin && !opts.detach,
      removeStateDirAtExit: true,
    });
    let launched;
    try {
      // One step: the exit wait, the attach and the launch over connections opened together.
      const streams = opts.detach ? undefined : { stdin: e.config.attachStdin, stdout: e.config.attachStdout, stderr: e.config.attachStderr };
      launched = await monitor.launchExec(e.stateDir, streams);
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
    for (const [id, e] of this.execs) if (e.containerId === containerId) this.execs.delete(id);
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
