// Go's path/filepath.Match on '/'-separated paths (image reference filters, .dockerignore, COPY): `*` and `?` never match '/', `[...]` classes
// with ranges and `^` negation, `\` escapes. A malformed pattern is an error, as in Go.
//
// Patterns come from users (.dockerignore lines, COPY sources, filters) and names from build
// contexts, so matching must not backtrack: a JavaScript regex for `*a*a*a*a*b` takes seconds on
// a 100-character name (and blocks the daemon's event loop), where Go's matcher is linear. The
// pattern is compiled to a token list and matched by simulating all positions at once (an NFA),
// O(len(name) x len(pattern)) whatever the pattern.
import { invalidArgument } from './errors.js';

export const errBadPattern = 'syntax error in pattern';

type Token =
  | { t: 'char'; c: number }
  | { t: 'class'; negated: boolean; ranges: Array<[number, number]> }
  | { t: 'any' } // ?  one character but '/'
  | { t: 'star' } // *  any run without '/'
  | { t: 'dirs' } // a double star before more pattern: nothing, or anything that ends with '/'
  | { t: 'rest' }; // a double star at the end: anything

const SLASH = 0x2f;

/** A compiled pattern. */
export interface Glob {
  test(name: string): boolean;
}

class TokenGlob implements Glob {
  constructor(private readonly tokens: readonly Token[]) {}

  test(name: string): boolean {
    const toks = this.tokens;
    const n = toks.length;
    // State k (0..n): about to match token k; state n+1+k: inside the run of a 'dirs' token k.
    // Sets are sparse (a list plus a generation stamp), so a step costs the live states only.
    const stamp = new Uint32Array(2 * n + 2);
    let gen = 1;
    let cur: number[] = [];
    let next: number[] = [];
    const add = (set: number[], k: number): void => {
      // Epsilon moves: tokens that may match nothing are also stepped over.
      for (;;) {
        if (stamp[k] === gen) return;
        stamp[k] = gen;
        set.push(k);
        if (k >= n) return;
        const tok = toks[k]!;
        if (tok.t === 'dirs' && stamp[n + 1 + k] !== gen) {
          stamp[n + 1 + k] = gen;
          set.push(n + 1 + k);
        }
        if (tok.t === 'star' || tok.t === 'rest' || tok.t === 'dirs') k++;
        else return;
      }
    };
    add(cur, 0);
    for (const ch of name) {
      const c = ch.codePointAt(0)!;
      gen++;
      next.length = 0;
      for (const s of cur) {
        if (s > n) {
          // Inside a 'dirs' run: stay, and a '/' ends it.
          const k = s - n - 1;
          if (stamp[s] !== gen) {
            stamp[s] = gen;
            next.push(s);
          }
          if (c === SLASH) add(next, k + 1);
          continue;
        }
        if (s === n) continue;
        const tok = toks[s]!;
        let to = -1;
        switch (tok.t) {
          case 'char':
            if (tok.c === c) to = s + 1;
            break;
          case 'class': {
            const inRange = tok.ranges.some(([lo, hi]) => c >= lo && c <= hi);
            if (inRange !== tok.negated) to = s + 1;
            break;
          }
          case 'any':
            if (c !== SLASH) to = s + 1;
            break;
          case 'star':
            if (c !== SLASH) to = s;
            break;
          case 'rest':
            to = s;
            break;
          case 'dirs':
            break; // its inner state does the matching
        }
        if (to >= 0) add(next, to);
      }
      if (!next.length) return false;
      [cur, next] = [next, cur];
    }
    return stamp[n] === gen;
  }
}

/**
 * Compiles a filepath.Match pattern; throws `syntax error in pattern` (400) on a malformed one,
 * checking the whole pattern as Go 1.16+ does. With `doubleStar` (.dockerignore,
 * moby/patternmatcher) a double star matches any number of directories: followed by more
 * pattern it matches nothing or anything ending with '/' (a '/' right after it is part of
 * it), at the end it matches anything.
 */
export function compileGoPattern(pattern: string, doubleStar = false): Glob {
  const p = Array.from(pattern);
  const cp = (s: string) => s.codePointAt(0)!;
  const tokens: Token[] = [];
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*' && doubleStar && p[i + 1] === '*') {
      i++;
      if (p[i + 1] === '/') i++;
      tokens.push(i + 1 >= p.length ? { t: 'rest' } : { t: 'dirs' });
    } else if (c === '*') {
      if (tokens.at(-1)?.t !== 'star') tokens.push({ t: 'star' }); // ** without doubleStar is one *
    } else if (c === '?') tokens.push({ t: 'any' });
    else if (c === '\\') {
      if (i + 1 >= p.length) throw invalidArgument(errBadPattern);
      tokens.push({ t: 'char', c: cp(p[++i]!) });
    } else if (c === '[') {
      i++;
      let negated = false;
      if (p[i] === '^') {
        negated = true;
        i++;
      }
      const ranges: Array<[number, number]> = [];
      for (;;) {
        if (i >= p.length) throw invalidArgument(errBadPattern);
        if (p[i] === ']' && ranges.length > 0) break;
        let lo = p[i]!;
        if (lo === '\\') {
          if (++i >= p.length) throw invalidArgument(errBadPattern);
          lo = p[i]!;
        } else if (lo === '-' || lo === ']') throw invalidArgument(errBadPattern);
        i++;
        let hi = lo;
        if (p[i] === '-') {
          i++;
          const h = p[i];
          if (h === undefined || h === ']') throw invalidArgument(errBadPattern);
          hi = h;
          if (hi === '\\') {
            const e = p[++i];
            if (e === undefined) throw invalidArgument(errBadPattern);
            hi = e;
          }
          i++;
          if (cp(hi) < cp(lo)) throw invalidArgument(errBadPattern);
        }
        ranges.push([cp(lo), cp(hi)]);
      }
      tokens.push({ t: 'class', negated, ranges });
    } else tokens.push({ t: 'char', c: cp(c) });
  }
  return new TokenGlob(tokens);
}

const cache = new Map<string, Glob>();

/** The compiled filepath.Match pattern (cached); throws on a bad pattern. */
export function goGlob(pattern: string): Glob {
  const hit = cache.get(pattern);
  if (hit) return hit;
  const g = compileGoPattern(pattern);
  if (cache.size > 1000) cache.clear(); // patterns come from users: keep the cache bounded
  cache.set(pattern, g);
  return g;
}

export function goMatch(pattern: string, name: string): boolean {
  return goGlob(pattern).test(name);
}

export function hasGlobMeta(p: string): boolean {
  return /[*?[\\]/.test(p);
}
