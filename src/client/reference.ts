// The docker CLI checks image references itself before asking the daemon (run, create, pull,
// tag) and names what it pulls; the grammar is lib/reference's, the one the daemon uses. The
// checks throw plain Errors because the CLI shows them as its own, never as a daemon's answer.
import { familiarString, normaliseReference, parseAnyReference, parseReference, repoName } from '../lib/reference.js';
import { messageOf } from '../lib/errors.js';

function asCliError<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new Error(messageOf(e));
  }
}

/** reference.ParseNormalizedNamed: throws with docker's message. */
export function checkNormalizedNamed(s: string): void {
  asCliError(() => parseReference(s));
}

/** reference.ParseAnyReference: a bare 64-hex id or a digest is fine, else a normalized name. */
export function checkAnyReference(s: string): void {
  asCliError(() => parseAnyReference(s));
}

/** False for an image id or a bare digest: docker has nothing to pull for those. */
export function isNamedReference(s: string): boolean {
  try {
    return 'path' in parseAnyReference(s);
  } catch {
    return false;
  }
}

export interface SplitRef {
  /** What docker prints ("Unable to find image 'busybox:latest' locally"). */
  familiar: string;
  /** The fromImage of a pull: docker.io/library/busybox. */
  repo: string;
  tag?: string;
  digest?: string;
}

/** A reference as the CLI pulls it: the default tag applied, the repository fully qualified. */
export function splitRef(ref: string): SplitRef {
  const r = asCliError(() => normaliseReference(ref));
  return { familiar: familiarString(r), repo: repoName(r), tag: r.tag, digest: r.digest };
}
