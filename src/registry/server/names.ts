// The spec's grammars for what arrives in URLs: repository names, tags and digests. Checked
// before any of them becomes a path under the registry's root, so `..`, uppercase and
// over-long names never reach the filesystem.
import type { Digest } from '../../lib/digest.js';
import { digestInvalid, manifestInvalid, nameInvalid, unsupportedDigest } from './errors.js';

const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const NAME_RE = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG_RE = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const DIGEST_RE = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
/** Clients cap host + "/" + name at 255; a name alone longer than that can never be pulled. */
export const MAX_NAME_LENGTH = 255;

export function parseRepoName(name: string): string {
  if (name.length > MAX_NAME_LENGTH) throw nameInvalid(`repository name longer than ${MAX_NAME_LENGTH} characters`, { name: name.slice(0, 64) + '...' });
  if (!NAME_RE.test(name)) throw nameInvalid('invalid repository name', { name });
  return name;
}

export function isTag(s: string): boolean {
  return TAG_RE.test(s);
}

/**
 * A digest from a URL or a query: malformed is DIGEST_INVALID; a well-formed digest of an
 * algorithm other than sha256 is UNSUPPORTED (the spec lets a registry implement only sha256).
 */
export function parseBlobDigest(s: string): Digest {
  if (!DIGEST_RE.test(s)) throw digestInvalid('invalid digest', { digest: s });
  const [alg, hex] = s.split(':') as [string, string];
  if (alg !== 'sha256') throw unsupportedDigest(`digest algorithm ${alg} is not supported`, { digest: s });
  if (!/^[a-f0-9]{64}$/.test(hex)) throw digestInvalid('invalid sha256 digest', { digest: s });
  return s as Digest;
}

export function isDigestRef(ref: string): boolean {
  return ref.includes(':');
}

/** A manifest reference: a tag, or a digest (anything with a colon). */
export function parseManifestRef(ref: string): { tag: string } | { digest: Digest } {
  if (isDigestRef(ref)) return { digest: parseBlobDigest(ref) };
  if (!isTag(ref)) throw manifestInvalid('invalid tag', { tag: ref });
  return { tag: ref };
}
