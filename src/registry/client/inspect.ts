// What `docker manifest inspect` reads from a registry, fetched the way its registry client
// does (straight from the registry, not through the daemon): the manifest a reference names;
// for an index (manifest list) its entries, and with `children` each entry's manifest; for a
// single manifest in verbose form, the platform from its image config. Every document is
// verified by digest (fetchManifest). This module stays free of the store and the image
// records: the CLI imports it.
import type { Digest } from '../../lib/digest.js';
import { formatReference, normaliseReference, type ImageReference } from '../../lib/reference.js';
import { MEDIA_TYPES, type Manifest, type Platform } from '../../image/image-config.js';
import type { Credentials } from './auth.js';
import { endpointFor } from './endpoint.js';
import { Agents } from './http-request.js';
import { fetchManifest, fetchSmallBlob, MAX_CONFIG_BYTES, type ParsedDocument } from './manifest.js';
import { RegistrySession } from './session.js';

export interface InspectedManifest {
  /** The reference it was fetched by (an index entry's: the index's reference @ its digest). */
  ref: string;
  descriptor: { mediaType: string; digest: Digest; size: number; platform?: Record<string, unknown> };
  raw: Buffer;
  manifest: Manifest;
}

export type InspectResult =
  | { kind: 'manifest'; manifest: InspectedManifest }
  | {
      kind: 'index';
      ref: string;
      mediaType: string;
      /** The index's own digest and size. */
      digest: Digest;
      size: number;
      entries: { mediaType: string; digest: Digest; size: number; platform?: Platform }[];
      children?: InspectedManifest[];
    };

export interface InspectOptions {
  credentials?: Credentials;
  /** --insecure: plain http and unverified TLS for this registry (loopback is insecure anyway). */
  insecure?: boolean;
  /** Fetch what the verbose form shows: every index entry's manifest, a manifest's config. */
  verbose?: boolean;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** The daemon's --registry-loopback-only (GET /distribution runs in the daemon). */
  loopbackOnly?: boolean;
}

/** The config's platform fields in the order of the OCI Platform struct (docker prints them so). */
function platformOf(config: Buffer): Record<string, unknown> {
  let v: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(config.toString('utf8')) as unknown;
    if (typeof parsed === 'object' && parsed !== null) v = parsed as Record<string, unknown>;
  } catch {}
  const out: Record<string, unknown> = { architecture: typeof v.architecture === 'string' ? v.architecture : '', os: typeof v.os === 'string' ? v.os : '' };
  for (const k of ['os.version', 'os.features', 'variant']) if (v[k] !== undefined && v[k] !== '' && !(Array.isArray(v[k]) && !v[k].length)) out[k] = v[k];
  return out;
}

export async function inspectManifest(reference: string, o: InspectOptions = {}): Promise<InspectResult> {
  const ref = normaliseReference(reference);
  const endpoint = endpointFor(ref, o.insecure ? [ref.domain] : []);
  const agents = new Agents();
  try {
    const session = new RegistrySession({
      endpoint,
      credentials: o.credentials,
      agents,
      insecureRegistries: endpoint.insecure ? [ref.domain] : [],
      loopbackOnly: o.loopbackOnly,
      signal: o.signal,
      timeoutMs: o.timeoutMs,
    });
    const full = formatReference(ref);
    const names = { familiarRef: full, familiarName: `${ref.domain}/${ref.path}` };
    const top = await fetchManifest(session, ref.digest ?? ref.tag!, names);
    if (top.doc.kind === 'index') {
      const entries = top.doc.index.manifests.map((d) => ({ mediaType: d.mediaType, digest: d.digest, size: d.size, platform: d.platform }));
      const own = { digest: top.digest, size: top.bytes.length };
      if (!o.verbose) return { kind: 'index', ref: full, mediaType: top.mediaType, ...own, entries };
      const children: InspectedManifest[] = [];
      for (const e of entries) {
        const child = await fetchManifest(session, e.digest, names, { digest: e.digest, size: e.size });
        if (child.doc.kind !== 'manifest') continue; // nested indexes are not shown (docker's list has images only)
        children.push({
          ref: formatReference(withDigest(ref, e.digest)),
          descriptor: { mediaType: e.mediaType, digest: e.digest, size: e.size, ...(e.platform ? { platform: { ...e.platform } } : {}) },
          raw: child.bytes,
          manifest: child.doc.manifest,
        });
      }
      return { kind: 'index', ref: full, mediaType: top.mediaType, ...own, entries, children };
    }
    const manifest = (top.doc as Extract<ParsedDocument, { kind: 'manifest' }>).manifest;
    const descriptor: InspectedManifest['descriptor'] = { mediaType: top.mediaType, digest: top.digest, size: top.bytes.length };
    if (o.verbose) descriptor.platform = platformOf(await fetchSmallBlob(session, manifest.config, MAX_CONFIG_BYTES, 'image config'));
    return { kind: 'manifest', manifest: { ref: full, descriptor, raw: top.bytes, manifest } };
  } finally {
    agents.close();
  }
}

function withDigest(ref: ImageReference, digest: Digest): ImageReference {
  return { domain: ref.domain, path: ref.path, ...(ref.tag !== undefined ? { tag: ref.tag } : {}), digest };
}

export const isDockerManifest = (mediaType: string): boolean => mediaType === MEDIA_TYPES.dockerManifest;

/** GET /distribution/{name}/json's answer (DistributionInspect): the descriptor the name resolves to and the platforms it offers. */
export interface DistributionInspect {
  Descriptor: { mediaType: string; digest: Digest; size: number };
  Platforms: Record<string, unknown>[];
}

export function distributionInspect(r: InspectResult): DistributionInspect {
  if (r.kind === 'index') {
    return {
      Descriptor: { mediaType: r.mediaType, digest: r.digest, size: r.size },
      Platforms: r.entries.filter((e) => e.platform).map((e) => ({ ...e.platform }) as Record<string, unknown>),
    };
  }
  const { platform, ...descriptor } = r.manifest.descriptor;
  return { Descriptor: descriptor, Platforms: platform ? [platform] : [] };
}
