// The builder the daemon constructs once: owns <dataRoot>/builder (step workspaces) and the
// build cache, runs builds, prunes the cache, and at start-up removes what a crash left
// (mounts, snapshots, runtime containers named build-*).
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { hasErrorCode, messageOf } from '../../lib/errors.js';
import { log } from '../../lib/log.js';
import { rootOwnerOf } from '../../lib/id-map.js';
import { mkdirPassable } from '../../lib/mkdir-owned.js';
import { mountPointsUnder, unmount } from '../../lib/mount.js';
import { BuildCache, type PruneResult } from '../cache/build-cache.js';
import { ContextPool } from '../context/context-pool.js';
import { applyContextIgnore, extractContext, removeFromContext, type ContextIndex, type ExtractContextResult } from '../context/context-tar.js';
import { ContextStore } from '../context/context-store.js';
import { applyManifest, ManifestReader, missingContents, receiveUpload } from '../context/context-apply.js';
import { buildCacheUsage, type BuildCacheRecord } from '../cache/cache-usage.js';
import { planBuild, runBuild } from './build-session.js';
import { platformList, runMultiPlatform, type PlatformPlan } from './multi-platform.js';
import type { BuildRequest, BuildResult, BuilderDeps, Emit } from './types.js';
import { BUILD_KEY_PREFIX } from './workspace.js';

export class Builder {
  private constructor(
    readonly deps: BuilderDeps,
    readonly cache: BuildCache,
    readonly root: string,
    /** Context directories kept between builds (buildFromTar unpacks uploads into them). */
    private readonly contexts: ContextPool,
    /** Contents of incremental context uploads waiting to be placed (buildFromManifest). */
    private readonly store: ContextStore,
    private readonly manifests = new ManifestReader(),
  ) {}

  static async open(deps: BuilderDeps): Promise<Builder> {
    const root = join(deps.dataRoot, 'builder');
    await mkdir(join(root, 'runs'), { recursive: true, mode: 0o700 });
    await mkdir(join(root, 'contexts'), { recursive: true, mode: 0o700 });
    const cache = await BuildCache.open(join(deps.dataRoot, 'build-cache'));
    const stepRoot = rootOwnerOf(deps.spec.userns);
    // Under --userns-remap a RUN step's root reaches its bundle (runs/), writable context binds and cache mounts through these.
    if (stepRoot) for (const dir of [root, join(root, 'runs'), join(root, 'contexts'), cache.root, cache.mountsDir]) await mkdirPassable(dir, stepRoot.gid);
    const b = new Builder(deps, cache, root, new ContextPool(join(root, 'contexts')), new ContextStore(join(root, 'context-store')));
    await b.recover();
    await b.contexts.init();
    await b.store.init();
    return b;
  }

  get runsDir(): string {
    return join(this.root, 'runs');
  }

  /**
   * Runs a build. Errors thrown before `emit` is first called (bad Dockerfile, unknown target,
   * bad tag) are request errors; after that they are the build's failure, for the caller to
   * report in-band. Tags are applied only when every step succeeded.
   */
  async build(req: BuildRequest, emit: Emit): Promise<BuildResult> {
    const plans = await this.plan(req);
    return this.run(req, plans, emit);
  }

  /**
   * The stage graph of each platform a `--platform` list names (TARGETPLATFORM and the FROM
   * lines may differ per platform); one graph, platform as given, for none or one.
   */
  private async plan(req: BuildRequest): Promise<PlatformPlan[]> {
    const platforms = platformList(req.platform);
    if (platforms.length <= 1) return [{ platform: platforms[0] ?? '', graph: await planBuild({ ...req, platform: platforms[0] }) }];
    return Promise.all(platforms.map(async (platform) => ({ platform, graph: await planBuild({ ...req, platform }) })));
  }

  private run(req: BuildRequest, plans: PlatformPlan[], emit: Emit): Promise<BuildResult> {
    const one = (r: BuildRequest, graph: PlatformPlan['graph'], e: Emit) => runBuild(this.deps, this.cache, this.runsDir, r, graph, e);
    if (plans.length === 1) return one({ ...req, platform: plans[0]!.platform || undefined }, plans[0]!.graph, emit);
    return runMultiPlatform(this.deps, one, req, plans, emit);
  }

  /**
   * Runs a build over an uploaded context tar (POST /build's body). The tar is unpacked (with
   * .dockerignore) into the directory the last build of the same project (Dockerfile path and
   * tags) used, so only what changed is written; a bad context is an error before any `emit`,
   * like the request errors of build(). A context unpacked whole is kept for the next build,
   * whatever this one does (the build only reads it).
   */
  async buildFromTar(tar: Readable, req: Omit<BuildRequest, 'contextDir' | 'contextDigests' | 'contextIndex'>, emit: Emit): Promise<BuildResult> {
    const dockerfile = req.dockerfile || 'Dockerfile';
    const lease = await this.contexts.acquire(JSON.stringify([dockerfile, [...(req.tags ?? [])].sort()]));
    let kept: ContextIndex | undefined;
    try {
      this.contexts.changing(lease);
      const unpacked = await extractContext(tar, lease.dir, { dockerfile, signal: req.signal, previous: lease.previous });
      kept = unpacked.index;
      return await this.buildIn(lease.dir, unpacked, { ...req, dockerfile }, emit);
    } finally {
      await this.contexts.release(lease, kept).catch((e: unknown) => log.warn('releasing a build context', { error: messageOf(e) }));
    }
  }

  /**
   * The incremental context's first step (POST /berth/build/context): which file contents of
   * `manifest` the daemon lacks for context `id` (its kept directory and the content store hold
   * the others). A bad manifest is a 400.
   */
  contextMissing(id: string, manifest: Buffer): string[] {
    return missingContents(this.manifests.read(manifest), this.contexts.peek(contextKey(id)), this.store);
  }

  /**
   * The incremental context's second step (POST /berth/build?context=id): the upload (manifest
   * and the contents the daemon lacked) goes to the store, the directory kept for `id` is made
   * to match the manifest, and the build runs as buildFromTar's. A cut upload leaves that
   * directory as it was; one that fails while it is being changed discards it.
   */
  async buildFromManifest(
    id: string,
    body: Readable,
    req: Omit<BuildRequest, 'contextDir' | 'contextDigests' | 'contextIndex'>,
    emit: Emit,
  ): Promise<BuildResult> {
    const dockerfile = req.dockerfile || 'Dockerfile';
    const lease = await this.contexts.acquire(contextKey(id));
    let kept: ContextIndex | undefined = lease.previous; // unchanged until applyManifest starts
    try {
      // A directory new to this context is written straight from the upload (cut off: discarded, what arrived whole kept in the store).
      const into = lease.previous ? undefined : lease.dir;
      if (into) this.contexts.changing(lease);
      const { entries, placed } = await receiveUpload(body, this.store, this.manifests, { signal: req.signal, into });
      kept = undefined;
      const changing = () => this.contexts.changing(lease);
      const applied = applyManifest(lease.dir, entries, lease.previous, this.store, changing, placed);
      await applyContextIgnore(lease.dir, applied, dockerfile, changing);
      kept = applied.index; // the pool keeps the index it has when nothing called changing()
      // The build files leaving the context (an added Dockerfile, an ignore file naming itself) go
      // to the store instead: the next build of this context then need not send them again.
      const leaving = (rel: string) => {
        const d = applied.digests.get(rel);
        if (d) this.store.adopt(join(lease.dir, rel), d);
      };
      return await this.buildIn(lease.dir, applied, { ...req, dockerfile }, emit, changing, leaving);
    } catch (e) {
      if (hasErrorCode(e, 'CONTEXT_CONTENT_MISSING')) kept = lease.previous; // thrown before any change
      throw e;
    } finally {
      this.store.trim();
      await this.contexts.release(lease, kept).catch((e: unknown) => log.warn('releasing a build context', { error: messageOf(e) }));
    }
  }

  /** Plans and runs a build over an unpacked context directory. */
  private async buildIn(
    dir: string,
    unpacked: ExtractContextResult,
    req: Omit<BuildRequest, 'contextDir' | 'contextDigests' | 'contextIndex'> & { dockerfile: string },
    emit: Emit,
    changing?: () => void,
    leaving?: (rel: string) => void,
  ) {
    const full: BuildRequest = { ...req, contextDir: dir, contextDigests: unpacked.digests, contextIndex: unpacked.index };
    const plans = await this.plan(full);
    // Read: now the Dockerfile and ignore file leave the context if the patterns name them (as dockerd).
    if (unpacked.buildFilesIgnored.length) changing?.();
    for (const f of unpacked.buildFilesIgnored) leaving?.(f);
    removeFromContext(dir, unpacked, unpacked.buildFilesIgnored);
    return this.run(full, plans, emit);
  }

  async prune(): Promise<PruneResult> {
    await this.contexts.clear(); // kept contexts are build cache too
    const freed = this.store.clear();
    const r = await this.cache.prune();
    return { ...r, spaceReclaimed: r.spaceReclaimed + freed };
  }

  /** The build cache records `system df` shows (see cache/cache-usage.ts for what counts). */
  diskUsage(): Promise<BuildCacheRecord[]> {
    return buildCacheUsage(this.cache, this.deps.images);
  }

  /** Removes leftovers of builds a crash interrupted. Only build-* names are touched. */
  async recover(): Promise<void> {
    const { layers, runtime } = this.deps;
    for (const m of await mountPointsUnder(this.root)) await unmount(m, { detach: true }).catch(() => {});
    for (const st of await runtime.list().catch(() => [])) {
      if (st.id.startsWith(BUILD_KEY_PREFIX))
        await runtime.delete(st.id, true).catch((e) => log.warn('build recovery: runtime delete', { id: st.id, error: messageOf(e) }));
    }
    for (const key of await layers.listSnapshots()) {
      if (key.startsWith(BUILD_KEY_PREFIX)) await layers.removeSnapshot(key).catch((e) => log.warn('build recovery: snapshot', { key, error: messageOf(e) }));
    }
    // Contexts are the pool's (ContextPool.init keeps the whole ones).
    for (const name of await readdir(this.runsDir).catch(() => [] as string[])) await rm(join(this.runsDir, name), { recursive: true, force: true });
  }
}

/** Incremental contexts have a pool key of their own: a client's context id, not a Dockerfile and tags. */
function contextKey(id: string): string {
  return `context:${id}`;
}

/** The factory daemon/main.ts calls. */
export function createBuilder(deps: BuilderDeps): Promise<Builder> {
  return Builder.open(deps);
}

export type { BuildRequest, BuildResult, BuilderDeps, BuildMessage, Emit, BuildNetwork, BuildNetworking } from './types.js';
export type { BuildCacheRecord } from '../cache/cache-usage.js';
