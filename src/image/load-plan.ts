// What a `docker load` archive contains, as a list of images to verify and add. Formats:
// manifest.json (docker save, old `<id>/layer.tar` + `<id>.json` and Docker 25+ `blobs/`), else
// an OCI image layout (index.json → manifests → config + layers), else the legacy v1 layout of
// Docker before 1.10 (`repositories` and `<id>/json` + `<id>/layer.tar` chained by `parent`,
// whose image config is made here as dockerd's v1 conversion does). Parsing over a spilled
// archive; no store is touched here.
import { hexOf, isDigest, sha256, type Digest } from '../lib/digest.js';
import { invalidArgument } from '../lib/errors.js';
import { hostPlatform, isIndexMediaType, parseIndex, parseJsonObject, parseManifest, type Descriptor } from './image-config.js';
import { normaliseRefKey } from '../lib/reference.js';
import type { SpilledTar } from './tar-spill.js';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';

export interface PlannedLayer {
  path: string; // archive path
  /** Digest of the file's bytes as stored, when the archive names it (blobs/sha256/<hex>). */
  digest?: Digest;
  size?: number; // expected size (OCI descriptor)
}

export interface PlannedImage {
  configPath: string;
  /** The config itself when the archive has none to read (a legacy v1 archive's, made from its json files). */
  config?: Buffer;
  configDigest?: Digest;
  layers: PlannedLayer[];
  refs: string[]; // normalised tag references
}

/** blobs/sha256/<hex> → the digest the path promises. */
export function digestOfBlobPath(path: string): Digest | undefined {
  const m = /^(?:\.\/)?blobs\/sha256\/([a-f0-9]{64})$/.exec(path);
  return m ? (`sha256:${m[1]}` as Digest) : undefined;
}

function refKey(name: string): string {
  try {
    return normaliseRefKey(name);
  } catch (e) {
    throw invalidArgument(`invalid tag ${JSON.stringify(name)} in archive: ${(e as Error).message}`);
  }
}

async function planDockerManifest(spill: SpilledTar): Promise<PlannedImage[]> {
  const v = parseJsonObject(await spill.readSmall('manifest.json'), 'manifest.json');
  if (!Array.isArray(v)) throw invalidArgument('invalid manifest.json: not an array');
  return v.map((item: unknown) => {
    const it = item as { Config?: unknown; RepoTags?: unknown; Layers?: unknown };
    if (typeof it?.Config !== 'string' || !Array.isArray(it.Layers) || !it.Layers.every((l) => typeof l === 'string'))
      throw invalidArgument('invalid manifest.json entry');
    const tags = it.RepoTags == null ? [] : it.RepoTags;
    if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) throw invalidArgument('invalid manifest.json RepoTags');
    spill.require(it.Config);
    const layers = (it.Layers as string[]).map((p) => {
      spill.require(p);
      const d = digestOfBlobPath(p);
      return d ? { path: p, digest: d } : { path: p };
    });
    const img: PlannedImage = { configPath: it.Config, layers, refs: tags.map(refKey) };
    const cd = digestOfBlobPath(it.Config);
    if (cd) img.configDigest = cd;
    return img;
  });
}

function blobPath(d: Descriptor): string {
  if (!isDigest(d.digest)) throw invalidArgument(`unsupported digest ${d.digest}`);
  return `blobs/sha256/${hexOf(d.digest)}`;
}

async function readBlob(spill: SpilledTar, d: Descriptor): Promise<Buffer> {
  const b = await spill.readSmall(blobPath(d));
  if (b.length !== d.size) throw invalidArgument(`size mismatch for ${d.digest}: descriptor says ${d.size}, blob has ${b.length}`);
  if (sha256(b) !== d.digest) throw invalidArgument(`digest mismatch for ${d.digest}`);
  return b;
}

/** The reference an index entry names: containerd's full name, or a full ref.name. */
function refFromAnnotations(a: Record<string, string> | undefined): string | undefined {
  const full = a?.['io.containerd.image.name'];
  if (full) return full;
  const name = a?.['org.opencontainers.image.ref.name'];
  // A bare tag ("latest") names no repository: such an image loads untagged.
  return name && /[/:]/.test(name) ? name : undefined;
}

async function planOciLayout(spill: SpilledTar): Promise<PlannedImage[]> {
  const index = parseIndex(await spill.readSmall('index.json'));
  const out: PlannedImage[] = [];
  const host = hostPlatform();
  const visit = async (descs: Descriptor[], depth: number, inheritedRef?: string) => {
    if (depth > 4) throw invalidArgument('image index nested too deeply');
    // An index lists platforms: keep the host's when any entry says so.
    const withPlat = descs.filter((d) => d.platform);
    const chosen = withPlat.length ? descs.filter((d) => !d.platform || (d.platform.os === host.os && d.platform.architecture === host.architecture)) : descs;
    for (const d of chosen.length ? chosen : descs.slice(0, 1)) {
      const ref = refFromAnnotations(d.annotations) ?? inheritedRef;
      if (isIndexMediaType(d.mediaType)) {
        await visit(parseIndex(await readBlob(spill, d)).manifests, depth + 1, ref);
        continue;
      }
      const m = parseManifest(await readBlob(spill, d));
      const layers = m.layers.map((l) => ({ path: blobPath(l), digest: l.digest, size: l.size }));
      for (const l of layers) spill.require(l.path);
      spill.require(blobPath(m.config));
      const existing = out.find((i) => i.configDigest === m.config.digest);
      if (existing) {
        if (ref) existing.refs.push(refKey(ref));
        continue;
      }
      out.push({ configPath: blobPath(m.config), configDigest: m.config.digest, layers, refs: ref ? [refKey(ref)] : [] });
    }
  };
  await visit(index.manifests, 0);
  return out;
}

export async function planLoad(spill: SpilledTar): Promise<PlannedImage[]> {
  if (spill.has('manifest.json')) return planDockerManifest(spill);
  if (spill.has('index.json')) return planOciLayout(spill);
  if (spill.has('repositories')) return planLegacyV1(spill);
  throw invalidArgument('invalid archive: neither manifest.json nor index.json found');
}

/** sha256 of a layer tar as unpacked (a legacy layer.tar is a plain tar; a gzipped one is read through gunzip). */
async function diffIdOf(path: string): Promise<Digest> {
  const head = Buffer.alloc(2);
  const fh = await open(path, 'r');
  try {
    await fh.read(head, 0, 2, 0);
  } finally {
    await fh.close();
  }
  const h = createHash('sha256');
  const sink = async (src: AsyncIterable<Buffer>) => {
    for await (const c of src) h.update(c);
  };
  if (head[0] === 0x1f && head[1] === 0x8b) await pipeline(createReadStream(path), createGunzip(), sink);
  else await pipeline(createReadStream(path), sink);
  return `sha256:${h.digest('hex')}` as Digest;
}

const V1_ID = /^[a-f0-9]{64}$/;

/**
 * Docker's pre-1.10 `docker save`: `repositories` ({repo: {tag: id}}) and one directory per
 * layer with its v1 json. The image config is the top json without the v1 fields (id, parent,
 * Size, …) plus rootfs.diff_ids and one history entry per layer, as dockerd's
 * MakeConfigFromV1Config, with the same layers and history (the config's bytes, so the image id,
 * differ from dockerd's: Go writes the keys sorted).
 */
async function planLegacyV1(spill: SpilledTar): Promise<PlannedImage[]> {
  const repos = parseJsonObject(await spill.readSmall('repositories'), 'repositories') as Record<string, unknown>;
  const byTop = new Map<string, string[]>();
  for (const [repo, tags] of Object.entries(repos)) {
    if (typeof tags !== 'object' || tags === null) throw invalidArgument('invalid repositories file');
    for (const [tag, id] of Object.entries(tags as Record<string, unknown>)) {
      if (typeof id !== 'string' || !V1_ID.test(id)) throw invalidArgument(`invalid image id in repositories: ${JSON.stringify(id)}`);
      byTop.set(id, [...(byTop.get(id) ?? []), refKey(`${repo}:${tag}`)]);
    }
  }
  const out: PlannedImage[] = [];
  for (const [top, refs] of byTop) {
    const chain: Record<string, unknown>[] = [];
    for (let id: string | undefined = top; id; ) {
      if (chain.length > 256) throw invalidArgument('legacy image chain too long');
      const j = parseJsonObject(await spill.readSmall(`${id}/json`), `${id}/json`) as Record<string, unknown>;
      chain.unshift(j);
      const parent = j.parent;
      if (parent !== undefined && parent !== '' && (typeof parent !== 'string' || !V1_ID.test(parent))) throw invalidArgument(`invalid parent in ${id}/json`);
      id = (parent as string | undefined) || undefined;
    }
    const ids = chain.map((j) => String(j.id));
    const layers = ids.map((id) => ({ path: `${id}/layer.tar` }));
    const diffIds: Digest[] = [];
    for (const l of layers) diffIds.push(await diffIdOf(spill.require(l.path).path));
    const { id: _id, parent: _parent, Size: _size, parent_id: _pid, layer_id: _lid, throwaway: _tw, ...rest } = chain[chain.length - 1]!;
    const history = chain.map((j) => {
      const cc = j.container_config as { Cmd?: unknown } | undefined;
      const h: Record<string, unknown> = { created: j.created };
      if (typeof j.author === 'string' && j.author) h.author = j.author;
      if (Array.isArray(cc?.Cmd)) h.created_by = cc.Cmd.join(' ');
      return h;
    });
    const config = Buffer.from(JSON.stringify({ ...rest, rootfs: { type: 'layers', diff_ids: diffIds }, history }));
    out.push({ configPath: `${top}/json`, config, layers, refs });
  }
  return out;
}
