// Go's path/filepath.Match on '/'-separated paths (image reference filters, .dockerignore, COPY): `*` and `?` never match '/', `[...]` classes
// with ranges and `^` negation, `\` escapes. A malformed pattern is an error, as in Go.
import { invalidArgument } from './errors.js';

const cache = new Map<string, RegExp>();

export const errBadPattern = 'syntax error in pattern';

// With the 'u' flag an escape of a character that needs none ('\-' outside a class) is a syntax
// error, so outside and inside a class escape different sets.
function reEscape(c: string): string {
  return /[\\^$.*+?()[\]{}|]/.test(c) ? '\\' + c : c;
}

function classEscape(c: string): string {
  return /[\\^\]\[-]/.test(c) ? '\\' + c : c;
}

/** Translates a filepath.Match pattern to an anchored regex; throws on a bad pattern. */
export function goPatternToRegex(pattern: string): RegExp {
  const hit = cache.get(pattern);
  if (hit) return hit;
  const p = Array.from(pattern);
  let re = '^';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      if (i + 1 >= p.length) throw invalidArgument(errBadPattern);
      re += reEscape(p[++i]!);
    } else if (c === '[') {
      i++;
      let cls = '[';
      if (p[i] === '^') {
        cls += '^';
        i++;
      }
      let n = 0;
      for (;;) {
        if (i >= p.length) throw invalidArgument(errBadPattern);
        if (p[i] === ']' && n > 0) break;
        let lo = p[i]!;
        if (lo === '\\') {
          if (++i >= p.length) throw invalidArgument(errBadPattern);
          lo = p[i]!;
        } else if (lo === '-' || lo === ']') throw invalidArgument(errBadPattern);
        i++;
        cls += classEscape(lo);
        if (p[i] === '-') {
          i++;
          let hi = p[i];
          if (hi === undefined || hi === ']') throw invalidArgument(errBadPattern);
          if (hi === '\\') {
            hi = p[++i];
            if (hi === undefined) throw invalidArgument(errBadPattern);
          }
          i++;
          if (hi.codePointAt(0)! < lo.codePointAt(0)!) throw invalidArgument(errBadPattern);
          cls += '-' + classEscape(hi);
        }
        n++;
      }
      re += cls + ']';
    } else re += reEscape(c);
  }
  const r = new RegExp(re + '$', 'su');
  if (cache.size > 1000) cache.clear(); // patterns come from users: keep the cache bounded
  cache.set(pattern, r);
  return r;
}

export function goMatch(pattern: string, name: string): boolean {
  return goPatternToRegex(pattern).test(name);
}

export function hasGlobMeta(p: string): boolean {
  return /[*?[\\]/.test(p);
}
