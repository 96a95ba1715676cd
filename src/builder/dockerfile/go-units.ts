// Go value formats that Dockerfile flags use: time.ParseDuration (HEALTHCHECK options) and
// docker/go-units RAMInBytes (tmpfs `size=`).

const unitNs: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration, in nanoseconds. Throws with Go's messages. */
export function parseGoDuration(s: string): number {
  const orig = s;
  const quoted = JSON.stringify(orig);
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw new Error(`time: invalid duration ${quoted}`);
  let total = 0;
  while (s !== '') {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s)!;
    if (m[0] === '' || m[0] === '.') throw new Error(`time: invalid duration ${quoted}`);
    if (m[1] === '' && (m[2] === undefined || m[2] === '')) throw new Error(`time: invalid duration ${quoted}`);
    s = s.slice(m[0].length);
    const u = /^[^\d.]*/.exec(s)![0];
    if (u === '') throw new Error(`time: missing unit in duration ${quoted}`);
    const mult = unitNs[u];
    if (mult === undefined) throw new Error(`time: unknown unit ${JSON.stringify(u)} in duration ${quoted}`);
    s = s.slice(u.length);
    total += Number(`${m[1] || '0'}.${m[2] || '0'}`) * mult;
  }
  if (total > 2 ** 63 - 1) throw new Error(`time: invalid duration ${quoted}`);
  return Math.round(neg ? -total : total);
}

const binary: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** docker/go-units RAMInBytes: `64m`, `1.5GiB`, `512` (binary multiples). */
export function ramInBytes(size: string): number {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(size);
  if (!m) throw new Error(`invalid size: '${size}'`);
  const n = Number(m[1]);
  if (!Number.isFinite(n)) throw new Error(`invalid size: '${size}'`);
  return Math.floor(n * (m[2] ? binary[m[2].toLowerCase()]! : 1));
}
