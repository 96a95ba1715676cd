// The container log line format: Docker's json-file driver, one JSON object per line. Berth's
// monitor writes one line per chunk read from the process, so `log` may hold several lines or
// a partial one; readers must not assume one line per entry.
import { formatRfc3339Nano, parseRfc3339Ns } from '../../lib/time-parse.js';

export type LogStream = 'stdout' | 'stderr';

export interface LogEntry {
  log: string;
  stream: LogStream;
  time: string; // RFC 3339 nano, UTC
}

/** One log line exactly as the monitor writes it, newline included. */
export function logWriterFormat(chunk: Buffer | string, stream: LogStream, time: string): string {
  const log = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
  return JSON.stringify({ log, stream, time }) + '\n';
}

/** Parses one line (without its newline); undefined for corrupt or truncated lines. */
export function parseLogLine(text: string): LogEntry | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const e = v as Record<string, unknown>;
  if (typeof e.log !== 'string' || typeof e.time !== 'string') return undefined;
  // Docker writes "stdout"/"stderr"; anything else (e.g. missing) is treated as stdout.
  const stream: LogStream = e.stream === 'stderr' ? 'stderr' : 'stdout';
  return { log: e.log, stream, time: e.time };
}

/** True when `t` is in the canonical 30-character form, whose string order is time order. */
export function isCanonicalTime(t: string): boolean {
  return t.length === 30 && t.charCodeAt(29) === 90 /* Z */ && t.charCodeAt(19) === 46 /* . */;
}

/** The entry time with exactly 9 fractional digits (what `docker logs -t` prints). */
export function canonicalTime(t: string): string {
  if (isCanonicalTime(t)) return t;
  try {
    return formatRfc3339Nano(parseRfc3339Ns(t));
  } catch {
    return t;
  }
}

/**
 * Compares an entry time with a bound given in canonical form. Strings are compared directly
 * when both are canonical (the common case: no allocation), else both are parsed.
 */
export function compareTime(entryTime: string, boundCanonical: string, boundNs: bigint): number {
  if (isCanonicalTime(entryTime)) return entryTime < boundCanonical ? -1 : entryTime > boundCanonical ? 1 : 0;
  let ns: bigint;
  try {
    ns = parseRfc3339Ns(entryTime);
  } catch {
    return 0; // unparseable time: neither before nor after; keep the entry
  }
  return ns < boundNs ? -1 : ns > boundNs ? 1 : 0;
}
