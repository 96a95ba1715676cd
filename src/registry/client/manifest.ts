// Fetching and checking what a reference points at: a manifest (Docker schema 2 or OCI) or an
// index (Docker manifest list or OCI index) from which the host's platform is picked. Every
// document is verified against the digest that names it, is size-capped, and is parsed with
// the image package's validating parsers before anything else reads it.
import { formatPlatform, platformRank } from '../../lib/platform.js';
import { isDigest, sha256, type Digest } from '../../lib/digest.js';
import { invalidArgument, notFound } from '../../lib/errors.js';
import {
  MEDIA_TYPES,
  isIndexMediaType,
  parseIndex,
  parseManifest,
  type Descriptor,
  type ImageIndex,
  type Manifest,
  type Platform,
} from '../../image/image-config.js';
import { readBody } from './http-request.js';
import { manifestFetchError } from './registry-errors.js';
import type { RegistrySession } from './session.js';

export const MANIFEST_ACCEPT = [MEDIA_TYPES.dockerManifest, MEDIA_TYPES.dockerManifestList, MEDIA_TYPES.ociManifest, MEDIA_TYPES.ociIndex].join(', ');
export const MAX_MANIFEST_BYTES = 4 << 20;
export const MAX_CONFIG_BYTES = 8 << 20;
const MAX_INDEX_DEPTH = 2;

export interface FetchedManifest {
  digest: Digest;
  mediaType: string;
  bytes: Buffer;
}

export type ParsedDocument = { kind: 'index'; index: ImageIndex } | { kind: 'manifest'; manifest: Manifest };

/** Classifies a manifest document by its mediaType field (or the Content-Type when it has none). */
export function parseDocument(bytes: Buffer, contentType: string | undefined): { mediaType: string; doc: ParsedDocument } {
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw invalidArgument(`invalid manifest: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalidArgument('invalid manifest: not an object');
  const o = v as Record<string, unknown>;
  const declared = typeof o.mediaType === 'string' ? o.mediaType : undefined;
  const ct = contentType?.split(';')[0]!.trim();
  const mediaType =
    declared ?? (ct && ct !== 'application/json' && ct !== 'text/plain' ? ct : Array.isArray(o.manifests) ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.ociManifest);
  if (o.schemaVersion === 1 || /^application\/vnd\.docker\.distribution\.manifest\.v1\+(prettyjws|json)$/.test(mediaType))
    throw invalidArgument('Docker Image manifest version 2, schema 1 is not supported: the image must be pushed again with a newer client');
  if (isIndexMediaType(mediaType)) return { mediaType, doc: { kind: 'index', index: parseIndex(bytes) } };
  if (mediaType !== MEDIA_TYPES.dockerManifest && mediaType !== MEDIA_TYPES.ociManifest)
    throw invalidArgument(`unsupported manifest media type ${JSON.stringify(mediaType).slice(0, 200)}`);
  return { mediaType, doc: { kind: 'manifest', manifest: parseManifest(bytes) } };
}

/**
 * GET /v2/<repo>/manifests/<tag|digest>. By digest the bytes must hash to it; by tag they must
 * hash to Docker-Content-Digest when the registry sends one.
 */
export async function fetchManifest(
  s: RegistrySession,
  ref: string,
  names: { familiarRef: string; familiarName: string },
  expected?: { digest: Digest; size?: number },
): Promise<FetchedManifest & { doc: ParsedDocument }> {
  const res = await s.request('manifests', ref, { headers: { Accept: MANIFEST_ACCEPT } });
  if (res.status !== 200) {
    const body = await readBody(res.body, 64 * 1024, 'error body').catch(() => Buffer.alloc(0));
    throw manifestFetchError(res.status, body, names.familiarRef, names.familiarName, res.url.href);
  }
  const limit = expected?.size !== undefined ? Math.min(expected.size, MAX_MANIFEST_BYTES) : MAX_MANIFEST_BYTES;
  if (expected?.size !== undefined && expected.size > MAX_MANIFEST_BYTES)
    throw invalidArgument(`manifest ${expected.digest} too large: ${expected.size} bytes`);
  const bytes = await readBody(res.body, limit, 'manifest');
  const digest = sha256(bytes);
  const header = res.headers['docker-content-digest'];
  const want = expected?.digest ?? (typeof header === 'string' && isDigest(header) ? header : undefined);
  if (want && want !== digest) throw invalidArgument(`manifest verification failed for digest ${want}`);
  if (expected?.size !== undefined && bytes.length !== expected.size)
    throw invalidArgument(`manifest verification failed for digest ${expected.digest}: size ${bytes.length}, expected ${expected.size}`);
  const { mediaType, doc } = parseDocument(bytes, res.headers['content-type']);
  return { digest, mediaType, bytes, doc };
}

export { formatPlatform };

/**
 * The entry of an index that best serves `want` (containerd's ordering: amd64/v3 prefers a v3
 * entry, then v2, then plain amd64, then 386; arm64 ≡ arm64/v8), the first in the index's order
 * among equals; undefined when none does.
 */
export function selectPlatform(index: ImageIndex, want: Platform): Descriptor | undefined {
  let best: Descriptor | undefined;
  let bestRank = Number.POSITIVE_INFINITY;
  for (const d of index.manifests) {
    const rank = d.platform ? platformRank(want, d.platform) : -1;
    if (rank >= 0 && rank < bestRank) [best, bestRank] = [d, rank];
  }
  return best;
}

/** Follows an index down to the manifest for `want`; returns that manifest and its descriptor chain. */
export async function resolvePlatformManifest(
  s: RegistrySession,
  top: FetchedManifest & { doc: ParsedDocument },
  want: Platform,
  names: { familiarRef: string; familiarName: string },
  /** What the index entries are matched against, when not `want` itself (the host's platform with its amd64 level). */
  match: Platform = want,
): Promise<FetchedManifest & { manifest: Manifest }> {
  let cur = top;
  for (let depth = 0; cur.doc.kind === 'index'; depth++) {
    if (depth >= MAX_INDEX_DEPTH) throw invalidArgument('image index nested too deeply');
    const d = selectPlatform(cur.doc.index, match);
    if (!d) throw notFound(`no matching manifest for ${formatPlatform(want)} in the manifest list entries`);
    cur = await fetchManifest(s, d.digest, names, { digest: d.digest, size: d.size });
  }
  return { digest: cur.digest, mediaType: cur.mediaType, bytes: cur.bytes, manifest: cur.doc.manifest };
}

/** A small blob (the image config), verified by digest and size. */
export async function fetchSmallBlob(s: RegistrySession, d: Descriptor, limit: number, what: string): Promise<Buffer> {
  if (d.size > limit) throw invalidArgument(`${what} ${d.digest} too large: ${d.size} bytes`);
  const res = await s.request('blobs', d.digest);
  if (res.status !== 200) {
    res.body.resume();
    throw invalidArgument(`${what} ${d.digest}: unexpected status ${res.status} from the registry`);
  }
  const bytes = await readBody(res.body, d.size, what).catch((e) => {
    throw invalidArgument(`${what} verification failed for digest ${d.digest}: ${(e as Error).message}`);
  });
  if (bytes.length !== d.size || sha256(bytes) !== d.digest) throw invalidArgument(`${what} verification failed for digest ${d.digest}`);
  return bytes;
}
