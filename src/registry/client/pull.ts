// `docker pull`: resolve a reference on its registry, pick the host's platform, fetch and
// verify the config and the layers the store lacks, then register the image with its tag and
// digest references. Phase 1 runs without the image store's lock, three layers at a time: each
// blob is read from the network once, into the content store (verified) and through the unpacker
// into a staged, invisible layer (diffId verified); phase 2 (stack the staged layers, register)
// runs under the lock. A journal notes every blob, layer and image before it is made, and staged
// layers live in the layer store's tmp/, so a failure or a crash leaves the store as it was.
import { shortId, type Digest } from '../../lib/digest.js';
import { canceled, conflict, invalidArgument } from '../../lib/errors.js';
import { hostPlatform, MEDIA_TYPES, parseImageConfig, parsePlatform, type Descriptor, type Platform } from '../../image/image-config.js';
import { chainIds } from '../../lib/chain-id.js';
import type { ImageStore } from '../../image/image-store.js';
import type { ImageLayerRef } from '../../image/image-record.js';
import { noteImage, type OpJournal } from '../../image/journal.js';
import { Undo } from '../../image/layer-apply.js';
import { rollbackBlobs } from '../../image/rollback.js';
import { familiarName, familiarString, formatReference, normaliseReference, type ImageReference } from '../../lib/reference.js';
import type { Credentials } from './auth.js';
import { endpointFor } from './endpoint.js';
import { Agents } from './http-request.js';
import { fetchLayer, stageStoredLayer } from './layer-download.js';
import { prestartUnpackWorker } from '../../store/layers/unpack-off-thread.js';
import { applyPulledLayers, discardStaged, type PulledLayer } from './layer-unpack.js';
import { fetchManifest, fetchSmallBlob, formatPlatform, MAX_CONFIG_BYTES, resolvePlatformManifest } from './manifest.js';
import { progressMessage, throttled, type OnPullMessage } from './progress.js';
import { pool } from './pool.js';
import { RegistrySession } from './session.js';

export interface PullOptions {
  credentials?: Credentials;
  /** "linux/amd64" etc.; the host's platform when absent. */
  platform?: string;
  signal?: AbortSignal;
  /** Progress in Docker's jsonmessage shape; the first call comes once the reference resolved. */
  onProgress?: OnPullMessage;
}

export interface PullResult {
  /** The image id (config digest). */
  id: Digest;
  /** The familiar reference pulled (127.0.0.1:5000/x:latest, busybox@sha256:...). */
  ref: string;
  /** The familiar repository name (for the pull event's "name"). */
  name: string;
  /** The digest of what the reference named (an index or a manifest). */
  digest: Digest;
  /** False when the reference already named this image ("Image is up to date"). */
  updated: boolean;
}

export interface PullerOptions {
  /** dockerd's --insecure-registry entries (loopback registries are always insecure). */
  insecureRegistries?: string[];
  /** Contact only registries on loopback (and no token server or redirect elsewhere): tests, air-gapped hosts. */
  loopbackOnly?: boolean;
  timeoutMs?: number;
}

const MAX_CONCURRENT_DOWNLOADS = 3; // dockerd's --max-concurrent-downloads default
const LAYER_TYPES = new Set<string>([
  MEDIA_TYPES.dockerLayer,
  MEDIA_TYPES.dockerForeignLayer,
  MEDIA_TYPES.ociLayer,
  MEDIA_TYPES.ociLayerGzip,
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
]);
const CONFIG_TYPES = new Set<string>([MEDIA_TYPES.dockerConfig, MEDIA_TYPES.ociConfig]);

function checkLayerType(d: Descriptor): void {
  if (d.mediaType === MEDIA_TYPES.ociLayerZstd) throw invalidArgument(`layer ${d.digest}: zstd-compressed layers are not supported`);
  if (!LAYER_TYPES.has(d.mediaType)) throw invalidArgument(`layer ${d.digest}: unsupported layer media type ${JSON.stringify(d.mediaType).slice(0, 200)}`);
}

export class RegistryPuller {
  private readonly agents = new Agents();

  constructor(
    private readonly images: ImageStore,
    private readonly opts: PullerOptions = {},
  ) {}

  /** Ends idle keep-alive connections. */
  close(): void {
    this.agents.close();
  }

  async pull(reference: string | ImageReference, o: PullOptions = {}): Promise<PullResult> {
    const ref = typeof reference === 'string' ? normaliseReference(reference) : reference.tag || reference.digest ? reference : { ...reference, tag: 'latest' };
    const want: Platform = o.platform ? parsePlatform(o.platform) : hostPlatform();
    const names = { familiarRef: familiarString(ref), familiarName: familiarName(ref) };
    const send: OnPullMessage = (m) => o.onProgress?.(m);
    const session = new RegistrySession({
      endpoint: endpointFor(ref, this.opts.insecureRegistries),
      credentials: o.credentials,
      agents: this.agents,
      insecureRegistries: this.opts.insecureRegistries,
      loopbackOnly: this.opts.loopbackOnly,
      signal: o.signal,
      timeoutMs: this.opts.timeoutMs,
    });

    const top = await fetchManifest(session, ref.digest ?? ref.tag!, names, ref.digest ? { digest: ref.digest as Digest } : undefined);
    send({ status: `Pulling from ${ref.path}`, id: ref.digest ?? ref.tag! });
    // No platform asked: the host's, with its amd64 level, so an index's amd64/v3 entry wins on a v3 CPU.
    const m = await resolvePlatformManifest(session, top, want, names, o.platform ? want : hostPlatform({ maximum: true }));
    const cfgDesc = m.manifest.config;
    if (!CONFIG_TYPES.has(cfgDesc.mediaType)) throw invalidArgument(`unsupported image config media type ${JSON.stringify(cfgDesc.mediaType).slice(0, 200)}`);
    m.manifest.layers.forEach(checkLayerType);

    const journal = await this.images.beginOp();
    try {
      const id = await this.fetchAndStore(
        session,
        ref,
        { top: top.digest, fromIndex: top.doc.kind === 'index', manifest: m, want, explicitPlatform: !!o.platform },
        journal,
        send,
        o.signal,
      );
      const { updated } = id;
      send({ status: `Digest: ${top.digest}` });
      send({ status: `Status: ${updated ? 'Downloaded newer image' : 'Image is up to date'} for ${names.familiarRef}` });
      // As dockerd: the event names the familiar reference, with the repository as its name.
      this.images.emitEvent('pull', names.familiarRef, { name: names.familiarName });
      return { id: id.id, ref: names.familiarRef, name: names.familiarName, digest: top.digest, updated };
    } finally {
      await journal.end();
    }
  }

  private async fetchAndStore(
    session: RegistrySession,
    ref: ImageReference,
    p: { top: Digest; fromIndex: boolean; manifest: Awaited<ReturnType<typeof resolvePlatformManifest>>; want: Platform; explicitPlatform: boolean },
    journal: OpJournal,
    send: OnPullMessage,
    signal?: AbortSignal,
  ): Promise<{ id: Digest; updated: boolean }> {
    const store = this.images;
    const { manifest, bytes: manifestBytes, digest: manifestDigest, mediaType } = p.manifest;
    const configId = manifest.config.digest;
    const refKeys = [formatReference({ domain: ref.domain, path: ref.path, digest: p.top })];
    if (!ref.digest) refKeys.unshift(formatReference(ref));
    const lookupKey = refKeys[0]!;
    const touched: Digest[] = [];
    const manifestRef = { digest: manifestDigest, mediaType, size: manifestBytes.length };

    let config: Buffer | undefined;
    let pulled: PulledLayer[] = [];
    if (!store.has(configId)) {
      // A new image: its layers will want an unpack worker; starting one now overlaps its
      // start-up (~45 ms of CPU) with the config's request.
      prestartUnpackWorker();
      config = await fetchSmallBlob(session, manifest.config, MAX_CONFIG_BYTES, 'image config');
      const cfg = parseImageConfig(config);
      if (p.explicitPlatform && !p.fromIndex && (cfg.os !== p.want.os || cfg.architecture !== p.want.architecture))
        throw invalidArgument(
          `image with reference ${familiarString(ref)} was found but does not match the specified platform: wanted ${formatPlatform(p.want)}, actual: ${formatPlatform({ os: cfg.os, architecture: cfg.architecture, variant: cfg.variant })}`,
        );
      const diffIds = cfg.rootfs.diff_ids;
      if (diffIds.length !== manifest.layers.length)
        throw invalidArgument(`invalid manifest, layers length mismatch: expected ${diffIds.length}, got ${manifest.layers.length}`);
      const chains = chainIds(diffIds);
      pulled = manifest.layers.map((d, i) => ({ desc: d, diffId: diffIds[i]!, chainId: chains[i]!, id: shortId(d.digest), present: false }));
      // A layer whose chain exists has all its parents too: find the highest one.
      for (let i = pulled.length - 1; i >= 0; i--) {
        if (await store.layers.get(pulled[i]!.chainId)) {
          for (let j = 0; j <= i; j++) pulled[j]!.present = true;
          break;
        }
      }
      try {
        await this.download(session, pulled, journal, touched, send, signal);
      } catch (e) {
        await discardStaged(store, pulled);
        await store.withWriteLock(() => rollbackBlobs(store, touched));
        throw e;
      }
    }
    if (signal?.aborted) {
      await discardStaged(store, pulled);
      throw canceled();
    }

    return store.withWriteLock(async () => {
      const undo = new Undo();
      try {
        const before = store.refs.get(lookupKey);
        await journal.note({ blobs: [manifestDigest] });
        touched.push(manifestDigest);
        if (!(await store.content.has(manifestDigest))) await store.content.put(manifestBytes, manifestDigest);
        if (!config) {
          // Already here: only the references (and the manifest) are new.
          if (!store.has(configId)) throw conflict(`image ${configId} was removed while it was being pulled: pull again`);
          const rec = store.all().find((r) => r.id === configId)!;
          const cfgBytes = await store.configBytes(configId);
          await store.registerLocked({ config: cfgBytes, layers: rec.layers, manifest: manifestRef, refs: refKeys });
          return { id: configId, updated: before !== configId };
        }
        const layers: ImageLayerRef[] = await applyPulledLayers(store, pulled, undo, journal, send);
        await noteImage(store, journal, config);
        touched.push(configId);
        await store.registerLocked({ config, layers, manifest: manifestRef, refs: refKeys });
        return { id: configId, updated: before !== configId };
      } catch (e) {
        await discardStaged(store, pulled);
        await undo.run();
        await rollbackBlobs(store, touched);
        throw e;
      }
    });
  }

  /**
   * Phase 1: every missing layer fetched (or read from the content store if its blob is there)
   * and unpacked into a staged layer, verified, three at a time. The first failure stops the rest.
   */
  private async download(
    session: RegistrySession,
    layers: PulledLayer[],
    journal: OpJournal,
    touched: Digest[],
    send: OnPullMessage,
    outer?: AbortSignal,
  ): Promise<void> {
    const stores = { content: this.images.content, layers: this.images.layers };
    for (const l of layers)
      send(l.present ? { status: 'Already exists', id: l.id, progressDetail: {} } : { status: 'Pulling fs layer', id: l.id, progressDetail: {} });
    const todo = layers.filter((l) => !l.present);
    todo.slice(MAX_CONCURRENT_DOWNLOADS).forEach((l) => send({ status: 'Waiting', id: l.id, progressDetail: {} }));
    const stop = new AbortController();
    const signal = outer ? AbortSignal.any([outer, stop.signal]) : stop.signal;
    // The first fetch of each blob digest; a layer repeating a blob unpacks it from the store after
    // (so a blob named twice is kept by its first fetch; others are only unpacked: fetchLayer).
    const fetching = new Map<string, Promise<void>>();
    const seen = new Set<string>();
    const repeated = new Set(todo.map((l) => l.desc.digest).filter((d) => seen.has(d) || !seen.add(d)));
    let firstError: { e: unknown } | undefined;
    const one = async (l: PulledLayer): Promise<void> => {
      if (signal.aborted) throw canceled();
      const d = l.desc;
      const first = fetching.get(d.digest);
      if (first || (await stores.content.has(d.digest))) {
        await first;
        send({ status: 'Download complete', id: l.id, progressDetail: {} });
        const t = throttled((n) => send(progressMessage('Extracting', l.id, n, d.size)));
        l.staged = await stageStoredLayer(stores, l, (n) => t.update(n), signal);
        t.flush();
        return;
      }
      let done!: () => void;
      fetching.set(d.digest, new Promise<void>((r) => (done = r)));
      try {
        await journal.note({ blobs: [d.digest] });
        touched.push(d.digest);
        const t = throttled((n) => send(progressMessage('Downloading', l.id, n, d.size)));
        l.staged = await fetchLayer(session, stores, l, (n) => t.update(n), signal, { keepBlob: repeated.has(d.digest) });
        t.flush();
      } finally {
        done();
      }
      send({ status: 'Verifying Checksum', id: l.id, progressDetail: {} });
      send({ status: 'Download complete', id: l.id, progressDetail: {} });
    };
    try {
      await pool(todo, MAX_CONCURRENT_DOWNLOADS, (l) =>
        one(l).catch((e: unknown) => {
          // The first failure is the one to report; it stops the layers still in flight.
          firstError ??= { e };
          stop.abort();
          throw e;
        }),
      );
    } catch (e) {
      throw firstError ? firstError.e : e;
    }
  }
}
