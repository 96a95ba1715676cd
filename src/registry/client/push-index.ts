// Push of a name that holds several platforms (a multi-platform build, a pull of two platforms
// of one index): each platform's blobs and manifest go up first (the manifest by its digest,
// through push.ts), then one OCI image index naming them under the tag, the way BuildKit pushes
// a multi-platform image. The tag's line reports the index, as docker does for an index:
// "<tag>: digest: sha256:... size: N", with the aux {Tag, Digest, Size}. The name then also
// answers to repo@<index digest> with all its platforms, so `image ls --tree` shows that digest.
import { sha256, type Digest } from '../../lib/digest.js';
import { formatPlatform, normalizePlatform } from '../../lib/platform.js';
import { formatReference, type ImageReference } from '../../lib/reference.js';
import { MEDIA_TYPES } from '../../image/image-config.js';
import type { ImageStore } from '../../image/image-store.js';
import type { ImageRecord } from '../../image/image-record.js';
import { ociIndex } from '../../image/image-platforms.js';
import { expectStatus } from './blob-upload.js';
import { endpointFor } from './endpoint.js';
import type { Agents } from './http-request.js';
import type { PushMessage, PushOptions, PushResult, PusherOptions } from './push.js';
import { RegistrySession } from './session.js';

export interface IndexPushDeps {
  images: ImageStore;
  agents: Agents;
  opts: PusherOptions;
}

/** Pushes one platform's image (blobs, config, manifest by digest) and returns its manifest's digest and size. */
export type PushPlatform = (rec: ImageRecord) => Promise<PushResult>;

export async function pushIndexTag(
  d: IndexPushDeps,
  ref: ImageReference,
  recs: readonly ImageRecord[],
  o: PushOptions,
  send: (m: PushMessage) => void,
  pushPlatform: PushPlatform,
): Promise<PushResult> {
  // A stable order (by platform), so pushing the same name twice makes the same index.
  const platforms = recs
    .map((rec) => ({ rec, platform: normalizePlatform(d.images.platformOf(rec.id)) }))
    .sort((a, b) => formatPlatform(a.platform).localeCompare(formatPlatform(b.platform)));
  const entries = [];
  // One platform after the other: each already uploads up to 5 layers at once.
  for (const p of platforms) {
    const r = await pushPlatform(p.rec);
    entries.push({ manifest: { digest: r.digest, size: r.size, mediaType: MEDIA_TYPES.dockerManifest }, platform: p.platform });
  }
  const index = ociIndex(entries);
  const digest: Digest = sha256(index);
  const session = new RegistrySession({
    endpoint: endpointFor(ref, d.opts.insecureRegistries),
    credentials: o.credentials,
    agents: d.agents,
    insecureRegistries: d.opts.insecureRegistries,
    loopbackOnly: d.opts.loopbackOnly,
    signal: o.signal,
    timeoutMs: d.opts.timeoutMs,
    scopes: [`repository:${ref.path}:pull,push`],
  });
  const res = await session.call('PUT', `/v2/${ref.path}/manifests/${ref.tag}`, {
    headers: { 'Content-Type': MEDIA_TYPES.ociIndex, 'Content-Length': String(index.length) },
    body: () => index,
  });
  await expectStatus(res, [201, 200, 202], `index ${ref.tag}`);
  // As for a single image (RepoDigests): the name's platforms also answer to repo@<index digest>.
  // Skipped when an image went away meanwhile: the push itself has succeeded.
  const ids = platforms.map((p) => p.rec.id);
  if (ids.every((id) => d.images.has(id))) await d.images.setPlatforms(formatReference({ domain: ref.domain, path: ref.path, digest }), ids, { event: false });
  send({ status: `${ref.tag}: digest: ${digest} size: ${index.length}` });
  send({ progressDetail: {}, aux: { Tag: ref.tag!, Digest: digest, Size: index.length } } as PushMessage);
  return { tag: ref.tag!, digest, size: index.length };
}
