// LayerStore on overlayfs. Layout under root:
//   layers/<chainIdHex>/{diff/, meta.json}   committed layers (immutable once renamed in);
//     + tar-layout.gz for a pulled layer      its tar's layout (tar-layout.ts): exportLayer replays the exact tar
//   l/<short>  -> ../layers/<hex>/diff       short names keep overlay's option string small
//   snapshots/<key>/{upper/, work/, meta.json}
//   empty/0, empty/1                          empty lower dirs (overlay needs a lower)
//   tmp/                                      unpacks and removals in progress; cleared by open()
// Graph changes (commit, remove, prepare, removeSnapshot) are serialised in-process; the slow
// part of applyLayer (unpacking) runs outside the lock.
import { toHostId, type IdMap } from '../../lib/id-map.js';
import { chown, lstat, mkdir, readFile, readdir, readlink, rename, rm, symlink, unlink, open as openFile } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import type { ApplyOptions, BlobSource, LayerDamage, LayerInfo, LayerStore, Mount, StageOptions, StagedLayer } from './layer-store.js';
import type { ExpectedBlob } from './blob-check.js';
import type { UnpackResult } from './unpack-layer.js';
import { type Digest, hexOf, isDigest, parseDigest } from '../../lib/digest.js';
import { ensureDir, fsyncDir, readJsonIfExists, writeJsonAtomic } from '../../lib/atomic-fs.js';
import { canceled, conflict, errnoCode, invalidArgument, isBerthError, messageOf, notFound } from '../../lib/errors.js';
import { KeyedMutex } from '../../lib/mutex.js';
import { syncfs } from '../../lib/libc.js';
import { chainIdOf } from '../../lib/chain-id.js';
import { unpackFetchedOffThread, unpackLayerOffThread } from './unpack-off-thread.js';
import { digestLayerDir, packLayerDir } from './pack-layer.js';
import { overlayChanges, type ChangesOptions, type LayerChange } from './overlay-changes.js';
import { dirUsage } from './dir-usage.js';
import { readTarLayout, replayTarLayout } from './tar-layout.js';

interface LayerMeta extends LayerInfo {
  link: string; // name under l/
}
interface SnapshotMeta {
  key: string;
  parent: Digest | null;
  readonly: boolean;
  created: string;
}

const KEY_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const LINK_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function newLinkId(): string {
  // 12 of 36 symbols (~62 bits); a clash is caught by symlink()'s EEXIST and retried.
  return [...randomBytes(12)].map((b) => LINK_CHARS[b % 36]).join('');
}

function tarFailure(e: unknown): unknown {
  if (isBerthError(e)) return e;
  if (e instanceof Error && e.name === 'AbortError') return canceled();
  const code = errnoCode(e);
  if (code?.startsWith('Z_')) return invalidArgument(`invalid layer: gzip: ${messageOf(e)}`, e);
  if (!code && /tar|header|unexpected end|size mismatch/i.test(messageOf(e))) return invalidArgument(`invalid layer tar: ${messageOf(e)}`, e);
  return e;
}

export class OverlayLayerStore implements LayerStore {
  private readonly lock = new KeyedMutex();
  /** Snapshots between their claim and their meta file (see prepare), by key: their parent. */
  private readonly preparing = new Map<string, Digest | null>();
  private readonly metas = new Map<Digest, LayerMeta>();

  private constructor(
    readonly root: string,
    /** --userns-remap: files in the store carry host ids, tars in and out carry container ids. */
    private readonly idMap?: IdMap,
  ) {}

  /** Opens (creating if needed) the store and finishes or removes whatever a crash left half-made. */
  static async open(root: string, opts: { idMap?: IdMap } = {}): Promise<OverlayLayerStore> {
    // These characters are separators in overlay's option string.
    if (/[:,\\]/.test(root)) throw invalidArgument(`layer store root must not contain ':', ',' or '\\': ${root}`);
    const s = new OverlayLayerStore(root, opts.idMap);
    for (const d of ['layers', 'l', 'snapshots', 'tmp', 'empty/0', 'empty/1']) await ensureDir(join(root, d), 0o700);
    await rm(join(root, 'tmp'), { recursive: true, force: true });
    await ensureDir(join(root, 'tmp'), 0o700);
    for (const key of await readdir(join(root, 'snapshots'))) {
      if (!(await readJsonIfExists(join(root, 'snapshots', key, 'meta.json')))) await rm(join(root, 'snapshots', key), { recursive: true, force: true });
    }
    const links = new Set<string>();
    for (const l of await s.list()) {
      const meta = s.metas.get(l.chainId)!;
      links.add(meta.link);
      await s.ensureLink(meta);
    }
    for (const name of await readdir(join(root, 'l'))) {
      if (!links.has(name)) await unlink(join(root, 'l', name)).catch(() => {});
    }
    return s;
  }

  private layerDir(chainId: Digest): string {
    return join(this.root, 'layers', hexOf(parseDigest(chainId)));
  }

  private snapDir(key: string): string {
    if (!KEY_RE.test(key)) throw invalidArgument(`invalid snapshot key: ${JSON.stringify(key)}`);
    return join(this.root, 'snapshots', key);
  }

  private tmpPath(): string {
    return join(this.root, 'tmp', randomBytes(8).toString('hex'));
  }

  private async ensureLink(meta: LayerMeta): Promise<void> {
    const p = join(this.root, 'l', meta.link);
    const want = `../layers/${hexOf(meta.chainId)}/diff`;
    if ((await readlink(p).catch(() => undefined)) === want) return;
    await rm(p, { force: true });
    await symlink(want, p);
  }

  private async meta(chainId: Digest): Promise<LayerMeta | undefined> {
    const cached = this.metas.get(chainId);
    if (cached) return cached;
    const m = await readJsonIfExists<LayerMeta>(join(this.layerDir(chainId), 'meta.json'));
    if (m) this.metas.set(chainId, m);
    return m;
  }

  private async mustMeta(chainId: Digest): Promise<LayerMeta> {
    const m = await this.meta(chainId);
    if (!m) throw notFound(`layer ${chainId} does not exist`);
    return m;
  }

  async applyLayer(parent: Digest | null, tarStream: Readable, opts: ApplyOptions = {}): Promise<LayerInfo> {
    if (parent !== null) await this.mustMeta(parent);
    const staged = await this.stageLayer(tarStream, opts);
    return this.commitStaged(parent, staged);
  }

  /**
   * Flush policy. A layer becomes visible only by the commit's rename, and a killed process
   * loses nothing the kernel has accepted (the page cache survives it), so kill -9 safety needs
   * the atomic renames and open()'s clean-up of tmp/, not fsync. The flush is for power loss: an
   * imported, loaded or built layer may exist nowhere else, so it gets one syncfs before the
   * commit. A pulled layer (`opts.blob`) gets none, as dockerd's overlay2 syncs no layer file: it
   * can be fetched again, its writes are already being written back (lib/batched-writer), and
   * after a power cut `system check --full` replays its recorded tar and compares it with the
   * diffID, which finds a layer whose files lost bytes (repair moves it aside; pull again).
   */
  async stageLayer(tarStream: Readable, opts: StageOptions = {}): Promise<StagedLayer> {
    const staged = await this.staging(opts, (tmp) => {
      const extras = { ...(opts.blob ? { blob: opts.blob } : {}), ...(opts.layout ? { layoutDir: tmp } : {}) };
      return unpackLayerOffThread(tarStream, join(tmp, 'diff'), opts.signal, this.idMap, extras).catch((e: unknown) => {
        tarStream.destroy();
        throw e;
      });
    });
    return staged!; // an unpack of a given stream always answers
  }

  async stageFetchedLayer(source: BlobSource, opts: StageOptions & { blob: ExpectedBlob; onBytes?: (n: number) => void }): Promise<StagedLayer | undefined> {
    return this.staging(opts, (tmp) =>
      unpackFetchedOffThread(source, opts.blob, join(tmp, 'diff'), {
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(this.idMap ? { idMap: this.idMap } : {}),
        ...(opts.layout ? { layoutDir: tmp } : {}),
        ...(opts.onBytes ? { onBytes: opts.onBytes } : {}),
      }),
    );
  }

  /** A temp dir for `unpack` to fill; undefined (dir removed) when it unpacked nothing. */
  private async staging(opts: StageOptions, unpack: (tmp: string) => Promise<UnpackResult | undefined>): Promise<StagedLayer | undefined> {
    const tmp = this.tmpPath();
    await mkdir(join(tmp, 'diff'), { recursive: true, mode: 0o755 });
    try {
      let res;
      try {
        res = await unpack(tmp);
      } catch (e) {
        throw tarFailure(e);
      }
      if (!res) {
        await rm(tmp, { recursive: true, force: true });
        return undefined;
      }
      // One flush for all unpacked files instead of an fsync each; none for a pulled layer (below).
      if (!opts.blob) {
        const fh = await openFile(tmp, 'r');
        try {
          await syncfs(fh.fd);
        } finally {
          await fh.close();
        }
      }
      return { diffId: res.diffId, size: res.size, handle: tmp, ...(res.layout ? { layout: true } : {}) };
    } catch (e) {
      await rm(tmp, { recursive: true, force: true });
      throw e;
    }
  }

  async discardStaged(staged: StagedLayer): Promise<void> {
    await rm(this.stagedDir(staged), { recursive: true, force: true });
  }

  private stagedDir(staged: StagedLayer): string {
    // The handle is a path this store made under tmp/: never follow one from elsewhere.
    if (!staged.handle.startsWith(join(this.root, 'tmp') + '/')) throw invalidArgument('not a layer staged by this store');
    return staged.handle;
  }

  async commitStaged(parent: Digest | null, staged: StagedLayer): Promise<LayerInfo> {
    const tmp = this.stagedDir(staged);
    let kept = false;
    try {
      const chainId = chainIdOf(parent, staged.diffId);
      return await this.lock.run('graph', async () => {
        const existing = await this.meta(chainId);
        if (existing) return info(existing);
        if (parent !== null) await this.mustMeta(parent);
        const meta: LayerMeta = { chainId, diffId: staged.diffId, parent, size: staged.size, link: '' };
        for (;;) {
          meta.link = newLinkId();
          try {
            await symlink(`../layers/${hexOf(chainId)}/diff`, join(this.root, 'l', meta.link));
            break;
          } catch (e) {
            if (errnoCode(e) !== 'EEXIST') throw e;
          }
        }
        try {
          await writeJsonAtomic(join(tmp, 'meta.json'), meta);
          await rename(tmp, this.layerDir(chainId));
        } catch (e) {
          await unlink(join(this.root, 'l', meta.link)).catch(() => {});
          throw e;
        }
        kept = true;
        await fsyncDir(join(this.root, 'layers'));
        await fsyncDir(join(this.root, 'l'));
        this.metas.set(chainId, meta);
        return info(meta);
      });
    } finally {
      if (!kept) await rm(tmp, { recursive: true, force: true });
    }
  }

  async get(chainId: Digest): Promise<LayerInfo | undefined> {
    if (!isDigest(chainId)) return undefined;
    const m = await this.meta(chainId);
    return m && info(m);
  }

  async list(): Promise<LayerInfo[]> {
    const out: LayerInfo[] = [];
    for (const hex of (await readdir(join(this.root, 'layers'))).sort()) {
      const id = `sha256:${hex}`;
      if (!isDigest(id)) continue;
      const m = await this.meta(id);
      if (m) out.push(info(m));
    }
    return out;
  }

  exportLayer(chainId: Digest): Readable {
    // A pulled layer keeps its tar's layout instead of the compressed blob: replay gives the exact tar.
    const out = new PassThrough();
    out.on('error', () => {}); // readers get errors through iteration or pipe
    (async () => {
      await this.mustMeta(chainId);
      const layout = await readTarLayout(this.layerDir(chainId));
      const src = layout ? replayTarLayout(layout, join(this.layerDir(chainId), 'diff')) : this.packLayer(chainId);
      src.on('error', (e) => out.destroy(e));
      out.on('close', () => src.destroy());
      src.pipe(out);
    })().catch((e: unknown) => out.destroy(e instanceof Error ? e : new Error(String(e))));
    return out;
  }

  private packLayer(chainId: Digest): Readable {
    return packLayerDir(
      async () => {
        await this.mustMeta(chainId);
        return join(this.layerDir(chainId), 'diff');
      },
      undefined,
      this.idMap ? { idMap: this.idMap } : {},
    );
  }

  async remove(chainId: Digest): Promise<void> {
    await this.lock.run('graph', async () => {
      const meta = await this.mustMeta(chainId);
      const child = (await this.list()).find((l) => l.parent === chainId);
      if (child) throw conflict(`layer ${chainId} is in use: layer ${child.chainId} is built on it`);
      for (const [key, p] of this.preparing) if (p === chainId) throw conflict(`layer ${chainId} is in use by snapshot ${key}`);
      for (const key of await this.listSnapshots()) {
        const s = await this.snapMeta(key);
        if (s.parent === chainId) throw conflict(`layer ${chainId} is in use by snapshot ${key}`);
      }
      const tmp = this.tmpPath();
      await rename(this.layerDir(chainId), tmp); // gone from view atomically
      this.metas.delete(chainId);
      await unlink(join(this.root, 'l', meta.link)).catch(() => {});
      await rm(tmp, { recursive: true, force: true });
    });
  }

  private async snapMeta(key: string): Promise<SnapshotMeta> {
    const m = await readJsonIfExists<SnapshotMeta>(join(this.snapDir(key), 'meta.json'));
    if (!m) throw notFound(`snapshot ${key} does not exist`);
    return m;
  }

  async prepare(key: string, parent: Digest | null, opts: { readonly?: boolean } = {}): Promise<Mount[]> {
    const dir = this.snapDir(key);
    // Only the check of the parent and the claim of the key hold the graph lock; the meta file's
    // two fsyncs happen outside it, so concurrent creates do not queue behind each other's disk
    // flushes. Until its meta file is in place, `preparing` stands for the snapshot: a layer
    // removal sees its parent in use.
    await this.lock.run('graph', async () => {
      if (parent !== null) await this.mustMeta(parent);
      try {
        await mkdir(dir, 0o700);
      } catch (e) {
        if (errnoCode(e) === 'EEXIST') throw conflict(`snapshot ${key} already exists`);
        throw e;
      }
      this.preparing.set(key, parent);
    });
    try {
      await mkdir(join(dir, 'upper'), 0o755);
      // The upper dir's owner is the owner of the container's `/`: its root, remapped or not.
      if (this.idMap) await chown(join(dir, 'upper'), toHostId(this.idMap.uids, 0), toHostId(this.idMap.gids, 0));
      await mkdir(join(dir, 'work'), 0o700);
      const meta: SnapshotMeta = { key, parent, readonly: !!opts.readonly, created: new Date().toISOString() };
      await writeJsonAtomic(join(dir, 'meta.json'), meta);
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      throw e;
    } finally {
      this.preparing.delete(key);
    }
    return this.mounts(key);
  }

  /** Lower dirs of a snapshot over `parent`, top-first, as short l/ paths. */
  private async lowers(parent: Digest | null): Promise<string[]> {
    const out: string[] = [];
    for (let id: Digest | null = parent; id !== null; ) {
      const m = await this.mustMeta(id);
      out.push(join(this.root, 'l', m.link));
      id = m.parent;
    }
    return out;
  }

  async mounts(key: string): Promise<Mount[]> {
    const s = await this.snapMeta(key);
    const dir = this.snapDir(key);
    const lowers = await this.lowers(s.parent);
    if (s.readonly) {
      // Without an upper dir, overlayfs needs at least two lower dirs (and no dir twice).
      for (let i = 0; lowers.length < 2; i++) lowers.push(join(this.root, 'empty', String(i)));
      return [{ type: 'overlay', source: 'overlay', options: ['ro', 'index=off', `lowerdir=${lowers.join(':')}`] }];
    }
    if (!lowers.length) lowers.push(join(this.root, 'empty', '0'));
    return [
      {
        type: 'overlay',
        source: 'overlay',
        // redirect_dir/metacopy off: the upper dir must hold whole changes, or diff() would miss
        // the contents of renamed directories and of metadata-only copy-ups.
        options: [
          'index=off',
          'redirect_dir=off',
          'metacopy=off',
          `lowerdir=${lowers.join(':')}`,
          `upperdir=${join(dir, 'upper')}`,
          `workdir=${join(dir, 'work')}`,
        ],
      },
    ];
  }

  diff(key: string): Readable {
    return packLayerDir(
      async () => {
        await this.snapMeta(key);
        return this.upperDir(key);
      },
      undefined,
      this.idMap ? { idMap: this.idMap } : {},
    );
  }

  async diffDigest(key: string, signal?: AbortSignal): Promise<{ diffId: Digest; size: number; entries: number; lossy?: string }> {
    await this.snapMeta(key);
    const { diffId, report } = await digestLayerDir(this.upperDir(key), signal, this.idMap);
    return { diffId, size: report.fileBytes, entries: report.entries, ...(report.lossy ? { lossy: report.lossy } : {}) };
  }

  async commitSnapshot(key: string, measured: { diffId: Digest; size: number }): Promise<LayerInfo> {
    const dir = this.snapDir(key);
    const s = await this.snapMeta(key);
    if (s.readonly) throw invalidArgument(`snapshot ${key} is read-only: it has no changes to commit`);
    // The layer must be as durable as an unpacked one (stageLayer's syncfs): one flush of the
    // filesystem, before anything is renamed, outside the graph lock.
    const fh = await openFile(this.upperDir(key), 'r');
    try {
      await syncfs(fh.fd);
    } finally {
      await fh.close();
    }
    // The snapshot leaves the view in one rename (a crash from here on leaves a tmp/ dir that
    // open() removes) and is laid out as a staged layer: <tmp>/diff is the upper dir itself.
    const tmp = this.tmpPath();
    await this.lock.run('graph', async () => {
      await this.snapMeta(key);
      await this.refuseMounted(key);
      await rename(dir, tmp);
    });
    try {
      await rename(join(tmp, 'upper'), join(tmp, 'diff'));
      await rm(join(tmp, 'work'), { recursive: true, force: true });
      await unlink(join(tmp, 'meta.json'));
    } catch (e) {
      await rm(tmp, { recursive: true, force: true });
      throw e;
    }
    return this.commitStaged(s.parent, { diffId: measured.diffId, size: measured.size, handle: tmp });
  }

  async usage(key: string): Promise<number> {
    await this.snapMeta(key);
    return dirUsage(this.upperDir(key));
  }

  async changes(key: string, opts?: ChangesOptions): Promise<LayerChange[]> {
    const s = await this.snapMeta(key);
    return overlayChanges(this.upperDir(key), await this.lowers(s.parent), opts);
  }

  upperDir(key: string): string {
    return join(this.snapDir(key), 'upper');
  }

  private async refuseMounted(key: string): Promise<void> {
    // Deleting an upper dir under a live overlay would corrupt what the container sees.
    const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
    if (mountinfo.includes(`upperdir=${this.upperDir(key)},`) || mountinfo.includes(`upperdir=${this.upperDir(key)}\n`)) {
      throw conflict(`snapshot ${key} is still mounted; unmount it first`);
    }
  }

  async quarantineSnapshot(key: string, dir: string): Promise<void> {
    const from = this.snapDir(key);
    await this.lock.run('graph', async () => {
      await this.refuseMounted(key);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await rename(from, join(dir, key)).catch((e) => {
        if (errnoCode(e) !== 'ENOENT') throw e;
      });
    });
  }

  async removeSnapshot(key: string): Promise<void> {
    const dir = this.snapDir(key);
    await this.lock.run('graph', async () => {
      await this.snapMeta(key);
      await this.refuseMounted(key);
      const tmp = this.tmpPath();
      await rename(dir, tmp);
      await rm(tmp, { recursive: true, force: true });
    });
  }

  async listSnapshots(): Promise<string[]> {
    const out: string[] = [];
    for (const key of (await readdir(join(this.root, 'snapshots'))).sort()) {
      if (KEY_RE.test(key) && (await lstat(join(this.root, 'snapshots', key, 'meta.json')).catch(() => undefined))) out.push(key);
    }
    return out;
  }
  async checkLayers(opts: { full?: boolean } = {}): Promise<{ sound: Digest[]; damaged: LayerDamage[] }> {
    const metas = new Map<Digest, LayerMeta>();
    const damaged = new Map<Digest, string>();
    for (const hex of (await readdir(join(this.root, 'layers'))).sort()) {
      const chainId = `sha256:${hex}`;
      if (!isDigest(chainId)) continue;
      const dir = join(this.root, 'layers', hex);
      let m: unknown;
      try {
        m = await readJsonIfExists(join(dir, 'meta.json'));
      } catch (e) {
        damaged.set(chainId, `metadata unreadable: ${messageOf(e)}`);
        continue;
      }
      const problem =
        m === undefined ? 'metadata is missing' : (metaProblem(chainId, m) ?? ((await isDir(join(dir, 'diff'))) ? undefined : 'diff directory is missing'));
      const replayed = !problem && opts.full ? await this.replayProblem(dir, (m as LayerMeta).diffId) : undefined;
      if (problem || replayed) damaged.set(chainId, (problem ?? replayed)!);
      else metas.set(chainId, m as LayerMeta);
    }
    // A layer stands on its parent: a missing or damaged parent damages every layer above it.
    for (let changed = true; changed; ) {
      changed = false;
      for (const [id, m] of metas) {
        if (damaged.has(id) || m.parent === null) continue;
        const why = damaged.has(m.parent) ? `parent layer ${m.parent} is damaged` : metas.has(m.parent) ? undefined : `parent layer ${m.parent} is missing`;
        if (why) {
          damaged.set(id, why);
          changed = true;
        }
      }
    }
    return {
      sound: [...metas.keys()].filter((id) => !damaged.has(id)),
      damaged: [...damaged].map(([chainId, problem]) => ({ chainId, problem })),
    };
  }

  /** For a layer with a recorded tar layout: whether its files still give back the tar its diffID names. */
  private async replayProblem(dir: string, diffId: Digest): Promise<string | undefined> {
    try {
      const layout = await readTarLayout(dir);
      if (!layout) return undefined;
      const hash = createHash('sha256');
      await pipeline(replayTarLayout(layout, join(dir, 'diff')), hash);
      const got = `sha256:${hash.digest('hex')}`;
      return got === diffId ? undefined : `its files no longer give back the tar of its diffID ${diffId} (got ${got})`;
    } catch (e) {
      return `its files no longer give back the tar of its diffID: ${messageOf(e)}`;
    }
  }

  async snapshotDamage(key: string): Promise<string | undefined> {
    const dir = this.snapDir(key);
    let m: SnapshotMeta | undefined;
    try {
      m = await readJsonIfExists<SnapshotMeta>(join(dir, 'meta.json'));
    } catch (e) {
      return `snapshot metadata unreadable: ${messageOf(e)}`;
    }
    if (!m) return 'snapshot is missing';
    if (m.key !== key) return `snapshot metadata names another key (${String(m.key)})`;
    if (!m.readonly && !((await isDir(join(dir, 'upper'))) && (await isDir(join(dir, 'work'))))) return 'snapshot upper or work directory is missing';
    if (m.parent !== null && !(await isDir(join(this.layerDir(m.parent), 'diff')))) return `snapshot parent layer ${m.parent} is missing`;
    return undefined;
  }

  async quarantineLayer(chainId: Digest, dir: string): Promise<void> {
    const hex = hexOf(parseDigest(chainId));
    await this.lock.run('graph', async () => {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      try {
        await rename(this.layerDir(chainId), join(dir, hex));
      } catch (e) {
        if (errnoCode(e) !== 'ENOENT') throw e;
      }
      this.metas.delete(chainId);
      // Its short link (the metadata may be what is broken, so find it by target).
      for (const name of await readdir(join(this.root, 'l'))) {
        if ((await readlink(join(this.root, 'l', name)).catch(() => '')) === `../layers/${hex}/diff`) await unlink(join(this.root, 'l', name)).catch(() => {});
      }
      await fsyncDir(join(this.root, 'layers'));
    });
  }
}

/** What is wrong with a layer's metadata read from the directory named `chainId`, or undefined. */
function metaProblem(chainId: Digest, m: unknown): string | undefined {
  const meta = m as Partial<LayerMeta> | null;
  if (!meta || typeof meta !== 'object') return 'metadata is not an object';
  if (meta.chainId !== chainId) return `metadata names another layer (${String(meta.chainId)})`;
  if (typeof meta.diffId !== 'string' || !isDigest(meta.diffId)) return 'metadata has no valid diffID';
  if (meta.parent !== null && (typeof meta.parent !== 'string' || !isDigest(meta.parent))) return 'metadata has an invalid parent';
  if (chainIdOf(meta.parent, meta.diffId) !== chainId) return `chainID does not match its parent and diffID ${meta.diffId}`;
  if (typeof meta.link !== 'string' || !/^[A-Z0-9]+$/.test(meta.link)) return 'metadata has no valid short link name';
  return undefined;
}

async function isDir(p: string): Promise<boolean> {
  return (await lstat(p).catch(() => undefined))?.isDirectory() ?? false;
}

function info(m: LayerMeta): LayerInfo {
  return { chainId: m.chainId, diffId: m.diffId, parent: m.parent, size: m.size };
}
