// `docker save`: the Docker 25+ archive, which is also an OCI image layout: blobs/sha256/<hex>
// (configs, uncompressed layer tars, one OCI manifest per image), index.json (one entry per
// tag, annotated with the name), oci-layout, manifest.json (Config/RepoTags/Layers) and the
// legacy repositories file. Everything that can fail is resolved before the first byte.
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { hexOf, sha256, type Digest } from '../lib/digest.js';
import { invalidArgument } from '../lib/errors.js';
import { noSuchImage } from '../lib/docker-messages.js';
import { MEDIA_TYPES, type ImageIndex, type Manifest } from './image-config.js';
import type { ImageRecord } from './image-record.js';
import type { ImageStore } from './image-store.js';
import { ensureLayerBlob } from './layer-blob.js';
import { isDigestRef } from './ref-index.js';
import { imageForPlatform } from './image-platforms.js';
import type { Platform } from '../lib/platform.js';
import { familiarName, familiarString, parseImageLookup, parseReference, repoName, type ImageReference } from '../lib/reference.js';

interface SaveItem {
  record: ImageRecord;
  refs: string[]; // normalised tag references
}

/**
 * Docker's parseNames: a bare name saves every tag of that repository; an id saves untagged.
 * `want` (save --platform, API 1.48): only that platform's image of each name (Docker's
 * "does not match the specified platform" when a name lacks it).
 */
function selectImages(store: ImageStore, names: string[], want?: Platform): SaveItem[] {
  const items = new Map<Digest, SaveItem>();
  const add = (found: ImageRecord, ref?: string, other = false) => {
    const rec = want && !other ? imageForPlatform(store, ref ?? found.id, want) : found;
    const it = items.get(rec.id) ?? { record: rec, refs: [] };
    const isNew = !!ref && !isDigestRef(ref) && !it.refs.includes(ref);
    if (isNew) it.refs.push(ref);
    items.set(rec.id, it);
    // A name's other platforms go with it (load gives the name all of them back).
    if (isNew && !want) for (const o of store.refs.others(ref)) if (store.has(o)) add(store.resolve(o), ref, true);
  };
  for (const name of names) {
    const look = parseImageLookup(name);
    if (look.kind === 'id') {
      add(store.resolve(look.id));
      continue;
    }
    let typed: ImageReference | undefined;
    try {
      typed = parseReference(name);
    } catch {
      typed = undefined; // an id prefix that is no valid name
    }
    if (typed && typed.tag === undefined && typed.digest === undefined) {
      const repo = repoName(typed);
      const hits = store.refs.entries().filter(([k]) => !isDigestRef(k) && repoName(parseReference(k)) === repo);
      if (hits.length) {
        for (const [k, id] of hits) add(store.resolve(id), k);
        continue;
      }
    }
    const rec = store.resolve(name);
    const key = look.ref.digest ? undefined : `${repoName(look.ref)}:${look.ref.tag}`;
    add(rec, key && store.refs.get(key) === rec.id ? key : undefined);
  }
  return [...items.values()];
}

function json(v: unknown): Buffer {
  return Buffer.from(JSON.stringify(v));
}

export async function saveImages(store: ImageStore, names: string[], o: { platform?: Platform } = {}): Promise<Readable> {
  if (!names.length) throw invalidArgument('no images specified');
  const items = selectImages(store, names, o.platform);
  if (!items.length) throw noSuchImage(names[0]!);
  const blobs = new Map<Digest, { size: number; data?: Buffer }>();
  const manifestJson: { Config: string; RepoTags: string[] | null; Layers: string[] }[] = [];
  const index: ImageIndex = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [] };
  const repositories: Record<string, Record<string, string>> = {};
  for (const { record, refs } of items) {
    const config = await store.configBytes(record.id);
    blobs.set(record.id, { size: config.length, data: config });
    const layers = [];
    for (const l of record.layers) {
      const info = await ensureLayerBlob(store.content, store.layers, l);
      blobs.set(info.digest, { size: info.size });
      layers.push({ mediaType: MEDIA_TYPES.ociLayer, digest: info.digest, size: info.size });
    }
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: { mediaType: MEDIA_TYPES.ociConfig, digest: record.id, size: config.length },
      layers,
    };
    const mbytes = json(manifest);
    const mdigest = sha256(mbytes);
    blobs.set(mdigest, { size: mbytes.length, data: mbytes });
    const plat = store.platformOf(record.id);
    const desc = { mediaType: MEDIA_TYPES.ociManifest, digest: mdigest, size: mbytes.length, ...(plat.architecture ? { platform: plat } : {}) };
    if (refs.length === 0) index.manifests.push(desc);
    for (const r of refs) {
      const ref = parseReference(r);
      index.manifests.push({ ...desc, annotations: { 'io.containerd.image.name': r, 'org.opencontainers.image.ref.name': ref.tag! } });
      const top = record.layers.at(-1);
      if (top) (repositories[familiarName(ref)] ??= {})[ref.tag!] = hexOf(top.diffId);
    }
    manifestJson.push({
      Config: `blobs/sha256/${hexOf(record.id)}`,
      RepoTags: refs.length ? refs.map((r) => familiarString(parseReference(r))) : null,
      Layers: record.layers.map((l) => `blobs/sha256/${hexOf(l.diffId)}`),
    });
  }

  const pack = tar.pack();
  const out = new PassThrough();
  const mtime = new Date(0);
  const write = async () => {
    pack.entry({ name: 'blobs', type: 'directory', mode: 0o755, mtime });
    pack.entry({ name: 'blobs/sha256', type: 'directory', mode: 0o755, mtime });
    for (const [digest, b] of blobs) {
      const name = `blobs/sha256/${hexOf(digest)}`;
      if (b.data) pack.entry({ name, mode: 0o644, mtime }, b.data);
      else {
        await new Promise<void>((resolve, reject) => {
          const w = pack.entry({ name, size: b.size, mode: 0o644, mtime }, (err) => (err ? reject(err) : resolve()));
          pipeline(store.content.readStream(digest), w).catch(reject);
        });
      }
    }
    pack.entry({ name: 'index.json', mode: 0o644, mtime }, json(index));
    pack.entry({ name: 'manifest.json', mode: 0o644, mtime }, json(manifestJson));
    pack.entry({ name: 'oci-layout', mode: 0o644, mtime }, json({ imageLayoutVersion: '1.0.0' }));
    if (Object.keys(repositories).length) pack.entry({ name: 'repositories', mode: 0o644, mtime }, json(repositories));
    pack.finalize();
  };
  pipeline(pack, out).catch((e) => out.destroy(e));
  write().catch((e) => pack.destroy(e));
  return out;
}
