// .dockerignore with Docker's semantics (moby/patternmatcher): filepath.Match-like patterns plus
// `**`, `!` exceptions where the last matching pattern wins, a pattern matching a directory
// excludes everything under it unless a later exception re-includes it.
import { posix } from 'node:path';
import { invalidArgument } from './errors.js';
import { compileGoPattern, errBadPattern, type Glob } from './go-match.js';

export interface IgnorePattern {
  text: string; // cleaned pattern (no `!`)
  exclusion: boolean; // `!pattern`: re-include
  glob: Glob;
}

function clean(p: string): string {
  let c = posix.normalize(p);
  if (c.length > 1 && c.endsWith('/')) c = c.slice(0, -1);
  return c;
}

const MAX_LINE = 64 * 1024;

/** Reads .dockerignore text into patterns, as the docker CLI and BuildKit do. */
export function parseDockerignore(text: string): string[] {
  const out: string[] = [];
  const lines = text.replace(/^\ufeff/, '').split(/\r?\n/);
  for (let line of lines) {
    // Docker reads the file with a bufio.Scanner, whose lines stop at 64 KiB.
    if (line.length >= MAX_LINE / 4 && Buffer.byteLength(line) >= MAX_LINE) throw invalidArgument('error reading .dockerignore: bufio.Scanner: token too long');
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
      let glob: Glob;
      try {
        glob = compileGoPattern(p, true); // validated as filepath.Match does
      } catch {
        throw invalidArgument(`${errBadPattern}: ${JSON.stringify(p)}`);
      }
      this.patterns.push({ text: p, exclusion, glob });
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
      let m = pat.glob.test(file);
      for (let i = 0; !m && i < parentDirs.length; i++) m = pat.glob.test(parentDirs.slice(0, i + 1).join('/'));
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
