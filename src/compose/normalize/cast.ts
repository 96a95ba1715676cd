// The schema allows strings where compose wants numbers or booleans (a value may come from
// `${VAR}`); these convert them as compose-go's type casting does, and fold the list-or-map forms.
// Each throws a CastError with the problem; the caller adds the file and path.
import { parseGoDurationNs } from '../../lib/go-duration.js';
import { ramInBytes } from '../../lib/go-units.js';

export class CastError extends Error {}

const TRUE = new Set(['true', 'yes', 'y', 'on', '1']);
const FALSE = new Set(['false', 'no', 'n', 'off', '0']);

export function toBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  const s = String(v).toLowerCase();
  if (TRUE.has(s)) return true;
  if (FALSE.has(s)) return false;
  throw new CastError(`must be a boolean, got ${JSON.stringify(v)}`);
}

export function toInt(v: unknown): number {
  const n = typeof v === 'number' ? v : /^[-+]?\d+$/.test(String(v).trim()) ? Number(String(v).trim()) : NaN;
  if (!Number.isInteger(n)) throw new CastError(`must be an integer, got ${JSON.stringify(v)}`);
  return n;
}

export function toFloat(v: unknown): number {
  const n = typeof v === 'number' ? v : String(v).trim() === '' ? NaN : Number(v);
  if (!Number.isFinite(n)) throw new CastError(`must be a number, got ${JSON.stringify(v)}`);
  return n;
}

/** Byte sizes as go-units RAMInBytes: 512m, 1g, 1024 (numbers are bytes); -1 stays -1. */
export function toBytes(v: unknown): number {
  if (typeof v === 'number') return v;
  const s = String(v).trim();
  if (s === '-1') return -1;
  try {
    return ramInBytes(s);
  } catch {
    throw new CastError(`invalid size: ${JSON.stringify(v)}`);
  }
}

/** A Go duration in Go's canonical spelling (what compose prints): '90s' -> '1m30s'. */
export function toDuration(v: unknown): string {
  try {
    return formatGoDuration(parseGoDurationNs(String(v)));
  } catch {
    throw new CastError(`invalid duration ${JSON.stringify(v)}`);
  }
}

/** Go's time.Duration.String(). */
export function formatGoDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  let out: string;
  if (u < 1_000_000_000n) {
    const [unit, scale] = u < 1_000n ? ['ns', 1n] : u < 1_000_000n ? ['µs', 1_000n] : ['ms', 1_000_000n];
    out = fraction(u, scale as bigint) + unit;
  } else {
    const h = u / 3_600_000_000_000n;
    u %= 3_600_000_000_000n;
    const m = u / 60_000_000_000n;
    u %= 60_000_000_000n;
    out = `${fraction(u, 1_000_000_000n)}s`;
    if (h > 0n || m > 0n) out = `${m}m${out}`;
    if (h > 0n) out = `${h}h${out}`;
  }
  return neg ? `-${out}` : out;
}

function fraction(v: bigint, scale: bigint): string {
  const whole = v / scale;
  const rest = v % scale;
  if (rest === 0n) return String(whole);
  const digits = String(scale).length - 1;
  return `${whole}.${String(rest).padStart(digits, '0').replace(/0+$/, '')}`;
}

export function toStr(v: unknown): string {
  return v === null || v === undefined ? '' : String(v);
}

/** `[A=1, B]` or `{A: 1, B: null}` -> `{A: '1', B: null}` (null = no value given). */
export function listOrDict(v: unknown, sep = '='): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (Array.isArray(v)) {
    for (const item of v) {
      const s = String(item);
      const i = s.indexOf(sep);
      if (i < 0) out[s] = null;
      else out[s.slice(0, i)] = s.slice(i + 1);
    }
  } else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) out[k] = x === null || x === undefined ? null : String(x);
  }
  return out;
}

/** Like listOrDict, where a missing value is the empty string (labels, sysctls, options). */
export function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(listOrDict(v))) out[k] = x ?? '';
  return out;
}

export function stringList(v: unknown): string[] {
  if (v === null || v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map((x) => String(x));
}
