// One step's writable filesystem: a snapshot over the parent image's top layer, mounted under
// the builder's runs dir, that becomes a new image on commit. dispose() always leaves nothing
// behind (mount, snapshot, bundle dir), whatever happened before.
import type { Platform } from '../../lib/platform.js';
import { mkdir, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Digest } from '../../lib/digest.js';
import { isBerthError, messageOf } from '../../lib/errors.js';
import { log } from '../../lib/log.js';
import { isMountPoint, mountAll, unmount } from '../../lib/mount.js';
import { commitImage } from '../../image/commit.js';
import type { ImageRuntimeConfig } from '../../image/image-config.js';
import type { ImageStore } from '../../image/image-store.js';
import type { LayerStore } from '../../store/layers/layer-store.js';

export const BUILD_KEY_PREFIX = 'build-';

export function newBuildId(): string {
  return BUILD_KEY_PREFIX + randomBytes(16).toString('hex');
}

export interface CommitStep {
  config: ImageRuntimeConfig;
  createdBy: string;
  author?: string;
  signal?: AbortSignal;
  /** The image's platform when it has no parent (FROM scratch for --platform). */
  platform?: Platform;
}

export class Workspace {
  private mounted = false;
  private constructor(
    private readonly images: ImageStore,
    private readonly layers: LayerStore,
    readonly key: string,
    readonly dir: string,
    readonly parent: Digest | null,
  ) {}

  get rootfs(): string {
    return join(this.dir, 'rootfs');
  }

  /** Short id shown as "Running in <id>". */
  get shortId(): string {
    return this.key.slice(BUILD_KEY_PREFIX.length, BUILD_KEY_PREFIX.length + 12);
  }

  static async open(images: ImageStore, layers: LayerStore, runsDir: string, parent: Digest | null, opts: { readonly?: boolean } = {}): Promise<Workspace> {
    const key = newBuildId();
    const ws = new Workspace(images, layers, key, join(runsDir, key), parent);
    try {
      await mkdir(ws.rootfs, { recursive: true });
      const chain = parent ? images.rootfsChainId(parent) : null;
      const mounts = await layers.prepare(key, chain, opts);
      await mountAll(mounts, ws.rootfs);
      ws.mounted = true;
    } catch (e) {
      await ws.dispose();
      throw e;
    }
    return ws;
  }

  async unmount(): Promise<void> {
    if (!this.mounted) return;
    await unmount(this.rootfs, { detach: true });
    this.mounted = false;
  }

  /** Unmounts and commits the snapshot's changes on top of the parent image (in place: the snapshot becomes the layer). */
  async commit(step: CommitStep): Promise<Digest> {
    await this.unmount();
    const r = await commitImage(this.images, {
      parentImageId: this.parent,
      diff: { snapshot: this.key },
      config: step.config,
      createdBy: step.createdBy,
      author: step.author,
      signal: step.signal,
      platform: step.platform,
    });
    return r.id;
  }

  async dispose(): Promise<void> {
    try {
      if (this.mounted || (await isMountPoint(this.rootfs))) await unmount(this.rootfs, { detach: true });
      this.mounted = false;
    } catch (e) {
      log.warn('build: unmount failed', { key: this.key, error: messageOf(e) });
    }
    await this.layers.removeSnapshot(this.key).catch((e) => {
      if (!isBerthError(e, 'not-found')) log.warn('build: snapshot not removed', { key: this.key, error: messageOf(e) });
    });
    await rm(this.dir, { recursive: true, force: true }).catch(() => {});
  }
}
