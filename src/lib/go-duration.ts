// Go's time.ParseDuration, the one copy for the daemon, the builder and the clients: flags
// (--health-interval), Dockerfile HEALTHCHECK options, `--change`, `--since 10m`. Error texts
// are Go's because docker prints them verbatim. Nanoseconds are a bigint: a double cannot hold
// Go's whole int64 range exactly.
import { invalidArgument } from './errors.js';

const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;
const INT64_MAX = 9_223_372_036_854_775_807n;

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 micro sign
  μs: 1_000n, // U+03BC greek mu
  ms: NS_PER_MS,
  s: NS_PER_S,
  m: 60n * NS_PER_S,
  h: 3600n * NS_PER_S,
};

/** time.ParseDuration: "1h30m", "1.5s", "-300ms", "0". Returns nanoseconds. */
export function parseGoDurationNs(value: string): bigint {
  const bad = () => invalidArgument(`time: invalid duration ${JSON.stringify(value)}`);
  let s = value;
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw bad();
  let total = 0n;
  while (s.length > 0) {
    const num = /^(\d*)(?:\.(\d*))?/.exec(s)!;
    const [all, whole = '', frac = ''] = num;
    if (whole === '' && frac === '') throw bad(); // "." or a unit without a number
    s = s.slice(all.length);
    const unitName = /^[^\d.]*/.exec(s)![0];
    if (unitName === '') throw invalidArgument(`time: missing unit in duration ${JSON.stringify(value)}`);
    const unit = UNIT_NS[unitName];
    if (unit === undefined) throw invalidArgument(`time: unknown unit ${JSON.stringify(unitName)} in duration ${JSON.stringify(value)}`);
    s = s.slice(unitName.length);
    let v = BigInt(whole || '0') * unit;
    if (frac !== '') v += (BigInt(frac) * unit) / 10n ** BigInt(frac.length); // Go truncates
    total += v;
    if (total > INT64_MAX) throw bad();
  }
  return neg ? -total : total;
}

/** A Go duration in (possibly fractional) milliseconds. */
export function parseGoDurationMs(value: string): number {
  const ns = parseGoDurationNs(value);
  return Number(ns / NS_PER_MS) + Number(ns % NS_PER_MS) / 1e6;
}

/** A Go duration in (possibly fractional) seconds (the CLI's --since 10m). */
export function parseGoDurationSeconds(value: string): number {
  const ns = parseGoDurationNs(value);
  return Number(ns / NS_PER_S) + Number(ns % NS_PER_S) / 1e9;
}
