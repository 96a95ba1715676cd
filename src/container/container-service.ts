// The container lifecycle: create, start, stop, kill, pause, restart, wait, remove, rename,
// update, and the exit handling that applies restart policies. Records are written before side
// effects (phase 'creating' / 'removing') so startup recovery can finish or undo half-done work.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { conflict, errnoCode, forbidden, invalidArgument, isBerthError, messageOf, notModified, internal } from '../lib/errors.js';
import { containerIsRunning, containerNameInUse, containerNotRunning, containerPaused, noSuchContainer, noSuchNetwork } from '../lib/docker-messages.js';
import { KeyedMutex } from '../lib/mutex.js';
import { log } from '../lib/log.js';
import { nowRfc3339Nano } from '../lib/time-parse.js';
import type { RecordStore } from '../store/records/record-store.js';
import type { LayerStore } from '../store/layers/layer-store.js';
import type { OciRuntime } from '../runtime/oci/oci-runtime.js';
import type { Monitor, ExitStatus } from '../runtime/monitor/monitor.js';
import { buildSpec, buildResources, specToJson } from '../runtime/specgen/build-spec.js';
import { mountAll, unmount, isMountPoint } from '../lib/mount.js';
import { ZERO_TIME, type ContainerRecord, type ContainerSnapshot, type HealthState, type HostSettings } from './container-record.js';
import { mergeConfig, validateHostSettings, type ConfigRequest } from './create-config.js';
import type { ImageSource } from './image-source.js';
import { containerEventAttributes, type EventSink } from './events.js';
import { generateName, newContainerId, normaliseName } from './names.js';
import type { ContainerPaths } from './paths.js';
import { writeEtcFiles } from './etc-files.js';
import { startingHealth } from './healthcheck.js';
import { namespaceDonors, specInputFor, type SpecContext } from './spec-input-from-record.js';
import { filterContainers, type ListOptions } from './list-filter.js';
import { signalNumber } from './signals.js';
import { startFailure } from './start-errors.js';
import { RestartManager } from './restart-manager.js';
import type { ContainerVolumes } from '../volume/container-volumes.js';
import type { NetworkManager } from '../network/network-manager.js';
import { attachedNetworks, bridgeLinks, checkNetworks, parseLink, primaryNetwork, setUpNetwork, type BridgeLinks } from './networking.js';
import { ContainerFs, type MountOverlay } from './archive.js';
import type { Digest } from '../lib/digest.js';

export interface ContainerServiceDeps {
  records: RecordStore<ContainerRecord>;
  paths: ContainerPaths;
  images: ImageSource;
  layers: LayerStore;
  runtimes: Map<string, OciRuntime>;
  defaultRuntime: string;
  /** The monitor for attach/wait/resize; spawning uses the monitor of the container's runtime. */
  monitor: Monitor;
  monitors: Map<string, Monitor>;
  events: EventSink;
  spec: Omit<SpecContext, 'paths'>;
  volumes: ContainerVolumes;
  networks: NetworkManager;
  /** The daemon's --dns: containers' nameservers when neither they nor an embedded DNS set any. */
  defaultDns: string[];
}

export interface CreateRequest {
  name?: string;
  config: ConfigRequest;
  host: HostSettings;
  endpoints: ContainerRecord['endpoints'];
  wire: ContainerRecord['wire'];
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

type PendingAttach = (stateDir: string) => Promise<void>;

export class ContainerService {
  readonly lock = new KeyedMutex();
  private readonly names = new Map<string, string>(); // name -> id
  private readonly exitWaiters = new Map<string, Set<(s: ExitStatus) => void>>();
  private readonly removeWaiters = new Map<string, Set<(exitCode: number) => void>>();
  private readonly pendingAttaches = new Map<string, Set<PendingAttach>>();
  private readonly exitingListeners = new Map<string, Set<() => void>>();
  private readonly watching = new Set<string>();
  readonly restarts: RestartManager;
  /** Set by the composition root: who else must know when a container starts or stops (healthchecks). */
  hooks: { started?: (rec: ContainerRecord) => void; exited?: (id: string) => void } = {};

  constructor(readonly deps: ContainerServiceDeps) {
    for (const r of deps.records.values()) this.names.set(r.name, r.id);
    this.restarts = new RestartManager((id) => this.start(id, { fromRestartPolicy: true }));
  }

  /** Emits a container event with dockerd's attributes (the container's labels, image and name). */
  emitEvent(rec: ContainerRecord, action: string, own?: Record<string, string>): void {
    this.deps.events.emit('container', action, rec.id, containerEventAttributes(rec, own));
  }

  // ---- lookup -------------------------------------------------------------------------------

  /** Finds by full id, name, or unique id prefix, as Docker does. */
  find(ref: string): ContainerSnapshot | undefined {
    const { records } = this.deps;
    const byId = records.get(ref);
    if (byId) return byId;
    const byName = this.names.get(ref.replace(/^\//, ''));
    if (byName) return records.get(byName);
    if (!/^[a-f0-9]+$/.test(ref)) return undefined;
    const matches = records.keys().filter((id) => id.startsWith(ref));
    if (matches.length > 1) throw invalidArgument(`multiple IDs found with provided prefix: ${ref}`);
    return matches.length ? records.get(matches[0]!) : undefined;
  }

  get(ref: string): ContainerSnapshot {
    const r = this.find(ref);
    if (!r || r.phase === 'creating') throw noSuchContainer(ref);
    return r;
  }

  list(o: Omit<ListOptions, 'lookup'>): ContainerSnapshot[] {
    return filterContainers(this.deps.records.values(), { ...o, lookup: (ref) => this.find(ref) });
  }

  monitorFor(rec: ContainerRecord): Monitor {
    return this.deps.monitors.get(rec.runtimeName) ?? this.deps.monitor;
  }

  runtimeFor(rec: ContainerRecord): OciRuntime {
    const rt = this.deps.runtimes.get(rec.runtimeName) ?? this.deps.runtimes.get(this.deps.defaultRuntime);
    if (!rt) throw internal(`runtime ${rec.runtimeName} is not configured`);
    return rt;
  }

  // ---- create / remove ----------------------------------------------------------------------

  async create(req: CreateRequest): Promise<{ id: string; warnings: string[] }> {
    validateHostSettings(req.host);
    const runtimeName = req.host.runtime || this.deps.defaultRuntime;
    if (!this.deps.runtimes.has(runtimeName)) throw invalidArgument(`unknown or invalid runtime name: ${runtimeName}`);
    const image = await this.deps.images.resolve(req.config.image);
    const id = newContainerId();
    const name = req.name ? normaliseName(req.name) : generateName((n) => this.names.has(n));
    const config = mergeConfig(req.config, image.defaults, id);
    const owner = this.names.get(name);
    if (owner) throw containerNameInUse(name, owner);
    this.names.set(name, id); // reserve before the first await on side effects
    const rec: ContainerRecord = {
      schemaVersion: 1,
      id,
      name,
      created: nowRfc3339Nano(),
      phase: 'creating',
      imageId: image.id,
      imageChainId: image.chainId,
      config,
      host: req.host,
      wire: req.wire,
      endpoints: req.endpoints,
      state: { status: 'created', pid: 0, exitCode: 0, error: '', oomKilled: false, startedAt: ZERO_TIME, finishedAt: ZERO_TIME },
      restartCount: 0,
      manuallyStopped: false,
      runtimeName,
    };
    try {
      checkNetworks(rec, this.deps.networks, { hostname: req.config.hostname });
      // As dockerd's registerLinks: a legacy link names an existing container.
      if (primaryNetwork(rec.host.networkMode) === 'bridge') {
        for (const l of rec.host.links ?? []) if (!this.find(parseLink(l).name)) throw invalidArgument(`could not get container for ${parseLink(l).name}`);
      }
      // container:<x> shares x's UTS identity too, as Docker copies its hostname.
      const shared = rec.host.networkMode.startsWith('container:') ? this.find(rec.host.networkMode.slice('container:'.length)) : undefined;
      if (shared) rec.config = { ...rec.config, hostname: shared.config.hostname, domainname: shared.config.domainname };
      await this.deps.records.put(id, rec);
      const h = req.host;
      await this.deps.volumes.attach(
        id,
        { binds: h.binds, mounts: h.mounts, tmpfs: h.tmpfs, volumesFrom: h.volumesFrom, imageVolumes: Object.keys(config.volumes), volumeDriver: h.volumeDriver },
        { resolveContainer: (ref) => this.find(ref)?.id },
      );
      await mkdir(this.deps.paths.dir(id), { recursive: true, mode: 0o710 });
      await mkdir(this.deps.paths.rootfs(id), { recursive: true });
      await this.deps.layers.prepare(id, image.chainId);
      rec.phase = 'ready';
      await this.deps.records.put(id, { ...rec });
    } catch (e) {
      await this.discard(id).catch((e2) => log.warn('cleanup after failed create', { id, error: messageOf(e2) }));
      this.names.delete(name);
      throw e;
    }
    this.emitEvent(rec, 'create');
    return { id, warnings: [] };
  }

  /**
   * Removes every trace of a container (used by rm and by recovery of half-made ones). Anonymous
   * volumes go with it when asked (rm -v, --rm, or a container that never finished being made).
   */
  async discard(id: string, removeAnonymousVolumes = true): Promise<void> {
    await this.deps.volumes.detach(id, { removeAnonymous: removeAnonymousVolumes });
    const rootfs = this.deps.paths.rootfs(id);
    if (await isMountPoint(rootfs)) await unmount(rootfs, { detach: true });
    await this.deps.layers.removeSnapshot(id).catch((e) => {
      if (!isBerthError(e, 'not-found')) throw e;
    });
    await rm(this.deps.paths.dir(id), { recursive: true, force: true });
    const rec = this.deps.records.get(id);
    await this.deps.records.delete(id);
    if (rec && this.names.get(rec.name) === id) this.names.delete(rec.name);
  }

  /** `auto`: the --rm removal after exit; recovery finishes it if interrupted, so no intent record is needed. */
  async remove(ref: string, opts: { force: boolean; volumes: boolean; auto?: boolean }): Promise<void> {
    const rec = this.get(ref);
    if (rec.phase === 'removing') throw conflict(`removal of container ${rec.id} is already in progress`);
    const live = this.isLive(rec);
    if (live && !opts.force) {
      if (rec.state.status === 'paused') throw conflict(`You cannot remove a paused container ${rec.id}. Unpause and then stop the container before attempting removal or force remove`);
      throw containerIsRunning(rec.id);
    }
    this.restarts.cancel(rec.id);
    if (live) await this.kill(rec.id, 'SIGKILL', { waitExit: true, manual: true });
    const last = await this.lock.run(rec.id, async () => {
      const cur = this.deps.records.get(rec.id) ?? rec;
      const removing = { ...cur, phase: 'removing' as const, state: { ...cur.state, status: 'removing' as const } };
      if (!opts.auto) await this.deps.records.put(rec.id, removing);
      await this.discard(rec.id, opts.volumes);
      return cur;
    });
    this.emitEvent(last, 'destroy');
    for (const w of this.removeWaiters.get(rec.id) ?? []) w(last.state.exitCode);
    this.removeWaiters.delete(rec.id);
  }

  // ---- start --------------------------------------------------------------------------------

  isLive(rec: ContainerRecord): boolean {
    return rec.state.status === 'running' || rec.state.status === 'paused' || rec.state.status === 'restarting' && rec.state.pid > 0;
  }

  async start(ref: string, opts: { fromRestartPolicy?: boolean } = {}): Promise<void> {
    const { id } = this.get(ref);
    await this.lock.run(id, async () => {
      // Read under the lock: a stop (or rm) that ran while this waited has changed the record.
      let rec = this.deps.records.get(id);
      if (!rec) throw noSuchContainer(ref);
      // A restart-policy start that lost the race with a stop (or rm) must not bring it back.
      if (opts.fromRestartPolicy && (rec.manuallyStopped || rec.phase !== 'ready' || this.isLive(rec))) return;
      if (rec.phase !== 'ready') throw conflict(`container ${rec.id} is marked for removal and cannot be started`);
      if (rec.state.status === 'paused') throw conflict(`cannot start a paused container, try unpause instead`);
      if (rec.state.status === 'running') throw notModified();
      if (!opts.fromRestartPolicy) {
        if (rec.manuallyStopped) rec = await this.deps.records.update(id, (r) => ({ ...r, manuallyStopped: false }));
        this.restarts.cancel(rec.id);
      }
      await this.startLocked(rec);
    });
  }

  private async startLocked(rec: ContainerSnapshot): Promise<void> {
    const { paths, layers } = this.deps;
    const runtime = this.runtimeFor(rec);
    const monitor = this.monitorFor(rec);
    const rootfs = paths.rootfs(rec.id);
    const shimDir = paths.shim(rec.id);
    const t0 = performance.now();
    const lap: Record<string, number> = {};
    const mark = (name: string) => (lap[name] = Math.round((performance.now() - t0) * 10) / 10);
    try {
      if (!(await isMountPoint(rootfs))) await mountAll(await layers.mounts(rec.id), rootfs);
      mark('mount');
      const links = this.bridgeLinks(rec);
      const net = await setUpNetwork(rec, this.deps.networks, (ref) => this.get(ref));
      mark('network');
      await writeEtcFiles(paths, rec, net, this.deps.defaultDns, links.hosts);
      const volumeMounts = await this.deps.volumes.prepare(rec.id, rootfs);
      const donors = namespaceDonors(rec, (ref) => this.get(ref));
      const spec = await buildSpec(specInputFor(rec, { ...this.deps.spec, paths }, volumeMounts, net.netns, donors, links.env));
      mark('spec');
      const afterCreate = await runtime.prepareSpec(rec.id, spec);
      await writeFile(join(paths.dir(rec.id), 'config.json'), specToJson(spec));
      await rm(shimDir, { recursive: true, force: true });
      await mkdir(shimDir, { recursive: true, mode: 0o700 });
      if (await runtime.exists(rec.id)) await runtime.delete(rec.id, true).catch(() => {}); // stale, from a crash
      const logPath = rec.host.logConfig.type === 'none' ? undefined : paths.log(rec.id);
      mark('bundle');
      const { pid } = await monitor.spawnContainer({
        id: rec.id,
        bundle: paths.dir(rec.id),
        stateDir: shimDir,
        logPath,
        tty: rec.config.tty,
        openStdin: rec.config.openStdin,
        // As Docker: a TTY keeps its stdin across attach sessions (detach with ctrl-p ctrl-q).
        stdinOnce: rec.config.stdinOnce && !rec.config.tty,
      });
      mark('create');
      await afterCreate();
      if (rec.config.tty && rec.host.consoleSize) await monitor.resize(shimDir, ...rec.host.consoleSize).catch(() => {});
      // Attachers that came before start (docker run) connect before the process runs.
      const pending = this.pendingAttaches.get(rec.id);
      this.pendingAttaches.delete(rec.id);
      await Promise.all([...(pending ?? [])].map((p) => p(shimDir).catch((e) => log.warn('pending attach failed', { error: messageOf(e) }))));
      mark('attach');
      await runtime.start(rec.id);
      mark('runtime-start');
      const health = startingHealth(rec.config) ?? rec.state.health;
      rec = await this.deps.records.update(rec.id, (r) => ({ ...r, state: { ...r.state, status: 'running', pid, exitCode: 0, error: '', oomKilled: false, startedAt: nowRfc3339Nano(), finishedAt: r.state.finishedAt, ...(health ? { health } : {}) } }));
      mark('record');
      log.debug('container started', { id: rec.id.slice(0, 12), ms: lap });
      this.hooks.started?.(rec);
      this.emitEvent(rec, 'start');
      this.watchExit(rec.id);
    } catch (e) {
      const failure = startFailure(e);
      await runtime.delete(rec.id, true).catch(() => {});
      await this.deps.volumes.release(rec.id).catch(() => {});
      await this.deps.networks.detach(rec.id).catch(() => {});
      if (await isMountPoint(rootfs)) await unmount(rootfs, { detach: true }).catch(() => {});
      rec = await this.deps.records.update(rec.id, (r) => ({ ...r, state: { ...r.state, status: r.state.startedAt === ZERO_TIME ? 'created' : 'exited', pid: 0, exitCode: failure.exitCode, error: failure.error.message } }));
      for (const p of this.pendingAttaches.get(rec.id) ?? []) void p('').catch(() => {});
      this.pendingAttaches.delete(rec.id);
      if (rec.host.autoRemove) {
        // As Docker: an --rm container whose start failed is removed (after the lock is released).
        setImmediate(() => void this.remove(rec.id, { force: true, volumes: true }).catch(() => {}));
      }
      throw failure.error;
    }
  }

  /** Follows the monitor for the container's exit; idempotent. */
  watchExit(id: string): void {
    if (this.watching.has(id)) return;
    this.watching.add(id);
    void this.followExit(id).finally(() => this.watching.delete(id));
  }

  /** Waits for the exit; a failed wait is retried while the monitor lives, so no exit is lost. */
  private async followExit(id: string): Promise<void> {
    const stateDir = this.deps.paths.shim(id);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.onExit(id, await this.deps.monitor.waitExit(stateDir));
      } catch (e) {
        log.warn('waiting for container exit failed', { id, error: messageOf(e), attempt });
        if (!this.deps.records.has(id)) return;
        if (!(await this.deps.monitor.isAlive(stateDir))) {
          const status = (await this.deps.monitor.readExit(stateDir)) ?? { exitCode: 255, finishedAt: nowRfc3339Nano() };
          return await this.onExit(id, status);
        }
        await delay(Math.min(100 * 2 ** attempt, 5000));
      }
    }
  }

  private async onExit(id: string, status: ExitStatus): Promise<void> {
    const rec = this.deps.records.get(id);
    if (!rec) return;
    this.hooks.exited?.(id);
    // Log followers end before the die event, as dockerd closes a container's log before it
    // reports the exit (docker-compose's log printer relies on that order to print the exit).
    const exiting = this.exitingListeners.get(id);
    this.exitingListeners.delete(id);
    for (const fn of exiting ?? []) fn();
    await this.lock.run(id, async () => {
      const cur = this.deps.records.get(id);
      if (!cur) return;
      const exited: ContainerRecord = { ...cur, state: { ...cur.state, status: 'exited', pid: 0, exitCode: status.exitCode, finishedAt: status.finishedAt } };
      // An --rm container is about to go: its exit need not be durable (recovery removes it).
      // (It is still swapped in memory, so inspect sees the exit until the removal.)
      if (!cur.host.autoRemove) await this.deps.records.put(id, exited);
      else await this.deps.records.replaceUnsaved(id, exited);
      this.emitEvent(exited, 'die', { exitCode: String(status.exitCode) });
      // Waiters learn of the exit before the cleanup below; anything they do next that needs
      // this container waits for the lock, so it never sees a half-cleaned one.
      const waiters = this.exitWaiters.get(id);
      this.exitWaiters.delete(id);
      for (const w of waiters ?? []) w(status);
      await this.runtimeFor(rec).delete(id, true).catch((e) => log.debug('runtime delete after exit', { id, error: messageOf(e) }));
      await this.deps.volumes.release(id).catch((e) => log.warn('releasing volumes', { id, error: messageOf(e) }));
      await this.deps.networks.detach(id).catch((e) => log.warn('tearing down the network', { id, error: messageOf(e) }));
      const rootfs = this.deps.paths.rootfs(id);
      if (await isMountPoint(rootfs)) await unmount(rootfs, { detach: true }).catch((e) => log.warn('unmount rootfs', { id, error: messageOf(e) }));
    });
    // Decided on the record as it is now: a stop that raced with this exit has marked it.
    const now = this.deps.records.get(id);
    if (!now) return;
    if (now.host.autoRemove && now.phase === 'ready') {
      await this.remove(id, { force: true, volumes: true, auto: true }).catch((e) => log.warn('auto-remove failed', { id, error: messageOf(e) }));
      return;
    }
    if (this.restarts.shouldRestart(now, status.exitCode)) {
      const next = await this.deps.records.update(id, (r) => ({ ...r, restartCount: r.restartCount + 1, state: { ...r.state, status: 'restarting' } }));
      this.restarts.schedule(next);
    }
  }

  // ---- stop / kill / pause ------------------------------------------------------------------

  async kill(ref: string, signal: string | number = 'SIGKILL', opts: { waitExit?: boolean; manual?: boolean } = {}): Promise<void> {
    const rec = this.get(ref);
    const sig = signalNumber(signal);
    if (!this.isLive(rec) || rec.state.pid === 0) throw containerNotRunning(rec.id);
    if ((opts.manual ?? (sig === 9 || sig === signalNumber(rec.config.stopSignal ?? 'SIGTERM'))) && !rec.manuallyStopped) {
      // Recorded before the signal, so the exit it causes is not restarted by the policy.
      await this.deps.records.update(rec.id, (r) => ({ ...r, manuallyStopped: true }));
    }
    this.restarts.cancel(rec.id);
    const exited = opts.waitExit ? this.nextExit(rec.id) : undefined;
    const runtime = this.runtimeFor(rec);
    if (rec.state.status === 'paused' && sig === 9) await runtime.resume(rec.id).catch(() => {});
    await runtime.kill(rec.id, sig, sig === 9).catch((e) => {
      if (!isBerthError(e, 'not-found')) throw e;
    });
    this.emitEvent(rec, 'kill', { signal: String(sig) });
    if (exited) await exited;
  }

  async stop(ref: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    const rec = this.get(ref);
    this.restarts.cancel(rec.id);
    // Between two restarts there is no process: the stop just ends the policy. Under the lock, so
    // a restart already under way finishes first and is then stopped like any running container.
    const betweenRestarts = await this.lock.run(rec.id, async () => {
      const cur = this.deps.records.get(rec.id);
      if (!cur || cur.state.status !== 'restarting' || cur.state.pid !== 0) return false;
      await this.deps.records.update(rec.id, (r) => ({ ...r, manuallyStopped: true, state: { ...r.state, status: 'exited' } }));
      return true;
    });
    if (betweenRestarts) return;
    const cur = this.get(rec.id);
    if (!this.isLive(cur)) throw notModified();
    if (cur.state.status === 'paused') throw containerPaused(rec.id);
    await this.deps.records.update(rec.id, (r) => ({ ...r, manuallyStopped: true }));
    const timeout = opts.timeout ?? rec.config.stopTimeout ?? 10;
    const exited = this.nextExit(rec.id);
    const sig = opts.signal ?? rec.config.stopSignal ?? 'SIGTERM';
    await this.kill(rec.id, sig, { manual: true }).catch((e) => {
      if (!isBerthError(e, 'conflict')) throw e;
    });
    const done = await Promise.race([exited.then(() => true), delay(timeout < 0 ? 2 ** 31 - 1 : timeout * 1000).then(() => false)]);
    if (!done && this.isLive(this.get(rec.id))) await this.kill(rec.id, 'SIGKILL', { waitExit: true, manual: true }).catch(() => {});
    else if (!done) await exited;
    this.emitEvent(rec, 'stop');
  }

  async restart(ref: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    const rec = this.get(ref);
    if (this.isLive(rec)) await this.stop(rec.id, opts).catch((e) => {
      if (!isBerthError(e, 'not-modified')) throw e;
    });
    await this.start(rec.id);
    this.emitEvent(rec, 'restart');
  }

  async pause(ref: string): Promise<void> {
    const rec = this.get(ref);
    await this.lock.run(rec.id, async () => {
      const cur = this.get(rec.id);
      if (cur.state.status === 'paused') throw conflict(`Container ${rec.id} is already paused`);
      if (cur.state.status !== 'running') throw containerNotRunning(rec.id);
      await this.runtimeFor(cur).pause(rec.id);
      await this.deps.records.update(rec.id, (r) => ({ ...r, state: { ...r.state, status: 'paused' } }));
    });
    this.emitEvent(rec, 'pause');
  }

  async unpause(ref: string): Promise<void> {
    const rec = this.get(ref);
    await this.lock.run(rec.id, async () => {
      const cur = this.get(rec.id);
      if (cur.state.status !== 'paused') throw conflict(`Container ${rec.id} is not paused`);
      await this.runtimeFor(cur).resume(rec.id);
      await this.deps.records.update(rec.id, (r) => ({ ...r, state: { ...r.state, status: 'running' } }));
    });
    this.emitEvent(rec, 'unpause');
  }

  // ---- wait ---------------------------------------------------------------------------------

  /** Calls `fn` once, as soon as the container's process has exited (before the exit is recorded); returns the unsubscribe. */
  whenExiting(id: string, fn: () => void): () => void {
    let set = this.exitingListeners.get(id);
    if (!set) this.exitingListeners.set(id, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
      if (!set.size && this.exitingListeners.get(id) === set) this.exitingListeners.delete(id);
    };
  }

  nextExit(id: string): Promise<ExitStatus> {
    return new Promise((resolve) => {
      let set = this.exitWaiters.get(id);
      if (!set) this.exitWaiters.set(id, (set = new Set()));
      set.add(resolve);
    });
  }

  /** Docker's wait: resolves with the exit code for the condition. */
  async wait(ref: string, condition: WaitCondition, signal?: AbortSignal): Promise<{ statusCode: number; error?: string }> {
    const rec = this.get(ref);
    const aborted = new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(new Error('client gone')), { once: true }));
    aborted.catch(() => {}); // only raced below; an abort after an early return is nobody's error
    if (condition === 'removed') {
      const removed = new Promise<number>((resolve) => {
        let set = this.removeWaiters.get(rec.id);
        if (!set) this.removeWaiters.set(rec.id, (set = new Set()));
        set.add(resolve);
      });
      return { statusCode: await Promise.race([removed, aborted]) };
    }
    if (condition === 'not-running' && !this.isLive(rec) && rec.state.status !== 'restarting') return { statusCode: rec.state.exitCode };
    const s = await Promise.race([this.nextExit(rec.id), aborted]);
    return { statusCode: s.exitCode };
  }

  // ---- attach -------------------------------------------------------------------------------

  /**
   * Registers work to do against the monitor once the container is created by the next start
   * (stateDir '' means the start failed). Used by attach before start.
   */
  onNextStart(id: string, fn: PendingAttach): () => void {
    let set = this.pendingAttaches.get(id);
    if (!set) this.pendingAttaches.set(id, (set = new Set()));
    set.add(fn);
    return () => set!.delete(fn);
  }

  async attachRunning(rec: ContainerRecord, streams: { stdin: boolean; stdout: boolean; stderr: boolean }): Promise<Duplex> {
    return this.deps.monitor.attach(this.deps.paths.shim(rec.id), streams);
  }

  async resize(ref: string, rows: number, cols: number): Promise<void> {
    const rec = this.get(ref);
    if (!this.isLive(rec)) throw containerNotRunning(rec.id);
    await this.deps.monitor.resize(this.deps.paths.shim(rec.id), rows, cols);
  }

  // ---- rename / update ----------------------------------------------------------------------

  async rename(ref: string, newName: string): Promise<void> {
    const rec = this.get(ref);
    if (!newName) throw invalidArgument('Neither old nor new names may be empty');
    const name = normaliseName(newName);
    if (name === rec.name) throw conflict(`Renaming a container with the same name as its current name`);
    const owner = this.names.get(name);
    if (owner) throw containerNameInUse(name, owner);
    await this.lock.run(rec.id, async () => {
      const old = this.get(rec.id).name;
      this.names.set(name, rec.id);
      let renamed: ContainerSnapshot;
      try {
        renamed = await this.deps.records.update(rec.id, (r) => ({ ...r, name }));
      } catch (e) {
        this.names.delete(name);
        throw e;
      }
      this.names.delete(old);
      this.emitEvent(renamed, 'rename', { oldName: `/${old}` });
    });
  }

  async update(ref: string, change: { resources?: HostSettings['resources']; restartPolicy?: HostSettings['restartPolicy'] }): Promise<string[]> {
    const { id } = this.get(ref);
    const updated = await this.lock.run(id, async () => {
      const rec = this.get(id);
      const next: HostSettings = {
        ...rec.host,
        resources: { ...rec.host.resources, ...(change.resources ?? {}) },
        restartPolicy: change.restartPolicy ?? rec.host.restartPolicy,
      };
      validateHostSettings(next);
      if (this.isLive(rec) && change.resources && Object.keys(change.resources).length) {
        await this.runtimeFor(rec).update(rec.id, buildResources(next.resources));
      }
      return this.deps.records.update(id, (r) => ({ ...r, host: next }));
    });
    this.emitEvent(updated, 'update');
    return [];
  }

  /**
   * Saves a container's health under its lock, computed from the health recorded now. Returns
   * the status before and the record after, or undefined when the container is gone.
   */
  async updateHealth(id: string, fn: (cur: HealthState | undefined) => HealthState): Promise<{ before: HealthState['status'] | undefined; after: ContainerSnapshot } | undefined> {
    return this.lock.run(id, async () => {
      const cur = this.deps.records.get(id);
      if (!cur || cur.phase !== 'ready') return undefined;
      const after = await this.deps.records.update(id, (r) => ({ ...r, state: { ...r.state, health: fn(r.state.health) } }));
      return { before: cur.state.health?.status, after };
    });
  }

  // ---- networks -----------------------------------------------------------------------------

  /** docker network connect: recorded for the next start; a running container is attached now. */
  async connectNetwork(ref: string, req: { network: string; aliases: string[]; ip?: string; mac?: string; links?: string[] }): Promise<void> {
    const { id } = this.get(ref);
    const links = (req.links ?? []).map(parseLink);
    await this.lock.run(id, async () => {
      const rec = this.get(id);
      const n = this.deps.networks.find(req.network);
      if (!n) throw noSuchNetwork(req.network);
      const mode = rec.host.networkMode;
      if (mode === 'host' || mode === 'none' || mode.startsWith('container:') || n.name === 'host' || n.name === 'none')
        throw forbidden(`container cannot be disconnected from host network or connected to host network`);
      const endpoints = (rec.endpoints ?? []).filter((e) => primaryNetwork(e.network) !== n.name);
      if (this.isLive(rec)) {
        if (attachedNetworks(rec).some((e) => e.network === n.name)) throw forbidden(`endpoint with name ${rec.name} already exists in network ${n.name}`);
        await this.deps.networks.connect(rec.id, { name: n.name, aliases: req.aliases, ...(req.ip ? { ip: req.ip } : {}), ...(req.mac ? { mac: req.mac } : {}), ...(links.length ? { links } : {}) });
        await this.refreshEtcFiles(rec);
      }
      await this.deps.records.update(id, (r) => {
        const { primaryDisconnected, ...rest } = r;
        return { ...rest, endpoints: [...endpoints, { ...req, network: n.name }], ...(primaryNetwork(mode) === n.name || !primaryDisconnected ? {} : { primaryDisconnected }) };
      });
    });
    this.deps.events.emit('network', 'connect', req.network, { container: id, name: req.network });
  }

  async disconnectNetwork(ref: string, network: string): Promise<void> {
    const { id } = this.get(ref);
    await this.lock.run(id, async () => {
      const rec = this.get(id);
      const n = this.deps.networks.find(network);
      if (!n) throw noSuchNetwork(network);
      if (rec.host.networkMode === 'host' && n.name === 'host') throw forbidden('container cannot be disconnected from host network or connected to host network');
      if (!attachedNetworks(rec).some((e) => e.network === n.name)) throw forbidden(`container ${rec.id} is not connected to network ${n.name}`);
      if (this.isLive(rec)) {
        await this.deps.networks.disconnect(rec.id, n.name);
        await this.refreshEtcFiles(rec);
      }
      // HostConfig.NetworkMode stays as it was (Docker keeps it): the record notes the primary network was left.
      const leftPrimary = primaryNetwork(rec.host.networkMode) === n.name;
      await this.deps.records.update(id, (r) => ({ ...r, endpoints: (r.endpoints ?? []).filter((e) => primaryNetwork(e.network) !== n.name), ...(leftPrimary ? { primaryDisconnected: true } : {}) }));
    });
    this.deps.events.emit('network', 'disconnect', network, { container: id, name: network });
  }

  /** Rewrites /etc/hosts and resolv.conf in place (they are bind-mounted) after the networks changed. */
  private async refreshEtcFiles(rec: ContainerRecord): Promise<void> {
    const net = this.deps.networks.info(rec.id);
    let links: BridgeLinks['hosts'] = [];
    try {
      links = this.bridgeLinks(rec).hosts;
    } catch {
      // A linked container gone since the start: its line goes, as the rest is rewritten.
    }
    if (net) await writeEtcFiles(this.deps.paths, rec, net, this.deps.defaultDns, links);
  }

  /** The legacy links of a container on the default bridge, from its linked containers' current addresses. */
  private bridgeLinks(rec: ContainerRecord): BridgeLinks {
    return bridgeLinks(rec, (ref) => this.find(ref), (id) => this.deps.networks.info(id)?.endpoints.find((e) => e.network === 'bridge')?.ip);
  }

  // ---- filesystem access (cp, commit) -------------------------------------------------------

  /** Host files that appear inside the container through bind mounts and volumes. */
  private overlaysFor(rec: ContainerRecord): MountOverlay[] {
    const p = this.deps.paths;
    const out: MountOverlay[] = [
      { destination: '/etc/hostname', source: p.hostname(rec.id) },
      { destination: '/etc/hosts', source: p.hosts(rec.id) },
      { destination: '/etc/resolv.conf', source: p.resolvConf(rec.id) },
    ];
    for (const m of this.deps.volumes.mountPoints(rec.id)) if (m.type !== 'tmpfs' && m.source) out.push({ destination: m.destination, source: m.source });
    return out;
  }

  /** Runs fn with the container's merged filesystem mounted (temporarily if it is not running). */
  async withFs<T>(ref: string, fn: (fs: ContainerFs, rec: ContainerRecord) => Promise<T>): Promise<T> {
    const rec = this.get(ref);
    return this.lock.run(rec.id, async () => {
      const rootfs = this.deps.paths.rootfs(rec.id);
      const mounted = await isMountPoint(rootfs);
      if (!mounted) {
        await mkdir(rootfs, { recursive: true });
        await mountAll(await this.deps.layers.mounts(rec.id), rootfs);
        if (this.isLive(rec) === false) await writeEtcFiles(this.deps.paths, rec).catch(() => {});
      }
      try {
        return await fn(new ContainerFs(rootfs, this.overlaysFor(rec)), rec);
      } finally {
        if (!mounted) await unmount(rootfs, { detach: true }).catch((e) => log.warn('unmount after fs access', { id: rec.id, error: messageOf(e) }));
      }
    });
  }

  async commit(ref: string, opts: { ref?: string; author: string; comment: string; changes: string[]; config?: Partial<ContainerRecord['config']> }): Promise<Digest> {
    const rec = this.get(ref);
    const c = { ...rec.config, ...(opts.config ?? {}) };
    const id = await this.deps.images.commit({
      imageId: rec.imageId,
      diff: this.deps.layers.diff(rec.id),
      config: {
        cmd: c.cmd, entrypoint: c.entrypoint, env: c.env, workingDir: c.workingDir, user: c.user, labels: c.labels,
        exposedPorts: c.exposedPorts, volumes: c.volumes, stopSignal: c.stopSignal, healthcheck: c.healthcheck,
        onBuild: c.onBuild, shell: c.shell, hostname: c.hostname, domainname: c.domainname, tty: c.tty, openStdin: c.openStdin,
      },
      author: opts.author,
      comment: opts.comment,
      ref: opts.ref,
      changes: opts.changes,
      containerId: rec.id,
    });
    this.emitEvent(rec, 'commit', { comment: opts.comment });
    return id;
  }

  // ---- recovery -----------------------------------------------------------------------------

  /**
   * At daemon start: finish or undo what a crash interrupted, re-adopt running containers
   * (their monitors kept them alive), record exits that happened while we were away, and apply
   * restart policies.
   */
  async recover(): Promise<void> {
    for (const rec of this.deps.records.values()) {
      try {
        if (rec.phase === 'creating' || rec.phase === 'removing') {
          log.info('removing half-made container', { id: rec.id, phase: rec.phase });
          await this.discard(rec.id);
          continue;
        }
        if (this.isLive(rec) || rec.state.status === 'restarting') {
          const shimDir = this.deps.paths.shim(rec.id);
          if (await this.deps.monitor.isAlive(shimDir)) {
            this.watchExit(rec.id);
            if (rec.state.status === 'running') this.hooks.started?.(rec);
          } else {
            const status = (await this.deps.monitor.readExit(shimDir)) ?? { exitCode: 255, finishedAt: nowRfc3339Nano() };
            if (rec.state.status === 'restarting' && rec.state.pid === 0) {
              // Between two restarts when berthd went away: the policy's next start is still due.
              const next = await this.deps.records.update(rec.id, (r) => ({ ...r, state: { ...r.state, status: 'exited' } }));
              if (!next.manuallyStopped) this.restarts.schedule(next);
            } else await this.onExit(rec.id, status);
          }
        } else if (rec.host.autoRemove && rec.state.status === 'exited') {
          await this.discard(rec.id); // an --rm container whose removal a crash interrupted
        } else if (rec.state.status === 'exited' || rec.state.status === 'created') {
          const rootfs = this.deps.paths.rootfs(rec.id);
          if (await isMountPoint(rootfs)) await unmount(rootfs, { detach: true });
          if (rec.state.status === 'exited' && this.restarts.shouldRestartAfterDaemonStart(rec)) this.restarts.schedule(rec);
        }
      } catch (e) {
        log.error('recovery of container failed', { id: rec.id, error: messageOf(e), code: errnoCode(e) });
      }
    }
    const all = this.deps.records.values();
    await this.deps.networks.recover((id) => { const r = this.deps.records.get(id); return !!r && this.isLive(r); });
    await this.deps.volumes.reconcile(new Set(all.map((r) => r.id)), new Set(all.filter((r) => this.isLive(r)).map((r) => r.id)));
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
