// The lifecycle verbs: start, stop, kill, restart, pause, unpause, remove. Each reads the record
// under the container's lock where a concurrent verb could have changed it, and writes changes
// through RecordStore.update. Races with the restart policy are settled by `manuallyStopped`
// (written before any signal) and by re-reading under the lock.
import { processAlive } from '../lib/process-alive.js';
import { conflict, isBerthError, notModified } from '../lib/errors.js';
import { containerIsRunning, containerNotRunning, containerPaused, containerRestarting, noSuchContainer } from '../lib/docker-messages.js';
import type { ContainerRecord } from './container-record.js';
import { isLive, type ContainerCore } from './container-core.js';
import { discardContainer } from './container-create.js';
import { startLocked } from './container-start.js';
import type { RestartManager } from './restart-manager.js';
import { signalNumber } from './signals.js';

export class Lifecycle {
  constructor(
    private readonly core: ContainerCore,
    private readonly restarts: RestartManager,
    private readonly watchExit: (id: string) => void,
  ) {}

  async start(ref: string, opts: { fromRestartPolicy?: boolean } = {}): Promise<void> {
    const { core } = this;
    const { id } = core.index.get(ref);
    await core.lock.run(id, async () => {
      // Read under the lock: a stop (or rm) that ran while this waited has changed the record.
      let rec = core.records.get(id);
      if (!rec) throw noSuchContainer(ref);
      // A restart-policy start that lost the race with a stop (or rm) must not bring it back.
      if (opts.fromRestartPolicy && (rec.manuallyStopped || rec.phase !== 'ready' || isLive(rec))) return;
      if (rec.phase !== 'ready') throw conflict(`container ${rec.id} is marked for removal and cannot be started`);
      if (rec.state.status === 'paused') throw conflict(`cannot start a paused container, try unpause instead`);
      if (rec.state.status === 'running') throw notModified();
      if (!opts.fromRestartPolicy) {
        if (rec.manuallyStopped) rec = await core.records.update(id, (r) => ({ ...r, manuallyStopped: false }));
        this.restarts.cancel(id);
      }
      await startLocked(core, rec, {
        watchExit: this.watchExit,
        // After the lock is released (this start holds it).
        removeLater: (x) => setImmediate(() => void this.remove(x, { force: true, volumes: true }).catch(() => {})),
      });
    });
  }

  /** `waitExit` (default: for SIGKILL, as dockerd) returns only once the exit is recorded, so an inspect right after shows it. */
  async kill(ref: string, signal: string | number = 'SIGKILL', opts: { waitExit?: boolean; manual?: boolean } = {}): Promise<void> {
    const { core } = this;
    const rec = core.index.get(ref);
    const sig = signalNumber(signal);
    if (!isLive(rec) || rec.state.pid === 0) throw containerNotRunning(rec.id);
    if ((opts.manual ?? (sig === 9 || sig === signalNumber(rec.config.stopSignal ?? 'SIGTERM'))) && !rec.manuallyStopped) {
      // Recorded before the signal, so the exit it causes is not restarted by the policy.
      await core.records.update(rec.id, (r) => ({ ...r, manuallyStopped: true }));
    }
    this.restarts.cancel(rec.id);
    const exited = (opts.waitExit ?? sig === 9) ? core.waiters.nextExit(rec.id) : undefined;
    const runtime = core.runtimeFor(rec);
    if (rec.state.status === 'paused' && sig === 9) await runtime.resume(rec.id).catch(() => {});
    await runtime.kill(rec.id, sig, sig === 9).catch((e) => {
      // Gone already (it exited, or another kill won the race): the signal has nothing left to do.
      if (!isBerthError(e, 'not-found') && processAlive(rec.state.pid)) throw e;
    });
    core.emitEvent(rec, 'kill', { signal: String(sig) });
    // An exit recorded before the waiter was registered would leave it waiting for the next one.
    const now = core.records.get(rec.id);
    if (exited && now && isLive(now)) await exited;
  }

  async stop(ref: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    const { core } = this;
    const rec = core.index.get(ref);
    this.restarts.cancel(rec.id);
    // Decided and marked under the lock, as the exit watcher decides a policy restart under it:
    // an exit recorded first has left 'restarting' (this stop ends the policy) or 'exited'; a
    // stop marked first makes the exit it causes final. A start under way finishes first and
    // is then stopped like any running container.
    let exited: Promise<unknown> | undefined;
    const found = await core.lock.run(rec.id, async () => {
      const cur = core.index.get(rec.id);
      if (cur.state.status === 'restarting' && cur.state.pid === 0) {
        // Between two restarts there is no process: the stop just ends the policy.
        this.restarts.cancel(rec.id);
        await core.records.update(rec.id, (r) => ({ ...r, manuallyStopped: true, state: { ...r.state, status: 'exited' } }));
        return 'between-restarts';
      }
      if (!isLive(cur)) return 'not-running';
      if (cur.state.status === 'paused') return 'paused';
      await core.records.update(rec.id, (r) => ({ ...r, manuallyStopped: true }));
      exited = core.waiters.nextExit(rec.id); // before the lock goes, so no exit is missed
      return 'live';
    });
    if (found === 'between-restarts') return;
    if (found === 'not-running') throw notModified();
    if (found === 'paused') throw containerPaused(rec.id);
    const timeout = opts.timeout ?? rec.config.stopTimeout ?? 10;
    const sig = opts.signal ?? rec.config.stopSignal ?? 'SIGTERM';
    await this.kill(rec.id, sig, { manual: true }).catch((e) => {
      if (!isBerthError(e, 'conflict')) throw e;
    });
    const done = await Promise.race([exited!.then(() => true), delay(timeout < 0 ? 2 ** 31 - 1 : timeout * 1000).then(() => false)]);
    if (!done && isLive(core.index.get(rec.id))) await this.kill(rec.id, 'SIGKILL', { waitExit: true, manual: true }).catch(() => {});
    else if (!done) await exited;
    core.emitEvent(rec, 'stop');
  }

  async restart(ref: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    const rec = this.core.index.get(ref);
    if (isLive(rec))
      await this.stop(rec.id, opts).catch((e) => {
        if (!isBerthError(e, 'not-modified')) throw e;
      });
    await this.start(rec.id);
    this.core.emitEvent(rec, 'restart');
  }

  async pause(ref: string): Promise<void> {
    await this.setPaused(ref, true);
  }

  async unpause(ref: string): Promise<void> {
    await this.setPaused(ref, false);
  }

  private async setPaused(ref: string, paused: boolean): Promise<void> {
    const { core } = this;
    const rec = core.index.get(ref);
    await core.lock.run(rec.id, async () => {
      const cur = core.index.get(rec.id);
      if (paused) {
        if (cur.state.status === 'paused') throw conflict(`Container ${rec.id} is already paused`);
        if (cur.state.status !== 'running') throw containerNotRunning(rec.id);
        await core.runtimeFor(cur).pause(rec.id).catch(notRunningIfGone(cur));
      } else {
        if (cur.state.status !== 'paused') throw conflict(`Container ${rec.id} is not paused`);
        await core.runtimeFor(cur).resume(rec.id).catch(notRunningIfGone(cur));
      }
      await core.records.update(rec.id, (r) => ({ ...r, state: { ...r.state, status: paused ? 'paused' : 'running' } }));
    });
    core.emitEvent(rec, paused ? 'pause' : 'unpause');
  }

  /** `auto`: the --rm removal after exit; recovery finishes it if interrupted, so no intent record is needed. */
  async remove(ref: string, opts: { force: boolean; volumes: boolean; auto?: boolean }): Promise<void> {
    const { core } = this;
    const rec = core.index.get(ref);
    if (rec.phase === 'removing') throw conflict(`removal of container ${rec.id} is already in progress`);
    const live = isLive(rec);
    if (!opts.force) refuseRemoval(rec);
    this.restarts.cancel(rec.id);
    if (live) await this.kill(rec.id, 'SIGKILL', { waitExit: true, manual: true });
    const last = await core.lock.run(rec.id, async () => {
      const cur = core.records.get(rec.id) ?? rec;
      // Again under the lock: an exit being recorded while this waited may have left the
      // container 'restarting' (its restart policy brings it back), which only force removes.
      if (!opts.force) refuseRemoval(cur);
      if (!opts.auto) await core.records.put(rec.id, { ...cur, phase: 'removing', state: { ...cur.state, status: 'removing' } });
      await discardContainer(core, rec.id, opts.volumes);
      return cur;
    });
    core.emitEvent(last, 'destroy');
    core.waiters.notifyRemoved(rec.id, last.state.exitCode);
  }
}

/** The removals dockerd refuses without force: a container with a process, or one its restart policy is about to restart. */
function refuseRemoval(rec: ContainerRecord): void {
  if (rec.state.status === 'paused')
    throw conflict(`You cannot remove a paused container ${rec.id}. Unpause and then stop the container before attempting removal or force remove`);
  if (rec.state.status === 'restarting') throw containerRestarting(rec.id);
  if (isLive(rec)) throw containerIsRunning(rec.id);
}

/** A runtime call that raced the container's exit (its exit not recorded yet) is a 409, as dockerd says, not a server fault. */
function notRunningIfGone(rec: { readonly id: string; readonly state: { readonly pid: number } }): (e: unknown) => never {
  return (e) => {
    if (!processAlive(rec.state.pid)) throw containerNotRunning(rec.id);
    throw e;
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
