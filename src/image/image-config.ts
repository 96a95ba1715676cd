// The image config JSON (Docker image spec v1.2 / OCI image config), manifests and indexes
// (Docker v2 schema 2 and OCI). Field names are the wire names: the config's bytes are hashed
// into the image id, so they are kept exactly as received and only parsed for reading.
import { invalidArgument } from '../lib/errors.js';
import { isDigest, sha256, type Digest } from '../lib/digest.js';

export const MEDIA_TYPES = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
} as const;

/** sha256 of an empty tar (1024 zero bytes): Docker's DigestSHA256EmptyTar. */
export const EMPTY_TAR_DIFF_ID: Digest = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';

export interface HealthConfig {
  Test?: string[];
  Interval?: number; // nanoseconds
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** Docker's Healthcheck from the field-per-setting form the domains use; zero settings are left out, as Docker writes them. */
export function healthConfigOf(h: {
  test: string[];
  interval?: number;
  timeout?: number;
  startPeriod?: number;
  startInterval?: number;
  retries?: number;
}): HealthConfig {
  const out: HealthConfig = { Test: h.test };
  if (h.interval) out.Interval = h.interval;
  if (h.timeout) out.Timeout = h.timeout;
  if (h.startPeriod) out.StartPeriod = h.startPeriod;
  if (h.startInterval) out.StartInterval = h.startInterval;
  if (h.retries) out.Retries = h.retries;
  return out;
}

/** The runtime defaults of an image (`config` in the image JSON). */
export interface ImageRuntimeConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, object> | null;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Healthcheck?: HealthConfig;
  ArgsEscaped?: boolean;
  Image?: string;
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  Entrypoint?: string[] | null;
  OnBuild?: string[] | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  StopTimeout?: number;
  Shell?: string[];
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
  created?: string;
  author?: string;
  comment?: string;
  docker_version?: string;
  container?: string; // legacy (commit): the source container id
  container_config?: ImageRuntimeConfig; // legacy
  parent?: string; // legacy v1 parent id
  config?: ImageRuntimeConfig;
  rootfs: { type: 'layers'; diff_ids: Digest[] };
  history?: HistoryEntry[];
}

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
}

export type { Platform } from '../lib/platform.js';
import type { Platform } from '../lib/platform.js';

export interface Manifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const SAFE_SIZE = 2 ** 50; // no real blob is a petabyte: larger claims are hostile or broken

function parseJson(bytes: Buffer | string, what: string): unknown {
  try {
    return JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch (e) {
    throw invalidArgument(`invalid ${what}: ${(e as Error).message}`);
  }
}

/** Parses and validates an image config; its id is sha256 of these exact bytes. */
export function parseImageConfig(bytes: Buffer | string): ImageConfig {
  const v = parseJson(bytes, 'image config');
  if (!isObj(v)) throw invalidArgument('invalid image config: not an object');
  const rootfs = v.rootfs;
  if (!isObj(rootfs) || rootfs.type !== 'layers' || !Array.isArray(rootfs.diff_ids))
    throw invalidArgument('invalid image config: rootfs must be {type:"layers", diff_ids:[...]}');
  for (const d of rootfs.diff_ids) if (typeof d !== 'string' || !isDigest(d)) throw invalidArgument(`invalid image config: bad diff_id ${JSON.stringify(d)}`);
  if (v.history !== undefined && v.history !== null && !Array.isArray(v.history)) throw invalidArgument('invalid image config: history must be an array');
  if (v.config !== undefined && v.config !== null && !isObj(v.config)) throw invalidArgument('invalid image config: config must be an object');
  const cfg = v as unknown as ImageConfig;
  if (typeof cfg.architecture !== 'string') cfg.architecture = '';
  if (typeof cfg.os !== 'string') cfg.os = '';
  return cfg;
}

export function encodeImageConfig(cfg: ImageConfig): { bytes: Buffer; id: Digest } {
  const bytes = Buffer.from(JSON.stringify(cfg));
  return { bytes, id: sha256(bytes) };
}

export function parseDescriptor(v: unknown, what: string): Descriptor {
  if (!isObj(v) || typeof v.mediaType !== 'string' || typeof v.digest !== 'string' || !isDigest(v.digest))
    throw invalidArgument(`invalid ${what}: bad descriptor`);
  if (typeof v.size !== 'number' || !Number.isSafeInteger(v.size) || v.size < 0 || v.size > SAFE_SIZE)
    throw invalidArgument(`invalid ${what}: bad size ${JSON.stringify(v.size)}`);
  return v as unknown as Descriptor;
}

export function parseManifest(bytes: Buffer | string): Manifest {
  const v = parseJson(bytes, 'manifest');
  if (!isObj(v) || v.schemaVersion !== 2 || !Array.isArray(v.layers)) throw invalidArgument('invalid manifest: unsupported schema');
  if (v.mediaType !== undefined && v.mediaType !== MEDIA_TYPES.ociManifest && v.mediaType !== MEDIA_TYPES.dockerManifest)
    throw invalidArgument(`invalid manifest: unsupported media type ${String(v.mediaType)}`);
  parseDescriptor(v.config, 'manifest config');
  v.layers.forEach((l) => parseDescriptor(l, 'manifest layer'));
  return v as unknown as Manifest;
}

export function parseIndex(bytes: Buffer | string): ImageIndex {
  const v = parseJson(bytes, 'image index');
  if (!isObj(v) || v.schemaVersion !== 2 || !Array.isArray(v.manifests)) throw invalidArgument('invalid image index');
  v.manifests.forEach((m) => parseDescriptor(m, 'image index entry'));
  return v as unknown as ImageIndex;
}

export function isIndexMediaType(t: string | undefined): boolean {
  return t === MEDIA_TYPES.ociIndex || t === MEDIA_TYPES.dockerManifestList;
}

export function isManifestMediaType(t: string | undefined): boolean {
  return t === MEDIA_TYPES.ociManifest || t === MEDIA_TYPES.dockerManifest;
}

export function parseJsonObject(bytes: Buffer | string, what: string): unknown {
  return parseJson(bytes, what);
}

// The host's platform and the platform grammar live in lib/platform (one implementation for every side).
export { hostPlatform, parsePlatform } from '../lib/platform.js';
