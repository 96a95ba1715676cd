// Following containers' exits: one watch per running container waits on its monitor; the exit
// is recorded under the container's lock, waiters are told, the process's resources are freed,
// and then --rm or the restart policy (decided in restart-policy.ts) acts.
import type { ExitStatus } from '../runtime/monitor/monitor.js';
import { messageOf } from '../lib/errors.js';
import { log } from '../lib/log.js';
import { nowRfc3339Nano } from '../lib/time-parse.js';
import type { ContainerCore } from './container-core.js';
import type { RestartManager } from './restart-manager.js';
import { afterExit } from './restart-policy.js';

export class ExitWatcher {
  private readonly watching = new Set<string>();

  constructor(
    private readonly core: ContainerCore,
    private readonly restarts: RestartManager,
    private readonly autoRemove: (id: string) => Promise<void>,
  ) {}

  /** Follows the monitor for the container's exit; idempotent. */
  watch(id: string): void {
    if (this.watching.has(id)) return;
    this.watching.add(id);
    void this.follow(id)
      .catch((e: unknown) => log.error('following a container exit failed', { id, error: messageOf(e) }))
      .finally(() => this.watching.delete(id));
  }

  /**
   * Waits for the exit; a failed wait is retried while the monitor lives, so no exit is lost.
   * Recording it is retried too: on a full disk the record cannot be written (ENOSPC) until
   * space is freed, and the exit status learnt from the shim must not be replaced by a guess.
   */
  private async follow(id: string): Promise<void> {
    const { monitor, paths } = this.core.deps;
    const stateDir = paths.shim(id);
    let status: ExitStatus | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        status ??= await monitor.waitExit(stateDir);
        return await this.onExit(id, status);
      } catch (e) {
        log.warn(status ? 'recording a container exit failed' : 'waiting for container exit failed', { id, error: messageOf(e), attempt });
        if (!this.core.records.has(id)) return;
        if (!status && !(await monitor.isAlive(stateDir))) status = (await monitor.readExit(stateDir)) ?? { exitCode: 255, finishedAt: nowRfc3339Nano() };
        await delay(Math.min(100 * 2 ** attempt, 5000));
      }
    }
  }

  /** Records an exit and acts on it (also used by recovery for exits that happened while berthd was away). */
  async onExit(id: string, status: ExitStatus): Promise<void> {
    const { core } = this;
    const rec = core.records.get(id);
    if (!rec) return;
    core.hooks.exited?.(id);
    // Log followers end before the die event, as dockerd closes a container's log before it
    // reports the exit (docker-compose's log printer relies on that order to print the exit).
    core.waiters.notifyExiting(id);
    await core.lock.run(id, async () => {
      const cur = core.records.get(id);
      if (!cur) return;
      const exited = (r: typeof cur) => ({
        ...r,
        state: { ...r.state, status: 'exited' as const, pid: 0, exitCode: status.exitCode, finishedAt: status.finishedAt },
      });
      // An --rm container is about to go: its exit need not be durable (recovery removes it),
      // but memory has it, so inspect shows the exit until the removal.
      const after = cur.host.autoRemove ? await core.records.replaceUnsaved(id, exited(cur)) : await core.records.update(id, exited);
      core.emitEvent(after, 'die', { exitCode: String(status.exitCode) });
      // Waiters learn of the exit before the cleanup below; anything they do next that needs
      // this container waits for the lock, so it never sees a half-cleaned one.
      core.waiters.notifyExit(id, status);
      // The shim has deleted the container from the runtime before it reported the exit; this
      // is for a shim that died first (one stat when there is nothing left).
      const runtime = core.runtimeFor(rec);
      if (await runtime.exists(id)) await runtime.delete(id, true).catch((e) => log.debug('runtime delete after exit', { id, error: messageOf(e) }));
      await core.deps.volumes.release(id).catch((e) => log.warn('releasing volumes', { id, error: messageOf(e) }));
      await core.deps.networks.detach(id).catch((e) => log.warn('tearing down the network', { id, error: messageOf(e) }));
      await core.unmountRootfs(id).catch((e) => log.warn('unmount rootfs', { id, error: messageOf(e) }));
      // Decided under the lock, on the record as it is now: a stop marks the record under the
      // lock too, so either it came first (no restart) or it finds 'restarting' and ends it.
      const now = core.records.get(id);
      if (now && afterExit(now, status.exitCode) === 'restart') {
        const next = await core.records.update(id, (r) => ({ ...r, restartCount: r.restartCount + 1, state: { ...r.state, status: 'restarting' } }));
        this.restarts.schedule(next);
      }
    });
    // --rm: after the lock, which the removal takes.
    const now = core.records.get(id);
    if (now && afterExit(now, status.exitCode) === 'remove')
      await this.autoRemove(id).catch((e) => log.warn('auto-remove failed', { id, error: messageOf(e) }));
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
