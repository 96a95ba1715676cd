// Timing helpers shared by the benchmarks: bounded repetition, medians/p90, timed child
// processes and a small fixed-width table. Benchmarks print numbers; they never assert them.
import { spawn } from 'node:child_process';

export interface Summary {
  n: number;
  median: number;
  p90: number;
  min: number;
  max: number;
}

export function summarize(samples: readonly number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  if (s.length === 0) return { n: 0, median: NaN, p90: NaN, min: NaN, max: NaN };
  const at = (q: number): number => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { n: s.length, median, p90: at(0.9), min: s[0]!, max: s[s.length - 1]! };
}

/** Samples in ms, plus how many runs failed (an error or a hang cut off by a timeout). */
export type Samples = number[] & { failures?: number; firstError?: string };

/**
 * Runs fn up to `runs` times (after `warmup` unrecorded runs) and stops early once `budgetMs`
 * is spent, so a pathological slowdown cannot make a benchmark run for ever. A run that throws
 * is counted as a failure (first message kept) rather than ending the benchmark; more than
 * `maxFailures` failures end the series.
 */
export async function repeat(
  opts: { runs: number; budgetMs: number; warmup?: number; maxFailures?: number },
  fn: (i: number) => Promise<number>,
): Promise<Samples> {
  const deadline = performance.now() + opts.budgetMs;
  const out: Samples = [];
  out.failures = 0;
  const maxFailures = opts.maxFailures ?? 3;
  const attempt = async (i: number): Promise<void> => {
    try {
      const v = await fn(i);
      if (i >= 0) out.push(v);
    } catch (e) {
      out.failures!++;
      out.firstError ??= (e as Error).message.split('\n')[0];
    }
  };
  for (let i = 0; i < (opts.warmup ?? 0) && performance.now() < deadline && out.failures! <= maxFailures; i++) await attempt(-1 - i);
  for (let i = 0; i < opts.runs && out.failures! <= maxFailures; i++) {
    await attempt(i);
    if (performance.now() > deadline) break;
  }
  if (out.failures) console.log(`  (${out.failures} failed run(s): ${out.firstError})`);
  return out;
}

export interface TimedResult {
  ms: number;
  /** Killed by our timeout (a hang), not a normal exit. */
  timedOut: boolean;
  code: number;
  stdout: string;
  stderr: string;
}

export interface TimedOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** A file descriptor for the child's stdout (e.g. /dev/null) instead of a pipe we read. */
  stdoutFd?: number;
  /** Count stdout bytes instead of keeping them. */
  countOnly?: boolean;
}

/** Spawns a process and measures spawn -> exit on the monotonic clock. Never throws on exit codes. */
export function timed(cmd: string, args: readonly string[], opts: TimedOptions = {}): Promise<TimedResult & { bytes: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['ignore', opts.stdoutFd ?? 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let bytes = 0;
    p.stdout?.on('data', (c: Buffer) => {
      bytes += c.length;
      if (!opts.countOnly) out.push(c);
    });
    p.stderr!.on('data', (c: Buffer) => err.push(c));
    let ms = 0;
    let timedOut = false;
    const t = setTimeout(() => {
      timedOut = true;
      p.kill('SIGKILL');
    }, opts.timeoutMs ?? 60_000);
    p.on('exit', () => (ms = performance.now() - t0));
    p.on('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
    p.on('close', (code, sig) => {
      clearTimeout(t);
      resolve({
        ms: ms || performance.now() - t0,
        timedOut,
        code: code ?? (sig ? 128 : 1),
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        bytes,
      });
    });
  });
}

/** Like timed() but throws (with stderr) unless the exit status is 0; returns the milliseconds. */
export async function timedOk(cmd: string, args: readonly string[], opts: TimedOptions = {}): Promise<number> {
  const r = await timed(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} ${exitText(r)}`);
  return r.ms;
}

export function exitText(r: TimedResult): string {
  return r.timedOut ? `hung: killed after ${r.ms.toFixed(0)} ms` : `exited ${r.code}: ${r.stderr.trim()}`;
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

export function fmtBytes(n: number): string {
  if (!Number.isFinite(n)) return '-';
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(0)} KiB`;
  return `${n} B`;
}

/** Prints rows as a left-aligned first column and right-aligned others. */
export function printTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): void {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const line = (r: readonly string[]): string => r.map((v, c) => (c === 0 ? (v ?? '').padEnd(widths[c]!) : (v ?? '').padStart(widths[c]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

/**
 * A table printed row by row as results arrive (fixed column widths), so a benchmark that fails
 * half way still shows what it measured.
 */
export class LiveTable {
  constructor(
    private readonly header: readonly string[],
    private readonly widths: readonly number[] = header.map((h, i) => (i === 0 ? 40 : h === 'n' ? 16 : 10)),
  ) {
    console.log(this.line(this.header));
    console.log(this.widths.map((w) => '-'.repeat(w)).join('  '));
  }
  private line(r: readonly string[]): string {
    // The first column and a trailing "note" column are text (left-aligned); the rest numbers.
    const textCol = (c: number): boolean => c === 0 || this.header[c] === 'note';
    return r
      .map((v, c) => (textCol(c) ? v.padEnd(this.widths[c] ?? 10) : v.padStart(this.widths[c] ?? 10)))
      .join('  ')
      .trimEnd();
  }
  add(r: readonly string[]): void {
    console.log(this.line(r));
  }
}

/** A table row for a sample set: label, median, p90, n, then free-form columns. */
export function row(label: string, samples: Samples | readonly number[], ...extra: string[]): string[] {
  const s = summarize(samples);
  const failures = (samples as Samples).failures;
  const n = failures ? `${s.n} (+${failures} failed)` : String(s.n);
  return [label, fmtMs(s.median), fmtMs(s.p90), n, ...extra];
}

export const TIME_HEADER = ['workload', 'median', 'p90', 'n'];

/** "goal ≤ 0.4x: met" for a ratio goal (issue 12's goals are ratios against the engines on the machine). */
export function ratioGoal(ours: number, theirs: number, max: number): string {
  const r = ours / theirs;
  return Number.isFinite(r) && theirs !== 0 ? `goal ≤ ${max}x: ${r <= max ? 'met' : 'missed'}` : '';
}

export function ratio(ours: number, theirs: number): string {
  if (!Number.isFinite(ours) || !Number.isFinite(theirs) || theirs === 0) return '-';
  return `${(ours / theirs).toFixed(2)}x`;
}
