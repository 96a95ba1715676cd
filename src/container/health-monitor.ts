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
import type { ContainerSnapshot } from './container-record.js';
import { healthCommand, nextHealth } from './healthcheck.js';

const NS_PER_MS = 1_000_000;
const DEFAULT_INTERVAL_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_START_INTERVAL_MS = 5_000;
const MAX_OUTPUT = 4096;

export { healthCommand };

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

  /**
   * Begins probing a container that just started (no-op without a healthcheck). The start
   * itself recorded the 'starting' health (startingHealth), in the same write as 'running'.
   */
  start(rec: ContainerSnapshot): void {
    this.stop(rec.id);
    const cmd = healthCommand(rec.config.healthcheck, rec.config.shell);
    if (!cmd) return;
    const probe: Probe = { stopped: false, startedAt: Date.now() };
    this.probes.set(rec.id, probe);
    this.schedule(rec.id, probe, this.delay(rec, probe));
  }

  stop(id: string): void {
    const p = this.probes.get(id);
    if (!p) return;
    p.stopped = true;
    if (p.timer) clearTimeout(p.timer);
    this.probes.delete(id);
  }

  private inStartPeriod(rec: ContainerSnapshot, probe: Probe): boolean {
    return Date.now() - probe.startedAt < (rec.config.healthcheck?.startPeriod ?? 0) / NS_PER_MS;
  }

  private delay(rec: ContainerSnapshot, probe: Probe): number {
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
    const result = { start, end: nowRfc3339Nano(), exitCode, output: output.slice(0, MAX_OUTPUT) };
    const inStartPeriod = this.inStartPeriod(rec, probe);
    // Saved under the container's lock, from the record as it is then (an exit or a rename may
    // have changed it while the probe ran).
    const saved = await this.containers
      .updateHealth(id, (cur) => nextHealth(cur, result, { inStartPeriod, retries: h.retries }))
      .catch((e) => void log.warn('saving health state', { id, error: messageOf(e) }));
    if (saved && saved.after.state.health?.status !== saved.before)
      this.containers.emitEvent(saved.after, `health_status: ${saved.after.state.health?.status}`);
    if (probe.stopped) return;
    this.schedule(id, probe, this.delay(saved?.after ?? rec, probe));
  }

  /** Runs the test as an exec, collecting its output, killed by a timeout like Docker's. */
  private async exec(rec: ContainerSnapshot, cmd: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }> {
    const id = this.execs.create(rec.id, {
      cmd,
      env: [],
      user: '',
      workingDir: '',
      tty: false,
      attachStdin: false,
      attachStdout: true,
      attachStderr: true,
      privileged: false,
      detachKeys: '',
    });
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
