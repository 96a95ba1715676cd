// `docker push`: for one tag (or every tag of a repository), each layer blob and the config go
// up before the manifest, the way dockerd does it, up to 5 layers at a time (dockerd's
// --max-concurrent-uploads). A layer whose compressed digest is known (pulled: the store keeps
// the blob; pushed before: the record remembers digest and size, as Docker's distribution
// metadata does) goes by its digest: HEAD ("Layer already exists"), a cross-repository mount
// from another repository of this registry holding the image ("Mounted from ..."), else its
// bytes. A layer compressed now is cut into parallel gzip members (lib/parallel-gzip:
// incompressible chunks stored) that stream to the registry while they are hashed, with no
// temporary copy; compressing is deterministic, so a push to another registry later makes the
// same blob. A layer whose upload fails for a transient reason (the connection broke, the
// registry answered 5xx) is tried again from the start, up to 5 attempts as dockerd makes, with
// "Retrying in N seconds" between them (1 s, 2 s, ... here: dockerd waits 5 s more each time);
// refusals (auth, a bad manifest or digest, not found) and a cancelled push are final. The
// manifest goes last, then Docker's "<tag>: digest: sha256:... size: N" line and an aux
// {Tag, Digest, Size} message.
import { Readable } from 'node:stream';
import { shortId, sha256, type Digest } from '../../lib/digest.js';
import { invalidArgument, isBerthError, notFound } from '../../lib/errors.js';
import { ParallelGzip } from '../../lib/parallel-gzip.js';
import { MEDIA_TYPES } from '../../image/image-config.js';
import type { ImageStore } from '../../image/image-store.js';
import type { ImageLayerRef, ImageRecord } from '../../image/image-record.js';
import { openLayerTar } from '../../image/layer-blob.js';
import { familiarName, familiarString, formatReference, normaliseReference, parseReference, repoName, type ImageReference } from '../../lib/reference.js';
import { isDigestRef } from '../../image/ref-index.js';
import type { Credentials } from './auth.js';
import { blobAlreadyThere, digestOf, expectStatus, pushKnownBlob, pushStreamedBlob } from './blob-upload.js';
import { endpointFor } from './endpoint.js';
import { Agents } from './http-request.js';
import { pool } from './pool.js';
import { pushIndexTag } from './push-index.js';
import type { PullMessage } from './progress.js';
import { RegistrySession } from './session.js';

const MAX_CONCURRENT_UPLOADS = 5;
/** Attempts per layer upload (dockerd's maxUploadAttempts). */
const MAX_UPLOAD_ATTEMPTS = 5;

/** Whether a failed layer upload may succeed if tried again: network failures and 5xx, not refusals. */
export function isTransientPushError(e: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted) return false;
  if (isBerthError(e)) return e.kind === 'unavailable';
  // A socket reset, hang up or timeout below the HTTP layer (never a bug's TypeError).
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return e instanceof Error && ((typeof code === 'string' && /^(E[A-Z]+|UND_ERR)/.test(code)) || /socket hang up|aborted|timed? ?out/i.test(e.message));
}

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
  /** The wait before retry n (1-based) of a failed layer upload; default n seconds. */
  retryDelayMs?: (n: number) => number;
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

  /** Runs one layer's upload, again after a transient failure (see the top of this file). */
  private async withRetries(id: string, signal: AbortSignal | undefined, send: (m: PushMessage) => void, attempt: () => Promise<void>): Promise<void> {
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (e) {
        if (n >= MAX_UPLOAD_ATTEMPTS || !isTransientPushError(e, signal)) throw e;
        const wait = this.opts.retryDelayMs?.(n) ?? n * 1000;
        send({ status: `Retrying in ${Math.round(wait / 1000)} second${Math.round(wait / 1000) === 1 ? '' : 's'}`, id, progressDetail: {} });
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(resolve, wait);
          signal?.addEventListener(
            'abort',
            () => {
              clearTimeout(t);
              reject(e);
            },
            { once: true },
          );
        });
      }
    }
  }

  private tagsOf(repo: ImageReference): string[] {
    const prefix = `${repoName(repo)}:`;
    return this.images.refs
      .entries()
      .filter(([k]) => !isDigestRef(k) && k.startsWith(prefix) && !k.slice(prefix.length).includes('/'))
      .map(([k]) => k.slice(prefix.length))
      .sort();
  }

  /**
   * One tag: its image's blobs and manifest. A name holding several platforms goes up as an
   * index (push-index.ts), which calls back here per platform (`child`): that manifest is put by
   * its digest and gets no tag line of its own.
   */
  private async pushTag(ref: ImageReference, o: PushOptions, send: (m: PushMessage) => void, child?: ImageRecord): Promise<PushResult> {
    let rec = child;
    if (!rec) {
      let all;
      try {
        all = this.images.resolveAll(formatReference(ref));
      } catch {
        throw notFound(
          `An image does not exist locally with the tag: ${formatReference(normaliseReference(formatReference(ref))).replace(/^docker\.io\/(library\/)?/, '')}`,
        );
      }
      if (all.length > 1)
        return pushIndexTag({ images: this.images, agents: this.agents, opts: this.opts }, ref, all, o, send, (r) => this.pushTag(ref, o, send, r));
      rec = all[0]!;
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
      const ids = rec.layers.map((l) => shortId(l.diffId));
      // Docker lists the top layer first.
      for (const id of [...ids].reverse()) send({ status: 'Preparing', id, progressDetail: {} });
      const layers: { digest: Digest; size: number; mediaType: string }[] = new Array(rec.layers.length);
      const made = new Map<Digest, NonNullable<ImageLayerRef['blob']>>();
      let failure: unknown;
      try {
        const pushLayer = async (i: number): Promise<void> => {
          const l = rec.layers[i]!;
          const id = ids[i]!;
          const b = l.blob;
          let opened: string | undefined;
          if (b) {
            const layer = { digest: b.digest, size: b.size, mediaType: MEDIA_TYPES.dockerLayer, id };
            if (await this.images.content.has(b.digest)) {
              // Pulled: the store keeps the blob's bytes.
              await pushKnownBlob(session, ref, { ...layer, open: () => this.images.content.readStream(b.digest) }, sources, send);
              layers[i] = layer;
              return;
            }
            // Pushed before: only its digest is remembered, which is all a registry that has it needs.
            const there = await blobAlreadyThere(session, ref, layer, sources, send);
            if (there === true) {
              layers[i] = layer;
              return;
            }
            opened = there.location;
          }
          // Compressed while it uploads and hashed on the way (the digest is known at the end);
          // the record remembers digest and size, so the next push of this image HEADs the blob
          // instead of compressing it. (Compressing again, for another registry, makes the same bytes.)
          const { stream, size } = await openLayerTar(this.images.content, this.images.layers, l);
          const gz = new ParallelGzip();
          stream.on('error', (e) => gz.destroy(e));
          const g = await pushStreamedBlob(session, ref, stream.pipe(gz), digestOf, { id, total: size ?? 0, send }, opened);
          if (!b) made.set(l.diffId, { digest: g.digest, mediaType: MEDIA_TYPES.dockerLayer, size: g.size });
          layers[i] = { digest: g.digest, size: g.size, mediaType: MEDIA_TYPES.dockerLayer };
        };
        await pool([...rec.layers.keys()].reverse(), MAX_CONCURRENT_UPLOADS, (i) => this.withRetries(ids[i]!, o.signal, send, () => pushLayer(i)));
      } catch (e) {
        failure = e;
      }
      if (made.size && !(await this.images.recordLayerBlobs(rec.id, made))) throw notFound(`image ${rec.id} was removed while it was being pushed`);
      if (failure) throw failure;
      const config = await this.images.configBytes(rec.id);
      await pushKnownBlob(
        session,
        ref,
        { digest: rec.id, size: config.length, mediaType: MEDIA_TYPES.dockerConfig, open: () => Readable.from([config]) },
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
      const res = await session.call('PUT', `/v2/${ref.path}/manifests/${child ? digest : ref.tag}`, {
        headers: { 'Content-Type': MEDIA_TYPES.dockerManifest, 'Content-Length': String(manifest.length) },
        body: () => manifest,
      });
      await expectStatus(res, [201, 200, 202], `manifest ${ref.tag}`);
      // As dockerd does: the image now also answers to repo@digest (RepoDigests).
      // (Skipped if the image was removed meanwhile: the push itself has succeeded.)
      const digestRef = formatReference({ domain: ref.domain, path: ref.path, digest });
      // (A platform of an index is known by the index's digest, not its own.)
      const known =
        this.images.has(rec.id) &&
        (child || this.images.refs.get(digestRef) === rec.id) &&
        this.images.resolve(rec.id).manifests.some((m) => m.digest === digest);
      // A re-push of the same manifest has nothing to record (and skips two fsyncs).
      if (!known && this.images.has(rec.id)) {
        await this.images.content.put(manifest, digest);
        await this.images.register({
          config,
          layers: this.images.resolve(rec.id).layers,
          manifest: { digest, mediaType: MEDIA_TYPES.dockerManifest, size: manifest.length },
          refs: child ? [] : [digestRef],
        });
      }
      if (child) return { tag: ref.tag!, digest, size: manifest.length };
      send({ status: `${ref.tag}: digest: ${digest} size: ${manifest.length}` });
      send({ progressDetail: {}, aux: { Tag: ref.tag!, Digest: digest, Size: manifest.length } } as PushMessage);
      return { tag: ref.tag!, digest, size: manifest.length };
    }
  }
}
