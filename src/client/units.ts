// docker/go-units: human durations and sizes as the docker CLI prints them, and --since/--until
// values (the duration and size parsers themselves are lib/go-duration's and lib/go-units').
import { humanDuration as libHumanDuration } from '../lib/human-duration.js';
import { formatG } from '../lib/go-print.js';
import { parseGoDurationSeconds } from '../lib/go-duration.js';

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

/**
 * docker's timetypes.GetTimestamp for --since/--until: a Go duration is relative to `now`,
 * a number is a unix timestamp (kept as given), anything else a date/time.
 */
export function timestampArg(value: string, nowMs = Date.now()): string {
  if (value === '') return '';
  if (/^\d+(\.\d+)?$/.test(value)) return value;
  try {
    const secs = nowMs / 1000 - parseGoDurationSeconds(value);
    return secs.toFixed(9).replace(/^(\d+)\.(\d{9})$/, '$1.$2');
  } catch { /* not a duration */ }
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(t)) throw new Error(`failed to parse value as time or duration: "${value}"`);
  return (t / 1000).toFixed(9);
}
