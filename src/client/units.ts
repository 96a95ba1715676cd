// docker/go-units: human durations and sizes as the docker CLI prints them, and the parsers
// for flag values (--memory 512m, --since 10s). Pure; the daemon may reuse them for Status.
import { humanDuration as libHumanDuration } from '../lib/human-duration.js';
import { formatG } from '../lib/go-print.js';

/** go-units HumanDuration (seconds in, "About a minute" out); the one copy lives in lib. */
export function humanDuration(seconds: number): string {
  return libHumanDuration(seconds * 1000);
}

const DECIMAL = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

function customSize(size: number, precision: number, base: number, units: string[]): string {
  let i = 0;
  while (size >= base && i < units.length - 1) { size /= base; i++; }
  return `${formatG(size, precision)}${units[i]}`;
}

/** go-units HumanSize: decimal units, 3 significant digits ("4.26MB"). */
export const humanSize = (bytes: number) => customSize(bytes, 3, 1000, DECIMAL);
/** go-units BytesSize: binary units, 4 significant digits ("1.5MiB"), used by stats. */
export const bytesSize = (bytes: number) => customSize(bytes, 4, 1024, BINARY);

const MULT: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** go-units RAMInBytes: "512m" → 536870912 (binary multipliers, optional i/b suffixes). */
export function ramInBytes(s: string): number {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(s);
  if (!m) throw new Error(`invalid size: '${s}'`);
  return Math.trunc(Number(m[1]) * MULT[(m[2] ?? '').toLowerCase()]!);
}

const DUR: Record<string, number> = { ns: 1e-9, us: 1e-6, 'µs': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** Go time.ParseDuration, in seconds ("1h30m", "1.5s", "300ms"). */
export function parseGoDuration(s: string): number {
  if (s === '0') return 0;
  const m = /^([-+]?)((?:\d*\.?\d+(?:ns|us|µs|ms|s|m|h))+)$/.exec(s);
  if (!m) throw new Error(`time: invalid duration "${s}"`);
  let total = 0;
  for (const part of m[2]!.matchAll(/(\d*\.?\d+)(ns|us|µs|ms|s|m|h)/g)) total += Number(part[1]) * DUR[part[2]!]!;
  return m[1] === '-' ? -total : total;
}

/**
 * docker's timetypes.GetTimestamp for --since/--until: a Go duration is relative to `now`,
 * a number is a unix timestamp (kept as given), anything else a date/time.
 */
export function timestampArg(value: string, nowMs = Date.now()): string {
  if (value === '') return '';
  if (/^\d+(\.\d+)?$/.test(value)) return value;
  try {
    const secs = nowMs / 1000 - parseGoDuration(value);
    return secs.toFixed(9).replace(/^(\d+)\.(\d{9})$/, '$1.$2');
  } catch { /* not a duration */ }
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(t)) throw new Error(`failed to parse value as time or duration: "${value}"`);
  return (t / 1000).toFixed(9);
}
