// Restart policies performed: schedules the policy's start with Docker's back-off (decided in
// restart-policy.ts) and cancels it when a stop, start or rm comes first. Timers are unref'd, so
// they never keep berthd alive; cancelAll at shutdown.
import { log } from '../lib/log.js';
import { messageOf } from '../lib/errors.js';
import type { ContainerSnapshot } from './container-record.js';
import { restartBackoff } from './restart-policy.js';

export class RestartManager {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly delays = new Map<string, number>();

  constructor(private readonly restart: (id: string) => Promise<void>) {}

  schedule(rec: Pick<ContainerSnapshot, 'id' | 'state'>): void {
    this.cancel(rec.id);
    const { delay, next } = restartBackoff(this.delays.get(rec.id), rec.state.startedAt, rec.state.finishedAt);
    this.delays.set(rec.id, next);
    const t = setTimeout(() => {
      this.timers.delete(rec.id);
      this.restart(rec.id).catch((e) => log.warn('restart policy start failed', { id: rec.id, error: messageOf(e) }));
    }, delay);
    t.unref();
    this.timers.set(rec.id, t);
  }

  /** Whether a policy start is waiting for its timer. */
  isScheduled(id: string): boolean {
    return this.timers.has(id);
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
