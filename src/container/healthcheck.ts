// Healthcheck decisions in pure code: which process a test runs, the health a (re)started
// container begins with, and how one probe result changes the health. The HealthMonitor
// performs the probes and saves what these functions decide.
import type { StoredContainerConfig, HealthcheckConfig, HealthState } from './container-record.js';

const DEFAULT_RETRIES = 3;
const MAX_LOG_ENTRIES = 5;

/** The process a test runs, or undefined when healthchecks are off (none, or ["NONE"]). */
export function healthCommand(h: HealthcheckConfig | undefined, shell: readonly string[] | undefined): string[] | undefined {
  if (!h || h.test.length === 0 || h.test[0] === 'NONE') return undefined;
  const [kind, ...rest] = h.test;
  if (kind === 'CMD') return rest.length ? rest : undefined;
  if (kind === 'CMD-SHELL') return rest.length ? [...(shell?.length ? shell : ['/bin/sh', '-c']), rest.join(' ')] : undefined;
  return h.test; // Docker treats an unprefixed test as CMD
}

/** The health a container with a healthcheck starts with (undefined: it has none). */
export function startingHealth(config: Pick<StoredContainerConfig, 'healthcheck' | 'shell'>): HealthState | undefined {
  return healthCommand(config.healthcheck, config.shell) ? { status: 'starting', failingStreak: 0, log: [] } : undefined;
}

/**
 * The health after one probe: a success makes it healthy, `retries` consecutive failures
 * unhealthy; failures while still starting inside the start period do not count.
 */
export function nextHealth(
  prev: Readonly<HealthState> | undefined,
  result: HealthState['log'][number],
  o: { inStartPeriod: boolean; retries?: number },
): HealthState {
  const before = prev ?? { status: 'starting', failingStreak: 0, log: [] };
  const log = [...before.log, result].slice(-MAX_LOG_ENTRIES);
  if (result.exitCode === 0) return { status: 'healthy', failingStreak: 0, log };
  if (o.inStartPeriod && before.status === 'starting') return { status: before.status, failingStreak: before.failingStreak, log };
  const failingStreak = before.failingStreak + 1;
  return { status: failingStreak >= (o.retries || DEFAULT_RETRIES) ? 'unhealthy' : before.status, failingStreak, log };
}
