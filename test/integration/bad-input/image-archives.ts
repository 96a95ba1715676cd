// Builders for `docker load` archives (docker-save manifest.json and OCI layouts), with knobs
// to make them hostile: wrong digests, paths that climb out, symlinked blobs.
import { createHash } from 'node:crypto';
import { makeTar, type TarEntry } from './support.js';

export function sha(b: Buffer | string): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

export function hexOf(d: string): string {
  return d.slice('sha256:'.length);
}

/** A minimal image config naming `diffIds`. */
export function imageConfig(diffIds: string[], extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['sh'] },
      created: '2024-01-01T00:00:00Z',
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: diffIds.map(() => ({ created: '2024-01-01T00:00:00Z', created_by: 'test' })),
      ...extra,
    }),
  );
}

export interface SaveImage {
  layers: Buffer[]; // uncompressed layer tars
  tags: string[];
  /** Overrides of what manifest.json says (hostile paths). */
  configPath?: string;
  layerPaths?: string[];
  config?: Buffer;
}

/** A Docker 25+ style `docker save` archive: blobs/sha256/<hex> + manifest.json. */
export async function dockerSave(images: SaveImage[], extraEntries: TarEntry[] = []): Promise<Buffer> {
  const entries: TarEntry[] = [
    { name: 'blobs/', type: 'directory' },
    { name: 'blobs/sha256/', type: 'directory' },
  ];
  const seen = new Set<string>();
  const add = (b: Buffer) => {
    const p = `blobs/sha256/${hexOf(sha(b))}`;
    if (!seen.has(p)) entries.push({ name: p, data: b });
    seen.add(p);
    return p;
  };
  const manifest = images.map((img) => {
    const config = img.config ?? imageConfig(img.layers.map((l) => sha(l)));
    const cp = add(config);
    const lps = img.layers.map(add);
    return { Config: img.configPath ?? cp, RepoTags: img.tags, Layers: img.layerPaths ?? lps };
  });
  entries.push(...extraEntries);
  entries.push({ name: 'manifest.json', data: JSON.stringify(manifest) });
  return makeTar(entries);
}

export interface OciKnobs {
  /** Replace the manifest descriptor's digest in index.json. */
  manifestDigest?: string;
  /** Replace the layer descriptor's size in the manifest. */
  layerSize?: number;
  /** Replace the layer descriptor's digest in the manifest. */
  layerDigest?: string;
  /** Leave a blob out of the archive (by role). */
  omit?: 'layer' | 'config';
  /** Store this instead of the named blob (same path, other bytes). */
  swapLayerBytes?: Buffer;
  extraEntries?: TarEntry[];
}

/** An OCI image layout (index.json → manifest → config + layers), one image named `ref`. */
export async function ociLayout(layer: Buffer, ref: string, k: OciKnobs = {}): Promise<Buffer> {
  const config = imageConfig([sha(layer)]);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: k.layerDigest ?? sha(layer), size: k.layerSize ?? layer.length }],
    }),
  );
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: k.manifestDigest ?? sha(manifest),
        size: manifest.length,
        annotations: { 'io.containerd.image.name': ref, 'org.opencontainers.image.ref.name': ref.split(':').pop() },
      },
    ],
  };
  const entries: TarEntry[] = [
    { name: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' },
    { name: 'blobs/sha256/', type: 'directory' },
    { name: `blobs/sha256/${hexOf(sha(manifest))}`, data: manifest },
  ];
  if (k.omit !== 'config') entries.push({ name: `blobs/sha256/${hexOf(sha(config))}`, data: config });
  if (k.omit !== 'layer') entries.push({ name: `blobs/sha256/${hexOf(sha(layer))}`, data: k.swapLayerBytes ?? layer });
  entries.push(...(k.extraEntries ?? []));
  entries.push({ name: 'index.json', data: JSON.stringify(index) });
  return makeTar(entries);
}
