// Healthchecks as Docker runs them: the image's or the container's HEALTHCHECK test is exec'd in
// the running container every interval; `retries` consecutive failures make it unhealthy, one
// success healthy; failures during the start period do not count. The last five results are
// kept in State.Health, and each change of status is an event.
import { demuxFrames } from '../lib/stdcopy.js';
import { log } from '../lib/log.js';
import { messageOf } from '../lib/errors.js';
import { nowRfc3339Nano } from '../lib/time-parse.js';
import type { ContainerService } from './container-service.js';
import type { ExecService } from './exec-service.js';
import type { ContainerRecord, HealthcheckConfig, HealthState } from './container-record.js';

const NS_PER_MS = 1_000_000;
const DEFAULT_INTERVAL_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_START_INTERVAL_MS = 5_000;
const DEFAULT_RETRIES = 3;
const MAX_LOG_ENTRIES = 5;
const MAX_OUTPUT = 4096;

/** The process a test runs, or undefined when healthchecks are off (none, or ["NONE"]). */
export function healthCommand(h: HealthcheckConfig | undefined, shell: string[] | undefined): string[] | undefined {
  if (!h || h.test.length === 0 || h.test[0] === 'NONE') return undefined;
  const [kind, ...rest] = h.test;
  if (kind === 'CMD') return rest.length ? rest : undefined;
  if (kind === 'CMD-SHELL') return rest.length ? [...(shell?.length ? shell : ['/bin/sh', '-c']), rest.join(' ')] : undefined;
  return h.test; // Docker treats an unprefixed test as CMD
}

interface Probe {
  timer?: NodeJS.Timeout;
  stopped: boolean;
  startedAt: number;
}

export class HealthMonitor {
  private readonly probes = new Map<string, Probe>();

  constructor(
    private readonly containers: ContainerService,
    private readonly execs: ExecService,
  ) {}

  /** Begins probing a container that just started (no-op without a healthcheck). */
  start(rec: ContainerRecord): void {
    this.stop(rec.id);
    const cmd = healthCommand(rec.config.healthcheck, rec.config.shell);
    if (!cmd) return;
    const probe: Probe = { stopped: false, startedAt: Date.now() };
    this.probes.set(rec.id, probe);
    rec.state.health = { status: 'starting', failingStreak: 0, log: [] };
    this.schedule(rec.id, probe, this.delay(rec, probe));
  }

  stop(id: string): void {
    const p = this.probes.get(id);
    if (!p) return;
    p.stopped = true;
    if (p.timer) clearTimeout(p.timer);
    this.probes.delete(id);
  }

  private inStartPeriod(rec: ContainerRecord, probe: Probe): boolean {
    return Date.now() - probe.startedAt < (rec.config.healthcheck?.startPeriod ?? 0) / NS_PER_MS;
  }

  private delay(rec: ContainerRecord, probe: Probe): number {
    const h = rec.config.healthcheck;
    if (this.inStartPeriod(rec, probe) && rec.state.health?.status === 'starting')
      return (h?.startInterval || DEFAULT_START_INTERVAL_MS * NS_PER_MS) / NS_PER_MS;
    return (h?.interval || DEFAULT_INTERVAL_MS * NS_PER_MS) / NS_PER_MS;
  }

  private schedule(id: string, probe: Probe, ms: number): void {
    probe.timer = setTimeout(() => void this.runOnce(id, probe), ms);
    probe.timer.unref();
  }

  private async runOnce(id: string, probe: Probe): Promise<void> {
    const rec = this.containers.find(id);
    if (probe.stopped || !rec || rec.state.status !== 'running') return;
    const h = rec.config.healthcheck!;
    const start = nowRfc3339Nano();
    let exitCode: number;
    let output: string;
    try {
      ({ exitCode, output } = await this.exec(rec, healthCommand(h, rec.config.shell)!, (h.timeout || DEFAULT_TIMEOUT_MS * NS_PER_MS) / NS_PER_MS));
    } catch (e) {
      exitCode = -1;
      output = messageOf(e);
    }
    if (probe.stopped) return;
    this.record(rec, probe, { start, end: nowRfc3339Nano(), exitCode, output: output.slice(0, MAX_OUTPUT) });
    await this.containers.deps.records.put(rec.id, rec).catch((e) => log.warn('saving health state', { id, error: messageOf(e) }));
    this.schedule(id, probe, this.delay(rec, probe));
  }

  private record(rec: ContainerRecord, probe: Probe, result: HealthState['log'][number]): void {
    const health = (rec.state.health ??= { status: 'starting', failingStreak: 0, log: [] });
    health.log = [...health.log, result].slice(-MAX_LOG_ENTRIES);
    const before = health.status;
    if (result.exitCode === 0) {
      health.failingStreak = 0;
      health.status = 'healthy';
    } else if (!this.inStartPeriod(rec, probe) || before !== 'starting') {
      health.failingStreak++;
      if (health.failingStreak >= (rec.config.healthcheck?.retries || DEFAULT_RETRIES)) health.status = 'unhealthy';
    }
    if (health.status !== before) this.containers.emitEvent(rec, `health_status: ${health.status}`);
  }

  /** Runs the test as an exec, collecting its output, killed by a timeout like Docker's. */
  private async exec(rec: ContainerRecord, cmd: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }> {
    const id = this.execs.create(rec.id, { cmd, env: [], user: '', workingDir: '', tty: false, attachStdin: false, attachStdout: true, attachStderr: true, privileged: false, detachKeys: '' });
    const { stream, exited } = await this.execs.start(id, { detach: false });
    const chunks: Buffer[] = [];
    let size = 0;
    const reading = (async () => {
      for await (const f of demuxFrames(stream!)) {
        if (size < MAX_OUTPUT) chunks.push(f.data);
        size += f.data.length;
      }
    })().catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
    const r = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    if (r === 'timeout') {
      stream?.destroy();
      await this.execs.kill(id).catch(() => {});
      return { exitCode: -1, output: `Health check exceeded timeout (${formatSeconds(timeoutMs)})` };
    }
    await reading;
    return { exitCode: r, output: Buffer.concat(chunks).toString('utf8') };
  }
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
