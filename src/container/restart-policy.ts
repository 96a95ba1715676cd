// Restart policies decided in pure code (Docker's semantics): what an exit leads to, whether a
// daemon start brings a stopped container back, and the back-off before the next attempt.
import type { ContainerRecord } from './container-record.js';

type PolicyView = Pick<ContainerRecord, 'manuallyStopped' | 'phase' | 'restartCount'> & {
  readonly host: { readonly autoRemove: boolean; readonly restartPolicy: Readonly<ContainerRecord['host']['restartPolicy']> };
};

/** Whether an exit with `exitCode` restarts the container (never after an explicit stop or during rm). */
export function shouldRestart(rec: PolicyView, exitCode: number): boolean {
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
export function shouldRestartAfterDaemonStart(rec: PolicyView & { readonly state: { readonly exitCode: number } }): boolean {
  if (rec.manuallyStopped) return false;
  const n = rec.host.restartPolicy.name;
  return n === 'always' || n === 'unless-stopped' || (n === 'on-failure' && rec.state.exitCode !== 0 && shouldRestart(rec, rec.state.exitCode));
}

/** What follows a recorded exit: --rm removes (unless rm is already under way), else the policy decides. */
export function afterExit(rec: PolicyView, exitCode: number): 'remove' | 'restart' | 'none' {
  if (rec.host.autoRemove) return rec.phase === 'ready' ? 'remove' : 'none';
  return shouldRestart(rec, exitCode) ? 'restart' : 'none';
}

/**
 * Docker's back-off: 100 ms doubling up to a minute, back to 100 ms once a run lasted over 10 s.
 * Returns the wait now and the one to use next time.
 */
export function restartBackoff(previous: number | undefined, startedAt: string, finishedAt: string): { delay: number; next: number } {
  let delay = previous ?? 100;
  if (Date.parse(finishedAt) - Date.parse(startedAt) > 10_000) delay = 100;
  return { delay, next: Math.min(delay * 2, 60_000) };
}
