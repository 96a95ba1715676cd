// docker/go-units' human durations as the docker CLI prints them, and --since/--until values
// (durations are parsed by lib/go-duration, sizes printed and parsed by lib/go-units).
import { humanDuration as libHumanDuration } from '../lib/human-duration.js';
import { parseGoDurationSeconds } from '../lib/go-duration.js';

/** go-units HumanDuration (seconds in, "About a minute" out); the one copy lives in lib. */
export function humanDuration(seconds: number): string {
  return libHumanDuration(seconds * 1000);
}

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
  } catch {
    /* not a duration */
  }
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(t)) throw new Error(`failed to parse value as time or duration: "${value}"`);
  return (t / 1000).toFixed(9);
}
