// The container core's one entry point for routes, the exec service, the health monitor and the
// daemon. It builds the pieces and keeps them private; each verb is a short delegation:
//   container-index.ts   lookup and the name index
//   container-create.ts  create and discard (intent first: phase 'creating' / 'removing')
//   lifecycle.ts         start, stop, kill, restart, pause, unpause, remove
//   container-start.ts   what a start does, and its undo
//   exit-watcher.ts      following exits; --rm and restart policies (restart-policy.ts decides)
//   exit-waiters.ts      wait, log followers, attaches before start
//   network-attach.ts    network connect / disconnect
//   container-settings.ts  rename, update, health
//   container-fs-access.ts  cp / archive / commit
//   recovery.ts          startup recovery
// Records are snapshots (RecordStore): every change is an update under the container's lock.
import type { Duplex } from 'node:stream';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { conflict, errnoCode } from '../lib/errors.js';
import { containerNotRunning } from '../lib/docker-messages.js';
import type { Digest } from '../lib/digest.js';
import type { Monitor, AttachStreams } from '../runtime/monitor/monitor.js';
import type { OciRuntime } from '../runtime/oci/oci-runtime.js';
import type { ContainerRecord, ContainerSnapshot, HealthState } from './container-record.js';
import { ContainerCore, isLive, type ContainerDeps, type LifecycleHooks } from './container-core.js';
import { createContainer, type CreateRequest } from './container-create.js';
import { commitContainer, containerChanges, exportContainer, withContainerFs } from './container-fs-access.js';
import type { LayerChange } from '../store/layers/overlay-changes.js';
import type { Readable } from 'node:stream';
import type { ContainerFs } from './archive.js';
import { removeLink, renameContainer, updateContainer, updateHealth, type HealthUpdate, type SettingsChange } from './container-settings.js';
import { ExitWatcher } from './exit-watcher.js';
import type { PendingAttach } from './exit-waiters.js';
import { Lifecycle } from './lifecycle.js';
import type { ListOptions } from './list-filter.js';
import { connectNetwork, disconnectNetwork } from './network-attach.js';
import { recoverContainers } from './recovery.js';
import { RestartManager } from './restart-manager.js';
import { kernelMounter } from './seams.js';

export type { CreateRequest } from './container-create.js';
export type { ContainerDeps as ContainerServiceDeps } from './container-core.js';

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export class ContainerService {
  readonly #core: ContainerCore;
  readonly #restarts: RestartManager;
  readonly #exits: ExitWatcher;
  readonly #lifecycle: Lifecycle;

  constructor(deps: ContainerDeps) {
    const core = (this.#core = new ContainerCore({ ...deps, mounter: deps.mounter ?? kernelMounter }));
    this.#restarts = new RestartManager((id) => this.#lifecycle.start(id, { fromRestartPolicy: true }));
    this.#exits = new ExitWatcher(core, this.#restarts, (id) => this.#lifecycle.remove(id, { force: true, volumes: true, auto: true }));
    this.#lifecycle = new Lifecycle(core, this.#restarts, (id) => this.#exits.watch(id));
  }

  /** Set once by the composition root: who else must know when a container starts or stops (healthchecks). */
  setHooks(hooks: LifecycleHooks): void {
    this.#core.hooks = hooks;
  }

  /** Emits a container event with dockerd's attributes (the container's labels, image and name). */
  emitEvent(rec: ContainerSnapshot, action: string, own?: Record<string, string>): void {
    this.#core.emitEvent(rec, action, own);
  }

  // ---- lookup: snapshots, never waiting on writers --------------------------------------------

  find(ref: string): ContainerSnapshot | undefined {
    return this.#core.index.find(ref);
  }

  get(ref: string): ContainerSnapshot {
    return this.#core.index.get(ref);
  }

  list(o: Omit<ListOptions, 'lookup'>): ContainerSnapshot[] {
    return this.#core.index.list(o);
  }

  /** Every record, in any phase (image users, disk usage, counts). */
  all(): ContainerSnapshot[] {
    return this.#core.index.all();
  }

  isLive(rec: Pick<ContainerRecord, 'state'> | ContainerSnapshot): boolean {
    return isLive(rec);
  }

  monitorFor(rec: Pick<ContainerRecord, 'runtimeName'>): Monitor {
    return this.#core.monitorFor(rec);
  }

  runtimeFor(rec: Pick<ContainerRecord, 'runtimeName'>): OciRuntime {
    return this.#core.runtimeFor(rec);
  }

  // ---- where a container's files are (logs, exec state, spec, graph driver, stats) -------------

  /** The files inspect reports (ResolvConfPath, HostnamePath, HostsPath, LogPath). */
  etcPaths(id: string): { resolvConf: string; hostname: string; hosts: string; log: string } {
    const p = this.#core.deps.paths;
    return { resolvConf: p.resolvConf(id), hostname: p.hostname(id), hosts: p.hosts(id), log: p.log(id) };
  }

  /**
   * What another sandbox needs to share this running container's network, as `container:<id>`
   * modes do (a build's `networkmode=container:<id>`): its namespace and its etc files.
   */
  async sharedNetwork(ref: string): Promise<{ netns: { path: string }; hostname: string; hosts: string; resolvConf: string }> {
    const rec = this.get(ref);
    if (!isLive(rec) || !rec.state.pid) throw containerNotRunning(rec.id);
    const info = this.#core.deps.networks.info(rec.id);
    const netns = info && typeof info.netns === 'object' ? info.netns : { path: `/proc/${rec.state.pid}/ns/net` };
    const p = this.#core.deps.paths;
    const read = (f: string) => readFile(f, 'utf8').catch(() => '');
    return {
      netns,
      hostname: (await read(p.hostname(rec.id))).trim() || rec.config.hostname,
      hosts: await read(p.hosts(rec.id)),
      resolvConf: await read(p.resolvConf(rec.id)),
    };
  }

  logPath(id: string): string {
    return this.#core.deps.paths.log(id);
  }

  /** The container's own directory (bundle, log, etc files). */
  containerDir(id: string): string {
    return this.#core.deps.paths.dir(id);
  }

  shimDir(id: string): string {
    return this.#core.deps.paths.shim(id);
  }

  rootfsPath(id: string): string {
    return this.#core.deps.paths.rootfs(id);
  }

  /** The OCI spec the container was last started with. */
  specPath(id: string): string {
    return `${this.#core.deps.paths.dir(id)}/config.json`;
  }

  execStateDir(id: string, execId: string): string {
    return this.#core.deps.paths.exec(id, execId);
  }

  cgroupsPath(id: string): string {
    return `${this.#core.deps.spec.cgroupParent}/${id}`;
  }

  // ---- lifecycle --------------------------------------------------------------------------------

  create(req: CreateRequest): Promise<{ id: string; warnings: string[] }> {
    return createContainer(this.#core, req);
  }

  start(ref: string): Promise<void> {
    return this.#lifecycle.start(ref);
  }

  stop(ref: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    return this.#lifecycle.stop(ref, opts);
  }

  kill(ref: string, signal: string | number = 'SIGKILL', opts: { waitExit?: boolean; manual?: boolean } = {}): Promise<void> {
    return this.#lifecycle.kill(ref, signal, opts);
  }

  restart(ref: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    return this.#lifecycle.restart(ref, opts);
  }

  pause(ref: string): Promise<void> {
    return this.#lifecycle.pause(ref);
  }

  unpause(ref: string): Promise<void> {
    return this.#lifecycle.unpause(ref);
  }

  remove(ref: string, opts: { force: boolean; volumes: boolean }): Promise<void> {
    return this.#lifecycle.remove(ref, opts);
  }

  /**
   * System check's repair of a damaged container that is not running: its record, directory and
   * snapshot (its changes) are moved into `dir` for inspection, then it is removed as `rm` would
   * remove it (one destroy event). A running container is refused: it still works as it is.
   */
  async quarantine(id: string, dir: string): Promise<void> {
    const core = this.#core;
    const rec = core.index.get(id);
    if (isLive(rec)) throw conflict(`container ${rec.id} is running: stop it before it can be repaired`);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(join(dir, 'record.json'), JSON.stringify(rec, null, 2));
    await core.unmountRootfs(rec.id);
    await rename(core.deps.paths.dir(rec.id), join(dir, 'files')).catch((e) => {
      if (errnoCode(e) !== 'ENOENT') throw e;
    });
    await core.deps.layers.quarantineSnapshot(rec.id, join(dir, 'snapshot'));
    await this.#lifecycle.remove(rec.id, { force: true, volumes: false });
  }

  /** At daemon start, before serving. */
  recover(): Promise<void> {
    return recoverContainers(this.#core, this.#exits, this.#restarts);
  }

  /** At shutdown: no policy restart fires after this (containers keep running). */
  cancelRestarts(): void {
    this.#restarts.cancelAll();
  }

  // ---- wait, attach ------------------------------------------------------------------------------

  /** Calls `fn` once, as soon as the container's process has exited (before the exit is recorded); returns the unsubscribe. */
  whenExiting(id: string, fn: () => void): () => void {
    return this.#core.waiters.whenExiting(id, fn);
  }

  /** Docker's wait: resolves with the exit code for the condition. */
  async wait(ref: string, condition: WaitCondition, signal?: AbortSignal): Promise<{ statusCode: number; error?: string }> {
    const rec = this.get(ref);
    const { waiters } = this.#core;
    const aborted = new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(new Error('client gone')), { once: true }));
    aborted.catch(() => {}); // only raced below; an abort after an early return is nobody's error
    if (condition === 'removed') return { statusCode: await Promise.race([waiters.removed(rec.id), aborted]) };
    if (condition === 'not-running' && !isLive(rec) && rec.state.status !== 'restarting') return { statusCode: rec.state.exitCode };
    const s = await Promise.race([waiters.nextExit(rec.id), aborted]);
    return { statusCode: s.exitCode };
  }

  /**
   * Registers work to do against the monitor once the container is created by the next start
   * (stateDir '' means the start failed). Used by attach before start.
   */
  onNextStart(id: string, fn: PendingAttach): () => void {
    return this.#core.waiters.onNextStart(id, fn);
  }

  /** Connects to the shim (a container's or an exec's) whose state is in `stateDir`. */
  attachAt(stateDir: string, streams: AttachStreams): Promise<Duplex> {
    return this.#core.deps.monitor.attach(stateDir, streams);
  }

  /** Connects to a running container's own shim (attach to a live container). */
  attachRunning(rec: ContainerRecord, streams: AttachStreams): Promise<Duplex> {
    return this.attachAt(this.shimDir(rec.id), streams);
  }

  /** Resizes the TTY of the shim (a container's or an exec's) whose state is in `stateDir`. */
  resizeAt(stateDir: string, rows: number, cols: number): Promise<void> {
    return this.#core.deps.monitor.resize(stateDir, rows, cols);
  }

  async resize(ref: string, rows: number, cols: number): Promise<void> {
    const rec = this.get(ref);
    if (!isLive(rec)) throw containerNotRunning(rec.id);
    await this.resizeAt(this.shimDir(rec.id), rows, cols);
  }

  // ---- settings ----------------------------------------------------------------------------------

  /** `docker rm --link /parent/alias`. */
  removeLink(linkName: string): Promise<void> {
    return removeLink(this.#core, linkName);
  }

  rename(ref: string, newName: string): Promise<void> {
    return renameContainer(this.#core, ref, newName);
  }

  update(ref: string, change: SettingsChange): Promise<string[]> {
    return updateContainer(this.#core, ref, change);
  }

  /** Saves health under the container's lock (see updateHealth in container-settings.ts). */
  updateHealth(id: string, fn: (cur: HealthState | undefined) => HealthState): Promise<HealthUpdate | undefined> {
    return updateHealth(this.#core, id, fn);
  }

  connectNetwork(ref: string, req: { network: string; aliases: string[]; ip?: string; mac?: string; links?: string[] }): Promise<void> {
    return connectNetwork(this.#core, ref, req);
  }

  disconnectNetwork(ref: string, network: string): Promise<void> {
    return disconnectNetwork(this.#core, ref, network);
  }

  // ---- filesystem ----------------------------------------------------------------------------------

  /** Runs fn with the container's merged filesystem mounted (temporarily if it is not running). */
  withFs<T>(ref: string, fn: (fs: ContainerFs, rec: ContainerSnapshot) => Promise<T>): Promise<T> {
    return withContainerFs(this.#core, ref, fn);
  }

  /** `docker diff`: what the container changed in its image's filesystem. */
  changes(ref: string): Promise<LayerChange[]> {
    return containerChanges(this.#core, ref);
  }

  /** `docker export`: the container's filesystem as a tar stream (mounted read-only for it if not running). */
  export(ref: string): Readable {
    return exportContainer(this.#core, ref);
  }

  commit(
    ref: string,
    opts: { ref?: string; author: string; comment: string; changes: string[]; config?: Partial<ContainerRecord['config']> },
  ): Promise<Digest> {
    return commitContainer(this.#core, ref, opts);
  }
}
