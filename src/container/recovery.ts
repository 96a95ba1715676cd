// Startup recovery: finish or undo what a crash interrupted, re-adopt running containers (their
// shims kept them alive), record exits that happened while berthd was away, and apply restart
// policies. recoveryAction decides per record in pure code from what was observed (is the shim
// alive); recoverContainers performs the decisions.
import { errnoCode, messageOf } from '../lib/errors.js';
import { log } from '../lib/log.js';
import { nowRfc3339Nano } from '../lib/time-parse.js';
import type { ContainerSnapshot } from './container-record.js';
import { isLive, type ContainerCore } from './container-core.js';
import { discardContainer } from './container-create.js';
import { dropStrayEndpoints } from './network-attach.js';
import type { ExitWatcher } from './exit-watcher.js';
import { startingHealth } from './healthcheck.js';
import type { RestartManager } from './restart-manager.js';
import { shouldRestartAfterDaemonStart } from './restart-policy.js';

export type RecoveryAction =
  /** Half-made, half-removed, or an --rm container whose removal was interrupted. */
  | { kind: 'discard' }
  /** The shim lives: follow it again. */
  | { kind: 'adopt' }
  /** The shim died with the process: record the exit (and let --rm or the policy act on it). */
  | { kind: 'record-exit' }
  /** berthd went away between two policy restarts: the next start is still due. */
  | { kind: 'resume-restart' }
  /** Not running: clear a stale rootfs mount; the policy may bring it back. */
  | { kind: 'settle'; restart: boolean }
  | { kind: 'none' };

/** Whether recoveryAction needs to know if the container's shim is alive. */
export function needsShimCheck(rec: ContainerSnapshot): boolean {
  return isLive(rec) || rec.state.status === 'restarting';
}

export function recoveryAction(rec: ContainerSnapshot, shimAlive: boolean): RecoveryAction {
  if (rec.phase === 'creating' || rec.phase === 'removing') return { kind: 'discard' };
  if (needsShimCheck(rec)) {
    if (shimAlive) return { kind: 'adopt' };
    return rec.state.status === 'restarting' && rec.state.pid === 0 ? { kind: 'resume-restart' } : { kind: 'record-exit' };
  }
  // An --rm container that is not running goes, also one never started (berthd died between the
  // CLI's create and start): dockerd's restore removes every stopped AutoRemove container too.
  if (rec.host.autoRemove && (rec.state.status === 'exited' || rec.state.status === 'created')) return { kind: 'discard' };
  if (rec.state.status === 'exited' || rec.state.status === 'created')
    return { kind: 'settle', restart: rec.state.status === 'exited' && shouldRestartAfterDaemonStart(rec) };
  return { kind: 'none' };
}

/**
 * A record that is not live but whose shim is: berthd died inside a start (after the runtime's
 * create, before the record said running). Nothing follows that process, so
 * it would hold its cgroup, namespaces and shim forever, unseen by ps; the start never completed,
 * so it is undone, as the start's own failure path does (the runtime's forced delete kills the
 * process; its shim then leaves by itself).
 */
async function undoUnfinishedStart(core: ContainerCore, rec: ContainerSnapshot, shimDir: string): Promise<void> {
  if (!(await core.deps.monitor.isAlive(shimDir))) return;
  log.info('undoing a start that berthd did not finish', { id: rec.id, status: rec.state.status });
  await core.runtimeFor(rec).delete(rec.id, true);
}

export async function recoverContainers(core: ContainerCore, exits: ExitWatcher, restarts: RestartManager): Promise<void> {
  const { deps } = core;
  for (const rec of deps.records.values()) {
    try {
      const shimDir = deps.paths.shim(rec.id);
      const action = recoveryAction(rec, needsShimCheck(rec) && (await deps.monitor.isAlive(shimDir)));
      switch (action.kind) {
        case 'discard':
          log.info('removing half-made container', { id: rec.id, phase: rec.phase });
          await discardContainer(core, rec.id); // deletes what the runtime still has too
          break;
        case 'adopt': {
          exits.watch(rec.id);
          if (rec.state.status !== 'running') break;
          // Probes start over, as at a start.
          const health = startingHealth(rec.config);
          const cur = health ? await core.records.update(rec.id, (r) => ({ ...r, state: { ...r.state, health } })) : rec;
          core.hooks.started?.(cur);
          break;
        }
        case 'record-exit': {
          const status = (await deps.monitor.readExit(shimDir)) ?? { exitCode: 255, finishedAt: nowRfc3339Nano() };
          await exits.onExit(rec.id, status);
          break;
        }
        case 'resume-restart': {
          const next = await core.records.update(rec.id, (r) => ({ ...r, state: { ...r.state, status: 'exited' } }));
          if (!next.manuallyStopped) restarts.schedule(next);
          break;
        }
        case 'settle':
          await undoUnfinishedStart(core, rec, shimDir);
          await core.unmountRootfs(rec.id);
          if (action.restart) restarts.schedule(rec);
          break;
        case 'none':
          break;
      }
    } catch (e) {
      log.error('recovery of container failed', { id: rec.id, error: messageOf(e), code: errnoCode(e) });
    }
  }
  const all = deps.records.values();
  await deps.networks.recover((id) => {
    const r = deps.records.get(id);
    return !!r && isLive(r);
  });
  for (const r of deps.records.values())
    if (isLive(r)) await dropStrayEndpoints(core, r).catch((e: unknown) => log.warn('recovery: a stray network endpoint', { id: r.id, error: messageOf(e) }));
  await deps.volumes.reconcile(new Set(all.map((r) => r.id)), new Set(all.filter((r) => isLive(r)).map((r) => r.id)));
}
