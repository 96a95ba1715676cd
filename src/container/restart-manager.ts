// Restart policies: decides whether an exit restarts the container and schedules it with
// Docker's back-off (100 ms doubling, reset after 10 s of running; capped at 1 minute).
import { log } from '../lib/log.js';
import { messageOf } from '../lib/errors.js';
import type { ContainerRecord } from './container-record.js';

export class RestartManager {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly delays = new Map<string, number>();

  constructor(private readonly restart: (id: string) => Promise<void>) {}

  shouldRestart(rec: ContainerRecord, exitCode: number): boolean {
    if (rec.manuallyStopped || rec.phase !== 'ready') return false;
    const p = rec.host.restartPolicy;
    switch (p.name) {
      case 'always':
      case 'unless-stopped':
        return true;
      case 'on-failure':
        return exitCode !== 0 && (p.maximumRetryCount === 0 || rec.restartCount < p.maximumRetryCount);
      default:
        return false;
    }
  }

  /** After a berthd restart (or host reboot): 'always' and 'unless-stopped' bring containers back. */
  shouldRestartAfterDaemonStart(rec: ContainerRecord): boolean {
    if (rec.manuallyStopped) return false;
    const n = rec.host.restartPolicy.name;
    return n === 'always' || n === 'unless-stopped' || (n === 'on-failure' && rec.state.exitCode !== 0 && this.shouldRestart(rec, rec.state.exitCode));
  }

  schedule(rec: ContainerRecord): void {
    this.cancel(rec.id);
    const startedMs = Date.parse(rec.state.startedAt);
    const finishedMs = Date.parse(rec.state.finishedAt);
    let d = this.delays.get(rec.id) ?? 100;
    if (finishedMs - startedMs > 10_000) d = 100;
    this.delays.set(rec.id, Math.min(d * 2, 60_000));
    const t = setTimeout(() => {
      this.timers.delete(rec.id);
      this.restart(rec.id).catch((e) => log.warn('restart policy start failed', { id: rec.id, error: messageOf(e) }));
    }, d);
    t.unref();
    this.timers.set(rec.id, t);
  }

  cancel(id: string): void {
    const t = this.timers.get(id);
    if (t) clearTimeout(t);
    this.timers.delete(id);
  }

  cancelAll(): void {
    for (const id of [...this.timers.keys()]) this.cancel(id);
  }
}
