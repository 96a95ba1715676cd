// The platforms one image name holds (an index per name, as Docker's containerd store keeps):
// which image serves a platform (`image inspect --platform`), what `image ls --tree` shows per
// platform, the index digest a name was pulled or pushed as, and the OCI index document that
// describes a name's platforms in a registry (push of a multi-platform name).
import type { Digest } from '../lib/digest.js';
import { notFound } from '../lib/errors.js';
import { formatPlatform, normalizePlatform, platformRank, type Platform } from '../lib/platform.js';
import { formatReference, normaliseRefKey, parseReference } from '../lib/reference.js';
import { MEDIA_TYPES, type Descriptor } from './image-config.js';
import type { ImageManifestRef, ImageRecord } from './image-record.js';
import type { ImageDetails, ImageStore } from './image-store.js';
import { isDigestRef } from './ref-index.js';

/** One platform's image of a name. */
export interface PlatformImage {
  id: Digest;
  platform: Platform;
  /** The manifest that names it in a registry (pulled or pushed); none for an image built or loaded here. */
  manifest?: ImageManifestRef;
  /** Bytes unpacked. */
  size: number;
  /** Bytes of its content as a registry holds it: the compressed layers where known (pulled or pushed), else unpacked. */
  content: number;
}

/** The newest manifest an image is known by (the one its last pull or push used). */
export function manifestOf(rec: ImageRecord): ImageManifestRef | undefined {
  return rec.manifests.at(-1);
}

/** The images a reference holds, the one it shows first (one for an id or a single-platform name). */
export function platformImages(store: ImageStore, refOrId: string): PlatformImage[] {
  return store.resolveAll(refOrId).map((r) => {
    const m = manifestOf(r);
    const content = r.layers.reduce((n, l) => n + (l.blob?.size ?? l.size), 0);
    return { id: r.id, platform: store.platformOf(r.id), size: r.size, content, ...(m ? { manifest: m } : {}) };
  });
}

/**
 * The image of `refOrId` that best serves `want` (containerd's match order, as run --platform
 * chooses); Docker's "does not match the specified platform" when the name holds none.
 */
export function imageForPlatform(store: ImageStore, refOrId: string, want: Platform): ImageRecord {
  const all = store.resolveAll(refOrId);
  let best: ImageRecord | undefined;
  let bestRank = Number.POSITIVE_INFINITY;
  for (const r of all) {
    const rank = platformRank(want, store.platformOf(r.id), { fallback: true });
    if (rank >= 0 && rank < bestRank) [best, bestRank] = [r, rank];
  }
  if (best) return best;
  throw notFound(
    `image with reference ${refOrId} was found but does not match the specified platform: wanted ${formatPlatform(normalizePlatform(want))}, actual: ${formatPlatform(store.platformOf(all[0]!.id))}`,
  );
}

/**
 * The digest of the index `ref` (a tag) was pulled or pushed as: a digest reference of the same
 * repository holding exactly the same images that is none of their own manifests. Undefined for
 * a name never in a registry as an index (or whose platforms changed since).
 */
export function indexDigestOf(store: ImageStore, ref: string): Digest | undefined {
  const key = normaliseRefKey(ref);
  const shown = store.refs.get(key);
  if (!shown) return undefined;
  const held = new Set([shown, ...store.refs.others(key)]);
  // A digest that is one of the images' own manifests names that manifest, not an index.
  const manifests = new Set([...held].flatMap((id) => (store.has(id) ? store.resolve(id).manifests.map((m) => m.digest) : [])));
  const r = parseReference(key);
  const prefix = `${formatReference({ domain: r.domain, path: r.path })}@`;
  for (const k of store.refs.refsOf(shown)) {
    if (!isDigestRef(k) || !k.startsWith(prefix)) continue;
    const digest = k.slice(prefix.length) as Digest;
    const others = store.refs.others(k);
    if (!manifests.has(digest) && others.length === held.size - 1 && others.every((o) => held.has(o))) return digest;
  }
  return undefined;
}

/**
 * The OCI image index for a name's platforms: one descriptor per platform manifest, in the order
 * given, each with its platform (normalised as containerd writes it: arm64's v8 omitted).
 * Compact JSON, as BuildKit writes indexes; the bytes are what the digest names.
 */
export function ociIndex(entries: readonly { manifest: ImageManifestRef; platform: Platform }[]): Buffer {
  const manifests: Descriptor[] = entries.map((e) => {
    const p = normalizePlatform(e.platform);
    return {
      mediaType: e.manifest.mediaType,
      digest: e.manifest.digest,
      size: e.manifest.size,
      platform: { architecture: p.architecture, os: p.os, ...(p.variant ? { variant: p.variant } : {}) },
    };
  });
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests }));
}

/**
 * `image inspect --platform`: that platform's image of the name, shown under the name's tags and
 * digests (as Docker's containerd store shows a platform of an index under its name).
 */
export function inspectPlatform(store: ImageStore, refOrId: string, want: Platform): ImageDetails {
  const shown = store.resolve(refOrId);
  const rec = imageForPlatform(store, refOrId, want);
  const d = store.inspect(rec.id);
  return { ...d, repoTags: store.repoTags(shown.id), repoDigests: store.repoDigests(shown.id) };
}
