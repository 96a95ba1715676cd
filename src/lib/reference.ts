// Docker image references (the distribution/reference grammar) typed vs normalised:
// "busybox" as typed normalises to docker.io/library/busybox:latest, whose familiar form is
// "busybox:latest". Error texts match Docker's because clients show them verbatim. The one
// parser for the daemon and the clients alike (the CLI checks references before it asks).
import { invalidArgument } from './errors.js';
import { invalidReference, invalidReferenceFormat } from './docker-messages.js';

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';
const NAME_TOTAL_LENGTH_MAX = 255;

// Grammar pieces, composed as in distribution/reference/regexp.go.
const alnum = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const ipv6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainAndPort = `(?:${domainName}|${ipv6})(?::[0-9]+)?`;
const tagPat = '[\\w][\\w.-]{0,127}';
const digestPat = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const DIGEST_RE = new RegExp(`^${digestPat}$`);
const namePat = `(?:${domainAndPort}/)?${pathComponent}(?:/${pathComponent})*`;
const REFERENCE_RE = new RegExp(`^(${namePat})(?::(${tagPat}))?(?:@(${digestPat}))?$`);
const TAG_RE = new RegExp(`^${tagPat}$`);
const ID_RE = /^[a-f0-9]{64}$/;
const SHA256_DIGEST_RE = /^sha256:[a-f0-9]{64}$/;
// go-digest's Parse for the algorithms it registers: what ParseAnyReference takes as a digest.
const ANY_DIGEST_RE = /^sha256:[a-f0-9]{64}$|^sha512:[a-f0-9]{128}$/;

/** A normalised named reference: domain and path are always explicit. */
export interface ImageReference {
  domain: string; // docker.io, localhost:5000, ...
  path: string; // library/busybox, a/b
  tag?: string;
  digest?: string; // sha256:<hex> (manifest digest)
}

function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const i = name.indexOf('/');
  let domain: string;
  let remainder: string;
  const first = i === -1 ? '' : name.slice(0, i);
  if (i === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    remainder = name;
  } else {
    domain = first;
    remainder = name.slice(i + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_PREFIX + remainder;
  return { domain, remainder };
}

function checkDigest(d: string): string {
  const [alg, hex] = [d.slice(0, d.indexOf(':')), d.slice(d.indexOf(':') + 1)];
  if (alg !== 'sha256') throw invalidArgument('unsupported digest algorithm');
  if (hex.length !== 64) throw invalidArgument('invalid checksum digest length');
  if (!/^[a-f0-9]+$/.test(hex)) throw invalidArgument('invalid checksum digest format');
  return d;
}

/** Docker's ParseNormalizedNamed: a typed reference → normalised form, or Docker's error. */
export function parseReference(s: string): ImageReference {
  if (ID_RE.test(s)) throw invalidArgument(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  const { domain, remainder } = splitDockerDomain(s);
  const colon = remainder.indexOf(':');
  const remoteName = colon > -1 ? remainder.slice(0, colon) : remainder;
  if (remoteName.toLowerCase() !== remoteName) throw invalidReference(remoteName);
  const full = `${domain}/${remainder}`;
  const m = REFERENCE_RE.exec(full);
  if (!m) {
    if (REFERENCE_RE.test(full.toLowerCase())) throw invalidArgument('repository name must be lowercase');
    throw invalidReferenceFormat();
  }
  if (m[1]!.length > NAME_TOTAL_LENGTH_MAX) throw invalidArgument(`repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  const ref: ImageReference = { domain, path: m[1]!.slice(domain.length + 1) };
  if (m[2] !== undefined) ref.tag = m[2];
  if (m[3] !== undefined) ref.digest = checkDigest(m[3]);
  return ref;
}

/** Adds the default tag when the reference has neither tag nor digest (TagNameOnly). */
export function withDefaultTag(ref: ImageReference): ImageReference {
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: DEFAULT_TAG } : ref;
}

/** Parses a reference and applies the default tag (what `docker pull busybox` means). */
export function normaliseReference(s: string): ImageReference {
  return withDefaultTag(parseReference(s));
}

export function repoName(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

export function familiarName(ref: ImageReference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return repoName(ref);
  return ref.path.startsWith(OFFICIAL_PREFIX) && ref.path.split('/').length === 2 ? ref.path.slice(OFFICIAL_PREFIX.length) : ref.path;
}

function suffix(ref: ImageReference): string {
  return (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}

/** Fully qualified string: docker.io/library/busybox:latest. */
export function formatReference(ref: ImageReference): string {
  return repoName(ref) + suffix(ref);
}

/** Docker's FamiliarString: busybox:latest, foo/bar@sha256:..., localhost:5000/a:b. */
export function familiarString(ref: ImageReference): string {
  return familiarName(ref) + suffix(ref);
}

export function isValidTag(tag: string): boolean {
  return TAG_RE.test(tag);
}

/**
 * Combines the repo and tag of `docker tag`/`POST /images/{name}/tag?repo=&tag=` (and of
 * `?repo=&tag=` on import/commit) into one tag reference; a digest is refused like Docker.
 */
export function parseRepoTag(repo: string, tag?: string): ImageReference {
  const ref = parseReference(repo);
  if (ref.digest !== undefined) throw invalidArgument('refusing to create a tag with a digest reference');
  if (tag) {
    if (tag.startsWith('sha256') && isDigestLike(tag)) throw invalidArgument('refusing to create an ambiguous tag using digest algorithm as name');
    if (!isValidTag(tag)) throw invalidArgument('invalid tag format');
    return { ...ref, tag };
  }
  return withDefaultTag(ref);
}

function isDigestLike(s: string): boolean {
  return /^sha256(:[a-f0-9]*)?$/.test(s);
}

/** What a user typed where an image is expected: a reference, or an image id / id prefix. */
export type ImageLookup =
  | { kind: 'id'; id: string } // full sha256:<hex>
  | { kind: 'reference'; ref: ImageReference; idPrefix?: string }; // idPrefix: may also be an id prefix

/** Docker's ParseAnyReference plus the id-prefix fallback of GetImage. */
export function parseImageLookup(s: string): ImageLookup {
  if (ID_RE.test(s)) return { kind: 'id', id: `sha256:${s}` };
  if (SHA256_DIGEST_RE.test(s)) return { kind: 'id', id: s };
  const prefix = idPrefixOf(s);
  let ref: ImageReference;
  try {
    ref = withDefaultTag(parseReference(s));
  } catch (e) {
    // "sha256:abc" parses as a name; anything else unparsable but hex-ish is still a prefix.
    if (prefix !== undefined) return { kind: 'reference', ref: { domain: DEFAULT_DOMAIN, path: OFFICIAL_PREFIX + s }, idPrefix: prefix };
    throw e;
  }
  return prefix !== undefined ? { kind: 'reference', ref, idPrefix: prefix } : { kind: 'reference', ref };
}

/** The hex prefix an input could denote (`abc12`, `sha256:abc12`), or undefined. */
export function idPrefixOf(s: string): string | undefined {
  const hex = s.startsWith('sha256:') ? s.slice(7) : s;
  return /^[a-f0-9]{1,64}$/.test(hex) ? hex : undefined;
}

/** The repository-index key of a typed reference: tags get the default tag; name@digest drops any tag. */
export function normaliseRefKey(ref: string): string {
  const r = parseReference(ref);
  return formatReference(r.digest ? { domain: r.domain, path: r.path, digest: r.digest } : withDefaultTag(r));
}

/**
 * Docker's ParseAnyReference: a bare 64-hex id or a digest (sha256, sha512) stands for itself,
 * anything else must be a normalised name (and throws Docker's error when it is not).
 */
export function parseAnyReference(s: string): { digest: string } | ImageReference {
  if (ID_RE.test(s)) return { digest: `sha256:${s}` };
  if (ANY_DIGEST_RE.test(s)) return { digest: s };
  return parseReference(s);
}

/**
 * "repo[:tag]" as the API's repo/tag query pair (import, commit, tag): a colon after the last
 * "/" starts the tag, so a registry's port is never taken for one. No tag given, none returned.
 */
export function splitRepoTag(ref: string | undefined): { repo?: string; tag?: string } {
  if (!ref) return {};
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/') ? { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) } : { repo: ref };
}

/**
 * What POST /images/create?fromImage=&tag= asks to pull, as moby reads it: a `tag` that parses
 * as a digest pulls by digest; otherwise it replaces any tag (or digest) in fromImage.
 */
export function pullReference(fromImage: string, tag: string | undefined): string {
  if (!tag) return fromImage;
  const base = fromImage.replace(/@.*$/, '').replace(/:([^/:]*)$/, '');
  return DIGEST_RE.test(tag) ? `${base}@${tag}` : `${base}:${tag}`;
}
