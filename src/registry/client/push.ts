// `docker push`: for one tag (or every tag of a repository), each layer blob and the config go
// up before the manifest, the way dockerd does it: HEAD first (already there: "Layer already
// exists"), then a cross-repository mount from another repository of the same registry that
// this image came from ("Mounted from ..."), else a monolithic upload (POST, then PUT with the
// bytes and ?digest=) with "Pushing" progress; the manifest last, then Docker's
// "<tag>: digest: sha256:... size: N" line and an aux {Tag, Digest, Size} message.
// Layers are pushed as gzip blobs: the one pulled from a registry when the store kept it,
// otherwise the layer tar compressed into the content store first (a manifest needs its
// digest) and remembered on the image record, so the next push needs no compression.
import { createGzip } from 'node:zlib';
import { Readable, Transform } from 'node:stream';
import { shortId, sha256, type Digest } from '../../lib/digest.js';
import { invalidArgument, notFound, unavailable } from '../../lib/errors.js';
import { MEDIA_TYPES } from '../../image/image-config.js';
import type { ImageStore } from '../../image/image-store.js';
import type { ImageLayerRef } from '../../image/image-record.js';
import { openLayerTar } from '../../image/layer-blob.js';
import { familiarName, familiarString, formatReference, normaliseReference, parseReference, repoName, type ImageReference } from '../../lib/reference.js';
import { isDigestRef } from '../../image/ref-index.js';
import type { Credentials } from './auth.js';
import { endpointFor } from './endpoint.js';
import { Agents, drain, readBody } from './http-request.js';
import { progressMessage, throttled, type PullMessage } from './progress.js';
import { authFailed, registryErrorText } from './registry-errors.js';
import { RegistrySession } from './session.js';

export interface PushMessage extends PullMessage {
  aux?: { Tag: string; Digest: string; Size: number };
}

export interface PushOptions {
  credentials?: Credentials;
  signal?: AbortSignal;
  onProgress?: (m: PushMessage) => void;
}

export interface PushResult {
  tag: string;
  digest: Digest;
  size: number;
}

export interface PusherOptions {
  insecureRegistries?: string[];
  loopbackOnly?: boolean;
  timeoutMs?: number;
}

interface BlobToPush {
  digest: Digest;
  size: number;
  mediaType: string;
  /** Progress id: the short diffID for layers (Docker's), none for the config. */
  id?: string;
  open(): Readable;
}

/** A layer's tar gzip-compressed into the content store (hashed and verified there). */
async function gzipLayer(images: ImageStore, l: ImageLayerRef, signal?: AbortSignal): Promise<{ digest: Digest; size: number }> {
  const { stream } = await openLayerTar(images.content, images.layers, l);
  return images.content.ingest(stream.pipe(createGzip()), undefined, signal);
}

export class RegistryPusher {
  private readonly agents = new Agents();

  constructor(
    private readonly images: ImageStore,
    private readonly opts: PusherOptions = {},
  ) {}

  close(): void {
    this.agents.close();
  }

  /** `name` without a tag pushes every tag of the repository (the API's empty `tag`). */
  async push(name: string, tag: string | undefined, o: PushOptions = {}): Promise<PushResult[]> {
    const base = parseReference(name);
    if (base.digest) throw invalidArgument('cannot push a digest reference');
    const repo = { domain: base.domain, path: base.path };
    const tags = (tag ?? base.tag) ? [tag ?? base.tag!] : this.tagsOf(repo);
    if (!tags.length) throw notFound(`An image does not exist locally with the tag: ${formatReference(repo).replace(/^docker\.io\/(library\/)?/, '')}`);
    const send = (m: PushMessage) => o.onProgress?.(m);
    send({ status: `The push refers to repository [${repoName(repo)}]` });
    const results: PushResult[] = [];
    for (const t of tags) {
      results.push(await this.pushTag({ ...repo, tag: t }, o, send));
      // The domain reports its own events (as the puller reports pulls): one per pushed tag.
      this.images.emitEvent('push', familiarString({ ...repo, tag: t }), { name: familiarName(repo) });
    }
    return results;
  }

  private tagsOf(repo: ImageReference): string[] {
    const prefix = `${repoName(repo)}:`;
    return this.images.refs
      .entries()
      .filter(([k]) => !isDigestRef(k) && k.startsWith(prefix) && !k.slice(prefix.length).includes('/'))
      .map(([k]) => k.slice(prefix.length))
      .sort();
  }

  private async pushTag(ref: ImageReference, o: PushOptions, send: (m: PushMessage) => void): Promise<PushResult> {
    let rec;
    try {
      rec = this.images.resolve(formatReference(ref));
    } catch {
      throw notFound(
        `An image does not exist locally with the tag: ${formatReference(normaliseReference(formatReference(ref))).replace(/^docker\.io\/(library\/)?/, '')}`,
      );
    }
    // Other repositories of the same registry holding this image: mount sources.
    const sources = [
      ...new Set(
        this.images.refs
          .refsOf(rec.id)
          .map((k) => parseReference(k))
          .filter((r) => r.domain === ref.domain && r.path !== ref.path)
          .map((r) => r.path),
      ),
    ];
    const endpoint = endpointFor(ref, this.opts.insecureRegistries);
    const scopes = [`repository:${ref.path}:pull,push`, ...sources.map((s) => `repository:${s}:pull`)];
    const session = new RegistrySession({
      endpoint,
      credentials: o.credentials,
      agents: this.agents,
      insecureRegistries: this.opts.insecureRegistries,
      loopbackOnly: this.opts.loopbackOnly,
      signal: o.signal,
      timeoutMs: this.opts.timeoutMs,
      scopes,
    });

    {
      const layers: BlobToPush[] = [];
      const made = new Map<Digest, NonNullable<ImageLayerRef['blob']>>();
      const ids = rec.layers.map((l) => shortId(l.diffId));
      // Docker lists the top layer first.
      for (const id of [...ids].reverse()) send({ status: 'Preparing', id, progressDetail: {} });
      for (const [i, l] of rec.layers.entries()) {
        if (l.blob && (await this.images.content.has(l.blob.digest))) {
          const b = l.blob;
          layers.push({
            digest: b.digest,
            size: b.size,
            mediaType: MEDIA_TYPES.dockerLayer,
            id: ids[i]!,
            open: () => this.images.content.readStream(b.digest),
          });
        } else {
          // Compressed once: the record keeps the blob, so a re-push finds its digest at once.
          const g = await gzipLayer(this.images, l, o.signal);
          made.set(l.diffId, { digest: g.digest, mediaType: MEDIA_TYPES.dockerLayer, size: g.size });
          layers.push({
            digest: g.digest,
            size: g.size,
            mediaType: MEDIA_TYPES.dockerLayer,
            id: ids[i]!,
            open: () => this.images.content.readStream(g.digest),
          });
        }
      }
      if (made.size && !(await this.images.recordLayerBlobs(rec.id, made))) {
        for (const b of made.values()) await this.images.content.delete(b.digest).catch(() => {});
        throw notFound(`image ${rec.id} was removed while it was being pushed`);
      }
      for (const b of [...layers].reverse()) await this.pushBlob(session, ref, b, sources, send);
      const config = await this.images.configBytes(rec.id);
      await this.pushBlob(
        session,
        ref,
        { digest: rec.id, size: config.length, mediaType: MEDIA_TYPES.dockerConfig, open: () => bufferStream(config) },
        [],
        send,
      );
      const manifest = Buffer.from(
        JSON.stringify(
          {
            schemaVersion: 2,
            mediaType: MEDIA_TYPES.dockerManifest,
            config: { mediaType: MEDIA_TYPES.dockerConfig, size: config.length, digest: rec.id },
            layers: layers.map((l) => ({ mediaType: l.mediaType, size: l.size, digest: l.digest })),
          },
          null,
          3,
        ),
      );
      const digest = sha256(manifest);
      const res = await session.call('PUT', `/v2/${ref.path}/manifests/${ref.tag}`, {
        headers: { 'Content-Type': MEDIA_TYPES.dockerManifest, 'Content-Length': String(manifest.length) },
        body: () => manifest,
      });
      await expectStatus(res, [201, 200, 202], `manifest ${ref.tag}`);
      // As dockerd does: the image now also answers to repo@digest (RepoDigests).
      // (Skipped if the image was removed meanwhile: the push itself has succeeded.)
      if (this.images.has(rec.id)) {
        await this.images.content.put(manifest, digest);
        await this.images.register({
          config,
          layers: this.images.resolve(rec.id).layers,
          manifest: { digest, mediaType: MEDIA_TYPES.dockerManifest, size: manifest.length },
          refs: [formatReference({ domain: ref.domain, path: ref.path, digest })],
        });
      }
      send({ status: `${ref.tag}: digest: ${digest} size: ${manifest.length}` });
      send({ progressDetail: {}, aux: { Tag: ref.tag!, Digest: digest, Size: manifest.length } } as PushMessage);
      return { tag: ref.tag!, digest, size: manifest.length };
    }
  }

  private async pushBlob(session: RegistrySession, ref: ImageReference, b: BlobToPush, sources: string[], send: (m: PushMessage) => void): Promise<void> {
    const head = await session.call('HEAD', `/v2/${ref.path}/blobs/${b.digest}`);
    drain(head.body);
    if (head.status === 200) {
      if (b.id) send({ status: 'Layer already exists', id: b.id, progressDetail: {} });
      return;
    }
    let location: string | undefined;
    for (const from of sources) {
      const m = await session.call('POST', `/v2/${ref.path}/blobs/uploads/?mount=${b.digest}&from=${encodeURIComponent(from)}`, {
        headers: { 'Content-Length': '0' },
      });
      drain(m.body);
      if (m.status === 201) {
        if (b.id) send({ status: `Mounted from ${from}`, id: b.id, progressDetail: {} });
        return;
      }
      if (m.status === 202 && m.headers.location) {
        location = m.headers.location; // the registry opened an upload instead: use it
        break;
      }
    }
    if (!location) {
      const start = await session.call('POST', `/v2/${ref.path}/blobs/uploads/`, { headers: { 'Content-Length': '0' } });
      await expectStatus(start, [202], `upload of ${b.digest}`);
      location = start.headers.location;
      if (!location) throw unavailable('registry started an upload without a Location');
    }
    const url = new URL(location, session.url('blobs', b.digest));
    url.searchParams.set('digest', b.digest);
    const t = b.id ? throttled((n) => send(progressMessage('Pushing', b.id!, n, b.size))) : undefined;
    const open = () => {
      let sent = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          sent += chunk.length;
          t?.update(sent);
          cb(null, chunk);
        },
      });
      return b.open().pipe(counter);
    };
    const put = await session.call('PUT', url.href, { headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(b.size) }, body: open });
    t?.flush();
    await expectStatus(put, [201, 204], `blob ${b.digest}`);
    if (b.id) send({ status: 'Pushed', id: b.id, progressDetail: {} });
  }
}

function bufferStream(b: Buffer): Readable {
  return Readable.from([b]);
}

async function expectStatus(res: Awaited<ReturnType<RegistrySession['call']>>, ok: number[], what: string): Promise<void> {
  if (ok.includes(res.status)) {
    drain(res.body);
    return;
  }
  const body = await readBody(res.body, 64 * 1024, 'error body').catch(() => Buffer.alloc(0));
  const text = registryErrorText(body) ?? `unexpected status ${res.status}`;
  // Docker prints the registry's words ("denied: requested access to the resource is denied").
  throw res.status === 403 || res.status === 401 ? authFailed(text) : unavailable(`${what}: ${text}`);
}
