// Go's fmt rendering of values as text/template prints them: %v of strings, numbers, slices
// ([a b]), maps (map[k:v], sorted keys), nil ("<nil>") and missing ("<no value>"); and printf.

export function goString(v: unknown): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[${v.map(goInner).join(' ')}]`;
  if (typeof v === 'object') {
    const s = (v as { toString(): string }).toString;
    if (s !== Object.prototype.toString) return String(v);
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${goInner((v as Record<string, unknown>)[k])}`).join(' ')}]`;
  }
  return String(v);
}
const goInner = (v: unknown) => (v === undefined || v === null ? '<nil>' : goString(v));

/** Go's %g with a precision: shortest form, trailing zeros dropped, e+NN exponents. */
export function formatG(x: number, precision: number): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : x < 0 ? '-Inf' : 'NaN';
  const exp = Math.floor(Math.log10(Math.abs(Number(x.toPrecision(precision)))));
  if (exp < -4 || exp >= precision) {
    const [m, e] = x.toExponential(precision - 1).split('e');
    const mant = m!.includes('.') ? m!.replace(/\.?0+$/, '') : m!;
    const en = Number(e);
    return `${mant}e${en < 0 ? '-' : '+'}${String(Math.abs(en)).padStart(2, '0')}`;
  }
  const f = x.toFixed(Math.max(0, precision - 1 - exp));
  return f.includes('.') ? f.replace(/\.?0+$/, '') : f;
}

function quote(s: string): string {
  return JSON.stringify(s);
}

/** fmt.Sprintf for the verbs templates use: %s %v %d %q %f %g %x %t %% with flags/width/precision. */
export function sprintf(format: string, args: unknown[]): string {
  let ai = 0;
  return (
    format.replace(/%([-+ 0#]*)(\d+|\*)?(?:\.(\d+))?([a-zA-Z%])/g, (_m, flags: string, width: string | undefined, prec: string | undefined, verb: string) => {
      if (verb === '%') return '%';
      if (ai >= args.length) return `%!${verb}(MISSING)`;
      const a = args[ai++];
      let s: string;
      const p = prec === undefined ? undefined : Number(prec);
      switch (verb) {
        case 'd':
          s = typeof a === 'number' ? String(Math.trunc(a)) : `%!d(${typeof a}=${goString(a)})`;
          break;
        case 'f':
        case 'F':
          s = typeof a === 'number' ? a.toFixed(p ?? 6) : `%!f(${goString(a)})`;
          break;
        case 'g':
          s = typeof a === 'number' ? (p === undefined ? String(a) : formatG(a, p)) : goString(a);
          break;
        case 'q':
          s = quote(goString(a));
          break;
        case 'x':
          s = typeof a === 'number' ? a.toString(16) : Buffer.from(goString(a)).toString('hex');
          break;
        case 't':
          s = String(Boolean(a));
          break;
        default:
          s = goString(a);
          if (p !== undefined && verb === 's') s = s.slice(0, p);
      }
      const w = width === '*' ? Number(args[ai - 1]) : width ? Number(width) : 0;
      if (s.length < w) s = flags.includes('-') ? s.padEnd(w) : s.padStart(w, flags.includes('0') && verb !== 's' ? '0' : ' ');
      return s;
    }) + (ai < args.length ? `%!(EXTRA ${args.slice(ai).map(goString).join(', ')})` : '')
  );
}
