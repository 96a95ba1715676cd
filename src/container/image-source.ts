// What the container domain needs from images: resolve a reference to an image id, its rootfs
// (top layer chainId) and the process defaults of its config; and commit a container's changes.
import type { Readable } from 'node:stream';
import type { Digest } from '../lib/digest.js';
import type { Platform } from '../lib/platform.js';
import type { HealthcheckConfig } from './container-record.js';

export interface ImageDefaults {
  cmd: string[];
  entrypoint: string[];
  env: string[];
  workingDir: string;
  user: string;
  labels: Record<string, string>;
  exposedPorts: Record<string, object>;
  volumes: Record<string, object>;
  stopSignal?: string;
  healthcheck?: HealthcheckConfig;
  onBuild?: string[];
  shell?: string[];
  argsEscaped?: boolean;
}

export interface ResolvedImage {
  id: Digest;
  chainId: Digest | null;
  defaults: ImageDefaults;
  /** The image config's os/architecture/variant. */
  platform: Platform;
}

export interface CommitRequest {
  imageId: Digest;
  diff: Readable;
  config: ImageDefaults & { hostname?: string; domainname?: string; tty?: boolean; openStdin?: boolean };
  author: string;
  comment: string;
  ref?: string;
  changes: string[];
  containerId: string;
  /** The container's own config and image as it was named (Docker records them as ContainerConfig). */
  container: { image: string; config: CommitRequest['config'] };
}

export interface ImageSource {
  /**
   * Throws not-found (Docker's "No such image: x") when absent. With `platform`, the image for it
   * (not-found with Docker's "does not match the specified platform" when the name holds none).
   */
  resolve(ref: string, platform?: Platform): Promise<ResolvedImage>;
  commit(req: CommitRequest): Promise<Digest>;
}
