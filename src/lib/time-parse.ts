// Docker's time vocabulary: `since`/`until` as the daemon receives them ("seconds[.nanos]",
// leniently also RFC 3339), as the CLI produces them (relative Go durations, parsed by
// go-duration.ts, and dates turned into unix timestamps), and RFC 3339 with 9 fractional digits.
// Instants are bigint nanoseconds since the epoch: a double cannot hold nanoseconds for today.
import { invalidArgument } from './errors.js';
import { parseGoDurationNs } from './go-duration.js';

const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;

const RFC3339_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?([Zz]|[+-]\d{2}:\d{2})?$/;

interface DateParts {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  nanos: bigint;
  zone?: string;
  hasTime: boolean;
  colons: number;
}

function splitDate(value: string): DateParts | undefined {
  const m = RFC3339_RE.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const p: DateParts = {
    y: +y!,
    mo: +mo!,
    d: +d!,
    h: h ? +h : 0,
    mi: mi ? +mi : 0,
    s: s ? +s : 0,
    nanos: frac ? BigInt(frac.padEnd(9, '0')) : 0n,
    hasTime: h !== undefined,
    colons: (mi ? 1 : 0) + (s ? 1 : 0),
  };
  if (zone !== undefined) p.zone = zone;
  if (p.mo < 1 || p.mo > 12 || p.d < 1 || p.d > 31 || p.h > 23 || p.mi > 59 || p.s > 60) return undefined;
  // Reject dates that JS would roll over (Feb 30).
  if (new Date(Date.UTC(p.y, p.mo - 1, p.d)).getUTCDate() !== p.d) return undefined;
  return p;
}

function zoneOffsetMinutes(zone: string): number {
  if (zone === 'Z' || zone === 'z') return 0;
  const sign = zone[0] === '-' ? -1 : 1;
  return sign * (+zone.slice(1, 3) * 60 + +zone.slice(4, 6));
}

function partsToNs(p: DateParts, localZone: boolean): bigint {
  // set*FullYear rather than Date.UTC/new Date(y, ...): those map years 0..99 to 1900+.
  const d = new Date(0);
  if (localZone) {
    d.setFullYear(p.y, p.mo - 1, p.d);
    d.setHours(p.h, p.mi, p.s, 0);
  } else {
    d.setUTCFullYear(p.y, p.mo - 1, p.d);
    d.setUTCHours(p.h, p.mi, p.s, 0);
  }
  const ms = d.getTime() - (localZone ? 0 : zoneOffsetMinutes(p.zone ?? 'Z') * 60_000);
  return BigInt(ms) * NS_PER_MS + p.nanos;
}

/** Strict-ish RFC 3339 (seconds required, fraction optional, zone required) to epoch ns. */
export function parseRfc3339Ns(value: string): bigint {
  const p = splitDate(value);
  if (!p || !p.hasTime || p.colons !== 2 || p.zone === undefined) throw invalidArgument(`parsing time "${value}": not RFC 3339`);
  return partsToNs(p, false);
}

/** Docker's "seconds[.fraction]" (the fraction scaled to nanoseconds by its digit count). */
export function parseUnixTimestampNs(value: string): bigint {
  const m = /^(-?\d+)(?:\.(\d+))?$/.exec(value);
  if (!m) throw invalidArgument(`invalid timestamp "${value}"`);
  const sec = BigInt(m[1]!);
  const frac = m[2] ?? '';
  const nanos = frac === '' ? 0n : BigInt(frac.slice(0, 9).padEnd(9, '0'));
  return sec * NS_PER_S + nanos; // as Go's time.Unix(sec, nsec): the fraction always adds
}

/**
 * A `since`/`until` value as the daemon receives it: "1700000000", "1700000000.123456789",
 * or (leniently, as some clients send) RFC 3339 / RFC 3339 nano. Empty gives `undefined`.
 */
export function parseApiTimestampNs(value: string | undefined): bigint | undefined {
  if (value === undefined || value === '') return undefined;
  if (/^-?\d+(?:\.\d+)?$/.test(value)) return parseUnixTimestampNs(value);
  return parseRfc3339Ns(value);
}

/**
 * What the docker CLI sends for `--since`/`--until`: a Go duration ("10m", not "0") is taken
 * back from `now` and sent as whole unix seconds; an RFC 3339-like date (date only, hour,
 * minute, seconds, fraction; with or without zone: without one it is local time) becomes
 * "seconds.nanoseconds" (9 digits); a value already in unix form passes through unchanged.
 */
export function parseSinceForClient(value: string, now: Date = new Date()): string {
  if (value !== '0') {
    let d: bigint | undefined;
    try {
      d = parseGoDurationNs(value);
    } catch {
      d = undefined;
    }
    if (d !== undefined) {
      const t = BigInt(now.getTime()) * NS_PER_MS - d;
      return floorDiv(t, NS_PER_S).toString();
    }
  }
  const p = splitDate(value);
  if (p) {
    const ns = partsToNs(p, p.zone === undefined);
    const sec = floorDiv(ns, NS_PER_S);
    return `${sec}.${(ns - sec * NS_PER_S).toString().padStart(9, '0')}`;
  }
  if (value.includes('-')) throw invalidArgument(`parsing time "${value}": cannot parse as RFC 3339`);
  try {
    parseUnixTimestampNs(value);
  } catch {
    throw invalidArgument(`failed to parse value as time or duration: "${value}"`);
  }
  return value;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function pad(n: number, w: number): string {
  return n.toString().padStart(w, '0');
}

/** Epoch ns to "2026-11-23T15:00:00.123456789Z": always 9 digits, so strings sort as times. */
export function formatRfc3339Nano(ns: bigint): string {
  const sec = floorDiv(ns, NS_PER_S);
  const nanos = ns - sec * NS_PER_S;
  const d = new Date(Number(sec) * 1000);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}` +
    `T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}` +
    `.${nanos.toString().padStart(9, '0')}Z`
  );
}

// Wall clock with nanosecond resolution: Date.now() anchors process.hrtime. We re-anchor when
// the wall clock has moved away (NTP step) but never return a value below the previous one.
let anchorNs = 0n; // wall ns minus hrtime ns
let lastNs = 0n;
let lastAnchorCheck = 0n;

/** Current time as epoch nanoseconds (monotonic non-decreasing within the process). */
export function nowNs(): bigint {
  const hr = process.hrtime.bigint();
  if (anchorNs === 0n || hr - lastAnchorCheck > NS_PER_S) {
    const wall = BigInt(Date.now()) * NS_PER_MS;
    const drift = wall - (anchorNs + hr);
    if (anchorNs === 0n || drift > 2n * NS_PER_MS || drift < -2n * NS_PER_MS) anchorNs = wall - hr;
    lastAnchorCheck = hr;
  }
  let ns = anchorNs + hr;
  if (ns <= lastNs) ns = lastNs + 1n; // strictly increasing: event order survives sorting
  lastNs = ns;
  return ns;
}

/** Now as RFC 3339 with 9 fractional digits, UTC. */
export function nowRfc3339Nano(): string {
  return formatRfc3339Nano(nowNs());
}

/** Parses any RFC 3339 / RFC 3339 nano time (as Docker writes it) to epoch ns. */
export const rfc3339ToNs = parseRfc3339Ns;

/**
 * The `until` filter of the prune endpoints (containers, images, networks) as epoch ms: unix
 * seconds ("1700000000[.5]"), a duration before now ("10m", "24h"), or a date Date.parse reads.
 */
export function parseUntilFilterMs(value: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const rel = /^(\d+)([smh])$/.exec(value);
  if (rel) return now - Number(rel[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[rel[2] as 's' | 'm' | 'h'];
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw invalidArgument(`invalid filter 'until=${value}'`);
  return t;
}
