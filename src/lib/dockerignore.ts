// .dockerignore with Docker's semantics (moby/patternmatcher): filepath.Match-like patterns plus
// `**`, `!` exceptions where the last matching pattern wins, a pattern matching a directory
// excludes everything under it unless a later exception re-includes it.
import { posix } from 'node:path';
import { invalidArgument } from './errors.js';
import { goPatternToRegex } from './go-match.js';

export interface IgnorePattern {
  text: string; // cleaned pattern (no `!`)
  exclusion: boolean; // `!pattern`: re-include
  re: RegExp;
}

function clean(p: string): string {
  let c = posix.normalize(p);
  if (c.length > 1 && c.endsWith('/')) c = c.slice(0, -1);
  return c;
}

/** Reads .dockerignore text into patterns, as the docker CLI and BuildKit do. */
export function parseDockerignore(text: string): string[] {
  const out: string[] = [];
  const lines = text.replace(/^\ufeff/, '').split(/\r?\n/);
  for (let line of lines) {
    if (line.startsWith('#')) continue;
    line = line.trim();
    if (line === '') continue;
    let invert = false;
    if (line.startsWith('!')) {
      invert = true;
      line = line.slice(1).trim();
    }
    if (line.length) {
      line = clean(line);
      if (line.length > 1 && line.startsWith('/')) line = line.slice(1);
    }
    out.push(invert ? '!' + line : line);
  }
  return out;
}

const reEscape = (c: string) => c.replace(/[\\^$.*+?()[\]{}|/-]/, '\\$&');

function compile(pattern: string): RegExp {
  let re = '^';
  let inClass = false;
  const p = Array.from(pattern);
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (inClass && c !== ']' && c !== '\\') {
      re += c; // ranges and `^` keep their class meaning
      continue;
    }
    if (c === '*') {
      if (p[i + 1] === '*') {
        i++;
        if (p[i + 1] === '/') i++;
        re += i + 1 >= p.length ? '.*' : '(.*/)?';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      re += i + 1 < p.length ? reEscape(p[++i]!) : '\\\\';
    } else if (c === '[' || c === ']') {
      inClass = c === '[';
      re += c;
    } else re += reEscape(c);
  }
  return new RegExp(re + '$', 'su');
}

export class PatternMatcher {
  readonly patterns: IgnorePattern[] = [];
  constructor(patterns: readonly string[]) {
    for (let p of patterns) {
      p = p.trim();
      if (p === '') continue;
      let exclusion = false;
      if (p.startsWith('!')) {
        if (p.length === 1) throw invalidArgument('illegal exclusion pattern: "!"');
        exclusion = true;
        p = p.slice(1);
      }
      p = clean(p);
      try {
        goPatternToRegex(p); // Docker validates with filepath.Match
      } catch {
        throw invalidArgument(`syntax error in pattern: ${p}`);
      }
      this.patterns.push({ text: p, exclusion, re: compile(p) });
    }
  }

  get hasExclusions(): boolean {
    return this.patterns.some((p) => p.exclusion);
  }

  /** True if `file` (context-relative, '/'-separated) is excluded by the patterns. */
  matches(file: string): boolean {
    file = clean(file.replace(/^\/+/, ''));
    const parent = posix.dirname(file);
    const parentDirs = parent === '.' ? [] : parent.split('/');
    let matched = false;
    for (const pat of this.patterns) {
      if (pat.exclusion !== matched) continue;
      let m = pat.re.test(file);
      for (let i = 0; !m && i < parentDirs.length; i++) m = pat.re.test(parentDirs.slice(0, i + 1).join('/'));
      if (m) matched = !pat.exclusion;
    }
    return matched;
  }
}

/** The ignore file to use for a Dockerfile: `<Dockerfile>.dockerignore` beside it wins. */
export function ignoreFileCandidates(dockerfile = 'Dockerfile'): string[] {
  const df = posix.normalize(dockerfile.replace(/^\/+/, ''));
  return [`${df}.dockerignore`, '.dockerignore'];
}

/** Patterns plus the exceptions that keep the Dockerfile and ignore files in the context. */
export function withAlwaysSent(patterns: readonly string[], dockerfile = 'Dockerfile', ignoreFile = '.dockerignore'): string[] {
  const keep = new Set([posix.normalize(dockerfile.replace(/^\/+/, '')), '.dockerignore', ignoreFile]);
  return [...patterns, ...[...keep].map((k) => '!' + k)];
}
