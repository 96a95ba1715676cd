// What a pushed manifest must be before the registry stores it: JSON of one of the four media
// types (OCI manifest and index, Docker schema 2 manifest and manifest list) with well-formed
// descriptors. Pure: returns what the caller must check against storage (the blobs and child
// manifests it names) and what the referrers index needs (subject, artifact type).
import type { Digest } from '../../lib/digest.js';
import { manifestInvalid } from './errors.js';
import { parseBlobDigest } from './names.js';

export const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;
const IMAGE_TYPES: readonly string[] = [MEDIA.ociManifest, MEDIA.dockerManifest];
const INDEX_TYPES: readonly string[] = [MEDIA.ociIndex, MEDIA.dockerList];
export const MANIFEST_TYPES: readonly string[] = [...IMAGE_TYPES, ...INDEX_TYPES];

/** Layers a registry need not hold (Windows base layers, "nondistributable" OCI layers). */
const FOREIGN = /^application\/vnd\.(docker\.image\.rootfs\.foreign\.diff\.tar(\.gzip)?|oci\.image\.layer\.nondistributable\.v1\.tar(\+gzip|\+zstd)?)$/;

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface CheckedManifest {
  mediaType: string;
  /** Blobs that must already be in the repository (config and layers). */
  blobs: Descriptor[];
  /** Manifests that must already be in the repository (an index's children). */
  manifests: Descriptor[];
  subject?: Descriptor;
  /** What the referrers API lists this manifest as. */
  artifactType?: string;
  annotations?: Record<string, string>;
}

function descriptor(v: unknown, where: string): Descriptor {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw manifestInvalid(`${where}: not a descriptor`);
  const o = v as Record<string, unknown>;
  if (typeof o.mediaType !== 'string' || o.mediaType === '') throw manifestInvalid(`${where}: mediaType missing`);
  if (typeof o.digest !== 'string') throw manifestInvalid(`${where}: digest missing`);
  if (typeof o.size !== 'number' || !Number.isSafeInteger(o.size) || o.size < 0) throw manifestInvalid(`${where}: invalid size`);
  const d: Descriptor = { mediaType: o.mediaType, digest: parseBlobDigest(o.digest), size: o.size };
  if (typeof o.artifactType === 'string') d.artifactType = o.artifactType;
  if (o.annotations !== undefined) d.annotations = annotations(o.annotations, where);
  return d;
}

function annotations(v: unknown, where: string): Record<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.values(v).every((x) => typeof x === 'string')) {
    throw manifestInvalid(`${where}: annotations must map strings to strings`);
  }
  return v as Record<string, string>;
}

/** `contentType` is the request's Content-Type (without parameters), possibly empty. */
export function checkManifest(body: Buffer, contentType: string): CheckedManifest {
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw manifestInvalid(`manifest is not JSON: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw manifestInvalid('manifest is not a JSON object');
  const m = v as Record<string, unknown>;
  if (m.schemaVersion !== 2) throw manifestInvalid('schemaVersion must be 2', { schemaVersion: m.schemaVersion ?? null });
  const declared = typeof m.mediaType === 'string' ? m.mediaType : undefined;
  if (declared && contentType && declared !== contentType) {
    throw manifestInvalid("Content-Type does not match the manifest's mediaType", { contentType, mediaType: declared });
  }
  let mediaType = contentType || declared;
  if (!mediaType) mediaType = Array.isArray(m.manifests) ? MEDIA.ociIndex : MEDIA.ociManifest; // OCI lets mediaType be absent
  if (!MANIFEST_TYPES.includes(mediaType)) throw manifestInvalid(`unsupported manifest media type ${mediaType}`, { mediaType });
  const out: CheckedManifest = { mediaType, blobs: [], manifests: [] };
  if (IMAGE_TYPES.includes(mediaType)) {
    const config = descriptor(m.config, 'config');
    if (!Array.isArray(m.layers)) throw manifestInvalid('layers must be an array');
    const layers = m.layers.map((l, i) => descriptor(l, `layers[${i}]`));
    out.blobs = [config, ...layers.filter((l) => !FOREIGN.test(l.mediaType))];
    out.artifactType = typeof m.artifactType === 'string' ? m.artifactType : config.mediaType;
  } else {
    if (!Array.isArray(m.manifests)) throw manifestInvalid('manifests must be an array');
    out.manifests = m.manifests.map((c, i) => descriptor(c, `manifests[${i}]`));
    if (typeof m.artifactType === 'string') out.artifactType = m.artifactType;
  }
  if (m.subject !== undefined) out.subject = descriptor(m.subject, 'subject');
  if (m.annotations !== undefined) out.annotations = annotations(m.annotations, 'annotations');
  return out;
}
